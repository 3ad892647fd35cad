//! The queues of a runtime and of each worker, and which queue a goroutine goes to.
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
//! plus the runtime's `injector` for goroutines spawned from outside any worker. A worker
//! looks in that order, except that the `inbox` goes before `local`, and the `deque` before a
//! woken goroutine in `runnext` while goroutines spawned here wait in it (see `next_task`).
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

use std::cell::Cell;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_deque::{Injector, Steal, Stealer, Worker};
use crossbeam_utils::CachePadded;

use super::task::Task;
use super::timers::TimerHeap;
use super::worker::{Local, in_goroutine, with_local};
use super::{Config, placement, sysmon};

/// Goroutines in the injector past which a spawn from outside wakes another worker.
const INJECT_WAKE: usize = 8;
/// Tag bit in `runnext`: the goroutine there has not started (so it may be stolen).
pub(super) const UNSTARTED: usize = 1;

/// State of a runtime shared by its workers. Leaked (`&'static`) when built.
pub(crate) struct RtShared {
    pub(crate) workers: Box<[WorkerShared]>,
    pub(super) stealers: Box<[Stealer<Arc<Task>>]>,
    /// The thieves' ends of the workers' `nested` queues (see `OwnQueues::nested`).
    pub(super) nested_stealers: Box<[Stealer<Arc<Task>>]>,
    pub(crate) injector: Injector<Arc<Task>>,
    pub(super) idle: Mutex<Vec<usize>>,
    pub(super) n_idle: AtomicUsize,
    pub(super) n_searching: AtomicUsize,
    /// Set when the runtime is dropped. Read at every park: on a line of its own, away from
    /// the counters idle workers write.
    pub(crate) shutdown: CachePadded<AtomicBool>,
    pub(crate) config: Config,
    pub(super) can_spin: bool,
    /// Workers that have finished shutting down (`Runtime`'s drop waits for them all).
    pub(super) settled: Mutex<usize>,
    pub(super) settled_cv: Condvar,
}

/// The part of a worker other threads may touch.
pub(crate) struct WorkerShared {
    pub(super) index: usize,
    rt: OnceLock<&'static RtShared>,
    pub(super) inbox: Injector<Arc<Task>>,
    pub(super) sleeping: AtomicBool,
    /// When a waker took this worker off the idle list (a `spin::stamp`): its spin budget
    /// learns from how soon work came after it went to sleep (`SpinBudget::slept`).
    pub(super) woken_at: AtomicU64,
    pub(super) thread: OnceLock<std::thread::Thread>,
    /// `Arc::into_raw` of the next goroutine, tagged with `UNSTARTED`, or 0. The owner swaps
    /// it; a thief may only CAS out an `UNSTARTED` one, so exactly one side gets the task.
    pub(super) runnext: AtomicUsize,
    /// Goroutines this worker has scheduled (for sysmon's "stuck" check).
    pub(super) ticks: AtomicUsize,
    /// Goroutines this worker has taken from its own `deque` (is it getting through it?).
    pub(super) deque_pops: AtomicUsize,
    /// Set by sysmon: the deque has held goroutines for the grace period, steal now.
    pub(super) steal_ok: AtomicBool,
    /// Set by sysmon: the worker has run one goroutine for the grace period; an unstarted
    /// `runnext` may be taken.
    pub(super) stuck: AtomicBool,
    /// A goroutine of this worker died with its runtime while blocked or yielded: its frames
    /// are leaked, not unwound, and may borrow this thread's thread-locals (lent to a
    /// `blocking` helper or a scoped thread), so the thread must never exit (`worker_main`).
    pub(crate) frames_leaked: AtomicBool,
    /// Timers set on this worker (`timers.rs`): served between its goroutines and bounding
    /// its sleeps, so that a sleeping goroutine's wake-up is a local queue push.
    pub(crate) timers: TimerHeap,
}

impl WorkerShared {
    /// Wakes the worker's thread after its `sleeping` flag was cleared: from its futex, or
    /// from its wait for I/O if it is the netpoller's owner (`io_hook`).
    pub(super) fn unpark_thread(&self) {
        // The owner readying one of its own goroutines while it dispatches is awake already.
        if with_local(|l| l.is_some_and(|l| std::ptr::eq(l.shared, self))) {
            return;
        }
        if let Some(t) = self.thread.get() {
            t.unpark();
        }
        super::io_hook::interrupt_if_owner(self as *const WorkerShared as usize);
    }

