//! The worker thread: its run loop, running a goroutine, the current goroutine, and shutdown.
//!
//! A worker (`worker_main`) takes the next goroutine from its queues (`next_task`; the queues,
//! and which one a goroutine goes to, are in `queues.rs`), runs it until it parks, yields or
//! finishes (`run_task`), and when its queues are empty looks for work elsewhere (`steal.rs`)
//! and sleeps (`idle.rs`).
//!
//! **Fairness.** `runnext` may win at most `RUNNEXT_BUDGET` times in a row (two goroutines
//! ping-ponging cannot starve the rest), goroutines spawned here and still unstarted go before
//! a woken one in it (they start here, not on a thief), and every `GLOBAL_CHECK` ticks the
//! shared queues are looked at first.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use corosensei::CoroutineResult;
use crossbeam_deque::Worker;

use super::idle::SPIN_TIME;
use super::queues::{OwnQueues, RtShared, UNSTARTED, WorkerShared, steal_one};
use super::task::{Body, Co, Suspend, Task};
use super::timers::{self, TimerHeap};
use super::{io_hook, placement, registry, stack};
use crate::spin::SpinBudget;

const RUNNEXT_BUDGET: u32 = 64;
/// Control blocks of finished goroutines a worker keeps for its next spawns (Go keeps up to
/// 64 dead goroutines per P for the same reason): a spawn then reuses one instead of an
/// allocation, and an exit frees nothing. A burst of spawns and exits went through the
/// allocator's slow paths (its per-thread cache holds 7 blocks of a size): a tenth of
/// spawn + finish.
const RECYCLED_TASKS: usize = 64;
const GLOBAL_CHECK: u32 = 61;
/// How late a worker busy with short goroutines may see a due timer: it reads the clock about
/// once per this much of their running time (`Local::timers_if_due`).
const TIMER_SLACK_NS: u64 = 5_000;
/// The most goroutines a worker runs between two looks at the clock while it has timers. A
/// clock read costs about 25 ns here, a goroutine switch 40-60: reading it at every switch, as
/// Go does, would add a third to a ping-pong beside any pending timer (a context deadline).
const TIMER_MAX_EVERY: u64 = 32;

/// The worker-thread-only part of a worker.
pub(crate) struct Local {
    pub(super) shared: &'static WorkerShared,
    pub(super) rt: &'static RtShared,
    pub(super) deque: Worker<Arc<Task>>,
    /// A recursion's subtrees, newest first (see `OwnQueues::nested`).
    pub(super) nested: Worker<Arc<Task>>,
    runnext_streak: Cell<u32>,
    /// A goroutine spawned here may wait unstarted in `deque` (set when one goes there,
    /// cleared when a pop finds it empty): while it does, `deque` goes before a woken
    /// goroutine in `runnext`.
    pub(super) spawned_waiting: Cell<bool>,
    /// Times in a row the inbox went ahead of `local` (bounded like `runnext_streak`).
    inbox_streak: Cell<u32>,
    pub(super) local: RefCell<VecDeque<Arc<Task>>>,
    /// Goroutines that called `yield_now`: they run after everything runnable now.
    later: RefCell<VecDeque<Arc<Task>>>,
    stacks: RefCell<stack::Cache>,
    /// Control blocks of goroutines that finished here, held by nothing else but their
    /// registry entries (marked kept), kept for this worker's next spawns (`keep_finished`,
    /// `recycled_task`), at most `RECYCLED_TASKS`.
    recycled: RefCell<Vec<Arc<Task>>>,
    pub(super) tick: Cell<u32>,
    /// Goroutines woken on this worker (by a goroutine or from I/O), counted for
    /// `placement::wake_sampled`.
    pub(super) wakes: Cell<u32>,
    /// Per other worker: since when its queue of unstarted goroutines has looked non-empty.
    pub(super) steal_seen: RefCell<Vec<Option<(Instant, usize)>>>,
    /// How long the next idle spin may last.
    pub(super) spin: SpinBudget,
    /// The tick and `spin::stamp` of the last look at the clock for timers.
    timer_clock: Cell<(u32, u64)>,
    /// Ticks between two looks at the clock while this worker has timers.
    timer_every: Cell<u32>,
    /// This worker is firing its due timers: what they wake, no goroutine woke (`placement`
    /// learns nothing from it).
    pub(super) firing_timers: Cell<bool>,
}

