//! The goroutine control block and its park/unpark protocol.
//!
//! # States of `run`
//!
//! | state      | meaning                                                       | who leaves it |
//! |------------|---------------------------------------------------------------|---------------|
//! | `RUNNING`  | running, or queued to run                                     | the home worker (→ `PARKED`), a waker (→ `NOTIFIED`) |
//! | `NOTIFIED` | a wake-up arrived while it was running                        | the home worker resumes it at once instead of parking |
//! | `PARKED`   | suspended in a blocking call                                  | the one waker whose CAS `PARKED → RUNNING` wins; it queues the task |
//!
//! A goroutine parks by suspending its coroutine with [`Suspend::Park`]; the worker then tries
//! `RUNNING → PARKED`. If that fails the state was `NOTIFIED`: the waker came between the
//! goroutine's last check of its selection word and the switch, so the worker resumes it
//! straight away. The goroutine clears a stale `NOTIFIED` itself when it starts a new wait
//! (before registering anywhere), so old wake-ups do not cost a round trip.
//!
//! # Death (a dropped runtime)
//!
//! When its [`Runtime`](crate::Runtime) is dropped, a goroutine runs on until it blocks or
//! yields, and is *dead* from then on: it never runs again (a stale wake-up, meant for an
//! earlier wait, may still resume it: `park_current` parks it again at once), and its stack is
//! leaked (it cannot be unwound on another thread). Its frames may borrow its worker's
//! thread-locals, and may have lent them to another thread (a `blocking` helper, a scoped
//! thread) that still runs, so `kill` marks the worker (`frames_leaked`), whose thread then
//! parks for good instead of ending and destroying them. Killing a blocked goroutine is one
//! compare-and-swap of its selection word from `WAITING` to `DEAD`, by its worker when it
//! parks (`kill_if_unclaimed`) or when the worker settles (`try_kill_parked`). That is the word
//! every counterparty must win to complete an operation with it, so a send, receive, select,
//! close, timer or wake-up either claimed it before (and the goroutine runs once more, on its
//! home worker, to take what it was given) or fails its claim and skips it, as if it were not
//! waiting. `dead` records the kill, and the killer tells the goroutine's joiner (`join`).
//!
//! # Thread confinement
//!
//! `body` (the closure, later the coroutine and its stack) is touched only by the thread that
//! runs the task: before the first run that is whoever pops it from a queue (the closure is
//! `Send`); from the first run on it is the home worker, forever. This is the rule that makes
//! thread-locals and `!Send` values on a goroutine's stack sound (with the one above: a
//! worker whose goroutine died with frames on its stack never ends its thread).

use std::cell::{Cell, UnsafeCell};
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use corosensei::{Coroutine, Yielder};

use super::queues::WorkerShared;
use crate::block::{ABORTED, BlockReason, DEAD, WAITING};

const RUNNING: u8 = 0;
const PARKED: u8 = 1;
const NOTIFIED: u8 = 2;

/// Why a goroutine handed control back to its worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Suspend {
    /// Blocked: park unless a wake-up already arrived.
    Park,
    /// `yield_now`: requeue behind the other runnable goroutines.
    Yield,
}

pub(crate) type Co = Coroutine<(), Suspend, (), super::slab::GoStack>;
pub(crate) type CoYielder = Yielder<(), Suspend>;

pub(crate) enum Body {
    Unstarted(super::Job),
    Running(ManuallyDrop<Co>),
    Done,
}

/// What a goroutine's joiner is told when the goroutine dies unfinished.
pub(crate) const DIED: &str =
    "goroutine never finished: its runtime was dropped while it was blocked";

/// Where a goroutine's result goes, as its control block sees it (without the result's type):
/// the one-shot slot a `JoinHandle` waits on, implemented above the core (`goroutine/`).
pub(crate) trait JoinSlot: Send + Sync {
    /// Delivers "the goroutine died" to the joiner.
    fn abandon(&self);
}

