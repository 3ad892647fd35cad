//! The timer thread, checked in child processes: a ticker with a tiny period does not stall
//! it (Go's `TestAfterStress`, plus an `after` served while the ticker runs), and a timer
//! thread that fails to start is a clear panic at that use, retried on the next one.
//!
//! A `harness = false` target: `main` runs each scenario by re-executing this binary with the
//! scenario's name in `GOCSP_TEST_CHILD`, so the timer thread is fresh in each. A failure to
//! start it is provoked with the runtime's `GOCSP_TEST_FAIL_THREAD_START` hook.
//! Not under Miri (goroutines, child processes).

#[cfg(not(any(loom, miri)))]
mod common;

#[cfg(not(any(loom, miri)))]
mod scenarios {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use gocsp::time::{self, Ticker};

    use crate::common::{panic_of, say};

    /// Go's `TestAfterStress`: a goroutine keeps scheduling 1 ns sleeps while the main thread
    /// receives 100 ticks of a 1 ns ticker; then an `after` must still be served.
    pub(super) fn tiny_ticker() {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let sleeper = gocsp::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                time::sleep(Duration::from_nanos(1));
            }
        });
        let ticker = Ticker::new(Duration::from_nanos(1));
        for _ in 0..100 {
            ticker.c().recv().expect("a tick");
        }
        say("100 ticks received");
        // The ticker keeps running: the timer thread must still serve other timers.
        time::after(Duration::from_millis(1))
            .recv()
            .expect("the time");
        say("after fired beside the ticker");
        ticker.stop();
        stop.store(true, Ordering::Relaxed);
        sleeper.join().unwrap();
        say("done");
    }

    /// Run with the first start of the timer thread failing.
    pub(super) fn timer_thread_fails_to_start() {
        let msg = panic_of(|| time::after(Duration::from_millis(1)));
        say(&format!("first use: {msg}"));
        time::after(Duration::from_millis(1))
            .recv()
            .expect("the time");
        say("second use fired");
        gocsp::spawn(|| time::sleep(Duration::from_millis(1)))
            .join()
            .unwrap();
        say("a goroutine slept");
    }
}

#[cfg(not(any(loom, miri)))]
mod tests {
    use crate::common::{HANG_GUARD, run_child};

    pub(super) fn a_one_nanosecond_ticker_does_not_stall_timers() {
        let r = run_child("tiny_ticker", &[], HANG_GUARD, None);
        assert!(
            r.code == Some(0) && r.stdout.contains("done"),
            "timers stalled beside a 1 ns ticker: {r:?}"
        );
    }

    pub(super) fn a_failed_timer_thread_start_panics_and_is_retried() {
        let r = run_child(
            "timer_thread_fails_to_start",
            &[("GOCSP_TEST_FAIL_THREAD_START", "gocsp-timer:1")],
            HANG_GUARD,
            None,
        );
        assert!(
            r.stdout
                .contains("first use: gocsp: cannot start the timer thread"),
            "{r:?}"
        );
        assert!(
            r.code == Some(0) && r.stdout.contains("a goroutine slept"),
            "timers did not work after a failed start: {r:?}"
        );
    }
}

#[cfg(not(any(loom, miri)))]
fn main() {
    if let Ok(scenario) = std::env::var(common::CHILD_ENV) {
        match scenario.as_str() {
            "tiny_ticker" => scenarios::tiny_ticker(),
            "timer_thread_fails_to_start" => scenarios::timer_thread_fails_to_start(),
            other => panic!("unknown scenario {other:?}"),
        }
        return;
    }
    common::run_tests(&[
        (
            "a_one_nanosecond_ticker_does_not_stall_timers",
            tests::a_one_nanosecond_ticker_does_not_stall_timers,
        ),
        (
            "a_failed_timer_thread_start_panics_and_is_retried",
            tests::a_failed_timer_thread_start_panics_and_is_retried,
        ),
    ]);
}

#[cfg(any(loom, miri))]
fn main() {}
