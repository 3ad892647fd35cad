//! The goroutine limits, and that a spawn either succeeds or returns a `SpawnError` naming the
//! limit hit (the process never dies of a failed stack allocation):
//!
//! - on the fallback path (one mapping per stack: kernels before 6.13, or `GOCSP_STACK_SLABS=0`)
//!   `max_goroutines()` follows the kernel's `vm.max_map_count` (two mappings per guarded
//!   stack), and at the limit `try_spawn` returns a `SpawnError` naming the sysctl while
//!   `go`/`spawn` panic with the same text, instead of aborting in `mmap`; stacks cached by
//!   the workers of every runtime are accounted for;
//! - on the slab path the limit is memory, far above the map count's, with no sysctl advice;
//! - `Builder::max_goroutines` caps one runtime.
//!
//! Filling the map-count budget costs no stacks: the goroutines that fill it are queued on
//! runtimes whose only worker is held by a thread-blocking call, so they never start (a stack
//! is taken only at a goroutine's first run). The fallback-path scenarios run in child
//! processes (`GOCSP_STACK_SLABS` is read once per process), each alone in its process: the
//! goroutine budget is process-wide. The machine's sysctls are never changed.
#![cfg(not(loom))]
#![cfg(not(miri))]

mod common;

use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use common::{Watchdog, panic_of, wait_until};
use gocsp::{Chan, Runtime, SpawnError, SpawnLimit};

/// Goroutines queued per runtime: below the injector backlog at which a spawning thread is
/// slowed down.
const PER_RUNTIME: usize = 4_000;

/// Above this limit, filling the budget would take too much memory for a test.
const MAX_LIMIT_TO_FILL: usize = 100_000;

fn max_map_count() -> Option<usize> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn in_child() -> bool {
    std::env::var_os(common::CHILD_ENV).is_some()
}

fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs child test `name` of this binary on the fallback path.
fn run_on_fallback_path(name: &str) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(common::CHILD_ENV, "1")
        .env("GOCSP_STACK_SLABS", "0")
        .output()
        .unwrap()
}

/// Linux 6.13 or later, where stacks come from slabs by default.
fn kernel_has_guard_install() -> bool {
    let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") else {
        return false;
    };
    let mut parts = release.trim().split(['.', '-']);
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= (6, 13)
}

#[test]
fn the_limit_follows_max_map_count_on_the_fallback_path() {
    let out = run_on_fallback_path("child_fills_the_map_count_budget");
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("budget checked"),
        "{}",
        describe(&out)
    );
}

#[test]
fn on_the_slab_path_the_limit_is_memory_not_the_map_count() {
    if !kernel_has_guard_install() || std::env::var("GOCSP_STACK_SLABS").as_deref() == Ok("0") {
        eprintln!("stacks come from one mapping each here: nothing to check");
        return;
    }
    let limit = gocsp::max_goroutines();
    if let Some(max) = max_map_count() {
        assert!(limit > max / 2, "limit {limit} with vm.max_map_count {max}");
    }
    // At least one stack page per goroutine: no more goroutines than pages of memory.
    let mem_pages = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<usize>()
                .ok()
        })
        .map(|kib| kib / 4);
    if let Some(pages) = mem_pages {
        assert!(limit <= pages, "limit {limit} with {pages} pages of memory");
    }
}

