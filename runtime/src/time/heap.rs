//! The time layer's way into the timer heaps (`sched/timers.rs`): a timer set on a worker goes
//! into that worker's heap, one set anywhere else into the global heap, which the `gocsp-timer`
//! thread serves. That thread starts with the first timer, wherever it is set (a runtime that
//! shuts down hands its workers' pending timers to it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::sched::timers::{self, GLOBAL};
pub(crate) use crate::sched::timers::{Action, Node, Probe, Repeating};

/// Schedules `action` to run at `when`.
pub(crate) fn schedule(when: Instant, action: Action) -> Arc<Node> {
    start_timer_thread();
    timers::schedule(when, action)
}

/// Like [`schedule`], for an action that may come due again ([`Repeating`]); the timer is
/// dropped early once `probe` is dead (nobody can observe it fire: its channel is gone).
pub(crate) fn schedule_repeating(
    when: Instant,
    action: Repeating,
    probe: Option<Probe>,
) -> Arc<Node> {
    start_timer_thread();
    timers::schedule_repeating(when, action, probe)
}

/// Starts the `gocsp-timer` thread if it has not started; panics if the OS refuses it (the
/// next timer tries again).
fn start_timer_thread() {
    static STARTED: AtomicBool = AtomicBool::new(false);
    static STARTING: Mutex<()> = Mutex::new(());
    if STARTED.load(Ordering::Acquire) {
        return;
    }
    let _g = STARTING.lock().unwrap_or_else(|p| p.into_inner());
    if STARTED.load(Ordering::Acquire) {
        return;
    }
    // Marked started only once it is: a failed start is this call's panic, and the next use
    // tries again (never a heap that nobody serves).
    if let Err(e) = crate::blocking::start_thread("gocsp-timer", || GLOBAL.serve()) {
        panic!("gocsp: cannot start the timer thread: {e}");
    }
    STARTED.store(true, Ordering::Release);
}

#[cfg(test)]
// Under Miri the tests that use goroutines are compiled out; their imports go unused.
#[cfg_attr(miri, allow(unused))]
mod tests {
    use crate::sched::timers::GLOBAL;
    use std::time::{Duration, Instant};

    /// Held by each test here: they share the process's one timer heap, and the ones that
    /// count its entries must not see the thousands another of them schedules (the reset
    /// test once counted 1,377 while the racing-receives test ran beside it).
    fn heap_to_myself() -> std::sync::MutexGuard<'static, ()> {
        static HEAP: std::sync::Mutex<()> = std::sync::Mutex::new(());
        HEAP.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Entries in the global timer heap now.
    fn heap_len() -> usize {
        GLOBAL.len()
    }

    /// A goroutine's timers go in its worker's heap, which the worker serves; a plain
    /// thread's go in the global one, which the timer thread serves.
    #[cfg(not(miri))]
    #[test]
    fn a_goroutines_timers_go_in_its_workers_heap_and_a_threads_in_the_global_one() {
        let _heap = heap_to_myself();
        let n = 1_000;
        let schedule_n = move || {
            let when = Instant::now() + Duration::from_secs(3600);
            (0..n)
                .map(|_| super::schedule(when, Box::new(|_| {})))
                .collect::<Vec<_>>()
        };
        let before = heap_len();
        let on_worker = crate::spawn(schedule_n).join().unwrap();
        let after_goroutine = heap_len();
        let on_thread = schedule_n();
        let after_thread = heap_len();
        // Cancelled, they go at the next timer (more than half the heap is cancelled).
        for node in on_worker.iter().chain(&on_thread) {
            node.cancel();
        }
        // Other tests of this binary may add or remove a few entries meanwhile.
        assert!(
            after_goroutine < before + n / 2,
            "{} of a goroutine's {n} timers went in the global heap",
            after_goroutine.saturating_sub(before)
        );
        assert!(
            after_thread >= after_goroutine + n * 9 / 10,
            "{} of a thread's {n} timers went in the global heap",
            after_thread.saturating_sub(after_goroutine)
        );
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
        let start = Instant::now();
        loop {
            let cancelled = GLOBAL.cancelled();
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
