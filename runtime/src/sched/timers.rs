//! Timer heaps: one min-heap of deadlines per worker, served by the worker itself, and one
//! global heap, served by the `gocsp-timer` thread, for timers set outside any worker (Go keeps
//! a heap per P and runs its timers on the P, for the same reason).
//!
//! A timer set on a worker (by a goroutine that sleeps, a `time::after`, a context deadline)
//! goes into that worker's heap. The worker looks at the heap's earliest deadline (`next`, one
//! atomic load) between goroutines and reads the clock only every few goroutines when they
//! are short (`Local::timers_if_due`); out of work, it fires what is due and sleeps until the
//! next deadline at most. The goroutine that a sleep wakes has its home on that worker, so
//! the wake-up is a local queue push: no other thread and no system call. Sysmon fires the due
//! timers of a worker that has not got to them for a while (one goroutine running long), so a
//! timer whose action reaches other workers (a context deadline, a channel timer) is never
//! held up by its worker for long. When a runtime shuts down, its workers hand their pending
//! timers to the global heap.
//!
//! Each scheduled timer is a [`Node`] whose `state` moves from `ARMED` to `FIRED` (a heap's
//! server won) or to `CANCELLED` (the owner stopped it first); the CAS decides which side
//! acts. A repeating node (a ticker's, a timer's pushed back while pending) may be re-armed in
//! place by the thread that fired it, and only by it: `FIRED` back to `ARMED`, and into its
//! heap again, with no new allocation (Go re-arms a ticker in place too). Cancelled nodes stay
//! in the heap until they reach the top or until more than half the heap is cancelled, when
//! it is rebuilt; so stopping a timer is O(1) and the heap stays proportional to the live
//! timers. (A stopped channel `Timer` keeps its node armed for a reset to reuse, one per live
//! `Timer`; once the `Timer` is dropped, the sweep of timers nobody can observe takes it out.)

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use crossbeam_utils::CachePadded;

use super::deadlock;

const ARMED: u8 = 0;
const FIRED: u8 = 1;
const CANCELLED: u8 = 2;

/// `TimerHeap::next` of an empty heap.
pub(crate) const NONE: u64 = u64::MAX;

/// What a timer does when it fires: runs on whichever thread serves its heap (a worker between
/// goroutines, sysmon, the timer thread), so it must not block.
pub(crate) type Action = Box<dyn FnOnce(Instant) + Send + 'static>;

/// The action of a timer that may come due again (a ticker, a timer pushed back while
/// pending): run as an [`Action`] is, given its own entry, it returns the deadline at which it
/// is due again, if it is. The entry then goes back into a heap as it is, still armed and
/// counted, with no new allocation (Go re-arms a ticker in place too): a new entry, its
/// action's box and their bookkeeping were about a tenth of 5,000 tickers' time. It may
/// return a deadline only where [`Node::rearms_here`], and only once it has armed the entry
/// again ([`Node::rearm_in_place`]).
pub(crate) type Repeating = Box<dyn FnMut(&Arc<Node>, Instant) -> Option<Instant> + Send + 'static>;

/// A node's action, of either kind.
enum Work {
    Once(Action),
    Again(Repeating),
}

/// Tells whether what a timer would deliver to still exists (its channel).
pub(crate) type Probe = std::sync::Weak<dyn std::any::Any + Send + Sync>;

/// The heap for timers set outside any worker, and for those a shut-down runtime's workers
/// left.
pub(crate) static GLOBAL: TimerHeap = TimerHeap::new();

/// Schedules `action` to run at `when`: on this worker if the caller is one, else on the
/// timer thread (which the caller has started).
pub(crate) fn schedule(when: Instant, action: Action) -> Arc<Node> {
    serving_heap().push(when, Work::Once(action), None)
}

