//! The deadlock detector, checked in child processes: when the main thread is blocked in a
//! gocsp operation and nothing can ever wake anything, the program prints
//! `fatal error: all goroutines are asleep - deadlock!` with a dump (states, spawn and blocking
//! sites) and exits with code 2; it never fires on a program that will make progress (a
//! goroutine sleeping, a plain thread sleeping, a blocking call, a pending deadline, a busy
//! goroutine); and `GOCSP_DEADLOCK_DETECT=0` turns it off.
//!
//! A `harness = false` target: `main` runs each scenario by re-executing this binary with the
//! scenario's name in `GOCSP_TEST_CHILD`, so that the scenario blocks the process's real main
//! thread and the process has no threads but gocsp's.

#[cfg(not(loom))]
mod common;

#[cfg(not(loom))]
mod scenarios {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use gocsp::{Chan, GoroutineState, Select, WaitGroup, context};

    use crate::common::say;

    /// Waits until `n` goroutines are parked (so the dump is complete and stable).
    fn wait_parked(n: usize) {
        crate::common::wait_until("the goroutines to park", || {
            let all = gocsp::goroutines();
            all.len() == n
                && all
                    .iter()
                    .all(|g| matches!(g.state, GoroutineState::Blocked { .. }))
        });
    }

    /// Receives once, discarding the value (forever, on the nil channel).
    fn recv_from<T>(ch: Chan<T>) {
        ch.recv();
    }

    /// Go's `select {}`.
    fn block_forever() {
        Select::new().select();
    }

    /// A goroutine parked in a select with cases that never become ready.
    fn select_forever(a: Chan<i32>) {
        let mut s = Select::new();
        s.recv(&a);
        s.send(&a, 1);
        s.select();
    }

    /// Main blocked receiving on a channel nobody sends to, five goroutines blocked in five
    /// ways. Prints the lines of the spawn sites for the parent to check.
    pub(super) fn deadlock() {
        let main_ch: Chan<i32> = Chan::new(0);
        let other: Chan<i32> = Chan::new(0);
        let nil: Chan<i32> = Chan::nil();
        let wg = WaitGroup::new();
        wg.add(1);
        let (o, w, own) = (other.clone(), wg.clone(), Chan::new(0));
        let (_, send) = (gocsp::go(move || o.send(1)), line!());
        let (_, nilr) = (gocsp::go(move || recv_from(nil)), line!());
        let (_, wait) = (gocsp::go(move || w.wait()), line!());
        let (_, sel) = (gocsp::go(move || select_forever(own)), line!());
        let (_, empty) = (gocsp::go(block_forever), line!());
        wait_parked(5);
        say(&format!(
            "lines send={send} nilr={nilr} wait={wait} sel={sel} empty={empty}"
        ));
        say(&format!("main={}", line!() + 1));
        let v = main_ch.recv();
        say(&format!("unreachable: {v:?}"));
    }

    /// A goroutine parked reading a socket dies with its runtime; then the main thread blocks
    /// on a channel. The dead goroutine's network wait will never end, so it must not keep the
    /// detector from judging.
    pub(super) fn deadlock_after_a_network_wait_died() {
        use std::io::Read;

        let ln = gocsp::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = std::net::TcpStream::connect(ln.local_addr().unwrap()).unwrap();
        let (mut conn, _) = ln.accept().unwrap();
        let rt = gocsp::Runtime::builder().workers(1).build().unwrap();
        rt.spawn(move || {
            let mut b = [0u8; 1];
            let _ = conn.read(&mut b); // the client never writes
        });
        crate::common::wait_until("the reader to park in its network wait", || {
            gocsp::goroutines().iter().any(|g| {
                matches!(&g.state, GoroutineState::Blocked { reason, .. } if reason == "IO wait")
            })
        });
        drop(rt);
        say("blocking");
        let ch: Chan<u8> = Chan::new(0);
        ch.send(1);
        say("unreachable");
    }

    /// The main thread alone, blocked on a channel: no goroutine was ever spawned.
    pub(super) fn deadlock_without_goroutines() {
        let ch: Chan<u8> = Chan::new(1);
        say("blocking");
        let v = ch.recv();
        say(&format!("unreachable: {v:?}"));
    }

