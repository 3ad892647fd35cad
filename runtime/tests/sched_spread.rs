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

/// Counts the workers in `ran` and the neighbours (consecutive entries) that ran on different
/// workers.
fn workers_and_crossings(ran: &[ThreadId]) -> (usize, usize) {
    let workers: std::collections::HashSet<ThreadId> = ran.iter().copied().collect();
    let crossings = ran.windows(2).filter(|w| w[0] != w[1]).count();
    (workers.len(), crossings)
}

/// The prime sieve: each filter is started by the goroutine that then reads from it, one per
/// prime found, and parks between messages, so neither a burst nor a long run ever spreads
/// it. The chain is split into segments over the workers: it reaches most of them, and a
/// number crosses workers once per segment, not at every hop.
#[test]
fn a_chain_started_by_its_reader_is_split_into_segments_over_the_workers() {
    let _w = Watchdog::new("sieve chain", HANG_GUARD);
    let rt = runtime();
    let ran = rt.block_on(|| {
        let first: Chan<u64> = Chan::new(0);
        let tx = first.sender();
        gocsp::go(move || {
            for i in 2..2_000 {
                tx.send(i);
            }
            tx.close();
        });
        let mut ch = first.receiver();
        let mut filters = Vec::new();
        while let Some(prime) = ch.recv() {
            let next: Chan<u64> = Chan::new(0);
            let (input, output) = (ch, next.sender());
            filters.push(gocsp::spawn(move || {
                for v in &input {
                    if v % prime != 0 {
                        output.send(v);
                    }
                }
                output.close();
                std::thread::current().id()
            }));
            ch = next.receiver();
        }
        filters
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<ThreadId>>()
    });
    assert_eq!(ran.len(), 303, "the primes below 2,000");
    let (workers, crossings) = workers_and_crossings(&ran);
    assert!(
        workers >= WORKERS / 2,
        "the chain should reach most workers; it ran on {workers} of {WORKERS}"
    );
    assert!(
        crossings <= ran.len() / 3,
        "neighbouring filters should mostly share a worker: {crossings} of {} hops cross",
        ran.len() - 1
    );
}

/// Go's "whispers": one goroutine starts a chain of 20,000 in one loop, each waiting on its
/// right neighbour and then sending to its left. A burst that long is dealt in segments that
/// grow with it, so a message crosses workers a few hundred times rather than at every hop
/// (dealt one by one, the first run of a 100k chain took 0.8-1.5 s on 2 workers against
/// 0.1 s on one), and the chain still reaches every worker.
#[test]
fn a_chain_started_in_one_burst_crosses_workers_once_per_segment() {
    const CHAIN: usize = 20_000;
    let _w = Watchdog::new("whispers chain", HANG_GUARD);
    let rt = runtime();
    let ran = rt.block_on(|| {
        let leftmost: Chan<usize> = Chan::new(0);
        let mut left = leftmost.clone();
        let mut links = Vec::with_capacity(CHAIN);
        for _ in 0..CHAIN {
            let right: Chan<usize> = Chan::new(0);
            let (l, r) = (left.sender(), right.receiver());
            links.push(gocsp::spawn(move || {
                l.send(1 + r.recv().unwrap());
                std::thread::current().id()
            }));
            left = right;
        }
        left.send(1);
        assert_eq!(leftmost.recv(), Some(CHAIN + 1));
        links
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<ThreadId>>()
    });
    let (workers, crossings) = workers_and_crossings(&ran);
    assert_eq!(workers, WORKERS, "the chain should reach every worker");
    assert!(
        crossings <= CHAIN / 8,
        "neighbours should mostly share a worker: {crossings} of {} hops cross",
        CHAIN - 1
    );
}

