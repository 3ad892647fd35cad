//! The thread-world baseline: the same workloads on crossbeam-channel and `std::thread`, the
//! best a Rust program gets without goroutines. Structure and sizes follow
//! [`gocsp_world`](crate::gocsp_world); joins take the place of the WaitGroup.

use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, bounded, select};

use crate::common::{self, BUFFER, Blocked, sink};

/// Spawn `n` threads that do nothing and join them all.
pub fn spawn(n: usize) -> Duration {
    let start = Instant::now();
    let handles: Vec<_> = (0..n).map(|_| thread::spawn(|| {})).collect();
    for h in handles {
        h.join().unwrap();
    }
    start.elapsed()
}

/// `n` round trips over two zero-capacity channels between this thread and an echo thread.
pub fn ping_pong(n: usize) -> Duration {
    let (ping_tx, ping_rx) = bounded::<usize>(0);
    let (pong_tx, pong_rx) = bounded::<usize>(0);
    let echo = thread::spawn(move || {
        for v in ping_rx {
            pong_tx.send(v).unwrap();
        }
    });
    let start = Instant::now();
    for i in 0..n {
        ping_tx.send(i).unwrap();
        sink(pong_rx.recv().unwrap());
    }
    let elapsed = start.elapsed();
    drop(ping_tx);
    echo.join().unwrap();
    elapsed
}

/// `p` producer threads send `n / p` values each into one channel of capacity `cap`, `q`
/// consumer threads receive `n / q` each.
pub fn mpmc(p: usize, q: usize, cap: usize, n: usize) -> Duration {
    let (tx, rx) = bounded::<usize>(cap);
    let start = Instant::now();
    let mut handles = Vec::with_capacity(p + q);
    for _ in 0..p {
        let tx = tx.clone();
        handles.push(thread::spawn(move || {
            for j in 0..n / p {
                tx.send(j).unwrap();
            }
        }));
    }
    for _ in 0..q {
        let rx = rx.clone();
        handles.push(thread::spawn(move || {
            for _ in 0..n / q {
                sink(rx.recv().unwrap());
            }
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    start.elapsed()
}

/// Four producer threads send `n / 4` values each on their own channel (capacity 1024); this
/// thread selects over the four `n` times.
pub fn select4(n: usize) -> Duration {
    let start = Instant::now();
    // Keep a sender of each channel here: a channel whose last sender is dropped is
    // disconnected, and its case would become ready (Go's producers never close).
    let mut keep = Vec::with_capacity(4);
    let rx: [Receiver<usize>; 4] = std::array::from_fn(|_| {
        let (tx, rx) = bounded(BUFFER);
        keep.push(tx.clone());
        thread::spawn(move || {
            for j in 0..n / 4 {
                tx.send(j).unwrap();
            }
        });
        rx
    });
    let mut sum = 0usize;
    for _ in 0..n {
        let v = select! {
            recv(rx[0]) -> v => v,
            recv(rx[1]) -> v => v,
            recv(rx[2]) -> v => v,
            recv(rx[3]) -> v => v,
        };
        sum = sum.wrapping_add(v.unwrap());
    }
    let elapsed = start.elapsed();
    sink(sum);
    drop(keep);
    elapsed
}

/// `n` selects with a default case on one empty zero-capacity channel.
pub fn select_default(n: usize) -> Duration {
    let (_tx, rx) = bounded::<usize>(0);
    let mut hits = 0usize;
    let start = Instant::now();
    for _ in 0..n {
        select! {
            recv(rx) -> _ => hits += 1,
            default => {}
        }
    }
    let elapsed = start.elapsed();
    sink(hits);
    elapsed
}

/// `n` `crossbeam_channel::after` timers with the same random deadlines, received in order.
pub fn timers(n: usize) -> Duration {
    let deadlines = common::timer_deadlines_us(n);
    let start = Instant::now();
    let chans: Vec<_> = deadlines
        .iter()
        .map(|&us| crossbeam_channel::after(Duration::from_micros(us)))
        .collect();
    for c in &chans {
        sink(c.recv().unwrap());
    }
    start.elapsed()
}

/// The prime sieve to `n` primes with one thread per filter; dropping a sender closes.
pub fn sieve(n: usize) -> Duration {
    let limit = common::nth_prime(n);
    let start = Instant::now();
    let (tx, mut rx) = bounded::<u64>(0);
    let mut handles = vec![thread::spawn(move || {
        for i in 2..=limit {
            tx.send(i).unwrap();
        }
    })];
    let mut found = 0;
    while let Ok(p) = rx.recv() {
        found += 1;
        let (out, next) = bounded::<u64>(0);
        let input = rx;
        handles.push(thread::spawn(move || {
            for v in input {
                if v % p != 0 {
                    out.send(v).unwrap();
                }
            }
        }));
        rx = next;
    }
    let elapsed = start.elapsed();
    assert_eq!(found, n, "the sieve found {found} primes, want {n}");
    for h in handles {
        h.join().unwrap();
    }
    elapsed
}

/// Starts `n` threads that each block receiving on one channel (after signalling that they
/// run); measures the start time and the resident set per thread. For a fresh process.
pub fn blocked(n: usize) -> Blocked {
    let (block_tx, block_rx) = bounded::<()>(0);
    let (ready_tx, ready_rx) = bounded::<()>(n);
    let before = common::vm_rss();
    let start = Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (rx, ready) = (block_rx.clone(), ready_tx.clone());
            thread::spawn(move || {
                ready.send(()).unwrap();
                sink(rx.recv().ok());
            })
        })
        .collect();
    for _ in 0..n {
        ready_rx.recv().unwrap();
    }
    let elapsed = start.elapsed();
    let after = common::vm_rss();
    let start = Instant::now();
    drop(block_tx);
    for h in handles {
        h.join().unwrap();
    }
    Blocked {
        create_ns: elapsed.as_nanos() as f64 / n as f64,
        rss_bytes: after.saturating_sub(before) as f64 / n as f64,
        release_ns: start.elapsed().as_nanos() as f64 / n as f64,
    }
}
