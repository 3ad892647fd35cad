//! Go's `time`: `sleep` parks the goroutine (its worker runs others meanwhile), `after`,
//! `tick`, `Timer` stop/reset with Go 1.23's rules (no stale values; what `stop` returns),
//! `Ticker` dropping ticks for a slow receiver, `after_func`.
//!
//! Durations are only ever checked from below ("at least d"): when something happens late
//! under load, nothing fails.
#![cfg(not(loom))]
// Under Miri the goroutine tests are compiled out (see .ci/miri); their helpers go unused.
#![cfg_attr(miri, allow(unused))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{HANG_GUARD, Rng, panic_of, scaled, test_seed, wait_blocked, wait_until};
use gocsp::time::{self, Ticker, Timer};
use gocsp::{Chan, GoroutineState, Runtime, Select, TryRecvError};

const MS: Duration = Duration::from_millis(1);

/// The monotonic reading of a time delivered by a timer (they all carry one).
#[track_caller]
fn mono(t: time::Time) -> Instant {
    t.instant().expect("a timer's time has a monotonic reading")
}

#[cfg(not(miri))]
#[test]
fn sleep_parks_the_goroutine_and_frees_its_worker() {
    // One worker: if `sleep` blocked the thread, nothing else could run on it.
    let rt: &'static Runtime = Box::leak(Box::new(Runtime::builder().workers(1).build().unwrap()));
    let sleeper = rt.spawn(|| time::sleep(Duration::from_secs(3600)));
    let g = wait_blocked(sleeper.id(), "sleep");
    let GoroutineState::Blocked { site, .. } = g.state else {
        unreachable!()
    };
    assert_eq!(site.map(|s| s.file()), Some(file!()));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let sum = rt.block_on(|| {
            let ch: Chan<u32> = Chan::new(0);
            let tx = ch.sender();
            gocsp::go(move || {
                (0..1_000).for_each(|i| tx.send(i));
                tx.close();
            });
            ch.iter().sum::<u32>()
        });
        let _ = tx.send(sum);
    });
    assert_eq!(
        rx.recv_timeout(HANG_GUARD),
        Ok(499_500),
        "the worker did not run other goroutines while one slept"
    );
    assert_eq!(
        common::blocked_reason(sleeper.id()).as_deref(),
        Some("sleep")
    );
}

#[cfg(not(miri))]
#[test]
fn sleep_lasts_at_least_the_duration() {
    let d = 20 * MS;
    let elapsed = gocsp::spawn(move || {
        let start = Instant::now();
        time::sleep(d);
        start.elapsed()
    })
    .join()
    .unwrap();
    assert!(elapsed >= d, "slept {elapsed:?} < {d:?}");
    // On a plain thread too.
    let start = Instant::now();
    time::sleep(d);
    assert!(start.elapsed() >= d);
    // Zero is a yield.
    gocsp::spawn(|| time::sleep(Duration::ZERO)).join().unwrap();
    time::sleep(Duration::ZERO);
}

#[cfg(not(miri))]
#[test]
fn many_goroutines_sleep_at_once() {
    let n = 1_000;
    let wg = gocsp::WaitGroup::new();
    let start = Instant::now();
    for i in 0..n {
        wg.add(1);
        let wg = wg.clone();
        gocsp::go(move || {
            let d = Duration::from_micros(100 * (i % 50) as u64);
            let t = Instant::now();
            time::sleep(d);
            assert!(t.elapsed() >= d);
            wg.done();
        });
    }
    wg.wait();
    assert!(start.elapsed() >= Duration::from_micros(4_900));
}

/// A timer set by a goroutine goes in its worker's heap, which the worker serves between
/// goroutines. One that never parks or yields keeps its worker from them: sysmon fires them
/// once they are late, so a deadline it polls still expires.
#[cfg(not(miri))]
#[test]
fn a_deadline_set_by_a_goroutine_that_never_parks_still_expires() {
    let rt = Runtime::builder().workers(1).build().unwrap();
    let expired = rt
        .spawn(|| {
            let (ctx, _cancel) =
                gocsp::context::with_timeout(&gocsp::context::background(), 5 * MS);
            let start = Instant::now();
            while ctx.err().is_none() && start.elapsed() < HANG_GUARD {
                std::hint::spin_loop();
            }
            ctx.err().is_some()
        })
        .join()
        .unwrap();
    assert!(
        expired,
        "the deadline never expired while its goroutine ran"
    );
}

