//! Bounded, adaptive spinning before an OS thread sleeps: a blocked thread waiting for its
//! counterparty, and an idle worker looking for work.
//!
//! Spinning pays when the answer comes within microseconds from another core, and a futex
//! sleep and wake-up would cost tens of them. It hurts when cores are scarce: then the spinner
//! holds the very core the thread it waits for needs (measured: with one busy process beside a
//! 2-core machine, a main-thread round trip went from 2 us to 40-70 us while the idle worker
//! spun). Go spins only while other cores are idle and a handful of threads spin, and then
//! parks; a process can't see other processes' load cheaply, so the spin here judges by its
//! own results instead:
//!
//! - no more threads spin at once than there are cores, blocked threads and idle workers
//!   together (idle workers also keep a rule of their own: no more spinners than workers
//!   running goroutines, `sched/idle.rs`); the others park at once. (Half the cores, Go's
//!   number, is too few here: a thread in a ping-pong with a goroutine spins while the
//!   goroutine's worker starts its own spin, and with one slot on two cores the worker would
//!   sleep every time);
//! - it is bounded in time by a per-thread **budget** (at most `max`);
//! - a spin that ends without an answer halves the budget; one that gets its answer keeps a
//!   budget of at least twice the time it took (and an eighth of `max`);
//! - a spin that lost its core (a check that took far longer than spinning can: the thread was
//!   descheduled) drops the budget to nothing at once: the machine is busy;
//! - a sleep that ended soon after it began (within `max`) says a longer spin would have caught
//!   it, so the budget doubles again, starting from a sixteenth of `max`;
//! - with no budget, every `PROBE_EVERY`th wait still spins for a sixteenth of `max`, so a
//!   machine that has become idle again is noticed even where a futex wake-up alone takes
//!   longer than `max` (tens of microseconds on a VM).
//!
//! So on an idle machine a ping-pong keeps spinning, and under load the budget falls to zero
//! within a few waits and the thread parks at once, leaving the core to whoever can use it.
//! A blocked thread yields once after a failed spin, and only while its budget says spinning
//! pays (a partner waiting for a core on this one then runs at once: measured, a thread
//! ping-pong on a loaded machine went from 25-44 us to 13 us); with the budget spent it parks
//! directly, because on a busy machine a yield hands the core to whoever competes for a whole
//! time slice. Idle workers never yield.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A spin longer than this between two clock reads means the thread lost its core.
const DESCHEDULED: Duration = Duration::from_micros(50);
/// With no budget left, one wait in this many probes with a short spin.
const PROBE_EVERY: u32 = 8;

/// Threads spinning now, and how many may (0: not computed yet).
static SPINNERS: AtomicUsize = AtomicUsize::new(0);
static MAX_SPINNERS: AtomicUsize = AtomicUsize::new(0);

