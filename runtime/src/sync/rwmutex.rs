//! Go's `sync.RWMutex`, goroutine-aware, holding its data like `std::sync::RwLock`.

use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;

use super::waitq::{WaitQueue, wait_on};
use crate::waiter::BlockReason;

/// A reader/writer lock: any number of readers or one writer (Go's `sync.RWMutex`). Blocked
/// goroutines park, freeing their worker; plain threads block.
///
/// As in Go, a writer that waits keeps new readers out, so readers cannot starve it; when it
/// unlocks, the readers that queued meanwhile go first, then the next writer. So, as in Go, a
/// goroutine must not take a read lock it already holds again (a writer queued in between
/// would deadlock both).
///
/// ```
/// use gocsp::prelude::*;
/// use gocsp::sync::RWMutex;
/// use std::sync::Arc;
///
/// let config = Arc::new(RWMutex::new(String::from("v1")));
/// let wg = WaitGroup::new();
/// for _ in 0..4 {
///     wg.add(1);
///     let (config, wg) = (config.clone(), wg.clone());
///     go!(move || {
///         assert!(config.rlock().starts_with('v'));
///         wg.done();
///     });
/// }
/// *config.lock() = String::from("v2");
/// wg.wait();
/// assert_eq!(*config.rlock(), "v2");
/// ```
///
/// No poisoning: a panic while holding a guard releases it.
pub struct RWMutex<T: ?Sized> {
    state: std::sync::Mutex<State>,
    data: UnsafeCell<T>,
}

/// Who holds the lock and who waits. Every transition happens under the `state` lock; a waker
/// takes the lock on behalf of whoever it wakes (hand-off), so a woken party never re-checks.
#[derive(Default)]
struct State {
    /// Readers holding the lock.
    readers: usize,
    /// A writer holds the lock.
    writer: bool,
    /// Readers waiting for a writer to leave (they go first when it does).
    waiting_readers: WaitQueue,
    /// Writers waiting, FIFO. While one waits, new readers queue too.
    waiting_writers: WaitQueue,
}

// SAFETY: readers share `&T` across threads (needs `T: Sync`) and a writer gets `&mut T` from
// whichever thread locks (needs `T: Send`), exactly std's `RwLock` bounds.
unsafe impl<T: ?Sized + Send> Send for RWMutex<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RWMutex<T> {}

impl<T> RWMutex<T> {
    /// A new unlocked reader/writer lock.
    pub const fn new(value: T) -> Self {
        RWMutex {
            state: std::sync::Mutex::new(State {
                readers: 0,
                writer: false,
                waiting_readers: WaitQueue::new_const(),
                waiting_writers: WaitQueue::new_const(),
            }),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns its data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RWMutex<T> {
    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Locks for reading (Go's `RLock`), parking while a writer holds or waits for the lock.
    #[track_caller]
    pub fn rlock(&self) -> RWMutexReadGuard<'_, T> {
        let site = Location::caller();
        wait_on(BlockReason::RWMutexRLock, site, |register| {
            let mut st = self.lock_state();
            if !st.writer && st.waiting_writers.is_empty() {
                st.readers += 1;
                return None;
            }
            register(&mut st.waiting_readers);
            Some(st)
        });
        RWMutexReadGuard { lock: self }
    }

    /// Locks for writing (Go's `Lock`), parking while anyone holds the lock.
    #[track_caller]
    pub fn lock(&self) -> RWMutexWriteGuard<'_, T> {
        let site = Location::caller();
        wait_on(BlockReason::RWMutexLock, site, |register| {
            let mut st = self.lock_state();
            if !st.writer && st.readers == 0 {
                st.writer = true;
                return None;
            }
            register(&mut st.waiting_writers);
            Some(st)
        });
        RWMutexWriteGuard { lock: self }
    }

    /// Locks for reading if that is possible now (Go's `TryRLock`).
    pub fn try_rlock(&self) -> Option<RWMutexReadGuard<'_, T>> {
        let mut st = self.lock_state();
        if st.writer || !st.waiting_writers.is_empty() {
            return None;
        }
        st.readers += 1;
        Some(RWMutexReadGuard { lock: self })
    }

    /// Locks for writing if nobody holds the lock now (Go's `TryLock`).
    pub fn try_lock(&self) -> Option<RWMutexWriteGuard<'_, T>> {
        let mut st = self.lock_state();
        if st.writer || st.readers > 0 {
            return None;
        }
        st.writer = true;
        Some(RWMutexWriteGuard { lock: self })
    }

