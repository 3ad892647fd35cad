//! Every live goroutine, for [`goroutines`](crate::goroutines), deadlock reports and the leak
//! check; and the finished ones whose control blocks their workers keep for reuse, marked
//! kept, which every reader passes over (`keep`).
//!
//! Sharded by the block of goroutine ids a spawning thread takes (`ID_BLOCK`), so that a
//! worker's spawns, and the exits of those goroutines, which mostly run on the same worker,
//! use one shard while its block lasts, and workers rarely meet on a lock or a cache line. (A
//! reused control block keeps the shard of its first goroutine, `Task::reg_shard`.)
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
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
}

struct Entry {
    task: Arc<Task>,
    /// Finished, its control block kept by its worker for a later spawn ([`keep`]): nobody
    /// but that worker touches it, not even to read it, until [`reused`] clears this.
    kept: bool,
}

static REGISTRY: [SpinLock<Slab>; SHARDS] = [const {
    SpinLock::new(Slab {
        entries: Vec::new(),
        free: Vec::new(),
    })
}; SHARDS];

/// The shard a new goroutine goes in: its id's block's.
fn shard_for(id: u64) -> usize {
    // Ids count from 1, and blocks from the first id.
    let block = id.wrapping_sub(1) / super::ID_BLOCK;
    (block % SHARDS as u64) as usize
}

/// The shard a registered goroutine is in.
fn shard(task: &Task) -> &'static SpinLock<Slab> {
    &REGISTRY[usize::from(task.reg_shard.load(Ordering::Relaxed))]
}

pub(crate) fn insert(task: &Arc<Task>) {
    let i = shard_for(task.id());
    const { assert!(SHARDS <= 256, "a shard's index is kept in a byte") };
    task.reg_shard.store(i as u8, Ordering::Relaxed);
    let mut s = REGISTRY[i].lock();
    let e = Entry {
        task: task.clone(),
        kept: false,
    };
    let slot = match s.free.pop() {
        Some(i) => {
            s.entries[i] = Some(e);
            i
        }
        None => {
            s.entries.push(Some(e));
            s.entries.len() - 1
        }
    };
    task.slot.store(slot, Ordering::Relaxed);
}

/// The entry of `task` in its shard, if it is there. Compared by address, without a
/// reference to whatever task is in the slot (a kept block is not to be touched).
fn entry<'a>(s: &'a mut Slab, task: &Task) -> Option<&'a mut Entry> {
    s.entries
        .get_mut(task.slot.load(Ordering::Relaxed))?
        .as_mut()
        .filter(|e| std::ptr::eq(Arc::as_ptr(&e.task), task))
}

pub(crate) fn remove(task: &Task) {
    let slot = task.slot.load(Ordering::Relaxed);
    let mut s = shard(task).lock();
    if entry(&mut s, task).is_some() {
        s.entries[slot] = None;
        s.free.push(slot);
    }
}

/// A goroutine that finished (the caller's contract) on its worker, which keeps its control
/// block for a later spawn (`Local::keep_finished`): the block stays in the registry, its
/// entry marked `kept`, and lets go of its join slot. `false` if anything but the caller and
/// the registry holds it (a waker's reference, a listing's copy): it is then removed as usual.
///
/// Every reader of the registry goes through a shard's lock (`copy_where`) and passes over a
/// kept entry without touching its task, so from here until [`reused`] nothing but the
/// caller's worker reads or references the block: that is what lets a spawn there set it up
/// again in place ([`reusable`]). (Go keeps its dead goroutines in `allgs` the same way, for its `gfget`.)
///
/// # Safety
/// The goroutine of `task` has finished, and the caller is the worker it ran on, which puts
/// the block in its list of kept blocks if this returns `true` (and nowhere else).
pub(crate) unsafe fn keep(task: &Arc<Task>) -> bool {
    debug_assert_eq!(Arc::weak_count(task), 0, "nothing makes a Weak<Task>");
    let mut s = shard(task).lock();
    let Some(e) = entry(&mut s, task) else {
        return false;
    };
    // Ours and the registry's. Another was taken under this lock, or is a waker's; either is
    // only dropped from now on (a release, which the fence below acquires).
    if Arc::strong_count(task) != 2 {
        return false;
    }
    std::sync::atomic::fence(Ordering::Acquire);
    // SAFETY: the goroutine finished (the caller's contract), and only two references exist,
    // ours and the registry's, which is read only under this lock, which we hold. `join` is
    // read only by the goroutine's killer, and a finished goroutine is never killed.
    unsafe { Task::release_join(Arc::as_ptr(task).cast_mut()) };
    e.kept = true;
    true
}

/// A kept block for a spawn to set up in place, or `None` if it cannot be (then remove it
/// from the registry, and drop it).
///
/// # Safety
/// `task` is a block [`keep`] kept, just popped from the list of kept blocks of the worker
/// the caller runs on.
pub(crate) unsafe fn reusable(task: &mut Arc<Task>) -> Option<&mut Task> {
    debug_assert_eq!(Arc::weak_count(task), 0, "nothing makes a Weak<Task>");
    if Arc::strong_count(task) != 2 {
        return None;
    }
    std::sync::atomic::fence(Ordering::Acquire);
    // SAFETY: kept by `keep` (the caller's contract), the block has had two references
    // since, ours and its registry entry's, which nobody reads while the entry is marked
    // kept; `&mut task` keeps ours to us for the borrow, which ends before `reused` clears
    // the mark.
    Some(unsafe { &mut *Arc::as_ptr(task).cast_mut() })
}

/// A kept block is set up for its new goroutine: listings see it from now on (the lock
/// publishes its new fields to them).
pub(crate) fn reused(task: &Task) {
    let mut s = shard(task).lock();
    if let Some(e) = entry(&mut s, task) {
        e.kept = false;
    }
}

/// The registered goroutines that `pick` chooses, taken under each shard's lock. Kept entries
/// are passed over without a look at their tasks (`keep`): every reader comes through here.
fn copy_where(pick: impl Fn(&Task) -> bool) -> Vec<Arc<Task>> {
    let mut out = Vec::new();
    for shard in REGISTRY.iter() {
        let s = shard.lock();
        out.extend(
            s.entries
                .iter()
                .flatten()
                .filter(|e| !e.kept && pick(&e.task))
                .map(|e| e.task.clone()),
        );
    }
    out
}

/// Shutdown of `home`'s runtime, on that worker while it runs no goroutine: kills each of its
/// goroutines that is blocked and unclaimed (see `Task::try_kill_parked`). Returns `true` when
/// every started goroutine homed there is dead (finished ones have left the registry, or are
/// kept, and passed over).
pub(crate) fn settle(home: &WorkerShared) -> bool {
    let mine = copy_where(|t| t.home().is_some_and(|h| std::ptr::eq(h, home)) && !t.is_dead());
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
    let tasks = copy_where(|t| group.is_none_or(|g| t.group() == g));
    let mut out: Vec<GoroutineInfo> = tasks.iter().map(|t| info(t)).collect();
    out.sort_by_key(|g| g.id);
    out
}
