//! Stress: senders and receivers on goroutines and threads, on buffered and unbuffered
//! channels, mixing blocking operations, non-blocking ones and selects (some abandoned by
//! default), with a close at a random moment. Every completed send is received exactly once:
//! no value lost, none duplicated, none received that was not sent.
//!
//! Each round is seeded (`GOCSP_TEST_SEED` replays one); the seed decides every party's mix of
//! operations and when the close comes.
#![cfg(not(loom))]

mod common;

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{Rng, Watchdog, quiet_panics, scaled, test_seed};
use gocsp::{Chan, Select, TrySendError};

const SENDERS: u64 = 5;
const RECEIVERS: usize = 4;

/// A value names its sender, its sequence number and the channel it was offered on, so that
/// every offered value is unique.
fn value(sender: u64, seq: u64, on_b: bool) -> u64 {
    (sender << 40) | (seq << 1) | u64::from(on_b)
}

/// What a send attempt came to.
enum Sent {
    /// This value went into a channel.
    Done(u64),
    /// Nothing was sent (would block, or a select took its default).
    Nothing,
    /// The channel is closed: this sender stops.
    Closed,
}

/// One sender: a seeded mix of blocking sends, `try_send`, selects with default, and blocking
/// selects over both channels. Returns the values whose send completed.
fn sender(
    id: u64,
    per: u64,
    seed: u64,
    a: Chan<u64>,
    b: Chan<u64>,
    sent: &AtomicUsize,
) -> Vec<u64> {
    let mut rng = Rng::new(seed ^ (id * 0x9E37));
    let mut done = Vec::new();
    for seq in 0..per {
        let (va, vb) = (value(id, seq, false), value(id, seq, true));
        let on_b = rng.chance(1, 2);
        let (ch, v) = if on_b { (&b, vb) } else { (&a, va) };
        let attempt = catch_unwind(AssertUnwindSafe(|| match rng.below(4) {
            0 => {
                ch.send(v);
                Sent::Done(v)
            }
            1 => match ch.try_send(v) {
                Ok(()) => Sent::Done(v),
                Err(TrySendError::Full(_)) => Sent::Nothing,
                Err(TrySendError::Closed(_)) => Sent::Closed,
            },
            2 => {
                let mut sel = Select::new();
                let sa = sel.send(&a, va);
                let sb = sel.send(&b, vb);
                match sel.try_select() {
                    Some(i) if i == sa => Sent::Done(va),
                    Some(i) => {
                        assert_eq!(i, sb);
                        Sent::Done(vb)
                    }
                    None => Sent::Nothing,
                }
            }
            _ => {
                let mut sel = Select::new();
                let sa = sel.send(&a, va);
                if sel.send(&b, vb) == sel.select() {
                    Sent::Done(vb)
                } else {
                    let _ = sa;
                    Sent::Done(va)
                }
            }
        }));
        match attempt {
            Ok(Sent::Done(v)) => {
                done.push(v);
                sent.fetch_add(1, Ordering::SeqCst);
            }
            Ok(Sent::Nothing) => {
                if rng.chance(1, 4) {
                    gocsp::yield_now();
                }
            }
            Ok(Sent::Closed) => break,
            Err(p) => {
                let msg = common::panic_message(&*p);
                assert_eq!(msg, "send on closed channel", "sender {id} panicked");
                break;
            }
        }
    }
    done
}

/// One receiver: until both channels are closed and drained, a seeded mix of blocking selects
/// and selects with default over the channels still open (a closed one is replaced by the nil
/// channel, Go's idiom); or, for `range_a`, a plain range over `a` and then the same over `b`.
fn receiver(idx: usize, seed: u64, a: Chan<u64>, b: Chan<u64>, range_a: bool) -> Vec<u64> {
    let mut rng = Rng::new(seed ^ (idx as u64 * 0x51ED));
    let mut got = Vec::new();
    let nil: Chan<u64> = Chan::nil();
    let (mut a_open, mut b_open) = (true, true);
    if range_a {
        got.extend(a.iter());
        a_open = false;
    }
    while a_open || b_open {
        let mut sel = Select::new();
        let ra = sel.recv(if a_open { &a } else { &nil });
        let rb = sel.recv(if b_open { &b } else { &nil });
        let chosen = if rng.chance(1, 3) {
            sel.try_select()
        } else {
            Some(sel.select())
        };
        match chosen {
            None => gocsp::yield_now(),
            Some(i) if i == ra.index() => match sel.take(ra) {
                Some(v) => got.push(v),
                None => a_open = false,
            },
            Some(i) => {
                assert_eq!(i, rb.index());
                match sel.take(rb) {
                    Some(v) => got.push(v),
                    None => b_open = false,
                }
            }
        }
    }
    got
}

