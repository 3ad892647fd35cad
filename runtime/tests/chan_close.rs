//! `close`: wakes every blocked receiver (zero value / `None`) and every blocked sender (they
//! panic "send on closed channel"), receivers drain buffered values first, and closing twice or
//! closing the nil channel panics with Go's messages.
#![cfg(not(loom))]
// Under Miri the goroutine tests are compiled out (see .ci/miri); their helpers go unused.
#![cfg_attr(miri, allow(unused))]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::{panic_message, panic_of, wait_blocked};
use gocsp::{Chan, PanicPolicy, Receiver, Runtime, Sender, TryRecvError, TrySendError};

/// A runtime whose goroutines may panic without ending the test process.
fn continue_rt() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        Runtime::builder()
            .workers(2)
            .panic_policy(PanicPolicy::Continue)
            .build()
            .unwrap()
    })
}

const FLAVORS: [usize; 3] = [0, 1, 4];

#[cfg(not(miri))]
#[test]
fn close_wakes_every_blocked_goroutine_receiver() {
    for cap in FLAVORS {
        let ch: Chan<i32> = Chan::new(cap);
        let mut hs = Vec::new();
        for i in 0..6 {
            let rx = ch.receiver();
            hs.push(gocsp::spawn(move || {
                if i % 2 == 0 {
                    rx.recv()
                } else {
                    let (v, ok) = rx.recv_ok();
                    assert_eq!(v, 0, "a closed channel yields the zero value");
                    ok.then_some(v)
                }
            }));
        }
        for h in &hs {
            wait_blocked(h.id(), "chan receive");
        }
        ch.close();
        for h in hs {
            assert_eq!(h.join().unwrap(), None);
        }
    }
}

#[test]
fn close_wakes_every_blocked_thread_receiver() {
    for cap in FLAVORS {
        let ch: Chan<String> = Chan::new(cap);
        let ts: Vec<_> = (0..3)
            .map(|_| {
                let rx = ch.receiver();
                std::thread::spawn(move || (rx.recv(), rx.recv_ok()))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20));
        ch.close();
        for t in ts {
            assert_eq!(t.join().unwrap(), (None, (String::new(), false)));
        }
    }
}

#[cfg(not(miri))]
#[test]
fn close_makes_every_blocked_goroutine_sender_panic() {
    for cap in FLAVORS {
        let ch: Chan<usize> = Chan::new(cap);
        for i in 0..cap {
            ch.send(i);
        }
        let hs: Vec<_> = (0..4)
            .map(|i| {
                let tx = ch.sender();
                continue_rt().spawn(move || tx.send(100 + i))
            })
            .collect();
        for h in &hs {
            wait_blocked(h.id(), "chan send");
        }
        ch.close();
        for h in hs {
            let err = h.join().expect_err("a sender blocked at close must panic");
            assert_eq!(panic_message(&*err), "send on closed channel");
        }
        // The buffered values are still there, and none of the panicked sends got in.
        let rest: Vec<usize> = ch.iter().collect();
        assert_eq!(rest, (0..cap).collect::<Vec<_>>());
    }
}

#[test]
fn close_makes_every_blocked_thread_sender_panic() {
    for cap in FLAVORS {
        let ch: Chan<usize> = Chan::new(cap);
        for i in 0..cap {
            ch.send(i);
        }
        let ts: Vec<_> = (0..3)
            .map(|i| {
                let tx = ch.sender();
                std::thread::spawn(move || panic_of(|| tx.send(100 + i)))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20));
        ch.close();
        for t in ts {
            assert_eq!(t.join().unwrap(), "send on closed channel");
        }
        assert_eq!(ch.iter().collect::<Vec<_>>(), (0..cap).collect::<Vec<_>>());
    }
}

