//! The channel handles' API: `try_send`/`try_recv` and their typed errors, the iterators,
//! conversions between `Chan`, `Sender` and `Receiver`, handle equality and hashing, `Debug`.
#![cfg(not(loom))]
// Under Miri the goroutine tests are compiled out (see .ci/miri); their helpers go unused.
#![cfg_attr(miri, allow(unused))]

mod common;

use std::collections::HashSet;

use common::wait_blocked;
use gocsp::{Chan, Receiver, Sender, TryRecvError, TrySendError};

#[test]
fn try_send_reports_full_with_the_value_back() {
    let ch: Chan<String> = Chan::new(1);
    assert!(ch.try_send("a".into()).is_ok());
    let err = ch.try_send("b".into()).unwrap_err();
    assert!(err.is_full() && !err.is_closed());
    assert_eq!(format!("{err:?}"), "Full(..)");
    assert_eq!(err.to_string(), "send would block");
    assert_eq!(err.into_inner(), "b");

    let ch: Chan<String> = Chan::new(1);
    ch.close();
    let err = ch.try_send("c".into()).unwrap_err();
    assert_eq!(format!("{err:?}"), "Closed(..)");
    assert_eq!(err.to_string(), "send on closed channel");
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert_eq!(boxed.to_string(), "send on closed channel");
}

#[cfg(not(miri))]
#[test]
fn try_send_on_unbuffered_succeeds_only_with_a_waiting_receiver() {
    let ch: Chan<i32> = Chan::new(0);
    assert_eq!(ch.try_send(1), Err(TrySendError::Full(1)));
    let rx = ch.receiver();
    let h = gocsp::spawn(move || rx.recv());
    wait_blocked(h.id(), "chan receive");
    assert_eq!(ch.try_send(2), Ok(()));
    assert_eq!(h.join().unwrap(), Some(2));
}

