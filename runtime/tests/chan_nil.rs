//! The nil channel (Go's zero value): send and receive block forever, closing panics, its
//! `select` cases never fire, and the non-blocking operations report "would block".
#![cfg(not(loom))]
// Under Miri the goroutine tests are compiled out (see .ci/miri); their helpers go unused.
#![cfg_attr(miri, allow(unused))]

mod common;

use std::time::Duration;

use common::{blocked_reason, wait_blocked};
use gocsp::{Chan, GoroutineState, Receiver, Select, Sender, TryRecvError, TrySendError};

#[test]
fn nil_is_the_default_and_reports_empty() {
    let a: Chan<i32> = Chan::nil();
    let b: Chan<i32> = Chan::default();
    assert!(a.is_nil() && b.is_nil());
    assert_eq!(a, b, "two nil channels are equal");
    assert!(Sender::<i32>::default().is_nil());
    assert!(Receiver::<i32>::default().is_nil());
    assert!(a.sender().is_nil() && a.receiver().is_nil());
    assert_eq!((a.len(), a.cap()), (0, 0));
    assert!(!Chan::<i32>::new(0).is_nil());
    assert_ne!(a, Chan::new(0));
}

#[cfg(not(miri))]
#[test]
fn send_on_nil_blocks_forever() {
    let nil: Chan<u8> = Chan::nil();
    let h = gocsp::spawn(move || nil.send(1));
    let g = wait_blocked(h.id(), "chan send (nil chan)");
    let GoroutineState::Blocked { site, .. } = g.state else {
        unreachable!()
    };
    assert_eq!(site.map(|s| s.file()), Some(file!()));
    // Still there later: nothing ever wakes it.
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(
        blocked_reason(h.id()).as_deref(),
        Some("chan send (nil chan)")
    );
    assert!(!h.is_finished());
}

#[cfg(not(miri))]
#[test]
fn recv_on_nil_blocks_forever() {
    let nil: Receiver<u8> = Receiver::default();
    let h = gocsp::spawn(move || nil.recv());
    wait_blocked(h.id(), "chan receive (nil chan)");
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(
        blocked_reason(h.id()).as_deref(),
        Some("chan receive (nil chan)")
    );

    let nil: Chan<u8> = Chan::nil();
    let h = gocsp::spawn(move || nil.iter().next());
    wait_blocked(h.id(), "chan receive (nil chan)");
}

#[test]
fn recv_on_nil_blocks_a_thread_forever() {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let nil: Chan<u8> = Chan::nil();
        let v = nil.recv();
        let _ = done_tx.send(v);
    });
    assert!(
        done_rx.recv_timeout(Duration::from_millis(50)).is_err(),
        "a receive on the nil channel returned"
    );
}

#[test]
fn try_ops_on_nil_would_block() {
    let nil: Chan<String> = Chan::nil();
    match nil.try_send("x".to_string()) {
        Err(TrySendError::Full(v)) => assert_eq!(v, "x"),
        other => panic!("try_send on nil: {other:?}"),
    }
    assert_eq!(nil.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(nil.try_iter().count(), 0);
    assert!(nil.sender().try_send(String::new()).unwrap_err().is_full());
    assert_eq!(nil.receiver().try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn nil_cases_in_select_never_fire() {
    let nil: Chan<i32> = Chan::nil();
    let ready: Chan<i32> = Chan::new(1);
    for i in 0..common::scaled(200, 200) as i32 {
        ready.send(i);
        let mut sel = Select::new();
        let r_nil = sel.recv(&nil);
        let s_nil = sel.send(&nil, -1);
        let r_ready = sel.recv(&ready);
        let chosen = sel.select();
        assert_eq!(chosen, r_ready.index(), "a nil case fired");
        assert_ne!(chosen, s_nil);
        assert_ne!(chosen, r_nil.index());
        assert_eq!(sel.take(r_ready), Some(i));
    }
    // With only nil cases, default runs.
    let mut sel = Select::new();
    sel.recv(&nil);
    sel.send(&nil, 3);
    assert_eq!(sel.try_select(), None);
}
