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
//! - a blocked thread spins only while fewer gocsp workers are awake (running goroutines or
//!   looking for some) than there are cores, in every runtime together: with a worker on every
//!   core, its spin would take a core from one of them (`WaiterRef::wait`);
//! - it is bounded in time by a per-thread **budget** (at most `max`);
//! - a spin that ends without an answer halves the budget; one that gets its answer keeps a
//!   budget of at least twice the time it took (and an eighth of `max`);
//! - a spin that lost its core (a check that took far longer than spinning can: the thread was
//!   descheduled) drops the budget to nothing at once: the machine is busy;
//! - a sleep whose answer was sent soon after it began (within `max`; the waker stamps the
//!   time) says a longer spin would have caught it, so the budget doubles again, starting from
//!   a sixteenth of `max`; and where the thread had woken its partner from a sleep just
//!   before (the answer's delay is the partner's futex wake-up), to at least twice the whole
//!   wait (the failed spin and the sleep up to the answer);
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
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A spin longer than this between two clock reads means the thread lost its core.
const DESCHEDULED: Duration = Duration::from_micros(50);
/// With no budget left, one wait in this many probes with a short spin.
const PROBE_EVERY: u32 = 8;

/// Threads spinning now.
static SPINNERS: AtomicUsize = AtomicUsize::new(0);
/// The process's cores (0: not read yet).
static CORES: AtomicUsize = AtomicUsize::new(0);

