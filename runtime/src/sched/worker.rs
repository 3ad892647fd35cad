//! Workers: the OS threads that run goroutines, their queues, and how they sleep and wake.
//!
//! # Queues of one worker
//!
//! | queue     | holds                                      | who pushes            | who pops |
//! |-----------|--------------------------------------------|-----------------------|----------|
//! | `runnext` | the goroutine to run next                  | this worker           | this worker; a thief if unstarted and the worker is stuck |
//! | `local`   | started goroutines woken on this worker    | this worker           | this worker |
//! | `inbox`   | started goroutines woken from elsewhere; new ones dealt here | any thread | this worker |
//! | `deque`   | unstarted goroutines                       | this worker           | this worker, thieves |
//! | `later`   | goroutines that called `yield_now`         | this worker           | this worker |
//!
//! plus the runtime's `injector` for goroutines spawned from outside any worker.
//!
//! **Placement is decided once, at first run**, because started goroutines never move: a
//! started one has its stack, thread-locals and possibly `!Send` values tied to its home
//! thread. So placement favours locality, except for parallel work that `placement` deals out
//! (bursts from one spawn site, sites learned to run long; into the chosen worker's `inbox`).
//! Otherwise a spawned goroutine goes to its spawner's `runnext`
//! (Go's trick: a goroutine and the ones it starts usually talk, so they should share a core);
//! whatever was in `runnext` moves back to `local` or, if it never ran, to the stealable
//! `deque`. A woken goroutine goes to `runnext` when the waker runs on its home worker, else to
//! the home worker's `inbox`.
//!
//! **Stealing only what has waited.** Idle workers take unstarted goroutines from another
//! worker's `deque` only once that queue has stayed non-empty for `STEAL_GRACE`, and take an
//! unstarted `runnext` only from a worker that has been running the same goroutine that long.
//! A burst of goroutines that start, talk and block within microseconds stays on one worker; a
//! backlog that the worker does not get to is spread. Nothing wakes an idle worker per spawn or
//! per send: the `sysmon` thread (Go has one too) looks at the queues every `SYSMON_ACTIVE`
//! while any goroutine waits unstarted, and wakes one idle worker for a backlog that outlived
//! the grace period.
//!
//! **Fairness.** `runnext` may win at most `RUNNEXT_BUDGET` times in a row (two goroutines
//! ping-ponging cannot starve the rest), and every `GLOBAL_CHECK` ticks the shared queues are
//! looked at first.
//!
//! **Sleeping.** A worker with nothing to do spins briefly (only on a multi-core machine, only
//! while fewer than half of the busy workers spin (Go's rule), with `spin_loop` hints, never
//! `sched_yield`, and for an adaptive budget that drops to nothing when the spin loses its
//! core: see `spin.rs`), then registers in the runtime's idle list and parks. A goroutine
//! woken onto a sleeping worker unparks that worker; at most one idle worker is woken for
//! stealable work while none is already searching.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use corosensei::CoroutineResult;
use crossbeam_deque::{Injector, Steal, Stealer, Worker};
use crossbeam_utils::CachePadded;

use super::task::{Body, Co, Suspend, Task};
use super::{Config, deadlock, placement, registry, stack};
use crate::spin::SpinBudget;

const RUNNEXT_BUDGET: u32 = 64;
/// Goroutines in the injector past which a spawn from outside wakes another worker.
const INJECT_WAKE: usize = 8;
/// How long unstarted goroutines must wait in a worker's queue before another worker may
/// steal them: a goroutine and the ones it starts get the chance to start on one worker,
/// where talking to each other costs no cross-thread wake-up. (Go steals at once, or after
/// 3 us for a `runnext`, because it can migrate a goroutine later; we cannot.)
const STEAL_GRACE: Duration = Duration::from_micros(100);
/// How often sysmon looks at the queues while goroutines wait unstarted somewhere, and the
/// longest it sleeps when nothing waits.
const SYSMON_ACTIVE: Duration = Duration::from_micros(100);
const SYSMON_IDLE: Duration = Duration::from_millis(10);
/// A queue of unstarted goroutines this long is spread even while its worker gets through it.
const LONG_BACKLOG: usize = 64;
/// Tag bit in `runnext`: the goroutine there has not started (so it may be stolen).
const UNSTARTED: usize = 1;
const GLOBAL_CHECK: u32 = 61;
/// The longest an idle worker spins looking for work before it sleeps.
const SPIN_TIME: Duration = Duration::from_micros(30);

