//! `gocsp::sync::RWMutex`, with Go's `sync/rwmutex_test.go` ported: readers hold the lock
//! together, writers alone (the hammer test), a waiting writer keeps new readers out, parked
//! goroutines free their worker, and unlocking an unlocked lock panics at the caller's line.
#![cfg(not(loom))]
// Under Miri the goroutine tests are compiled out (see .ci/miri); their helpers go unused.
#![cfg_attr(miri, allow(unused))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use common::{panic_of, scaled, wait_blocked};
use gocsp::sync::RWMutex;
use gocsp::{Chan, WaitGroup};

/// Go's `parallelReader`: take the read lock, say so, and hold it until told to let go.
fn parallel_reader(m: &RWMutex<()>, locked: &Chan<()>, release: &Chan<()>) {
    let _g = m.rlock();
    locked.send(());
    release.recv();
}

/// Go's `doTestParallelReaders`: every reader holds the read lock at the same time (each
/// reports before any is released), or this never finishes.
fn parallel_readers(readers: usize, spawn: impl Fn(Box<dyn FnOnce() + Send>)) {
    let m = Arc::new(RWMutex::new(()));
    let (locked, release) = (Chan::new(readers), Chan::new(readers));
    let wg = WaitGroup::new();
    for _ in 0..readers {
        let (m, locked, release, wg) = (m.clone(), locked.clone(), release.clone(), wg.clone());
        wg.add(1);
        spawn(Box::new(move || {
            parallel_reader(&m, &locked, &release);
            wg.done();
        }));
    }
    for _ in 0..readers {
        locked.recv();
    }
    assert!(
        m.try_lock().is_none(),
        "a writer got in while readers held it"
    );
    for _ in 0..readers {
        release.send(());
    }
    wg.wait();
    assert!(m.try_lock().is_some());
}

#[test]
fn parallel_readers_on_threads() {
    for readers in [1, 3, 4] {
        parallel_readers(readers, |f| drop(std::thread::spawn(f)));
    }
}

#[cfg(not(miri))]
#[test]
fn parallel_readers_on_goroutines() {
    for readers in [1, 3, 4, 10] {
        parallel_readers(readers, |f| gocsp::go(f));
    }
}

/// Go's `reader`/`writer` of `HammerRWMutex`: `activity` counts readers as 1 and writers as
/// 10000; any other holder seen inside the critical section is a failure.
fn hammer_reader(m: &RWMutex<()>, activity: &AtomicI64, rounds: usize) {
    for _ in 0..rounds {
        let _g = m.rlock();
        let n = activity.fetch_add(1, Ordering::SeqCst) + 1;
        assert!((1..10_000).contains(&n), "rlock({n})");
        for _ in 0..10 {
            std::hint::spin_loop();
        }
        activity.fetch_sub(1, Ordering::SeqCst);
    }
}

fn hammer_writer(m: &RWMutex<()>, activity: &AtomicI64, rounds: usize) {
    for _ in 0..rounds {
        let _g = m.lock();
        let n = activity.fetch_add(10_000, Ordering::SeqCst) + 10_000;
        assert_eq!(n, 10_000, "wlock({n})");
        for _ in 0..10 {
            std::hint::spin_loop();
        }
        activity.fetch_sub(10_000, Ordering::SeqCst);
    }
}

/// Go's `HammerRWMutex(gomaxprocs, numReaders, numIterations)`: two writers and many readers.
fn hammer(readers: usize, rounds: usize, spawn: impl Fn(Box<dyn FnOnce() + Send>)) {
    let m = Arc::new(RWMutex::new(()));
    let activity = Arc::new(AtomicI64::new(0));
    let wg = WaitGroup::new();
    let start = |writer: bool| {
        let (m, activity, wg) = (m.clone(), activity.clone(), wg.clone());
        wg.add(1);
        spawn(Box::new(move || {
            if writer {
                hammer_writer(&m, &activity, rounds);
            } else {
                hammer_reader(&m, &activity, rounds);
            }
            wg.done();
        }));
    };
    start(true);
    for i in 0..readers {
        start(false);
        if i == readers / 2 {
            start(true);
        }
    }
    wg.wait();
    assert_eq!(activity.load(Ordering::SeqCst), 0);
}