    /// Takes the owner's `runnext` (the owner only, or `drain_after_shutdown` once every owner
    /// has counted itself finished under the `settled` mutex). Thieves only ever take an
    /// `UNSTARTED` value (and never write a non-zero one), so the owner needs an atomic
    /// read-modify-write only when racing one is possible.
    #[inline]
    pub(super) fn take_runnext(&self) -> Option<(Arc<Task>, bool)> {
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
    // `inline`: called from `steal.rs`; inlined there as it was when both lived in one file.
    #[inline]
    pub(super) fn steal_runnext(&self) -> Option<Arc<Task>> {
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

/// The owner's ends of one worker's queues of unstarted goroutines, handed to its thread.
pub(crate) struct OwnQueues {
    /// Goroutines spawned on this worker, first in first out (Go's run queue); thieves take
    /// the oldest, once they have waited (`steal.rs`).
    pub(super) deque: Worker<Arc<Task>>,
    /// Goroutines spawned by a goroutine of their own spawn site (a recursion: a parallel
    /// quicksort, a tree walk), newest first: the worker goes depth first through the tree,
    /// as one thread would, while idle workers take the oldest, the largest subtrees, at once.
    /// A tree of 65,535 goroutines with leaves of 2 us on 2 workers: dealt out as other
    /// spawns are, 35,000 of them started on another worker than their parent's, and it took
    /// 1.6-1.75x Go's time; kept here and in `deque` (first in first out: breadth first, so
    /// thieves found only small subtrees left), 2,000 did, at 1.3x; this way 41-66 do, at
    /// 0.9x Go's time (and 0.87x on one worker, where breadth first had hundreds of the
    /// tree's goroutines under way at once).
    pub(super) nested: Worker<Arc<Task>>,
}

impl RtShared {
    /// Builds the shared state and the per-worker queues (handed to the worker threads).
    /// Fails if the sysmon thread cannot be started (see `sysmon::watch`).
    pub(crate) fn new(config: Config) -> io::Result<(&'static RtShared, Vec<OwnQueues>)> {
        let n = config.workers;
        let queues: Vec<OwnQueues> = (0..n)
            .map(|_| OwnQueues {
                deque: Worker::new_fifo(),
                nested: Worker::new_lifo(),
            })
            .collect();
        let stealers = queues.iter().map(|q| q.deque.stealer()).collect();
        let nested_stealers = queues.iter().map(|q| q.nested.stealer()).collect();
        let workers = (0..n)
            .map(|index| WorkerShared {
                index,
                rt: OnceLock::new(),
                inbox: Injector::new(),
                sleeping: AtomicBool::new(false),
                woken_at: AtomicU64::new(0),
                thread: OnceLock::new(),
                runnext: AtomicUsize::new(0),
                ticks: AtomicUsize::new(0),
                deque_pops: AtomicUsize::new(0),
                steal_ok: AtomicBool::new(false),
                stuck: AtomicBool::new(false),
                frames_leaked: AtomicBool::new(false),
                timers: TimerHeap::new(),
            })
            .collect();
        let can_spin = std::thread::available_parallelism().map_or(1, |n| n.get()) > 1;
        let rt: &'static RtShared = Box::leak(Box::new(RtShared {
            workers,
            stealers,
            nested_stealers,
            injector: Injector::new(),
            idle: Mutex::new(Vec::with_capacity(n)),
            n_idle: AtomicUsize::new(0),
            n_searching: AtomicUsize::new(0),
            shutdown: CachePadded::new(AtomicBool::new(false)),
            config,
            can_spin,
            settled: Mutex::new(0),
            settled_cv: Condvar::new(),
        }));
        for w in rt.workers.iter() {
            let _ = w.rt.set(rt);
        }
        super::overflow::install();
        sysmon::watch(rt)?;
        Ok((rt, queues))
    }

    /// True if any goroutine sits in a queue other threads can see.
    pub(crate) fn has_queued(&self) -> bool {
        !self.injector.is_empty()
            || self
                .workers
                .iter()
                .any(|w| !w.inbox.is_empty() || w.runnext.load(Ordering::SeqCst) != 0)
            || self.stealers.iter().any(|s| !s.is_empty())
            || self.nested_stealers.iter().any(|s| !s.is_empty())
    }

