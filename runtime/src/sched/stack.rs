//! Goroutine stacks: how many goroutines may exist, where their stacks come from, and how a
//! spawn is refused instead of the process dying later.
//!
//! **Memory.** Stacks come from slabs with guard pages installed by `madvise` where the kernel
//! can (Linux 6.13+), else from one `mmap` + `mprotect`ed guard per stack; `slab.rs` has both.
//! `GOCSP_STACK_SLABS=0` forces the second path.
//!
//! **Limits** a spawn is checked against, cheapest first (each a `SpawnLimit`; the numbers come
//! from `limits.rs`):
//! 1. the runtime's own limit (`Builder::max_goroutines`), if set;
//! 2. the process-wide limit (`max_goroutines()`): on the slab path, memory (one stack page and
//!    a control block per goroutine at least); on the fallback path, `vm.max_map_count` (two
//!    mappings per stack, about 32k goroutines at the default 65530);
//! 3. a stack for it is guaranteed: every spawn reserves one stack of its runtime's size
//!    (below), mapping more slabs or stacks on the spawner's thread when needed. If the kernel
//!    refuses, the spawn fails there, with the kernel's error; the goroutine's first run can
//!    then always get its stack, so the process never dies of a failed stack allocation.
//!
//! **Pools, per stack size** (`Class`). A finished goroutine's stack goes to its worker's
//! cache (`Cache`, at most `POOL_PER_WORKER`, no lock), the excess to its size class's shared
//! pool. A first run takes a stack from the worker's cache, else from the class (pooled, else a
//! fresh slot of the class's slab). Stacks are never handed to a runtime of another size.
//!
//! **The reservation count.** `Class::spare` is (stacks pooled in the class + slab slots not
//! yet handed out) minus (reservations not yet used). A spawn decrements it; a result below
//! zero means the spawner must map more (under the class lock) or give its reservation back.
//! A first run served by the worker's cache gives its reservation back; one served by the class
//! uses it. Stacks leave the shared pool otherwise only by a compare-and-swap that keeps
//! `spare >= 0` (scavenging), so a reservation that succeeded always finds its stack. Stacks in
//! worker caches are not counted (another worker's goroutine can't use them); the reservations
//! a worker's cache made unnecessary go back in batches (`Cache::credit`): `spare` may read low,
//! never high. A spawn on a worker takes a held-back reservation first, so a worker that
//! spawns and finishes goroutines in a steady stream leaves `spare` alone. In a burst the
//! `gocsp-stacks` thread maps the next slab ahead, installs its guards and faults in its slots'
//! top pages, on its own core (`Class::grow_ahead`).
//!
//! **Scavenging.** Every `SCAVENGE_EVERY` sysmon has the `gocsp-stacks` thread return the memory
//! of pooled stacks that went unused for a whole period, and of hot stacks beyond `HOT_KEEP`
//! per class: `MADV_DONTNEED` on the slab path (the guard stays; the slot stays pooled),
//! `munmap` on the fallback path.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crossbeam_utils::CachePadded;

use super::limits::{SpawnError, SpawnLimit, limit, process_limit_kind};
use super::slab::{self, GoStack, Slab};

/// Stacks kept for reuse per worker.
pub(crate) const POOL_PER_WORKER: usize = 64;

/// Stacks moved from a worker's cache to the shared pool at a time.
pub(crate) const POOL_BATCH: usize = 16;

/// How often sysmon returns unused pooled stacks' memory to the kernel.
pub(crate) const SCAVENGE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Pooled stacks per class whose memory stays with the process across a scavenge.
const HOT_KEEP: usize = 1024;

/// Fallback path: stacks mapped at a time when a class runs out.
const MAP_AHEAD: usize = 16;

/// Goroutines alive in the process (spawned and not finished), counted per shard of threads:
/// a thread adds its spawns, and subtracts the exits it runs, on a cache line of its shard.
/// One count for the whole process moved between the cores at every spawn and every exit on
/// every worker (Go keeps no such count: `NumGoroutine` adds up its lists when asked). A
/// goroutine spawned on one thread and finished on another leaves one shard up and the other
/// down; the sum ([`live`]) is exact while nothing spawns or finishes, and otherwise off by
/// at most the goroutines that began and ended while it was read.
static LIVE: [CachePadded<AtomicIsize>; LIVE_SHARDS] =
    [const { CachePadded::new(AtomicIsize::new(0)) }; LIVE_SHARDS];