/// State of a runtime shared by its workers. Leaked (`&'static`) when built.
pub(crate) struct RtShared {
    pub(crate) workers: Box<[WorkerShared]>,
    stealers: Box<[Stealer<Arc<Task>>]>,
    pub(crate) injector: Injector<Arc<Task>>,
    idle: Mutex<Vec<usize>>,
    n_idle: AtomicUsize,
    n_searching: AtomicUsize,
    /// Set when the runtime is dropped. Read at every park: on a line of its own, away from
    /// the counters idle workers write.
    pub(crate) shutdown: CachePadded<AtomicBool>,
    pub(crate) config: Config,
    can_spin: bool,
}

/// The part of a worker other threads may touch.
pub(crate) struct WorkerShared {
    index: usize,
    rt: OnceLock<&'static RtShared>,
    inbox: Injector<Arc<Task>>,
    sleeping: AtomicBool,
    thread: OnceLock<std::thread::Thread>,
    /// `Arc::into_raw` of the next goroutine, tagged with `UNSTARTED`, or 0. The owner swaps
    /// it; a thief may only CAS out an `UNSTARTED` one, so exactly one side gets the task.
    runnext: AtomicUsize,
    /// Goroutines this worker has scheduled (for sysmon's "stuck" check).
    ticks: AtomicUsize,
    /// Goroutines this worker has taken from its own `deque` (is it getting through it?).
    deque_pops: AtomicUsize,
    /// Set by sysmon: the deque has held goroutines for the grace period, steal now.
    steal_ok: AtomicBool,
    /// Set by sysmon: the worker has run one goroutine for the grace period; an unstarted
    /// `runnext` may be taken.
    stuck: AtomicBool,
}

impl WorkerShared {
    /// Takes the owner's `runnext` (owner only). Thieves only ever take an `UNSTARTED` value
    /// (and never write a non-zero one), so the owner needs an atomic read-modify-write only
    /// when racing one is possible.
    #[inline]
    fn take_runnext(&self) -> Option<(Arc<Task>, bool)> {
        let v = self.runnext.load(Ordering::Acquire);
        if v == 0 {
            return None;
        }
        if v & UNSTARTED == 0 {
            self.runnext.store(0, Ordering::Relaxed);
        } else if self
            .runnext
            .compare_exchange(v, 0, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return None; // a thief took it
        }
        // SAFETY: non-zero values are `Arc::into_raw` pointers (tagged in the low bit, free
        // because `Task` is aligned) put there by `put_runnext`; clearing the slot gave us sole
        // ownership of that reference.
        Some((
            unsafe { Arc::from_raw((v & !UNSTARTED) as *const Task) },
            v & UNSTARTED != 0,
        ))
    }

    /// Puts `task` in `runnext` (owner only); returns the previous occupant.
    #[inline]
    fn put_runnext(&self, task: Arc<Task>, unstarted: bool) -> Option<(Arc<Task>, bool)> {
        let v = Arc::into_raw(task) as usize | usize::from(unstarted);
        let mut old = self.runnext.load(Ordering::Acquire);
        if old & UNSTARTED == 0 {
            // Empty or started: no thief can touch it.
            self.runnext.store(v, Ordering::Release);
        } else {
            old = self.runnext.swap(v, Ordering::AcqRel);
        }
        if old == 0 {
            return None;
        }
        // SAFETY: as in `take_runnext`.
        Some((
            unsafe { Arc::from_raw((old & !UNSTARTED) as *const Task) },
            old & UNSTARTED != 0,
        ))
    }