/// Timers still pending on the workers of a runtime that shuts down fire on the timer thread.
#[cfg(not(miri))]
#[test]
fn timers_set_in_a_runtime_that_shuts_down_still_fire() {
    let rt = Runtime::builder().workers(1).build().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let timer = rt
        .spawn(move || time::after_func(20 * MS, move || tx.send(()).unwrap()))
        .join()
        .unwrap();
    drop(rt);
    assert_eq!(
        rx.recv_timeout(HANG_GUARD),
        Ok(()),
        "the timer was lost with its runtime"
    );
    drop(timer);
}

#[test]
fn after_delivers_one_time_value() {
    let start = Instant::now();
    let c = time::after(10 * MS);
    assert_eq!(
        c.cap(),
        1,
        "timer channels have a buffer of one (Go 1.23 reports 0)"
    );
    let t = mono(c.recv().expect("after() delivers"));
    assert!(t >= start + 10 * MS);
    // Exactly once: a later, longer timer wins a select against it.
    let later = time::after(20 * MS);
    let mut sel = Select::new();
    let _rc = sel.recv(&c);
    let rl = sel.recv(&later);
    assert_eq!(sel.select(), rl.index());
}

#[test]
fn tick_delivers_repeatedly() {
    let start = Instant::now();
    let c = time::tick(5 * MS);
    let mut last = start;
    for k in 1..=3u32 {
        let t = mono(c.recv().unwrap());
        assert!(t >= start + 5 * MS * k, "tick {k} at {:?}", t - start);
        assert!(t > last);
        last = t;
    }
}

#[test]
fn timer_stop_before_firing() {
    let t = Timer::new(20 * MS);
    assert!(t.stop(), "stop of a pending timer returns true");
    assert!(!t.stop(), "a second stop returns false");
    time::sleep(60 * MS);
    assert_eq!(
        t.c().try_recv(),
        Err(TryRecvError::Empty),
        "a stopped timer fired"
    );
}

#[test]
fn timer_stop_after_receiving_returns_false() {
    let t = Timer::new(MS);
    assert!(t.c().recv().is_some());
    assert!(!t.stop());
}

/// Go 1.23: a receive from an expired timer's channel takes its value even if the timer
/// thread has not delivered it yet (`maybeRunChan`), so a non-blocking receive or a `select`
/// with a default case never misses a timer whose deadline has passed.
#[test]
fn a_non_blocking_receive_takes_an_expired_timers_value_at_once() {
    for _ in 0..if cfg!(miri) { 10 } else { 200 } {
        let start = time::now();
        let t = Timer::new(Duration::ZERO);
        let v = t.c().try_recv().expect("the expired timer's value");
        assert!(!v.before(start), "the time it fired");
        assert_eq!(t.c().try_recv(), Err(TryRecvError::Empty), "one value only");
        assert!(!t.stop(), "it fired and its value was received");

        let c = Timer::new(Duration::ZERO).c();
        let mut sel = Select::new();
        let fired = sel.recv(&c);
        assert_eq!(
            sel.try_select(),
            Some(fired.index()),
            "select took its default"
        );
    }
    // A ticker's tick too, and it keeps ticking afterwards.
    let ticker = Ticker::new(MS);
    std::thread::sleep(5 * MS);
    ticker.c().try_recv().expect("a due tick");
    assert!(ticker.c().recv().is_some(), "the next tick");
    ticker.stop();
    // Not before the deadline.
    let t = Timer::new(time::HOUR);
    assert_eq!(t.c().try_recv(), Err(TryRecvError::Empty));
    assert!(t.stop());
}

#[test]
fn timer_stop_after_firing_unreceived_discards_the_value() {
    // Go 1.23: the value was never received, so stop reports true and discards it; no stale
    // value can be received afterwards.
    let t = Timer::new(MS);
    wait_until("the timer to fire", || t.c().len() == 1);
    assert!(t.stop());
    assert_eq!(
        t.c().try_recv(),
        Err(TryRecvError::Empty),
        "stale value after stop"
    );
    assert!(!t.stop());
}

