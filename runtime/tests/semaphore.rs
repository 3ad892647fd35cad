//! `gocsp::sync::Semaphore`, with x/sync's `semaphore_test.go` ported: the hammer test
//! (`TestWeighted`), `TestWeightedPanic`, `TestWeightedTryAcquire`, `TestWeightedAcquire`
//! (context cancellation), `TestWeightedDoesntBlockIfTooBig`, `TestLargeAcquireDoesntStarve`,
//! `TestAllocCancelDoesntStarve`.
#![cfg(not(loom))]
// Under Miri the goroutine tests are compiled out (see .ci/miri); their helpers go unused.
#![cfg_attr(miri, allow(unused))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{panic_of, scaled};
use gocsp::context::{self, Error as CtxError};
use gocsp::sync::Semaphore;
use gocsp::time;

/// Go's `HammerWeighted`: acquire and release random-ish weights up to `n`.
fn hammer(sem: &Semaphore, n: usize, loops: usize) {
    let ctx = context::background();
    for i in 0..loops {
        let w = 1 + i % n;
        sem.acquire(&ctx, w).unwrap();
        std::hint::spin_loop();
        sem.release(w);
    }
}

// A blocked `acquire` selects, and the select's generator reads the wall clock for its seed,
// which Miri's isolation forbids.
#[cfg(not(miri))]
#[test]
fn weighted_hammer_on_threads() {
    let n = 4;
    let loops = scaled(2_000, 200);
    let sem = Semaphore::new(n);
    let ts: Vec<_> = (0..n)
        .map(|_| {
            let sem = sem.clone();
            std::thread::spawn(move || hammer(&sem, n, loops))
        })
        .collect();
    ts.into_iter().for_each(|t| t.join().unwrap());
    assert!(sem.try_acquire(n), "every unit came back");
}

#[cfg(not(miri))]
#[test]
fn weighted_hammer_on_goroutines() {
    let n = 8;
    let loops = scaled(5_000, 500);
    let sem = Semaphore::new(n);
    let wg = gocsp::WaitGroup::new();
    for _ in 0..2 * n {
        wg.add(1);
        let (sem, wg) = (sem.clone(), wg.clone());
        gocsp::go(move || {
            hammer(&sem, n, loops);
            wg.done();
        });
    }
    wg.wait();
    assert!(sem.try_acquire(n), "every unit came back");
}

#[test]
fn release_more_than_held_panics() {
    let sem = Semaphore::new(1);
    assert_eq!(
        panic_of(|| sem.release(1)),
        "semaphore: released more than held"
    );
}

#[test]
fn try_acquire() {
    let ctx = context::background();
    let s = Semaphore::new(2);
    let tries = [
        s.acquire(&ctx, 1).is_ok(),
        s.try_acquire(1),
        s.try_acquire(1),
        {
            s.release(2);
            s.try_acquire(1)
        },
        {
            s.acquire(&ctx, 1).unwrap();
            s.try_acquire(1)
        },
    ];
    assert_eq!(tries, [true, true, false, true, false]);
}

// A blocked `acquire` selects, and the select's generator reads the wall clock for its seed,
// which Miri's isolation forbids.
#[cfg(not(miri))]
#[test]
fn acquire_fails_with_the_contexts_error() {
    let ctx = context::background();
    let s = Semaphore::new(2);
    let (cancelled, cancel) = context::with_cancel(&ctx);
    cancel();
    // A done context fails even when the units are free.
    assert_eq!(s.acquire(&cancelled, 1), Err(CtxError::Canceled));
    s.acquire(&ctx, 2).unwrap();
    let (short, _c) = context::with_timeout(&ctx, time::MILLISECOND);
    assert_eq!(s.acquire(&short, 1), Err(CtxError::DeadlineExceeded));
    s.release(2);
    // The failed request left nothing behind: all units are free.
    assert!(s.try_acquire(2));
}

#[test]
fn a_request_bigger_than_the_size_waits_for_the_context() {
    // Go's TestWeightedDoesntBlockIfTooBig: the big request fails once its context is done,
    // and does not hold back the requests behind it.
    let n = 2;
    let sem = Semaphore::new(n);
    let ctx = context::background();
    sem.acquire(&ctx, n).unwrap();
    let (short, cancel) = context::with_cancel(&ctx);
    let s = sem.clone();
    let big = std::thread::spawn(move || s.acquire(&short, n + 1));
    cancel();
    assert_eq!(big.join().unwrap(), Err(CtxError::Canceled));
    sem.release(n);
    assert!(sem.try_acquire(n));
}

#[cfg(not(miri))]
#[test]
fn a_large_request_is_not_starved_by_small_ones() {
    // Go's TestLargeAcquireDoesntStarve: many goroutines cycle single units; a request for
    // all of them still gets through.
    let n = 8;
    let sem = Semaphore::new(n);
    let running = Arc::new(AtomicBool::new(true));
    let wg = gocsp::WaitGroup::new();
    let ctx = context::background();
    sem.acquire(&ctx, n).unwrap();
    for _ in 0..n {
        wg.add(1);
        let (sem, running, wg, ctx) = (sem.clone(), running.clone(), wg.clone(), ctx.clone());
        gocsp::go(move || {
            sem.acquire(&ctx, 1).unwrap();
            while running.load(Ordering::SeqCst) {
                time::sleep(time::MICROSECOND);
                sem.release(1);
                sem.acquire(&ctx, 1).unwrap();
            }
            sem.release(1);
            wg.done();
        });
    }
    sem.release(n);
    sem.acquire(&ctx, n).unwrap();
    running.store(false, Ordering::SeqCst);
    sem.release(n);
    wg.wait();
}

// A blocked `acquire` selects, and the select's generator reads the wall clock for its seed,
// which Miri's isolation forbids.
#[cfg(not(miri))]
#[test]
fn a_cancelled_large_request_lets_the_small_ones_behind_it_through() {
    // Go's TestAllocCancelDoesntStarve: a large request at the head is cancelled; the small
    // one queued behind it must then be served.
    let sem = Semaphore::new(10);
    let ctx = context::background();
    sem.acquire(&ctx, 1).unwrap();
    let (big_ctx, cancel) = context::with_cancel(&ctx);
    let s = sem.clone();
    let big = std::thread::spawn(move || s.acquire(&big_ctx, 10));
    common::wait_until("the large request to queue", || {
        format!("{sem:?}").contains("waiting: 1")
    });
    let s = sem.clone();
    let small = std::thread::spawn(move || s.acquire(&context::background(), 1));
    common::wait_until("the small request to queue", || {
        format!("{sem:?}").contains("waiting: 2")
    });
    cancel();
    assert_eq!(big.join().unwrap(), Err(CtxError::Canceled));
    assert_eq!(
        small.join().unwrap(),
        Ok(()),
        "the small request was starved"
    );
    sem.release(2);
}