std::thread_local! {
    static LOCAL: Cell<*const Local> = const { Cell::new(std::ptr::null()) };
    static CURRENT: Cell<*const Task> = const { Cell::new(std::ptr::null()) };
}

/// A control block this worker kept from a finished goroutine (`Local::keep_finished`), if
/// any, for a spawn on this worker to reuse (`Task::new`).
#[inline]
pub(crate) fn recycled_task() -> Option<Arc<Task>> {
    with_local(|l| l.and_then(|l| l.recycled.borrow_mut().pop()))
}

/// The goroutine running on this thread, if any.
#[inline]
pub(crate) fn current_task() -> Option<Arc<Task>> {
    let p = CURRENT.try_with(Cell::get).unwrap_or(std::ptr::null());
    if p.is_null() {
        return None;
    }
    // SAFETY: `CURRENT` is set by the worker to `Arc::as_ptr` of the task it is resuming, and
    // cleared at the end of `run_task`, after the worker's own handling of the suspended task;
    // the worker holds that `Arc` for all of `run_task`, so the pointer is live and came from
    // an `Arc`. We add a count for the `Arc` we hand out.
    unsafe {
        Arc::increment_strong_count(p);
        Some(Arc::from_raw(p))
    }
}

/// Runs `f` with the goroutine running on this thread, if any, without touching its reference
/// count (for the hot paths: spawn, yield, a goroutine's first run).
#[inline]
pub(crate) fn with_current_task<R>(f: impl FnOnce(Option<&Task>) -> R) -> R {
    let p = current_task_ptr();
    // SAFETY: as in `current_task`: the pointer is live while the goroutine runs, and `f` runs
    // inside it.
    f(unsafe { p.as_ref() })
}

/// The goroutine running on this thread, as the raw pointer of the `Arc` its worker holds
/// while it runs (no reference count taken).
#[inline]
pub(crate) fn current_task_ptr() -> *const Task {
    CURRENT.try_with(Cell::get).unwrap_or(std::ptr::null())
}

/// True if the calling code runs inside a goroutine.
#[inline]
pub(crate) fn in_goroutine() -> bool {
    !CURRENT
        .try_with(Cell::get)
        .unwrap_or(std::ptr::null())
        .is_null()
}

/// Runs `f` with this thread's worker, if it is one.
#[inline]
pub(super) fn with_local<R>(f: impl FnOnce(Option<&Local>) -> R) -> R {
    let p = LOCAL.try_with(Cell::get).unwrap_or(std::ptr::null());
    // SAFETY: `LOCAL` points to the `Local` on the worker thread's own stack frame
    // (`worker_main`), set for exactly the lifetime of that frame; only this thread reads it.
    f(unsafe { p.as_ref() })
}

/// Whether a goroutine that finds a lock held may spin for it a little before it parks (Go's
/// `sync_runtime_canSpin`): the machine has more than one CPU, it runs on a worker of a runtime
/// with another worker that is not idle (which may be running the holder now), and its own
/// worker has nothing else ready to run, which spinning would hold up.
pub(crate) fn may_spin_for_lock() -> bool {
    with_local(|l| {
        l.is_some_and(|l| {
            l.rt.can_spin
                && l.rt.n_idle.load(Ordering::Relaxed) + 1 < l.rt.workers.len()
                && l.shared.runnext.load(Ordering::Relaxed) == 0
                && l.local.borrow().is_empty()
                && l.deque.is_empty()
                && l.shared.inbox.is_empty()
        })
    })
}

/// The calling worker's timer heap, unless it is no worker or its runtime is shutting down
/// (then the global heap takes the timer: the worker hands its own over when it stops).
pub(crate) fn own_timers() -> Option<&'static TimerHeap> {
    with_local(|l| {
        l.filter(|l| !l.rt.shutdown.load(Ordering::Relaxed))
            .map(|l| &l.shared.timers)
    })
}

/// Reserves a stack of `rt`'s class from the calling worker's cache, if it is a worker and
/// its cache holds a reservation back (`stack::Cache::reserve_from_credit`).
pub(super) fn reserve_from_credit(rt: &stack::RtStacks) -> bool {
    with_local(|l| {
        l.and_then(|l| l.stacks.try_borrow_mut().ok())
            .is_some_and(|mut cache| cache.reserve_from_credit(rt))
    })
}

