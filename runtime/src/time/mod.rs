//! Go's `time` package, the concurrency part: [`sleep`], [`after`], [`tick`], [`after_func`],
//! [`Timer`] and [`Ticker`], whose channels carry [`Time`] values (Go's `time.Time`), plus
//! [`now`], [`since`] and the `Duration` constants [`NANOSECOND`] ... [`HOUR`]
//! (`100 * time::MILLISECOND`).
//!
//! # Go 1.23 semantics
//!
//! gocsp follows the timer rules Go adopted in 1.23, which remove two classic traps:
//!
//! - **No stale values.** After [`Timer::stop`] or [`Timer::reset`] returns (and the same for
//!   tickers), a receive from the channel never yields a time from before that call: an
//!   undelivered value is discarded by `stop`/`reset`.
//! - **No leaks.** A timer or ticker that the program no longer references is freed even if it
//!   was never stopped: the timer facility holds only a weak reference to its channel, so
//!   `select!` on `time::after(...)` in a loop, or a dropped `Ticker`, costs nothing once gone.
//! - **An expired timer is seen at once.** A receive that finds a timer's channel empty after
//!   the timer's deadline makes it fire there and then, so a `select!` with `default` or a
//!   `try_recv` never misses a timer whose time has come (whoever fires it may not have got
//!   to it yet).
//!
//! Timer channels have a buffer of one (Go 1.23 reports a capacity of 0 for them; gocsp's
//! report 1). A pending timer costs a heap entry, never a thread. As in Go, which keeps a timer
//! heap per P, a timer set in a goroutine goes in its worker's heap, and the worker fires it
//! between goroutines or wakes up for it, so a goroutine's `sleep` ends with no other thread
//! involved. Timers set on plain threads go in one global heap, served by the `gocsp-timer`
//! thread, which starts with the first timer; if the OS refuses it, that first use panics
//! ("gocsp: cannot start the timer thread: ...") and the next use tries again.
//!
//! ```
//! use gocsp::prelude::*;
//!
//! let start = time::now();
//! let ticker = time::Ticker::new(5 * time::MILLISECOND);
//! let timeout = time::after(time::MINUTE);
//! let mut last = time::Time::default(); // Go's zero time
//! let mut ticks = 0;
//! while ticks < 3 {
//!     select! {
//!         case t := <-ticker.c():
//!             last = t;
//!             ticks += 1
//!         case <-timeout:
//!             panic!("no ticks")
//!     }
//! }
//! ticker.stop();
//! assert!(last.after(start) && time::since(start) >= 15 * time::MILLISECOND);
//! ```

mod clock;
pub(crate) mod heap;

pub(crate) use clock::go_duration;
pub use clock::{
    HOUR, MICROSECOND, MILLISECOND, MINUTE, NANOSECOND, SECOND, Time, now, since, until,
};
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
pub use std::time::{Duration, Instant};

use crate::chan::{Chan, Receiver, WeakChan};
use crate::loom::{SpinGuard, SpinLock};
use crate::waiter::{self, BlockReason, Selected};
use heap::Node;

/// `now + d`, saturated to a point a century away when `d` is too long to represent (as Go
/// saturates its times): such a timer, sleep or deadline simply never comes.
pub(crate) fn deadline_after(d: Duration) -> Instant {
    saturating_add(Instant::now(), d)
}

/// `t + d`, or a century after `t` when that is not representable.
fn saturating_add(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(t)
}

/// The next tick of a ticker with `period` whose tick due at `when` fires at `now`: the first
/// `when + k * period` after `now`. Ticks missed in between are dropped in one step, as Go
/// does, so re-arming costs the same whatever the period and however late its firing
/// is (stepping one period at a time fell further behind on every tick of a 1 ns ticker and
/// stalled every other timer).
fn next_tick(when: Instant, period: Duration, now: Instant) -> Instant {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let behind = now.saturating_duration_since(when);
    // Within 584 years both fit 64 bits, whose division is an instruction (`u128`'s is a call).
    if let (Ok(period), Ok(behind)) = (
        u64::try_from(period.as_nanos().max(1)),
        u64::try_from(behind.as_nanos()),
    ) && let Some(step) = (behind / period)
        .checked_add(1)
        .and_then(|n| n.checked_mul(period))
    {
        return saturating_add(when, Duration::from_nanos(step));
    }
    let period = period.as_nanos().max(1);
    let behind = behind.as_nanos();
    let step = (behind / period + 1) * period;
    let step = match u64::try_from(step / NANOS_PER_SEC) {
        Ok(secs) => Duration::new(secs, (step % NANOS_PER_SEC) as u32),
        Err(_) => Duration::MAX,
    };
    saturating_add(when, step)
}

