//! Where goroutines run: a goroutine starts on its spawner's worker (ping-pong stays on one
//! thread), goroutines on different workers talk across threads, and a started goroutine never
//! moves: its thread id is the same across thousands of blocking operations. Channels shared
//! between the test's own thread and goroutines work both ways.
#![cfg(not(loom))]

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use common::{HANG_GUARD, Rng, Watchdog, scaled, test_seed, wait_until};
use gocsp::{Chan, Runtime, Select};

/// A two-worker runtime of the test's own (leaked: runtimes are cheap and never freed). A
/// failed assertion in one of its goroutines comes back through `join`.
fn two_workers() -> &'static Runtime {
    Box::leak(Box::new(
        Runtime::builder()
            .workers(2)
            .panic_policy(gocsp::PanicPolicy::Continue)
            .build()
            .unwrap(),
    ))
}

fn me() -> ThreadId {
    std::thread::current().id()
}

#[test]
fn ping_pong_stays_on_the_spawners_worker() {
    let rt = two_workers();
    let n = scaled(50_000, 5_000);
    let (parent, child) = rt.block_on(move || {
        let parent = me();
        let ping: Chan<usize> = Chan::new(0);
        let pong: Chan<usize> = Chan::new(0);
        let (rx, tx) = (ping.receiver(), pong.sender());
        let child = gocsp::spawn(move || {
            let home = me();
            for v in &rx {
                assert_eq!(me(), home, "the child moved");
                tx.send(v + 1);
            }
            home
        });
        for i in 0..n {
            ping.send(i);
            assert_eq!(pong.recv(), Some(i + 1));
            assert_eq!(me(), parent, "the parent moved");
        }
        ping.close();
        (parent, child.join().unwrap())
    });
    assert_eq!(
        parent, child,
        "a goroutine starts on its spawner's worker (runnext), so the pair shares a thread"
    );
}

/// Four producers started by their consumer, each filling a buffered channel of its own that
/// the consumer selects over: they talk only to it, and start beside it. The consumer and the
/// producer it woke last hand the worker to each other through `runnext`; the producers still
/// unstarted must get their first run before the grace period after which an idle worker may
/// take them (they used to wait behind that pair until a thief took them, in 5 to 8 of 20
/// rounds, and then every message crossed workers: 2-7x the time a select). A round counts as
/// away if any producer started on the other worker; the bound leaves room for a worker the
/// OS kept off its core past the grace period, on a loaded machine.
#[test]
fn producers_started_by_their_consumer_start_beside_it() {
    let rt = two_workers();
    let rounds = 20;
    let per_producer = scaled(50_000, 5_000);
    // A consumer's run (it drains every buffer before it blocks) stays well under the grace
    // period in either build.
    let cap = scaled(1024, 64);
    let mut away_rounds = 0;
    for _ in 0..rounds {
        let started: Arc<Mutex<Vec<ThreadId>>> = Arc::default();
        let s = started.clone();
        let consumer = rt.block_on(move || {
            let chans: [Chan<usize>; 4] = std::array::from_fn(|_| Chan::new(cap));
            for ch in &chans {
                let (tx, s) = (ch.sender(), s.clone());
                gocsp::go(move || {
                    s.lock().unwrap().push(me());
                    for j in 0..per_producer {
                        tx.send(j);
                    }
                });
            }
            let [r0, r1, r2, r3] = [0, 1, 2, 3].map(|i| chans[i].receiver());
            let mut sum = 0;
            for _ in 0..4 * per_producer {
                sum += gocsp::select! {
                    v = <-r0 => v,
                    v = <-r1 => v,
                    v = <-r2 => v,
                    v = <-r3 => v,
                };
            }
            assert_eq!(sum, 4 * (per_producer - 1) * per_producer / 2);
            me()
        });
        let started = started.lock().unwrap();
        assert_eq!(started.len(), 4);
        if started.iter().any(|t| *t != consumer) {
            away_rounds += 1;
        }
    }
    assert!(
        away_rounds <= 2,
        "producers started away from their consumer in {away_rounds} of {rounds} rounds"
    );
}