    /// Main blocked in a select whose channels nobody else will touch; one goroutine is
    /// parked on a third channel.
    pub(super) fn deadlock_in_select() {
        let a: Chan<u8> = Chan::new(0);
        let b: Chan<u8> = Chan::new(3);
        let c: Chan<u8> = Chan::new(0);
        gocsp::go(move || recv_from(c));
        wait_parked(1);
        let mut s = Select::new();
        s.recv(&a);
        s.recv(&b);
        say("blocking");
        let i = s.select();
        say(&format!("unreachable: select returned {i}"));
    }

    /// Main blocked in `WaitGroup::wait` with a count nobody will bring down.
    pub(super) fn deadlock_in_waitgroup() {
        let wg = WaitGroup::new();
        wg.add(2);
        let w = wg.clone();
        gocsp::go(move || w.done());
        say("blocking");
        wg.wait();
        say("unreachable");
    }

    /// Main blocked on a mutex that a goroutine parked forever holds.
    pub(super) fn deadlock_on_a_mutex() {
        let m = Arc::new(gocsp::sync::Mutex::new(0));
        let locked: Chan<()> = Chan::new(0);
        let (m2, l) = (m.clone(), locked.clone());
        gocsp::go(move || {
            let _g = m2.lock();
            l.send(());
            block_forever();
        });
        locked.recv();
        say("blocking");
        let v = *m.lock();
        say(&format!("unreachable: {v}"));
    }

    /// No false positives: each of these blocks the main thread for a while, then completes.
    pub(super) fn sleeping_goroutine() {
        let ch: Chan<&str> = Chan::new(0);
        let tx = ch.sender();
        gocsp::go(move || {
            gocsp::time::sleep(Duration::from_millis(500));
            tx.send("woke");
        });
        say(&format!("got {}", ch.recv().unwrap()));
    }