/// Pauses the calling goroutine for at least `d`, freeing its worker meanwhile (Go's
/// `time.Sleep`). On a plain thread it is `std::thread::sleep`.
#[track_caller]
pub fn sleep(d: Duration) {
    if d.is_zero() {
        crate::yield_now();
        return;
    }
    if !crate::sched::in_goroutine() {
        std::thread::sleep(d);
        return;
    }
    let site = Location::caller();
    let when = deadline_after(d);
    waiter::with_current(|w| {
        let token = crate::chan::array::Token::default();
        let oper = waiter::oper_of(&token);
        let target = w.clone();
        let _node = heap::schedule(
            when,
            Box::new(move |_| {
                if target.try_select(Selected::Operation(oper)).is_ok() {
                    target.unpark();
                }
            }),
        );
        w.wait(BlockReason::Sleep, site);
    });
}

/// A channel that receives the current time once, after `d` (Go's `time.After`).
///
/// ```
/// use gocsp::time;
///
/// let start = time::now();
/// let fired = time::after(5 * time::MILLISECOND).recv().unwrap();
/// assert!(fired.sub(start) >= 5 * time::MILLISECOND);
/// ```
pub fn after(d: Duration) -> Receiver<Time> {
    Timer::new(d).c
}

/// A channel that receives the time every `d` (Go's `time.Tick`). The ticker behind it stops
/// once the channel is no longer referenced. For a zero `d` it is the nil channel, which never
/// delivers (Go's `Tick` returns nil for a non-positive duration).
pub fn tick(d: Duration) -> Receiver<Time> {
    if d.is_zero() {
        return Receiver::nil();
    }
    Ticker::new(d).c
}

/// Runs `f` in its own goroutine after `d` (Go's `time.AfterFunc`). The returned timer's
/// [`stop`](Timer::stop) cancels the call if it has not started; its channel is nil. As in Go,
/// [`reset`](Timer::reset) schedules `f` to run again, even after it has run; a run that
/// comes while the previous one is still going waits for it (Go would run the two at once).
///
/// ```
/// use gocsp::{time, Chan};
///
/// let ran: Chan<()> = Chan::new(2);
/// let tx = ran.sender();
/// let t = time::after_func(time::MILLISECOND, move || tx.send(()));
/// ran.recv();
/// assert!(!t.reset(time::MILLISECOND), "it had fired");
/// ran.recv(); // and runs again
/// ```
pub fn after_func<F>(d: Duration, f: F) -> Timer
where
    F: FnMut() + Send + 'static,
{
    let state = SpinLock::new(TimerState::default());
    // A goroutine-aware lock: a run that comes while the previous one is blocked (it may have
    // reset its own timer, then slept) parks until it is done; a thread's lock would block
    // the worker, and with it the previous run if it lives there.
    let f = Arc::new(crate::sync::Mutex::new(f));
    let shared = Arc::new(Shared {
        chan: Chan::nil().downgrade(),
        state,
        kind: Kind::Func(Box::new(move || {
            let f = f.clone();
            let run = move || (f.lock())();
            // At the goroutine limit the function still runs, on a thread of its own: a timer
            // callback never fails silently.
            if let Err((_, run)) = crate::sched::spawn_or_return(None, crate::sched::Job::new(run))
            {
                let _ = std::thread::Builder::new()
                    .name("gocsp-after-func".into())
                    .spawn(move || run.run());
            }
        }) as Box<dyn Fn() + Send + Sync>),
    });
    arm(&shared, &mut lock(&shared.state), deadline_after(d));
    Timer {
        c: Receiver::default(),
        shared,
    }
}

