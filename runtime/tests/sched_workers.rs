//! The worker count (Go's GOMAXPROCS): the same mixed workload is green on one worker and on
//! two, built with `Runtime::builder().workers(n)` and run through `block_on`; the `GOMAXPROCS`
//! environment variable sizes the global runtime (checked in a child process, since the global
//! runtime starts once per process).
#![cfg(not(loom))]

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use gocsp::{Chan, Receiver, Runtime, Select, WaitGroup};

/// Go's concurrent prime sieve: the first `n` primes through a chain of filter goroutines.
fn sieve(n: usize) -> Vec<u64> {
    fn generate(out: Chan<u64>) {
        for i in 2.. {
            out.send(i);
        }
    }
    fn filter(input: Receiver<u64>, out: Chan<u64>, prime: u64) {
        for v in &input {
            if v % prime != 0 {
                out.send(v);
            }
        }
    }
    let mut ch: Chan<u64> = Chan::new(0);
    let c = ch.clone();
    gocsp::go(move || generate(c));
    let mut primes = Vec::new();
    for _ in 0..n {
        let prime = ch.recv().unwrap();
        primes.push(prime);
        let next: Chan<u64> = Chan::new(0);
        let (input, out) = (ch.receiver(), next.clone());
        gocsp::go(move || filter(input, out, prime));
        ch = next;
    }
    primes
}

/// A bit of everything; returns a checksum that does not depend on scheduling.
fn workload() -> u64 {
    let mut check = 0u64;

    // A three-stage pipeline over unbuffered and buffered channels.
    let source: Chan<u64> = Chan::new(0);
    let squares: Chan<u64> = Chan::new(16);
    let s = source.clone();
    gocsp::go(move || {
        (0..2_000).for_each(|i| s.send(i));
        s.close();
    });
    let (input, out) = (source.receiver(), squares.clone());
    gocsp::go(move || {
        for v in &input {
            out.send(v * v);
        }
        out.close();
    });
    check += squares.iter().sum::<u64>();

    // Fan-in with select and a timeout that never fires first.
    let a: Chan<u64> = Chan::new(0);
    let b: Chan<u64> = Chan::new(4);
    let (ta, tb) = (a.clone(), b.clone());
    gocsp::go(move || (0..500).for_each(|i| ta.send(i)));
    gocsp::go(move || (0..500).for_each(|i| tb.send(i)));
    for _ in 0..1_000 {
        let timeout = gocsp::time::after(Duration::from_secs(3600));
        let mut sel = Select::new();
        let ra = sel.recv(&a);
        let rb = sel.recv(&b);
        sel.recv(&timeout);
        let i = sel.select();
        check += if i == ra.index() {
            sel.take(ra).unwrap()
        } else {
            sel.take(rb).unwrap()
        };
    }

    // A WaitGroup and a goroutine-aware Mutex, with sleeps and blocking calls in between.
    let m = Arc::new(gocsp::sync::Mutex::new(0u64));
    let wg = WaitGroup::new();
    for g in 0..16u64 {
        wg.add(1);
        let (m, wg) = (m.clone(), wg.clone());
        gocsp::go(move || {
            for i in 0..100 {
                if i % 25 == 0 {
                    gocsp::time::sleep(Duration::from_micros(100));
                }
                if i % 40 == 0 {
                    gocsp::blocking(|| std::thread::sleep(Duration::from_micros(100)));
                }
                *m.lock() += g;
            }
            wg.done();
        });
    }
    wg.wait();
    check += *m.lock();

    // Nested spawns and joins.
    let h = gocsp::spawn(|| {
        let hs: Vec<_> = (0..10u64).map(|i| gocsp::spawn(move || i * 3)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    check += h.join().unwrap();

    check += sieve(200).iter().sum::<u64>();
    check
}

fn expected() -> u64 {
    let squares: u64 = (0..2_000u64).map(|i| i * i).sum();
    let fan_in: u64 = 2 * (0..500u64).sum::<u64>();
    let mutex: u64 = 100 * (0..16u64).sum::<u64>();
    let nested: u64 = 3 * (0..10u64).sum::<u64>();
    // Primes below the 201st prime (1229).
    let primes: u64 = (2..1_229u64)
        .filter(|&n| (2..n).take_while(|d| d * d <= n).all(|d| n % d != 0))
        .sum();
    squares + fan_in + mutex + nested + primes
}

/// Threads of this process whose name starts with `prefix`.
fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
                .filter(|name| name.starts_with(prefix))
                .count()
        })
        .unwrap_or(0)
}

fn run_on(workers: usize, name: &str) {
    let rt = Runtime::builder()
        .workers(workers)
        .thread_name(name)
        .build()
        .unwrap();
    assert_eq!(rt.workers(), workers);
    let _dog = common::Watchdog::new("the GOMAXPROCS workload", Duration::from_secs(240));
    assert_eq!(rt.block_on(workload), expected());
    if cfg!(target_os = "linux") {
        // Each thread names itself once it runs.
        common::wait_until("the workers to be named", || {
            threads_named(&format!("{name}-")) == workers
        });
    }
    // The same runtime takes more work afterwards.
    assert_eq!(rt.block_on(|| sieve(20).len()), 20);
}

#[test]
fn the_workload_on_one_worker() {
    run_on(1, "one-wk");
}

#[test]
fn the_workload_on_two_workers() {
    run_on(2, "two-wk");
}

#[test]
fn the_workload_on_the_global_runtime() {
    assert_eq!(gocsp::spawn(workload).join().unwrap(), expected());
}

/// Runs in a child process only (see below): reports how many workers the global runtime has.
#[test]
fn child_reports_global_workers() {
    if std::env::var_os("GOCSP_TEST_CHILD").is_none() {
        return;
    }
    let n: usize = std::env::var("GOMAXPROCS").unwrap().parse().unwrap();
    assert_eq!(gocsp::gomaxprocs(), n, "before the global runtime starts");
    assert_eq!(gocsp::spawn(workload).join().unwrap(), expected());
    assert_eq!(gocsp::gomaxprocs(), n, "on a plain thread");
    assert_eq!(
        gocsp::spawn(gocsp::gomaxprocs).join().unwrap(),
        n,
        "in a goroutine"
    );
    // A thread starts with its creator's name until it sets its own: a helper thread that a
    // worker has just started can look like a worker for a moment.
    common::wait_until("the global workers to be named", || {
        threads_named("gocsp-worker-") == n
    });
    println!("global workers: {}", threads_named("gocsp-worker-"));
}

#[test]
fn gomaxprocs_sets_the_global_worker_count() {
    if !cfg!(target_os = "linux") {
        return;
    }
    for n in [1, 2] {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_reports_global_workers",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("GOCSP_TEST_CHILD", "1")
            .env("GOMAXPROCS", n.to_string())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child with GOMAXPROCS={n} failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("global workers: {n}\n")),
            "GOMAXPROCS={n}: {stdout}"
        );
    }
}
