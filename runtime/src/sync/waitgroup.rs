//! Go's `sync.WaitGroup`.

use std::fmt;
use std::panic::Location;
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
    inner: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    count: i64,
    waiters: WaitQueue,
}

impl WaitGroup {
    /// A wait group with a zero counter.
    pub fn new() -> Self {
        WaitGroup::default()
    }

    /// Adds `delta` (which may be negative) to the counter; at zero, every `wait` returns.
    ///
    /// # Panics
    /// "sync: negative WaitGroup counter" if the counter would go below zero, as in Go.
    #[track_caller]
    pub fn add(&self, delta: i64) {
        let mut st = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let count = st.count + delta;
        if count < 0 {
            drop(st);
            panic!("sync: negative WaitGroup counter");
        }
        st.count = count;
        if count == 0 {
            st.waiters.wake_all();
        }
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
        let site = Location::caller();
        wait_on(BlockReason::WaitGroup, site, |register| {
            let mut st = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            if st.count == 0 {
                return None;
            }
            register(&mut st.waiters);
            Some(st)
        });
    }

    /// The current counter (a snapshot).
    pub fn count(&self) -> i64 {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).count
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &self.count())
            .finish()
    }
}