#[test]
fn timer_reset_discards_a_stale_value() {
    let t = Timer::new(MS);
    wait_until("the timer to fire", || t.c().len() == 1);
    let before_reset = Instant::now();
    assert!(
        t.reset(10 * MS),
        "reset of a fired, unreceived timer returns true"
    );
    // Nothing from before the reset: either nothing yet or, if the new deadline has passed
    // already (a slow run, Miri), the new value.
    let v = match t.c().try_recv() {
        Ok(v) => v,
        Err(e) => {
            assert_eq!(e, TryRecvError::Empty);
            t.c().recv().unwrap()
        }
    };
    assert!(
        mono(v) >= before_reset + 10 * MS,
        "a stale value after reset"
    );
}

#[test]
fn timer_reset_while_pending_fires_once_at_the_new_time() {
    let t = Timer::new(Duration::from_secs(3600));
    let before_reset = Instant::now();
    assert!(t.reset(10 * MS), "reset of a pending timer returns true");
    let v = mono(t.c().recv().unwrap());
    assert!(v >= before_reset + 10 * MS);
    time::sleep(30 * MS);
    assert_eq!(t.c().try_recv(), Err(TryRecvError::Empty), "fired twice");
    assert!(
        !t.reset(Duration::from_secs(3600)),
        "reset after receiving returns false"
    );
    assert!(t.stop());
}

/// A reset that pushes a pending timer back keeps its heap entry, which comes due at the old
/// deadline and must then schedule the new one instead of firing: nothing arrives at the old
/// deadline, the value comes no earlier than the new one, and once only.
#[test]
fn timer_pushed_back_fires_at_the_new_deadline_only() {
    let t = Timer::new(20 * MS);
    let pushed = Instant::now();
    assert!(t.reset(900 * MS), "reset of a pending timer returns true");
    assert!(t.reset(1000 * MS), "and again, further");
    fires_once_at(&t, pushed + 1000 * MS);
}

/// Checks that `t`, whose old deadline was 20 ms away, does not fire at it (nothing within
/// 150 ms), then fires at `deadline` or later, and only once.
#[track_caller]
fn fires_once_at(t: &Timer, deadline: Instant) {
    time::sleep(150 * MS);
    assert_eq!(
        t.c().try_recv(),
        Err(TryRecvError::Empty),
        "fired at the old deadline"
    );
    let v = mono(t.c().recv().unwrap());
    assert!(v >= deadline, "fired before the new deadline");
    time::sleep(30 * MS);
    assert_eq!(t.c().try_recv(), Err(TryRecvError::Empty), "fired twice");
}

#[test]
fn timer_stopped_while_pending_delivers_nothing_when_its_old_deadline_passes() {
    let t = Timer::new(20 * MS);
    assert!(t.stop());
    time::sleep(150 * MS);
    assert_eq!(
        t.c().try_recv(),
        Err(TryRecvError::Empty),
        "a stopped timer fired"
    );
    assert!(!t.stop(), "stopped already");
    // Its old entry is gone: a reset arms a new one.
    assert!(!t.reset(5 * MS));
    assert!(t.c().recv().is_some());
}

#[test]
fn timer_stopped_and_reset_later_fires_at_the_new_deadline_only() {
    // The reset reuses the stopped timer's entry (due at 20 ms), which, when it comes due,
    // schedules the new deadline instead of firing.
    let t = Timer::new(20 * MS);
    assert!(t.stop());
    let reset = Instant::now();
    assert!(!t.reset(1000 * MS), "a stopped timer was inactive");
    fires_once_at(&t, reset + 1000 * MS);
}

#[test]
fn timer_reset_after_stop_returns_false_and_rearms() {
    let t = Timer::new(Duration::from_secs(3600));
    assert!(t.stop());
    assert!(!t.reset(5 * MS));
    assert!(t.c().recv().is_some());
}

