//! A goroutine-aware mutual-exclusion lock (Go's `sync.Mutex`, holding its data like Rust's).

use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use super::waitq::{WaitQueue, wait_on};
use crate::waiter::BlockReason;

/// A mutual-exclusion lock whose `lock` parks the calling goroutine instead of blocking its
/// worker thread (Go's `sync.Mutex`, with its two modes).
///
/// - **Normal mode**: `unlock` releases the lock and wakes the longest waiter, which then
///   competes for it with whoever is running and asks for it meanwhile; the one running
///   usually wins (it is on a CPU already), so a lock passed around among busy goroutines
///   costs no switch per `lock`. A waiter that loses goes back to the front of the queue.
///   A goroutine that finds the lock held looks again a few times, briefly, before it parks
///   (Go's active spinning), if another worker may be running the holder and its own worker
///   has nothing else to run: a lock held for nanoseconds on another core is then taken
///   without a park and a cross-worker wake-up.
/// - **Starvation mode**: a waiter that has waited over 1 ms switches the mutex to handing
///   the lock straight from `unlock` to the longest waiter, newcomers queueing behind; it goes
///   back to normal once a waiter gets the lock after waiting under 1 ms, or none is left. So
///   no waiter waits long behind a goroutine that locks and unlocks in a loop.
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
    /// `LOCKED`, `STARVING`, `WOKEN` and `WAITERS` (below).
    state: AtomicU8,
    waiters: std::sync::Mutex<WaitQueue>,
    data: UnsafeCell<T>,
}

/// Somebody holds the lock.
const LOCKED: u8 = 1;
/// Starvation mode: `unlock` hands the lock to the first waiter and nobody else may take it
/// (between the two, `LOCKED` is clear, so a second `unlock` is still reported, but the lock
/// stays reserved). Set by a waiter that waited over 1 ms, cleared by the waiter that is
/// handed the lock, when it waited less or is the last.
const STARVING: u8 = 2;
/// A waiter woken in normal mode is on its way to compete: `unlock` wakes no other meanwhile.
/// Cleared by that waiter when it takes the lock or queues again.
const WOKEN: u8 = 4;
/// The queue is not empty (kept under the queue's lock), so `unlock` takes the slow path.
const WAITERS: u8 = 8;

/// Looks at a held lock before a goroutine parks for it, and the time between two (Go looks 4
/// times, 30 spin-loop hints apart: about 0.75 us on the AMD machine this was tuned on, where
/// a hint takes 25 ns). Measured (4 goroutines locking in a loop, 2 on each of 2 workers):
/// 25-30 ns a lock without spinning, 16-21 at 100 ns apart, 13-16 at 300, 11-12 at 600 and
/// 12-14 at 1200; Go 18-23.
const SPINS: u32 = 4;
const SPIN_EVERY: Duration = Duration::from_nanos(600);

/// How long a waiter waits before it switches the mutex to starvation mode (Go's 1 ms).
const STARVATION: Duration = Duration::from_millis(1);

