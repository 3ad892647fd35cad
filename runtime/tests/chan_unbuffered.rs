//! Unbuffered channels: a send completes only when a receiver takes the value (direct
//! hand-off), between threads, goroutines, and threads and goroutines, in both directions.
#![cfg(not(loom))]
// Under Miri the goroutine tests are compiled out (see .ci/miri); their helpers go unused.
#![cfg_attr(miri, allow(unused))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{scaled, wait_blocked, wait_until};
use gocsp::{Chan, GoroutineState};

#[test]
fn len_and_cap_are_zero() {
    let ch: Chan<i32> = Chan::new(0);
    assert_eq!((ch.len(), ch.cap()), (0, 0));
    assert!(ch.is_empty());
    assert_eq!((ch.sender().cap(), ch.receiver().cap()), (0, 0));
}

#[cfg(not(miri))]
#[test]
fn goroutine_send_blocks_until_a_receiver_takes_the_value() {
    let ch: Chan<i32> = Chan::new(0);
    let sent = Arc::new(AtomicBool::new(false));
    let (tx, flag) = (ch.sender(), sent.clone());
    let h = gocsp::spawn(move || {
        tx.send(42);
        flag.store(true, Ordering::SeqCst);
    });
    let g = wait_blocked(h.id(), "chan send");
    // Parked in the send, at the send's line in this file, and the value is not buffered.
    let GoroutineState::Blocked { site, .. } = g.state else {
        unreachable!()
    };
    assert_eq!(site.map(|s| s.file()), Some(file!()));
    assert!(
        !sent.load(Ordering::SeqCst),
        "send returned with no receiver"
    );
    assert_eq!(ch.len(), 0);
    assert_eq!(ch.recv(), Some(42));
    h.join().unwrap();
    assert!(sent.load(Ordering::SeqCst));
}

#[cfg(not(miri))]
#[test]
fn goroutine_recv_blocks_until_a_sender_arrives() {
    let ch: Chan<i32> = Chan::new(0);
    let rx = ch.receiver();
    let h = gocsp::spawn(move || rx.recv());
    wait_blocked(h.id(), "chan receive");
    assert!(!h.is_finished());
    ch.send(7);
    assert_eq!(h.join().unwrap(), Some(7));
}

#[test]
fn thread_send_blocks_until_a_receiver_takes_the_value() {
    let ch: Chan<String> = Chan::new(0);
    let sent = Arc::new(AtomicBool::new(false));
    let (tx, flag) = (ch.sender(), sent.clone());
    let t = std::thread::spawn(move || {
        tx.send("hello".to_string());
        flag.store(true, Ordering::SeqCst);
    });
    // Give a wrongly buffering implementation every chance to let the send return.
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        !sent.load(Ordering::SeqCst),
        "send returned with no receiver"
    );
    assert_eq!(ch.recv().as_deref(), Some("hello"));
    t.join().unwrap();
    assert!(sent.load(Ordering::SeqCst));
}

#[cfg(not(miri))]
#[test]
fn each_receive_completes_exactly_one_blocked_sender() {
    let ch: Chan<usize> = Chan::new(0);
    let finished = Arc::new(AtomicUsize::new(0));
    let mut ids = Vec::new();
    for i in 0..3 {
        let (tx, finished) = (ch.sender(), finished.clone());
        let h = gocsp::spawn(move || {
            tx.send(i);
            finished.fetch_add(1, Ordering::SeqCst);
        });
        // Wait for each sender to queue before starting the next: blocked senders are served
        // in the order they arrived.
        wait_blocked(h.id(), "chan send");
        ids.push(h);
    }
    for (k, h) in ids.into_iter().enumerate() {
        assert_eq!(
            ch.recv(),
            Some(k),
            "blocked senders are served first come, first served"
        );
        h.join().unwrap();
        assert_eq!(finished.load(Ordering::SeqCst), k + 1);
    }
}

#[test]
fn thread_to_thread_in_order() {
    let n = scaled(20_000, 2_000);
    let ch: Chan<usize> = Chan::new(0);
    let tx = ch.sender();
    let t = std::thread::spawn(move || {
        for i in 0..n {
            tx.send(i);
        }
        tx.close();
    });
    let got: Vec<usize> = ch.iter().collect();
    t.join().unwrap();
    assert_eq!(got, (0..n).collect::<Vec<_>>());
}

#[cfg(not(miri))]
#[test]
fn thread_to_goroutine_and_back() {
    let n = scaled(20_000, 2_000);
    let to_g: Chan<usize> = Chan::new(0);
    let from_g: Chan<usize> = Chan::new(0);
    let (rx, tx) = (to_g.receiver(), from_g.sender());
    let h = gocsp::spawn(move || {
        for v in &rx {
            tx.send(v * 2);
        }
        tx.close();
    });
    for i in 0..n {
        to_g.send(i);
        assert_eq!(from_g.recv(), Some(2 * i));
    }
    to_g.close();
    assert_eq!(from_g.recv(), None);
    h.join().unwrap();
}