const LIVE_SHARDS: usize = 32;
/// The spawns a thread makes between two checks of the process limit against the sum.
const LIVE_WINDOW: usize = 64;
/// Threads that have spawned so far (each took a shard, round robin): what the spawns between
/// checks are bounded by.
static LIVE_THREADS: AtomicUsize = AtomicUsize::new(0);
/// A check found the sum within the threads' windows of the limit: every spawn checks, until
/// a check finds it twice that far again (`check_live_limit`).
static LIVE_IS_NEAR: AtomicBool = AtomicBool::new(false);
/// Serializes the changes of `LIVE_IS_NEAR`, so that a check that read the sum far from the
/// limit can never clear the mark after another found it near.
static LIVE_NEAR_CHANGE: Mutex<()> = Mutex::new(());

std::thread_local! {
    /// This thread's shard of `LIVE` plus one (0: none yet), and how many more spawns it may
    /// make before it checks the limit again.
    static LIVE_SLOT: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// This thread's shard of the live count, and whether this spawn must check the limit (its
/// window is used up, or the count is near the limit).
fn live_shard(spawning: bool) -> (&'static AtomicIsize, bool) {
    let slot = LIVE_SLOT.try_with(|slot| {
        let (mut shard, mut left) = slot.get();
        if shard == 0 {
            shard = LIVE_THREADS.fetch_add(1, Ordering::SeqCst) % LIVE_SHARDS + 1;
        }
        let check = spawning && (left == 0 || LIVE_IS_NEAR.load(Ordering::SeqCst));
        if check {
            // This spawn checks (`check_live_limit`): a new window starts after it.
            left = LIVE_WINDOW - 1;
        } else if spawning {
            left -= 1;
        }
        slot.set((shard, left));
        (shard - 1, check)
    });
    // Defensive (these locals have no destructor, so they outlive any code of the thread):
    // the first shard, always checked.
    let (shard, check) = slot.unwrap_or((0, spawning));
    (&LIVE[shard], check)
}

/// A spawn's check of the process limit, this spawn counted: the sum, after which the thread
/// makes `LIVE_WINDOW - 1` spawns unchecked (`live_shard`). Once the sum is within every
/// thread's window of the limit (`near`), every spawn on every thread checks, so the limit
/// holds however many threads spawn at once (with very many threads, every spawn checks).
fn check_live_limit(limit: usize) -> usize {
    let total = live();
    let near = LIVE_WINDOW.saturating_mul(LIVE_THREADS.load(Ordering::SeqCst));
    if total.saturating_add(near) >= limit {
        if !LIVE_IS_NEAR.load(Ordering::SeqCst) {
            let _change = LIVE_NEAR_CHANGE.lock().unwrap_or_else(|p| p.into_inner());
            LIVE_IS_NEAR.store(true, Ordering::SeqCst);
        }
    } else if total.saturating_add(near.saturating_mul(2)) < limit
        && LIVE_IS_NEAR.load(Ordering::SeqCst)
    {
        // Cleared on a sum read under the lock: a check that found the count near since
        // then waits for the lock and marks it again.
        let _change = LIVE_NEAR_CHANGE.lock().unwrap_or_else(|p| p.into_inner());
        if live().saturating_add(near.saturating_mul(2)) < limit {
            LIVE_IS_NEAR.store(false, Ordering::SeqCst);
        }
    }
    total
}

/// Every size class (never freed). Lock order: a class's `inner`, then `CLASSES` (`grow` on
/// the fallback path reclaims from other classes); never a class's lock while holding this.
static CLASSES: Mutex<Vec<&'static Class>> = Mutex::new(Vec::new());

/// The stacks of one size: the shared pool, the current slab, the reservation count.
pub(crate) struct Class {
    /// Usable bytes per stack, whole pages.
    size: usize,
    /// Pooled + uncarved − reserved (module docs). Never below zero once a reservation is
    /// settled.
    spare: AtomicIsize,
    /// Slab path: when a spawn takes `spare` down through this, the next slab is mapped (and
    /// warmed) ahead of need; 0 on the fallback path.
    ahead_mark: isize,
    /// A slab is being mapped ahead on the stacks thread (at most one at a time).
    mapping_ahead: AtomicBool,
    inner: Mutex<ClassInner>,
}

struct ClassInner {
    /// Pooled stacks whose pages may be resident.
    hot: Vec<GoStack>,
    /// Pooled slab stacks whose memory was returned (`MADV_DONTNEED`).
    cold: Vec<GoStack>,
    /// The slab being carved (slab path only).
    slab: Option<Slab>,
    /// The fewest hot stacks pooled since the last scavenge: that many went unused.
    low_water: usize,
}

/// Makes `s` the slab being carved; returns its slots, which the caller adds to `spare`. The
/// slots left in the slab it replaces are counted already and are pooled as hot: they may
/// have been warmed (`Slab::warmer`), and a hot stack that goes unused has its pages returned
/// by the next scavenges, which a cold one never has.
fn install(inner: &mut ClassInner, s: Slab) -> usize {
    let n = s.left();
    if let Some(mut old) = inner.slab.replace(s) {
        inner.hot.extend(std::iter::from_fn(|| old.carve()));
    }
    n
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Class {
    /// The class for `size` usable bytes (rounded up to whole pages), made on first use.
    fn of(size: usize) -> &'static Class {
        let page = slab::page_size();
        let size = size.div_ceil(page) * page;
        let mut classes = lock(&CLASSES);
        if let Some(c) = classes.iter().find(|c| c.size == size) {
            return c;
        }
        let ahead_mark = if slab::guards() {
            (Slab::per_slab(size) / 2) as isize
        } else {
            0
        };
        let c: &'static Class = Box::leak(Box::new(Class {
            size,
            spare: AtomicIsize::new(0),
            ahead_mark,
            mapping_ahead: AtomicBool::new(false),
            inner: Mutex::new(ClassInner {
                hot: Vec::new(),
                cold: Vec::new(),
                slab: None,
                low_water: 0,
            }),
        }));
        classes.push(c);
        c
    }

    /// Reserves one stack for a goroutine about to be spawned (module docs).
    fn reserve(&'static self) -> Result<(), SpawnError> {
        let before = self.spare.fetch_sub(1, Ordering::AcqRel);
        if before > 0 {
            if before == self.ahead_mark {
                self.grow_ahead();
            }
            return Ok(());
        }
        self.reserve_slow()
    }

    /// Slab path, in a burst of spawns: has the `gocsp-stacks` thread map the next slab
    /// before it is needed, install its guards (half a microsecond per stack, so not on the
    /// spawner's core) and allocate its slots' top pages. Best effort: the reservation that
    /// got here is covered already, so a failure (or a busy lock) changes nothing, and a spawn
    /// that finds no spare before the slab lands maps one itself (`reserve_slow`).
    #[cold]
    fn grow_ahead(&'static self) {
        let Ok(inner) = self.inner.try_lock() else {
            return;
        };
        // Only in a burst that carves fresh slots: `spare` also crosses the mark when
        // goroutines come and go around it, and that must not map (and warm) slab after slab.
        // So: few pooled stacks, and the newest slab already carved from. Each slab mapped
        // ahead then follows real demand for half a slab at least.
        let pooled = inner.hot.len() + inner.cold.len();
        let carving = inner
            .slab
            .as_ref()
            .is_some_and(|s| s.left() < Slab::per_slab(self.size));
        if pooled > self.ahead_mark as usize
            || !carving
            || self.mapping_ahead.swap(true, Ordering::AcqRel)
        {
            return;
        }
        drop(inner);
        slab::in_background(Box::new(move || self.map_ahead()));
    }

    /// On the stacks thread: maps a slab, hands it to the spawns, then warms it; and again
    /// while the burst goes on (less than a slab spare after the warming), so that this
    /// thread keeps faulting pages on its core instead of idling until the next mark.
    ///
    /// The slots left in a slab it replaces are pooled as hot (`install`). At most
    /// about two slabs of warmed slots wait for spawns at any time.
    fn map_ahead(&'static self) {
        /// Clears `mapping_ahead` however the job ends.
        struct Done(&'static AtomicBool);
        impl Drop for Done {
            fn drop(&mut self) {
                self.0.store(false, Ordering::Release);
            }
        }
        let _done = Done(&self.mapping_ahead);
        let per_slab = Slab::per_slab(self.size) as isize;
        while let Ok(s) = Slab::map(self.size) {
            let warm = s.warmer();
            let mut inner = lock(&self.inner);
            let n = install(&mut inner, s);
            // Under the lock, so that a spawn that finds no spare (`reserve_slow`) waits for
            // this slab instead of mapping another on its own core.
            self.spare.fetch_add(n as isize, Ordering::AcqRel);
            drop(inner);
            warm();
            if self.spare.load(Ordering::Acquire) >= per_slab {
                break;
            }
        }
    }

    #[cold]
    fn reserve_slow(&'static self) -> Result<(), SpawnError> {
        let mut inner = lock(&self.inner);
        while self.spare.load(Ordering::Acquire) < 0 {
            match self.grow(&mut inner) {
                Ok(n) => {
                    self.spare.fetch_add(n as isize, Ordering::AcqRel);
                }
                Err(e) => {
                    self.spare.fetch_add(1, Ordering::AcqRel);
                    drop(inner);
                    return Err(SpawnError::kernel(e));
                }
            }
        }
        Ok(())
    }

    /// Makes more stacks available (the lock held); returns how many.
    fn grow(&self, inner: &mut ClassInner) -> io::Result<usize> {
        if slab::guards() {
            return Ok(install(inner, Slab::map(self.size)?));
        }
        let mut mapped = 0;
        let mut err = None;
        for _ in 0..MAP_AHEAD {
            match GoStack::mapped(self.size) {
                Ok(s) => {
                    inner.hot.push(s);
                    mapped += 1;
                }
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        if mapped == 0 {
            // Out of mappings: unmap what other sizes keep idle, then try once more.
            if reclaim_others(self) > 0
                && let Ok(s) = GoStack::mapped(self.size)
            {
                inner.hot.push(s);
                return Ok(1);
            }
            return Err(err.unwrap_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory)));
        }
        Ok(mapped)
    }

    /// Takes the stack a reservation guaranteed: pooled, else a fresh slab slot.
    fn take_reserved(&self) -> GoStack {
        let mut inner = lock(&self.inner);
        let s = match inner.hot.pop() {
            Some(s) => {
                inner.low_water = inner.low_water.min(inner.hot.len());
                Some(s)
            }
            None => inner
                .cold
                .pop()
                .or_else(|| inner.slab.as_mut().and_then(Slab::carve)),
        };
        drop(inner);
        s.unwrap_or_else(|| {
            // The reservation count says this cannot happen.
            super::report("fatal error: gocsp: a reserved goroutine stack was missing\n");
            super::exit(2)
        })
    }

    /// Pools stacks that are no longer used.
    fn give(&self, stacks: impl Iterator<Item = GoStack>) {
        let mut inner = lock(&self.inner);
        let before = inner.hot.len();
        inner.hot.extend(stacks);
        let n = inner.hot.len() - before;
        drop(inner);
        self.spare.fetch_add(n as isize, Ordering::AcqRel);
    }

    /// Takes up to `n` stacks out of the shared pool without breaking a reservation.
    fn take_spare(&self, n: usize) -> usize {
        let mut cur = self.spare.load(Ordering::Acquire);
        loop {
            let k = (n as isize).min(cur);
            if k <= 0 {
                return 0;
            }
            match self.spare.compare_exchange_weak(
                cur,
                cur - k,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return k as usize,
                Err(c) => cur = c,
            }
        }
    }

    /// Returns the memory of stacks that went unused since the last call, and of hot stacks
    /// beyond `HOT_KEEP`.
    fn scavenge(&self) {
        let (unused, hot) = {
            let mut inner = lock(&self.inner);
            let unused = inner.low_water.min(inner.hot.len());
            inner.low_water = inner.hot.len();
            (unused, inner.hot.len())
        };
        let n = unused.max(hot.saturating_sub(HOT_KEEP));
        if slab::guards() {
            // Cold stacks stay pooled: only their pages go. Work in chunks, outside the lock.
            let mut left = n;
            while left > 0 {
                let k = self.take_spare(left.min(256));
                if k == 0 {
                    break;
                }
                let chunk: Vec<GoStack> = {
                    let mut inner = lock(&self.inner);
                    let from = inner.hot.len().saturating_sub(k);
                    inner.hot.drain(from..).collect()
                };
                let got = chunk.len();
                for s in &chunk {
                    s.release_memory();
                }
                let mut inner = lock(&self.inner);
                inner.cold.extend(chunk);
                inner.low_water = inner.low_water.min(inner.hot.len());
                drop(inner);
                self.spare.fetch_add(k as isize, Ordering::AcqRel);
                left -= k;
                if got < k {
                    break;
                }
            }
        } else {
            self.unmap_idle(n, true);
        }
    }

    /// Fallback path: unmaps up to `n` pooled stacks; returns how many.
    /// With `wait` false the class's lock is only tried (another class's `grow` calls this
    /// while holding its own lock: two of them waiting for each other would deadlock).
    fn unmap_idle(&self, n: usize, wait: bool) -> usize {
        let k = self.take_spare(n);
        if k == 0 {
            return 0;
        }
        let freed: Vec<GoStack> = {
            let mut inner = if wait {
                lock(&self.inner)
            } else {
                match self.inner.try_lock() {
                    Ok(g) => g,
                    Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                    Err(std::sync::TryLockError::WouldBlock) => {
                        self.spare.fetch_add(k as isize, Ordering::AcqRel);
                        return 0;
                    }
                }
            };
            let from = inner.hot.len().saturating_sub(k);
            let freed: Vec<GoStack> = inner.hot.drain(from..).collect();
            inner.low_water = inner.low_water.min(inner.hot.len());
            freed
        };
        // Fewer found than taken from `spare` (cannot happen: pooled stacks are part of it):
        // give the difference back.
        let got = freed.len();
        if got < k {
            self.spare.fetch_add((k - got) as isize, Ordering::AcqRel);
        }
        drop(freed);
        got
    }
}