// SAFETY: the lock gives one guard at a time access to `data`, so sharing the mutex is sound
// when `T: Send` (the data moves between the threads that lock it), as for std's Mutex.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// A new unlocked mutex.
    pub const fn new(value: T) -> Self {
        Mutex {
            state: AtomicU8::new(0),
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
        self.lock_as(BlockReason::Mutex, Location::caller());
        MutexGuard { mutex: self }
    }

    #[cold]
    fn lock_slow(&self, reason: BlockReason, site: &'static Location<'static>) {
        // `since`: when this call first queued. `woken`: it was woken and has not taken the
        // lock yet (it is the `WOKEN` waiter until it takes the lock or queues again, and then
        // queues at the front).
        let mut since: Option<Instant> = None;
        let mut woken = false;
        let mut spins = 0;
        loop {
            // Free, and not reserved for a starving waiter: take it, whoever else waits.
            let s = self.state.load(Ordering::Relaxed);
            if s & (LOCKED | STARVING) == 0 {
                let clear = if woken { WOKEN } else { 0 };
                if self
                    .state
                    .compare_exchange(
                        s,
                        (s | LOCKED) & !clear,
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    )
                    .is_ok()
                {
                    return;
                }
                continue;
            }
            if s & STARVING == 0 && spins < SPINS && crate::sched::may_spin_for_lock() {
                spins += 1;
                crate::spin::pause(crate::spin::pauses_for(SPIN_EVERY));
                continue;
            }
            let started = *since.get_or_insert_with(Instant::now);
            let mut queued = false;
            wait_on(reason, site, |register| {
                let mut q = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
                // Mark the queue as non-empty only while the lock is still held (a CAS: an
                // `unlock` that has not seen `WAITERS` must not have released it since), so
                // that the holder's `unlock` takes the slow path and, behind this queue lock,
                // finds us registered.
                let mut s = self.state.load(Ordering::Relaxed);
                loop {
                    if s & (LOCKED | STARVING) == 0 {
                        return None;
                    }
                    let mut new = (s | WAITERS) & !if woken { WOKEN } else { 0 };
                    if woken && s & LOCKED != 0 && started.elapsed() > STARVATION {
                        new |= STARVING;
                    }
                    match self.state.compare_exchange_weak(
                        s,
                        new,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => break,
                        Err(now) => s = now,
                    }
                }
                let oper = register(&mut q);
                if woken {
                    // Woken before and beaten to the lock: first in line again (Go's LIFO
                    // requeue), so the long wait counts.
                    q.move_to_front(oper);
                }
                queued = true;
                Some(q)
            });
            if !queued {
                continue;
            }
            // Woken by `unlock`. In starvation mode it handed us the lock: nobody else sets
            // `STARVING` meanwhile (only a waiter that runs does, and in normal mode the one
            // woken waiter is the only one running), so seeing it means the lock is ours to
            // take. Take it, and leave starvation mode if we waited less than its threshold
            // or nobody waits behind us (`LOCKED` set in the same step, so the lock is never
            // open to others between the two).
            let mut s = self.state.load(Ordering::Acquire);
            if s & STARVING != 0 {
                let leave = started.elapsed() <= STARVATION;
                loop {
                    let mut new = s | LOCKED;
                    if leave || s & WAITERS == 0 {
                        new &= !STARVING;
                    }
                    match self.state.compare_exchange_weak(
                        s,
                        new,
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => return,
                        Err(now) => s = now,
                    }
                }
            }
            woken = true;
        }
    }

    /// Locks without a guard, naming `reason` while blocked (`lock`, and `RWMutex`'s writers'
    /// lock, which reports "sync.RWMutex.Lock").
    #[inline]
    pub(super) fn lock_as(&self, reason: BlockReason, site: &'static Location<'static>) {
        if self
            .state
            .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_slow(reason, site);
        }
    }

    /// Locks if the mutex is free now (and not reserved for a starving waiter).
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let s = self.state.load(Ordering::Relaxed);
        if s & (LOCKED | STARVING) != 0 {
            return None;
        }
        self.state
            .compare_exchange(s, s | LOCKED, Ordering::Acquire, Ordering::Relaxed)
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
        if self
            .state
            .compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            self.release_slow();
        }
    }

    #[cold]
    #[track_caller]
    fn release_slow(&self) {
        let mut q = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
        let s = self.state.load(Ordering::Relaxed);
        if s & LOCKED == 0 {
            drop(q);
            panic!("sync: unlock of unlocked mutex");
        }
        if s & STARVING != 0 {
            // Hand the lock to the first waiter, which sets `LOCKED` again; `STARVING` keeps
            // everybody else out meanwhile. (Cleared before the wake-up: the waiter may run
            // at once.)
            self.state.fetch_and(!LOCKED, Ordering::Release);
            if !q.wake_one() {
                self.state.fetch_and(!STARVING, Ordering::Relaxed);
            }
        } else {
            // Release it, and wake the first waiter to compete for it, unless one woken
            // earlier is still on its way.
            let s = self.state.fetch_and(!LOCKED, Ordering::Release);
            if s & WOKEN == 0 && !q.is_empty() {
                self.state.fetch_or(WOKEN, Ordering::Relaxed);
                if !q.wake_one() {
                    self.state.fetch_and(!WOKEN, Ordering::Relaxed);
                }
            }
        }
        if q.is_empty() {
            self.state.fetch_and(!WAITERS, Ordering::Relaxed);
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

    /// Unlocks (Go's `mu.Unlock()`); the longest waiting goroutine or thread is woken to take
    /// it (see [`Mutex`] for the two modes).
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

#[cfg(all(test, not(miri)))]
mod tests {
    use super::{Mutex, STARVING, WAITERS};
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
        let start = Instant::now();
        while !cond() {
            assert!(start.elapsed() < Duration::from_secs(10), "{what}");
            std::thread::sleep(Duration::from_micros(50));
        }
    }

    /// A waiter woken after waiting over 1 ms that loses the lock to a newcomer switches the
    /// mutex to starvation mode: the next `unlock` hands it the lock, and a newcomer that asks
    /// meanwhile queues behind it. (In normal mode the newcomer, running already, would barge
    /// in ahead of it again.)
    #[test]
    fn a_long_waiter_beaten_once_is_handed_the_lock_next() {
        let m = Arc::new(Mutex::new(Vec::new()));
        let g = m.lock();
        let m2 = m.clone();
        let h = crate::spawn(move || m2.lock().push("waiter"));
        wait_for("the waiter to queue", || {
            m.state.load(Ordering::Relaxed) & WAITERS != 0
        });
        std::thread::sleep(Duration::from_millis(2));
        // Normal mode: the waiter is woken to compete, and this thread, running already,
        // takes the lock first (the waiter's worker has to schedule it).
        drop(g);
        let mut g = m.lock();
        if !h.is_finished() {
            // The waiter lost: it queues again, asking for the lock to be handed over.
            wait_for("the waiter to ask for starvation mode", || {
                m.state.load(Ordering::Relaxed) & STARVING != 0 || h.is_finished()
            });
        }
        g.push("main");
        drop(g);
        m.lock().push("main again");
        h.join().unwrap();
        let order = m.lock().clone();
        assert_eq!(
            order.last(),
            Some(&"main again"),
            "the newcomer went ahead of the starving waiter: {order:?}"
        );
    }
}