    /// A thief takes an unstarted `runnext`, if there is one.
    fn steal_runnext(&self) -> Option<Arc<Task>> {
        let v = self.runnext.load(Ordering::Acquire);
        if v & UNSTARTED == 0 {
            return None;
        }
        self.runnext
            .compare_exchange(v, 0, Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        // SAFETY: as in `take_runnext`: the CAS gave us the reference.
        Some(unsafe { Arc::from_raw((v & !UNSTARTED) as *const Task) })
    }
}

impl WorkerShared {
    pub(crate) fn rt(&self) -> &'static RtShared {
        self.rt.get().expect("worker belongs to a runtime")
    }
}

impl RtShared {
    /// Builds the shared state and the per-worker deques (handed to the worker threads).
    pub(crate) fn new(config: Config) -> (&'static RtShared, Vec<Worker<Arc<Task>>>) {
        let n = config.workers;
        let deques: Vec<Worker<Arc<Task>>> = (0..n).map(|_| Worker::new_fifo()).collect();
        let stealers = deques.iter().map(Worker::stealer).collect();
        let workers = (0..n)
            .map(|index| WorkerShared {
                index,
                rt: OnceLock::new(),
                inbox: Injector::new(),
                sleeping: AtomicBool::new(false),
                thread: OnceLock::new(),
                runnext: AtomicUsize::new(0),
                ticks: AtomicUsize::new(0),
                deque_pops: AtomicUsize::new(0),
                steal_ok: AtomicBool::new(false),
                stuck: AtomicBool::new(false),
            })
            .collect();
        let can_spin = std::thread::available_parallelism().map_or(1, |n| n.get()) > 1;
        let rt: &'static RtShared = Box::leak(Box::new(RtShared {
            workers,
            stealers,
            injector: Injector::new(),
            idle: Mutex::new(Vec::with_capacity(n)),
            n_idle: AtomicUsize::new(0),
            n_searching: AtomicUsize::new(0),
            shutdown: CachePadded::new(AtomicBool::new(false)),
            config,
            can_spin,
        }));
        for w in rt.workers.iter() {
            let _ = w.rt.set(rt);
        }
        super::overflow::install();
        sysmon_watch(rt);
        (rt, deques)
    }

    /// Wakes one idle worker if stealable work appeared and nobody is searching for it.
    #[inline]
    pub(crate) fn wake_any(&self) {
        fence(Ordering::SeqCst);
        if self.n_searching.load(Ordering::SeqCst) != 0 || self.n_idle.load(Ordering::SeqCst) == 0 {
            return;
        }
        self.wake_any_slow();
    }

    #[cold]
    fn wake_any_slow(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let Some(i) = idle.pop() else { return };
        self.n_idle.fetch_sub(1, Ordering::SeqCst);
        let w = &self.workers[i];
        w.sleeping.store(false, Ordering::SeqCst);
        drop(idle);
        if let Some(t) = w.thread.get() {
            t.unpark();
        }
    }

    /// Wakes worker `w` if it sleeps (it has work in its inbox).
    #[inline]
    fn wake_worker(&self, w: &WorkerShared) {
        fence(Ordering::SeqCst);
        if !w.sleeping.load(Ordering::SeqCst) {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if w.sleeping.swap(false, Ordering::SeqCst)
            && let Some(pos) = idle.iter().position(|&i| i == w.index)
        {
            idle.swap_remove(pos);
            self.n_idle.fetch_sub(1, Ordering::SeqCst);
        }
        drop(idle);
        if let Some(t) = w.thread.get() {
            t.unpark();
        }
    }

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
            if let Some(t) = w.thread.get() {
                t.unpark();
            }
        }
    }

    /// After the workers exited: drops what is still queued in the shared queues, so that the
    /// join handles of goroutines that never ran report it instead of waiting forever. (A
    /// started goroutine's stack is leaked by `Task::drop`, never unwound on this thread.)
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

    /// True if any goroutine sits in a queue other threads can see.
    pub(crate) fn has_queued(&self) -> bool {
        !self.injector.is_empty()
            || self
                .workers
                .iter()
                .any(|w| !w.inbox.is_empty() || w.runnext.load(Ordering::SeqCst) != 0)
            || self.stealers.iter().any(|s| !s.is_empty())
    }

    /// Queues a new goroutine from outside this runtime's workers.
    ///
    /// Wakes a worker only if none is awake, or if goroutines pile up in the injector: a
    /// thread that starts a handful of goroutines gets them all on one worker (they usually
    /// talk to each other), one that starts thousands gets every worker.
    pub(crate) fn inject(&self, task: Arc<Task>) {
        if let Some(i) = placement::deal(task.spawn_site(), 0, self.workers.len()) {
            self.deal_to(i, task);
            return;
        }
        self.injector.push(task);
        fence(Ordering::SeqCst);
        let idle = self.n_idle.load(Ordering::SeqCst);
        if idle == self.workers.len() || self.injector.len() > INJECT_WAKE {
            self.wake_any();
        }
    }
}