/// The runtime whose worker this thread is, if any.
pub(crate) fn current_rt() -> Option<&'static RtShared> {
    with_local(|l| l.map(|l| l.rt))
}

/// The body of a worker thread.
///
/// A worker never dies quietly: a goroutine's panic is handled inside the goroutine
/// (`run_goroutine_body`), and anything else that unwinds out of the loop (a bug in gocsp) is a
/// fatal error that ends the process, as in Go. A dead worker would strand its goroutines and
/// leave whoever waits for them hanging, with no report.
pub(crate) fn worker_main(rt: &'static RtShared, index: usize, queues: OwnQueues) {
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        worker_loop(rt, index, queues)
    }));
    if let Err(p) = run {
        let msg = p
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| p.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("Box<dyn Any>");
        super::report(&format!(
            "fatal error: a gocsp worker thread panicked: {msg}\n\n{}\n",
            super::dump()
        ));
        super::exit(2);
    }
}

/// Clears `LOCAL` when the worker's frame ends, even by unwinding.
struct LocalGuard;

impl Drop for LocalGuard {
    fn drop(&mut self) {
        let _ = LOCAL.try_with(|l| l.set(std::ptr::null()));
    }
}

fn worker_loop(rt: &'static RtShared, index: usize, queues: OwnQueues) {
    let _alt_stack = super::overflow::AltStack::ensure();
    super::overflow::worker_started(rt.config.stacks.size());
    let shared = &rt.workers[index];
    let _ = shared.thread.set(std::thread::current());
    let local = Local {
        shared,
        rt,
        deque: queues.deque,
        nested: queues.nested,
        runnext_streak: Cell::new(0),
        spawned_waiting: Cell::new(false),
        inbox_streak: Cell::new(0),
        local: RefCell::new(VecDeque::new()),
        later: RefCell::new(VecDeque::new()),
        stacks: RefCell::new(stack::Cache::new(&rt.config.stacks)),
        recycled: RefCell::new(Vec::with_capacity(RECYCLED_TASKS)),
        tick: Cell::new(0),
        wakes: Cell::new(0),
        steal_seen: RefCell::new(vec![None; rt.workers.len()]),
        spin: SpinBudget::new(SPIN_TIME),
        timer_clock: Cell::new((0, 0)),
        timer_every: Cell::new(1),
        firing_timers: Cell::new(false),
    };
    LOCAL.with(|l| l.set(&local));
    let _clear = LocalGuard;
    io_hook::worker_started();
    let _stopped = Stopped;
    while !rt.shutdown.load(Ordering::Relaxed) {
        if let Some(t) = local.next_task() {
            local.run_task(t);
            continue;
        }
        // Out of goroutines: I/O that is ready may have readied some of ours, and so may
        // timers that came due.
        if io_hook::poll() || local.timers_now() {
            continue;
        }
        if let Some(t) = local.search() {
            local.run_task(t);
            continue;
        }
        local.sleep();
    }
    local.shut_down();
    // Timers set here that are still pending fire on the timer thread.
    timers::GLOBAL.adopt(&shared.timers);
}

/// Tells `io_hook` the worker stopped, however its loop ends.
struct Stopped;

impl Drop for Stopped {
    fn drop(&mut self) {
        io_hook::worker_stopped();
    }
}

impl Local {
    /// Fires this worker's due timers if it is time to look at the clock: every
    /// `timer_every` ticks while it has timers, chosen so that it looks about once per
    /// `TIMER_SLACK_NS` of goroutine time (every tick when goroutines run that long).
    #[inline]
    fn timers_if_due(&self, tick: u32) {
        let next = self.shared.timers.next();
        if next != timers::NONE
            && tick.wrapping_sub(self.timer_clock.get().0) >= self.timer_every.get()
        {
            self.fire_timers(tick, next);
        }
    }

    /// Fires this worker's due timers now (it is out of work); true if any was due.
    pub(super) fn timers_now(&self) -> bool {
        let next = self.shared.timers.next();
        next != timers::NONE && self.fire_timers(self.tick.get(), next)
    }

