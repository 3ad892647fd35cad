//! The one timer facility behind `sleep`, `after`, `tick`, `Timer`, `Ticker` and context
//! deadlines: a min-heap of deadlines served by one thread (`gocsp-timer`), started on first
//! use. A timer costs a heap entry, never a thread.
//!
//! Each scheduled timer is a [`Node`] whose `state` moves once from `ARMED` to `FIRED` (the
//! timer thread won) or to `CANCELLED` (the owner stopped it first); the CAS decides which
//! side acts. Cancelled nodes stay in the heap until they reach the top or until more than
//! half the heap is cancelled, when it is rebuilt; so stopping a timer is O(1) and the heap
//! stays proportional to the live timers. (A stopped channel `Timer` keeps its node armed for
//! a reset to reuse, one per live `Timer`; once the `Timer` is dropped, the sweep of timers
//! nobody can observe takes it out.)

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Instant;

use crate::sched::deadlock;

const ARMED: u8 = 0;
const FIRED: u8 = 1;
const CANCELLED: u8 = 2;

/// What a timer does when it fires. Runs on the timer thread: must not block.
pub(crate) type Action = Box<dyn FnOnce(Instant) + Send + 'static>;

/// Tells whether what a timer would deliver to still exists (its channel).
pub(crate) type Probe = std::sync::Weak<dyn std::any::Any + Send + Sync>;

/// One scheduled timer.
pub(crate) struct Node {
    state: AtomicU8,
    action: Mutex<Option<Action>>,
    /// When set and dead, the timer is useless and may be dropped before its deadline.
    probe: Option<Probe>,
    /// Counted among the pending timers the deadlock check waits for (`deadlock::timers`):
    /// from `schedule` until it fires or is cancelled, except while its owner has it
    /// `uncount`ed (a stopped `Timer` whose entry waits in the heap to be reused).
    counted: AtomicBool,
}

impl Node {
    /// Takes the timer off the pending count, if it is on it.
    fn leave_count(&self) {
        if self.counted.swap(false, Ordering::AcqRel) {
            deadlock::timers_changed(-1);
        }
    }

    /// The owner stopped the timer but leaves its entry in the heap, to be reused by a
    /// `reset` (`recount`) or to do nothing when it comes due: it no longer holds off the
    /// deadlock check.
    pub(crate) fn uncount(&self) {
        if self.counted.swap(false, Ordering::AcqRel) {
            deadlock::timer_stopped();
        }
    }

    /// The owner reuses an `uncount`ed entry that is still armed: pending again.
    pub(crate) fn recount(&self) {
        if !self.counted.swap(true, Ordering::AcqRel) {
            deadlock::timers_changed(1);
        }
    }

