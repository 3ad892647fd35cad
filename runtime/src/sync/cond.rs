//! Go's `sync.Cond`, goroutine-aware, used with gocsp's [`Mutex`].

use std::fmt;
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};

use super::mutex::{Mutex, MutexGuard};
use super::waitq::{WaitQueue, wait_on};
use crate::waiter::BlockReason;

/// A condition variable (Go's `sync.Cond`): goroutines wait on it, holding a [`Mutex`], until
/// another [`signal`](Cond::signal)s or [`broadcast`](Cond::broadcast)s. A waiting goroutine
/// parks; a thread blocks.
///
/// Go's `c.L.Lock(); for !ready() { c.Wait() }; c.L.Unlock()` is, in Rust's guard style:
///
/// ```
/// use gocsp::prelude::*;
/// use gocsp::sync::{Cond, Mutex};
/// use std::sync::Arc;
///
/// let shared = Arc::new((Mutex::new(false), Cond::new()));
/// let s = shared.clone();
/// go!(move || {
///     *s.0.lock() = true;
///     s.1.broadcast();
/// });
/// let (ready, cond) = &*shared;
/// let mut g = ready.lock();
/// while !*g {
///     g = cond.wait(g);
/// }
/// ```
///
/// As in Go, a wake-up is not a promise that the condition holds: wait in a loop. Channels are
/// usually the better tool; `Cond` is here for code ported from Go.
pub struct Cond {
    waiters: std::sync::Mutex<WaitQueue>,
}

impl Cond {
    /// A condition variable nobody waits on.
    pub const fn new() -> Cond {
        Cond {
            waiters: std::sync::Mutex::new(WaitQueue::new_const()),
        }
    }

    /// Unlocks the guard's mutex, waits for a [`signal`](Cond::signal) or
    /// [`broadcast`](Cond::broadcast), and locks the mutex again before returning (Go's
    /// `c.Wait()`). The caller is registered before the mutex is unlocked, so a signal sent by
    /// whoever takes the mutex next is never missed.
    #[track_caller]
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let site = Location::caller();
        let mutex: &'a Mutex<T> = guard.mutex();
        wait_on(BlockReason::Cond, site, |register| {
            let mut q = self.lock();
            let oper = register(&mut q);
            // The mutex is unlocked while the queue is still locked (a signaller takes the
            // queue lock after the mutex, never the other way round), so that if unlocking
            // panics (a `Mutex<()>` already unlocked by hand: "sync: unlock of unlocked
            // mutex"), the registration is taken back before the panic leaves: no stale entry
            // may claim a later wait of this goroutine. (The panic hook then runs with the
            // queue locked, holding up this cond's other callers for that long: a misuse.)
            if let Err(p) = catch_unwind(AssertUnwindSafe(move || drop(guard))) {
                q.remove(oper);
                drop(q);
                resume_unwind(p);
            }
            Some(q)
        });
        mutex.lock()
    }

    /// Wakes one waiting goroutine or thread, the longest waiting, if any (Go's `c.Signal()`).
    pub fn signal(&self) {
        self.lock().wake_one();
    }

    /// Wakes every waiting goroutine and thread (Go's `c.Broadcast()`).
    pub fn broadcast(&self) {
        self.lock().wake_all();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WaitQueue> {
        self.waiters.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for Cond {
    fn default() -> Self {
        Cond::new()
    }
}

impl fmt::Debug for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cond { .. }")
    }
}