/// A timer's state lock: a spin lock, held for a few field updates (and at most a channel's
/// non-blocking send or a heap insertion). Its owner takes it twice per stop + reset, its
/// heap's server once per firing, so it is almost never contended, and a std `Mutex`'s
/// unlock is an atomic swap where a spin lock's is a store: stop + reset 42 -> 37 ns.
fn lock<T>(m: &SpinLock<T>) -> SpinGuard<'_, T> {
    m.lock()
}

#[derive(Default)]
struct TimerState {
    node: Option<Arc<Node>>,
    /// When the pending firing is due (meaningful while `active`).
    when: Option<Instant>,
    /// Bumped by every stop/reset: a firing node acts only if its generation is current.
    epoch: u64,
    /// Armed and not yet fired (in this generation).
    active: bool,
    /// The time of a ticker's tick that came while its channel still held the last one: it
    /// was dropped, and the ticker rests until a receive takes the held value (`taken`) or
    /// finds the channel empty (`run_if_due`), which re-arm it for the first tick after then.
    /// Meanwhile it has no heap entry, and its channel holds it (`Array::rest_timer`). (Go
    /// 1.23 likewise keeps a channel timer that nobody waits on out of its heap.)
    suspended: Option<Instant>,
    /// A ticker's period (zero for the other kinds): under this lock, which every tick takes
    /// anyway.
    period: Duration,
}

enum Kind {
    /// A one-shot timer: send the time once.
    Once,
    /// A ticker (its period is `TimerState::period`).
    Every,
    /// `after_func`.
    Func(Box<dyn Fn() + Send + Sync>),
}

struct Shared {
    chan: WeakChan<Time>,
    state: SpinLock<TimerState>,
    kind: Kind,
}

/// Schedules `shared` to fire at `when` in the current generation. The caller holds the
/// state lock (so a firing cannot overtake the bookkeeping).
fn arm(shared: &Arc<Shared>, st: &mut TimerState, when: Instant) {
    let firing = shared.clone();
    let epoch = st.epoch;
    // The deadline of the entry's next firing: it moves when the entry is re-armed in place.
    let mut due = when;
    let node = heap::schedule_repeating(
        when,
        Box::new(move |node, now| {
            let again = fire(&firing, epoch, due, now, node);
            if let Some(next) = again {
                due = next;
            }
            again
        }),
        shared.chan.probe(),
    );
    st.node = Some(node);
    st.when = Some(when);
    st.active = true;
}

/// Arms the timer again at `when`: with `node`, its entry firing now, if there is one and it
/// can go back where it was set (`Node::rearms_here`); the heap puts it back in when the
/// firing returns `Some(when)`, which this returns. Else with a new entry, and `None`. The
/// generation stays: the entry's action acts only in it (a stop or reset meanwhile moves to a
/// new one, and the entry then does nothing when it comes due). The caller holds the state
/// lock.
fn rearm(
    shared: &Arc<Shared>,
    st: &mut TimerState,
    node: Option<&Arc<Node>>,
    when: Instant,
) -> Option<Instant> {
    let Some(node) = node.filter(|n| n.rearms_here()) else {
        arm(shared, st, when);
        return None;
    };
    // Armed under the state lock: a stop or reset that comes once the lock is released finds
    // the entry armed, and cancels it.
    node.rearm_in_place();
    st.node = Some(node.clone());
    st.when = Some(when);
    st.active = true;
    Some(when)
}

/// The firing of `shared`'s entry `node`, due at `when` in generation `epoch`; the deadline at
/// which the entry is due again, if it is (see `rearm`).
fn fire(
    shared: &Arc<Shared>,
    epoch: u64,
    when: Instant,
    now: Instant,
    node: &Arc<Node>,
) -> Option<Instant> {
    let mut st = lock(&shared.state);
    if st.epoch != epoch {
        return None;
    }
    st.node = None;
    // Stopped while this entry waited in the heap (`Timer::stop` leaves it for a `reset`).
    if !st.active {
        return None;
    }
    // Pushed back by a `reset` while this entry waited in the heap: the entry goes back in at
    // the new deadline instead of firing.
    if let Some(later) = st.when.filter(|&w| w > when && w > now) {
        return rearm(shared, &mut st, Some(node), later);
    }
    deliver(shared, st, when, now, Some(node))
}