#[test]
fn timer_stop_returns_true_whenever_the_value_was_not_received() {
    // Go 1.23: "if the program has not received from t.C already and the timer is running,
    // Stop is guaranteed to return true" -- also when the timer is expiring at that very
    // moment (Go's runtime handles the send in progress). We never receive here, so every
    // stop of a fresh timer must return true, and no value may arrive afterwards.
    let mut rng = Rng::new(test_seed(0x7173));
    let rounds = common::scaled(20_000, 20_000);
    let mut failures = Vec::new();
    for i in 0..rounds {
        let t = Timer::new(Duration::from_micros(rng.below(60)));
        let spin = Instant::now() + Duration::from_micros(rng.below(80));
        while Instant::now() < spin {
            std::hint::spin_loop();
        }
        if !t.stop() {
            failures.push(i);
        }
        assert_eq!(
            t.c().try_recv(),
            Err(TryRecvError::Empty),
            "stale value after stop"
        );
    }
    assert!(
        failures.is_empty(),
        "stop() returned false for {} of {rounds} timers whose value was never received \
         (first rounds: {:?})",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}

#[test]
fn no_stale_value_after_stop_even_racing_the_timer() {
    let mut rng = Rng::new(test_seed(0x57A1E));
    for _ in 0..scaled(5_000, 1_000) {
        let t = Timer::new(Duration::from_micros(rng.below(50)));
        let spin = Instant::now() + Duration::from_micros(rng.below(70));
        while Instant::now() < spin {
            std::hint::spin_loop();
        }
        t.stop();
        assert_eq!(t.c().try_recv(), Err(TryRecvError::Empty));
    }
    // And nothing trickles in later.
    time::sleep(5 * MS);
}

#[test]
fn ticker_drops_ticks_for_a_slow_receiver() {
    let period = 2 * MS;
    let ticker = Ticker::new(period);
    // Be slow: many periods pass without a receive.
    time::sleep(30 * period);
    assert!(ticker.c().len() <= 1);
    let before_drain = Instant::now();
    let first = mono(ticker.c().recv().unwrap());
    let second = mono(ticker.c().recv().unwrap());
    // Every tick due while the buffered one waited was dropped, not queued: the next tick
    // is one that fired around the drain. A tick is stamped when the timer thread takes it,
    // just before sending, so it may precede the drain by the time that thread waits for a
    // core between the two (under Miri's virtual clock, which advances with every thread's
    // steps, several periods: 5.5 were seen). A queued backlog would be the second of 30
    // periods' ticks, about 28 periods old.
    assert!(
        first <= before_drain,
        "first {:?} after the drain; {ticker:?}",
        first - before_drain
    );
    assert!(
        second + 10 * period > before_drain,
        "a backlog of ticks: {:?} before the drain",
        before_drain - second
    );
    ticker.stop();
}

#[test]
fn ticker_stop_ends_ticks_and_discards_an_undelivered_one() {
    let ticker = Ticker::new(MS);
    assert!(ticker.c().recv().is_some());
    wait_until("a tick to be buffered", || ticker.c().len() == 1);
    ticker.stop();
    assert_eq!(
        ticker.c().try_recv(),
        Err(TryRecvError::Empty),
        "stale tick after stop"
    );
    time::sleep(20 * MS);
    assert_eq!(
        ticker.c().try_recv(),
        Err(TryRecvError::Empty),
        "ticked after stop"
    );
}

#[test]
fn ticker_reset_changes_the_period() {
    let ticker = Ticker::new(Duration::from_secs(3600));
    let before = Instant::now();
    ticker.reset(5 * MS);
    let a = mono(ticker.c().recv().unwrap());
    let b = mono(ticker.c().recv().unwrap());
    assert!(a >= before + 5 * MS);
    // Ticks are due at `before + 5ms`, `before + 10ms`, ...; a tick may come late, never early.
    assert!(b > a && b >= before + 10 * MS);
    assert!(format!("{ticker:?}").contains("5ms"), "{ticker:?}");
    assert_eq!(
        panic_of(|| ticker.reset(Duration::ZERO)),
        "non-positive interval for Ticker.Reset"
    );
    ticker.stop();
}

#[test]
fn ticker_with_zero_period_panics() {
    assert_eq!(
        panic_of(|| Ticker::new(Duration::ZERO)),
        "non-positive interval for NewTicker"
    );
}

#[cfg(not(miri))]
#[test]
fn after_func_runs_in_a_goroutine() {
    let ch: Chan<Option<u64>> = Chan::new(1);
    let tx = ch.sender();
    let start = Instant::now();
    let t = time::after_func(5 * MS, move || tx.send(gocsp::goroutine_id()));
    assert!(t.c().is_nil(), "an after_func timer has no channel");
    let id = ch.recv().unwrap();
    assert!(
        id.is_some(),
        "after_func's function ran outside a goroutine"
    );
    assert!(start.elapsed() >= 5 * MS);
    assert!(!t.stop(), "stop after the function started returns false");
}

#[cfg(not(miri))]
#[test]
fn after_func_stopped_in_time_never_runs() {
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    // Long enough that `stop` surely comes first, short enough to wait past.
    let t = time::after_func(250 * MS, move || r.store(true, Ordering::SeqCst));
    assert!(t.stop(), "stop before the deadline returns true");
    time::sleep(350 * MS);
    assert!(!ran.load(Ordering::SeqCst), "a stopped after_func ran");
    assert!(!t.stop());
}

#[cfg(not(miri))]
#[test]
fn after_func_reset_runs_it_later() {
    let ch: Chan<Instant> = Chan::new(1);
    let tx = ch.sender();
    let t = time::after_func(Duration::from_secs(3600), move || tx.send(Instant::now()));
    let before = Instant::now();
    assert!(t.reset(5 * MS));
    let ran_at = ch.recv().unwrap();
    assert!(ran_at >= before + 5 * MS);
}

/// Go: a `Reset` after the function ran "schedules f to run again".
#[cfg(not(miri))]
#[test]
fn after_func_reset_after_it_ran_runs_it_again() {
    let ch: Chan<u32> = Chan::new(2);
    let tx = ch.sender();
    let mut runs = 0;
    let t = time::after_func(MS, move || {
        runs += 1;
        tx.send(runs);
    });
    assert_eq!(ch.recv(), Some(1));
    assert!(!t.reset(MS), "reset after it fired returns false");
    let timeout = time::after(Duration::from_secs(10));
    assert_eq!(
        recv_before(&ch, &timeout),
        Some(2),
        "the reset timer never ran it again"
    );
}

/// `ch`'s next value, or `None` once `timeout` fires first.
#[cfg(not(miri))]
fn recv_before<T>(ch: &Chan<T>, timeout: &gocsp::Receiver<time::Time>) -> Option<T> {
    let mut sel = Select::new();
    let value = sel.recv(ch);
    sel.recv(timeout);
    (sel.select() == value.index())
        .then(|| sel.take(value))
        .flatten()
}

/// Go's "schedule the next run, then work" pattern: the function resets its own timer, then
/// blocks. The next run comes while this one is still blocked and must wait for it without
/// holding up the worker this one would resume on.
#[cfg(not(miri))]
#[test]
fn after_func_that_resets_itself_and_blocks_runs_every_time() {
    let ch: Chan<u32> = Chan::new(8);
    let tx = ch.sender();
    let me: Arc<std::sync::OnceLock<Timer>> = Arc::new(std::sync::OnceLock::new());
    let timer = me.clone();
    let mut runs = 0;
    let t = time::after_func(MS, move || {
        runs += 1;
        if runs < 4 {
            timer.get().expect("the timer").reset(MS);
        }
        time::sleep(20 * MS);
        tx.send(runs);
    });
    let _ = me.set(t);
    let timeout = time::after(Duration::from_secs(10));
    for want in 1..=4 {
        assert_eq!(
            recv_before(&ch, &timeout),
            Some(want),
            "run {want} never came"
        );
    }
}

#[test]
fn after_in_a_select_loop() {
    // The classic loop with a fresh timeout per iteration: the losing timers are simply
    // dropped (Go 1.23 frees them; here they must at least not get in the way).
    let ready: Chan<u32> = Chan::new(1);
    for i in 0..scaled(20_000, 2_000) as u32 {
        ready.send(i);
        let timeout = time::after(Duration::from_secs(3600));
        let mut sel = Select::new();
        let rr = sel.recv(&ready);
        sel.recv(&timeout);
        assert_eq!(sel.select(), rr.index());
        assert_eq!(sel.take(rr), Some(i));
    }
}

#[test]
fn timer_debug() {
    let t = Timer::new(Duration::from_secs(3600));
    assert_eq!(format!("{t:?}"), "Timer { pending: true }");
    t.stop();
    assert_eq!(format!("{t:?}"), "Timer { pending: false }");
}

#[cfg(not(miri))]
#[test]
fn durations_too_long_to_represent_mean_never() {
    // `Duration::MAX` is Rust's "forever"; Go sleeps ~292 years for math.MaxInt64. Neither
    // may panic on the deadline arithmetic.
    let c = time::after(Duration::MAX);
    assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
    let t = Timer::new(Duration::MAX);
    assert!(t.stop());
    let t = Timer::new(Duration::from_secs(3600));
    assert!(t.reset(Duration::MAX));
    assert!(t.stop());
    let ticker = Ticker::new(Duration::MAX);
    ticker.stop();
    let f = time::after_func(Duration::MAX, || ());
    assert!(f.stop());

    // In a goroutine (on a runtime whose panics do not end the test process).
    let rt: &'static Runtime = Box::leak(Box::new(
        Runtime::builder()
            .workers(1)
            .panic_policy(gocsp::PanicPolicy::Continue)
            .build()
            .unwrap(),
    ));
    let sleeper = rt.spawn(|| time::sleep(Duration::MAX));
    wait_until("the sleeper to park or fail", || {
        common::blocked_reason(sleeper.id()).is_some() || sleeper.is_finished()
    });
    assert_eq!(
        common::blocked_reason(sleeper.id()).as_deref(),
        Some("sleep"),
        "sleep(Duration::MAX) did not park"
    );
}