/// [`schedule`] of an action that may come due again ([`Repeating`]). The timer is dropped
/// early once `probe` is dead (nobody can observe it fire: its channel is gone).
pub(crate) fn schedule_repeating(
    when: Instant,
    action: Repeating,
    probe: Option<Probe>,
) -> Arc<Node> {
    serving_heap().push(when, Work::Again(action), probe)
}

/// The heap a timer set by the calling thread goes in: its worker's, else the global one.
fn serving_heap() -> &'static TimerHeap {
    super::worker::own_timers().unwrap_or(&GLOBAL)
}

/// One scheduled timer.
pub(crate) struct Node {
    state: AtomicU8,
    action: Mutex<Option<Work>>,
    /// When set and dead, the timer is useless and may be dropped before its deadline.
    probe: Option<Probe>,
    /// Counted among the pending timers the deadlock check waits for (`pending_timers`):
    /// from `schedule` until it fires or is cancelled, except while its owner has it
    /// `uncount`ed (a stopped `Timer` whose entry waits in the heap to be reused).
    counted: AtomicBool,
    /// The heap it was set in, whose counts its changes go to (the deadlock check's `Counts`,
    /// the count of cancelled entries). An entry that a stopping worker hands to the global
    /// heap (`adopt`) keeps counting in the heap it was set in; the global heap's cancelled
    /// count, which only decides when to rebuild the heap, then misses a stopped runtime's
    /// leftovers.
    heap: &'static TimerHeap,
}

