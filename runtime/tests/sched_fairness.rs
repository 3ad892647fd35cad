//! Scheduler fairness on one worker: `yield_now` lets the others run, and a pair of goroutines
//! ping-ponging through the `runnext` slot cannot starve a third one, whether it was queued on
//! the worker, spawned from another thread, or woken from another thread; and a goroutine woken
//! from elsewhere runs before one woken on the worker.
//!
//! Every test runs its goroutines on a one-worker runtime of its own and waits for the outcome
//! from the test thread with a hang guard, so starvation fails the test instead of hanging it.
#![cfg(not(loom))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

use common::{HANG_GUARD, wait_blocked};
use gocsp::{Chan, Runtime};

fn one_worker() -> &'static Runtime {
    Box::leak(Box::new(Runtime::builder().workers(1).build().unwrap()))
}

/// Starts a ping-pong pair on `rt` that runs until `stop` is set; returns how many round trips
/// it made through `trips`.
fn start_pair(rt: &Runtime, stop: Arc<AtomicBool>, trips: Arc<AtomicU64>) {
    let ping: Chan<u64> = Chan::new(0);
    let pong: Chan<u64> = Chan::new(0);
    let (rx, tx) = (ping.receiver(), pong.sender());
    rt.spawn(move || {
        for v in &rx {
            tx.send(v);
        }
    });
    rt.spawn(move || {
        let mut i = 0;
        while !stop.load(Ordering::SeqCst) {
            ping.send(i);
            pong.recv();
            i += 1;
            trips.store(i, Ordering::SeqCst);
        }
        ping.close();
    });
}

#[test]
fn yield_now_lets_the_others_run() {
    let rt = one_worker();
    let flag = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let f = flag.clone();
    rt.spawn(move || {
        let mut spins = 0u64;
        while !f.load(Ordering::SeqCst) {
            gocsp::yield_now();
            spins += 1;
        }
        let _ = tx.send(spins);
    });
    let f = flag.clone();
    rt.spawn(move || f.store(true, Ordering::SeqCst));
    assert!(
        rx.recv_timeout(HANG_GUARD).is_ok(),
        "a goroutine calling yield_now in a loop starved the one that would stop it"
    );
}

#[test]
fn a_ping_pong_pair_does_not_starve_a_goroutine_spawned_from_a_thread() {
    let rt = one_worker();
    let stop = Arc::new(AtomicBool::new(false));
    let trips = Arc::new(AtomicU64::new(0));
    start_pair(rt, stop.clone(), trips.clone());
    common::wait_until("the pair to get going", || {
        trips.load(Ordering::SeqCst) > 100
    });
    let (tx, rx) = mpsc::channel();
    rt.spawn(move || {
        stop.store(true, Ordering::SeqCst);
        let _ = tx.send(());
    });
    assert!(
        rx.recv_timeout(HANG_GUARD).is_ok(),
        "the ping-pong pair starved a goroutine queued from another thread"
    );
}

#[test]
fn a_ping_pong_pair_does_not_starve_a_goroutine_queued_on_its_worker() {
    // The pair's driver itself starts the goroutine that will stop it, mid-game: that
    // goroutine waits in the worker's own queues while the pair keeps the runnext slot busy.
    let rt = one_worker();
    let (tx, rx) = mpsc::channel();
    rt.spawn(move || {
        let stop = Arc::new(AtomicBool::new(false));
        let ping: Chan<u64> = Chan::new(0);
        let pong: Chan<u64> = Chan::new(0);
        let (prx, ptx) = (ping.receiver(), pong.sender());
        gocsp::go(move || {
            for v in &prx {
                ptx.send(v);
            }
        });
        let mut i = 0u64;
        while !stop.load(Ordering::SeqCst) {
            if i == 100 {
                let (s, tx) = (stop.clone(), tx.clone());
                gocsp::go(move || {
                    s.store(true, Ordering::SeqCst);
                    let _ = tx.send(());
                });
            }
            ping.send(i);
            pong.recv();
            i += 1;
        }
        ping.close();
    });
    assert!(
        rx.recv_timeout(HANG_GUARD).is_ok(),
        "the ping-pong pair starved a goroutine queued on its own worker"
    );
}

