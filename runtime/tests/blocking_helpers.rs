//! `blocking()`'s helper threads, checked in child processes (each scenario needs a pool of
//! helpers in a known state): every submitted call gets a thread that is free or that is
//! started for it, so two calls that wait for each other both run; and a helper that cannot
//! be started is a clear panic in the caller with nothing left queued, so no call runs after
//! its caller has returned.
//!
//! A `harness = false` target: `main` runs each scenario by re-executing this binary with the
//! scenario's name in `GOCSP_TEST_CHILD`. Failures to start a thread are provoked with the
//! runtime's `GOCSP_TEST_FAIL_THREAD_START` hook.
//! Not under Miri (goroutines, child processes).

#[cfg(not(any(loom, miri)))]
mod common;

#[cfg(not(any(loom, miri)))]
mod scenarios {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    use gocsp::{Runtime, blocking};

    use crate::common::{panic_message, say, wait_blocked};

    /// Rounds of two calls where the first receives what the second sends (a rendezvous), so
    /// they can only finish on two threads at once. One worker runs both callers back to back,
    /// so the second call is submitted before a helper woken for the first has run.
    pub(super) fn two_calls_wait_for_each_other() {
        let rt = Runtime::builder().workers(1).build().unwrap();
        // One helper, idle by the first round, and warm goroutine stacks, so that nothing slows
        // the worker between the two calls (the pause only sets the stage; nothing depends on
        // how long it takes).
        rt.block_on(|| {
            let warm: Vec<_> = (0..4).map(|_| gocsp::spawn(|| ())).collect();
            warm.into_iter().for_each(|h| h.join().unwrap());
            blocking(|| ())
        });
        std::thread::sleep(Duration::from_millis(20));
        for round in 0..20u32 {
            let got = rt.block_on(move || {
                let (tx, rx) = mpsc::sync_channel::<u32>(0);
                let first = gocsp::spawn(move || blocking(move || rx.recv().unwrap()));
                let second = gocsp::spawn(move || blocking(move || tx.send(round).unwrap()));
                let got = first.join().unwrap();
                second.join().unwrap();
                got
            });
            assert_eq!(got, round);
        }
        say("all rounds finished");
    }

    static STALE_JOB_RAN: AtomicBool = AtomicBool::new(false);

    /// Run with the second helper start failing: a call made while the only helper is busy
    /// panics, and its job must never run afterwards (it would write into a frame that is
    /// gone).
    pub(super) fn helper_fails_to_start() {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let (release, busy_until) = mpsc::channel::<()>();
        let busy = rt.spawn(move || blocking(move || busy_until.recv().unwrap()));
        wait_blocked(busy.id(), "blocking call");
        let msg = rt.block_on(|| {
            let mut frame = [0u64; 16];
            let r = catch_unwind(AssertUnwindSafe(|| {
                blocking(|| {
                    STALE_JOB_RAN.store(true, Ordering::SeqCst);
                    frame[0] = 1;
                })
            }));
            assert_eq!(frame[0], 0, "the call ran although it panicked");
            panic_message(&*r.expect_err("the call did not panic"))
        });
        say(&format!("panic: {msg}"));
        release.send(()).unwrap();
        busy.join().unwrap();
        // The busy helper is free now: a job left queued by the failed call would run before
        // (or instead of) this one.
        let v = rt.block_on(|| blocking(|| 7));
        say(&format!("next call: {v}"));
        say(&format!(
            "stale job ran: {}",
            STALE_JOB_RAN.load(Ordering::SeqCst)
        ));
    }

    /// Run with the first helper start failing: the refused job is dropped on the caller's
    /// thread, and a capture whose drop panics unwinds out of `blocking`. The goroutine
    /// catches it; then the main thread deadlocks, which must still be reported (the call
    /// must not stay counted as in flight).
    pub(super) fn refused_helper_and_a_capture_whose_drop_panics() {
        struct PanicOnDrop;
        impl Drop for PanicOnDrop {
            fn drop(&mut self) {
                panic!("a capture's drop panics");
            }
        }
        let caller = gocsp::spawn(|| {
            let p = PanicOnDrop;
            catch_unwind(AssertUnwindSafe(move || {
                blocking(move || {
                    let _p = &p;
                })
            }))
            .is_err()
        });
        say(&format!("blocking unwound: {}", caller.join().unwrap()));
        let never: gocsp::Chan<u8> = gocsp::Chan::new(0);
        never.recv();
        say("unreachable");
    }
}

#[cfg(not(any(loom, miri)))]
mod tests {
    use crate::common::{HANG_GUARD, run_child};

    pub(super) fn two_calls_that_wait_for_each_other_both_run() {
        // The first round decides (one idle helper). The old pool hung in about 17 of 20
        // processes; ten fresh ones keep a lucky interleaving from hiding a regression.
        for run in 0..10 {
            let r = run_child("two_calls_wait_for_each_other", &[], HANG_GUARD, None);
            assert!(
                r.code == Some(0) && r.stdout.contains("all rounds finished"),
                "run {run}: two blocking calls waiting for each other did not finish: {r:?}"
            );
        }
    }

    pub(super) fn a_helper_that_cannot_start_leaves_nothing_queued() {
        let r = run_child(
            "helper_fails_to_start",
            &[("GOCSP_TEST_FAIL_THREAD_START", "gocsp-blocking:2")],
            HANG_GUARD,
            None,
        );
        assert_eq!(r.code, Some(0), "{r:?}");
        assert!(
            r.stdout
                .contains("panic: gocsp: cannot start a blocking-call helper thread"),
            "{r:?}"
        );
        assert!(r.stdout.contains("next call: 7"), "{r:?}");
        assert!(r.stdout.contains("stale job ran: false"), "{r:?}");
    }

    pub(super) fn a_refused_call_that_unwinds_is_not_left_in_flight() {
        let r = run_child(
            "refused_helper_and_a_capture_whose_drop_panics",
            &[("GOCSP_TEST_FAIL_THREAD_START", "gocsp-blocking:1")],
            HANG_GUARD,
            None,
        );
        assert!(r.stdout.contains("blocking unwound: true"), "{r:?}");
        assert_eq!(r.code, Some(2), "the deadlock went unreported: {r:?}");
        assert!(
            r.stderr
                .contains("fatal error: all goroutines are asleep - deadlock!"),
            "{r:?}"
        );
    }
}

#[cfg(not(any(loom, miri)))]
fn main() {
    if let Ok(scenario) = std::env::var(common::CHILD_ENV) {
        match scenario.as_str() {
            "two_calls_wait_for_each_other" => scenarios::two_calls_wait_for_each_other(),
            "helper_fails_to_start" => scenarios::helper_fails_to_start(),
            "refused_helper_and_a_capture_whose_drop_panics" => {
                scenarios::refused_helper_and_a_capture_whose_drop_panics()
            }
            other => panic!("unknown scenario {other:?}"),
        }
        return;
    }
    common::run_tests(&[
        (
            "two_calls_that_wait_for_each_other_both_run",
            tests::two_calls_that_wait_for_each_other_both_run,
        ),
        (
            "a_helper_that_cannot_start_leaves_nothing_queued",
            tests::a_helper_that_cannot_start_leaves_nothing_queued,
        ),
        (
            "a_refused_call_that_unwinds_is_not_left_in_flight",
            tests::a_refused_call_that_unwinds_is_not_left_in_flight,
        ),
    ]);
}

#[cfg(any(loom, miri))]
fn main() {}