impl RtShared {
    /// Starts a new goroutine on worker `i`, chosen by `placement`: in its inbox, which no
    /// thief reads, so the goroutine starts there.
    fn deal_to(&self, i: usize, task: Arc<Task>) {
        let w = &self.workers[i];
        w.inbox.push(task);
        self.wake_worker(w);
    }
}

/// The worker-thread-only part of a worker.
pub(crate) struct Local {
    shared: &'static WorkerShared,
    rt: &'static RtShared,
    deque: Worker<Arc<Task>>,
    runnext_streak: Cell<u32>,
    local: RefCell<VecDeque<Arc<Task>>>,
    /// Goroutines that called `yield_now`: they run after everything runnable now.
    later: RefCell<VecDeque<Arc<Task>>>,
    stacks: RefCell<stack::Cache>,
    tick: Cell<u32>,
    /// Per other worker: since when its queue of unstarted goroutines has looked non-empty.
    steal_seen: RefCell<Vec<Option<(Instant, usize)>>>,
    /// How long the next idle spin may last.
    spin: SpinBudget,
}

std::thread_local! {
    static LOCAL: Cell<*const Local> = const { Cell::new(std::ptr::null()) };
    static CURRENT: Cell<*const Task> = const { Cell::new(std::ptr::null()) };
}

/// The goroutine running on this thread, if any.
#[inline]
pub(crate) fn current_task() -> Option<Arc<Task>> {
    let p = CURRENT.try_with(Cell::get).unwrap_or(std::ptr::null());
    if p.is_null() {
        return None;
    }
    // SAFETY: `CURRENT` is set by the worker to `Arc::as_ptr` of the task it is resuming and
    // cleared when the task suspends; the worker holds that `Arc` meanwhile, so the pointer is
    // live and came from an `Arc`. We add a count for the `Arc` we hand out.
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
fn with_local<R>(f: impl FnOnce(Option<&Local>) -> R) -> R {
    let p = LOCAL.try_with(Cell::get).unwrap_or(std::ptr::null());
    // SAFETY: `LOCAL` points to the `Local` on the worker thread's own stack frame
    // (`worker_main`), set for exactly the lifetime of that frame; only this thread reads it.
    f(unsafe { p.as_ref() })
}

/// The runtime whose worker this thread is, if any.
pub(crate) fn current_rt() -> Option<&'static RtShared> {
    with_local(|l| l.map(|l| l.rt))
}

/// Queues a goroutine that was just unparked (see `Task::unpark`).
pub(crate) fn schedule_woken(task: Arc<Task>) {
    let home = task.home().expect("a parked goroutine has a home worker");
    let task = with_local(|l| match l {
        Some(l) if std::ptr::eq(l.shared, home) => {
            l.push_runnext(task, false);
            None
        }
        _ => Some(task),
    });
    if let Some(task) = task {
        home.inbox.push(task);
        home.rt().wake_worker(home);
    }
}