    /// Cancels the timer. Returns `true` if it had not fired yet.
    pub(crate) fn cancel(&self) -> bool {
        // Counted before the CAS that makes the entry removable: whoever removes it then
        // finds it counted (a count taken after could land once the entry is gone, and stay
        // for good, making every later schedule rebuild the heap).
        let heap = timers();
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

    /// True while the timer has neither fired nor been cancelled.
    pub(crate) fn is_armed(&self) -> bool {
        self.state.load(Ordering::Acquire) == ARMED
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
    thread_started: bool,
    /// Heap size after the last sweep for unobservable timers.
    swept_at: usize,
    /// What the timer thread sleeps until: `None` while it runs (it looks at the heap again
    /// before it sleeps), `Some(None)` while it waits for a first timer, `Some(Some(t))` while
    /// it waits for the deadline `t`. A new timer wakes it only if it is due earlier.
    sleeping: Option<Option<Instant>>,
}

struct Timers {
    state: Mutex<State>,
    cond: Condvar,
    cancelled: AtomicUsize,
}

fn timers() -> &'static Timers {
    static TIMERS: OnceLock<Timers> = OnceLock::new();
    TIMERS.get_or_init(|| Timers {
        state: Mutex::new(State {
            heap: BinaryHeap::new(),
            seq: 0,
            thread_started: false,
            swept_at: 1024,
            sleeping: None,
        }),
        cond: Condvar::new(),
        cancelled: AtomicUsize::new(0),
    })
}

/// Schedules `action` to run at `when` on the timer thread.
pub(crate) fn schedule(when: Instant, action: Action) -> Arc<Node> {
    schedule_probed(when, action, None)
}

/// Like [`schedule`]; the timer is dropped early once `probe` is dead (nobody can observe it
/// fire: its channel is gone).
pub(crate) fn schedule_probed(when: Instant, action: Action, probe: Option<Probe>) -> Arc<Node> {
    let node = Arc::new(Node {
        state: AtomicU8::new(ARMED),
        action: Mutex::new(Some(action)),
        probe,
        counted: AtomicBool::new(true),
    });
    let t = timers();
    let mut st = t.state.lock().unwrap_or_else(|p| p.into_inner());
    if !st.thread_started {
        // Marked started only once it is: a failed start is this call's panic, and the next
        // use tries again (never a heap that nobody serves).
        if let Err(e) = crate::blocking::start_thread("gocsp-timer", timer_thread) {
            drop(st);
            panic!("gocsp: cannot start the timer thread: {e}");
        }
        st.thread_started = true;
    }
    // The timer thread may sleep until a far deadline (an idle timeout reset on every
    // message): purge cancelled entries here too, or they pile up until it wakes.
    remove_dead_entries(t, &mut st);
    deadlock::timers_changed(1);
    st.seq += 1;
    let seq = st.seq;
    let earliest = st
        .sleeping
        .is_some_and(|until| until.is_none_or(|until| when < until));
    if earliest {
        // Once: the next timer sees it awake.
        st.sleeping = None;
    }
    st.heap.push(Entry {
        when,
        seq,
        node: node.clone(),
    });
    drop(st);
    if earliest {
        t.cond.notify_one();
    }
    node
}

/// Sweeps out timers nobody can observe once the heap has doubled, and rebuilds the heap
/// without its cancelled entries once they are more than half of it (and over 64): O(n) when
/// a count has doubled, so O(1) per timer over time. Run by the timer thread and on every
/// schedule (the thread may sleep until a far deadline while timers pile up).
fn remove_dead_entries(t: &Timers, st: &mut State) {
    // Timers nobody can observe any more (their channel was dropped: `select!` on `after(..)`
    // in a loop) are cancelled in a sweep whenever the heap has doubled since the last one;
    // the rebuild below then takes them out.
    let sweep = st.heap.len() > 2 * st.swept_at;
    if sweep {
        for e in st.heap.iter() {
            if e.node.probe.as_ref().is_some_and(|p| p.strong_count() == 0) {
                e.node.cancel();
            }
        }
    }
    let cancelled = t.cancelled.load(Ordering::Relaxed);
    if cancelled > 64 && cancelled * 2 > st.heap.len() {
        let before = st.heap.len();
        let old = std::mem::take(&mut st.heap);
        st.heap = old.into_iter().filter(|e| e.node.is_armed()).collect();
        // Exactly the entries removed: a cancel that lands during the rebuild stays counted.
        uncount_cancelled(t, before - st.heap.len());
    }
    // Cancelled entries on top go at once (the common case: a timer reset again and again,
    // its old deadline the earliest), without waking the timer thread.
    while st.heap.peek().is_some_and(|top| !top.node.is_armed()) {
        st.heap.pop();
        uncount_cancelled(t, 1);
    }
    if sweep || st.heap.len() < st.swept_at / 2 {
        // The next sweep when the heap has doubled from what is left.
        st.swept_at = st.heap.len().max(1024);
    }
}

/// Takes `n` cancelled entries that left the heap off the count (which a cancel racing with
/// the removal may not have reached yet: never below zero).
fn uncount_cancelled(t: &Timers, n: usize) {
    let _ = t
        .cancelled
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
            Some(c.saturating_sub(n))
        });
}