/// A publisher that starts its subscribers and then sends every message to each of them
/// (each has its own buffered channel): the subscribers talk to the publisher, so once that is
/// learned (the first round deals them out, as a burst of unknown goroutines), they start on
/// the publisher's worker, where its sends hand off without crossing workers, instead of
/// being dealt out as a crowd.
#[test]
fn subscribers_woken_by_their_publisher_start_beside_it_once_learned() {
    const SUBSCRIBERS: usize = 64;
    const MESSAGES: u64 = 200;
    let _w = Watchdog::new("publisher", HANG_GUARD);
    let rt = runtime();
    let round = || {
        rt.block_on(|| {
            type Subscriber = (Chan<u64>, JoinHandle<(ThreadId, u64)>);
            let subs: Vec<Subscriber> = (0..SUBSCRIBERS)
                .map(|_| {
                    let c: Chan<u64> = Chan::new(16);
                    let rx = c.receiver();
                    let h = gocsp::spawn(move || (std::thread::current().id(), rx.iter().sum()));
                    (c, h)
                })
                .collect();
            for m in 0..MESSAGES {
                for (c, _) in &subs {
                    c.send(m);
                }
            }
            let publisher = std::thread::current().id();
            let ran: Vec<ThreadId> = subs
                .into_iter()
                .map(|(c, h)| {
                    c.close();
                    let (t, sum) = h.join().unwrap();
                    assert_eq!(sum, MESSAGES * (MESSAGES - 1) / 2);
                    t
                })
                .collect();
            (publisher, ran)
        })
    };
    // Learned from sampled wakes (one in 8 of a worker's): give it a few rounds, so that an
    // unlucky draw cannot fail the test.
    for _ in 0..3 {
        round();
    }
    // Not all of them: an idle worker may steal a few before they start, while the OS has
    // the publisher's worker preempted (a thief takes unstarted goroutines, as Go's do; up to
    // 13 of 64 seen). Dealt out as a crowd, 18 of them started there.
    let (publisher, ran) = round();
    let beside = ran.iter().filter(|&&t| t == publisher).count();
    assert!(
        beside > SUBSCRIBERS / 2,
        "the subscribers should start on the publisher's worker once learned; \
         {beside} of {SUBSCRIBERS} did"
    );
}

/// How the handlers of `lock_sharing_handlers` are let go, all at once, by their spawner.
#[derive(Clone, Copy, Debug)]
enum Gate {
    /// Closing a channel they all receive from.
    Close,
    /// A `WaitGroup` of one that they all wait on (Go's `start.Wait()` / `start.Done()`).
    WaitGroup,
    /// A flag under a mutex and a `Cond::broadcast`.
    Broadcast,
}

/// Handlers that share a lock wake each other, not their spawner: they keep being spread,
/// round after round (the first of a crowd start beside the spawner, so most early wakes come
/// from its worker; only wakes by the spawner itself keep a crowd with it). The gate that lets
/// them go is one wake-up of all of them by the spawner, not talk with it, whichever way it is
/// built. `spawn` starts each handler: every test passes its own, so that each has a spawn site
/// of its own (the learning is per site, and the tests run at once).
fn lock_sharing_handlers_stay_spread(
    gate: Gate,
    spawn: fn(Box<dyn FnOnce() -> ThreadId + Send>) -> JoinHandle<ThreadId>,
) {
    const HANDLERS: usize = 64;
    let _w = Watchdog::new("lock-sharing handlers", HANG_GUARD);
    let rt = runtime();
    let lock = std::sync::Arc::new(gocsp::sync::Mutex::new(0u64));
    let mut last = Vec::new();
    for _ in 0..4 {
        let lock = lock.clone();
        last = rt.block_on(move || {
            let chan: Chan<()> = Chan::new(0);
            let group = gocsp::sync::WaitGroup::new();
            group.add(1);
            let flag =
                std::sync::Arc::new((gocsp::sync::Mutex::new(false), gocsp::sync::Cond::new()));
            let handlers: Vec<JoinHandle<ThreadId>> = (0..HANDLERS)
                .map(|_| {
                    let (rx, group, flag, lock) =
                        (chan.receiver(), group.clone(), flag.clone(), lock.clone());
                    spawn(Box::new(move || {
                        match gate {
                            Gate::Close => assert_eq!(rx.recv(), None),
                            Gate::WaitGroup => group.wait(),
                            Gate::Broadcast => {
                                let mut open = flag.0.lock();
                                while !*open {
                                    open = flag.1.wait(open);
                                }
                            }
                        }
                        for _ in 0..50 {
                            let mut n = lock.lock();
                            for _ in 0..200 {
                                *n = std::hint::black_box(*n + 1);
                            }
                        }
                        std::thread::current().id()
                    }))
                })
                .collect();
            match gate {
                Gate::Close => chan.close(),
                Gate::WaitGroup => group.done(),
                Gate::Broadcast => {
                    *flag.0.lock() = true;
                    flag.1.broadcast();
                }
            }
            handlers.into_iter().map(|h| h.join().unwrap()).collect()
        });
    }
    let (workers, _) = workers_and_crossings(&last);
    assert!(
        workers >= WORKERS / 2,
        "the handlers let go by {gate:?} should stay spread; in the last round they ran on \
         {workers} of {WORKERS}"
    );
}