/// Unstarted goroutines a spawning goroutine may leave queued on its worker before it yields
/// to let them run. This keeps a spawn loop from piling up goroutines faster than they can
/// finish, keeps the work-stealing deque below its first resize, and keeps the control blocks
/// that are freed and reallocated in a batch within the allocator's per-thread cache.
const SPAWN_BACKLOG: usize = 16;
/// Goroutines a non-worker thread may leave in the injector before it waits a little.
const INJECT_BACKLOG: usize = 4096;

/// Slows a spawner down when goroutines pile up unstarted: a goroutine yields; a thread
/// waits (briefly) for the workers to catch up.
pub(crate) fn spawn_backpressure(rt: Option<&'static RtShared>) {
    // Goroutines `placement` dealt to this worker wait in its inbox.
    let backlog = with_local(|l| l.map(|l| l.deque.len() + l.shared.inbox.len()));
    match backlog {
        Some(n) => {
            if n > SPAWN_BACKLOG && in_goroutine() {
                super::yield_now();
            }
        }
        None => {
            let rt = rt.unwrap_or_else(super::runtime::global);
            let start = Instant::now();
            while rt.injector.len() > INJECT_BACKLOG && start.elapsed() < Duration::from_millis(20)
            {
                std::thread::sleep(Duration::from_micros(20));
            }
        }
    }
}

/// Queues a new goroutine: on the calling worker if it belongs to `rt` (or `rt` is `None`),
/// else on `rt`'s injector (the global runtime's when `rt` is `None` and we are no worker).
pub(crate) fn schedule_new(rt: Option<&'static RtShared>, task: Arc<Task>) {
    let task = with_local(|l| match l {
        Some(l) if rt.is_none_or(|rt| std::ptr::eq(rt, l.rt)) => {
            match placement::deal(task.spawn_site(), l.tick.get(), l.rt.workers.len()) {
                Some(i) => l.rt.deal_to(i, task),
                None => l.push_runnext(task, true),
            }
            None
        }
        _ => Some(task),
    });
    if let Some(task) = task {
        rt.unwrap_or_else(super::runtime::global).inject(task);
    }
}

impl Local {
    /// Makes `task` the next to run; the previous occupant of `runnext` goes back to a queue.
    #[inline]
    fn push_runnext(&self, task: Arc<Task>, unstarted: bool) {
        if let Some((old, old_unstarted)) = self.shared.put_runnext(task, unstarted) {
            self.requeue(old, old_unstarted);
        }
    }

    fn requeue(&self, task: Arc<Task>, unstarted: bool) {
        if unstarted {
            // No wake-up here: idle workers are woken for a backlog (by sysmon), not per spawn.
            self.deque.push(task);
        } else {
            self.local.borrow_mut().push_back(task);
        }
    }