fn timer_thread() {
    let _own = deadlock::OwnThread::enter();
    // `after_func` starts its goroutine from here: a backlog of unstarted goroutines must
    // not hold up every other timer.
    crate::sched::never_hold_back_this_thread();
    let t = timers();
    let mut due: Vec<Arc<Node>> = Vec::new();
    let mut st = t.state.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        remove_dead_entries(t, &mut st);
        let now = Instant::now();
        while let Some(top) = st.heap.peek() {
            if !top.node.is_armed() {
                st.heap.pop();
                uncount_cancelled(t, 1);
                continue;
            }
            if top.when > now {
                break;
            }
            let e = st.heap.pop().expect("peeked");
            due.push(e.node);
        }
        if !due.is_empty() {
            drop(st);
            for node in due.drain(..) {
                if node
                    .state
                    .compare_exchange(ARMED, FIRED, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    let action = node.action.lock().unwrap_or_else(|p| p.into_inner()).take();
                    if let Some(action) = action {
                        // A panicking action must not take every other timer down with it.
                        if let Err(p) =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| action(now)))
                        {
                            let msg = p
                                .downcast_ref::<&str>()
                                .map(|s| s.to_string())
                                .or_else(|| p.downcast_ref::<String>().cloned())
                                .unwrap_or_default();
                            crate::sched::report(&format!(
                                "gocsp: a timer action panicked: {msg}\n"
                            ));
                        }
                    }
                    // Counted down after the action, so the deadlock check never sees "no
                    // timers" while a wake-up is still being delivered.
                    node.leave_count();
                } else {
                    // Cancelled after it left the heap as due: it leaves the count too (a
                    // count left behind for good made every later schedule rebuild the heap).
                    uncount_cancelled(t, 1);
                }
            }
            st = t.state.lock().unwrap_or_else(|p| p.into_inner());
            continue;
        }
        let next = st.heap.peek().map(|top| top.when);
        st.sleeping = Some(next);
        st = match next {
            Some(when) => {
                let wait = when.saturating_duration_since(Instant::now());
                t.cond
                    .wait_timeout(st, wait)
                    .unwrap_or_else(|p| p.into_inner())
                    .0
            }
            None => t.cond.wait(st).unwrap_or_else(|p| p.into_inner()),
        };
        st.sleeping = None;
    }
}

#[cfg(test)]
// Under Miri the tests that use goroutines are compiled out; their imports go unused.
#[cfg_attr(miri, allow(unused))]
mod tests {
    use super::timers;
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    /// Held by each test here: they share the process's one timer heap, and the ones that
    /// count its entries must not see the thousands another of them schedules (the reset
    /// test once counted 1,377 while the racing-receives test ran beside it).
    fn heap_to_myself() -> std::sync::MutexGuard<'static, ()> {
        static HEAP: std::sync::Mutex<()> = std::sync::Mutex::new(());
        HEAP.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Entries in the timer heap now.
    fn heap_len() -> usize {
        timers()
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .heap
            .len()
    }

    /// Receives of expired timers fire them themselves (cancelling their heap entries) while
    /// the timer thread pops them as due: the cancelled count must still fall back to what
    /// the heap holds. (A count left behind for good made every later schedule rebuild the
    /// heap: 285 stuck counts in a run of the 10,000-timers benchmark.)
    #[cfg(not(miri))]
    #[test]
    fn the_cancelled_count_follows_the_heap_through_racing_receives() {
        let _heap = heap_to_myself();
        for round in 0..20u64 {
            let chans: Vec<_> = (0..5_000u64)
                .map(|i| crate::time::after(Duration::from_micros((i * 7 + round) % 900)))
                .collect();
            for c in &chans {
                assert!(c.recv().is_some());
            }
        }
        let t = timers();
        let start = Instant::now();
        loop {
            let cancelled = t.cancelled.load(Ordering::Acquire);
            let len = heap_len();
            if cancelled <= len {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{cancelled} cancelled entries counted, {len} entries in the heap"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// `select!` on `after(..)` in a loop, the other case winning every time: each round
    /// leaves an armed timer nobody can observe. They are swept out as the heap doubles, also
    /// while the timer thread sleeps until their far deadline (1M rounds of a one-hour timeout
    /// grew the process by 456 MB; Go 1.19 by 227 MB, Go 1.23 collects them).
    #[test]
    fn unobservable_timers_do_not_pile_up_while_the_timer_thread_sleeps() {
        let _heap = heap_to_myself();
        for _ in 0..20_000 {
            drop(crate::time::after(Duration::from_secs(3600)));
        }
        let len = heap_len();
        // Swept at twice the size after the last sweep (at least 2 x 1,024), plus what other
        // tests of this binary have scheduled.
        assert!(len < 8_000, "{len} entries in the timer heap");
    }

    /// A timer reset again and again (an idle timeout pushed back on every message) leaves
    /// its cancelled entries behind while the timer thread sleeps until the far deadline; they
    /// must not pile up (10,000 resets left 10,000 entries, about 100 bytes each, for an hour).
    #[test]
    fn a_timer_reset_in_a_loop_leaves_no_pile_of_cancelled_entries() {
        let _heap = heap_to_myself();
        let t = crate::time::Timer::new(Duration::from_secs(3600));
        for _ in 0..10_000 {
            t.reset(Duration::from_secs(3600));
        }
        let len = heap_len();
        t.stop();
        // Other tests of this binary may have a few timers of their own in the heap.
        assert!(len < 1_000, "{len} entries in the timer heap");
    }
}