/// A goroutine.
pub(crate) struct Task {
    /// The waiter selection word (see `waiter.rs`).
    sel: AtomicUsize,
    run: AtomicU8,
    id: u64,
    spawn_site: &'static Location<'static>,
    group: AtomicU64,
    /// Set at first run; never changes afterwards.
    home: AtomicPtr<WorkerShared>,
    block_reason: AtomicU8,
    block_site: AtomicPtr<Location<'static>>,
    /// Set once, by whoever kills the goroutine (module docs).
    dead: AtomicBool,
    /// The join slot of a goroutine started with `spawn`, told when it dies.
    join: Option<Weak<dyn JoinSlot>>,
    /// Index in the registry shard (see `registry.rs`).
    pub(crate) slot: AtomicUsize,
    /// The registry shard it is in (a reused block keeps its entry, and its new id may name
    /// another shard).
    pub(crate) reg_shard: AtomicU8,
    /// Thread-confined (module docs).
    pub(crate) body: UnsafeCell<Body>,
    /// The coroutine's yielder, set by the coroutine itself when it starts. Thread-confined.
    pub(crate) yielder: Cell<*const CoYielder>,
    /// The lowest address of the goroutine's stack (its guard page), once started.
    /// Thread-confined.
    pub(crate) stack_limit: Cell<usize>,
    /// Counted in its spawn site's crowd (it has parked; see `placement.rs`). Thread-confined
    /// to its home worker.
    pub(crate) in_crowd: Cell<bool>,
    /// Its spawn site's class was known at its last timed run: its runs are timed only when
    /// the worker's tick picks them, without a look at the site's table (`placement::sample`).
    /// Thread-confined to its home worker.
    pub(crate) site_settled: Cell<bool>,
    /// Spawned by a goroutine of its own spawn site (a recursion's subtree): while unstarted
    /// it waits in its worker's `nested` queue, not in its `deque`. Set before it is queued.
    pub(crate) nested: AtomicBool,
    /// `placement` dealt it away from its spawner's worker: the spawner's goroutine id, else 0.
    /// An id, not an address: a spawner's control block is reused by a later spawn on its
    /// worker once it has finished (`Local::keep_finished`), and a goroutine at the same address
    /// would be taken for the spawner. Set before the goroutine is queued; read by its wakers
    /// (`schedule_woken`).
    dealt_by: AtomicU64,
}

// SAFETY: the atomics are shared freely; `body`, `yielder`, `stack_limit`, `in_crowd` and
// `site_settled` are confined to one thread at a time as the module docs explain (the
// unstarted closure is `Send`; a started coroutine is only resumed, and only dropped, by its
// home worker, or leaked). So handing `Arc<Task>` to other threads (wakers, queues) is sound.
unsafe impl Send for Task {}
// SAFETY: as above. Shared access from other threads touches the atomics and the plain
// `id` and `spawn_site` (registry readers, `WaiterRef`'s `Debug`), which are only written when
// the block is provably unique: `reuse` through `&mut Task`, from `registry::reusable` after
// `keep` saw a strong count of 2 (the worker's and the registry's) under the shard lock, with
// an acquire fence that orders every earlier reader's accesses before the writes; `join` is
// taken the same way (`release_join`), or read by the home worker only (`kill`).
unsafe impl Sync for Task {}

impl Task {
    pub(crate) fn new(
        id: u64,
        group: u64,
        spawn_site: &'static Location<'static>,
        f: super::Job,
        join: Option<Weak<dyn JoinSlot>>,
    ) -> Arc<Task> {
        // A control block that finished on this worker, if it kept one (`keep_finished`): its
        // allocation is reused without going through the allocator, set up in place
        // (building a new one and moving its 160 bytes in was a `memmove` call, 4% of a
        // spawn + finish), and it is still in the registry (an insert and a removal were 11%).
        if let Some(mut old) = super::worker::recycled_task() {
            // SAFETY: `old` comes from this worker's list of kept blocks, just popped.
            if let Some(t) = unsafe { super::registry::reusable(&mut old) } {
                t.reuse(id, group, spawn_site, f, join);
                super::registry::reused(&old);
                return old;
            }
            super::registry::remove(&old);
        }
        let task = Arc::new(Task::fresh(id, group, spawn_site, f, join));
        super::registry::insert(&task);
        task
    }

    fn fresh(
        id: u64,
        group: u64,
        spawn_site: &'static Location<'static>,
        f: super::Job,
        join: Option<Weak<dyn JoinSlot>>,
    ) -> Task {
        Task {
            // Not `WAITING`: the word reads `WAITING` only inside a wait (between
            // `reset_for_wait` and its outcome), which is what a kill relies on.
            sel: AtomicUsize::new(ABORTED),
            run: AtomicU8::new(RUNNING),
            id,
            spawn_site,
            group: AtomicU64::new(group),
            home: AtomicPtr::new(std::ptr::null_mut()),
            block_reason: AtomicU8::new(0),
            block_site: AtomicPtr::new(std::ptr::null_mut()),
            dead: AtomicBool::new(false),
            join,
            slot: AtomicUsize::new(usize::MAX),
            reg_shard: AtomicU8::new(0),
            body: UnsafeCell::new(Body::Unstarted(f)),
            yielder: Cell::new(std::ptr::null()),
            stack_limit: Cell::new(0),
            in_crowd: Cell::new(false),
            site_settled: Cell::new(false),
            nested: AtomicBool::new(false),
            dealt_by: AtomicU64::new(0),
        }
    }

