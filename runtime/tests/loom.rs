//! loom models of the waiter protocol: hand-off on unbuffered and buffered channels, `close`
//! racing a blocked receive and a blocked send, two selects racing for one value, and receives
//! completing a blocked buffered send.
//!
//! Run with: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p gocsp --release --test loom`
#![cfg(loom)]

use gocsp::{Chan, Select, TryRecvError};
use loom::thread;
use std::panic::{AssertUnwindSafe, catch_unwind};

fn model(f: impl Fn() + Sync + Send + 'static) {
    model_bounded(2, f)
}

/// Checks `f` with at most `bound` preemptions (or `LOOM_MAX_PREEMPTIONS` if lower).
fn model_bounded(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(b.preemption_bound.map_or(bound, |env| env.min(bound)));
    // The lock-free ring retries while another thread finishes a step it has started; those
    // retries are bounded by the other thread's progress but count as branches.
    b.max_branches = 100_000;
    b.check(f);
}

#[test]
fn unbuffered_hand_off() {
    model(|| {
        let ch: Chan<u32> = Chan::new(0);
        let tx = ch.sender();
        let t = thread::spawn(move || tx.send(7));
        assert_eq!(ch.recv(), Some(7));
        t.join().unwrap();
    });
}

#[test]
fn buffered_blocking_both_ways() {
    model(|| {
        let ch: Chan<u32> = Chan::new(1);
        let tx = ch.sender();
        let t = thread::spawn(move || {
            tx.send(1);
            tx.send(2);
        });
        assert_eq!(ch.recv(), Some(1));
        assert_eq!(ch.recv(), Some(2));
        t.join().unwrap();
    });
}

/// A receive from a full buffer completes a blocked send by moving its value in (Go's rule):
/// a `close` right after the receive cannot fail that send, and its value is buffered. The
/// send may also not have blocked yet when the receive runs; then it fits, or meets the close.
#[test]
fn a_receive_completes_a_blocked_send_before_a_close() {
    model(|| {
        let ch: Chan<u32> = Chan::new(1);
        ch.send(1);
        let tx = ch.sender();
        let t = thread::spawn(move || catch_unwind(AssertUnwindSafe(|| tx.send(2))).is_ok());
        assert_eq!(ch.recv(), Some(1));
        ch.close();
        let sent = t.join().unwrap();
        let rest: Vec<u32> = ch.iter().collect();
        assert_eq!(rest, if sent { vec![2] } else { vec![] });
    });
}

/// Two receives race on a full buffer of two while a send is blocked: the one whose held slot
/// becomes the tail claims the send and moves its value into that slot, even when the channel
/// is closed meanwhile. Nothing is lost or received twice, and once a receive has seen the
/// closed channel drained, no value turns up in it.
#[test]
fn racing_receives_complete_a_blocked_send_across_a_close() {
    model_bounded(2, || {
        let ch: Chan<u32> = Chan::new(2);
        ch.send(1);
        ch.send(2);
        let tx = ch.sender();
        let s = thread::spawn(move || catch_unwind(AssertUnwindSafe(|| tx.send(3))).is_ok());
        let rx = ch.receiver();
        let r = thread::spawn(move || rx.try_recv().ok());
        let mut got: Vec<u32> = ch.try_recv().ok().into_iter().collect();
        ch.close();
        loop {
            match ch.try_recv() {
                Ok(v) => got.push(v),
                Err(e) => {
                    assert_eq!(e, TryRecvError::Closed, "a closed channel is never empty");
                    break;
                }
            }
        }
        got.extend(r.join().unwrap());
        let sent = s.join().unwrap();
        assert_eq!(
            ch.try_recv(),
            Err(TryRecvError::Closed),
            "a value turned up after the channel was seen drained"
        );
        got.sort();
        assert_eq!(got, if sent { vec![1, 2, 3] } else { vec![1, 2] });
    });
}

#[test]
fn close_wakes_blocked_receiver() {
    model(|| {
        for cap in [0, 1] {
            let ch: Chan<u32> = Chan::new(cap);
            let rx = ch.receiver();
            let t = thread::spawn(move || rx.recv());
            ch.close();
            assert_eq!(t.join().unwrap(), None);
        }
    });
}

#[test]
fn close_wakes_blocked_sender() {
    model(|| {
        let ch: Chan<u32> = Chan::new(0);
        let tx = ch.sender();
        let t = thread::spawn(move || catch_unwind(AssertUnwindSafe(|| tx.send(1))).is_err());
        ch.close();
        // Nobody receives, so the send can only end by panicking on close.
        assert!(
            t.join().unwrap(),
            "a blocked send must panic when the channel closes"
        );
    });
}

#[test]
fn close_races_send_and_receive() {
    model(|| {
        let ch: Chan<u32> = Chan::new(0);
        let (tx, rx) = (ch.sender(), ch.receiver());
        let s = thread::spawn(move || catch_unwind(AssertUnwindSafe(|| tx.send(1))).is_ok());
        let r = thread::spawn(move || rx.recv());
        ch.close();
        let sent = s.join().unwrap();
        let got = r.join().unwrap();
        // Either the hand-off happened before the close, or neither side got anything.
        assert_eq!(sent, got == Some(1));
    });
}