    /// Whether the earliest of this worker's timers is due (a look at the clock if it has any).
    pub(super) fn timer_due(&self) -> bool {
        let next = self.shared.timers.next();
        next != timers::NONE && crate::spin::stamp() >= next
    }

    /// Reads the clock, adapts how often to (`timers_if_due`), and fires the timers due if
    /// the earliest deadline, `next`, has passed; true if any was due.
    #[inline(never)]
    fn fire_timers(&self, tick: u32, next: u64) -> bool {
        let now = Instant::now();
        let stamp = crate::spin::stamp_at(now);
        let (last_tick, last_stamp) = self.timer_clock.get();
        let per_tick =
            stamp.saturating_sub(last_stamp) / u64::from(tick.wrapping_sub(last_tick).max(1));
        let every = (TIMER_SLACK_NS / per_tick.max(1)).clamp(1, TIMER_MAX_EVERY);
        self.timer_every.set(every as u32);
        self.timer_clock.set((tick, stamp));
        if stamp < next {
            return false;
        }
        // Actions catch their own panics (`Node::fire`), so the flag is always cleared.
        self.firing_timers.set(true);
        let fired = self.shared.timers.run_due(now);
        self.firing_timers.set(false);
        fired
    }

    fn next_task(&self) -> Option<Arc<Task>> {
        let tick = self.tick.get().wrapping_add(1);
        self.tick.set(tick);
        self.shared.ticks.store(tick as usize, Ordering::Relaxed);
        self.timers_if_due(tick);
        if tick.is_multiple_of(GLOBAL_CHECK) {
            io_hook::poll_if_stale(io_hook::STALE_BUSY);
            if let Some(t) = steal_one(|| self.shared.inbox.steal()) {
                return Some(t);
            }
            if let Some(t) = self.pop_deque() {
                return Some(t);
            }
            // A goroutine that yielded waits behind the others, but not forever (Go puts it on
            // the global queue, which is looked at here too).
            if let Some(t) = self.later.borrow_mut().pop_front() {
                return Some(t);
            }
            if let Some(t) = steal_one(|| self.rt.injector.steal_batch_and_pop(&self.deque)) {
                return Some(t);
            }
        }
        // Goroutines spawned here and still unstarted go before a woken goroutine in `runnext`,
        // oldest first, so that they start here before the grace period after which an idle
        // worker may take them (`steal.rs`). Behind `runnext` they waited while a goroutine and
        // the one it woke handed this worker to each other: a consumer and the producer it woke
        // last, say, with the consumer's other producers unstarted until a thief took them,
        // after which every message to them crossed workers (select over 4 producers' channels
        // on 2 workers: 52-400 ns a select, bimodal from round to round; 52-56 every round
        // since). The newest spawn, in `runnext` unstarted, still runs first, as in Go (a pair
        // of one spawner and one child is unchanged, and so is the order of a burst of long
        // runners: 4 readers and a writer of one `RWMutex`, whose writer, started last, ran
        // first and was done before the readers began, took 13-19 ns a read lock started in
        // order, 5-14 with the writer first). A flag, not a look at the deque: a ping-pong that
        // spawns nothing pays one load a switch. The goroutines woken here are not held up for
        // long: a goroutine that finds more than `SPAWN_BACKLOG` of its worker's spawns
        // unstarted yields (`spawn_backpressure`), behind everything runnable, so this queue
        // runs dry within that many picks. (A flood of spawners, each starting two and waking
        // a parked goroutine, let the goroutine woken before it run after 130-160 spawns.)
        if self.spawned_waiting.get() && {
            let next = self.shared.runnext.load(Ordering::Relaxed);
            next != 0 && next & UNSTARTED == 0
        } {
            match self.pop_deque() {
                Some(t) => return Some(t),
                None => self.spawned_waiting.set(false),
            }
        }
        if let Some((t, unstarted)) = self.shared.take_runnext() {
            let streak = self.runnext_streak.get();
            if streak < RUNNEXT_BUDGET {
                self.runnext_streak.set(streak + 1);
                return Some(t);
            }
            // Budget spent: let the others run first.
            self.runnext_streak.set(0);
            self.requeue(t, unstarted);
        }
        self.runnext_streak.set(0);
        let inbox_waits = !self.shared.inbox.is_empty();
        // A goroutine woken from another worker goes before those woken here: it is the other
        // half of a cross-worker hand-off, and its partner's worker may have nothing to do
        // until it runs, while a goroutine woken here has its partner here. (A 4-stage
        // pipeline of CPU-bound stages on 2 workers: 95 -> 76 ms, Go's 84; its hand-offs
        // waited behind the other stage's work.) At most `RUNNEXT_BUDGET` times in a row, so
        // a stream of wake-ups from elsewhere cannot starve `local`.
        {
            let mut local = self.local.borrow_mut();
            if !local.is_empty() {
                let streak = self.inbox_streak.get();
                if inbox_waits && streak < RUNNEXT_BUDGET {
                    self.inbox_streak.set(streak + 1);
                } else {
                    self.inbox_streak.set(0);
                    return local.pop_front();
                }
            }
        }
        if inbox_waits && let Some(t) = steal_one(|| self.shared.inbox.steal()) {
            return Some(t);
        }
        if let Some(t) = self.local.borrow_mut().pop_front() {
            return Some(t);
        }
        // A recursion's subtrees before other unstarted goroutines: the goroutine that waits
        // for the newest of them is under way, and the others only start (every
        // `GLOBAL_CHECK` ticks the deque goes first, and ahead of a woken `runnext` while
        // goroutines spawned here wait in it, above).
        if let Some(t) = self.nested.pop() {
            return Some(t);
        }
        if let Some(t) = self.pop_deque() {
            return Some(t);
        }
        if !self.rt.injector.is_empty()
            && let Some(t) = steal_one(|| self.rt.injector.steal_batch_and_pop(&self.deque))
        {
            return Some(t);
        }
        self.later.borrow_mut().pop_front()
    }

