//! Buffered channels: FIFO order, a send blocks when the buffer is full and a receive when it
//! is empty, `len`/`cap`, many laps around the ring, capacities 1 and non-powers of two.
#![cfg(not(loom))]
// Under Miri the goroutine tests are compiled out (see .ci/miri); their helpers go unused.
#![cfg_attr(miri, allow(unused))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{scaled, wait_blocked, wait_until};
use gocsp::{Chan, TryRecvError, TrySendError};

const CAPS: [usize; 6] = [1, 2, 3, 7, 10, 64];

#[test]
fn len_and_cap_follow_the_buffer() {
    for cap in CAPS {
        let ch: Chan<usize> = Chan::new(cap);
        assert_eq!((ch.len(), ch.cap()), (0, cap));
        for i in 0..cap {
            ch.send(i);
            assert_eq!(ch.len(), i + 1);
            assert_eq!(ch.sender().len(), i + 1);
            assert_eq!(ch.receiver().len(), i + 1);
        }
        assert!(matches!(ch.try_send(cap), Err(TrySendError::Full(v)) if v == cap));
        for i in 0..cap {
            assert_eq!(ch.recv(), Some(i));
            assert_eq!(ch.len(), cap - i - 1);
        }
        assert!(ch.is_empty());
        assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
        assert_eq!(ch.cap(), cap);
    }
}

#[test]
fn fifo_over_many_laps() {
    // Wraparound: push and pop in varying batch sizes so head and tail meet at every index
    // of the ring, for many laps.
    // Under Miri the small rings only: they wrap just as often, in a fraction of the steps.
    let caps = if cfg!(miri) { &CAPS[..4] } else { &CAPS[..] };
    for &cap in caps {
        let ch: Chan<u64> = Chan::new(cap);
        let mut next_in = 0u64;
        let mut next_out = 0u64;
        let laps = scaled(200, 40);
        for round in 0..laps * cap {
            let batch = 1 + round % cap;
            for _ in 0..batch {
                ch.send(next_in);
                next_in += 1;
            }
            assert_eq!(ch.len(), batch);
            for _ in 0..batch {
                assert_eq!(ch.recv(), Some(next_out));
                next_out += 1;
            }
        }
        // Partly full across a lap boundary, too.
        for _ in 0..cap * 3 {
            ch.send(next_in);
            next_in += 1;
            if ch.len() == cap {
                assert_eq!(ch.recv(), Some(next_out));
                next_out += 1;
            }
        }
        while let Ok(v) = ch.try_recv() {
            assert_eq!(v, next_out);
            next_out += 1;
        }
        assert_eq!(next_in, next_out);
    }
}

#[cfg(not(miri))]
#[test]
fn send_blocks_when_full_until_a_receive_frees_a_slot() {
    for cap in [1, 3, 5] {
        let ch: Chan<usize> = Chan::new(cap);
        for i in 0..cap {
            ch.send(i);
        }
        let done = Arc::new(AtomicBool::new(false));
        let (tx, flag) = (ch.sender(), done.clone());
        let h = gocsp::spawn(move || {
            tx.send(cap);
            flag.store(true, Ordering::SeqCst);
        });
        wait_blocked(h.id(), "chan send");
        assert!(!done.load(Ordering::SeqCst));
        assert_eq!(ch.len(), cap);
        assert_eq!(ch.recv(), Some(0));
        h.join().unwrap();
        assert!(done.load(Ordering::SeqCst));
        // FIFO still holds: the blocked value went in behind the buffered ones.
        let rest: Vec<usize> = ch.try_iter().collect();
        assert_eq!(rest, (1..=cap).collect::<Vec<_>>());
    }
}