    pub(super) fn sleeping_thread() {
        let ch: Chan<&str> = Chan::new(0);
        let tx = ch.sender();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            tx.send("woke");
        });
        say(&format!("got {}", ch.recv().unwrap()));
    }

    pub(super) fn sleeping_thread_feeding_a_goroutine() {
        // Main waits on a goroutine, which waits on a plain thread.
        let from_thread: Chan<u32> = Chan::new(0);
        let to_main: Chan<u32> = Chan::new(0);
        let (rx, tx) = (from_thread.receiver(), to_main.sender());
        gocsp::go(move || tx.send(rx.recv().unwrap() + 1));
        let t = from_thread.sender();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            t.send(41);
        });
        say(&format!("got {}", to_main.recv().unwrap()));
    }

    pub(super) fn blocking_call() {
        let ch: Chan<u32> = Chan::new(0);
        let tx = ch.sender();
        gocsp::go(move || {
            let v = gocsp::blocking(|| {
                std::thread::sleep(Duration::from_millis(500));
                7
            });
            tx.send(v);
        });
        say(&format!("got {}", ch.recv().unwrap()));
    }

    /// A timer stopped while pending keeps its heap entry for a reset, but holds nothing
    /// up: main deadlocks with two stopped one-hour timers (one reset and stopped again, one
    /// stopped from a goroutine).
    pub(super) fn deadlock_after_timers_stopped() {
        let t = gocsp::time::Timer::new(gocsp::time::HOUR);
        assert!(t.stop());
        assert!(!t.reset(gocsp::time::HOUR));
        assert!(t.stop());
        let u = gocsp::time::Timer::new(gocsp::time::HOUR);
        gocsp::spawn(move || assert!(u.stop())).join().unwrap();
        let ch: Chan<u8> = Chan::new(0);
        say("blocking");
        let v = ch.recv();
        say(&format!("unreachable: {v:?} {t:?}"));
    }

    /// Timers stopped and reset again and again around their deadlines, by goroutines on
    /// every worker, race their heaps' firings: the deadlock check's count of pending timers
    /// still comes back to none once they are all stopped, so main's deadlock is reported.
    pub(super) fn deadlock_after_timers_raced_their_firing() {
        let wg = WaitGroup::new();
        for g in 0..4u64 {
            wg.add(1);
            let wg = wg.clone();
            gocsp::go(move || {
                let t = gocsp::time::Timer::new(Duration::from_micros(1));
                for i in 0..2_000u64 {
                    // Deadlines of 0-30 us: some fire before the stop, some after the reset,
                    // some while the stop or the reset holds the timer.
                    if !t.stop() {
                        let _ = t.c().try_recv();
                    }
                    t.reset(Duration::from_micros((i * 7 + g) % 31));
                    if i % 8 == 0 {
                        gocsp::time::sleep(Duration::from_micros(i % 23));
                    }
                }
                t.stop();
                wg.done();
            });
        }
        wg.wait();
        let ch: Chan<u8> = Chan::new(0);
        say("blocking");
        let v = ch.recv();
        say(&format!("unreachable: {v:?}"));
    }

    /// Timers set by goroutines count in their workers' heaps: once a goroutine's sleeps are
    /// over, a ticker it ran has stopped and a timer it stopped waits in its heap for a
    /// reset, nothing is pending, and main deadlocks.
    pub(super) fn deadlock_after_goroutines_timers() {
        gocsp::spawn(|| {
            for _ in 0..3 {
                gocsp::time::sleep(Duration::from_millis(20));
            }
            let ticker = gocsp::time::Ticker::new(Duration::from_millis(5));
            for _ in 0..3 {
                ticker.c().recv();
            }
            ticker.stop();
            let t = gocsp::time::Timer::new(gocsp::time::HOUR);
            assert!(t.stop());
            t
        })
        .join()
        .unwrap();
        let ch: Chan<u8> = Chan::new(0);
        say("blocking");
        let v = ch.recv();
        say(&format!("unreachable: {v:?}"));
    }

    /// A timer stopped while pending and reset reuses its entry, which counts as pending
    /// again: main waits for it without a false report.
    pub(super) fn timer_reset_after_stop() {
        let t = gocsp::time::Timer::new(Duration::from_millis(400));
        assert!(t.stop());
        assert!(!t.reset(Duration::from_millis(500)));
        let c = t.c();
        say(&format!(
            "got {}",
            if c.recv().is_some() { "tick" } else { "closed" }
        ));
    }

    pub(super) fn pending_deadline() {
        let (ctx, _cancel) =
            context::with_timeout(&context::background(), Duration::from_millis(500));
        let done = ctx.done();
        done.recv();
        say(&format!("got {}", ctx.err().unwrap()));
    }

    pub(super) fn select_with_a_timeout() {
        let ch: Chan<&str> = Chan::new(0);
        let tx = ch.sender();
        gocsp::go(move || {
            let never: Chan<u8> = Chan::new(0);
            let timeout = gocsp::time::after(Duration::from_millis(500));
            let mut s = Select::new();
            s.recv(&never);
            let rt = s.recv(&timeout);
            assert_eq!(s.select(), rt.index());
            tx.send("timed out");
        });
        say(&format!("got {}", ch.recv().unwrap()));
    }

    pub(super) fn busy_goroutine() {
        let ch: Chan<u64> = Chan::new(0);
        let tx = ch.sender();
        gocsp::go(move || {
            // Pure computation, no gocsp operation, for a while.
            let start = Instant::now();
            let mut x = 0u64;
            while start.elapsed() < Duration::from_millis(500) {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            tx.send(x.min(1));
        });
        say(&format!("got {}", ch.recv().unwrap()));
    }

    pub(super) fn mutex_held_by_a_sleeper() {
        let m = Arc::new(gocsp::sync::Mutex::new(0));
        let locked: Chan<()> = Chan::new(0);
        let (m2, l) = (m.clone(), locked.clone());
        gocsp::go(move || {
            let mut g = m2.lock();
            l.send(());
            gocsp::time::sleep(Duration::from_millis(500));
            *g = 9;
        });
        locked.recv();
        say(&format!("got {}", *m.lock()));
    }

    pub(super) fn waves_of_goroutines() {
        // Main waits while a goroutine keeps spawning short-lived ones, with sleeps between.
        let wg = WaitGroup::new();
        wg.add(1);
        let w = wg.clone();
        gocsp::go(move || {
            for _ in 0..10 {
                let inner = WaitGroup::new();
                for _ in 0..50 {
                    inner.add(1);
                    let i = inner.clone();
                    gocsp::go(move || i.done());
                }
                inner.wait();
                gocsp::time::sleep(Duration::from_millis(50));
            }
            w.done();
        });
        wg.wait();
        say("got done");
    }
}

#[cfg(not(loom))]
mod tests {
    use std::time::Duration;

    use crate::common::{ChildRun, run_child};

    const LIMIT: Duration = Duration::from_secs(60);
    const FILE: &str = file!();
    const FATAL: &str = "fatal error: all goroutines are asleep - deadlock!";