#[cfg(not(miri))]
#[test]
fn goroutine_to_thread() {
    let n = scaled(20_000, 2_000);
    let ch: Chan<usize> = Chan::new(0);
    let tx = ch.sender();
    let h = gocsp::spawn(move || {
        for i in 0..n {
            tx.send(i);
        }
        tx.close();
    });
    let got: Vec<usize> = ch.iter().collect();
    assert_eq!(got, (0..n).collect::<Vec<_>>());
    h.join().unwrap();
}

#[cfg(not(miri))]
#[test]
fn goroutine_to_goroutine_both_directions() {
    let n = scaled(50_000, 5_000);
    let result = gocsp::spawn(move || {
        let ping: Chan<usize> = Chan::new(0);
        let pong: Chan<usize> = Chan::new(0);
        let (rx, tx) = (ping.receiver(), pong.sender());
        let echo = gocsp::spawn(move || {
            let mut count = 0;
            for v in &rx {
                tx.send(v + 1);
                count += 1;
            }
            count
        });
        for i in 0..n {
            ping.send(i);
            assert_eq!(pong.recv(), Some(i + 1));
        }
        ping.close();
        echo.join().unwrap()
    })
    .join()
    .unwrap();
    assert_eq!(result, n);
}

#[cfg(not(miri))]
#[test]
fn thread_receiver_with_goroutine_sender_parked_first() {
    // The goroutine reaches the channel first and parks; a thread then takes the value.
    let ch: Chan<Vec<u8>> = Chan::new(0);
    let tx = ch.sender();
    let h = gocsp::spawn(move || tx.send(vec![1, 2, 3]));
    wait_blocked(h.id(), "chan send");
    let rx = ch.receiver();
    let t = std::thread::spawn(move || rx.recv());
    assert_eq!(t.join().unwrap(), Some(vec![1, 2, 3]));
    h.join().unwrap();
}

#[cfg(not(miri))]
#[test]
fn goroutine_receiver_with_thread_sender() {
    // The goroutine parks in a receive first; a thread completes it.
    let ch: Chan<u64> = Chan::new(0);
    let rx = ch.receiver();
    let h = gocsp::spawn(move || rx.recv());
    wait_blocked(h.id(), "chan receive");
    let tx = ch.sender();
    std::thread::spawn(move || tx.send(99)).join().unwrap();
    assert_eq!(h.join().unwrap(), Some(99));
}

/// Counts drops, to prove a value handed over is neither copied nor lost.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(not(miri))]
#[test]
fn hand_off_moves_each_value_exactly_once() {
    let n = scaled(5_000, 1_000);
    let drops = Arc::new(AtomicUsize::new(0));
    let ch: Chan<Tracked> = Chan::new(0);
    let (tx, d) = (ch.sender(), drops.clone());
    let h = gocsp::spawn(move || {
        for _ in 0..n {
            tx.send(Tracked(d.clone()));
        }
    });
    for i in 0..n {
        let v = ch.recv().unwrap();
        assert_eq!(
            drops.load(Ordering::SeqCst),
            i,
            "a value was dropped in transit"
        );
        drop(v);
    }
    h.join().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), n);
}

#[cfg(not(miri))]
#[test]
fn many_senders_and_receivers_across_threads_and_goroutines() {
    let per = scaled(5_000, 500);
    let ch: Chan<usize> = Chan::new(0);
    let total = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicUsize::new(0));
    let mut goroutines = Vec::new();
    let mut threads = Vec::new();
    for s in 0..4 {
        let tx = ch.sender();
        if s % 2 == 0 {
            goroutines.push(gocsp::spawn(move || (0..per).for_each(|i| tx.send(i))));
        } else {
            threads.push(std::thread::spawn(move || {
                (0..per).for_each(|i| tx.send(i))
            }));
        }
    }
    let mut receivers = Vec::new();
    for r in 0..4 {
        let (rx, total, received) = (ch.receiver(), total.clone(), received.clone());
        let body = move || {
            for v in &rx {
                total.fetch_add(v, Ordering::SeqCst);
                received.fetch_add(1, Ordering::SeqCst);
            }
        };
        if r % 2 == 0 {
            receivers.push(Err(gocsp::spawn(body)));
        } else {
            receivers.push(Ok(std::thread::spawn(body)));
        }
    }
    goroutines.into_iter().for_each(|h| h.join().unwrap());
    threads.into_iter().for_each(|t| t.join().unwrap());
    // Every send completed, so every value has been taken by some receiver.
    wait_until("receivers to count every value", || {
        received.load(Ordering::SeqCst) == 4 * per
    });
    ch.close();
    for r in receivers {
        match r {
            Ok(t) => t.join().unwrap(),
            Err(h) => h.join().unwrap(),
        }
    }
    assert_eq!(received.load(Ordering::SeqCst), 4 * per);
    assert_eq!(total.load(Ordering::SeqCst), 4 * per * (per - 1) / 2);
}