#[test]
fn timer_channels_carry_time_values_with_a_zero_value() {
    // `case t := <-ticker.c():` needs `Time: Default` (Go's zero time for a closed channel).
    let start = time::now();
    let ticker = Ticker::new(MS);
    let timeout = time::after(HANG_GUARD);
    let mut got = time::Time::default();
    assert!(got.is_zero());
    gocsp::select! {
        case t := <-ticker.c():
            got = t
        case <-timeout:
            panic!("no tick within the hang guard")
    }
    ticker.stop();
    assert!(!got.is_zero());
    assert!(got.after(start) && got.sub(start) >= MS, "{got} vs {start}");
    // The wall-clock part agrees with the monotonic part (both stamped at the tick).
    let wall = got.system_time();
    assert!(wall >= start.system_time());
    assert!(got.instant().is_some());
}

#[cfg(not(miri))]
#[test]
fn timers_and_tickers_are_clone_handles_sharing_one_timer() {
    let t = Timer::new(Duration::from_secs(3600));
    let other = t.clone();
    assert!(other.stop(), "a clone stops the same timer");
    assert!(!t.stop(), "already stopped through the clone");
    // `c()` hands out the receiver by value: owned by a goroutine, it still receives.
    t.reset(MS);
    let c = t.c();
    let got = gocsp::spawn(move || c.recv()).join().unwrap();
    assert!(got.is_some());

    let ticker = Ticker::new(MS);
    let clone = ticker.clone();
    assert!(clone.c().recv().is_some());
    ticker.stop();
    time::sleep(5 * MS);
    assert_eq!(
        clone.c().try_recv(),
        Err(TryRecvError::Empty),
        "stopping one handle stops the clones"
    );
}

#[test]
fn tick_of_zero_is_the_nil_channel() {
    let c = time::tick(Duration::ZERO);
    assert!(c.is_nil(), "Go's time.Tick(0) returns nil");
    // A nil channel's case never fires.
    let after = time::after(MS);
    let mut sel = Select::new();
    let _never = sel.recv(&c);
    let soon = sel.recv(&after);
    assert_eq!(sel.select(), soon.index());
}

#[test]
fn duration_constants_read_like_go() {
    assert_eq!(100 * time::MILLISECOND, Duration::from_millis(100));
    assert_eq!(time::NANOSECOND, Duration::from_nanos(1));
    assert_eq!(1000 * time::MICROSECOND, time::MILLISECOND);
    assert_eq!(60 * time::SECOND, time::MINUTE);
    assert_eq!(60 * time::MINUTE, time::HOUR);
    let start = time::now();
    time::sleep(2 * time::MILLISECOND);
    assert!(time::since(start) >= 2 * time::MILLISECOND);
    assert_eq!(time::until(start), Duration::ZERO, "start has passed");
}