    /// Runs `task` until it parks, yields or finishes.
    // Inlined into the worker loop: out of line (as a third call site, in `shut_down`, makes
    // it by default) an unbuffered ping-pong round trip costs ~15% more.
    #[inline(always)]
    fn run_task(&self, task: Arc<Task>) {
        // SAFETY: we popped `task` from one of our queues, so this thread owns its body: it is
        // either unstarted (any thread may start it; it becomes ours) or homed here.
        let body = unsafe { &mut *task.body.get() };
        let fresh = matches!(body, Body::Unstarted(_));
        if let Body::Unstarted(_) = body {
            let Body::Unstarted(f) = std::mem::replace(body, Body::Done) else {
                unreachable!()
            };
            task.set_home(self.shared);
            let stack = self.stacks.borrow_mut().take();
            task.stack_limit
                .set(corosensei::stack::Stack::limit(&stack).get());
            let co = Co::with_stack(stack, move |y, ()| {
                with_current_task(|t| {
                    if let Some(t) = t {
                        t.yielder.set(y as *const _);
                    }
                });
                super::run_goroutine_body(f);
            });
            // Written without an assignment's drop of the old value: with it, the compiler
            // copied the new coroutine through two temporaries, and the first copy read what
            // `with_stack` had just written in wider loads than its stores, which stalls
            // (spawn + finish on one worker: 100-103 -> 96-98 ns, with the in-place reuse of
            // the control block).
            // SAFETY: `body` is `Done` (replaced above), which owns nothing: overwriting it
            // without a drop leaks nothing.
            unsafe { std::ptr::write(body, Body::Running(ManuallyDrop::new(co))) };
        }
        let Body::Running(co) = body else {
            unreachable!("a queued goroutine that already finished")
        };
        CURRENT.with(|c| c.set(Arc::as_ptr(&task)));
        // Learn how long goroutines from this site run between parks (`placement`).
        let timed = placement::sample(task.spawn_site(), self.tick.get(), &task.site_settled)
            .then(Instant::now);
        loop {
            match co.resume(()) {
                CoroutineResult::Yield(Suspend::Park) => {
                    // Its first park makes it one of its site's crowd (`placement`); deals
                    // matter only where there is more than one worker.
                    if !task.in_crowd.get() && self.rt.workers.len() > 1 {
                        task.in_crowd.set(true);
                        placement::parked_first(task.spawn_site());
                    }
                    if self.rt.shutdown.load(Ordering::Relaxed) {
                        // The runtime is being dropped: a goroutine that blocks now dies.
                        task.kill_if_unclaimed();
                    }
                    if task.try_park() {
                        break;
                    }
                }
                CoroutineResult::Yield(Suspend::Yield) => {
                    self.later.borrow_mut().push_back(task.clone());
                    break;
                }
                CoroutineResult::Return(()) => {
                    // SAFETY: taken exactly once; `body` is set to `Done` right after.
                    let co = unsafe { ManuallyDrop::take(co) };
                    *body = Body::Done;
                    self.stacks.borrow_mut().give(co.into_stack());
                    self.rt.config.stacks.finished();
                    if task.in_crowd.get() {
                        placement::finished(task.spawn_site());
                    }
                    break;
                }
            }
        }
        if let Some(t0) = timed {
            placement::ran(
                task.spawn_site(),
                t0.elapsed(),
                fresh,
                matches!(body, Body::Done),
            );
        }
        CURRENT.with(|c| c.set(std::ptr::null()));
        if matches!(body, Body::Done) {
            self.keep_finished(task);
        }
    }