/// Fallback path, out of mappings: unmaps every idle pooled stack of the other sizes.
fn reclaim_others(me: &Class) -> usize {
    let classes: Vec<&'static Class> = lock(&CLASSES).clone();
    classes
        .iter()
        .filter(|c| !std::ptr::eq(**c, me))
        .map(|c| c.unmap_idle(usize::MAX, false))
        .sum()
}

/// Returns pooled stacks' memory (sysmon, every `SCAVENGE_EVERY`). The work (a system call
/// per stack) runs on the stacks thread, so sysmon never waits for it.
pub(crate) fn scavenge() {
    // Lock order: never a class's lock while holding `CLASSES` (`grow` takes them the other
    // way round).
    let classes: Vec<&'static Class> = lock(&CLASSES).clone();
    let idle = classes.iter().any(|c| !lock(&c.inner).hot.is_empty());
    if !idle || SCAVENGING.swap(true, Ordering::AcqRel) {
        return; // nothing to return, or the previous pass is still running
    }
    slab::in_background(Box::new(move || {
        for c in classes {
            c.scavenge();
        }
        SCAVENGING.store(false, Ordering::Release);
    }));
}

static SCAVENGING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A runtime's side of the budget: its stack size class and its own goroutine limit.
pub(crate) struct RtStacks {
    class: &'static Class,
    live: AtomicUsize,
    max: usize,
}