impl Node {
    /// Takes the timer off the pending count, if it is on it: it fired or was cancelled.
    fn leave_count(&self) {
        if self.counted.swap(false, Ordering::AcqRel) {
            let counts = &self.heap.counts;
            counts.pending.fetch_sub(1, Ordering::SeqCst);
            counts.left.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The owner stopped the timer but leaves its entry in the heap, to be reused by a
    /// `reset` (`recount`) or to do nothing when it comes due: it no longer holds off the
    /// deadlock check.
    ///
    /// Called by a `Timer`'s owner under its timer's lock, when it found the entry armed.
    /// So `counted` needs no read-modify-write here (a stop + reset made two, of six): its
    /// only other writer, `leave_count`, runs after the entry fired or was cancelled, and
    /// then after the owner's critical section. A firing runs the timer's action, which takes
    /// that lock, before it leaves the count; a cancel of the entry is the owner's own
    /// (`retire`, under the lock), or the heap's sweep of entries whose channel is gone,
    /// which no owner holds any more, and which acquires the channel's last release (the
    /// owner's last `Timer` held it) before it cancels.
    pub(crate) fn uncount(&self) {
        if self.counted.load(Ordering::Relaxed) {
            self.counted.store(false, Ordering::Relaxed);
            self.heap.counts.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// The owner reuses an `uncount`ed entry that is still armed: pending again. Called as
    /// [`uncount`](Node::uncount) is.
    pub(crate) fn recount(&self) {
        if !self.counted.load(Ordering::Relaxed) {
            self.counted.store(true, Ordering::Relaxed);
            self.heap.counts.pending.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Cancels the timer. Returns `true` if it had not fired yet.
    pub(crate) fn cancel(&self) -> bool {
        // Counted before the CAS that makes the entry removable: whoever removes it then
        // finds it counted (a count taken after could land once the entry is gone, and stay
        // for good, making every later schedule rebuild the heap).
        let heap = self.heap;
        heap.cancelled.fetch_add(1, Ordering::AcqRel);
        let won = self
            .state
            .compare_exchange(ARMED, CANCELLED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if won {
            // Drop the action now: it may hold references the owner wants released.
            drop(self.action.lock().unwrap_or_else(|p| p.into_inner()).take());
            self.leave_count();
        } else {
            heap.cancelled.fetch_sub(1, Ordering::AcqRel);
        }
        won
    }

    /// Whether the entry, firing now, can go back into a heap as it is: only where it was set
    /// (the thread firing it serves that heap). Moved to another heap (fired by sysmon or the
    /// timer thread, whose timers go in the global heap), its counts would go to the heap it
    /// left, and that heap's count of cancelled entries would grow for good (and rebuild the
    /// heap at every insert: 5,000 tickers ran 6 times slower). A new entry is set instead.
    pub(crate) fn rearms_here(&self) -> bool {
        std::ptr::eq(serving_heap(), self.heap)
    }

    /// Arms an entry that is firing now (`FIRED`) again: its repeating action calls this
    /// before it returns the deadline at which it is due again, under the lock its owner's
    /// stop and reset take. From then on a stop or reset finds the entry armed and cancels it;
    /// while it was still `FIRED`, their cancel failed and left it to go back in, pending until
    /// its deadline (an hour-long timer stopped then held off the deadlock check for an hour,
    /// and an `after_func`'s function stayed alive). Only the thread firing the entry may call
    /// this, and nothing but that thread can fire it until it is back in a heap.
    pub(crate) fn rearm_in_place(&self) {
        debug_assert_eq!(self.state.load(Ordering::Relaxed), FIRED);
        self.state.store(ARMED, Ordering::Release);
    }

    /// True while the timer has neither fired nor been cancelled.
    pub(crate) fn is_armed(&self) -> bool {
        self.state.load(Ordering::Acquire) == ARMED
    }

    /// Runs the action if the timer is still armed (a due entry taken out of `heap`). A
    /// repeating action that is due again has armed the entry again (`rearm_in_place`), and
    /// returned its deadline: the entry goes back into the heap it was set in, still counted,
    /// with its action back in place for the next firing, or for a cancel to drop. (A cancel
    /// that won since found no action; the action is dropped here then.)
    fn fire(self: &Arc<Self>, heap: &TimerHeap, now: Instant) {
        if self
            .state
            .compare_exchange(ARMED, FIRED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // Cancelled after it left the heap as due: it leaves the count too (a count left
            // behind for good made every later schedule rebuild the heap).
            heap.uncount_cancelled(1);
            return;
        }
        let work = self.action.lock().unwrap_or_else(|p| p.into_inner()).take();
        let again = match work {
            Some(Work::Once(action)) => {
                caught(|| action(now));
                None
            }
            Some(Work::Again(mut action)) => caught(|| action(self, now))
                .flatten()
                .map(|when| (when, action)),
            None => None,
        };
        if let Some((when, action)) = again {
            debug_assert!(
                std::ptr::eq(heap, self.heap),
                "a timer re-armed off its heap"
            );
            #[cfg(test)]
            std::thread::sleep(std::time::Duration::from_micros(
                heap.rearm_pause_us.load(Ordering::Relaxed),
            ));
            let mut slot = self.action.lock().unwrap_or_else(|p| p.into_inner());
            if self.state.load(Ordering::Acquire) == ARMED {
                *slot = Some(Work::Again(action));
            } else {
                // A stop or reset cancelled the entry once the action had re-armed it (and
                // found no action to drop): it goes in as a cancelled entry, counted as one.
                debug_assert_eq!(self.state.load(Ordering::Relaxed), CANCELLED);
                drop(slot);
                drop(action);
            }
            // It fired: the deadlock check's sign that something happened, as `leave_count`
            // gives it (the entry stays pending, so the count itself stays).
            self.heap.counts.left.fetch_add(1, Ordering::SeqCst);
            self.heap.insert(when, self.clone());
            return;
        }
        debug_assert_eq!(
            self.state.load(Ordering::Relaxed),
            FIRED,
            "a timer re-armed without its deadline"
        );
        // Counted down after the action, so the deadlock check never sees "no timers" while
        // a wake-up is still being delivered.
        self.leave_count();
    }
}

/// Runs a timer's action; a panic in it is reported, not passed on: a panicking action must
/// not take every other timer down with it.
fn caught<R>(action: impl FnOnce() -> R) -> Option<R> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(action)) {
        Ok(r) => Some(r),
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            super::report(&format!("gocsp: a timer action panicked: {msg}\n"));
            None
        }
    }
}

struct Entry {
    when: Instant,
    seq: u64,
    node: Arc<Node>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.when == other.when && self.seq == other.seq
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    // Reversed: `BinaryHeap` is a max-heap and we want the earliest deadline on top.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        other
            .when
            .cmp(&self.when)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

struct State {
    heap: BinaryHeap<Entry>,
    seq: u64,
    /// Heap size after the last sweep for unobservable timers.
    swept_at: usize,
    /// What the timer thread sleeps until (the global heap only): `None` while it runs (it
    /// looks at the heap again before it sleeps), `Some(None)` while it waits for a first
    /// timer, `Some(Some(t))` while it waits for the deadline `t`. A new timer wakes it only
    /// if it is due earlier.
    sleeping: Option<Option<Instant>>,
}

/// A heap's part of the deadlock check's view of the timers, on a cache line of its own: its
/// worker updates it for every timer, and one count for the whole process, updated by every
/// worker, took a tenth of the time of 5,000 tickers on 2 workers (its line moving between
/// the cores at every tick).
struct Counts {
    /// Timers pending among those set in this heap, wherever their entries are now (`adopt`).
    pending: AtomicIsize,
    /// Timers set in this heap that left the count by firing or being cancelled:
    /// the deadlock check's sign that something happened between its two looks.
    left: AtomicU64,
}

/// The deadlock check's view of the timers, summed over every heap: how many are pending,
/// and how many have fired or been cancelled so far.
pub(crate) fn counts() -> (isize, u64) {
    let mut pending = GLOBAL.counts.pending.load(Ordering::SeqCst);
    let mut left = GLOBAL.counts.left.load(Ordering::SeqCst);
    super::runtime::for_each_runtime(|rt| {
        for w in rt.workers.iter() {
            pending += w.timers.counts.pending.load(Ordering::SeqCst);
            left = left.wrapping_add(w.timers.counts.left.load(Ordering::SeqCst));
        }
    });
    (pending, left)
}

/// One heap of timers: a worker's, or [`GLOBAL`].
pub(crate) struct TimerHeap {
    state: Mutex<State>,
    /// What the timer thread waits on (the global heap only).
    cond: Condvar,
    cancelled: AtomicUsize,
    /// The earliest deadline in the heap as a `spin::stamp` ([`NONE`] when empty), read
    /// without the lock: a worker with no timers pays one load per goroutine for them.
    next: AtomicU64,
    counts: CachePadded<Counts>,
    /// Tests only: how long a firing that re-arms its entry pauses before it puts the entry
    /// back, for a stop to come in between.
    #[cfg(test)]
    rearm_pause_us: AtomicU64,
}

impl TimerHeap {
    pub(crate) const fn new() -> TimerHeap {
        TimerHeap {
            state: Mutex::new(State {
                heap: BinaryHeap::new(),
                seq: 0,
                swept_at: 1024,
                sleeping: None,
            }),
            cond: Condvar::new(),
            cancelled: AtomicUsize::new(0),
            next: AtomicU64::new(NONE),
            counts: CachePadded::new(Counts {
                pending: AtomicIsize::new(0),
                left: AtomicU64::new(0),
            }),
            #[cfg(test)]
            rearm_pause_us: AtomicU64::new(0),
        }
    }

    /// Tests only: makes every firing of this heap that re-arms its entry pause `d` before it
    /// puts the entry back.
    #[cfg(test)]
    pub(crate) fn pause_rearms(&self, d: std::time::Duration) {
        self.rearm_pause_us
            .store(d.as_micros() as u64, Ordering::Relaxed);
    }

    /// Tests only: timers pending among those set in this heap (the deadlock check's count).
    #[cfg(test)]
    pub(crate) fn pending(&self) -> isize {
        self.counts.pending.load(Ordering::SeqCst)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The earliest deadline as a `spin::stamp`, [`NONE`] if the heap is empty (it may be a
    /// cancelled entry's).
    #[inline]
    pub(crate) fn next(&self) -> u64 {
        self.next.load(Ordering::Relaxed)
    }

    /// The earliest deadline, if any.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.lock().heap.peek().map(|e| e.when)
    }

    /// Entries in the heap, cancelled ones included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().heap.len()
    }

    /// Cancelled entries counted and not yet removed.
    #[cfg(test)]
    pub(crate) fn cancelled(&self) -> usize {
        self.cancelled.load(Ordering::Acquire)
    }

    fn set_next(&self, st: &State) {
        let next = st
            .heap
            .peek()
            .map_or(NONE, |e| crate::spin::stamp_at(e.when));
        self.next.store(next, Ordering::Relaxed);
    }

    /// Adds a timer that runs `action` at `when`.
    fn push(&'static self, when: Instant, action: Work, probe: Option<Probe>) -> Arc<Node> {
        let node = Arc::new(Node {
            state: AtomicU8::new(ARMED),
            action: Mutex::new(Some(action)),
            probe,
            counted: AtomicBool::new(true),
            heap: self,
        });
        self.counts.pending.fetch_add(1, Ordering::SeqCst);
        self.insert(when, node.clone());
        node
    }

    /// Puts `node` in the heap at `when`, waking the timer thread if it sleeps past it.
    fn insert(&'static self, when: Instant, node: Arc<Node>) {
        let mut st = self.lock();
        // A server may sleep until a far deadline (an idle timeout reset on every message):
        // purge cancelled entries here too, or they pile up until it wakes.
        let removed = self.remove_dead_entries(&mut st);
        st.seq += 1;
        let seq = st.seq;
        let earliest = st
            .sleeping
            .is_some_and(|until| until.is_none_or(|until| when < until));
        if earliest {
            // Once: the next timer sees it awake.
            st.sleeping = None;
        }
        st.heap.push(Entry { when, seq, node });
        // `next` was the top's before the removals and the push: it changes only if entries
        // left or the new one is on top.
        if removed {
            self.set_next(&st);
        } else if st.heap.peek().is_some_and(|top| top.seq == seq) {
            self.next
                .store(crate::spin::stamp_at(when), Ordering::Relaxed);
        }
        drop(st);
        if earliest {
            self.cond.notify_one();
        }
    }

    /// Moves every entry of `from` (a worker's heap whose runtime shut down) into this heap.
    pub(crate) fn adopt(&'static self, from: &TimerHeap) {
        let entries = {
            let mut st = from.lock();
            let entries = std::mem::take(&mut st.heap);
            from.set_next(&st);
            entries
        };
        for e in entries.into_vec() {
            if e.node.is_armed() {
                self.insert(e.when, e.node);
            } else {
                from.uncount_cancelled(1);
            }
        }
    }

    /// Fires the timers due at `now`; true if any was due.
    pub(crate) fn run_due(&self, now: Instant) -> bool {
        std::thread_local! {
            /// The list of due timers, kept between calls (a worker calls this between
            /// goroutines, often for one or two timers).
            static DUE: std::cell::Cell<Vec<Arc<Node>>> = const { std::cell::Cell::new(Vec::new()) };
        }
        // Empty while a firing runs `run_due` again on this thread, which then uses its own.
        let mut due = DUE.try_with(std::cell::Cell::take).unwrap_or_default();
        let mut st = self.lock();
        self.take_due(&mut st, now, &mut due);
        drop(st);
        let any = !due.is_empty();
        for node in due.drain(..) {
            node.fire(self, now);
        }
        if due.capacity() <= 1024 {
            let _ = DUE.try_with(|d| d.set(due));
        }
        any
    }

    /// Moves the entries due at `now` out of the heap into `due`, cancelled ones dropped.
    fn take_due(&self, st: &mut State, now: Instant, due: &mut Vec<Arc<Node>>) {
        let mut popped = self.remove_dead_entries(st);
        while let Some(top) = st.heap.peek() {
            if !top.node.is_armed() {
                st.heap.pop();
                self.uncount_cancelled(1);
                popped = true;
                continue;
            }
            if top.when > now {
                break;
            }
            let e = st.heap.pop().expect("peeked");
            due.push(e.node);
            popped = true;
        }
        if popped {
            self.set_next(st);
        }
    }

    /// Sweeps out timers nobody can observe once the heap has doubled, and rebuilds the heap
    /// without its cancelled entries once they are more than half of it (and over 64): O(n)
    /// when a count has doubled, so O(1) per timer over time. Run by the server and on every
    /// insert (the server may sleep until a far deadline while timers pile up). Returns
    /// whether entries left, so that the caller brings `next` up to date once for all it
    /// changed (a conversion of the top's deadline per timer set was a tenth of a ticker's
    /// clock arithmetic).
    fn remove_dead_entries(&self, st: &mut State) -> bool {
        // Timers nobody can observe any more (their channel was dropped: `select!` on
        // `after(..)` in a loop) are cancelled in a sweep whenever the heap has doubled since
        // the last one; the rebuild below then takes them out.
        let sweep = st.heap.len() > 2 * st.swept_at;
        if sweep {
            for e in st.heap.iter() {
                if e.node.probe.as_ref().is_some_and(|p| p.strong_count() == 0) {
                    // The channel's last owner let go with a release (its `Arc`'s drop), after
                    // its last `uncount`/`recount`, plain stores: acquire them before the cancel
                    // reads `counted`.
                    std::sync::atomic::fence(Ordering::Acquire);
                    e.node.cancel();
                }
            }
        }
        let cancelled = self.cancelled.load(Ordering::Relaxed);
        let before = st.heap.len();
        if cancelled > 64 && cancelled * 2 > st.heap.len() {
            let old = std::mem::take(&mut st.heap);
            st.heap = old.into_iter().filter(|e| e.node.is_armed()).collect();
            // Exactly the entries removed: a cancel that lands during the rebuild stays
            // counted.
            self.uncount_cancelled(before - st.heap.len());
        }
        // Cancelled entries on top go at once (the common case: a timer reset again and
        // again, its old deadline the earliest), without waking the server.
        while st.heap.peek().is_some_and(|top| !top.node.is_armed()) {
            st.heap.pop();
            self.uncount_cancelled(1);
        }
        if sweep || st.heap.len() < st.swept_at / 2 {
            // The next sweep when the heap has doubled from what is left.
            st.swept_at = st.heap.len().max(1024);
        }
        st.heap.len() != before
    }

    /// Takes `n` cancelled entries that left the heap off the count (which a cancel racing
    /// with the removal may not have reached yet: never below zero).
    fn uncount_cancelled(&self, n: usize) {
        let _ = self
            .cancelled
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
                Some(c.saturating_sub(n))
            });
    }

    /// The timer thread's loop over this heap: fires what is due, then sleeps until the next
    /// deadline or until an earlier timer comes. Never returns.
    pub(crate) fn serve(&'static self) -> ! {
        let _own = deadlock::OwnThread::enter();
        // `after_func` starts its goroutine from here: a backlog of unstarted goroutines must
        // not hold up every other timer.
        super::never_hold_back_this_thread();
        let mut st = self.lock();
        let mut due = Vec::new();
        loop {
            let now = Instant::now();
            self.take_due(&mut st, now, &mut due);
            if !due.is_empty() {
                drop(st);
                for node in due.drain(..) {
                    node.fire(self, now);
                }
                st = self.lock();
                continue;
            }
            let next = st.heap.peek().map(|top| top.when);
            st.sleeping = Some(next);
            st = match next {
                Some(when) => {
                    let wait = when.saturating_duration_since(Instant::now());
                    self.cond
                        .wait_timeout(st, wait)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
                None => self.cond.wait(st).unwrap_or_else(|p| p.into_inner()),
            };
            st.sleeping = None;
        }
    }
}