#[test]
fn a_runtime_limit_set_by_the_builder_refuses_spawns_past_it() {
    const MAX: usize = 50;
    let base = gocsp::num_goroutine();
    let rt = Runtime::builder()
        .workers(1)
        .max_goroutines(MAX)
        .build()
        .unwrap();
    let gate: Chan<()> = Chan::new(0);
    let rx = gate.receiver();
    // The first goroutine counts too: it spawns until refused.
    let (spawned, err) = rt.block_on(move || {
        let mut handles = Vec::new();
        loop {
            let rx = rx.clone();
            match gocsp::try_spawn(move || rx.recv()) {
                Ok(h) => handles.push(h),
                Err(e) => break (handles, e),
            }
        }
    });
    assert_eq!(spawned.len(), MAX - 1);
    assert_eq!(err.kind(), SpawnLimit::Runtime);
    assert_eq!(err.limit(), MAX);
    assert_eq!(err.live(), MAX);
    let text = err.to_string();
    assert!(text.contains("Builder::max_goroutines"), "{text}");
    assert!(!text.contains("sysctl"), "{text}");
    // `block_on` returns as soon as its closure has; its goroutine may count for a moment
    // longer, so the next spawn is retried until that one is gone.
    let mut blocked = None;
    wait_until("the block_on goroutine to finish", || {
        let rx = gate.receiver();
        let spawn = std::panic::AssertUnwindSafe(|| rt.spawn(move || rx.recv()));
        blocked = std::panic::catch_unwind(spawn).ok();
        blocked.is_some()
    });
    let blocked = blocked.expect("checked above");
    // `Runtime::spawn` panics with the same text.
    assert_eq!(panic_of(|| rt.spawn(|| ())), text);
    // The process-wide budget is not this runtime's: the global runtime still spawns.
    assert_eq!(gocsp::spawn(|| 3).join().unwrap(), 3);
    // Released, they finish, and the runtime spawns again.
    gate.close();
    assert_eq!(blocked.join().unwrap(), None);
    for h in spawned {
        assert_eq!(h.join().unwrap(), None);
    }
    wait_until("the runtime's goroutines to end", || {
        gocsp::num_goroutine() <= base
    });
    assert_eq!(rt.block_on(|| 5), 5);
}

/// Runtimes whose workers keep stacks cached (one worker each).
const CACHING_RUNTIMES: usize = 40;

#[test]
fn child_spawns_past_stacks_cached_by_many_runtimes() {
    if !in_child() {
        return;
    }
    let _dog = Watchdog::new("the cached stacks scenario", Duration::from_secs(240));
    // Each runtime's worker runs a burst of goroutines at once, then keeps their stacks:
    // its cache holds up to 64, the rest go to the shared pool.
    let runtimes: Vec<Runtime> = (0..CACHING_RUNTIMES)
        .map(|_| Runtime::builder().workers(1).build().unwrap())
        .collect();
    for rt in &runtimes {
        let gate: Chan<()> = Chan::new(0);
        let started = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..100)
            .map(|_| {
                let (rx, started) = (gate.receiver(), started.clone());
                rt.spawn(move || {
                    started.fetch_add(1, Ordering::Relaxed);
                    rx.recv()
                })
            })
            .collect();
        wait_until("the burst to start", || {
            started.load(Ordering::Relaxed) == 100
        });
        gate.close();
        for h in handles {
            h.join().unwrap();
        }
        wait_until("the burst to end", || gocsp::num_goroutine() == 0);
    }
    // Now goroutines that really start (each takes a stack) until a spawn is refused; every
    // 1,000 they are let start, so their stacks are really taken.
    let (spawned, err) = spawn_blocked_until_refused(Some(1_000));
    assert_eq!(err.kind(), SpawnLimit::MapCount);
    println!("{spawned} started, then refused: {err}");
    wait_until("the goroutines to end", || gocsp::num_goroutine() == 0);
    assert_eq!(gocsp::spawn(|| 1).join().unwrap(), 1);
}

/// Spawns goroutines that block on one gate until `try_spawn` refuses one, waiting for the
/// accepted ones to start every `settle_every` spawns and at the end; then opens the gate.
/// Returns how many were accepted and the refusal.
fn spawn_blocked_until_refused(settle_every: Option<usize>) -> (usize, gocsp::SpawnError) {
    let gate: Chan<()> = Chan::new(0);
    let started = Arc::new(AtomicUsize::new(0));
    let all_started = |spawned: usize| {
        wait_until("the accepted goroutines to start", || {
            started.load(Ordering::Relaxed) == spawned
        })
    };
    let mut spawned = 0;
    let err = loop {
        let (rx, counter) = (gate.receiver(), started.clone());
        match gocsp::try_spawn(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            rx.recv()
        }) {
            Ok(_) => spawned += 1,
            Err(e) => break e,
        }
        if settle_every.is_some_and(|n| spawned % n == 0) {
            all_started(spawned);
        }
    };
    all_started(spawned);
    gate.close();
    (spawned, err)
}

#[test]
fn stacks_cached_by_every_runtime_count_against_the_budget() {
    // With many runtimes, their workers' cached stacks were not counted: `try_spawn` accepted
    // goroutines whose stacks the kernel then refused, and the process died with `fatal
    // error: cannot allocate a goroutine stack` instead of returning `SpawnError`.
    let out = run_on_fallback_path("child_spawns_past_stacks_cached_by_many_runtimes");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stdout.contains("then refused: cannot start another goroutine"),
        "{}",
        describe(&out)
    );
    assert!(stdout.contains("vm.max_map_count"), "{}", describe(&out));
}