    /// Keeps the control block of a goroutine that finished here for a later spawn, if
    /// nobody else holds it (a waker's reference, say, which then frees it as usual) and
    /// there is room; it stays in the registry meanwhile (`registry::keep`). Otherwise the
    /// goroutine leaves the registry. Called once `CURRENT` no longer names it: no other
    /// reference can appear once ours and the registry's are the only ones (nothing holds a
    /// `Weak` to a task, the registry hands out none for a kept block, and the raw pointers
    /// that make references, `current_task`'s and the queues', are gone with the goroutine).
    /// The spawn that reuses it checks again (`registry::reusable`).
    #[inline(always)]
    fn keep_finished(&self, task: Arc<Task>) {
        let mut kept = self.recycled.borrow_mut();
        // SAFETY: its goroutine finished, on this worker, which keeps the block in `kept` and
        // nowhere else.
        if kept.len() < RECYCLED_TASKS && unsafe { registry::keep(&task) } {
            kept.push(task);
        } else {
            registry::remove(&task);
        }
    }
}

impl RtShared {
    /// True once the runtime is being dropped (see `Local::shut_down`).
    #[inline]
    pub(crate) fn is_stopping(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// Asks every worker to exit and wakes them all.
    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        for w in self.workers.iter() {
            w.sleeping.store(false, Ordering::SeqCst);
            w.unpark_thread();
        }
    }

    /// Worker `index` has shut down (its thread is about to end): counts it for `Runtime`'s
    /// drop. If one of its goroutines died with frames on its stack (`frames_leaked`), the
    /// thread then parks for good instead of ending: ending would run its thread-locals'
    /// destructors under those frames, which may have lent them to a thread that still runs
    /// (a `blocking` helper, a scoped thread). Its stack, like theirs, is leaked.
    pub(crate) fn worker_finished(&self, index: usize) {
        let stays = self.workers[index].frames_leaked.load(Ordering::Acquire);
        // The last worker to finish discards what is left in the shared queues before it is
        // counted, so the drop finds them settled. Not the dropping thread: dropped from one of
        // its own goroutines, the runtime's drop returns before that goroutine's worker
        // finishes, and the goroutine may still spawn.
        let mut settled = self.settled.lock().unwrap_or_else(|p| p.into_inner());
        if *settled + 1 == self.workers.len() && self.is_stopping() {
            drop(settled);
            self.drain_after_shutdown();
            settled = self.settled.lock().unwrap_or_else(|p| p.into_inner());
        }
        *settled += 1;
        drop(settled);
        self.settled_cv.notify_all();
        if stays {
            loop {
                std::thread::park();
            }
        }
    }

