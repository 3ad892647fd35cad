//! `gocsp::sync::Once`, with Go's `sync/once_test.go` ported (`TestOnce`, `TestOncePanic`), and
//! what std's `OnceLock` cannot do: a goroutine waiting for an initialiser parked on the same
//! worker parks too, so both finish.
#![cfg(not(loom))]
// Under Miri the goroutine tests are compiled out (see .ci/miri); their helpers go unused.
#![cfg_attr(miri, allow(unused))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{panic_of, wait_blocked};
use gocsp::sync::Once;
use gocsp::{Chan, Runtime};

/// Go's `run`: call `once.Do(incr)` and check the count is exactly one afterwards.
fn run(once: &Once, count: &AtomicUsize) {
    once.call_once(|| {
        count.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(count.load(Ordering::SeqCst), 1, "once failed inside run");
}

#[test]
fn once_on_threads() {
    let once = Arc::new(Once::new());
    let count = Arc::new(AtomicUsize::new(0));
    let ts: Vec<_> = (0..4)
        .map(|_| {
            let (once, count) = (once.clone(), count.clone());
            std::thread::spawn(move || run(&once, &count))
        })
        .collect();
    ts.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(once.is_done());
}

#[cfg(not(miri))]
#[test]
fn once_on_goroutines() {
    // Go's TestOnce: ten goroutines.
    let once = Arc::new(Once::new());
    let count = Arc::new(AtomicUsize::new(0));
    let c: Chan<()> = Chan::new(0);
    for _ in 0..10 {
        let (once, count, c) = (once.clone(), count.clone(), c.clone());
        gocsp::go(move || {
            run(&once, &count);
            c.send(());
        });
    }
    for _ in 0..10 {
        c.recv();
    }
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[test]
fn once_counts_a_panic_as_done() {
    // Go's TestOncePanic.
    let once = Once::new();
    assert_eq!(
        panic_of(|| once.call_once(|| panic!("failed"))),
        "failed",
        "the panic goes on in the caller that ran the function"
    );
    assert!(once.is_done());
    once.call_once(|| panic!("Once.Do called twice"));
}

#[cfg(not(miri))]
#[test]
fn a_waiter_parks_while_the_initialiser_is_parked_on_the_same_worker() {
    // One worker: the initialiser parks on a channel; a second goroutine calls `call_once` on
    // that worker. With a thread-blocking once, the worker would be stuck in the waiter and
    // the initialiser could never resume.
    let rt = Runtime::builder().workers(1).build().unwrap();
    let once = Arc::new(Once::new());
    let gate: Chan<()> = Chan::new(0);
    let value = Arc::new(AtomicUsize::new(0));
    let (o, g, v) = (once.clone(), gate.clone(), value.clone());
    let init = rt.spawn(move || {
        o.call_once(|| {
            g.recv();
            v.store(42, Ordering::SeqCst);
        })
    });
    wait_blocked(init.id(), "chan receive");
    let (o, v) = (once.clone(), value.clone());
    let waiter = rt.spawn(move || {
        o.call_once(|| unreachable!("the function runs once"));
        v.load(Ordering::SeqCst)
    });
    let info = wait_blocked(waiter.id(), "sync.Once.Do");
    let gocsp::GoroutineState::Blocked { site, .. } = info.state else {
        unreachable!()
    };
    assert_eq!(site.map(|s| s.file()), Some(file!()));
    // The worker is free: it runs a third goroutine while both are parked.
    assert_eq!(rt.spawn(|| 7).join().unwrap(), 7);
    gate.send(());
    init.join().unwrap();
    assert_eq!(
        waiter.join().unwrap(),
        42,
        "the waiter saw the initialised value"
    );
}