impl RtStacks {
    pub(crate) fn new(stack_size: usize, max_goroutines: Option<usize>) -> RtStacks {
        RtStacks {
            class: Class::of(stack_size),
            live: AtomicUsize::new(0),
            max: max_goroutines.unwrap_or(usize::MAX),
        }
    }

    /// Usable bytes of each of this runtime's stacks.
    pub(crate) fn size(&self) -> usize {
        self.class.size
    }

    /// Accounts for one more goroutine of this runtime and reserves its stack, or says which
    /// limit stops it.
    ///
    /// Inline, the common case: no limit of the runtime's own, no check of the process's due
    /// (`live_shard`), a stack from this worker's credit. The rest is out of line (a spawn +
    /// finish paid 27 instructions for the call's saves and restores, and the error's room).
    #[inline]
    pub(crate) fn reserve(&self) -> Result<(), SpawnError> {
        if self.limited() {
            return self.reserve_limited();
        }
        let (shard, check) = live_shard(true);
        if !check && super::worker::reserve_from_credit(self) {
            shard.fetch_add(1, Ordering::SeqCst);
            return Ok(());
        }
        self.reserve_counted(shard, check)
    }

    /// [`reserve`](Self::reserve) for a runtime with a limit of its own.
    #[inline(never)]
    fn reserve_limited(&self) -> Result<(), SpawnError> {
        let n = self.live.fetch_add(1, Ordering::Relaxed);
        if n >= self.max {
            self.live.fetch_sub(1, Ordering::Relaxed);
            return Err(SpawnError {
                live: n,
                limit: self.max,
                kind: SpawnLimit::Runtime,
                errno: None,
            });
        }
        let (shard, check) = live_shard(true);
        self.reserve_counted(shard, check)
    }