/// A close lands between a select's poll and its registration: nothing may complete on the
/// channel once `close` has returned (Go checks `closed` first, under the channel's lock).
#[test]
fn nothing_completes_on_a_closed_channel_through_a_late_registration() {
    model(|| {
        let z: Chan<u32> = Chan::new(0);
        let never: Chan<u32> = Chan::new(0);
        let rz = z.clone();
        let t = thread::spawn(move || {
            let mut sel = Select::new();
            let r = sel.recv(&rz);
            sel.recv(&never);
            assert_eq!(sel.select(), r.index());
            sel.take(r)
        });
        z.close();
        assert!(z.try_send(7).is_err(), "a send completed after close");
        assert_eq!(t.join().unwrap(), None);
    });
    model(|| {
        let z: Chan<u32> = Chan::new(0);
        let never: Chan<u32> = Chan::new(0);
        let sz = z.clone();
        let t = thread::spawn(move || {
            catch_unwind(AssertUnwindSafe(|| {
                let mut sel = Select::new();
                sel.send(&sz, 7);
                sel.recv(&never);
                sel.select()
            }))
            .is_err()
        });
        z.close();
        assert!(z.try_recv().is_err(), "a receive took a value after close");
        assert!(t.join().unwrap(), "the select's send must panic on close");
    });
}

#[test]
fn two_selects_race_for_one_value() {
    model(|| {
        let x: Chan<u32> = Chan::new(0);
        let quit: Chan<u32> = Chan::new(0);
        let spawn_select = |x: Chan<u32>, quit: Chan<u32>| {
            thread::spawn(move || {
                let mut sel = Select::new();
                let rx = sel.recv(&x);
                let rq = sel.recv(&quit);
                let i = sel.select();
                if i == rx.index() {
                    sel.take(rx)
                } else {
                    assert_eq!(sel.take(rq), None);
                    None
                }
            })
        };
        let a = spawn_select(x.clone(), quit.clone());
        let b = spawn_select(x.clone(), quit.clone());
        x.send(42);
        quit.close();
        let got: Vec<u32> = [a.join().unwrap(), b.join().unwrap()]
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(got, [42], "exactly one select commits the value");
    });
}

#[test]
fn select_send_and_default_lose_nothing() {
    model(|| {
        let ch: Chan<u32> = Chan::new(1);
        let tx = ch.clone();
        let t = thread::spawn(move || {
            let mut sel = Select::new();
            sel.send(&tx, 5);
            sel.try_select().is_some()
        });
        let got = ch.try_recv().ok();
        let sent = t.join().unwrap();
        let later = ch.try_recv().ok();
        let received: Vec<u32> = [got, later].into_iter().flatten().collect();
        assert_eq!(received.len(), usize::from(sent));
    });
}

#[test]
fn buffered_select_and_receiver_share_one_value() {
    // Three threads spinning on the lock-free ring make the state space explode past one
    // preemption; the waiter protocol under test (notify, abort, retry, close) is covered at
    // this bound, and at two preemptions by the unbuffered models above.
    model_bounded(1, || {
        let x: Chan<u32> = Chan::new(1);
        let (x1, x2) = (x.clone(), x.clone());
        let sel = thread::spawn(move || {
            let mut sel = Select::new();
            let r = sel.recv(&x1);
            sel.select();
            sel.take(r)
        });
        let plain = thread::spawn(move || x2.recv());
        x.send(9);
        x.close();
        let got: Vec<u32> = [sel.join().unwrap(), plain.join().unwrap()]
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(
            got,
            [9],
            "the value is received exactly once; the other side sees close"
        );
    });
}

/// A select parked on an unbuffered case is committed by a counterparty that then moves the
/// value through the case's packet: the select must not touch its cases (unregistering takes
/// `&mut` to each) until that move is done. Both directions.
#[test]
fn select_touches_its_cases_only_after_the_hand_off() {
    model(|| {
        let a: Chan<u32> = Chan::new(0);
        let idle: Chan<u32> = Chan::new(0);
        let tx = a.sender();
        let t = thread::spawn(move || tx.send(7));
        let mut sel = Select::new();
        let ra = sel.recv(&a);
        sel.recv(&idle);
        assert_eq!(sel.select(), ra.index());
        assert_eq!(sel.take(ra), Some(7));
        t.join().unwrap();
    });
    model(|| {
        let a: Chan<u32> = Chan::new(0);
        let idle: Chan<u32> = Chan::new(0);
        let rx = a.receiver();
        let t = thread::spawn(move || rx.recv());
        let mut sel = Select::new();
        let sa = sel.send(&a, 7);
        sel.recv(&idle);
        assert_eq!(sel.select(), sa);
        assert_eq!(t.join().unwrap(), Some(7));
    });
}