#[test]
fn handlers_that_share_a_lock_stay_spread_round_after_round() {
    lock_sharing_handlers_stay_spread(Gate::Close, |h| gocsp::spawn(h));
}

#[test]
fn handlers_let_go_by_a_waitgroup_stay_spread_round_after_round() {
    lock_sharing_handlers_stay_spread(Gate::WaitGroup, |h| gocsp::spawn(h));
}

#[test]
fn handlers_let_go_by_a_cond_broadcast_stay_spread_round_after_round() {
    lock_sharing_handlers_stay_spread(Gate::Broadcast, |h| gocsp::spawn(h));
}

/// A server: a dispatcher (an accept loop) starts one handler per connection and parks between
/// connections; each handler talks (answers a few requests, parking between them). Handlers
/// that live on reach every worker once there are a few per worker.
#[test]
fn talking_handlers_from_an_accept_loop_spread_over_every_worker() {
    let _w = Watchdog::new("accept loop", HANG_GUARD);
    let rt = runtime();
    const CONNECTIONS: usize = 256;
    let accept: Chan<Receiver<u64>> = Chan::new(0);
    let listener = accept.receiver();
    let dispatcher = rt.spawn(move || {
        let mut handlers: Vec<JoinHandle<(ThreadId, u64)>> = Vec::new();
        for conn in &listener {
            handlers.push(gocsp::spawn(move || {
                let sum = conn.iter().sum();
                (std::thread::current().id(), sum)
            }));
        }
        handlers
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    let conns: Vec<Chan<u64>> = (0..CONNECTIONS)
        .map(|_| {
            let c: Chan<u64> = Chan::new(0);
            accept.send(c.receiver());
            c
        })
        .collect();
    accept.close();
    for round in 1..=3 {
        for c in &conns {
            c.send(round);
        }
    }
    for c in &conns {
        c.close();
    }
    let ran = dispatcher.join().unwrap();
    assert!(
        ran.iter().all(|&(_, sum)| sum == 6),
        "each handler got its 3 requests"
    );
    let threads: Vec<ThreadId> = ran.iter().map(|&(t, _)| t).collect();
    let (workers, _) = workers_and_crossings(&threads);
    assert_eq!(
        workers, WORKERS,
        "the handlers should reach every worker; they ran on {workers} of {WORKERS}"
    );
}

/// A worker pool's feeder, started right after the pool's CPU-bound members, starts on
/// another worker than the goroutine that started them (the pool's collector): each of the
/// two serves the members only when its own worker's current job ends, so on one worker
/// they would be served half as often. Checked once the members' site is known to run long
/// (after the first round). Every run of a member computes (the results channel has room for
/// all results, and a member computes once more when the jobs run out), so no short run can
/// take the site out of the long runners' class between rounds.
#[test]
fn a_pools_feeder_starts_away_from_its_collector() {
    const JOBS: u64 = 16;
    let _w = Watchdog::new("feeder placement", HANG_GUARD);
    let rt: &'static Runtime = Box::leak(Box::new(Runtime::builder().workers(2).build().unwrap()));
    let compute = |seed: u64| {
        let open: Chan<()> = Chan::new(0);
        let gate = open.receiver();
        open.close();
        crunch(gate, seed).1
    };
    for round in 0..4 {
        let (collector, feeder) = rt.block_on(move || {
            let jobs: Chan<u64> = Chan::new(0);
            let results: Chan<u64> = Chan::new(JOBS as usize);
            for _ in 0..8 {
                let (jobs, results) = (jobs.receiver(), results.sender());
                gocsp::go(move || {
                    for seed in &jobs {
                        results.send(compute(seed));
                    }
                    std::hint::black_box(compute(0));
                });
            }
            let (feeder_tx, feeder_rx) = std::sync::mpsc::channel();
            let feed = jobs.sender();
            gocsp::go(move || {
                let _ = feeder_tx.send(std::thread::current().id());
                for i in 0..JOBS {
                    feed.send(i);
                }
                feed.close();
            });
            drop(jobs);
            for _ in 0..JOBS {
                results.recv().unwrap();
            }
            (std::thread::current().id(), feeder_rx.recv().unwrap())
        });
        if round > 0 {
            assert_ne!(
                collector, feeder,
                "round {round}: the feeder started beside the collector"
            );
        }
    }
}

/// Counts of a recursion run by `recurse`: leaves per thread, parent-child pairs on different
/// threads, and the most of its goroutines running or blocked at once.
#[derive(Default)]
struct Tree {
    leaves: std::sync::Mutex<HashMap<ThreadId, usize>>,
    crossings: std::sync::atomic::AtomicUsize,
    started: std::sync::atomic::AtomicUsize,
    most_started: std::sync::atomic::AtomicUsize,
}

/// A divide and conquer in Go's style (a parallel quicksort without a cutoff): each call over
/// `[lo, hi)` starts a goroutine for the left half, recurses into the right half itself, and
/// then waits for the left half's sum. A leaf computes for a while.
fn recurse(tree: &'static Tree, lo: u64, hi: u64) -> u64 {
    use std::sync::atomic::Ordering::Relaxed;
    if hi - lo == 1 {
        *tree
            .leaves
            .lock()
            .unwrap()
            .entry(std::thread::current().id())
            .or_default() += 1;
        let mut x = lo | 1;
        for _ in 0..STEPS / 100 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x = std::hint::black_box(x);
        }
        return x;
    }
    let mid = (lo + hi) / 2;
    let left: Chan<u64> = Chan::new(0);
    let (tx, parent) = (left.sender(), std::thread::current().id());
    gocsp::go(move || {
        if std::thread::current().id() != parent {
            tree.crossings.fetch_add(1, Relaxed);
        }
        let now = tree.started.fetch_add(1, Relaxed) + 1;
        tree.most_started.fetch_max(now, Relaxed);
        tx.send(recurse(tree, lo, mid));
        tree.started.fetch_sub(1, Relaxed);
    });
    let right = recurse(tree, mid, hi);
    right.wrapping_add(left.recv().unwrap())
}

/// A recursion over 16 workers is split into whole subtrees, which idle workers take: its
/// leaves run on several workers, and few of its 4,095 goroutines start on another worker than
/// their parent's: 141-319 in 60 runs here, each steal a few subtrees (dealt out as a burst
/// or a crowd, as other spawns are, 3,868 did).
#[test]
fn a_recursion_is_split_into_subtrees_not_at_every_spawn() {
    const LEAVES: u64 = 4096;
    let _w = Watchdog::new("recursion", HANG_GUARD);
    let rt = runtime();
    let tree: &'static Tree = Box::leak(Box::default());
    rt.block_on(move || recurse(tree, 0, LEAVES));
    let leaves = tree.leaves.lock().unwrap();
    assert_eq!(leaves.values().sum::<usize>(), LEAVES as usize);
    assert!(
        leaves.len() >= 2,
        "the whole tree ran on one worker: {leaves:?}"
    );
    let crossings = tree.crossings.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        crossings < LEAVES as usize / 8,
        "{crossings} of {} goroutines started on another worker than their parent's",
        LEAVES - 1
    );
}

/// On one worker a recursion goes depth first, as the same calls on one thread would: it
/// finishes a subtree before it starts the next, so few of its goroutines are under way at
/// once: 24 (first in first out, the worker started the largest subtree waiting each time, and
/// 869 were).
#[test]
fn a_recursion_on_one_worker_goes_depth_first() {
    const LEAVES: u64 = 4096;
    let _w = Watchdog::new("recursion on one worker", HANG_GUARD);
    let rt: &'static Runtime = Box::leak(Box::new(Runtime::builder().workers(1).build().unwrap()));
    let tree: &'static Tree = Box::leak(Box::default());
    rt.block_on(move || recurse(tree, 0, LEAVES));
    let most = tree.most_started.load(std::sync::atomic::Ordering::Relaxed);
    // Depth 12: the goroutines on the path to the current leaf, and the root's children, which
    // it starts first in first out (its own spawn site is another) and which then wait for it
    // to take their sums.
    assert!(most <= 100, "{most} goroutines under way at once");
}