    /// Sets a kept control block up for a new goroutine, field by field, as [`Task::fresh`]
    /// builds one, but for its registry entry (`slot`, `reg_shard`), which it keeps. Every
    /// field is named (no `..`), so a field added to `Task` without a line here does not
    /// compile.
    fn reuse(
        &mut self,
        id: u64,
        group: u64,
        spawn_site: &'static Location<'static>,
        f: super::Job,
        join: Option<Weak<dyn JoinSlot>>,
    ) {
        let Task {
            sel,
            run,
            id: old_id,
            spawn_site: old_site,
            group: old_group,
            home,
            block_reason,
            block_site,
            dead,
            join: old_join,
            slot: _,
            reg_shard: _,
            body,
            yielder,
            stack_limit,
            in_crowd,
            site_settled,
            nested,
            dealt_by,
        } = self;
        *sel.get_mut() = ABORTED;
        *run.get_mut() = RUNNING;
        *old_id = id;
        *old_site = spawn_site;
        *old_group.get_mut() = group;
        *home.get_mut() = std::ptr::null_mut();
        *block_reason.get_mut() = 0;
        *block_site.get_mut() = std::ptr::null_mut();
        *dead.get_mut() = false;
        *old_join = join;
        *body.get_mut() = Body::Unstarted(f);
        yielder.set(std::ptr::null());
        stack_limit.set(0);
        in_crowd.set(false);
        site_settled.set(false);
        *nested.get_mut() = false;
        *dealt_by.get_mut() = 0;
    }

    /// A finished goroutine's control block, kept for reuse (`registry::keep`), lets go of
    /// its join slot now, not whenever the block is reused: a worker that stops spawning
    /// would hold 64 of them (and a result stored inline in one).
    ///
    /// # Safety
    /// `this` points at a live task whose goroutine has finished, and nothing else reads or
    /// writes its `join` meanwhile. Only that field is touched (no reference to the whole
    /// task is made: its worker may hold one to its `body`).
    pub(crate) unsafe fn release_join(this: *mut Task) {
        // SAFETY: per the contract.
        unsafe { (*this).join = None };
    }

    /// The id of the goroutine that spawned it, if `placement` started it on another worker
    /// than its spawner's (0 if not).
    pub(crate) fn dealt_by(&self) -> u64 {
        self.dealt_by.load(Ordering::Relaxed)
    }

    /// Records that `placement` started it away from the worker of its spawner, the goroutine
    /// `spawner` (an id).
    pub(crate) fn set_dealt_by(&self, spawner: u64) {
        self.dealt_by.store(spawner, Ordering::Relaxed);
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn group(&self) -> u64 {
        self.group.load(Ordering::Relaxed)
    }

    /// Changes the leak-check group of goroutines this one spawns from now on; returns the old.
    pub(crate) fn set_group(&self, g: u64) -> u64 {
        self.group.swap(g, Ordering::Relaxed)
    }

    pub(crate) fn spawn_site(&self) -> &'static Location<'static> {
        self.spawn_site
    }

    #[inline]
    pub(crate) fn sel(&self) -> &AtomicUsize {
        &self.sel
    }

    pub(crate) fn home(&self) -> Option<&'static WorkerShared> {
        let p = self.home.load(Ordering::Acquire);
        // SAFETY: `home` is either null or points into a runtime's worker array, which is
        // leaked (`&'static`) when the runtime is built and never freed.
        unsafe { p.as_ref() }
    }

    pub(crate) fn set_home(&self, w: &'static WorkerShared) {
        self.home.store(
            w as *const WorkerShared as *mut WorkerShared,
            Ordering::Release,
        );
    }

    /// Called by the task itself before it registers for a new wait: resets the selection and
    /// drops a stale wake-up (see the module docs).
    #[inline]
    pub(crate) fn reset_for_wait(&self) {
        self.sel.store(WAITING, Ordering::Relaxed);
        self.run.store(RUNNING, Ordering::Relaxed);
    }