#[test]
fn many_threads_spawning_at_once_stay_within_the_limit() {
    // Spawns between two checks of the process limit are bounded per thread: 100 threads
    // spawning near the limit at once once took the count 517 past it, until the kernel
    // refused a mapping (and the process died of a mapping it needed elsewhere).
    let out = run_on_fallback_path("child_many_threads_spawn_near_the_limit");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stdout.contains("within the limit") || stdout.contains("not filled"),
        "{}",
        describe(&out)
    );
}

#[test]
fn child_many_threads_spawn_near_the_limit() {
    if !in_child() {
        return;
    }
    let limit = gocsp::max_goroutines();
    if limit > MAX_LIMIT_TO_FILL {
        println!("limit {limit}: not filled");
        return;
    }
    let _dog = Watchdog::new("the many-threads scenario", Duration::from_secs(240));
    const THREADS: usize = 100;
    let gate: Chan<()> = Chan::new(0);
    let base = gocsp::num_goroutine();
    // Up to where the threads' unchecked spawns together (63 each) would pass the limit.
    let fill = limit - base - THREADS * 30;
    for _ in 0..fill {
        let rx = gate.receiver();
        gocsp::try_spawn(move || rx.recv()).expect("below the limit");
    }
    let ready = Arc::new(std::sync::Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (gate, ready) = (gate.clone(), ready.clone());
            std::thread::spawn(move || {
                let mut refused = Vec::new();
                for i in 0..64 {
                    if i == 1 {
                        // Every thread past its first (checked) spawn: all in their windows.
                        ready.wait();
                    }
                    let rx = gate.receiver();
                    if let Err(e) = gocsp::try_spawn(move || rx.recv()) {
                        refused.push(e);
                    }
                }
                refused
            })
        })
        .collect();
    let refused: Vec<SpawnError> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let peak = gocsp::num_goroutine();
    assert!(peak <= limit, "{peak} goroutines, limit {limit}");
    for e in &refused {
        assert_eq!(e.kind(), SpawnLimit::MapCount, "{e}");
        assert!(
            !e.to_string().contains("kernel refused"),
            "refused by the kernel, not by the count: {e}"
        );
    }
    gate.close();
    wait_until("the goroutines to end", || gocsp::num_goroutine() == base);
    println!(
        "{} refused, the peak {peak} within the limit {limit}",
        refused.len()
    );
}

/// Address space for the child that runs out of it: room for the test binary, its threads and
/// heap, and a few dozen slabs; and on the fallback path fewer stacks than the map count
/// allows in optimized builds too (68 KiB each: 3 GB let 32,096 start and then hit the map
/// count first).
const ADDRESS_SPACE: &str = "2000000000";

#[test]
fn child_spawns_until_the_address_space_runs_out() {
    if !in_child() {
        return;
    }
    let _dog = Watchdog::new("the address space scenario", Duration::from_secs(240));
    let (spawned, err) = spawn_blocked_until_refused(None);
    println!("{spawned} started, then refused ({:?}): {err}", err.kind());
    wait_until("the goroutines to end", || gocsp::num_goroutine() == 0);
    assert_eq!(gocsp::spawn(|| 1).join().unwrap(), 1);
}

#[test]
fn a_spawn_past_the_address_space_is_refused_not_fatal() {
    // Run with an address-space limit (`prlimit --as`), so stacks run out of address space
    // long before memory: every spawn either succeeds (and its goroutine runs) or returns a
    // `SpawnError`; no goroutine's first run finds no stack. Both paths. (Stacks mapped one by
    // one at first run used to end the process here with `fatal error: cannot allocate a
    // goroutine stack`.)
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("no prlimit (util-linux) here: skipped");
        return;
    }
    for slabs in ["1", "0"] {
        let out = Command::new("prlimit")
            .arg(format!("--as={ADDRESS_SPACE}"))
            .arg(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_spawns_until_the_address_space_runs_out",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(common::CHILD_ENV, "1")
            .env("GOCSP_STACK_SLABS", slabs)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let what = format!("GOCSP_STACK_SLABS={slabs}\n{}", describe(&out));
        assert!(out.status.success(), "{what}");
        assert!(stdout.contains("then refused ("), "{what}");
        // Out of address space, not of mappings: no sysctl advice, on either path.
        assert!(stdout.contains("(AddressSpace)"), "{what}");
        assert!(!stdout.contains("sysctl"), "{what}");
    }
}