    /// Waits until `n` workers have called [`worker_finished`](Self::worker_finished).
    pub(crate) fn wait_finished(&self, n: usize) {
        let mut done = self.settled.lock().unwrap_or_else(|p| p.into_inner());
        while *done < n {
            done = self
                .settled_cv
                .wait(done)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Once every other worker finished (the last one calls it): drops what is still queued in
    /// the shared queues, so that the join handles of goroutines that never ran report it
    /// instead of waiting forever. (A started goroutine's stack is leaked by `Task::drop`, never
    /// unwound on this thread.)
    pub(crate) fn drain_after_shutdown(&self) {
        while let Some(t) = steal_one(|| self.injector.steal()) {
            discard_unstarted(self, t);
        }
        for w in self.workers.iter() {
            while let Some(t) = steal_one(|| w.inbox.steal()) {
                // A goroutine dealt to this worker may not have started yet.
                discard_unstarted(self, t);
            }
            if let Some((t, true)) = w.take_runnext() {
                discard_unstarted(self, t);
            }
        }
    }
}

impl Local {
    /// The runtime is being dropped: settles every goroutine of this worker before the worker
    /// exits. Unstarted goroutines are discarded (their joiners hear "never ran"). A started
    /// goroutine that was woken runs on, here, until it blocks, yields or finishes: whoever
    /// woke it may have handed it a value, which must not vanish with it. A goroutine that
    /// blocks from now on, or is blocked and unclaimed, dies (`Task` docs: one CAS makes sure no
    /// counterparty can complete anything with it afterwards); one that yields dies too.
    ///
    /// Ends: each goroutine runs at most until its next blocking point or yield (a goroutine
    /// that computes forever without either holds its worker, and the drop, as it always would).
    fn shut_down(&self) {
        loop {
            loop {
                let next = self.shared.take_runnext();
                if let Some((t, unstarted)) = next {
                    if unstarted {
                        discard_unstarted(self.rt, t);
                    } else {
                        self.run_task(t);
                    }
                    continue;
                }
                let woken = self.local.borrow_mut().pop_front();
                if let Some(t) = woken.or_else(|| steal_one(|| self.shared.inbox.steal())) {
                    // SAFETY: we popped `t` from our own queue, so this thread owns its body.
                    if matches!(unsafe { &*t.body.get() }, Body::Unstarted(_)) {
                        // Dealt here by `placement`, never run.
                        discard_unstarted(self.rt, t);
                    } else {
                        self.run_task(t);
                    }
                    continue;
                }
                let unstarted = self
                    .deque
                    .pop()
                    .or_else(|| self.nested.pop())
                    .or_else(|| steal_one(|| self.rt.injector.steal()));
                match unstarted {
                    Some(t) => discard_unstarted(self.rt, t),
                    None => break,
                }
            }
            // Yielded goroutines are in no queue but this one and wait for nothing: they die
            // where they are.
            let yielded: Vec<Arc<Task>> = self.later.borrow_mut().drain(..).collect();
            for t in yielded {
                t.kill_yielded();
            }
            if registry::settle(self.shared) {
                // The kept blocks leave the registry with the worker.
                for t in self.recycled.borrow_mut().drain(..) {
                    registry::remove(&t);
                }
                return;
            }
            // Some goroutine of ours was woken and is on its way to our inbox.
            std::thread::yield_now();
        }
    }
}

/// Forgets a goroutine that will never run (its runtime shut down): drops its closure (which
/// closes its join channel) and its registry entry. A closure whose captures panic when
/// dropped is handled like a goroutine's panic (the runtime's panic policy), never unwound
/// into the caller: a worker, or the thread dropping the runtime, with more to clean up.
fn discard_unstarted(rt: &RtShared, task: Arc<Task>) {
    // SAFETY: the task was taken from a queue, so this thread owns its body: on a worker, from
    // its own queues; from `drain_after_shutdown`, after every worker has counted itself
    // finished under the `settled` mutex (which orders its last accesses before ours), so
    // nobody else touches it, even a started goroutine's body taken from another worker's
    // inbox. Beyond reading which variant it is, only an unstarted body (checked below) is
    // touched: the closure, which is `Send` and may be dropped here.
    let body = unsafe { &mut *task.body.get() };
    if matches!(body, Body::Unstarted(_)) {
        let job = std::mem::replace(body, Body::Done);
        registry::remove(&task);
        rt.config.stacks.discarded();
        if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(job))) {
            super::apply_panic_policy(
                rt.config.panic_policy,
                p.as_ref(),
                task.id(),
                &task.spawn_site().to_string(),
                "(raised while dropping the closure of a goroutine that never ran: its runtime \
                 was dropped; the panic's payload is leaked)\n",
            );
            std::mem::forget(p);
        }
    }
}