/// Delivers the firing due at `when` (the state lock held, the pending node already dealt
/// with): sends the time, re-arms a ticker, or starts `after_func`'s function. A ticker is
/// re-armed with `node`, the entry firing now, if it can be (see `rearm`; its return value),
/// else with a new entry.
fn deliver(
    shared: &Arc<Shared>,
    mut st: SpinGuard<'_, TimerState>,
    when: Instant,
    now: Instant,
    node: Option<&Arc<Node>>,
) -> Option<Instant> {
    st.active = false;
    match &shared.kind {
        Kind::Func(f) => {
            drop(st);
            f();
            None
        }
        Kind::Once => {
            if let Some(ch) = shared.chan.upgrade() {
                let _ = ch.try_send(Time::from_instant(now));
            }
            None
        }
        Kind::Every => {
            let ch = shared.chan.upgrade()?;
            // A slow receiver misses ticks rather than getting a backlog (Go's rule). Until it
            // takes the tick it has, the ticker rests (`suspended`): re-armed every period
            // meanwhile, 5,000 tickers of 1 ms whose receivers had fallen behind kept one
            // worker busy dropping ticks (3.6M in a run of 1.4 s that Go does in 0.13 s).
            if ch.try_send(Time::from_instant(now)).is_err() {
                st.suspended = Some(when);
                // A `tick` channel's timer has no other owner, and a receive that finds the
                // channel empty needs it; held by the channel, it is freed with it.
                if !ch.rest_timer(shared.clone()) {
                    // The tick was taken meanwhile.
                    shared.resume(&mut st);
                }
                return None;
            }
            let next = next_tick(when, st.period, now);
            rearm(shared, &mut st, node, next)
        }
    }
}

impl crate::chan::array::Expiry for Shared {
    /// A receive found this timer's channel empty: if the deadline has passed, fire now, as
    /// Go 1.23's receives do (`maybeRunChan`), instead of leaving the value to the timer's
    /// heap, whose server may not have got to it yet (`select` with `default` on an expired
    /// timer took the default 200 times in 200). The firing moves to a new generation first,
    /// so a node a server has already taken does nothing (`retire`); a firing a server
    /// has under way holds the lock, and is waited for.
    fn run_if_due(self: Arc<Self>) {
        let mut st = lock(&self.state);
        if st.suspended.is_some() {
            // Its held tick was taken (this receive found the channel empty) and `taken` has
            // not run yet: the same.
            self.resume(&mut st);
            return;
        }
        let Some(when) = st.when.filter(|_| st.active) else {
            return;
        };
        let now = Instant::now();
        if when > now || matches!(self.kind, Kind::Func(_)) {
            return;
        }
        retire(&mut st);
        deliver(&self, st, when, now, None);
    }

    /// A receive took this timer's value: a resting ticker starts again.
    fn taken(self: Arc<Self>) {
        let mut st = lock(&self.state);
        if st.suspended.is_some() {
            self.resume(&mut st);
        }
    }
}

impl Shared {
    /// Ends a ticker's rest (`TimerState::suspended`), if it rests: its channel lets go of it
    /// (the caller holds it). Returns the dropped tick's time.
    fn stop_resting(&self, st: &mut TimerState) -> Option<Instant> {
        let dropped = st.suspended.take()?;
        if let Some(ch) = self.chan.upgrade() {
            ch.wake_timer();
        }
        Some(dropped)
    }

    /// Re-arms a resting ticker for its first tick after now.
    fn resume(self: &Arc<Self>, st: &mut TimerState) {
        let Some(dropped) = self.stop_resting(st) else {
            return;
        };
        if let Kind::Every = self.kind {
            arm(self, st, next_tick(dropped, st.period, Instant::now()));
        }
    }
}

/// Moves the timer to a new generation and cancels its pending node: a firing a heap's server
/// has already taken then does nothing.
fn retire(st: &mut TimerState) {
    st.epoch += 1;
    if let Some(n) = st.node.take() {
        n.cancel();
    }
}