/// Go's receive from a full buffer moves the first blocked sender's value in behind the
/// buffered ones, which completes that send: when the receive returns the buffer is full
/// again, and a `close` right after it cannot fail the send. Both from a plain receive and
/// from a non-blocking one, and for a select blocked on the send.
#[cfg(not(miri))]
#[test]
fn a_receive_completes_the_first_blocked_send() {
    for cap in [1, 3] {
        for how in ["recv", "try_recv", "select"] {
            let ch: Chan<usize> = Chan::new(cap);
            for i in 0..cap {
                ch.send(i);
            }
            let (tx, never) = (ch.sender(), Chan::<u8>::new(0));
            let h = gocsp::spawn(move || {
                if how == "select" {
                    let mut sel = gocsp::Select::new();
                    let s = sel.send(&tx, cap);
                    sel.recv(&never);
                    assert_eq!(sel.select(), s);
                } else {
                    tx.send(cap);
                }
            });
            wait_blocked(
                h.id(),
                if how == "select" {
                    "select"
                } else {
                    "chan send"
                },
            );
            let first = if how == "try_recv" {
                ch.try_recv().ok()
            } else {
                ch.recv()
            };
            assert_eq!(first, Some(0));
            assert_eq!(
                ch.len(),
                cap,
                "{how}, cap {cap}: the blocked value is buffered"
            );
            ch.close();
            assert!(
                h.join().is_ok(),
                "{how}, cap {cap}: the send completed with the receive, before the close"
            );
            assert_eq!(ch.iter().collect::<Vec<_>>(), (1..=cap).collect::<Vec<_>>());
        }
    }
}

/// Threads blocked on a full buffer, completed by another thread's receives, which move each
/// boxed value from the blocked sender's packet into the ring (Miri checks the hand-off).
#[test]
fn blocked_thread_sends_hand_offs_into_the_buffer() {
    let n = scaled(200, 40) as u32;
    let ch: Chan<Box<u32>> = Chan::new(1);
    let senders: Vec<_> = (0..2u32)
        .map(|k| {
            let tx = ch.sender();
            std::thread::spawn(move || (0..n).for_each(|i| tx.send(Box::new(k * n + i))))
        })
        .collect();
    let mut next = [0, n];
    for _ in 0..2 * n {
        let v = *ch.recv().unwrap();
        let k = (v / n) as usize;
        assert_eq!(v, next[k], "each sender's values in order");
        next[k] += 1;
    }
    senders.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(next, [n, 2 * n]);
    assert!(ch.is_empty());
}

#[test]
fn thread_send_blocks_when_full() {
    let ch: Chan<u8> = Chan::new(2);
    ch.send(1);
    ch.send(2);
    let done = Arc::new(AtomicBool::new(false));
    let (tx, flag) = (ch.sender(), done.clone());
    let t = std::thread::spawn(move || {
        tx.send(3);
        flag.store(true, Ordering::SeqCst);
    });
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        !done.load(Ordering::SeqCst),
        "send into a full buffer returned"
    );
    assert_eq!(ch.recv(), Some(1));
    t.join().unwrap();
    assert!(done.load(Ordering::SeqCst));
    assert_eq!(ch.try_iter().collect::<Vec<_>>(), [2, 3]);
}

#[cfg(not(miri))]
#[test]
fn recv_blocks_when_empty_until_a_send() {
    let ch: Chan<&'static str> = Chan::new(4);
    let rx = ch.receiver();
    let h = gocsp::spawn(move || rx.recv());
    wait_blocked(h.id(), "chan receive");
    ch.send("x");
    assert_eq!(h.join().unwrap(), Some("x"));
    assert!(ch.is_empty());
}

#[test]
fn thread_recv_blocks_when_empty() {
    let ch: Chan<i32> = Chan::new(3);
    let rx = ch.receiver();
    let t = std::thread::spawn(move || rx.recv());
    std::thread::sleep(Duration::from_millis(20));
    assert!(!t.is_finished());
    ch.send(5);
    assert_eq!(t.join().unwrap(), Some(5));
}

#[cfg(not(miri))]
#[test]
fn every_blocked_sender_gets_through_in_order_of_arrival() {
    let ch: Chan<usize> = Chan::new(1);
    ch.send(0);
    let mut hs = Vec::new();
    for i in 1..=4 {
        let tx = ch.sender();
        let h = gocsp::spawn(move || tx.send(i));
        wait_blocked(h.id(), "chan send");
        hs.push(h);
    }
    let got: Vec<usize> = (0..=4).map(|_| ch.recv().unwrap()).collect();
    assert_eq!(got, [0, 1, 2, 3, 4]);
    hs.into_iter().for_each(|h| h.join().unwrap());
}

