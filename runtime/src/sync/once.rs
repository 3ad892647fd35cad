//! Go's `sync.Once`, goroutine-aware.

use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};

use super::waitq::{WaitQueue, wait_on};
use crate::waiter::BlockReason;

/// Runs a function exactly once (Go's `sync.Once`), however many goroutines and threads call
/// [`call_once`](Once::call_once) at the same time; every caller returns after it has run.
///
/// Unlike `std::sync::Once`/`OnceLock`, a goroutine that waits for another's initialisation
/// parks instead of blocking its worker thread: with std's, a waiter blocking the worker that
/// the initialiser is parked on would wait forever.
///
/// As in Go, if the function panics, the `Once` counts as done: the panic goes on in the
/// caller that ran it, and other callers return without running anything. Calling
/// `call_once` on the same `Once` from inside the function deadlocks, as in Go.
///
/// ```
/// use gocsp::prelude::*;
/// use gocsp::sync::Once;
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// let once = Arc::new(Once::new());
/// let runs = Arc::new(AtomicUsize::new(0));
/// let wg = WaitGroup::new();
/// for _ in 0..10 {
///     wg.add(1);
///     let (once, runs, wg) = (once.clone(), runs.clone(), wg.clone());
///     go!(move || {
///         once.call_once(|| { runs.fetch_add(1, Ordering::SeqCst); });
///         wg.done();
///     });
/// }
/// wg.wait();
/// assert_eq!(runs.load(Ordering::SeqCst), 1);
/// ```
pub struct Once {
    /// Set (Release) once the function has returned or panicked: the fast path.
    done: AtomicBool,
    state: std::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    running: bool,
    waiters: WaitQueue,
}

impl Once {
    /// A `Once` whose function has not run.
    pub const fn new() -> Once {
        Once {
            done: AtomicBool::new(false),
            state: std::sync::Mutex::new(State {
                running: false,
                waiters: WaitQueue::new_const(),
            }),
        }
    }

    /// Runs `f` if no call has run a function on this `Once` yet (Go's `once.Do(f)`). Returns
    /// once that function has completed, whoever ran it.
    #[track_caller]
    pub fn call_once(&self, f: impl FnOnce()) {
        if self.done.load(Ordering::Acquire) {
            return;
        }
        self.call_slow(f, Location::caller());
    }

    #[cold]
    fn call_slow(&self, f: impl FnOnce(), site: &'static Location<'static>) {
        let mut run = false;
        wait_on(BlockReason::Once, site, |register| {
            let mut st = self.lock();
            if self.done.load(Ordering::Acquire) {
                return None;
            }
            if !st.running {
                st.running = true;
                run = true;
                return None;
            }
            register(&mut st.waiters);
            Some(st)
        });
        if !run {
            return;
        }
        /// Marks the `Once` done and wakes the waiters, also when `f` panics.
        struct Finish<'a>(&'a Once);
        impl Drop for Finish<'_> {
            fn drop(&mut self) {
                let mut st = self.0.lock();
                self.0.done.store(true, Ordering::Release);
                st.running = false;
                st.waiters.wake_all();
            }
        }
        let _finish = Finish(self);
        f();
    }

    /// True once a function has run (or panicked) on this `Once`.
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for Once {
    fn default() -> Self {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once")
            .field("done", &self.is_done())
            .finish()
    }
}