/// The cores this process may use (`available_parallelism`, at least 1, read once): also the
/// most threads that may spin at once.
pub(crate) fn cores() -> usize {
    match CORES.load(Ordering::Relaxed) {
        0 => {
            let n = std::thread::available_parallelism().map_or(1, |n| n.get());
            CORES.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// A slot among the spinners, released on drop.
struct Spinner;

impl Spinner {
    fn enter() -> Option<Spinner> {
        if SPINNERS.fetch_add(1, Ordering::Relaxed) < cores() {
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

/// How long 16 `spin_loop` hints take on this machine, in nanoseconds (0: not measured yet).
static PAUSE_NS_X16: AtomicU32 = AtomicU32::new(0);

/// How many `spin_loop` hints last about `every` here (at least one).
///
/// A hint's cost differs by two orders of magnitude between CPUs: about 25 ns on the AMD EPYC
/// this was tuned on (65 cycles), about 40 ns on Intel parts since Skylake (140 cycles), a few
/// cycles on older ones. A fixed count would make a spinner look for its answer every 1.6 us
/// on one machine and every 100 ns on another; the answer's latency is what the spin is for.
/// Measured here with 64 hints (1.6 us) between an idle worker's looks for work, a round trip
/// between goroutines on two workers took 2.3-2.5 us; with 200 ns between looks, 0.8 us.
pub(crate) fn pauses_for(every: Duration) -> u32 {
    let x16 = match PAUSE_NS_X16.load(Ordering::Relaxed) {
        0 => calibrate(),
        v => v,
    };
    let ns = every.as_nanos().min(u32::MAX as u128 / 16) as u32;
    (ns * 16 / x16).max(1)
}

/// Runs `n` spin-loop hints (`pauses_for` turns a time into a count).
#[inline]
pub(crate) fn pause(n: u32) {
    for _ in 0..n {
        std::hint::spin_loop();
    }
}

/// Times a run of hints three times and keeps the fastest (a run the thread was descheduled
/// in reads long). Takes about 20 us, once per process.
#[cold]
fn calibrate() -> u32 {
    const HINTS: u32 = 256;
    let fastest = (0..3)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..HINTS {
                std::hint::spin_loop();
            }
            start.elapsed()
        })
        .min()
        .unwrap_or_default();
    let x16 = (fastest.as_nanos() * 16 / HINTS as u128).clamp(1, 1 << 20) as u32;
    PAUSE_NS_X16.store(x16, Ordering::Relaxed);
    x16
}

/// Nanoseconds since this process first asked, plus one (so that 0 means "no stamp"): a
/// waker writes one where its sleeper can read it (`answered_after`); the I/O hook times its
/// polls with it.
pub(crate) fn stamp() -> u64 {
    stamp_at(Instant::now())
}

/// The [`stamp`] of the instant `at` (1 for an instant before the first stamp).
pub(crate) fn stamp_at(at: Instant) -> u64 {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    (at.saturating_duration_since(epoch).as_nanos() as u64).saturating_add(1)
}

/// How long after a sleep began (`slept_at`, a [`stamp`]) its answer was sent: the waker's
/// stamp `woken_at` if it wrote one during this sleep, else the whole sleep (up to now).
pub(crate) fn answered_after(slept_at: u64, woken_at: u64) -> Duration {
    let until = if woken_at >= slept_at {
        woken_at
    } else {
        stamp()
    };
    Duration::from_nanos(until.saturating_sub(slept_at))
}

/// One thread's spin budget (it lives in a thread-local or in a worker's private state).
#[derive(Debug)]
pub(crate) struct SpinBudget {
    /// Nanoseconds the next spin may last.
    ns: Cell<u32>,
    max: u32,
    /// Waits that found no budget since the last probe.
    skipped: Cell<u32>,
    /// How long the last spin lasted if it ran out of budget (0 if it was skipped or lost its
    /// core): the part of the wait before the sleep that `slept` judges.
    failed: Cell<u32>,
}

impl SpinBudget {
    /// A budget of at most `max`, starting full.
    pub(crate) const fn new(max: Duration) -> SpinBudget {
        let max = max.as_nanos() as u32;
        SpinBudget {
            ns: Cell::new(max),
            max,
            skipped: Cell::new(0),
            failed: Cell::new(0),
        }
    }

    /// The budget now (for tests and diagnostics).
    #[cfg(test)]
    pub(crate) fn current(&self) -> Duration {
        Duration::from_nanos(self.ns.get() as u64)
    }

    /// Calls `poll` until it returns `Some`, spinning between calls, for at most the budget;
    /// `None` if the budget ran out first. Two polls are about `every` apart (spin-loop hints
    /// in between, as many as last that long here: see [`pauses_for`]).
    #[inline]
    pub(crate) fn spin<T>(
        &self,
        every: Duration,
        mut poll: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        if let Some(v) = poll() {
            return Some(v);
        }
        self.failed.set(0);
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
        self.spin_slow(budget, every, &mut poll)
    }

    #[cold]
    fn spin_slow<T>(
        &self,
        budget: u32,
        every: Duration,
        poll: &mut impl FnMut() -> Option<T>,
    ) -> Option<T> {
        let _spinner = Spinner::enter()?;
        let hints = pauses_for(every);
        let budget = Duration::from_nanos(budget as u64);
        let start = Instant::now();
        let mut last = start;
        loop {
            for _ in 0..8 {
                pause(hints);
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
                self.failed
                    .set((now - start).as_nanos().min(u32::MAX as u128) as u32);
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

    /// Tells the budget when the answer came to the sleep that followed a failed spin,
    /// counted from the sleep's start ([`answered_after`]): within `max`, a longer spin would
    /// have caught it.
    ///
    /// When the answer was sent, not when the sleeper woke: a futex wake-up takes 20-40 us on
    /// a VM, longer than `max`. Judged by when it woke, a thread and an idle worker that both
    /// once slept (one descheduled moment is enough) kept sleeping, since every sleep lasted
    /// longer than `max`, however quick the other side's answer: a main thread's batch of 20k
    /// round trips with a goroutine took 1.4-6 us each instead of 0.55-0.65 us in 5 batches
    /// of 48; judged by the answer, in 6 of 192.
    ///
    /// `partner_slept`: the caller woke its partner from a sleep just before this wait. Then
    /// the budget also grows to at least twice the whole wait, the spin that failed before the
    /// sleep included: that is what a spin would have needed to see the partner wake, answer,
    /// and (both awake again) the ping-pong go on without a futex. Doubling alone left two
    /// threads that had both once slept halving at every spin that timed out and doubling at
    /// every sleep, with budgets that stayed below the partner's wake-up: batches of 10k round
    /// trips took 1-9 us instead of 0.4-0.45 us in 14 of 192; with the whole wait counted, in
    /// 4 of 192. Not after any sleep: a main thread beside a busy process, talking to a
    /// goroutine, also sees its answer soon after it sleeps, because its sleep gives the
    /// goroutine's worker the core; spinning longer there doubled its round trip (median of
    /// 5 runs 22.7 -> 44.8 us), so only the wake-up of a sleeping partner counts.
    #[inline]
    pub(crate) fn slept(&self, answered_after: Duration, partner_slept: bool) {
        if answered_after.as_nanos() < self.max as u128 {
            let waited = if partner_slept {
                (answered_after.as_nanos() as u32).saturating_add(self.failed.get())
            } else {
                0
            };
            let grown = self
                .ns
                .get()
                .saturating_mul(2)
                .max(self.max / 16)
                .max(waited.saturating_mul(2));
            self.ns.set(grown.min(self.max));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_scale_with_the_gap_asked_for() {
        assert_eq!(pauses_for(Duration::ZERO), 1);
        let one = pauses_for(Duration::from_micros(1));
        let hundred = pauses_for(Duration::from_micros(100));
        // The count is linear in the gap (up to the rounding of one hint), and no machine
        // takes anywhere near 100 us for one hint.
        assert!(hundred > 1, "100 us of spinning is {hundred} hint(s)");
        assert!(
            hundred / 100 + 1 >= one && hundred / 100 <= one + 1,
            "1 us: {one} hints, 100 us: {hundred}"
        );
        // Measured once: the second call reads the same calibration.
        assert_eq!(pauses_for(Duration::from_micros(100)), hundred);
    }

    #[test]
    fn a_sleep_is_judged_by_when_its_answer_was_sent() {
        let slept_at = stamp();
        std::thread::sleep(Duration::from_millis(2));
        // The waker stamped 3 us into the sleep: that is the answer's delay, however long the
        // sleeper took to wake.
        assert_eq!(
            answered_after(slept_at, slept_at + 3_000),
            Duration::from_micros(3)
        );
        // No stamp from this sleep (a stale one from an earlier sleep, or none): the whole
        // sleep counts.
        assert!(answered_after(slept_at, slept_at.saturating_sub(1)) >= Duration::from_millis(2));
        assert!(answered_after(slept_at, 0) >= Duration::from_millis(2));
        assert!(stamp() >= slept_at + 2_000_000);
    }

    #[test]
    fn budget_adapts() {
        let b = SpinBudget::new(Duration::from_micros(16));
        assert_eq!(b.spin(Duration::ZERO, || Some(3)), Some(3));
        assert_eq!(b.current(), Duration::from_micros(16));
        // A spin that fails halves the budget (or drops it if it lost the core).
        assert_eq!(b.spin(Duration::ZERO, || None::<()>), None);
        assert!(b.current() <= Duration::from_micros(8));
        while b.current() > Duration::ZERO {
            b.spin(Duration::ZERO, || None::<()>);
        }
        // With no budget, a spin is one poll, but every `PROBE_EVERY`th one spins a little.
        let mut polls = 0;
        for _ in 1..PROBE_EVERY {
            assert_eq!(
                b.spin(Duration::ZERO, || {
                    polls += 1;
                    None::<()>
                }),
                None
            );
        }
        assert_eq!(polls, PROBE_EVERY - 1);
        // (The first few polls of a spin come before any look at the clock.)
        let probed = b.spin(Duration::ZERO, || {
            polls += 1;
            (polls == PROBE_EVERY + 2).then_some(polls)
        });
        assert_eq!(probed, Some(PROBE_EVERY + 2));
        assert!(b.current() > Duration::ZERO);
        while b.current() > Duration::ZERO {
            b.spin(Duration::ZERO, || None::<()>);
        }
        // A short sleep regrows it; a long one doesn't. (A wait with no budget spins not at
        // all: the sleep is the whole wait.)
        assert_eq!(b.spin(Duration::ZERO, || None::<()>), None);
        b.slept(Duration::from_micros(25), true);
        assert_eq!(b.current(), Duration::ZERO);
        b.slept(Duration::from_nanos(200), true);
        assert_eq!(b.current(), Duration::from_micros(1));
        b.slept(Duration::from_nanos(200), true);
        assert_eq!(b.current(), Duration::from_micros(2));
        // To twice the wait, where that is more than doubling gives.
        b.slept(Duration::from_micros(3), true);
        assert_eq!(b.current(), Duration::from_micros(6));
    }

    #[test]
    fn a_sleep_after_a_failed_spin_counts_the_spin_too() {
        // A spin that runs out of budget remembers how long it lasted; one that lost its core
        // does not (its length says nothing of the answer: the budget is dropped). (And one
        // that found every spinner's slot taken did not spin: its budget is whole.)
        let b = SpinBudget::new(Duration::from_micros(16));
        b.spin(Duration::ZERO, || None::<()>);
        match b.current().as_micros() {
            8 => assert!(b.failed.get() >= 16_000, "{} ns", b.failed.get()),
            0 => assert_eq!(b.failed.get(), 0),
            _ => assert_eq!(b.current(), Duration::from_micros(16)),
        }
        // The answer came 1 us into the sleep, after a spin of 8 us that failed: a spin of
        // 9 us would have caught it, so the budget grows to twice that (up to `max`), not
        // just to twice the 4 us it had left.
        b.ns.set(4_000);
        b.failed.set(8_000);
        b.slept(Duration::from_micros(1), true);
        assert_eq!(b.current(), Duration::from_micros(16));
        let b = SpinBudget::new(Duration::from_micros(64));
        b.ns.set(4_000);
        b.failed.set(8_000);
        b.slept(Duration::from_micros(1), true);
        assert_eq!(b.current(), Duration::from_micros(18));
    }
}