#[cfg(not(miri))]
#[test]
fn single_producer_single_consumer_fifo_across_goroutines_and_threads() {
    let n = scaled(20_000, 5_000);
    for cap in [1, 3, 7, 100] {
        // goroutine -> thread
        let ch: Chan<usize> = Chan::new(cap);
        let tx = ch.sender();
        let h = gocsp::spawn(move || {
            (0..n).for_each(|i| tx.send(i));
            tx.close();
        });
        let mut expect = 0;
        for v in &ch {
            assert_eq!(v, expect);
            expect += 1;
        }
        assert_eq!(expect, n);
        h.join().unwrap();

        // thread -> goroutine
        let ch: Chan<usize> = Chan::new(cap);
        let rx = ch.receiver();
        let h = gocsp::spawn(move || rx.into_iter().enumerate().all(|(i, v)| i == v));
        (0..n).for_each(|i| ch.send(i));
        ch.close();
        assert!(h.join().unwrap(), "values arrived out of order");
    }
}

#[cfg(not(miri))]
#[test]
fn multi_producer_per_producer_fifo_and_no_loss() {
    let per = scaled(10_000, 2_000);
    let producers = 4;
    for cap in [1, 5, 64] {
        let ch: Chan<(usize, usize)> = Chan::new(cap);
        let mut hs = Vec::new();
        for p in 0..producers {
            let tx = ch.sender();
            hs.push(gocsp::spawn(move || (0..per).for_each(|i| tx.send((p, i)))));
        }
        let received = Arc::new(AtomicUsize::new(0));
        let mut next = vec![0; producers];
        let rx = ch.receiver();
        let counter = received.clone();
        let t = std::thread::spawn(move || {
            for (p, i) in &rx {
                assert_eq!(i, next[p], "producer {p}'s values out of order");
                next[p] += 1;
                counter.fetch_add(1, Ordering::SeqCst);
            }
            next
        });
        hs.into_iter().for_each(|h| h.join().unwrap());
        wait_until("the consumer to drain", || ch.is_empty());
        ch.close();
        let next = t.join().unwrap();
        assert_eq!(next, vec![per; producers]);
        assert_eq!(received.load(Ordering::SeqCst), producers * per);
    }
}

/// Counts drops: buffered values dropped with the channel, values never duplicated.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn values_left_in_the_buffer_are_dropped_with_the_channel() {
    let drops = Arc::new(AtomicUsize::new(0));
    let ch: Chan<Tracked> = Chan::new(5);
    // Wrap around once so the remaining values straddle the end of the ring.
    for _ in 0..4 {
        ch.send(Tracked(drops.clone()));
    }
    for _ in 0..3 {
        drop(ch.recv());
    }
    for _ in 0..4 {
        ch.send(Tracked(drops.clone()));
    }
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    assert_eq!(ch.len(), 5);
    let other = ch.clone();
    drop(ch);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        3,
        "a live handle keeps the values"
    );
    drop(other);
    assert_eq!(drops.load(Ordering::SeqCst), 8);
}

/// Counts drops; the one made with `panics` set panics in its `Drop`.
struct Fragile {
    drops: Arc<AtomicUsize>,
    panics: bool,
}

impl Drop for Fragile {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        if self.panics {
            panic!("fragile value dropped");
        }
    }
}

#[test]
fn a_panicking_drop_does_not_leak_the_rest_of_the_buffer() {
    common::quiet_panics(&["fragile value dropped"]);
    for panicking in 0..4 {
        let drops = Arc::new(AtomicUsize::new(0));
        let ch: Chan<Fragile> = Chan::new(4);
        // Start past the first slot so the values straddle the end of the ring.
        ch.send(Fragile {
            drops: drops.clone(),
            panics: false,
        });
        drop(ch.recv());
        for i in 0..4 {
            ch.send(Fragile {
                drops: drops.clone(),
                panics: i == panicking,
            });
        }
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(ch)));
        assert_eq!(
            common::panic_message(&*r.expect_err("the value's panic reaches the dropper")),
            "fragile value dropped"
        );
        assert_eq!(
            drops.load(Ordering::SeqCst),
            5,
            "every buffered value is dropped once (panicking one: #{panicking})"
        );
    }
}