/// A timer with a channel (`Timer`, `Ticker`) firing first after `d`: the channel (of one
/// value, linked to the timer so that a receive after the deadline fires it) and the timer.
fn start_channel_timer(kind: Kind, d: Duration) -> (Receiver<Time>, Arc<Shared>) {
    let ch = Chan::new(1);
    let period = if matches!(kind, Kind::Every) {
        d
    } else {
        Duration::ZERO
    };
    let shared = Arc::new(Shared {
        chan: ch.downgrade(),
        state: SpinLock::new(TimerState {
            period,
            ..TimerState::default()
        }),
        kind,
    });
    ch.set_expiry(Arc::downgrade(&shared) as std::sync::Weak<dyn crate::chan::array::Expiry>);
    arm(&shared, &mut lock(&shared.state), deadline_after(d));
    (ch.receiver(), shared)
}

/// Stops whatever is pending for `shared` and discards an undelivered value. Returns true if
/// the timer was pending or had an undelivered value.
fn stop_inner(shared: &Shared, st: &mut TimerState) -> bool {
    shared.stop_resting(st);
    retire(st);
    // `active` (not the heap node's state) says whether it fired: its heap's server may have
    // taken the node but not yet got this lock, in which case it will see the new generation
    // and do nothing, so the timer counts as stopped before firing.
    let pending = std::mem::take(&mut st.active);
    let undelivered = shared.chan.upgrade().is_some_and(|ch| ch.discard_one());
    pending || undelivered
}

/// A single event: its channel receives the time once, when it expires (Go's `time.Timer`).
///
/// A `Timer` is a handle: clones share one timer (stop one, and every clone is stopped), so
/// a goroutine can own a clone, as Go code shares a `*Timer`.
///
/// ```
/// use gocsp::time::{self, Timer};
///
/// let t = Timer::new(time::HOUR);
/// assert!(t.stop());                    // stopped before it fired
/// assert!(t.c().try_recv().is_err());   // and nothing will arrive
/// t.reset(time::MILLISECOND);
/// assert!(t.c().recv().is_some());
/// ```
#[derive(Clone)]
pub struct Timer {
    c: Receiver<Time>,
    shared: Arc<Shared>,
}

impl Timer {
    /// A timer that fires after `d`.
    pub fn new(d: Duration) -> Timer {
        let (c, shared) = start_channel_timer(Kind::Once, d);
        Timer { c, shared }
    }

    /// The channel on which the time is delivered (Go's `t.C`): a handle to it, cheap to
    /// clone, so `<-timer.c()` and `go!` closures that own it both work.
    pub fn c(&self) -> Receiver<Time> {
        self.c.clone()
    }

    /// Stops the timer. Returns `true` if it had not fired yet, or had fired but its value was
    /// not received (which is then discarded); `false` if it was already stopped or its value
    /// was received. Afterwards nothing arrives on the channel until a [`reset`](Self::reset).
    pub fn stop(&self) -> bool {
        let mut st = lock(&self.shared.state);
        // Pending: the heap entry stays, off the deadlock check's count, for a `reset` to
        // reuse (Go's timers are deleted in place, and reset from there); when it comes due
        // unused, `fire` finds the timer inactive and does nothing. Stop + reset took 106 ns
        // when the stop cancelled the entry and the reset scheduled a new one (Go: 38).
        // Channel timers only: such an entry is one per live `Timer`, and once the `Timer`
        // is dropped the heap's sweep of timers nobody can observe takes it out. An
        // `after_func`'s entry has no channel to tell that, and would keep the function and
        // what it holds alive until the old deadline: it is cancelled.
        if st.active
            && matches!(self.shared.kind, Kind::Once)
            && let Some(node) = st.node.as_ref().filter(|n| n.is_armed())
        {
            node.uncount();
            // Nothing is undelivered while it is pending: only the timer sends on its
            // channel, `deliver` clears `active` before it sends, and every arming after a
            // delivery discards what is left (`stop_inner`).
            st.active = false;
            return true;
        }
        stop_inner(&self.shared, &mut st)
    }

