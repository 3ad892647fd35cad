//! The parallel suite: CPU-bound jobs spread over goroutines in the shapes real programs use,
//! each the twin of a function in `go/parallel.go` (same work, same checksum). `compare
//! --parallel` runs them on runtimes of 1, 2, ... workers next to Go at the same GOMAXPROCS
//! and prints how each scales.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use gocsp::{Chan, Runtime, WaitGroup};

/// Xorshift steps per job (about 0.3 ms).
pub const JOB_STEPS: usize = 200_000;
/// Goroutines in a worker pool.
pub const POOL_SIZE: usize = 8;
/// Stages of the pipeline; each does a quarter of a job per item.
pub const STAGES: u64 = 4;
/// Xorshift steps per leaf of the divide and conquer (about 2 us: a tree without a cutoff).
pub const TREE_LEAF_STEPS: usize = 1_000;
/// Checksums are folded by this so that the Go twin prints them exactly.
pub const MODULUS: u64 = 1_000_000_007;

/// One workload of the suite.
#[derive(Clone, Copy, Debug)]
pub struct ParWorkload {
    /// The Go twin's workload name.
    pub key: &'static str,
    /// What it is, as printed.
    pub title: &'static str,
    /// Jobs (or primes, for the sieve).
    pub size: usize,
    /// Runs it once on `rt` from the calling thread: time and checksum.
    pub run: fn(&'static Runtime, usize) -> (Duration, u64),
}

/// The suite, in the order it is printed.
pub fn workloads() -> Vec<ParWorkload> {
    vec![
        ParWorkload {
            key: "par-pool-main",
            title: "worker pool of 8, spawned from main",
            size: 400,
            run: pool_main,
        },
        ParWorkload {
            key: "par-pool-go",
            title: "worker pool of 8, spawned from a goroutine",
            size: 400,
            run: pool_go,
        },
        ParWorkload {
            key: "par-fanout",
            title: "fan-out: one goroutine per job + WaitGroup",
            size: 400,
            run: fanout,
        },
        ParWorkload {
            key: "par-pipeline",
            title: "4-stage pipeline, started from a goroutine",
            size: 400,
            run: pipeline,
        },
        ParWorkload {
            key: "par-dispatch",
            title: "dispatcher: one goroutine per request",
            size: 400,
            run: dispatch,
        },
        ParWorkload {
            key: "par-tree",
            title: "divide and conquer: a goroutine per split",
            size: 65_536,
            run: tree,
        },
        ParWorkload {
            key: "par-sieve",
            title: "prime sieve to 1,000 primes",
            size: 1_000,
            run: sieve,
        },
    ]
}

/// Threads that ran jobs (or sieve filters) since the last [`threads_used`]: how many
/// workers a workload kept busy, whatever the machine's load does to its times.
static USED: Mutex<Option<HashSet<ThreadId>>> = Mutex::new(None);
/// Counts calls of [`threads_used`]: a thread notes itself once per count (the tree's 65,536
/// leaves would otherwise take a shared lock each).
static USED_EPOCH: AtomicU64 = AtomicU64::new(0);

std::thread_local! {
    static NOTED_IN: std::cell::Cell<u64> = const { std::cell::Cell::new(u64::MAX) };
}

fn note_thread() {
    let epoch = USED_EPOCH.load(Ordering::Acquire);
    if NOTED_IN.with(|n| n.replace(epoch)) == epoch {
        return;
    }
    let mut used = USED.lock().unwrap_or_else(|p| p.into_inner());
    used.get_or_insert_with(HashSet::new)
        .insert(std::thread::current().id());
}

/// How many threads ran jobs since the last call; starts counting afresh.
pub fn threads_used() -> usize {
    let mut used = USED.lock().unwrap_or_else(|p| p.into_inner());
    USED_EPOCH.fetch_add(1, Ordering::AcqRel);
    used.take().map_or(0, |s| s.len())
}

/// The CPU-bound job: `steps` xorshift steps from `seed`.
pub fn job(seed: u64, steps: usize) -> u64 {
    note_thread();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for _ in 0..steps {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

/// A way to start a goroutine: from the calling thread (`Runtime::spawn`) or from inside a
/// goroutine (`gocsp::go`).
type Spawn<'a> = &'a dyn Fn(Box<dyn FnOnce() + Send>);

/// `n` jobs through a pool of [`POOL_SIZE`] goroutines started with `member`, fed by one
/// started with `feeder` (two spawn sites, as the Go twin's two `go` statements are).
fn pool(n: usize, member: Spawn, feeder: Spawn) -> u64 {
    let jobs: Chan<u64> = Chan::new(0);
    let results: Chan<u64> = Chan::new(0);
    for _ in 0..POOL_SIZE {
        let (jobs, results) = (jobs.receiver(), results.sender());
        member(Box::new(move || {
            for j in &jobs {
                results.send(job(j, JOB_STEPS));
            }
        }));
    }
    let feed = jobs.sender();
    feeder(Box::new(move || {
        for i in 0..n as u64 {
            feed.send(i);
        }
        feed.close();
    }));
    drop(jobs);
    (0..n).fold(0u64, |s, _| s.wrapping_add(results.recv().unwrap()))
}

fn pool_main(rt: &'static Runtime, n: usize) -> (Duration, u64) {
    let start = Instant::now();
    let sum = pool(
        n,
        &|f| {
            rt.spawn(f);
        },
        &|f| {
            rt.spawn(f);
        },
    );
    (start.elapsed(), sum % MODULUS)
}

fn pool_go(rt: &'static Runtime, n: usize) -> (Duration, u64) {
    let start = Instant::now();
    let sum = rt.block_on(move || pool(n, &|f| gocsp::go(f), &|f| gocsp::go(f)));
    (start.elapsed(), sum % MODULUS)
}

fn fanout(rt: &'static Runtime, n: usize) -> (Duration, u64) {
    let start = Instant::now();
    let sum = rt.block_on(move || {
        let sum = Arc::new(AtomicU64::new(0));
        let wg = WaitGroup::new();
        wg.add(n as i64);
        for i in 0..n as u64 {
            let (sum, wg) = (sum.clone(), wg.clone());
            gocsp::go(move || {
                sum.fetch_add(job(i, JOB_STEPS), Ordering::Relaxed);
                wg.done();
            });
        }
        wg.wait();
        sum.load(Ordering::Relaxed)
    });
    (start.elapsed(), sum % MODULUS)
}

fn pipeline(rt: &'static Runtime, n: usize) -> (Duration, u64) {
    let start = Instant::now();
    let sum = rt.block_on(move || {
        let src: Chan<u64> = Chan::new(0);
        let feed = src.sender();
        gocsp::go(move || {
            for i in 0..n as u64 {
                feed.send(i);
            }
            feed.close();
        });
        let mut input = src.receiver();
        for s in 0..STAGES {
            let out: Chan<u64> = Chan::new(0);
            let tx = out.sender();
            gocsp::go(move || {
                for v in &input {
                    tx.send(job(v ^ s, JOB_STEPS / STAGES as usize));
                }
                tx.close();
            });
            input = out.receiver();
        }
        (&input).into_iter().fold(0u64, u64::wrapping_add)
    });
    (start.elapsed(), sum % MODULUS)
}

fn dispatch(rt: &'static Runtime, n: usize) -> (Duration, u64) {
    let start = Instant::now();
    let sum = rt.block_on(move || {
        let reqs: Chan<u64> = Chan::new(0);
        let results: Chan<u64> = Chan::new(0);
        let (rx, tx) = (reqs.receiver(), results.sender());
        gocsp::go(move || {
            for r in &rx {
                let tx = tx.clone();
                gocsp::go(move || tx.send(job(r, JOB_STEPS)));
            }
        });
        let feed = reqs.sender();
        gocsp::go(move || {
            for i in 0..n as u64 {
                feed.send(i);
            }
            feed.close();
        });
        drop(reqs);
        (0..n).fold(0u64, |s, _| s.wrapping_add(results.recv().unwrap()))
    });
    (start.elapsed(), sum % MODULUS)
}

/// Divide and conquer over `n` leaves without a cutoff (a parallel quicksort as it is often
/// first written): each call starts a goroutine for its left half, does its right half itself,
/// and waits for the left half's sum.
fn tree(rt: &'static Runtime, n: usize) -> (Duration, u64) {
    fn split(lo: u64, hi: u64) -> u64 {
        if hi - lo == 1 {
            return job(lo, TREE_LEAF_STEPS);
        }
        let mid = lo + (hi - lo) / 2;
        let left: Chan<u64> = Chan::new(0);
        let tx = left.sender();
        gocsp::go(move || tx.send(split(lo, mid)));
        let right = split(mid, hi);
        right.wrapping_add(left.recv().expect("the left half sends its sum"))
    }
    let start = Instant::now();
    let sum = rt.block_on(move || split(0, n as u64));
    (start.elapsed(), sum % MODULUS)
}

fn sieve(rt: &'static Runtime, n: usize) -> (Duration, u64) {
    let limit = crate::common::nth_prime(n);
    let start = Instant::now();
    let sum = rt.block_on(move || {
        let mut ch: Chan<u64> = Chan::new(0);
        let out = ch.sender();
        gocsp::go(move || {
            for i in 2..=limit {
                out.send(i);
            }
            out.close();
        });
        let mut sum = 0u64;
        while let Some(p) = ch.recv() {
            sum += p;
            let next: Chan<u64> = Chan::new(0);
            let (input, out) = (ch.receiver(), next.sender());
            gocsp::go(move || {
                note_thread();
                for v in &input {
                    if v % p != 0 {
                        out.send(v);
                    }
                }
                out.close();
            });
            ch = next;
        }
        sum
    });
    (start.elapsed(), sum % MODULUS)
}

/// Worker counts to run at by default: 1 and 2, then 4, 8 and 16 where the machine has the
/// cores.
pub fn default_counts() -> Vec<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    [1, 2, 4, 8, 16]
        .into_iter()
        .filter(|&c| c <= 2 || c <= cores)
        .collect()
}

/// Runs the suite (the workloads whose keys `only` lists, or all): per workload, per round, per
/// worker count, Go (when `twin` is given) then gocsp, each after one unmeasured warm-up. Returns the markdown table: per workload, Go's
/// and gocsp's speedup at each count over 1 worker in the worst round, and gocsp/Go time at
/// the highest count (median of the rounds). Progress goes to stderr. Panics if a checksum
/// differs between Go and gocsp or between runs: the two sides must do the same work.
pub fn compare(
    twin: Option<&crate::gotwin::GoTwin>,
    counts: &[usize],
    rounds: usize,
    only: Option<&[String]>,
) -> String {
    assert!(counts.first() == Some(&1), "the worker counts start at 1");
    let rts: Vec<&'static Runtime> = counts
        .iter()
        .map(|&c| {
            &*Box::leak(Box::new(
                Runtime::builder()
                    .workers(c)
                    .build()
                    .expect("a runtime for the suite"),
            ))
        })
        .collect();
    let top = *counts.last().expect("at least one count");
    let mut head = "| workload |".to_string();
    let mut rule = "| --- |".to_string();
    for &c in &counts[1..] {
        head.push_str(&format!(" Go 1→{c} | gocsp 1→{c} |"));
        rule.push_str(" ---: | ---: |");
    }
    head.push_str(&format!(
        " gocsp/Go at {top} | gocsp workers used at {top} | checksum |"
    ));
    rule.push_str(" ---: | ---: | ---: |");
    let mut table = vec![head, rule];
    let chosen = workloads()
        .into_iter()
        .filter(|w| only.is_none_or(|keys| keys.iter().any(|k| k == w.key)));
    for w in chosen {
        // times[side][count][round], side 0 = Go, 1 = gocsp.
        let mut times = vec![vec![Vec::new(); counts.len()]; 2];
        let mut checksum: Option<u64> = None;
        // Per round, at the top count: threads that ran jobs in the measured run.
        let mut used = Vec::new();
        let mut check = |side: &str, c: u64| match checksum {
            None => checksum = Some(c),
            Some(want) => assert_eq!(c, want, "{}: {side} checksum differs", w.key),
        };
        for round in 1..=rounds {
            for (ci, &c) in counts.iter().enumerate() {
                let mut line = format!("{} round {round}/{rounds} workers={c}", w.key);
                if let Some(t) = twin {
                    match t.run_procs(w.key, w.size, Some(c)) {
                        Ok(v) => {
                            if let (Some(&ns), Some(&sum)) = (v.get("time_ns"), v.get("checksum")) {
                                check("Go", sum as u64);
                                times[0][ci].push(ns);
                                line.push_str(&format!("  Go={:.1} ms", ns / 1e6));
                            }
                        }
                        Err(e) => eprintln!("{e}"),
                    }
                }
                let _ = (w.run)(rts[ci], w.size);
                threads_used();
                let (d, sum) = (w.run)(rts[ci], w.size);
                if c == top {
                    used.push(threads_used());
                }
                check("gocsp", sum);
                let ns = d.as_nanos() as f64;
                times[1][ci].push(ns);
                line.push_str(&format!("  gocsp={:.1} ms", ns / 1e6));
                eprintln!("{line}");
            }
        }
        let mut row = format!("| {} |", w.title);
        for ci in 1..counts.len() {
            for side in &times {
                // The worst round: the smallest speedup of one round's 1-worker time over its
                // time at this count.
                let worst = side[0]
                    .iter()
                    .zip(&side[ci])
                    .map(|(one, here)| one / here)
                    .reduce(f64::min);
                row.push_str(&match worst {
                    Some(s) => format!(" {s:.2}x |"),
                    None => " — |".to_string(),
                });
            }
        }
        let last = counts.len() - 1;
        let ratio = median(&times[0][last])
            .zip(median(&times[1][last]))
            .map(|(go, ours)| ours / go);
        row.push_str(&match ratio {
            Some(r) => format!(" {r:.2}x |"),
            None => " — |".to_string(),
        });
        let (lo, hi) = (used.iter().min(), used.iter().max());
        row.push_str(&match (lo, hi) {
            (Some(lo), Some(hi)) if lo == hi => format!(" {lo} |"),
            (Some(lo), Some(hi)) => format!(" {lo}–{hi} |"),
            _ => " — |".to_string(),
        });
        row.push_str(&format!(
            " {} |",
            checksum.map_or("—".to_string(), |c| c.to_string())
        ));
        table.push(row);
    }
    table.join("\n")
}

fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}
