//! `gocsp::sync::Mutex`: mutual exclusion under contention from goroutines on several workers
//! and from threads, no lost updates, `try_lock`, the longest waiter first, no poisoning.
//! (Starvation mode is tested in `sync/mutex.rs`, where its state can be watched.)
#![cfg(not(loom))]
// Under Miri the goroutine tests are compiled out (see .ci/miri); their helpers go unused.
#![cfg_attr(miri, allow(unused))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{scaled, wait_blocked};
use gocsp::sync::Mutex;
use gocsp::{Chan, Runtime, WaitGroup};

/// Data that notices two holders at once.
#[derive(Default)]
struct Guarded {
    inside: AtomicBool,
    count: u64,
}

fn critical_section(m: &Mutex<Guarded>, yield_inside: bool) {
    let mut g = m.lock();
    assert!(
        !g.inside.swap(true, Ordering::SeqCst),
        "two holders inside the critical section"
    );
    let v = g.count;
    if yield_inside {
        // Give others every chance to barge in while the lock is held.
        gocsp::yield_now();
    }
    g.count = v + 1;
    g.inside.store(false, Ordering::SeqCst);
}

#[cfg(not(miri))]
#[test]
fn mutual_exclusion_between_goroutines_on_several_workers() {
    let per = scaled(2_000, 300);
    let rt = Runtime::builder().workers(2).build().unwrap();
    let total = rt.block_on(move || {
        let m = Arc::new(Mutex::new(Guarded::default()));
        let wg = WaitGroup::new();
        for g in 0..8 {
            wg.add(1);
            let (m, wg) = (m.clone(), wg.clone());
            gocsp::go(move || {
                for i in 0..per {
                    critical_section(&m, (g + i) % 3 == 0);
                }
                wg.done();
            });
        }
        wg.wait();
        m.lock().count
    });
    assert_eq!(total, 8 * per as u64, "lost updates");
}

#[cfg(not(miri))]
#[test]
fn mutual_exclusion_between_goroutines_and_threads() {
    let per = scaled(2_000, 300);
    let m = Arc::new(Mutex::new(Guarded::default()));
    let mut hs = Vec::new();
    let mut ts = Vec::new();
    for k in 0..4 {
        let mg = m.clone();
        hs.push(gocsp::spawn(move || {
            (0..per).for_each(|i| critical_section(&mg, (i + k) % 2 == 0))
        }));
        let mt = m.clone();
        ts.push(std::thread::spawn(move || {
            (0..per).for_each(|_| critical_section(&mt, false))
        }));
    }
    hs.into_iter().for_each(|h| h.join().unwrap());
    ts.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(m.lock().count, 8 * per as u64);
}

#[cfg(not(miri))]
#[test]
fn try_lock() {
    let m = Mutex::new(5);
    {
        let g = m.lock();
        assert!(m.try_lock().is_none(), "try_lock succeeded while locked");
        assert_eq!(format!("{m:?}"), "Mutex { data: <locked> }");
        drop(g);
    }
    let mut g = m.try_lock().expect("try_lock on a free mutex");
    *g += 1;
    drop(g);
    assert_eq!(format!("{m:?}"), "Mutex { data: 6 }");
    // From a goroutine while a thread holds it.
    let m = Arc::new(Mutex::new(()));
    let g = m.lock();
    let m2 = m.clone();
    assert!(
        gocsp::spawn(move || m2.try_lock().is_none())
            .join()
            .unwrap()
    );
    drop(g);
}

#[cfg(not(miri))]
#[test]
fn a_blocked_goroutine_parks_and_gets_the_lock_on_unlock() {
    let m = Arc::new(Mutex::new(0));
    let g = m.lock();
    let m2 = m.clone();
    let h = gocsp::spawn(move || {
        *m2.lock() += 1;
    });
    let info = wait_blocked(h.id(), "sync.Mutex.Lock");
    let gocsp::GoroutineState::Blocked { site, .. } = info.state else {
        unreachable!()
    };
    assert_eq!(site.map(|s| s.file()), Some(file!()));
    drop(g);
    h.join().unwrap();
    assert_eq!(*m.lock(), 1);
}

/// In normal mode `unlock` wakes the longest waiter first; with nobody else asking for the
/// lock, the waiters get it in the order they queued.
#[cfg(not(miri))]
#[test]
fn unlock_wakes_the_longest_waiter_first() {
    let m = Arc::new(Mutex::new(Vec::new()));
    let g = m.lock();
    let mut hs = Vec::new();
    for i in 0..4 {
        let m = m.clone();
        let h = gocsp::spawn(move || m.lock().push(i));
        // Queue them one after another.
        wait_blocked(h.id(), "sync.Mutex.Lock");
        hs.push(h);
    }
    drop(g);
    hs.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(*m.lock(), [0, 1, 2, 3], "waiters served out of order");
}

#[test]
fn a_panic_while_holding_the_lock_unlocks_it() {
    let m = Arc::new(Mutex::new(1));
    let m2 = m.clone();
    let r = std::thread::spawn(move || {
        let _g = m2.lock();
        panic!("boom while locked");
    })
    .join();
    assert!(r.is_err());
    // No poisoning: the next lock just works.
    let got = m.try_lock().map(|g| *g);
    assert_eq!(got, Some(1));
    *m.lock() += 1;
    assert_eq!(*m.lock(), 2);
}

#[test]
fn into_inner_and_get_mut() {
    let mut m = Mutex::new(vec![1]);
    m.get_mut().push(2);
    assert_eq!(m.into_inner(), [1, 2]);
    let d: Mutex<u8> = Mutex::default();
    assert_eq!(*d.lock(), 0);
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Mutex<Vec<u8>>>();
}

#[cfg(not(miri))]
#[test]
fn a_thread_waits_for_a_goroutine_holding_the_lock() {
    let m = Arc::new(Mutex::new(0u32));
    let locked: Chan<()> = Chan::new(0);
    let (m2, l2) = (m.clone(), locked.clone());
    let h = gocsp::spawn(move || {
        let mut g = m2.lock();
        l2.send(());
        gocsp::time::sleep(Duration::from_millis(20));
        *g = 7;
    });
    locked.recv();
    // Blocks the thread until the goroutine (parked in sleep, holding the lock) unlocks.
    assert_eq!(*m.lock(), 7);
    h.join().unwrap();
}