#[test]
fn a_ping_pong_pair_does_not_starve_a_yielding_goroutine() {
    // Go's Gosched puts the goroutine on the global queue, which the scheduler looks at
    // regularly however busy the local one is.
    let rt = one_worker();
    let stop = Arc::new(AtomicBool::new(false));
    let trips = Arc::new(AtomicU64::new(0));
    start_pair(rt, stop.clone(), trips.clone());
    common::wait_until("the pair to get going", || {
        trips.load(Ordering::SeqCst) > 100
    });
    let (tx, rx) = mpsc::channel();
    rt.spawn(move || {
        for _ in 0..10 {
            gocsp::yield_now();
        }
        stop.store(true, Ordering::SeqCst);
        let _ = tx.send(());
    });
    assert!(
        rx.recv_timeout(HANG_GUARD).is_ok(),
        "a goroutine that called yield_now never ran again while a pair ping-ponged"
    );
}

#[test]
fn a_ping_pong_pair_does_not_starve_a_goroutine_woken_from_a_thread() {
    let rt = one_worker();
    let stop = Arc::new(AtomicBool::new(false));
    let trips = Arc::new(AtomicU64::new(0));
    // A goroutine parked on a channel, to be woken from this thread while the pair runs.
    let wake: Chan<()> = Chan::new(0);
    let (tx, rx) = mpsc::channel();
    let (w, s) = (wake.clone(), stop.clone());
    let sleeper = rt.spawn(move || {
        w.recv();
        s.store(true, Ordering::SeqCst);
        let _ = tx.send(());
    });
    wait_blocked(sleeper.id(), "chan receive");
    start_pair(rt, stop, trips.clone());
    common::wait_until("the pair to get going", || {
        trips.load(Ordering::SeqCst) > 100
    });
    wake.send(());
    assert!(
        rx.recv_timeout(HANG_GUARD).is_ok(),
        "the ping-pong pair starved a goroutine woken from another thread"
    );
}

/// A goroutine woken from elsewhere (here: this thread) runs before one woken on its worker,
/// since the party that woke it may be waiting for it. On one worker: `g` wakes `l1` then
/// `l2` (each hand-off puts the woken one in `runnext`, so `l1` moves to the worker's `local`
/// queue), then this thread wakes `r` (into the worker's inbox); `l1` must run last. (`l2`, in
/// `runnext`, normally runs first, but every 61st pick looks at the inbox before `runnext`,
/// so where `r` and `l2` fall depends on the worker's tick; the order used to be `l2`, `l1`,
/// `r`.)
#[test]
fn a_goroutine_woken_from_elsewhere_runs_before_one_woken_here() {
    let rt = one_worker();
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (done_tx, done_rx) = mpsc::channel();
    let parked = |name: &'static str| {
        let ch: Chan<()> = Chan::new(0);
        let (c, order, done) = (ch.clone(), order.clone(), done_tx.clone());
        let h = rt.spawn(move || {
            c.recv();
            order.lock().unwrap().push(name);
            let _ = done.send(());
        });
        wait_blocked(h.id(), "chan receive");
        ch
    };
    let (l1, l2, r) = (parked("l1"), parked("l2"), parked("r"));
    let r_woken = Arc::new(AtomicBool::new(false));
    let (started_tx, started_rx) = mpsc::channel();
    let woken = r_woken.clone();
    rt.spawn(move || {
        l1.send(());
        l2.send(());
        let _ = started_tx.send(());
        // Hold the worker until this thread has queued `r`.
        while !woken.load(Ordering::SeqCst) {
            std::hint::spin_loop();
        }
    });
    started_rx.recv_timeout(HANG_GUARD).expect("g ran");
    r.send(());
    r_woken.store(true, Ordering::SeqCst);
    for _ in 0..3 {
        done_rx.recv_timeout(HANG_GUARD).expect("all three ran");
    }
    let order = order.lock().unwrap();
    assert_eq!(order.last(), Some(&"l1"), "order: {order:?}");
}