#[test]
fn hammer_on_threads() {
    let rounds = scaled(1_000, 100);
    for readers in [1, 3, 6] {
        hammer(readers, rounds, |f| drop(std::thread::spawn(f)));
    }
}

#[cfg(not(miri))]
#[test]
fn hammer_on_goroutines_and_threads() {
    let rounds = scaled(2_000, 200);
    for readers in [1, 3, 10] {
        hammer(readers, rounds, |f| gocsp::go(f));
    }
    // Mixed: goroutines and threads on one lock.
    let flip = std::sync::atomic::AtomicBool::new(false);
    hammer(6, rounds, |f| {
        if flip.fetch_xor(true, Ordering::Relaxed) {
            drop(std::thread::spawn(f));
        } else {
            gocsp::go(f);
        }
    });
}

#[cfg(not(miri))]
#[test]
fn a_waiting_writer_keeps_new_readers_out_and_readers_go_first_after_it() {
    let m = Arc::new(RWMutex::new(Vec::<&str>::new()));
    let held = m.rlock();
    let mw = m.clone();
    let writer = gocsp::spawn(move || mw.lock().push("writer"));
    wait_blocked(writer.id(), "sync.RWMutex.Lock");
    // A writer waits: a new reader may not join the one holding the lock.
    assert!(
        m.try_rlock().is_none(),
        "a reader overtook a waiting writer"
    );
    let mr = m.clone();
    let reader = gocsp::spawn(move || mr.rlock().clone());
    let info = wait_blocked(reader.id(), "sync.RWMutex.RLock");
    let gocsp::GoroutineState::Blocked { site, .. } = info.state else {
        unreachable!()
    };
    assert_eq!(site.map(|s| s.file()), Some(file!()));
    drop(held);
    writer.join().unwrap();
    assert_eq!(
        reader.join().unwrap(),
        ["writer"],
        "the reader ran after the writer"
    );
}

#[cfg(not(miri))]
#[test]
fn readers_queued_behind_a_writer_are_let_in_together() {
    let m = Arc::new(RWMutex::new(0));
    let w = m.lock();
    let inside = Chan::new(3);
    let release: Chan<()> = Chan::new(3);
    let mut hs = Vec::new();
    for _ in 0..3 {
        let (m, inside, release) = (m.clone(), inside.clone(), release.clone());
        hs.push(gocsp::spawn(move || {
            let g = m.rlock();
            inside.send(*g);
            release.recv();
        }));
    }
    for h in &hs {
        wait_blocked(h.id(), "sync.RWMutex.RLock");
    }
    drop(w);
    for _ in 0..3 {
        assert_eq!(inside.recv(), Some(0));
    }
    (0..3).for_each(|_| release.send(()));
    hs.into_iter().for_each(|h| h.join().unwrap());
}

#[test]
fn data_access_try_and_debug() {
    let m = RWMutex::new(5);
    {
        let r1 = m.rlock();
        let r2 = m.try_rlock().expect("readers share");
        assert_eq!(*r1 + *r2, 10);
        assert!(m.try_lock().is_none());
        assert_eq!(format!("{m:?}"), "RWMutex { data: 5 }");
    }
    *m.lock() += 1;
    let w = m.try_lock().expect("free");
    assert!(m.try_rlock().is_none());
    assert_eq!(format!("{m:?}"), "RWMutex { data: <locked> }");
    drop(w);
    assert_eq!(m.into_inner(), 6);
}

#[test]
fn unlock_of_unlocked_panics_at_the_callers_line() {
    let m = RWMutex::new(());
    let line = line!() + 1;
    let msg = panic_of(|| m.unlock());
    assert_eq!(msg, "sync: Unlock of unlocked RWMutex");
    let _ = line;
    assert_eq!(
        panic_of(|| m.runlock()),
        "sync: RUnlock of unlocked RWMutex"
    );
    // Go's explicit calls balance as usual.
    m.rlock_unguarded();
    m.runlock();
    m.lock_unguarded();
    m.unlock();
    assert!(m.try_lock().is_some());
}