    /// Re-arms the timer to fire after `d`, discarding a pending or undelivered value. Returns
    /// what [`stop`](Self::stop) would have.
    pub fn reset(&self, d: Duration) -> bool {
        let when = deadline_after(d);
        let mut st = lock(&self.shared.state);
        // Pushed back while pending (an idle timeout reset on every message, Go 1.23's
        // `t.Reset(d)` without `Stop`): the heap entry stays, and when it comes due, `fire`
        // schedules the new deadline instead (Go moves the timer in place). No value can be
        // undelivered while the timer is pending. The same for a timer stopped while pending
        // (`stop` left its entry): the entry is reused, back on the deadlock check's count.
        if st.when.is_some_and(|w| when >= w) && st.node.as_ref().is_some_and(|n| n.is_armed()) {
            st.when = Some(when);
            if st.active {
                return true;
            }
            if let Some(node) = &st.node {
                node.recount();
            }
            // Stopped while pending, so nothing is undelivered (see `stop`): inactive.
            st.active = true;
            return false;
        }
        let was = stop_inner(&self.shared, &mut st);
        arm(&self.shared, &mut st, when);
        was
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Read, then formatted with the lock released: the writer may be slow.
        let pending = lock(&self.shared.state).active;
        f.debug_struct("Timer").field("pending", &pending).finish()
    }
}

/// Delivers the time on its channel every period (Go's `time.Ticker`). Ticks that a slow
/// receiver misses are dropped, not queued. Clones share one ticker, as [`Timer`]'s do.
#[derive(Clone)]
pub struct Ticker {
    c: Receiver<Time>,
    shared: Arc<Shared>,
}

impl Ticker {
    /// A ticker with period `d`.
    ///
    /// # Panics
    /// "non-positive interval for NewTicker" if `d` is zero, as in Go, naming the caller's line.
    #[track_caller]
    pub fn new(d: Duration) -> Ticker {
        assert!(!d.is_zero(), "non-positive interval for NewTicker");
        let (c, shared) = start_channel_timer(Kind::Every, d);
        Ticker { c, shared }
    }

    /// The channel on which ticks are delivered (Go's `t.C`): a handle to it, cheap to clone.
    pub fn c(&self) -> Receiver<Time> {
        self.c.clone()
    }

    /// Stops the ticker; an undelivered tick is discarded.
    pub fn stop(&self) {
        let mut st = lock(&self.shared.state);
        stop_inner(&self.shared, &mut st);
    }

    /// Stops the ticker and restarts it with period `d`.
    ///
    /// # Panics
    /// "non-positive interval for Ticker.Reset" if `d` is zero, naming the caller's line.
    #[track_caller]
    pub fn reset(&self, d: Duration) {
        assert!(!d.is_zero(), "non-positive interval for Ticker.Reset");
        let mut st = lock(&self.shared.state);
        stop_inner(&self.shared, &mut st);
        st.period = d;
        arm(&self.shared, &mut st, deadline_after(d));
    }
}

