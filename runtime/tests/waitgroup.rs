//! `WaitGroup`: `wait` returns once the counter is zero, a negative counter panics with Go's
//! message, clones share one counter, and it works from goroutines and threads alike.
#![cfg(not(loom))]
// Under Miri the goroutine tests are compiled out (see .ci/miri); their helpers go unused.
#![cfg_attr(miri, allow(unused))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{panic_of, scaled, wait_blocked};
use gocsp::WaitGroup;

#[cfg(not(miri))]
#[test]
fn wait_at_zero_returns_at_once() {
    let wg = WaitGroup::new();
    wg.wait();
    assert_eq!(wg.count(), 0);
    gocsp::spawn(move || wg.wait()).join().unwrap();
}

#[cfg(not(miri))]
#[test]
fn wait_returns_when_the_counter_reaches_zero() {
    let wg = WaitGroup::new();
    let hits = Arc::new(AtomicUsize::new(0));
    for _ in 0..50 {
        wg.add(1);
        let (wg, hits) = (wg.clone(), hits.clone());
        gocsp::go(move || {
            gocsp::time::sleep(Duration::from_millis(1));
            hits.fetch_add(1, Ordering::SeqCst);
            wg.done();
        });
    }
    wg.wait();
    assert_eq!(hits.load(Ordering::SeqCst), 50);
    assert_eq!(wg.count(), 0);
}

#[cfg(not(miri))]
#[test]
fn a_goroutine_waiter_parks_until_done() {
    let wg = WaitGroup::new();
    wg.add(2);
    let w = wg.clone();
    let h = gocsp::spawn(move || w.wait());
    wait_blocked(h.id(), "sync.WaitGroup.Wait");
    wg.done();
    // Still one to go.
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(
        common::blocked_reason(h.id()).as_deref(),
        Some("sync.WaitGroup.Wait")
    );
    wg.done();
    h.join().unwrap();
}

#[cfg(not(miri))]
#[test]
fn every_waiter_is_released() {
    let wg = WaitGroup::new();
    wg.add(1);
    let goroutines: Vec<_> = (0..5)
        .map(|_| {
            let w = wg.clone();
            gocsp::spawn(move || w.wait())
        })
        .collect();
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let w = wg.clone();
            std::thread::spawn(move || w.wait())
        })
        .collect();
    for h in &goroutines {
        wait_blocked(h.id(), "sync.WaitGroup.Wait");
    }
    // Done from a thread that is not a waiter.
    std::thread::spawn(move || wg.done()).join().unwrap();
    goroutines.into_iter().for_each(|h| h.join().unwrap());
    threads.into_iter().for_each(|t| t.join().unwrap());
}

#[cfg(not(miri))]
#[test]
fn a_thread_waits_for_goroutines_and_a_goroutine_for_threads() {
    let wg = WaitGroup::new();
    wg.add(4);
    for _ in 0..4 {
        let w = wg.clone();
        gocsp::go(move || w.done());
    }
    wg.wait();

    let wg = WaitGroup::new();
    wg.add(3);
    for _ in 0..3 {
        let w = wg.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(2));
            w.done();
        });
    }
    let w = wg.clone();
    gocsp::spawn(move || w.wait()).join().unwrap();
    assert_eq!(wg.count(), 0);
}

#[test]
fn negative_counter_panics() {
    let wg = WaitGroup::new();
    assert_eq!(panic_of(|| wg.done()), "sync: negative WaitGroup counter");
    wg.add(1);
    assert_eq!(panic_of(|| wg.add(-2)), "sync: negative WaitGroup counter");
    // The failed add changed nothing.
    assert_eq!(wg.count(), 1);
    wg.done();
    wg.wait();
}

#[test]
fn clones_share_one_counter() {
    let a = WaitGroup::new();
    let b = a.clone();
    a.add(3);
    assert_eq!(b.count(), 3);
    b.add(-2);
    assert_eq!(a.count(), 1);
    b.done();
    a.wait();
    assert_eq!(format!("{a:?}"), "WaitGroup { count: 0 }");
    fn assert_send_sync<T: Send + Sync + Clone + Default>() {}
    assert_send_sync::<WaitGroup>();
}

/// Many rounds of reuse, each `Wait` checked: the waker of one round's zero, still on its way
/// to the waiters' lock when the next round began, woke that round's `Wait` early (found
/// about once in a thousand runs of the 20-round test below).
#[cfg(not(miri))]
#[test]
fn a_wait_returns_only_at_zero_however_fast_the_rounds_follow() {
    let wg = WaitGroup::new();
    for round in 0..scaled(20_000, 4_000) {
        let n = round % 3 + 1;
        wg.add(n as i64);
        for _ in 0..n {
            let w = wg.clone();
            gocsp::go(move || w.done());
        }
        wg.wait();
        assert_eq!(wg.count(), 0, "round {round}: Wait returned above zero");
    }
}

#[cfg(not(miri))]
#[test]
fn reuse_after_reaching_zero() {
    let wg = WaitGroup::new();
    for round in 0..20 {
        wg.add(round % 4 + 1);
        for _ in 0..round % 4 + 1 {
            let w = wg.clone();
            gocsp::go(move || w.done());
        }
        wg.wait();
        assert_eq!(wg.count(), 0);
    }
}