    /// The rest of [`reserve`](Self::reserve), this thread's shard of the live count and
    /// whether to check the process's limit known: counts the spawn, checks, reserves a stack.
    #[inline(never)]
    fn reserve_counted(&self, shard: &'static AtomicIsize, check: bool) -> Result<(), SpawnError> {
        shard.fetch_add(1, Ordering::SeqCst);
        let limit = limit();
        // With this spawn counted: of two checking spawns racing for the last place, at least
        // one sees the other (sequentially consistent), so they do not both take it.
        let total = if check { check_live_limit(limit) } else { 0 };
        let result = if total > limit {
            Err(SpawnError {
                live: total - 1,
                limit,
                kind: process_limit_kind(),
                errno: None,
            })
        } else if super::worker::reserve_from_credit(self) {
            Ok(())
        } else {
            self.class.reserve()
        };
        if result.is_err() {
            shard.fetch_sub(1, Ordering::Relaxed);
            if self.limited() {
                self.live.fetch_sub(1, Ordering::Relaxed);
            }
        }
        result
    }

    /// The runtime counts its goroutines only when it has a limit of its own.
    #[inline]
    fn limited(&self) -> bool {
        self.max != usize::MAX
    }

    /// A goroutine of this runtime finished.
    pub(crate) fn finished(&self) {
        live_shard(false).0.fetch_sub(1, Ordering::Relaxed);
        if self.limited() {
            self.live.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// A goroutine of this runtime will never run: its reserved stack goes back unused.
    pub(crate) fn discarded(&self) {
        self.class.spare.fetch_add(1, Ordering::AcqRel);
        self.finished();
    }
}

/// Reservations a worker gives back at a time (see `Cache::credit`).
const CREDIT_BATCH: isize = 32;

/// A worker's stacks kept for reuse: no lock on the way in or out.
pub(crate) struct Cache {
    class: &'static Class,
    stacks: Vec<GoStack>,
    /// Reservations not needed (their goroutines got a cached stack), not yet given back to
    /// `class.spare`: batching keeps the shared counter off the common path. Holding them
    /// back only makes `spare` smaller, never promises a stack that is not there.
    credit: isize,
}

impl Cache {
    pub(crate) fn new(rt: &RtStacks) -> Cache {
        Cache {
            class: rt.class,
            stacks: Vec::new(),
            credit: 0,
        }
    }

    /// The stack for a goroutine's first run (it holds a reservation from its spawn).
    #[inline]
    pub(crate) fn take(&mut self) -> GoStack {
        match self.stacks.pop() {
            Some(s) => {
                // The reservation was not needed.
                self.credit += 1;
                if self.credit >= CREDIT_BATCH {
                    self.class.spare.fetch_add(self.credit, Ordering::AcqRel);
                    self.credit = 0;
                }
                s
            }
            None => self.class.take_reserved(),
        }
    }

    /// Reserves a stack for a goroutine about to be spawned from the reservations this cache
    /// holds back, if it holds one of `rt`'s class: no shared counter touched, where every
    /// spawn on every worker used to update `spare`.
    pub(crate) fn reserve_from_credit(&mut self, rt: &RtStacks) -> bool {
        if self.credit > 0 && std::ptr::eq(self.class, rt.class) {
            self.credit -= 1;
            true
        } else {
            false
        }
    }

    /// Keeps a finished goroutine's stack; the excess goes to the shared pool.
    #[inline]
    pub(crate) fn give(&mut self, s: GoStack) {
        self.stacks.push(s);
        if self.stacks.len() > POOL_PER_WORKER {
            let from = self.stacks.len() - POOL_BATCH;
            self.class.give(self.stacks.drain(from..));
        }
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        // The worker exits: its stacks and unneeded reservations go to the shared pool.
        self.class.spare.fetch_add(self.credit, Ordering::AcqRel);
        self.class.give(self.stacks.drain(..));
    }
}

/// The number of goroutines alive (spawned and not yet finished).
pub(crate) fn live() -> usize {
    let sum: isize = LIVE.iter().map(|s| s.load(Ordering::SeqCst)).sum();
    sum.max(0) as usize
}
