//! Parallel work spreads over every worker: 64 CPU-bound goroutines started from one place, on
//! 16 workers, run on all 16, and no worker runs more than twice its share. Nothing is timed:
//! each goroutine records the thread it ran on, and the test counts them.
//!
//! Each goroutine is shaped like a member of a worker pool: it first waits for its job (a
//! gate that opens once all 64 are spawned), then computes for a few milliseconds. A goroutine
//! that starts never changes threads, so where it first blocks decides where it computes: a
//! placement that starts all 64 on the spawner's worker (they block at once, so no queue ever
//! looks like a backlog) leaves the other workers idle.
#![cfg(not(any(loom, miri)))]

mod common;

use std::collections::HashMap;
use std::thread::ThreadId;

use common::{HANG_GUARD, Watchdog};
use gocsp::{Chan, JoinHandle, Receiver, Runtime};

const WORKERS: usize = 16;
const GOROUTINES: usize = 64;
/// Steps of CPU work per goroutine (a few milliseconds in a debug build).
const STEPS: u64 = 400_000;

fn runtime() -> &'static Runtime {
    Box::leak(Box::new(
        Runtime::builder()
            .workers(WORKERS)
            .panic_policy(gocsp::PanicPolicy::Continue)
            .build()
            .unwrap(),
    ))
}

/// Waits for the gate to open, then does CPU-bound work that the optimizer cannot drop;
/// returns the thread it ran on.
fn crunch(gate: Receiver<()>, seed: u64) -> (ThreadId, u64) {
    assert_eq!(gate.recv(), None, "the gate only closes");
    let mut x = seed | 1;
    for _ in 0..STEPS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = std::hint::black_box(x);
    }
    (std::thread::current().id(), x)
}

/// Checks the spread: every worker ran at least one goroutine, none more than twice the
/// average.
fn check(ran: Vec<(ThreadId, u64)>) {
    assert_eq!(ran.len(), GOROUTINES);
    let mut per_thread: HashMap<ThreadId, usize> = HashMap::new();
    for (t, _) in &ran {
        *per_thread.entry(*t).or_default() += 1;
    }
    let mut counts: Vec<usize> = per_thread.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(
        per_thread.len(),
        WORKERS,
        "every worker should run at least one of the goroutines; goroutines per worker: \
         {counts:?}"
    );
    let limit = 2 * GOROUTINES / WORKERS;
    assert!(
        counts[0] <= limit,
        "no worker should run more than {limit} goroutines; goroutines per worker: {counts:?}"
    );
}

#[test]
fn goroutines_spawned_from_a_thread_spread_over_every_worker() {
    let _w = Watchdog::new("spread from a thread", HANG_GUARD);
    let rt = runtime();
    let gate: Chan<()> = Chan::new(0);
    let handles: Vec<JoinHandle<(ThreadId, u64)>> = (0..GOROUTINES as u64)
        .map(|i| {
            let rx = gate.receiver();
            rt.spawn(move || crunch(rx, i))
        })
        .collect();
    gate.close();
    check(handles.into_iter().map(|h| h.join().unwrap()).collect());
}

#[test]
fn goroutines_spawned_from_a_goroutine_spread_over_every_worker() {
    let _w = Watchdog::new("spread from a goroutine", HANG_GUARD);
    let rt = runtime();
    let ran = rt.block_on(|| {
        let gate: Chan<()> = Chan::new(0);
        let handles: Vec<JoinHandle<(ThreadId, u64)>> = (0..GOROUTINES as u64)
            .map(|i| {
                let rx = gate.receiver();
                gocsp::spawn(move || crunch(rx, i))
            })
            .collect();
        gate.close();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    check(ran);
}

/// A dispatcher starts one goroutine per request, like an accept loop, and parks between
/// requests, so its spawns never form a burst. Its handlers run long without blocking; once
/// the scheduler has seen that, the handlers are dealt out over the workers instead of all
/// starting on the dispatcher's worker.
#[test]
fn long_running_goroutines_from_a_dispatcher_spread_over_every_worker() {
    let _w = Watchdog::new("spread from a dispatcher", HANG_GUARD);
    let rt = runtime();
    let requests: Chan<u64> = Chan::new(0);
    let rx = requests.receiver();
    let dispatcher = rt.spawn(move || {
        let mut handlers: Vec<JoinHandle<(ThreadId, u64)>> = Vec::new();
        for i in &rx {
            let open: Chan<()> = Chan::new(0);
            let gate = open.receiver();
            open.close();
            handlers.push(gocsp::spawn(move || crunch(gate, i)));
        }
        handlers
            .into_iter()
            .map(|h| h.join().unwrap().0)
            .collect::<Vec<ThreadId>>()
    });
    for i in 0..GOROUTINES as u64 {
        requests.send(i);
    }
    requests.close();
    let ran = dispatcher.join().unwrap();
    let workers: std::collections::HashSet<ThreadId> = ran.iter().copied().collect();
    assert_eq!(
        workers.len(),
        WORKERS,
        "the handlers should reach every worker; they ran on {} of {WORKERS}",
        workers.len()
    );
}
