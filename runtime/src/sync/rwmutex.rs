//! Go's `sync.RWMutex`, goroutine-aware, holding its data like `std::sync::RwLock`.

use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;

use std::sync::atomic::{AtomicI32, Ordering};

use super::Mutex;
use super::waitq::{WaitQueue, wait_on};
use crate::waiter::BlockReason;

/// A reader/writer lock: any number of readers or one writer (Go's `sync.RWMutex`). Blocked
/// goroutines park, freeing their worker; plain threads block.
///
/// As in Go, a writer that waits keeps new readers out, so readers cannot starve it; when it
/// unlocks, the readers that queued meanwhile go first, then the next writer. So, as in Go, a
/// goroutine must not take a read lock it already holds again (a writer queued in between
/// would deadlock both). Taking and releasing a read lock is one atomic add each while no
/// writer is around.
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
    /// Held by the writer, from before it waits for the readers to leave until it unlocks:
    /// writers queue here (Go's `w`).
    writers: Mutex<()>,
    /// Readers holding the lock or waiting for it; `MAX_READERS` less while a writer holds
    /// the lock or waits for the readers to leave (Go's `readerCount`).
    readers: AtomicI32,
    /// Readers a waiting writer still waits for (Go's `readerWait`).
    departing: AtomicI32,
    /// Readers that arrived while a writer held or waited for the lock wait here; its unlock
    /// lets them all in.
    reader_sem: Sema,
    /// The writer waits here for the last departing reader.
    writer_sem: Sema,
    data: UnsafeCell<T>,
}

/// More readers than can ever hold the lock at once (Go's `rwmutexMaxReaders`).
const MAX_READERS: i32 = 1 << 30;

/// A counting semaphore for the slow paths: a release hands its permit straight to the
/// longest waiter, or keeps it for the next acquire (Go's `semacquire`/`semrelease`).
struct Sema {
    state: std::sync::Mutex<SemaState>,
}

struct SemaState {
    permits: u32,
    waiters: WaitQueue,
}

impl Sema {
    const fn new() -> Sema {
        Sema {
            state: std::sync::Mutex::new(SemaState {
                permits: 0,
                waiters: WaitQueue::new_const(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SemaState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn acquire(&self, reason: BlockReason, site: &'static Location<'static>) {
        wait_on(reason, site, |register| {
            let mut st = self.lock();
            if st.permits > 0 {
                st.permits -= 1;
                return None;
            }
            register(&mut st.waiters);
            Some(st)
        });
    }

    /// Releases `n` permits under one lock.
    fn release(&self, n: u32) {
        let mut st = self.lock();
        for _ in 0..n {
            if !st.waiters.wake_one() {
                st.permits += 1;
            }
        }
    }
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
            writers: Mutex::new(()),
            readers: AtomicI32::new(0),
            departing: AtomicI32::new(0),
            reader_sem: Sema::new(),
            writer_sem: Sema::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns its data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RWMutex<T> {
    /// Locks for reading (Go's `RLock`), parking while a writer holds or waits for the lock.
    #[track_caller]
    pub fn rlock(&self) -> RWMutexReadGuard<'_, T> {
        if self.readers.fetch_add(1, Ordering::AcqRel) < 0 {
            // A writer holds the lock or waits for it: its unlock lets us in.
            self.reader_sem
                .acquire(BlockReason::RWMutexRLock, Location::caller());
        }
        RWMutexReadGuard { lock: self }
    }

    /// Locks for writing (Go's `Lock`), parking while anyone holds the lock.
    #[track_caller]
    pub fn lock(&self) -> RWMutexWriteGuard<'_, T> {
        let site = Location::caller();
        // First among writers, then announce ourselves to readers (new ones now wait) and wait
        // for those inside to leave.
        self.writers.lock_as(BlockReason::RWMutexLock, site);
        let inside = self.readers.fetch_add(-MAX_READERS, Ordering::AcqRel);
        if inside != 0 && self.departing.fetch_add(inside, Ordering::AcqRel) + inside != 0 {
            self.writer_sem.acquire(BlockReason::RWMutexLock, site);
        }
        RWMutexWriteGuard { lock: self }
    }

    /// Locks for reading if that is possible now (Go's `TryRLock`).
    pub fn try_rlock(&self) -> Option<RWMutexReadGuard<'_, T>> {
        let mut c = self.readers.load(Ordering::Relaxed);
        loop {
            if c < 0 {
                return None;
            }
            match self
                .readers
                .compare_exchange_weak(c, c + 1, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return Some(RWMutexReadGuard { lock: self }),
                Err(now) => c = now,
            }
        }
    }

    /// Locks for writing if nobody holds the lock now (Go's `TryLock`).
    pub fn try_lock(&self) -> Option<RWMutexWriteGuard<'_, T>> {
        std::mem::forget(self.writers.try_lock()?);
        if self
            .readers
            .compare_exchange(0, -MAX_READERS, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            self.writers.unlock();
            return None;
        }
        Some(RWMutexWriteGuard { lock: self })
    }

    /// Mutable access without locking (the `&mut` proves nobody else holds it).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    #[track_caller]
    fn release_read(&self) {
        let r = self.readers.fetch_sub(1, Ordering::AcqRel) - 1;
        if r < 0 {
            self.release_read_slow(r);
        }
    }

    #[cold]
    #[track_caller]
    fn release_read_slow(&self, r: i32) {
        if r + 1 == 0 || r + 1 == -MAX_READERS {
            // Nobody held a read lock: undo, then report the misuse.
            self.readers.fetch_add(1, Ordering::AcqRel);
            panic!("sync: RUnlock of unlocked RWMutex");
        }
        // A writer waits: the last reader to leave lets it in.
        if self.departing.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.writer_sem.release(1);
        }
    }

    #[track_caller]
    fn release_write(&self) {
        let r = self.readers.fetch_add(MAX_READERS, Ordering::AcqRel) + MAX_READERS;
        if r >= MAX_READERS {
            self.readers.fetch_sub(MAX_READERS, Ordering::AcqRel);
            panic!("sync: Unlock of unlocked RWMutex");
        }
        // The readers that queued behind this writer go first, all at once (Go's order), then
        // the next writer.
        self.reader_sem.release(u32::try_from(r).unwrap_or(0));
        self.writers.unlock();
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