/// Runs one round and checks the accounting.
fn round(seed: u64, cap_a: usize, cap_b: usize, close_early: bool) {
    let per = scaled(3_000, 1_500) as u64;
    let a: Chan<u64> = Chan::new(cap_a);
    let b: Chan<u64> = Chan::new(cap_b);
    let sent = Arc::new(AtomicUsize::new(0));
    let senders_done = Arc::new(AtomicUsize::new(0));
    let mut rng = Rng::new(seed);
    // Close after this many completed sends (if that many ever complete), else at the end.
    let close_at = if close_early {
        rng.below(SENDERS * per) as usize
    } else {
        usize::MAX
    };

    let mut sender_goroutines = Vec::new();
    let mut sender_threads = Vec::new();
    for id in 0..SENDERS {
        let (a, b, sent, finished) = (a.clone(), b.clone(), sent.clone(), senders_done.clone());
        let body = move || {
            let r = sender(id, per, seed, a, b, &sent);
            finished.fetch_add(1, Ordering::SeqCst);
            r
        };
        if id % 2 == 0 {
            sender_goroutines.push(gocsp::spawn(body));
        } else {
            sender_threads.push(std::thread::spawn(body));
        }
    }
    let mut receiver_goroutines = Vec::new();
    let mut receiver_threads = Vec::new();
    for idx in 0..RECEIVERS {
        let (a, b) = (a.clone(), b.clone());
        let body = move || receiver(idx, seed, a, b, idx == 0);
        if idx % 2 == 0 {
            receiver_goroutines.push(gocsp::spawn(body));
        } else {
            receiver_threads.push(std::thread::spawn(body));
        }
    }

    // The closer.
    let closed = AtomicBool::new(false);
    while senders_done.load(Ordering::SeqCst) < SENDERS as usize {
        if sent.load(Ordering::SeqCst) >= close_at && !closed.swap(true, Ordering::SeqCst) {
            a.close();
            b.close();
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    if !closed.swap(true, Ordering::SeqCst) {
        a.close();
        b.close();
    }

    let mut completed = Vec::new();
    for h in sender_goroutines {
        completed.extend(h.join().unwrap());
    }
    for t in sender_threads {
        completed.extend(t.join().unwrap());
    }
    let mut received = Vec::new();
    for h in receiver_goroutines {
        received.extend(h.join().unwrap());
    }
    for t in receiver_threads {
        received.extend(t.join().unwrap());
    }

    let ctx = format!("seed {seed}, caps ({cap_a}, {cap_b}), close_early {close_early}");
    let unique: HashSet<u64> = received.iter().copied().collect();
    assert_eq!(
        unique.len(),
        received.len(),
        "{ctx}: a value was received twice"
    );
    let completed_set: HashSet<u64> = completed.iter().copied().collect();
    assert_eq!(
        completed_set.len(),
        completed.len(),
        "{ctx}: a value was sent twice"
    );
    let lost: Vec<_> = completed_set.difference(&unique).take(5).collect();
    assert!(lost.is_empty(), "{ctx}: sent but never received: {lost:x?}");
    let phantom: Vec<_> = unique.difference(&completed_set).take(5).collect();
    assert!(
        phantom.is_empty(),
        "{ctx}: received but never sent: {phantom:x?}"
    );
    if !close_early {
        assert!(
            completed.len() as u64 > SENDERS * per / 4,
            "{ctx}: suspiciously few sends completed: {}",
            completed.len()
        );
    }
}

#[test]
fn every_completed_send_is_received_exactly_once() {
    quiet_panics(&["send on closed channel"]);
    let _dog = Watchdog::new("the channel stress test", Duration::from_secs(240));
    let base = test_seed(0x57E5_5000);
    let configs = [(0, 0), (7, 0), (1, 64), (7, 7), (3, 1)];
    for (n, &(cap_a, cap_b)) in configs.iter().enumerate() {
        for close_early in [true, false] {
            round(
                base.wrapping_add(n as u64 * 2 + u64::from(close_early)),
                cap_a,
                cap_b,
                close_early,
            );
        }
    }
}

#[test]
fn close_racing_with_blocked_parties_loses_nothing() {
    // Many short rounds where the close lands while senders and receivers are parked.
    quiet_panics(&["send on closed channel"]);
    let _dog = Watchdog::new("the close race test", Duration::from_secs(240));
    let mut rng = Rng::new(test_seed(0xC105E));
    for _ in 0..scaled(200, 100) {
        let cap = [0, 1, 2, 5][rng.below(4) as usize];
        let ch: Chan<u64> = Chan::new(cap);
        let mut senders = Vec::new();
        for id in 0..4u64 {
            let tx = ch.sender();
            senders.push(gocsp::spawn(move || {
                let mut done = Vec::new();
                for seq in 0..1_000u64 {
                    let v = (id << 32) | seq;
                    if catch_unwind(AssertUnwindSafe(|| tx.send(v))).is_err() {
                        break;
                    }
                    done.push(v);
                }
                done
            }));
        }
        let receivers: Vec<_> = (0..3)
            .map(|_| {
                let rx = ch.receiver();
                gocsp::spawn(move || rx.iter().collect::<Vec<_>>())
            })
            .collect();
        // A tight loop of a random length, then the close.
        for _ in 0..rng.below(2_000) {
            std::hint::spin_loop();
        }
        ch.close();
        let completed: HashSet<u64> = senders
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        let received: Vec<u64> = receivers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        let unique: HashSet<u64> = received.iter().copied().collect();
        assert_eq!(unique.len(), received.len(), "cap {cap}: duplicate receive");
        assert_eq!(
            unique, completed,
            "cap {cap}: completed sends and receives differ"
        );
    }
}