    fn field(run: &ChildRun, name: &str) -> String {
        run.stdout
            .split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("child printed no {name}: {run:?}"))
            .to_string()
    }

    fn expect_deadlock(run: &ChildRun) {
        assert!(!run.killed, "the deadlock was never reported: {run:?}");
        assert_eq!(run.code, Some(2), "{run:?}");
        assert!(run.stderr.contains(FATAL), "{run:?}");
        assert!(!run.stdout.contains("unreachable"), "{run:?}");
    }

    pub(super) fn a_deadlock_is_reported_with_a_dump() {
        let run = run_child("deadlock", &[], LIMIT, None);
        expect_deadlock(&run);
        let err = &run.stderr;
        assert!(err.contains("main thread [chan receive]:"), "{err}");
        let main = format!(
            "main thread [chan receive]:\n\tblocked at {FILE}:{}:",
            field(&run, "main")
        );
        assert!(err.contains(&main), "no {main:?} in:\n{err}");
        for (name, reason, blocked_here) in [
            ("send", "chan send", true),
            ("nilr", "chan receive (nil chan)", false),
            ("wait", "sync.WaitGroup.Wait", true),
            ("sel", "select", false),
            ("empty", "select (no cases)", false),
        ] {
            let line = field(&run, name);
            assert!(
                err.contains(&format!(" [{reason}]:\n")),
                "no {reason:?} in:\n{err}"
            );
            let spawned = format!("\tspawned at {FILE}:{line}:");
            assert!(err.contains(&spawned), "no {spawned:?} in:\n{err}");
            if blocked_here {
                let blocked = format!("\tblocked at {FILE}:{line}:");
                assert!(err.contains(&blocked), "no {blocked:?} in:\n{err}");
            }
        }
        assert_eq!(
            err.matches("\ngoroutine ").count(),
            5,
            "one paragraph per goroutine:\n{err}"
        );
    }

    pub(super) fn a_lone_main_thread_deadlock_is_reported() {
        let run = run_child("deadlock_without_goroutines", &[], LIMIT, None);
        expect_deadlock(&run);
        assert!(
            run.stderr.contains("main thread [chan receive]:"),
            "{run:?}"
        );
    }

    pub(super) fn a_dead_goroutines_network_wait_does_not_hide_a_deadlock() {
        let run = run_child("deadlock_after_a_network_wait_died", &[], LIMIT, None);
        expect_deadlock(&run);
        assert!(run.stderr.contains("main thread [chan send]:"), "{run:?}");
    }

    pub(super) fn a_deadlock_in_select_is_reported() {
        let run = run_child("deadlock_in_select", &[], LIMIT, None);
        expect_deadlock(&run);
        assert!(run.stderr.contains("main thread [select]:"), "{run:?}");
        assert!(run.stderr.contains(" [chan receive]:"), "{run:?}");
    }

    pub(super) fn a_deadlock_in_waitgroup_wait_is_reported() {
        let run = run_child("deadlock_in_waitgroup", &[], LIMIT, None);
        expect_deadlock(&run);
        assert!(
            run.stderr.contains("main thread [sync.WaitGroup.Wait]:"),
            "{run:?}"
        );
    }

    pub(super) fn a_deadlock_after_stopped_timers_is_reported() {
        let run = run_child("deadlock_after_timers_stopped", &[], LIMIT, None);
        expect_deadlock(&run);
        assert!(
            run.stderr.contains("main thread [chan receive]:"),
            "{run:?}"
        );
    }

    pub(super) fn a_deadlock_after_timers_raced_their_firing_is_reported() {
        let run = run_child("deadlock_after_timers_raced_their_firing", &[], LIMIT, None);
        expect_deadlock(&run);
    }

    pub(super) fn a_deadlock_after_goroutines_timers_is_reported() {
        let run = run_child("deadlock_after_goroutines_timers", &[], LIMIT, None);
        expect_deadlock(&run);
    }

    pub(super) fn a_deadlock_on_a_mutex_is_reported() {
        let run = run_child("deadlock_on_a_mutex", &[], LIMIT, None);
        expect_deadlock(&run);
        assert!(
            run.stderr.contains("main thread [sync.Mutex.Lock]:"),
            "{run:?}"
        );
        assert!(run.stderr.contains(" [select (no cases)]:"), "{run:?}");
    }

    pub(super) fn no_false_positives() {
        for (scenario, expect) in [
            ("sleeping_goroutine", "got woke"),
            ("sleeping_thread", "got woke"),
            ("sleeping_thread_feeding_a_goroutine", "got 42"),
            ("blocking_call", "got 7"),
            ("pending_deadline", "got context deadline exceeded"),
            ("timer_reset_after_stop", "got tick"),
            ("select_with_a_timeout", "got timed out"),
            ("busy_goroutine", "got 1"),
            ("mutex_held_by_a_sleeper", "got 9"),
            ("waves_of_goroutines", "got done"),
        ] {
            let run = run_child(scenario, &[], LIMIT, None);
            assert!(
                !run.stderr.contains(FATAL),
                "{scenario}: false deadlock report: {run:?}"
            );
            assert_eq!(run.code, Some(0), "{scenario}: {run:?}");
            assert!(run.stdout.contains(expect), "{scenario}: {run:?}");
        }
    }

    pub(super) fn the_detector_can_be_switched_off() {
        for off in ["0", "off"] {
            let run = run_child(
                "deadlock",
                &[("GOCSP_DEADLOCK_DETECT", off)],
                LIMIT,
                Some(("lines ", Duration::from_millis(1500))),
            );
            assert!(
                run.killed,
                "GOCSP_DEADLOCK_DETECT={off}: the child should hang until killed: {run:?}"
            );
            assert!(
                !run.stderr.contains(FATAL),
                "GOCSP_DEADLOCK_DETECT={off}: {run:?}"
            );
        }
    }
}