    fn next_task(&self) -> Option<Arc<Task>> {
        let tick = self.tick.get().wrapping_add(1);
        self.tick.set(tick);
        self.shared.ticks.store(tick as usize, Ordering::Relaxed);
        if tick.is_multiple_of(GLOBAL_CHECK) {
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
        if let Some(t) = self.local.borrow_mut().pop_front() {
            return Some(t);
        }
        if !self.shared.inbox.is_empty()
            && let Some(t) = steal_one(|| self.shared.inbox.steal())
        {
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

    #[inline]
    fn pop_deque(&self) -> Option<Arc<Task>> {
        let t = self.deque.pop()?;
        let pops = &self.shared.deque_pops;
        pops.store(
            pops.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
        Some(t)
    }

    /// Looks for work elsewhere: the inbox, the injector, other workers' unstarted goroutines.
    fn find_elsewhere(&self) -> Option<Arc<Task>> {
        if let Some(t) = steal_one(|| self.shared.inbox.steal()) {
            return Some(t);
        }
        if let Some(t) = steal_one(|| self.rt.injector.steal_batch_and_pop(&self.deque)) {
            return Some(t);
        }
        let n = self.rt.stealers.len();
        if n > 1 {
            let start = crate::rng::below(n as u32) as usize;
            let mut seen = self.steal_seen.borrow_mut();
            for k in 0..n {
                let v = (start + k) % n;
                if v == self.shared.index {
                    continue;
                }
                let victim = &self.rt.workers[v];
                if victim.stuck.load(Ordering::Relaxed)
                    && let Some(t) = victim.steal_runnext()
                {
                    victim.stuck.store(false, Ordering::Relaxed);
                    return Some(t);
                }
                if self.rt.stealers[v].is_empty() {
                    seen[v] = None;
                    continue;
                }
                // Steal only what has waited there past the grace period, as sysmon saw it or
                // as we saw it while spinning (and only if the worker was not getting through
                // it, unless the backlog is long).
                if !victim.steal_ok.swap(false, Ordering::Relaxed) {
                    let now = Instant::now();
                    let pops = victim.deque_pops.load(Ordering::Relaxed);
                    match seen[v] {
                        None => {
                            seen[v] = Some((now, pops));
                            continue;
                        }
                        Some((since, _)) if now.duration_since(since) < STEAL_GRACE => continue,
                        Some((_, then))
                            if then != pops && self.rt.stealers[v].len() <= LONG_BACKLOG =>
                        {
                            seen[v] = Some((now, pops));
                            continue;
                        }
                        Some(_) => {}
                    }
                }
                seen[v] = None;
                if let Some(t) = steal_one(|| self.rt.stealers[v].steal_batch_and_pop(&self.deque))
                {
                    return Some(t);
                }
            }
        }
        None
    }

    fn has_visible_work(&self) -> bool {
        !self.shared.inbox.is_empty()
            || !self.rt.injector.is_empty()
            || self.rt.stealers.iter().any(|s| !s.is_empty())
    }

    /// Spins for a short while looking for work: on a multi-core machine, while fewer than
    /// half of the busy workers spin (Go's rule), for at most the adaptive budget.
    fn search(&self) -> Option<Arc<Task>> {
        let busy = (self.rt.workers.len()).saturating_sub(self.rt.n_idle.load(Ordering::Relaxed));
        if !self.rt.can_spin || 2 * self.rt.n_searching.load(Ordering::Relaxed) >= busy {
            return self.find_elsewhere();
        }
        self.rt.n_searching.fetch_add(1, Ordering::SeqCst);
        let found = self
            .spin
            .spin(64, || {
                if self.rt.shutdown.load(Ordering::Relaxed) {
                    return Some(None);
                }
                self.find_elsewhere().map(Some)
            })
            .flatten();
        self.rt.n_searching.fetch_sub(1, Ordering::SeqCst);
        if found.is_some() && !self.deque.is_empty() {
            // We stole a batch: let another idle worker help with the rest.
            self.rt.wake_any();
        }
        found
    }

    fn sleep(&self) {
        {
            let mut idle = self.rt.idle.lock().unwrap_or_else(|p| p.into_inner());
            idle.push(self.shared.index);
            self.shared.sleeping.store(true, Ordering::SeqCst);
            self.rt.n_idle.fetch_add(1, Ordering::SeqCst);
        }
        fence(Ordering::SeqCst);
        if self.has_visible_work() || self.rt.shutdown.load(Ordering::SeqCst) {
            let mut idle = self.rt.idle.lock().unwrap_or_else(|p| p.into_inner());
            if self.shared.sleeping.swap(false, Ordering::SeqCst)
                && let Some(pos) = idle.iter().position(|&i| i == self.shared.index)
            {
                idle.swap_remove(pos);
                self.rt.n_idle.fetch_sub(1, Ordering::SeqCst);
            }
            return;
        }
        deadlock::worker_sleeping(true);
        let slept = Instant::now();
        while self.shared.sleeping.load(Ordering::SeqCst)
            && !self.rt.shutdown.load(Ordering::SeqCst)
        {
            std::thread::park();
        }
        self.spin.slept(slept.elapsed());
        deadlock::worker_sleeping(false);
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
            *body = Body::Running(ManuallyDrop::new(co));
        }
        let Body::Running(co) = body else {
            unreachable!("a queued goroutine that already finished")
        };
        CURRENT.with(|c| c.set(Arc::as_ptr(&task)));
        // Learn how long goroutines from this site run between parks (`placement`).
        let timed = placement::sample(task.spawn_site(), self.tick.get()).then(Instant::now);
        super::overflow::enter(
            task.stack_limit.get(),
            task.id(),
            self.rt.config.stacks.size(),
        );
        loop {
            match co.resume(()) {
                CoroutineResult::Yield(Suspend::Park) => {
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
                    registry::remove(&task);
                    self.rt.config.stacks.finished();
                    break;
                }
            }
        }
        super::overflow::leave();
        if let Some(t0) = timed {
            placement::ran(
                task.spawn_site(),
                t0.elapsed(),
                fresh,
                matches!(body, Body::Done),
            );
        }
        CURRENT.with(|c| c.set(std::ptr::null()));
    }
}

/// Forgets a goroutine that will never run (its runtime shut down): drops its closure (which
/// closes its join channel) and its registry entry. A closure whose captures panic when
/// dropped is handled like a goroutine's panic (the runtime's panic policy), never unwound
/// into the caller: a worker, or the thread dropping the runtime, with more to clean up.
fn discard_unstarted(rt: &RtShared, task: Arc<Task>) {
    // SAFETY: the task was taken from a queue, so this thread owns its body: on a worker, from
    // its own queues; from `drain_after_shutdown`, after every worker has been joined, so
    // nobody else touches it. Only an unstarted body (checked below) is touched: the closure,
    // which is `Send` and may be dropped here.
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

fn steal_one(mut f: impl FnMut() -> Steal<Arc<Task>>) -> Option<Arc<Task>> {
    loop {
        match f() {
            Steal::Success(t) => return Some(t),
            Steal::Empty => return None,
            Steal::Retry => std::hint::spin_loop(),
        }
    }
}

/// The body of a worker thread.
///
/// A worker never dies quietly: a goroutine's panic is handled inside the goroutine
/// (`run_goroutine_body`), and anything else that unwinds out of the loop (a bug in gocsp) is a
/// fatal error that ends the process, as in Go. A dead worker would strand its goroutines and
/// leave whoever waits for them hanging, with no report.
pub(crate) fn worker_main(rt: &'static RtShared, index: usize, deque: Worker<Arc<Task>>) {
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        worker_loop(rt, index, deque)
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
        std::process::exit(2);
    }
}

/// Clears `LOCAL` when the worker's frame ends, even by unwinding.
struct LocalGuard;

impl Drop for LocalGuard {
    fn drop(&mut self) {
        let _ = LOCAL.try_with(|l| l.set(std::ptr::null()));
    }
}

fn worker_loop(rt: &'static RtShared, index: usize, deque: Worker<Arc<Task>>) {
    let shared = &rt.workers[index];
    let _ = shared.thread.set(std::thread::current());
    let local = Local {
        shared,
        rt,
        deque,
        runnext_streak: Cell::new(0),
        local: RefCell::new(VecDeque::new()),
        later: RefCell::new(VecDeque::new()),
        stacks: RefCell::new(stack::Cache::new(&rt.config.stacks)),
        tick: Cell::new(0),
        steal_seen: RefCell::new(vec![None; rt.workers.len()]),
        spin: SpinBudget::new(SPIN_TIME),
    };
    LOCAL.with(|l| l.set(&local));
    let _clear = LocalGuard;
    while !rt.shutdown.load(Ordering::Relaxed) {
        if let Some(t) = local.next_task() {
            local.run_task(t);
            continue;
        }
        if let Some(t) = local.search() {
            local.run_task(t);
            continue;
        }
        local.sleep();
    }
    local.shut_down();
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
                t.kill();
            }
            if registry::settle(self.shared) {
                return;
            }
            // Some goroutine of ours was woken and is on its way to our inbox.
            std::thread::yield_now();
        }
    }
}

