//! Goroutine stacks: how many may exist, and what happens when the kernel says no.
//!
//! Each stack is an `mmap` with a guard page below it (corosensei's `DefaultStack`), which
//! costs the process two memory mappings. Linux caps mappings per process at
//! `vm.max_map_count` (65530 on a default Debian), so guarded stacks run out at about 32k. We
//! count live goroutines (spawned and not finished: each holds, or will hold, one stack) and
//! refuse a spawn that would pass the budget, with an error that names the sysctl, instead of
//! letting `mmap` fail later inside a worker.
//!
//! Stacks are taken when a goroutine first runs and returned when it finishes: to its worker's
//! cache (at most `POOL_PER_WORKER`), then to a process-wide pool. A new goroutine reuses a
//! cached or pooled stack without a system call (a fresh stack costs an `mmap`, an `mprotect`
//! and a page fault: several microseconds). Sysmon returns pooled stacks to the kernel that
//! went unused for a whole `SCAVENGE_EVERY` period, so a burst's stacks do not stay mapped
//! forever (Go's scavenger does the same with its heap).

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Stacks kept for reuse per worker.
pub(crate) const POOL_PER_WORKER: usize = 64;

/// Mappings left for everything else in the process (heap arenas, thread stacks, libraries).
const OTHER_MAPPINGS: usize = 1024;

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// How often sysmon returns unused pooled stacks to the kernel.
pub(crate) const SCAVENGE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Stacks moved between a worker's cache and the pool at a time.
pub(crate) const POOL_BATCH: usize = 16;

struct Pool {
    stacks: Vec<corosensei::stack::DefaultStack>,
    /// The fewest stacks the pool held since the last scavenge: that many went unused.
    low_water: usize,
}

static POOL: std::sync::Mutex<Pool> = std::sync::Mutex::new(Pool {
    stacks: Vec::new(),
    low_water: 0,
});

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    POOL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Moves up to `n` pooled stacks into `cache`; returns how many.
pub(crate) fn pool_take(cache: &mut Vec<corosensei::stack::DefaultStack>, n: usize) -> usize {
    let mut p = pool();
    let k = n.min(p.stacks.len());
    let from = p.stacks.len() - k;
    cache.extend(p.stacks.drain(from..));
    p.low_water = p.low_water.min(p.stacks.len());
    k
}

/// Gives stacks back to the pool.
pub(crate) fn pool_give(stacks: impl Iterator<Item = corosensei::stack::DefaultStack>) {
    pool().stacks.extend(stacks);
}

/// Unmaps the pooled stacks that stayed unused since the last call (sysmon, every
/// `SCAVENGE_EVERY`), outside the pool's lock.
pub(crate) fn scavenge() {
    let freed: Vec<_> = {
        let mut p = pool();
        let k = p.low_water.min(p.stacks.len());
        let keep = p.stacks.len() - k;
        let freed = p.stacks.split_off(keep);
        p.low_water = p.stacks.len();
        freed
    };
    drop(freed);
}

/// The most goroutines that may be alive at once in this process.
pub(crate) fn limit() -> usize {
    static LIMIT: OnceLock<usize> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        let Some(max) = max_map_count() else {
            return usize::MAX;
        };
        let used = current_mappings().unwrap_or(0);
        // Pooled stacks are mapped too; leave room for every worker's pool.
        let pools = POOL_PER_WORKER * super::runtime::default_workers().max(2);
        (max.saturating_sub(used + OTHER_MAPPINGS) / 2)
            .saturating_sub(pools)
            .max(1)
    })
}

/// The kernel's `vm.max_map_count`, where there is one.
pub(crate) fn max_map_count() -> Option<usize> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn current_mappings() -> Option<usize> {
    Some(
        std::fs::read_to_string("/proc/self/maps")
            .ok()?
            .lines()
            .count(),
    )
}

/// The number of goroutines alive (spawned and not yet finished).
pub(crate) fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Accounts for one more goroutine, or says why it cannot exist.
pub(crate) fn reserve() -> Result<(), SpawnError> {
    let n = LIVE.fetch_add(1, Ordering::Relaxed);
    let limit = limit();
    if n >= limit {
        LIVE.fetch_sub(1, Ordering::Relaxed);
        return Err(SpawnError {
            live: n,
            limit,
            max_map_count: max_map_count(),
        });
    }
    Ok(())
}

/// A goroutine finished.
pub(crate) fn release() {
    LIVE.fetch_sub(1, Ordering::Relaxed);
}

/// The kernel refused a stack that the budget said would fit (something else in the process
/// used up mappings). There is no way to run the goroutine, so this ends the process, like
/// Go's "out of memory".
#[cold]
pub(crate) fn fatal_no_stack(err: &std::io::Error) -> ! {
    super::report(&format!(
        "fatal error: cannot allocate a goroutine stack: {err}\n\
         {} goroutines are alive; the kernel allows {} memory mappings per process \
         (vm.max_map_count) and each guarded stack takes two.\n\
         Raise the limit with `sysctl -w vm.max_map_count=1048576`, or run fewer goroutines at once.\n",
        live(),
        max_map_count().map_or_else(|| "a limited number of".to_string(), |m| m.to_string()),
    ));
    std::process::exit(2)
}

/// Returned by [`try_spawn`](crate::try_spawn) when no more goroutines can be started: every
/// goroutine needs a stack with a guard page, and the kernel's `vm.max_map_count` caps how many
/// the process may map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpawnError {
    live: usize,
    limit: usize,
    max_map_count: Option<usize>,
}

impl SpawnError {
    /// Goroutines alive when the spawn was refused.
    pub fn live(&self) -> usize {
        self.live
    }

    /// The most goroutines this process may have alive at once.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot start another goroutine: {} are alive, the limit is {}",
            self.live, self.limit
        )?;
        if let Some(m) = self.max_map_count {
            write!(
                f,
                " (each goroutine stack takes two memory mappings and vm.max_map_count is {m}; \
                 raise it with `sysctl -w vm.max_map_count=1048576`)"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for SpawnError {}