#[test]
fn ping_pong_across_two_workers() {
    let rt = two_workers();
    let n = scaled(20_000, 2_000);
    let b_thread: Arc<Mutex<Option<ThreadId>>> = Arc::default();
    let ping: Chan<usize> = Chan::new(0);
    let pong: Chan<usize> = Chan::new(0);

    // A starts B, then holds its worker, spinning, until B has started: B can only start on
    // the other worker (taken from A's queue by the idle worker).
    let a = rt.spawn(move || {
        let home = me();
        let b = {
            let (b_thread, ping, pong) = (b_thread.clone(), ping.clone(), pong.clone());
            gocsp::spawn(move || {
                let home = me();
                *b_thread.lock().unwrap() = Some(home);
                for v in &ping {
                    pong.send(v * 2);
                    assert_eq!(me(), home, "B moved");
                }
                home
            })
        };
        let start = std::time::Instant::now();
        while b_thread.lock().unwrap().is_none() {
            assert!(
                start.elapsed() < HANG_GUARD,
                "B never started while A held the other worker"
            );
            std::hint::spin_loop();
        }
        for i in 0..n {
            ping.send(i);
            assert_eq!(pong.recv(), Some(i * 2));
            assert_eq!(me(), home, "A moved");
        }
        ping.close();
        (home, b.join().unwrap())
    });
    let (ta, tb) = a.join().unwrap();
    assert_ne!(ta, tb, "A and B were meant to be on different workers");
}

#[test]
fn an_idle_worker_starts_a_goroutine_spawned_while_the_others_are_busy() {
    // A holds one worker (a long computation, no gocsp operation); the other worker has gone
    // to sleep. A goroutine spawned now from a plain thread must start on the idle worker
    // rather than wait for A. (Go wakes an idle P for new work.)
    let rt = two_workers();
    let a_running = Arc::new(AtomicBool::new(false));
    let b_started = Arc::new(AtomicBool::new(false));
    let (r, s) = (a_running.clone(), b_started.clone());
    let a = rt.spawn(move || {
        r.store(true, Ordering::SeqCst);
        let start = std::time::Instant::now();
        while !s.load(Ordering::SeqCst) {
            if start.elapsed() > HANG_GUARD {
                return false;
            }
            std::hint::spin_loop();
        }
        true
    });
    wait_until("A to run", || a_running.load(Ordering::SeqCst));
    // Long enough for the other worker to give up searching and sleep.
    std::thread::sleep(Duration::from_millis(50));
    let s = b_started.clone();
    let b = rt.spawn(move || s.store(true, Ordering::SeqCst));
    assert!(
        a.join().unwrap(),
        "the goroutine spawned from a thread did not start while a worker sat idle"
    );
    b.join().unwrap();
}

/// What one goroutine of the stability test does, `rounds` times, with its partner.
fn stability_worker(
    ping: bool,
    rounds: usize,
    seed: u64,
    pair: (Chan<u64>, Chan<u64>),
    lock: Arc<gocsp::sync::Mutex<u64>>,
    moves: Arc<AtomicUsize>,
    homes: Arc<Mutex<HashSet<ThreadId>>>,
) -> ThreadId {
    thread_local! {
        static MARK: u8 = const { 0 };
    }
    let home = me();
    // Hold this worker until some goroutine has started on the other one: goroutines that park
    // at once would otherwise all start on the first worker that picks them up, and the check
    // below would prove little.
    homes.lock().unwrap().insert(home);
    let start = std::time::Instant::now();
    while homes.lock().unwrap().len() < 2 && start.elapsed() < HANG_GUARD {
        std::hint::spin_loop();
    }
    let tls = MARK.with(|m| m as *const u8 as usize);
    let mut rng = Rng::new(seed);
    let (unbuffered, buffered) = pair;
    let check = |what: &str| {
        if me() != home || MARK.with(|m| m as *const u8 as usize) != tls {
            moves.fetch_add(1, Ordering::SeqCst);
            eprintln!("a goroutine changed threads after {what}");
        }
    };
    for r in 0..rounds as u64 {
        // Both partners draw the same operation from the same seed.
        match rng.below(7) {
            0 => {
                if ping {
                    unbuffered.send(r);
                } else {
                    assert_eq!(unbuffered.recv(), Some(r));
                }
                check("an unbuffered channel operation");
            }
            1 => {
                if ping {
                    buffered.send(r);
                } else {
                    assert_eq!(buffered.recv(), Some(r));
                }
                check("a buffered channel operation");
            }
            2 => {
                let never: Chan<u64> = Chan::new(0);
                let mut sel = Select::new();
                sel.recv(&never);
                if ping {
                    let s = sel.send(&unbuffered, r);
                    assert_eq!(sel.select(), s);
                } else {
                    let rc = sel.recv(&unbuffered);
                    assert_eq!(sel.select(), rc.index());
                    assert_eq!(sel.take(rc), Some(r));
                }
                check("a select");
            }
            3 => {
                gocsp::time::sleep(Duration::from_micros(rng.below(30) + 1));
                check("a sleep");
            }
            4 => {
                gocsp::yield_now();
                check("a yield");
            }
            5 => {
                *lock.lock() += 1;
                check("a mutex lock");
            }
            _ => {
                let v = gocsp::blocking(|| r);
                assert_eq!(v, r);
                check("a blocking call");
            }
        }
    }
    home
}

