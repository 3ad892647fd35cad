//! A goroutine-aware mutual-exclusion lock (Go's `sync.Mutex`, holding its data like Rust's).

use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};

use super::waitq::{WaitQueue, wait_on};
use crate::waiter::BlockReason;

/// A mutual-exclusion lock whose `lock` parks the calling goroutine instead of blocking its
/// worker thread. Unlocking hands the lock directly to the longest waiter (no barging), so a
/// waiter is never starved.
///
/// ```
/// use gocsp::prelude::*;
/// use gocsp::sync::Mutex;
/// use std::sync::Arc;
///
/// let counter = Arc::new(Mutex::new(0));
/// let wg = WaitGroup::new();
/// for _ in 0..8 {
///     wg.add(1);
///     let (counter, wg) = (counter.clone(), wg.clone());
///     go!(move || {
///         for _ in 0..100 {
///             *counter.lock() += 1;
///         }
///         wg.done();
///     });
/// }
/// wg.wait();
/// assert_eq!(*counter.lock(), 800);
/// ```
///
/// Unlike `std::sync::Mutex` there is no poisoning: a panic while holding the guard unlocks it.
pub struct Mutex<T: ?Sized> {
    locked: AtomicBool,
    waiters: std::sync::Mutex<WaitQueue>,
    data: UnsafeCell<T>,
}

// SAFETY: the lock gives one guard at a time access to `data`, so sharing the mutex is sound
// when `T: Send` (the data moves between the threads that lock it), as for std's Mutex.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// A new unlocked mutex.
    pub const fn new(value: T) -> Self {
        Mutex {
            locked: AtomicBool::new(false),
            waiters: std::sync::Mutex::new(WaitQueue::new_const()),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex and returns its data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks, parking the calling goroutine (or blocking the thread) while another holds it.
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        if self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_slow(Location::caller());
        }
        MutexGuard { mutex: self }
    }

    #[cold]
    fn lock_slow(&self, site: &'static Location<'static>) {
        // Either we take the lock on the re-check under the queue lock, or we queue up and
        // `unlock` hands it to us without ever releasing it.
        wait_on(BlockReason::Mutex, site, |register| {
            let mut q = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
            if self
                .locked
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return None;
            }
            register(&mut q);
            Some(q)
        });
    }

    /// Locks if the mutex is free now.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| MutexGuard { mutex: self })
    }

    /// Mutable access without locking (the `&mut` proves nobody else holds it).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Releases the lock (a guard's drop, or `Mutex<()>::unlock`).
    #[track_caller]
    fn release(&self) {
        let mut q = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
        if !self.locked.load(Ordering::Relaxed) {
            drop(q);
            panic!("sync: unlock of unlocked mutex");
        }
        // Hand the lock straight to the first waiter; release it only if nobody waits.
        if !q.wake_one() {
            self.locked.store(false, Ordering::Release);
        }
        drop(q);
    }
}

/// Go's data-less `sync.Mutex`, which guards other fields and is locked and unlocked by explicit
/// calls: `mu.lock_unguarded(); ...; mu.unlock()`. (Sound because a `Mutex<()>` guards no data
/// of its own; a `Mutex<T>` unlocks only through its guard. An unlock too many panics, also
/// inside `Cond::wait`, which then takes its registration back: no other lock is affected.)
///
/// ```
/// use gocsp::sync::Mutex;
///
/// let mu = Mutex::new(());
/// mu.lock_unguarded();
/// assert!(mu.try_lock().is_none());
/// mu.unlock();
/// assert!(mu.try_lock().is_some());
/// ```
impl Mutex<()> {
    /// Locks and keeps it locked until [`unlock`](Mutex::unlock) (Go's `mu.Lock()`).
    #[track_caller]
    pub fn lock_unguarded(&self) {
        std::mem::forget(self.lock());
    }

    /// Unlocks (Go's `mu.Unlock()`); a waiting goroutine or thread takes the lock at once.
    ///
    /// # Panics
    /// "sync: unlock of unlocked mutex" if it is not locked, naming the caller's line (Go
    /// reports this as a fatal error).
    #[track_caller]
    pub fn unlock(&self) {
        self.release();
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_lock() {
            Some(g) => f.debug_struct("Mutex").field("data", &&*g).finish(),
            None => f
                .debug_struct("Mutex")
                .field("data", &format_args!("<locked>"))
                .finish(),
        }
    }
}

/// Access to a [`Mutex`]'s data; unlocks when dropped.
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
}

// SAFETY: a guard gives `&T` across threads only; that needs `T: Sync`, as for std's guard.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this party holds the lock.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes the access unique.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.release();
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard holds (for `Cond::wait`, which unlocks and relocks it).
    pub(super) fn mutex(&self) -> &'a Mutex<T> {
        self.mutex
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
