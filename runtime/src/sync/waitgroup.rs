//! Go's `sync.WaitGroup`.

use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::waitq::{WaitQueue, wait_on};
use crate::waiter::BlockReason;

/// Waits for a collection of goroutines to finish (Go's `sync.WaitGroup`).
///
/// [`add`](WaitGroup::add) the number of goroutines to wait for, have each call
/// [`done`](WaitGroup::done) when it finishes, and [`wait`](WaitGroup::wait) until all have.
/// Clones share one counter, so each goroutine can own a clone.
///
/// ```
/// use gocsp::prelude::*;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let wg = WaitGroup::new();
/// let hits = Arc::new(AtomicUsize::new(0));
/// for _ in 0..10 {
///     wg.add(1);
///     let (wg, hits) = (wg.clone(), hits.clone());
///     go!(move || {
///         hits.fetch_add(1, Ordering::Relaxed);
///         wg.done();
///     });
/// }
/// wg.wait();
/// assert_eq!(hits.load(Ordering::Relaxed), 10);
/// ```
#[derive(Clone, Default)]
pub struct WaitGroup {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The counter in the high 32 bits, the number of registered waiters in the low 32 (Go's
    /// `state`): `add` and `done` are one atomic add each, and only the one that brings the
    /// counter to zero while somebody waits takes the lock.
    state: AtomicU64,
    /// Who waits for zero. A waiter counts itself in `state` (with a CAS that requires a
    /// counter above zero) under this lock before it registers, so whoever brings the counter
    /// to zero either is seen by the CAS or sees the waiter and takes the lock to wake it.
    waiters: Mutex<WaitQueue>,
}

/// One unit of the counter in `state`.
const ONE: u64 = 1 << 32;

fn counter(state: u64) -> i32 {
    (state >> 32) as i32
}

impl WaitGroup {
    /// A wait group with a zero counter.
    pub fn new() -> Self {
        WaitGroup::default()
    }

    /// Adds `delta` (which may be negative) to the counter; at zero, every `wait` returns.
    ///
    /// # Panics
    /// "sync: negative WaitGroup counter" if the counter would go below zero, as in Go (the
    /// counter is left as it was), and if it would go past `i32::MAX`.
    #[track_caller]
    pub fn add(&self, delta: i64) {
        let Ok(delta) = i32::try_from(delta) else {
            panic!("sync: WaitGroup counter out of range");
        };
        let step = (delta as i64 as u64).wrapping_mul(ONE);
        let state = self
            .inner
            .state
            .fetch_add(step, Ordering::AcqRel)
            .wrapping_add(step);
        if counter(state) <= 0 && (counter(state) < 0 || state as u32 != 0) {
            self.zero_with_waiters_or_negative(state, step);
        }
    }

    #[cold]
    #[track_caller]
    fn zero_with_waiters_or_negative(&self, state: u64, step: u64) {
        if counter(state) < 0 {
            self.inner.state.fetch_sub(step, Ordering::AcqRel);
            panic!("sync: negative WaitGroup counter");
        }
        // Zero, with waiters: wake every registered one and take them off the count. Unless
        // the counter has left zero by the time we hold the lock: the `Wait`s of that zero
        // have all returned (a waiter registers only under the lock, and only while the
        // counter is not zero, so it finds zero and goes, or is woken by whoever took the lock
        // first) and a new round has begun, whose waiters are not ours to wake. Waking them
        // made a `Wait` of the next round return with its counter above zero (the waiters we
        // saw were still counted by the previous round's waker, which had not taken them off
        // yet), about once in a thousand runs of `reuse_after_reaching_zero`.
        let mut q = self.inner.waiters.lock().unwrap_or_else(|p| p.into_inner());
        if counter(self.inner.state.load(Ordering::Acquire)) != 0 {
            return;
        }
        let registered = q.len() as u64;
        q.wake_all();
        self.inner.state.fetch_sub(registered, Ordering::AcqRel);
    }

    /// Decrements the counter by one.
    ///
    /// # Panics
    /// "sync: negative WaitGroup counter" if it was already zero.
    #[track_caller]
    pub fn done(&self) {
        self.add(-1);
    }

    /// Blocks until the counter is zero. Parks the calling goroutine, or blocks a thread.
    #[track_caller]
    pub fn wait(&self) {
        if counter(self.inner.state.load(Ordering::Acquire)) == 0 {
            return;
        }
        let site = Location::caller();
        wait_on(BlockReason::WaitGroup, site, |register| {
            let mut q = self.inner.waiters.lock().unwrap_or_else(|p| p.into_inner());
            let mut state = self.inner.state.load(Ordering::Acquire);
            loop {
                if counter(state) == 0 {
                    return None;
                }
                match self.inner.state.compare_exchange_weak(
                    state,
                    state + 1,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break,
                    Err(now) => state = now,
                }
            }
            register(&mut q);
            Some(q)
        });
    }

    /// The current counter (a snapshot).
    pub fn count(&self) -> i64 {
        i64::from(counter(self.inner.state.load(Ordering::Acquire)))
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &self.count())
            .finish()
    }
}