#[test]
fn receivers_drain_buffered_values_before_seeing_closed() {
    let ch: Chan<i32> = Chan::new(4);
    for v in [10, 20, 30] {
        ch.send(v);
    }
    ch.close();
    assert_eq!(ch.len(), 3);
    assert_eq!(ch.recv_ok(), (10, true));
    assert_eq!(ch.try_recv(), Ok(20));
    assert_eq!(ch.recv(), Some(30));
    assert_eq!(ch.len(), 0);
    assert_eq!(ch.recv(), None);
    assert_eq!(ch.recv_ok(), (0, false));
    assert_eq!(ch.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(ch.iter().count(), 0);
}

#[cfg(not(miri))]
#[test]
fn a_range_loop_ends_after_close_and_drain() {
    let ch: Chan<u32> = Chan::new(8);
    let tx = ch.sender();
    gocsp::go(move || {
        for i in 0..20 {
            tx.send(i);
        }
        tx.close();
    });
    let rx: Receiver<u32> = ch.receiver();
    let mut sum = 0;
    for v in &rx {
        sum += v;
    }
    assert_eq!(sum, 190);
}

#[test]
fn double_close_panics() {
    for cap in FLAVORS {
        let ch: Chan<u8> = Chan::new(cap);
        ch.close();
        assert_eq!(panic_of(|| ch.close()), "close of closed channel");
        let tx: Sender<u8> = ch.sender();
        assert_eq!(panic_of(|| tx.close()), "close of closed channel");
        // The channel is still usable as a closed channel.
        assert_eq!(ch.recv(), None);
    }
}

#[test]
fn close_of_nil_panics() {
    let nil: Chan<i32> = Chan::nil();
    assert_eq!(panic_of(|| nil.close()), "close of nil channel");
    let nil: Sender<i32> = Sender::default();
    assert_eq!(panic_of(|| nil.close()), "close of nil channel");
    let nil: Chan<i32> = Chan::default();
    assert_eq!(panic_of(|| nil.close()), "close of nil channel");
}

/// Counts drops, to check that a refused value is dropped exactly once.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn send_on_closed_panics_and_drops_the_value() {
    for cap in FLAVORS {
        let drops = Arc::new(AtomicUsize::new(0));
        let ch: Chan<Tracked> = Chan::new(cap);
        ch.close();
        assert_eq!(
            panic_of(|| ch.send(Tracked(drops.clone()))),
            "send on closed channel"
        );
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        let tx = ch.sender();
        assert_eq!(
            panic_of(|| tx.send(Tracked(drops.clone()))),
            "send on closed channel"
        );
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        assert!(ch.recv().is_none());
    }
}

#[cfg(not(miri))]
#[test]
fn send_on_closed_panics_in_a_goroutine() {
    let ch: Chan<i32> = Chan::new(0);
    ch.close();
    let tx = ch.sender();
    let err = continue_rt().spawn(move || tx.send(1)).join().unwrap_err();
    assert_eq!(panic_message(&*err), "send on closed channel");
}

#[test]
fn try_ops_on_a_closed_channel() {
    for cap in FLAVORS {
        let ch: Chan<i32> = Chan::new(cap);
        if cap > 0 {
            ch.send(1);
        }
        ch.close();
        match ch.try_send(5) {
            Err(e @ TrySendError::Closed(_)) => {
                assert!(e.is_closed() && !e.is_full());
                assert_eq!(e.into_inner(), 5);
            }
            other => panic!("try_send on a closed channel: {other:?}"),
        }
        if cap > 0 {
            assert_eq!(ch.try_recv(), Ok(1));
        }
        assert_eq!(ch.try_recv(), Err(TryRecvError::Closed));
    }
}

#[cfg(not(miri))]
#[test]
fn close_from_a_goroutine_wakes_a_thread_and_vice_versa() {
    for cap in FLAVORS {
        // goroutine closes, thread receives
        let ch: Chan<i32> = Chan::new(cap);
        let tx = ch.sender();
        let t = {
            let rx = ch.receiver();
            std::thread::spawn(move || rx.recv())
        };
        gocsp::spawn(move || {
            gocsp::time::sleep(Duration::from_millis(10));
            tx.close();
        })
        .join()
        .unwrap();
        assert_eq!(t.join().unwrap(), None);

        // thread closes, goroutine receives
        let ch: Chan<i32> = Chan::new(cap);
        let rx = ch.receiver();
        let h = gocsp::spawn(move || rx.recv_ok());
        wait_blocked(h.id(), "chan receive");
        let tx = ch.sender();
        std::thread::spawn(move || tx.close()).join().unwrap();
        assert_eq!(h.join().unwrap(), (0, false));
    }
}

#[test]
fn closed_shows_in_debug_output() {
    let ch: Chan<i32> = Chan::new(2);
    ch.send(1);
    let open = format!("{ch:?}");
    assert!(open.contains("closed: false"), "{open}");
    ch.close();
    let closed = format!("{ch:?}");
    assert!(closed.contains("closed: true"), "{closed}");
    assert!(closed.contains("len: 1"), "{closed}");
    assert!(closed.contains("cap: 2"), "{closed}");
}

#[cfg(not(miri))]
#[test]
fn values_sent_before_close_reach_receivers_that_arrive_later() {
    // Close does not discard: a receiver that comes after close still gets what was buffered.
    let ch: Chan<usize> = Chan::new(16);
    let tx = ch.sender();
    gocsp::spawn(move || {
        (0..16).for_each(|i| tx.send(i));
        tx.close();
    })
    .join()
    .unwrap();
    let rx = ch.receiver();
    let got = gocsp::spawn(move || rx.iter().collect::<Vec<_>>())
        .join()
        .unwrap();
    assert_eq!(got, (0..16).collect::<Vec<_>>());
}