    /// Queues a new goroutine from outside this runtime's workers.
    ///
    /// Wakes a worker only if none is awake, or if goroutines pile up in the injector: a
    /// thread that starts a handful of goroutines gets them all on one worker (they usually
    /// talk to each other), one that starts thousands gets every worker.
    pub(crate) fn inject(&self, task: Arc<Task>) {
        if let Some(i) = placement::deal(task.spawn_site(), 0, None, self.workers.len(), false) {
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

    /// Starts a new goroutine on worker `i`, chosen by `placement`: in its inbox, which no
    /// thief reads, so the goroutine starts there.
    fn deal_to(&self, i: usize, task: Arc<Task>) {
        let w = &self.workers[i];
        w.inbox.push(task);
        self.wake_worker(w);
    }
}

/// Queues a goroutine that was just unparked (see `Task::unpark`).
pub(crate) fn schedule_woken(task: Arc<Task>) {
    let home = task.home().expect("a parked goroutine has a home worker");
    let task = with_local(|l| match l {
        Some(l) if !super::io_hook::dispatching() => {
            // Woken on a worker: if it was dealt away from its spawner's worker, tell
            // `placement` (one wake in `WAKE_SAMPLE`) whether its spawner woke it.
            let wakes = l.wakes.get().wrapping_add(1);
            l.wakes.set(wakes);
            if placement::wake_sampled(wakes) {
                learn_waker(&task, l, home);
            }
            if std::ptr::eq(l.shared, home) {
                l.push_runnext(task, false);
                None
            } else {
                Some(task)
            }
        }
        _ => Some(task),
    });
    if let Some(task) = task {
        home.inbox.push(task);
        // (A worker that queues its own goroutine this way wakes itself only if it is the
        // sleeping owner of the I/O wait: it then leaves its sleep.)
        home.rt().wake_worker(home);
    }
}

/// The sampled side of `schedule_woken`: out of line, so the wake path stays as short as it
/// was for the other wakes.
#[cold]
#[inline(never)]
fn learn_waker(task: &Task, l: &Local, home: &WorkerShared) {
    let spawner = task.dealt_by();
    // A timer this worker fired woke it (`timers.rs`): no goroutine did.
    if spawner != 0
        && std::ptr::eq(l.rt, home.rt())
        && !placement::in_close()
        && !l.firing_timers.get()
    {
        let waker = super::goroutine_id().unwrap_or(0);
        placement::woken(task.spawn_site(), waker == spawner);
    }
}

/// Unstarted goroutines a spawning goroutine may leave queued on its worker before it yields
/// to let them run. This keeps a spawn loop from piling up goroutines faster than they can
/// finish, keeps the work-stealing deque below its first resize, and keeps the control blocks
/// that are freed and reallocated in a batch within the allocator's per-thread cache.
const SPAWN_BACKLOG: usize = 16;
/// Goroutines a non-worker thread may leave in the injector before it waits a little.
const INJECT_BACKLOG: usize = 4096;

std::thread_local! {
    /// This thread is one of the runtime's own that must never wait for the workers (the
    /// timer thread and sysmon, which fire timers: every sleep, timer and deadline waits
    /// behind them).
    static NEVER_HELD_BACK: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread as one whose spawns are never held back by a backlog
/// (`spawn_backpressure`).
pub(crate) fn never_hold_back_this_thread() {
    NEVER_HELD_BACK.with(|n| n.set(true));
}

/// Slows a spawner down when goroutines pile up unstarted: a goroutine yields; a thread
/// waits (briefly) for the workers to catch up, unless it fires timers (`NEVER_HELD_BACK`).
#[inline]
pub(crate) fn spawn_backpressure(rt: Option<&'static RtShared>) {
    // Goroutines `placement` dealt to this worker wait in its inbox.
    // Not counting `nested`: a recursion queues a subtree per level it descends, which its
    // own order bounds; held back, each spawner yielded mid-descent to the next subtree, and
    // one worker had 300 goroutines of a tree of 4,096 under way at once instead of 24.
    let backlog = with_local(|l| {
        l.map(|l| {
            // The inbox is usually empty, and its emptiness is two loads where its length
            // is a loop with arithmetic (a third of this function's time in a spawn burst).
            let inbox = &l.shared.inbox;
            l.deque.len() + if inbox.is_empty() { 0 } else { inbox.len() }
        })
    });
    match backlog {
        Some(n) => {
            if n > SPAWN_BACKLOG {
                spawner_yields();
            }
        }
        None => thread_waits(rt),
    }
}

/// A goroutine's side of `spawn_backpressure`: it yields to the backlog it made.
#[cold]
#[inline(never)]
fn spawner_yields() {
    if in_goroutine() {
        placement::burst_yields();
        super::yield_now();
    }
}

/// A thread's side of `spawn_backpressure`: it waits, briefly, for the workers to catch up.
#[inline(never)]
fn thread_waits(rt: Option<&'static RtShared>) {
    if NEVER_HELD_BACK.try_with(Cell::get).unwrap_or(false) {
        return;
    }
    let rt = rt.unwrap_or_else(super::runtime::global);
    let start = Instant::now();
    while rt.injector.len() > INJECT_BACKLOG && start.elapsed() < Duration::from_millis(20) {
        std::thread::sleep(Duration::from_micros(20));
    }
}

/// Queues a new goroutine: on the calling worker if it belongs to `rt` (or `rt` is `None`),
/// else on `rt`'s injector (the global runtime's when `rt` is `None` and we are no worker).
pub(crate) fn schedule_new(rt: Option<&'static RtShared>, task: Arc<Task>) {
    let task = with_local(|l| match l {
        Some(l) if rt.is_none_or(|rt| std::ptr::eq(rt, l.rt)) => {
            // A goroutine started by one of its own spawn site's: a recursion's subtree.
            let nested = super::worker::with_current_task(|t| {
                t.is_some_and(|t| std::ptr::eq(t.spawn_site(), task.spawn_site()))
            });
            match placement::deal(
                task.spawn_site(),
                l.tick.get(),
                Some(l.shared.index),
                l.rt.workers.len(),
                nested,
            ) {
                Some(i) => {
                    if i != l.shared.index {
                        task.set_dealt_by(super::goroutine_id().unwrap_or(0));
                    }
                    l.rt.deal_to(i, task)
                }
                // The newest subtree runs next here, as a recursion on one thread would; the
                // one it displaces (a larger one) waits in `nested` (`requeue`), where idle
                // workers take it at once. (Thieves that could take the newest too took the
                // smallest subtrees, one at a time.)
                None => {
                    if nested {
                        task.nested.store(true, Ordering::Relaxed);
                    }
                    l.push_runnext(task, true)
                }
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

    // `inline`: shared with `next_task` in `worker.rs`, it would otherwise stay a call on the
    // spawn and wake paths here, where it was inlined when both lived in one file.
    #[inline]
    pub(super) fn requeue(&self, task: Arc<Task>, unstarted: bool) {
        if unstarted && task.nested.load(Ordering::Relaxed) {
            // A recursion's subtree: idle workers may take it at once (`find_elsewhere`).
            self.nested.push(task);
            if self.rt.workers.len() > 1 {
                self.rt.wake_any();
            }
        } else if unstarted {
            // No wake-up here: idle workers are woken for a backlog (by sysmon), not per spawn.
            self.deque.push(task);
            self.spawned_waiting.set(true);
        } else {
            self.local.borrow_mut().push_back(task);
        }
    }

    #[inline]
    pub(super) fn pop_deque(&self) -> Option<Arc<Task>> {
        let t = self.deque.pop()?;
        let pops = &self.shared.deque_pops;
        pops.store(
            pops.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
        Some(t)
    }
}

/// Takes one goroutine with `f` (a crossbeam steal), retrying while it loses a race.
// `inline`: called from the worker loop in `worker.rs`, which inlined it when both lived in
// one file; without the hint the split would turn it into a call on that path.
#[inline]
pub(super) fn steal_one(mut f: impl FnMut() -> Steal<Arc<Task>>) -> Option<Arc<Task>> {
    loop {
        match f() {
            Steal::Success(t) => return Some(t),
            Steal::Empty => return None,
            Steal::Retry => std::hint::spin_loop(),
        }
    }
}
