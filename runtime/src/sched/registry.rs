//! Every live goroutine, for [`goroutines`](crate::goroutines), deadlock reports and the leak
//! check.
//!
//! Sharded by the block of goroutine ids a spawning thread takes (`ID_BLOCK`), so that a
//! worker's spawns, and the exits of those goroutines, which mostly run on the same worker,
//! use one shard while its block lasts, and workers rarely meet on a lock or a cache line.
//! (Sharded by id, consecutive spawns went to consecutive shards, each last touched by
//! another worker: a tree of goroutines on 2 workers spent 7% of its time in `insert`.) Each
//! shard is a slab: a goroutine remembers its slot, so removal is O(1). A shard's lock is a
//! spin lock: a spawn and an exit each take one, almost never contended, and a std `Mutex`'s
//! unlock is an atomic swap where a spin lock's is a store (spawn + finish on one worker:
//! 116 -> 110 ns). Only a snapshot (`goroutines`, a deadlock's dump) holds one for long.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::loom::SpinLock;

use super::queues::WorkerShared;
use super::task::Task;

const SHARDS: usize = 32;

#[derive(Default)]
struct Slab {
    entries: Vec<Option<Arc<Task>>>,
    free: Vec<usize>,
}

static REGISTRY: [SpinLock<Slab>; SHARDS] = [const {
    SpinLock::new(Slab {
        entries: Vec::new(),
        free: Vec::new(),
    })
}; SHARDS];

fn shard(task: &Task) -> &'static SpinLock<Slab> {
    // Ids count from 1, and blocks from the first id.
    let block = task.id().wrapping_sub(1) / super::ID_BLOCK;
    &REGISTRY[(block % SHARDS as u64) as usize]
}

pub(crate) fn insert(task: &Arc<Task>) {
    let mut s = shard(task).lock();
    let slot = match s.free.pop() {
        Some(i) => {
            s.entries[i] = Some(task.clone());
            i
        }
        None => {
            s.entries.push(Some(task.clone()));
            s.entries.len() - 1
        }
    };
    task.slot.store(slot, Ordering::Relaxed);
}

pub(crate) fn remove(task: &Task) {
    let slot = task.slot.load(Ordering::Relaxed);
    let mut s = shard(task).lock();
    if let Some(e) = s.entries.get_mut(slot)
        && e.as_ref().is_some_and(|t| std::ptr::eq(&**t, task))
    {
        *e = None;
        s.free.push(slot);
    }
}

/// Shutdown of `home`'s runtime, on that worker while it runs no goroutine: kills each of its
/// goroutines that is blocked and unclaimed (see `Task::try_kill_parked`). Returns `true` when
/// every started goroutine homed there is dead (finished ones have left the registry).
pub(crate) fn settle(home: &WorkerShared) -> bool {
    let mut mine = Vec::new();
    for shard in REGISTRY.iter() {
        let s = shard.lock();
        mine.extend(
            s.entries
                .iter()
                .flatten()
                .filter(|t| t.home().is_some_and(|h| std::ptr::eq(h, home)) && !t.is_dead())
                .cloned(),
        );
    }
    // Killed outside the shard locks: a kill tells the joiner, which may wake it.
    let mut settled = true;
    for t in mine {
        settled &= t.try_kill_parked();
    }
    settled
}

/// A snapshot of one goroutine, as listed by [`goroutines`](crate::goroutines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoroutineInfo {
    /// The goroutine's id (unique in this process, counting from 1).
    pub id: u64,
    /// Where it was spawned (the `go!` or `spawn` call).
    pub spawn_site: &'static Location<'static>,
    /// What it is doing.
    pub state: GoroutineState,
}

/// What a goroutine is doing, in the words of Go's tracebacks.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GoroutineState {
    /// Spawned, not yet started.
    Runnable,
    /// Running, or ready to run.
    Running,
    /// Blocked; `reason` is Go's wording ("chan receive", "select", "sleep", ...), `site` the
    /// blocking call. A goroutine that died with its runtime (see [`Runtime`](crate::Runtime)'s
    /// drop) stays blocked for good; its reason ends in ", dead: runtime dropped".
    Blocked {
        /// Why it is blocked.
        reason: String,
        /// The blocking call, where known.
        site: Option<&'static Location<'static>>,
    },
}

impl fmt::Display for GoroutineInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            GoroutineState::Runnable => "runnable".to_string(),
            GoroutineState::Running => "running".to_string(),
            GoroutineState::Blocked { reason, .. } => reason.clone(),
        };
        writeln!(f, "goroutine {} [{}]:", self.id, state)?;
        if let GoroutineState::Blocked {
            site: Some(site), ..
        } = &self.state
        {
            writeln!(f, "\tblocked at {site}")?;
        }
        write!(f, "\tspawned at {}", self.spawn_site)
    }
}

fn info(t: &Task) -> GoroutineInfo {
    let state = match t.blocked() {
        Some((reason, site)) if t.is_dead() => GoroutineState::Blocked {
            reason: format!("{reason}, dead: runtime dropped"),
            site,
        },
        None if t.is_dead() => GoroutineState::Blocked {
            reason: "runnable, dead: runtime dropped".to_string(),
            site: None,
        },
        Some((reason, site)) if t.is_parked() => GoroutineState::Blocked {
            reason: reason.to_string(),
            site,
        },
        _ if t.home().is_none() => GoroutineState::Runnable,
        _ => GoroutineState::Running,
    };
    GoroutineInfo {
        id: t.id(),
        spawn_site: t.spawn_site(),
        state,
    }
}

/// Snapshots the live goroutines of `group` (or all, for `None`), sorted by id.
pub(crate) fn snapshot(group: Option<u64>) -> Vec<GoroutineInfo> {
    // The goroutines are taken under each shard's (spin) lock, and described after it is
    // released: a spawn or an exit in that shard waits for a copy, not for the formatting.
    let mut tasks = Vec::new();
    for shard in REGISTRY.iter() {
        let s = shard.lock();
        tasks.extend(
            s.entries
                .iter()
                .flatten()
                .filter(|t| group.is_none_or(|g| t.group() == g))
                .cloned(),
        );
    }
    let mut out: Vec<GoroutineInfo> = tasks.iter().map(|t| info(t)).collect();
    out.sort_by_key(|g| g.id);
    out
}