#[test]
fn a_started_goroutine_never_changes_threads() {
    let _dog = Watchdog::new("the thread-id stability test", Duration::from_secs(240));
    let rt = two_workers();
    let pairs = 20;
    let rounds = scaled(2_000, 1_000);
    let seed = test_seed(0x7E4D);
    let moves = Arc::new(AtomicUsize::new(0));
    let lock = Arc::new(gocsp::sync::Mutex::new(0u64));
    // Background churn: short-lived goroutines keep both workers' queues and stealers busy.
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let stop = stop.clone();
        rt.spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..64 {
                    gocsp::go(|| {});
                }
                gocsp::time::sleep(Duration::from_micros(50));
            }
        })
    };
    let started: Arc<Mutex<HashSet<ThreadId>>> = Arc::default();
    let mut hs = Vec::new();
    for p in 0..pairs {
        let pair = (Chan::new(0), Chan::new(1));
        for ping in [true, false] {
            let (pair, lock, moves, started) =
                (pair.clone(), lock.clone(), moves.clone(), started.clone());
            let s = seed.wrapping_add(p);
            hs.push(
                rt.spawn(move || stability_worker(ping, rounds, s, pair, lock, moves, started)),
            );
        }
    }
    let homes: HashSet<ThreadId> = hs.into_iter().map(|h| h.join().unwrap()).collect();
    stop.store(true, Ordering::Relaxed);
    churn.join().unwrap();
    assert_eq!(
        moves.load(Ordering::SeqCst),
        0,
        "goroutines changed threads"
    );
    assert!(*lock.lock() > 0);
    // The check has teeth only if goroutines ran on both workers.
    assert_eq!(
        homes.len(),
        2,
        "all goroutines ran on one worker: the test proves little"
    );
}

#[test]
fn channels_between_the_test_thread_and_goroutines_both_ways() {
    // Jobs flow from this thread to eight goroutines; each job makes the goroutine ask this
    // thread a question and wait for the answer; results flow back here.
    let jobs: Chan<u64> = Chan::new(0);
    let questions: Chan<(u64, gocsp::Sender<u64>)> = Chan::new(0);
    let results: Chan<u64> = Chan::new(4);
    let n = scaled(5_000, 500) as u64;
    for _ in 0..8 {
        let (jobs, questions, results) = (jobs.receiver(), questions.sender(), results.sender());
        gocsp::go(move || {
            let answers: Chan<u64> = Chan::new(0);
            for j in &jobs {
                questions.send((j, answers.sender()));
                let a = answers.recv().unwrap();
                results.send(a + 1);
            }
        });
    }
    let mut sent = 0;
    let mut sum = 0;
    let mut received = 0;
    while received < n {
        let mut sel = Select::new();
        let sj = if sent < n {
            Some(sel.send(&jobs, sent))
        } else {
            None
        };
        let rq = sel.recv(&questions);
        let rr = sel.recv(&results);
        let i = sel.select();
        if Some(i) == sj {
            sent += 1;
        } else if i == rq.index() {
            let (q, reply) = sel.take(rq).unwrap();
            reply.send(q * 2);
        } else {
            sum += sel.take(rr).unwrap();
            received += 1;
        }
    }
    jobs.close();
    assert_eq!(sum, (0..n).map(|j| j * 2 + 1).sum::<u64>());
}