/// Runtimes sysmon watches (all of them; they are never freed).
static WATCHED: Mutex<Vec<&'static RtShared>> = Mutex::new(Vec::new());

/// Adds `rt` to sysmon's watch list, starting sysmon on first use.
fn sysmon_watch(rt: &'static RtShared) {
    let mut w = WATCHED.lock().unwrap_or_else(|p| p.into_inner());
    let first = w.is_empty();
    w.push(rt);
    drop(w);
    if first {
        let _ = std::thread::Builder::new()
            .name("gocsp-sysmon".into())
            .spawn(sysmon);
    }
}

/// The system monitor: wakes an idle worker for goroutines that have waited unstarted past
/// the grace period (in a `deque`, or in the `runnext` of a worker that is busy with one
/// goroutine all that time). It never touches a started goroutine.
fn sysmon() {
    let _own = deadlock::OwnThread::enter();
    // Per watched worker: (queue non-empty, ticks, deque pops) at the last look.
    let mut last: Vec<Vec<(bool, usize, usize)>> = Vec::new();
    // Per watched runtime: was its injector non-empty at the last look.
    let mut last_injected: Vec<bool> = Vec::new();
    let mut pause = SYSMON_ACTIVE;
    let mut scavenged = Instant::now();
    loop {
        std::thread::sleep(pause);
        if scavenged.elapsed() >= stack::SCAVENGE_EVERY {
            stack::scavenge();
            scavenged = Instant::now();
        }
        let rts: Vec<&'static RtShared> = WATCHED.lock().unwrap_or_else(|p| p.into_inner()).clone();
        last.resize_with(rts.len(), Vec::new);
        let mut waiting = false;
        last_injected.resize(rts.len(), false);
        for ((rt, last), injected) in rts
            .iter()
            .zip(last.iter_mut())
            .zip(last_injected.iter_mut())
        {
            if rt.shutdown.load(Ordering::Relaxed) {
                continue;
            }
            last.resize(rt.workers.len(), (false, 0, 0));
            // Goroutines spawned from outside wait in the injector until a worker looks; a
            // busy worker only looks when its goroutine parks.
            let queued = !rt.injector.is_empty();
            let mut wake = queued && *injected;
            *injected = queued;
            waiting |= queued;
            for (i, w) in rt.workers.iter().enumerate() {
                let queued = !rt.stealers[i].is_empty();
                let ticks = w.ticks.load(Ordering::Relaxed);
                let next_unstarted = w.runnext.load(Ordering::Relaxed) & UNSTARTED != 0;
                let pops = w.deque_pops.load(Ordering::Relaxed);
                let (was_queued, last_ticks, last_pops) = last[i];
                // A backlog that outlived a look, and that its worker is not getting through
                // (or that is long): spread it.
                let stalled = pops == last_pops || rt.stealers[i].len() > LONG_BACKLOG;
                if queued && was_queued && stalled {
                    w.steal_ok.store(true, Ordering::Relaxed);
                    wake = true;
                }
                if next_unstarted && ticks == last_ticks && !w.sleeping.load(Ordering::Relaxed) {
                    w.stuck.store(true, Ordering::Relaxed);
                    wake = true;
                } else {
                    w.stuck.store(false, Ordering::Relaxed);
                }
                waiting |= queued || next_unstarted;
                last[i] = (queued, ticks, pops);
            }
            if wake {
                rt.wake_any();
            }
        }
        pause = if waiting {
            SYSMON_ACTIVE
        } else {
            (pause * 2).min(SYSMON_IDLE)
        };
    }
}