#[test]
fn child_fills_the_map_count_budget() {
    if !in_child() {
        return;
    }
    let limit = gocsp::max_goroutines();
    let Some(max) = max_map_count() else {
        eprintln!("no /proc/sys/vm/max_map_count: the limit is {limit}");
        println!("budget checked (not filled)");
        return;
    };
    // Two mappings per stack; what is left over goes to the rest of the process (its own
    // mappings, a reserve, every worker's pool of cached stacks).
    let workers = gocsp::gomaxprocs();
    let maps_now = std::fs::read_to_string("/proc/self/maps")
        .map(|m| m.lines().count())
        .unwrap_or(0);
    assert!(
        2 * limit <= max,
        "limit {limit} needs more than {max} mappings"
    );
    let slack = maps_now + 4_096 + 2 * 64 * workers.max(2);
    assert!(
        2 * limit + slack >= max,
        "limit {limit} leaves far more than needed of vm.max_map_count = {max}"
    );

    if limit > MAX_LIMIT_TO_FILL {
        eprintln!("limit {limit}: too many goroutines to fill in a test; checked the formula only");
        println!("budget checked (not filled)");
        return;
    }
    let _dog = Watchdog::new("the spawn limit test", Duration::from_secs(240));

    // Fill the budget with goroutines that cannot start.
    let base = gocsp::num_goroutine();
    let to_fill = limit - base;
    let mut gates = Vec::new();
    let mut queued = Vec::new();
    let mut left = to_fill;
    while left > 0 {
        let rt: &'static Runtime =
            Box::leak(Box::new(Runtime::builder().workers(1).build().unwrap()));
        let (started_tx, started_rx) = mpsc::channel();
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        // Holds the worker thread itself (a std receive, not a gocsp one).
        queued.push(rt.spawn(move || {
            started_tx.send(()).unwrap();
            let _ = gate_rx.recv();
        }));
        started_rx.recv().unwrap();
        gates.push(gate_tx);
        left -= 1;
        for _ in 0..(PER_RUNTIME - 1).min(left) {
            queued.push(rt.spawn(|| ()));
            left -= 1;
        }
    }
    assert_eq!(gocsp::num_goroutine(), limit);

    // One more is refused, with the numbers and the sysctl in the message.
    let err: SpawnError = gocsp::try_spawn(|| ()).expect_err("a spawn past the limit succeeded");
    assert_eq!(err.kind(), SpawnLimit::MapCount);
    assert_eq!(err.limit(), limit);
    assert_eq!(err.live(), limit);
    let text = err.to_string();
    assert!(text.contains("vm.max_map_count"), "{text}");
    assert!(
        text.contains(&format!("vm.max_map_count is {max}")),
        "{text}"
    );
    assert!(text.contains("sysctl -w vm.max_map_count="), "{text}");
    assert!(text.contains(&limit.to_string()), "{text}");
    let boxed: Box<dyn std::error::Error> = Box::new(err.clone());
    assert_eq!(boxed.to_string(), text);
    // `go` and `spawn` panic with the same text; nothing was spawned.
    assert_eq!(panic_of(|| gocsp::go(|| ())), text);
    assert_eq!(panic_of(|| gocsp::spawn(|| ())), text);
    assert_eq!(gocsp::num_goroutine(), limit);

    // An `after_func` that fires now cannot start its goroutine; the timer facility must
    // survive that (every sleep, timeout and ticker of the process depends on it).
    let _t = gocsp::time::after_func(Duration::from_millis(1), || ());
    std::thread::sleep(Duration::from_millis(50));

    // Release the workers: every queued goroutine runs and ends, and spawning works again.
    drop(gates);
    for h in queued {
        h.join().unwrap();
    }
    wait_until("the queued goroutines to finish", || {
        gocsp::num_goroutine() <= base
    });
    assert_eq!(gocsp::try_spawn(|| 7).unwrap().join().unwrap(), 7);

    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(gocsp::time::after(Duration::from_millis(1)).recv());
    });
    assert!(
        matches!(rx.recv_timeout(common::HANG_GUARD), Ok(Some(_))),
        "timers stopped firing after an after_func hit the goroutine limit"
    );
    println!("budget checked");
}
