//! `gocsp::sync::Cond`, with Go's `sync/cond_test.go` ported: `TestCondSignal`,
//! `TestCondSignalGenerations` (FIFO wake-up), `TestCondBroadcast`, `TestRace`.
#![cfg(not(loom))]
#![cfg(not(miri))]

mod common;

use std::sync::Arc;

use common::{scaled, wait_blocked};
use gocsp::Chan;
use gocsp::sync::{Cond, Mutex};

struct Shared {
    m: Mutex<()>,
    c: Cond,
}

fn shared() -> Arc<Shared> {
    Arc::new(Shared {
        m: Mutex::new(()),
        c: Cond::new(),
    })
}

#[test]
fn signal_wakes_one_waiter_at_a_time() {
    // Go's TestCondSignal: n goroutines wait; each signal lets exactly one through.
    let n = 2;
    let s = shared();
    let running: Chan<bool> = Chan::new(n);
    let awake: Chan<bool> = Chan::new(n);
    let mut ids = Vec::new();
    for _ in 0..n {
        let (s, running, awake) = (s.clone(), running.clone(), awake.clone());
        ids.push(
            gocsp::spawn(move || {
                let g = s.m.lock();
                running.send(true);
                let _g = s.c.wait(g);
                awake.send(true);
            })
            .id(),
        );
    }
    for _ in 0..n {
        running.recv(); // Wait for everyone to run.
    }
    for id in &ids {
        wait_blocked(*id, "sync.Cond.Wait");
    }
    for left in (1..=n).rev() {
        assert!(awake.try_recv().is_err(), "goroutine not asleep");
        let g = s.m.lock();
        s.c.signal();
        drop(g);
        awake.recv(); // Will deadlock if no goroutine wakes up
        assert!(awake.try_recv().is_err(), "too many goroutines awake");
        let _ = left;
    }
    s.c.signal();
}

#[test]
fn signal_wakes_waiters_in_the_order_they_waited() {
    // Go's TestCondSignalGenerations.
    let n = 20;
    let s = shared();
    let awake: Chan<usize> = Chan::new(n);
    for i in 0..n {
        let (s, awake) = (s.clone(), awake.clone());
        let h = gocsp::spawn(move || {
            let g = s.m.lock();
            let _g = s.c.wait(g);
            awake.send(i);
        });
        wait_blocked(h.id(), "sync.Cond.Wait");
    }
    for i in 0..n {
        let g = s.m.lock();
        s.c.signal();
        drop(g);
        assert_eq!(awake.recv(), Some(i), "goroutine woke out of order");
    }
}

#[test]
fn broadcast_wakes_every_waiter() {
    // Go's TestCondBroadcast, with goroutines and threads waiting together: each reports
    // `running` while it holds the mutex, so once this thread has taken the mutex after all
    // the reports, every waiter is registered (`wait` registers before it unlocks).
    let n = 20;
    let s = shared();
    let running: Chan<usize> = Chan::new(n);
    let exit: Chan<usize> = Chan::new(n);
    for i in 0..n {
        let (s, running, exit) = (s.clone(), running.clone(), exit.clone());
        let body = move || {
            let g = s.m.lock();
            running.send(i);
            let _g = s.c.wait(g);
            exit.send(i);
        };
        if i % 4 == 0 {
            std::thread::spawn(body);
        } else {
            gocsp::go(body);
        }
    }
    for _ in 0..n {
        running.recv();
    }
    let g = s.m.lock();
    assert!(
        exit.try_recv().is_err(),
        "a waiter woke before the broadcast"
    );
    s.c.broadcast();
    drop(g);
    let mut seen = vec![false; n];
    for _ in 0..n {
        let i = exit.recv().unwrap();
        assert!(!seen[i], "goroutine {i} woke twice");
        seen[i] = true;
    }
    assert!(exit.try_recv().is_err(), "too many goroutines awake");
}

/// One goroutine's part in the race test.
type Turn = Box<dyn FnOnce(&Mutex<i32>, &Cond) + Send>;

#[test]
fn race_three_goroutines_take_turns() {
    // Go's TestRace: three goroutines hand a counter around with wait/signal.
    let rounds = scaled(1000, 100);
    for _ in 0..rounds / 100 {
        let state = Arc::new((Mutex::new(0), Cond::new()));
        let done: Chan<bool> = Chan::new(3);
        let spawn = |f: Turn| {
            let (state, done) = (state.clone(), done.clone());
            gocsp::go(move || {
                f(&state.0, &state.1);
                done.send(true);
            });
        };
        spawn(Box::new(|m, c| {
            let mut x = m.lock();
            *x = 1;
            x = c.wait(x);
            assert_eq!(*x, 2, "want 2");
            *x = 3;
            c.signal();
        }));
        spawn(Box::new(|m, c| {
            let mut x = m.lock();
            loop {
                if *x == 1 {
                    *x = 2;
                    c.signal();
                    break;
                }
                drop(x);
                gocsp::yield_now();
                x = m.lock();
            }
        }));
        spawn(Box::new(|m, c| {
            let mut x = m.lock();
            loop {
                if *x == 2 {
                    x = c.wait(x);
                    assert_eq!(*x, 3, "want 3");
                    break;
                }
                if *x == 3 {
                    break;
                }
                drop(x);
                gocsp::yield_now();
                x = m.lock();
            }
        }));
        for _ in 0..3 {
            done.recv();
        }
    }
}

/// Unlocking the caller's mutex inside `wait` can panic (a `Mutex<()>` already unlocked by
/// hand). The waiter must not stay registered: the next `signal` would then claim whatever
/// the goroutine waits for next, here a mutex someone else holds, and hand it over twice.
#[test]
fn a_panic_while_unlocking_in_wait_leaves_no_waiter_behind() {
    use std::sync::atomic::{AtomicBool, Ordering};

    let h = gocsp::spawn(|| {
        let mu = Mutex::new(());
        let cond = Arc::new(Cond::new());
        let data = Arc::new(Mutex::new(0u64));
        let g = mu.lock();
        mu.unlock();
        let msg = common::panic_of(|| drop(cond.wait(g)));
        assert_eq!(msg, "sync: unlock of unlocked mutex");

        // Another goroutine holds `data` until told to let go.
        let (held, release): (Chan<()>, Chan<()>) = (Chan::new(0), Chan::new(0));
        let (d, h2, r2) = (data.clone(), held.clone(), release.clone());
        gocsp::go(move || {
            let g = d.lock();
            h2.send(());
            r2.recv();
            drop(g);
        });
        held.recv();
        // Once this goroutine waits for `data`, a thread signals the cond, and only later
        // lets the holder go.
        let me = gocsp::goroutine_id().unwrap();
        let released = Arc::new(AtomicBool::new(false));
        let (c, rel) = (cond.clone(), released.clone());
        let signaller = std::thread::spawn(move || {
            wait_blocked(me, "sync.Mutex.Lock");
            c.signal();
            std::thread::sleep(std::time::Duration::from_millis(50));
            rel.store(true, Ordering::SeqCst);
            release.send(());
        });
        let g = data.lock();
        assert!(
            released.load(Ordering::SeqCst),
            "the lock was handed over while its holder still held it"
        );
        drop(g);
        signaller.join().unwrap();
    });
    h.join().unwrap();
}