#[cfg(not(loom))]
fn main() {
    if let Ok(scenario) = std::env::var(common::CHILD_ENV) {
        match scenario.as_str() {
            "deadlock" => scenarios::deadlock(),
            "deadlock_without_goroutines" => scenarios::deadlock_without_goroutines(),
            "deadlock_after_a_network_wait_died" => scenarios::deadlock_after_a_network_wait_died(),
            "deadlock_in_select" => scenarios::deadlock_in_select(),
            "deadlock_in_waitgroup" => scenarios::deadlock_in_waitgroup(),
            "deadlock_on_a_mutex" => scenarios::deadlock_on_a_mutex(),
            "select_with_a_timeout" => scenarios::select_with_a_timeout(),
            "sleeping_goroutine" => scenarios::sleeping_goroutine(),
            "sleeping_thread" => scenarios::sleeping_thread(),
            "sleeping_thread_feeding_a_goroutine" => {
                scenarios::sleeping_thread_feeding_a_goroutine()
            }
            "blocking_call" => scenarios::blocking_call(),
            "pending_deadline" => scenarios::pending_deadline(),
            "deadlock_after_timers_stopped" => scenarios::deadlock_after_timers_stopped(),
            "deadlock_after_goroutines_timers" => scenarios::deadlock_after_goroutines_timers(),
            "deadlock_after_timers_raced_their_firing" => {
                scenarios::deadlock_after_timers_raced_their_firing()
            }
            "timer_reset_after_stop" => scenarios::timer_reset_after_stop(),
            "busy_goroutine" => scenarios::busy_goroutine(),
            "mutex_held_by_a_sleeper" => scenarios::mutex_held_by_a_sleeper(),
            "waves_of_goroutines" => scenarios::waves_of_goroutines(),
            other => panic!("unknown scenario {other:?}"),
        }
        return;
    }
    common::run_tests(&[
        (
            "a_deadlock_is_reported_with_a_dump",
            tests::a_deadlock_is_reported_with_a_dump,
        ),
        (
            "a_lone_main_thread_deadlock_is_reported",
            tests::a_lone_main_thread_deadlock_is_reported,
        ),
        (
            "a_dead_goroutines_network_wait_does_not_hide_a_deadlock",
            tests::a_dead_goroutines_network_wait_does_not_hide_a_deadlock,
        ),
        (
            "a_deadlock_after_stopped_timers_is_reported",
            tests::a_deadlock_after_stopped_timers_is_reported,
        ),
        (
            "a_deadlock_after_goroutines_timers_is_reported",
            tests::a_deadlock_after_goroutines_timers_is_reported,
        ),
        (
            "a_deadlock_after_timers_raced_their_firing_is_reported",
            tests::a_deadlock_after_timers_raced_their_firing_is_reported,
        ),
        (
            "a_deadlock_in_select_is_reported",
            tests::a_deadlock_in_select_is_reported,
        ),
        (
            "a_deadlock_in_waitgroup_wait_is_reported",
            tests::a_deadlock_in_waitgroup_wait_is_reported,
        ),
        (
            "a_deadlock_on_a_mutex_is_reported",
            tests::a_deadlock_on_a_mutex_is_reported,
        ),
        ("no_false_positives", tests::no_false_positives),
        (
            "the_detector_can_be_switched_off",
            tests::the_detector_can_be_switched_off,
        ),
    ]);
}

#[cfg(loom)]
fn main() {}
