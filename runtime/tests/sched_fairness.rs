//! Scheduler fairness on one worker: `yield_now` lets the others run, and a pair of goroutines
//! ping-ponging through the `runnext` slot cannot starve a third one, whether it was queued on
//! the worker, spawned from another thread, or woken from another thread.
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