fn max_spinners() -> usize {
    match MAX_SPINNERS.load(Ordering::Relaxed) {
        0 => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let n = cores.max(1);
            MAX_SPINNERS.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// A slot among the spinners, released on drop.
struct Spinner;

impl Spinner {
    fn enter() -> Option<Spinner> {
        if SPINNERS.fetch_add(1, Ordering::Relaxed) < max_spinners() {
            Some(Spinner)
        } else {
            SPINNERS.fetch_sub(1, Ordering::Relaxed);
            None
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        SPINNERS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One thread's spin budget (it lives in a thread-local or in a worker's private state).
#[derive(Debug)]
pub(crate) struct SpinBudget {
    /// Nanoseconds the next spin may last.
    ns: Cell<u32>,
    max: u32,
    /// Waits that found no budget since the last probe.
    skipped: Cell<u32>,
}

impl SpinBudget {
    /// A budget of at most `max`, starting full.
    pub(crate) const fn new(max: Duration) -> SpinBudget {
        let max = max.as_nanos() as u32;
        SpinBudget {
            ns: Cell::new(max),
            max,
            skipped: Cell::new(0),
        }
    }

    /// The budget now (for tests and diagnostics).
    #[cfg(test)]
    pub(crate) fn current(&self) -> Duration {
        Duration::from_nanos(self.ns.get() as u64)
    }

    /// Calls `poll` until it returns `Some`, spinning between calls, for at most the budget;
    /// `None` if the budget ran out first. `pause` spin-loop hints go between two polls.
    #[inline]
    pub(crate) fn spin<T>(&self, pause: u32, mut poll: impl FnMut() -> Option<T>) -> Option<T> {
        if let Some(v) = poll() {
            return Some(v);
        }
        let mut budget = self.ns.get();
        if budget == 0 {
            let skipped = self.skipped.get() + 1;
            if skipped < PROBE_EVERY {
                self.skipped.set(skipped);
                return None;
            }
            self.skipped.set(0);
            budget = self.max / 16;
        }
        self.spin_slow(budget, pause, &mut poll)
    }

    #[cold]
    fn spin_slow<T>(
        &self,
        budget: u32,
        pause: u32,
        poll: &mut impl FnMut() -> Option<T>,
    ) -> Option<T> {
        let _spinner = Spinner::enter()?;
        let budget = Duration::from_nanos(budget as u64);
        let start = Instant::now();
        let mut last = start;
        loop {
            for _ in 0..8 {
                for _ in 0..pause {
                    std::hint::spin_loop();
                }
                if let Some(v) = poll() {
                    let took = start.elapsed().as_nanos().min(u32::MAX as u128) as u32;
                    let keep = took.saturating_mul(2).max(self.max / 8);
                    self.ns.set(self.ns.get().max(keep).min(self.max));
                    return Some(v);
                }
            }
            let now = Instant::now();
            if now - last > DESCHEDULED {
                self.ns.set(0);
                return None;
            }
            if now - start > budget {
                self.ns.set(self.ns.get() / 2);
                return None;
            }
            last = now;
        }
    }

    /// Whether the next spin has a budget (spinning has been paying).
    #[inline]
    pub(crate) fn spins(&self) -> bool {
        self.ns.get() > 0
    }

    /// Tells the budget how long the sleep after a failed spin lasted.
    #[inline]
    pub(crate) fn slept(&self, slept: Duration) {
        if slept.as_nanos() < self.max as u128 {
            let grown = self.ns.get().saturating_mul(2).max(self.max / 16);
            self.ns.set(grown.min(self.max));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_adapts() {
        let b = SpinBudget::new(Duration::from_micros(16));
        assert_eq!(b.spin(1, || Some(3)), Some(3));
        assert_eq!(b.current(), Duration::from_micros(16));
        // A spin that fails halves the budget (or drops it if it lost the core).
        assert_eq!(b.spin(1, || None::<()>), None);
        assert!(b.current() <= Duration::from_micros(8));
        while b.current() > Duration::ZERO {
            b.spin(1, || None::<()>);
        }
        // With no budget, a spin is one poll, but every `PROBE_EVERY`th one spins a little.
        let mut polls = 0;
        for _ in 1..PROBE_EVERY {
            assert_eq!(
                b.spin(1, || {
                    polls += 1;
                    None::<()>
                }),
                None
            );
        }
        assert_eq!(polls, PROBE_EVERY - 1);
        // (The first few polls of a spin come before any look at the clock.)
        let probed = b.spin(1, || {
            polls += 1;
            (polls == PROBE_EVERY + 2).then_some(polls)
        });
        assert_eq!(probed, Some(PROBE_EVERY + 2));
        assert!(b.current() > Duration::ZERO);
        while b.current() > Duration::ZERO {
            b.spin(1, || None::<()>);
        }
        // A short sleep regrows it; a long one doesn't.
        b.slept(Duration::from_micros(25));
        assert_eq!(b.current(), Duration::ZERO);
        b.slept(Duration::from_micros(3));
        assert_eq!(b.current(), Duration::from_micros(1));
        b.slept(Duration::from_micros(3));
        assert_eq!(b.current(), Duration::from_micros(2));
    }
}
