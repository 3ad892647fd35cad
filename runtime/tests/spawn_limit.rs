//! The goroutine limit: `max_goroutines()` follows the kernel's `vm.max_map_count` (two
//! mappings per guarded stack), and at the limit `try_spawn` returns a `SpawnError` naming the
//! sysctl while `go`/`spawn` panic with the same text, instead of aborting in `mmap`.
//!
//! Reaching the limit costs no stacks here: the goroutines that fill the budget are queued on
//! runtimes whose only worker is held by a thread-blocking call, so they never start (a stack
//! is taken only at a goroutine's first run). This file holds one test: the goroutine budget
//! is process-wide.
#![cfg(not(loom))]

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{Watchdog, panic_of, wait_until};
use gocsp::{Runtime, SpawnError};

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

#[test]
fn the_limit_follows_max_map_count_and_try_spawn_reports_it() {
    let limit = gocsp::max_goroutines();
    let Some(max) = max_map_count() else {
        eprintln!("no /proc/sys/vm/max_map_count: the limit is {limit}");
        return;
    };
    // Two mappings per stack; what is left over goes to the rest of the process (its own
    // mappings, a reserve, every worker's pool of cached stacks).
    let workers = std::env::var("GOMAXPROCS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
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
}