    /// Suspends the current goroutine (which must be `self`) until unparked.
    #[inline]
    pub(crate) fn park_current(&self, reason: BlockReason, site: &'static Location<'static>) {
        self.block_reason.store(reason as u8, Ordering::Relaxed);
        self.block_site.store(
            site as *const Location<'static> as *mut Location<'static>,
            Ordering::Relaxed,
        );
        let y = self.yielder.get();
        debug_assert!(!y.is_null(), "park_current outside the task's coroutine");
        // SAFETY: `yielder` was set by this task's coroutine when it started and points into
        // that coroutine's stack, where the yielder lives until the coroutine returns; we are
        // running on that coroutine (park_current is only reached through `current_task`).
        unsafe { (*y).suspend(Suspend::Park) };
        // Dead (module docs): only a stale wake-up, meant for an earlier wait, resumes it. Its
        // wait must never return: it stays parked.
        while self.sel.load(Ordering::Acquire) == DEAD {
            // SAFETY: as above.
            unsafe { (*y).suspend(Suspend::Park) };
        }
        self.block_reason.store(0, Ordering::Relaxed);
    }

    /// Suspends the current goroutine (which must be `self`) behind the other runnable ones.
    pub(crate) fn yield_current(&self) {
        let y = self.yielder.get();
        // SAFETY: as in `park_current`.
        unsafe { (*y).suspend(Suspend::Yield) };
    }

    /// Worker side, after the task suspended with `Park`: returns `true` if it is now parked,
    /// `false` if a wake-up already arrived and it must be resumed at once.
    #[inline]
    pub(crate) fn try_park(&self) -> bool {
        match self
            .run
            .compare_exchange(RUNNING, PARKED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(_) => {
                self.run.store(RUNNING, Ordering::Relaxed);
                false
            }
        }
    }