impl fmt::Debug for Ticker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let period = lock(&self.shared.state).period;
        f.debug_struct("Ticker").field("period", &period).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: Duration = Duration::from_nanos(1);
    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn next_tick_is_the_first_tick_after_now() {
        let t0 = Instant::now();
        assert_eq!(next_tick(t0, 10 * MS, t0), t0 + 10 * MS);
        assert_eq!(next_tick(t0, 10 * MS, t0 + 3 * MS), t0 + 10 * MS);
        // Late: missed ticks are dropped and the phase is kept.
        assert_eq!(next_tick(t0, 10 * MS, t0 + 25 * MS), t0 + 30 * MS);
        // Exactly on a tick: that one is due now, so the next is a period later.
        assert_eq!(next_tick(t0, 10 * MS, t0 + 30 * MS), t0 + 40 * MS);
    }

    #[test]
    fn next_tick_of_a_tiny_period_far_behind_is_one_step() {
        // Ten billion missed ticks of a 1 ns ticker, skipped in one computation.
        let t0 = Instant::now();
        let now = t0 + Duration::from_secs(10);
        assert_eq!(next_tick(t0, NS, now), now + NS);
        assert_eq!(next_tick(t0, 3 * NS, now), now + 2 * NS);
    }

    /// The heap entry of the timer's pending firing.
    fn entry(t: &Timer) -> Option<Arc<Node>> {
        lock(&t.shared.state).node.clone()
    }

    #[test]
    fn stop_and_reset_of_a_pending_timer_reuse_its_heap_entry() {
        let t = Timer::new(HOUR);
        let first = entry(&t).expect("pending");
        for _ in 0..3 {
            assert!(t.stop());
            assert!(!t.reset(HOUR));
            let now = entry(&t).expect("pending");
            assert!(
                Arc::ptr_eq(&first, &now),
                "a new entry for every stop + reset"
            );
            assert!(now.is_armed());
        }
        // A reset to an earlier deadline than the entry's needs a new entry.
        assert!(t.stop());
        assert!(!t.reset(MINUTE));
        let earlier = entry(&t).expect("pending");
        assert!(!Arc::ptr_eq(&first, &earlier));
        assert!(!first.is_armed(), "the old entry is cancelled");
        assert!(t.stop());
    }

    /// A ticker's ticks reuse its heap entry, fired and re-armed in place, in the global heap
    /// (a plain thread's ticker, served by the timer thread) and in a worker's (a
    /// goroutine's). The period is long enough that a receiver blocked for the next tick gets
    /// it at once, so the ticker never rests (which would drop the entry).
    #[test]
    fn a_tickers_ticks_reuse_its_heap_entry() {
        fn ticks_in_place() {
            let t = Ticker::new(20 * MS);
            let first = lock(&t.shared.state).node.clone().expect("pending");
            for _ in 0..3 {
                assert!(t.c().recv().is_some());
                let now = lock(&t.shared.state).node.clone().expect("pending");
                assert!(Arc::ptr_eq(&first, &now), "a new heap entry for a tick");
            }
            t.stop();
            assert!(
                !first.is_armed(),
                "the entry of a stopped ticker is still armed"
            );
        }
        ticks_in_place();
        crate::spawn(ticks_in_place).join().unwrap();
    }

    /// A ticker whose worker is busy is fired by sysmon, which sets its next entry in the
    /// global heap: the entry must not go back into a heap other than the one it was set in,
    /// whose counts it keeps. (It did once: the worker's count of cancelled entries grew for
    /// good when the moved entries were cancelled, and its heap was rebuilt at every insert.)
    #[test]
    fn a_ticker_fired_off_its_worker_leaves_that_workers_counts_in_order() {
        let rt = crate::Runtime::builder().workers(1).build().unwrap();
        let worker = &rt.shared().workers[0];
        let fired_off_worker = rt.block_on(|| {
            let t = Ticker::new(MS);
            // Busy, never parking (the worker cannot fire its timers meanwhile) until a tick
            // comes; then stopped at once, with its next entry set by whoever fired it.
            let start = Instant::now();
            while t.c().is_empty() && start.elapsed() < 5 * SECOND {
                std::hint::spin_loop();
            }
            let fired = !t.c().is_empty();
            t.stop();
            // And once more with the ticks taken, on the worker.
            t.reset(MS);
            for _ in 0..3 {
                t.c().recv();
            }
            t.stop();
            fired
        });
        assert!(fired_off_worker, "nobody fired the busy worker's ticker");
        let (cancelled, len) = (worker.timers.cancelled(), worker.timers.len());
        assert!(
            cancelled <= len,
            "{cancelled} cancelled entries counted in a heap of {len}"
        );
    }

    /// A stop that comes while a firing re-arms its entry in place (after the timer's lock is
    /// released, before the entry is back in its heap) still cancels it: the function of a
    /// stopped `after_func` is let go of, and the entry no longer counts as pending. (A first
    /// version armed the entry only after that window: the stop's cancel failed, and the entry
    /// went back in, pending, with its action, until its deadline, here an hour.)
    #[test]
    fn a_stop_while_the_entry_is_being_re_armed_cancels_it() {
        let rt = crate::Runtime::builder().workers(1).build().unwrap();
        let heap = &rt.shared().workers[0].timers;
        heap.pause_rearms(60 * MS);
        // Pushed back while pending: its entry is re-armed in place at the first deadline.
        let held = Arc::new(());
        let h = held.clone();
        let timer = rt.block_on(move || {
            let timer = after_func(10 * MS, move || {
                let _ = &h;
            });
            timer.reset(HOUR);
            timer
        });
        // The entry fires at about 10 ms, and pauses 60 ms before it goes back in.
        std::thread::sleep(40 * MS);
        timer.stop();
        drop(timer);
        std::thread::sleep(80 * MS);
        heap.pause_rearms(Duration::ZERO);
        assert_eq!(
            Arc::strong_count(&held),
            1,
            "a stopped after_func's function is kept until its deadline"
        );
        assert_eq!(heap.pending(), 0, "a stopped timer is still pending");
    }

    /// A timer pushed back while pending (`reset` without `stop`) keeps its heap entry through
    /// the old deadline, at which the entry goes back in for the new one, and fires once, at
    /// the new deadline.
    #[test]
    fn a_pushed_back_timer_keeps_its_heap_entry_past_the_old_deadline() {
        let t = Timer::new(10 * MS);
        let first = lock(&t.shared.state).node.clone().expect("pending");
        let start = Instant::now();
        assert!(t.reset(40 * MS), "it was pending");
        std::thread::sleep(20 * MS);
        let between = lock(&t.shared.state).node.clone().expect("pending");
        assert!(
            Arc::ptr_eq(&first, &between),
            "a new heap entry at the old deadline"
        );
        // Unless the timer thread is between its take of the entry and its action's lock (a
        // few microseconds, where the entry reads fired): wait that out.
        let look = Instant::now();
        while !between.is_armed() && look.elapsed() < 5 * MS {
            std::thread::yield_now();
        }
        assert!(
            between.is_armed(),
            "the entry is not armed for the new deadline"
        );
        drop(between);
        assert!(t.c().recv().is_some());
        assert!(start.elapsed() >= 40 * MS, "fired before the new deadline");
        let now = lock(&t.shared.state).node.clone();
        assert!(now.is_none(), "an entry left after the firing");
        assert!(!first.is_armed(), "the entry is still armed after it fired");
        assert!(t.c().try_recv().is_err(), "fired twice");
    }

    #[test]
    fn a_ticker_shows_its_period_and_a_reset_changes_it() {
        let t = Ticker::new(HOUR);
        assert_eq!(format!("{t:?}"), "Ticker { period: 3600s }");
        t.reset(MINUTE);
        assert_eq!(format!("{t:?}"), "Ticker { period: 60s }");
        t.stop();
    }

    #[test]
    fn a_stopped_after_func_lets_go_of_its_function_once_dropped() {
        let held = Arc::new(());
        let h = held.clone();
        let t = after_func(HOUR, move || {
            let _ = &h;
        });
        assert_eq!(Arc::strong_count(&held), 2);
        assert!(t.stop());
        drop(t);
        assert_eq!(
            Arc::strong_count(&held),
            1,
            "the function of a stopped and dropped after_func is kept until its old deadline"
        );
    }

    /// A ticker whose tick nobody took drops the next one and rests, with no heap entry, until
    /// a receive takes the tick it holds; then it ticks on. Held by nothing but its channel
    /// (as `tick`'s is), it lives on while it rests, and goes with the channel.
    #[test]
    fn a_ticker_whose_tick_is_not_taken_rests_until_it_is() {
        let Ticker { c, shared } = Ticker::new(MS);
        let timer = Arc::downgrade(&shared);
        drop(shared);
        let resting = || {
            let shared = timer
                .upgrade()
                .expect("the ticker was freed with its channel alive");
            let st = lock(&shared.state);
            st.suspended.is_some() && st.node.is_none()
        };
        let wait_resting = |what: &str| {
            let start = Instant::now();
            while !resting() {
                assert!(start.elapsed() < Duration::from_secs(5), "{what}");
                std::thread::sleep(MS);
            }
        };
        wait_resting("the ticker kept firing with its tick not taken");
        let held = c.try_recv().expect("the tick it holds");
        assert!(!resting(), "taking the tick did not wake the ticker");
        let next = c.recv().expect("the next tick");
        assert!(next.after(held));
        // Resting again, then let go of with its channel.
        wait_resting("it did not rest again");
        drop(c);
        assert!(
            timer.upgrade().is_none(),
            "a resting ticker outlived its channel"
        );
    }

    #[test]
    fn next_tick_of_a_huge_period_saturates() {
        let t0 = Instant::now();
        assert!(next_tick(t0, Duration::MAX, t0) > t0);
        assert!(next_tick(t0, Duration::MAX, t0 + MS) > t0 + MS);
    }
}