    /// Mutable access without locking (the `&mut` proves nobody else holds it).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    #[track_caller]
    fn release_read(&self) {
        let mut st = self.lock_state();
        if st.readers == 0 {
            drop(st);
            panic!("sync: RUnlock of unlocked RWMutex");
        }
        st.readers -= 1;
        if st.readers == 0 && st.waiting_writers.wake_one() {
            st.writer = true;
        }
    }

    #[track_caller]
    fn release_write(&self) {
        let mut st = self.lock_state();
        if !st.writer {
            drop(st);
            panic!("sync: Unlock of unlocked RWMutex");
        }
        st.writer = false;
        // The readers that queued behind this writer go first, all at once (Go's order); the
        // count is updated under the lock, before any of them can run and unlock.
        let st = &mut *st;
        st.readers += st.waiting_readers.wake_all();
        if st.readers == 0 && st.waiting_writers.wake_one() {
            st.writer = true;
        }
    }
}

/// Go's data-less `sync.RWMutex`, locked and unlocked by explicit calls (sound because it
/// guards no data of its own).
///
/// ```
/// use gocsp::sync::RWMutex;
///
/// let mu = RWMutex::new(());
/// mu.rlock_unguarded();
/// mu.rlock_unguarded();
/// assert!(mu.try_lock().is_none());
/// mu.runlock();
/// mu.runlock();
/// mu.lock_unguarded();
/// mu.unlock();
/// ```
impl RWMutex<()> {
    /// Locks for writing until [`unlock`](RWMutex::unlock) (Go's `Lock`).
    #[track_caller]
    pub fn lock_unguarded(&self) {
        std::mem::forget(self.lock());
    }

    /// Releases a write lock (Go's `Unlock`).
    ///
    /// # Panics
    /// "sync: Unlock of unlocked RWMutex" if no writer holds it, naming the caller's line.
    #[track_caller]
    pub fn unlock(&self) {
        self.release_write();
    }

    /// Locks for reading until [`runlock`](RWMutex::runlock) (Go's `RLock`).
    #[track_caller]
    pub fn rlock_unguarded(&self) {
        std::mem::forget(self.rlock());
    }

    /// Releases one read lock (Go's `RUnlock`).
    ///
    /// # Panics
    /// "sync: RUnlock of unlocked RWMutex" if no reader holds it, naming the caller's line.
    #[track_caller]
    pub fn runlock(&self) {
        self.release_read();
    }
}

impl<T: Default> Default for RWMutex<T> {
    fn default() -> Self {
        RWMutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RWMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_rlock() {
            Some(g) => f.debug_struct("RWMutex").field("data", &&*g).finish(),
            None => f
                .debug_struct("RWMutex")
                .field("data", &format_args!("<locked>"))
                .finish(),
        }
    }
}

/// Shared access to an [`RWMutex`]'s data; releases the read lock when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RWMutexReadGuard<'a, T: ?Sized> {
    lock: &'a RWMutex<T>,
}

/// Exclusive access to an [`RWMutex`]'s data; releases the write lock when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RWMutexWriteGuard<'a, T: ?Sized> {
    lock: &'a RWMutex<T>,
}

// SAFETY: both guards give `&T` to whoever shares them; that needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for RWMutexReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for RWMutexWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for RWMutexReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: while a read guard exists no writer holds the lock, so only shared
        // references to the data exist.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Deref for RWMutexWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a write guard is the only holder of the lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RWMutexWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes the access unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RWMutexReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.release_read();
    }
}

impl<T: ?Sized> Drop for RWMutexWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.release_write();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RWMutexReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RWMutexWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