    /// Wakes the task: queues it on its home worker if it is parked, or marks it notified if
    /// it is still running.
    #[inline]
    pub(crate) fn unpark(self: Arc<Self>) {
        let mut s = self.run.load(Ordering::Acquire);
        loop {
            let next = match s {
                RUNNING => NOTIFIED,
                PARKED => RUNNING,
                _ => return,
            };
            match self
                .run
                .compare_exchange_weak(s, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        if s == PARKED {
            super::queues::schedule_woken(self);
        }
    }

    /// Where and why the task is blocked, if it is.
    pub(crate) fn blocked(&self) -> Option<(BlockReason, Option<&'static Location<'static>>)> {
        let reason = BlockReason::from_u8(self.block_reason.load(Ordering::Relaxed))?;
        let site = self.block_site.load(Ordering::Relaxed);
        // SAFETY: `block_site` only ever holds null or a `&'static Location`.
        Some((reason, unsafe { site.as_ref() }))
    }

    pub(crate) fn is_parked(&self) -> bool {
        self.run.load(Ordering::Relaxed) == PARKED
    }

    /// True once the goroutine is dead (module docs).
    pub(crate) fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// Records the goroutine's death and tells its joiner; only the first call does anything.
    /// The caller has made sure the goroutine will never run again: it won the `DEAD` claim
    /// of its wait, or it holds the goroutine, suspended by a yield, out of every queue.
    pub(crate) fn kill(&self) {
        if self.dead.swap(true, Ordering::AcqRel) {
            return;
        }
        // A goroutine parked in a network wait holds one count of "I/O in flight" for the
        // deadlock check (`net/fd.rs`'s `wait`), which it gives back when its wait returns.
        // A dead one's never returns: give it back here, or no deadlock would ever be judged
        // again. (The reason reads `NetIo` only while it is parked in that wait.)
        if matches!(self.blocked(), Some((BlockReason::NetIo, _))) {
            super::deadlock::blocking_changed(false);
        }
        // Its frames stay on its leaked stack, and may borrow its worker's thread-locals.
        if let Some(home) = self.home() {
            home.frames_leaked.store(true, Ordering::Release);
        }
        if let Some(slot) = self.join.as_ref().and_then(Weak::upgrade) {
            slot.abandon();
        }
    }

    /// Worker side, after the task suspended with `Park` while its runtime is being dropped:
    /// kills it unless a counterparty claimed its wait first (then it runs once more).
    #[cold]
    pub(crate) fn kill_if_unclaimed(&self) {
        if self
            .sel
            .compare_exchange(WAITING, DEAD, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.kill();
        }
    }

    /// Shutdown: kills a goroutine that yielded (it waits for nothing). Its selection word is
    /// made `DEAD` too if it reads `WAITING`, which no yield leaves it in today, so that no
    /// stale registration could ever complete into its leaked stack.
    #[cold]
    pub(crate) fn kill_yielded(&self) {
        let _ = self
            .sel
            .compare_exchange(WAITING, DEAD, Ordering::AcqRel, Ordering::Acquire);
        self.kill();
    }

    /// Shutdown, on the home worker while it runs no goroutine: kills the goroutine if it is
    /// parked in a wait nobody has claimed. Returns `true` if it is dead now, `false` if it is
    /// still to run (it was woken: it is queued, or about to be).
    pub(crate) fn try_kill_parked(&self) -> bool {
        if self.is_dead() {
            return true;
        }
        // `PARKED` with `WAITING`: blocked, unclaimed. (Its word reads `WAITING` only inside
        // a wait, and no goroutine of this worker is running, so it is really blocked.)
        if self.run.load(Ordering::Acquire) == PARKED
            && self
                .sel
                .compare_exchange(WAITING, DEAD, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.kill();
            return true;
        }
        false
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if let Body::Running(co) = self.body.get_mut()
            && co.done()
        {
            // SAFETY: dropped exactly once, here; a finished coroutine has nothing left to
            // unwind, so dropping it (unmapping a mapped stack; a slab stack's memory is
            // released and its slot not reused) is fine on any thread.
            unsafe { ManuallyDrop::drop(co) };
        }
        // A started, unfinished coroutine is leaked on purpose: dropping it would unwind
        // its stack on this thread, which may not be its home thread (and its blocked
        // operation may still be registered with a channel). This only happens to
        // goroutines blocked forever when their runtime is dropped.
    }
}

#[cfg(all(test, not(miri)))]
mod tests {
    use super::*;

    /// Everything a control block says about its goroutine, but the closure itself and its
    /// registry entry (`slot`, `reg_shard`), which a reused block keeps.
    type Fields = (
        (usize, u8, u64, usize, u64, usize, u8, usize, bool),
        (bool, bool, usize, usize, bool, bool, bool, u64),
    );

    fn fields(t: &mut Task) -> Fields {
        (
            (
                *t.sel.get_mut(),
                *t.run.get_mut(),
                t.id,
                t.spawn_site as *const Location<'static> as usize,
                *t.group.get_mut(),
                t.home.get_mut().addr(),
                *t.block_reason.get_mut(),
                t.block_site.get_mut().addr(),
                *t.dead.get_mut(),
            ),
            (
                t.join.is_some(),
                matches!(t.body.get_mut(), Body::Unstarted(_)),
                t.yielder.get().addr(),
                t.stack_limit.get(),
                t.in_crowd.get(),
                t.site_settled.get(),
                *t.nested.get_mut(),
                *t.dealt_by.get_mut(),
            ),
        )
    }

    /// A kept control block, set up for its next goroutine in place, reads exactly as a new
    /// one built for that goroutine, whatever its last goroutine left in it, and keeps its
    /// registry entry.
    #[test]
    fn a_reused_control_block_reads_as_a_fresh_one() {
        let first = Location::caller();
        let next = Location::caller();
        let mut old = Task::fresh(1, 2, first, super::super::Job::new(|| ()), None);
        // What a goroutine's life leaves behind (all fields off their fresh values).
        *old.sel.get_mut() = DEAD;
        *old.run.get_mut() = PARKED;
        *old.group.get_mut() = 9;
        let worker = std::ptr::dangling_mut::<WorkerShared>();
        *old.home.get_mut() = worker;
        *old.block_reason.get_mut() = BlockReason::ChanRecv as u8;
        *old.block_site.get_mut() = (first as *const Location<'static>).cast_mut();
        *old.dead.get_mut() = true;
        *old.slot.get_mut() = 17;
        *old.reg_shard.get_mut() = 3;
        *old.body.get_mut() = Body::Done;
        old.yielder.set(std::ptr::dangling());
        old.stack_limit.set(4096);
        old.in_crowd.set(true);
        old.site_settled.set(true);
        *old.nested.get_mut() = true;
        *old.dealt_by.get_mut() = 5;
        let mut fresh = Task::fresh(7, 8, next, super::super::Job::new(|| ()), None);
        assert_ne!(fields(&mut old).0, fields(&mut fresh).0);
        assert_ne!(fields(&mut old).1, fields(&mut fresh).1);

        old.reuse(7, 8, next, super::super::Job::new(|| ()), None);
        assert_eq!(fields(&mut old), fields(&mut fresh));
        assert_eq!((*old.slot.get_mut(), *old.reg_shard.get_mut()), (17, 3));
    }
}