#[cfg(not(miri))]
#[test]
fn try_recv_on_unbuffered_succeeds_only_with_a_waiting_sender() {
    let ch: Chan<i32> = Chan::new(0);
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    let tx = ch.sender();
    let h = gocsp::spawn(move || tx.send(3));
    wait_blocked(h.id(), "chan send");
    assert_eq!(ch.try_recv(), Ok(3));
    h.join().unwrap();
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn try_recv_errors() {
    let ch: Chan<i32> = Chan::new(2);
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(TryRecvError::Empty.to_string(), "receive would block");
    ch.close();
    assert_eq!(ch.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(
        TryRecvError::Closed.to_string(),
        "receive from closed channel"
    );
    let e: &dyn std::error::Error = &TryRecvError::Closed;
    assert!(e.source().is_none());
}

#[test]
fn iterators() {
    let ch: Chan<i32> = Chan::new(10);
    (1..=5).for_each(|i| ch.send(i));

    // try_iter takes what is there now and stops, without closing.
    assert_eq!(ch.try_iter().take(2).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(ch.try_iter().collect::<Vec<_>>(), [3, 4, 5]);
    assert_eq!(ch.try_iter().next(), None);

    // `for v in &rx` and `iter()` run until closed and drained.
    (6..=8).for_each(|i| ch.send(i));
    ch.close();
    let rx: Receiver<i32> = ch.receiver();
    let mut seen = Vec::new();
    for v in &rx {
        seen.push(v);
    }
    assert_eq!(seen, [6, 7, 8]);
    assert_eq!(rx.iter().next(), None);

    // into_iter consumes the handle.
    let ch: Chan<i32> = Chan::new(3);
    (0..3).for_each(|i| ch.send(i));
    ch.close();
    assert_eq!(ch.receiver().into_iter().sum::<i32>(), 3);
    let ch2: Chan<i32> = Chan::new(1);
    ch2.send(9);
    ch2.close();
    assert_eq!(ch2.into_iter().collect::<Vec<_>>(), [9]);

    // Iterator types print something sensible.
    let ch: Chan<i32> = Chan::new(1);
    assert_eq!(format!("{:?}", ch.iter()), "Iter { .. }");
    assert_eq!(format!("{:?}", ch.try_iter()), "TryIter { .. }");
    assert_eq!(format!("{:?}", ch.clone().into_iter()), "IntoIter { .. }");
}

#[cfg(not(miri))]
#[test]
fn blocking_iterator_waits_for_values_from_a_goroutine() {
    let ch: Chan<u32> = Chan::new(0);
    let tx = ch.sender();
    gocsp::go(move || {
        for i in 0..100 {
            tx.send(i);
        }
        tx.close();
    });
    assert_eq!(ch.iter().collect::<Vec<_>>(), (0..100).collect::<Vec<_>>());
}

#[test]
fn conversions_share_the_channel() {
    let ch: Chan<i32> = Chan::new(2);
    let tx: Sender<i32> = Sender::from(&ch);
    let rx: Receiver<i32> = (&ch).into();
    tx.send(1);
    assert_eq!(rx.recv(), Some(1));

    let tx2: Sender<i32> = ch.clone().into();
    let rx2: Receiver<i32> = Receiver::from(ch.clone());
    tx2.send(2);
    assert_eq!(rx2.recv(), Some(2));
    assert!(tx2.same_channel(&rx2));
    assert!(tx2.same_channel(&ch));

    // Clones are the same channel: closing through one is seen by all.
    let tx3 = tx.clone();
    tx3.close();
    assert_eq!(rx.recv(), None);
    assert_eq!(rx2.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn equality_and_hashing_follow_channel_identity() {
    let a: Chan<i32> = Chan::new(1);
    let b: Chan<i32> = Chan::new(1);
    assert_eq!(a, a.clone());
    assert_ne!(a, b);
    assert_eq!(a.sender(), a.sender());
    assert_ne!(a.sender(), b.sender());
    assert_eq!(a.receiver(), Receiver::from(a.clone()));
    assert!(a.same_channel(&a.receiver()));
    assert!(!a.same_channel(&b.sender()));
    assert!(!a.same_channel(&Chan::nil()));
    assert!(Chan::<i32>::nil().same_channel(&Receiver::<i32>::default()));

    // Hashing is by channel identity, which the channel's contents never change.
    #[allow(clippy::mutable_key_type)]
    let set: HashSet<Chan<i32>> = [a.clone(), a.clone(), b.clone(), Chan::nil(), Chan::nil()]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 3);
    assert!(set.contains(&a) && set.contains(&b) && set.contains(&Chan::nil()));
}

#[test]
fn debug_output() {
    assert_eq!(format!("{:?}", Chan::<i32>::nil()), "Chan(nil)");
    assert_eq!(format!("{:?}", Sender::<i32>::default()), "Sender(nil)");
    assert_eq!(format!("{:?}", Receiver::<i32>::default()), "Receiver(nil)");
    let ch: Chan<i32> = Chan::new(3);
    ch.send(1);
    assert_eq!(format!("{ch:?}"), "Chan { len: 1, cap: 3, closed: false }");
    assert_eq!(
        format!("{:?}", ch.sender()),
        "Sender { len: 1, cap: 3, closed: false }"
    );
    assert_eq!(
        format!("{:?}", ch.receiver()),
        "Receiver { len: 1, cap: 3, closed: false }"
    );
    // Debug never needs `T: Debug`.
    struct Opaque;
    let ch: Chan<Opaque> = Chan::new(0);
    assert_eq!(format!("{ch:?}"), "Chan { len: 0, cap: 0, closed: false }");
}

#[test]
fn handles_are_send_sync_and_cross_threads() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>(_: &T) {}
    let ch: Chan<Vec<u8>> = Chan::new(1);
    assert_send_sync(&ch);
    assert_send_sync(&ch.sender());
    assert_send_sync(&ch.receiver());
    let tx = ch.sender();
    std::thread::spawn(move || tx.send(vec![1])).join().unwrap();
    assert_eq!(ch.recv(), Some(vec![1]));
}

#[cfg(not(miri))]
#[test]
fn zero_sized_values() {
    // Go's `chan struct{}`: signals without data.
    for cap in [0, 1, 3] {
        let ch: Chan<()> = Chan::new(cap);
        let tx = ch.sender();
        let h = gocsp::spawn(move || {
            for _ in 0..10 {
                tx.send(());
            }
            tx.close();
        });
        assert_eq!(ch.iter().count(), 10);
        h.join().unwrap();
    }
    let ch: Chan<()> = Chan::new(3);
    ch.send(());
    ch.send(());
    assert_eq!(ch.len(), 2);
    assert!(ch.try_send(()).is_ok());
    assert!(ch.try_send(()).unwrap_err().is_full());
    ch.close();
    assert_eq!(ch.try_iter().count(), 3);
    assert_eq!(ch.recv(), None);
}

#[cfg(not(miri))]
#[test]
fn large_values() {
    // 1 KiB values (`stack.rs` checks bigger ones in child processes: too big a value
    // overflows a goroutine's stack).
    type Big = [u64; 128];
    for cap in [0, 2] {
        let ch: Chan<Big> = Chan::new(cap);
        let tx = ch.sender();
        let h = gocsp::spawn(move || {
            for i in 0..20 {
                tx.send([i; 128]);
            }
        });
        for i in 0..20 {
            let v = ch.recv().unwrap();
            assert!(v.iter().all(|&x| x == i));
        }
        h.join().unwrap();
    }
    // Through a select's send case, between goroutines.
    let ch: Chan<Big> = Chan::new(0);
    let rx = ch.receiver();
    let h = gocsp::spawn(move || rx.recv().unwrap()[127]);
    wait_blocked(h.id(), "chan receive");
    let mut sel = gocsp::Select::new();
    sel.send(&ch, [7; 128]);
    sel.select();
    assert_eq!(h.join().unwrap(), 7);
}

#[test]
fn a_capacity_no_buffer_could_hold_panics_as_go_does() {
    // Each would wrap the ring's lap arithmetic or exceed isize::MAX bytes of buffer: Go's
    // makechan panic, not an overflow, an abort or a channel built from wrapped numbers.
    let msg = |f: fn()| common::panic_of(f);
    for m in [
        msg(|| drop(Chan::<()>::new(usize::MAX))),
        msg(|| drop(Chan::<()>::new(1 << 63))),
        msg(|| drop(Chan::<()>::new(1 << 62))),
        msg(|| drop(Chan::<u64>::new(isize::MAX as usize / 8))),
    ] {
        assert_eq!(m, "makechan: size out of range");
    }
    // Ordinary capacities still make channels.
    let ch: Chan<u8> = Chan::new(1000);
    assert_eq!(ch.cap(), 1000);
}
