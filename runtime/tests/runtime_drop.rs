//! Dropping a `Runtime` whose goroutines are blocked: they die, and a dead goroutine is no
//! counterparty. A send to it does not complete (an unbuffered one blocks; a buffered one wakes
//! a live receiver instead), `join` on it returns an error instead of hanging, a goroutine
//! woken while the runtime is dropped still gets what it was handed, the drop ends even while
//! goroutines ping-pong or yield, no value is lost while runtimes are dropped under traffic,
//! deadlock detection keeps judging the live runtimes, and a dead goroutine's worker thread
//! stays (parked) so the thread-locals its frames borrow are never destroyed under them.
//!
//! A `harness = false` target: each scenario runs in a child process (dead goroutines stay in
//! the process for good, and some scenarios end in a deadlock report), judged by exit status
//! and output. Waits in the children have a hang guard that prints what hung.

#[cfg(not(loom))]
mod common;

#[cfg(not(loom))]
mod scenarios {
    use std::sync::mpsc;
    use std::time::Duration;

    use gocsp::{Chan, JoinHandle, Runtime, Select};

    use crate::common::{HANG_GUARD, panic_message, say, wait_blocked};

    /// Joins on a helper thread; prints `join <name>: Ok(..)`, `Err(<message>)` or `hung`.
    fn report_join<T: Send + std::fmt::Debug + 'static>(name: &str, h: JoinHandle<T>) {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(h.join().map_err(|p| panic_message(&*p)));
        });
        match rx.recv_timeout(HANG_GUARD) {
            Ok(Ok(v)) => say(&format!("join {name}: Ok({v:?})")),
            Ok(Err(msg)) => say(&format!("join {name}: Err({msg})")),
            Err(_) => say(&format!("join {name}: hung")),
        }
    }

    fn one_worker() -> Runtime {
        Runtime::builder().workers(1).build().unwrap()
    }

    /// A goroutine blocked receiving and one blocked in a select die with their runtime; sends
    /// to them do not complete, and the main thread's blocking send is a deadlock.
    pub(super) fn send_to_dead_receivers() {
        let rt = one_worker();
        let ch: Chan<String> = Chan::new(0);
        let (a, b): (Chan<u8>, Chan<u8>) = (Chan::new(0), Chan::new(0));
        let c = ch.clone();
        let receiver = rt.spawn(move || c.recv());
        let (a2, b2) = (a.clone(), b.clone());
        let selector = rt.spawn(move || {
            let mut s = Select::new();
            s.recv(&a2);
            s.recv(&b2);
            s.select()
        });
        wait_blocked(receiver.id(), "chan receive");
        wait_blocked(selector.id(), "select");
        let id = receiver.id();
        drop(rt);

        match ch.try_send("lost?".to_string()) {
            Ok(()) => say("try_send: sent"),
            Err(e) if e.is_full() => say(&format!("try_send: full, got {:?} back", e.into_inner())),
            Err(e) => say(&format!("try_send: {e}")),
        }
        for (name, c) in [("a", &a), ("b", &b)] {
            let r = c.try_send(1);
            say(&format!(
                "select case {name}: {}",
                if r.is_ok() { "sent" } else { "full" }
            ));
        }
        report_join("receiver", receiver);
        report_join("selector", selector);
        let dump = gocsp::dump();
        say(&format!(
            "dump: {}",
            dump.lines()
                .find(|l| l.starts_with(&format!("goroutine {id} ")))
                .unwrap_or("missing")
        ));
        say("blocking");
        ch.send("nobody takes this".to_string());
        say("unreachable: the send completed");
    }

    /// A buffered send wakes a live receiver, not the dead one registered before it; then the
    /// main thread blocks for good, and the deadlock is reported.
    pub(super) fn buffered_send_wakes_the_live_receiver() {
        let rt = one_worker();
        let ch: Chan<u32> = Chan::new(1);
        let c = ch.clone();
        let dead = rt.spawn(move || c.recv());
        wait_blocked(dead.id(), "chan receive");
        drop(rt);
        let c = ch.clone();
        let live = gocsp::spawn(move || c.recv());
        wait_blocked(live.id(), "chan receive");
        ch.send(7);
        report_join("live", live);
        drop(dead);
        let other: Chan<u8> = Chan::new(0);
        say("blocking");
        other.recv();
        say("unreachable: the receive completed");
    }

    /// One worker. `b` waits on `ch`; `a` holds the worker (a thread-blocking call) while the
    /// runtime's drop begins, then sends to `b`: `b` was woken with a value, so it runs once
    /// more, forwards the value, and dies at its next receive.
    pub(super) fn a_value_handed_over_during_the_drop_is_not_lost() {
        let rt = one_worker();
        let ch: Chan<u32> = Chan::new(0);
        let (fwd_tx, fwd_rx) = mpsc::channel();
        let c = ch.clone();
        let b = rt.spawn(move || {
            let v = c.recv();
            fwd_tx.send(v).unwrap();
            c.recv()
        });
        wait_blocked(b.id(), "chan receive");
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let c = ch.clone();
        let a = rt.spawn(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            c.send(7);
        });
        started_rx.recv().unwrap();
        // `a` is released well after the drop began (the scenario passes either way; the pause
        // makes it all but certain that the hand-off happens during the drop).
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            release_tx.send(()).unwrap();
        });
        drop(rt);
        say("dropped");
        match fwd_rx.recv_timeout(HANG_GUARD) {
            Ok(v) => say(&format!("forwarded: {v:?}")),
            Err(_) => say("forwarded: nothing"),
        }
        report_join("a", a);
        report_join("b", b);
    }

    /// Runtimes dropped one after another while plain threads keep offering values to their
    /// goroutines (receivers, and selects) without blocking: a send completes only if a
    /// goroutine takes the value, so every completed send is counted by a receiver, also the
    /// ones that race with the drop.
    pub(super) fn values_are_never_lost_while_runtimes_are_dropped() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

        let received = Arc::new(AtomicU64::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        for round in 0..crate::common::scaled(40, 15) {
            let rt = Runtime::builder().workers(2).build().unwrap();
            let ch: Chan<u64> = Chan::new(0);
            let never: Chan<u64> = Chan::new(0);
            for i in 0..6 {
                let (c, n, r) = (ch.clone(), never.clone(), received.clone());
                rt.spawn(move || {
                    loop {
                        if i % 2 == 0 {
                            c.recv();
                        } else {
                            let mut s = Select::new();
                            s.recv(&c);
                            s.recv(&n);
                            s.select();
                        }
                        r.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
            let stop = Arc::new(AtomicBool::new(false));
            let producers: Vec<_> = (0..2)
                .map(|_| {
                    let (c, s, stop) = (ch.clone(), sent.clone(), stop.clone());
                    std::thread::spawn(move || {
                        while !stop.load(Ordering::SeqCst) {
                            if c.try_send(1).is_ok() {
                                s.fetch_add(1, Ordering::SeqCst);
                            }
                            std::hint::spin_loop();
                        }
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_millis(round as u64 % 5));
            drop(rt);
            // Go on offering for a while after the drop: nothing may take the values now.
            std::thread::sleep(Duration::from_millis(2));
            stop.store(true, Ordering::SeqCst);
            for p in producers {
                p.join().unwrap();
            }
        }
        say(&format!(
            "sent={} received={}",
            sent.load(Ordering::SeqCst),
            received.load(Ordering::SeqCst)
        ));
    }

    /// Goroutines that ping-pong forever, and one that yields forever: the drop still ends,
    /// and all of them die.
    pub(super) fn busy_goroutines_die_with_the_runtime() {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let (ping, pong): (Chan<u64>, Chan<u64>) = (Chan::new(0), Chan::new(0));
        let (p1, q1) = (ping.clone(), pong.clone());
        let pinger = rt.spawn(move || {
            let mut n = 0;
            loop {
                p1.send(n);
                n = q1.recv().unwrap() + 1;
            }
        });
        let pong_er = rt.spawn(move || {
            loop {
                let n = ping.recv().unwrap();
                pong.send(n + 1);
            }
        });
        let yielder = rt.spawn(|| {
            loop {
                gocsp::yield_now();
            }
        });
        std::thread::sleep(Duration::from_millis(20));
        let (dropped_tx, dropped_rx) = mpsc::channel();
        std::thread::spawn(move || {
            drop(rt);
            dropped_tx.send(()).unwrap();
        });
        match dropped_rx.recv_timeout(HANG_GUARD) {
            Ok(()) => say("dropped"),
            Err(_) => say("drop hung"),
        }
        report_join("pinger", pinger);
        report_join("ponger", pong_er);
        report_join("yielder", yielder);
    }

    /// A goroutine drops its own runtime, then starts goroutines from one site (placement
    /// deals some of them to the other worker, whose thread has finished): none of them runs,
    /// and every join says so instead of waiting forever.
    pub(super) fn spawns_after_a_drop_from_its_own_goroutine() {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let give: Chan<Runtime> = Chan::new(0);
        let take = give.clone();
        let (tx, rx) = mpsc::channel();
        rt.spawn(move || {
            drop(take.recv().unwrap());
            for i in 0..12 {
                tx.send(gocsp::spawn(move || i)).unwrap();
            }
        });
        give.send(rt);
        for (i, h) in rx.iter().enumerate() {
            report_join(&format!("spawned-{i}"), h);
        }
        say("done");
    }

    /// A thread-local of the worker that its goroutine lent to a scoped thread, and then
    /// blocked inside the scope: the goroutine dies with the runtime, its frames (and the
    /// scope) stay, so the worker's thread must not end and destroy the thread-local under the
    /// scoped thread, which still reads it.
    pub(super) fn a_dead_goroutines_thread_locals_outlive_the_drop() {
        use std::sync::atomic::{AtomicBool, Ordering};

        static DESTROYED: AtomicBool = AtomicBool::new(false);
        struct Canary(Vec<u64>);
        impl Drop for Canary {
            fn drop(&mut self) {
                DESTROYED.store(true, Ordering::SeqCst);
            }
        }
        std::thread_local! {
            static TL: Canary = Canary(vec![7; 1024]);
        }

        let rt = one_worker();
        let (read_tx, read_rx) = mpsc::channel::<()>();
        let (sum_tx, sum_rx) = mpsc::channel::<u64>();
        let never: Chan<()> = Chan::new(0);
        let blocked = rt.spawn(move || {
            TL.with(|c| {
                std::thread::scope(|s| {
                    s.spawn(move || {
                        if read_rx.recv().is_ok() {
                            let _ = sum_tx.send(c.0.iter().sum());
                        }
                    });
                    never.recv();
                });
            });
        });
        wait_blocked(blocked.id(), "chan receive");
        drop(rt);
        say("dropped");
        if DESTROYED.load(Ordering::SeqCst) {
            // The scoped thread would read freed memory: it is never told to.
            say("thread-local destroyed");
            return;
        }
        read_tx.send(()).unwrap();
        match sum_rx.recv_timeout(HANG_GUARD) {
            Ok(sum) => say(&format!("scoped thread read {sum}")),
            Err(_) => say("scoped thread hung"),
        }
        report_join("blocked", blocked);
    }
}

#[cfg(not(loom))]
mod tests {
    use std::time::Duration;

    use crate::common::{ChildRun, run_child};

    const LIMIT: Duration = Duration::from_secs(90);
    const FATAL: &str = "fatal error: all goroutines are asleep - deadlock!";
    const DIED: &str =
        "Err(goroutine never finished: its runtime was dropped while it was blocked)";

    fn says(run: &ChildRun, line: &str) {
        assert!(
            run.stdout.lines().any(|l| l == line),
            "no line {line:?} in the child's output: {run:?}"
        );
    }

    fn expect_deadlock(run: &ChildRun) {
        assert!(!run.killed, "the deadlock was never reported: {run:?}");
        assert_eq!(run.code, Some(2), "{run:?}");
        assert!(run.stderr.contains(FATAL), "{run:?}");
        assert!(!run.stdout.contains("unreachable"), "{run:?}");
    }

    pub(super) fn a_send_to_a_dead_goroutine_does_not_complete() {
        let run = run_child("send_to_dead_receivers", &[], LIMIT, None);
        says(&run, "try_send: full, got \"lost?\" back");
        says(&run, "select case a: full");
        says(&run, "select case b: full");
        says(&run, &format!("join receiver: {DIED}"));
        says(&run, &format!("join selector: {DIED}"));
        assert!(
            run.stdout
                .contains(" [chan receive, dead: runtime dropped]:"),
            "{run:?}"
        );
        expect_deadlock(&run);
        assert!(run.stderr.contains("main thread [chan send]:"), "{run:?}");
        assert!(
            run.stderr.contains(" [select, dead: runtime dropped]:"),
            "{run:?}"
        );
    }

    pub(super) fn a_dead_goroutine_does_not_swallow_a_wake_up_nor_hide_a_deadlock() {
        let run = run_child("buffered_send_wakes_the_live_receiver", &[], LIMIT, None);
        says(&run, "join live: Ok(Some(7))");
        expect_deadlock(&run);
        assert!(
            run.stderr
                .contains(" [chan receive, dead: runtime dropped]:"),
            "{run:?}"
        );
    }

    pub(super) fn a_value_handed_over_during_the_drop_is_not_lost() {
        let run = run_child(
            "a_value_handed_over_during_the_drop_is_not_lost",
            &[],
            LIMIT,
            None,
        );
        assert_eq!(run.code, Some(0), "{run:?}");
        says(&run, "dropped");
        says(&run, "forwarded: Some(7)");
        says(&run, "join a: Ok(())");
        says(&run, &format!("join b: {DIED}"));
    }

    pub(super) fn values_are_never_lost_while_runtimes_are_dropped() {
        let run = run_child(
            "values_are_never_lost_while_runtimes_are_dropped",
            &[],
            LIMIT,
            None,
        );
        assert_eq!(run.code, Some(0), "{run:?}");
        let line = run
            .stdout
            .lines()
            .find(|l| l.starts_with("sent="))
            .unwrap_or_else(|| panic!("no counts: {run:?}"));
        let counts: Vec<u64> = line
            .split(' ')
            .map(|w| w.split('=').nth(1).unwrap().parse().unwrap())
            .collect();
        assert!(counts[0] > 0, "no value was ever taken: {line}");
        assert_eq!(
            counts[0], counts[1],
            "every completed send is received: {line}"
        );
    }

    pub(super) fn a_dead_goroutines_thread_locals_outlive_the_drop() {
        let run = run_child(
            "a_dead_goroutines_thread_locals_outlive_the_drop",
            &[],
            LIMIT,
            None,
        );
        assert_eq!(run.code, Some(0), "{run:?}");
        says(&run, "dropped");
        says(&run, &format!("scoped thread read {}", 7 * 1024));
        says(&run, &format!("join blocked: {DIED}"));
    }

    pub(super) fn spawns_after_a_drop_from_its_own_goroutine() {
        let run = run_child(
            "spawns_after_a_drop_from_its_own_goroutine",
            &[],
            LIMIT,
            None,
        );
        assert_eq!(run.code, Some(0), "{run:?}");
        says(&run, "done");
        for i in 0..12 {
            let head = format!("join spawned-{i}: Err(goroutine never ran");
            assert!(
                run.stdout.lines().any(|l| l.starts_with(&head)),
                "no line {head:?}... in the child's output: {run:?}"
            );
        }
    }

    pub(super) fn busy_goroutines_die_with_the_runtime() {
        let run = run_child("busy_goroutines_die_with_the_runtime", &[], LIMIT, None);
        assert_eq!(run.code, Some(0), "{run:?}");
        says(&run, "dropped");
        says(&run, &format!("join pinger: {DIED}"));
        says(&run, &format!("join ponger: {DIED}"));
        says(&run, &format!("join yielder: {DIED}"));
    }
}

#[cfg(not(loom))]
fn main() {
    if let Ok(scenario) = std::env::var(common::CHILD_ENV) {
        match scenario.as_str() {
            "send_to_dead_receivers" => scenarios::send_to_dead_receivers(),
            "buffered_send_wakes_the_live_receiver" => {
                scenarios::buffered_send_wakes_the_live_receiver()
            }
            "a_value_handed_over_during_the_drop_is_not_lost" => {
                scenarios::a_value_handed_over_during_the_drop_is_not_lost()
            }
            "busy_goroutines_die_with_the_runtime" => {
                scenarios::busy_goroutines_die_with_the_runtime()
            }
            "spawns_after_a_drop_from_its_own_goroutine" => {
                scenarios::spawns_after_a_drop_from_its_own_goroutine()
            }
            "values_are_never_lost_while_runtimes_are_dropped" => {
                scenarios::values_are_never_lost_while_runtimes_are_dropped()
            }
            "a_dead_goroutines_thread_locals_outlive_the_drop" => {
                scenarios::a_dead_goroutines_thread_locals_outlive_the_drop()
            }
            other => panic!("unknown scenario {other:?}"),
        }
        return;
    }
    common::run_tests(&[
        (
            "a_send_to_a_dead_goroutine_does_not_complete",
            tests::a_send_to_a_dead_goroutine_does_not_complete,
        ),
        (
            "a_dead_goroutine_does_not_swallow_a_wake_up_nor_hide_a_deadlock",
            tests::a_dead_goroutine_does_not_swallow_a_wake_up_nor_hide_a_deadlock,
        ),
        (
            "a_value_handed_over_during_the_drop_is_not_lost",
            tests::a_value_handed_over_during_the_drop_is_not_lost,
        ),
        (
            "busy_goroutines_die_with_the_runtime",
            tests::busy_goroutines_die_with_the_runtime,
        ),
        (
            "spawns_after_a_drop_from_its_own_goroutine",
            tests::spawns_after_a_drop_from_its_own_goroutine,
        ),
        (
            "values_are_never_lost_while_runtimes_are_dropped",
            tests::values_are_never_lost_while_runtimes_are_dropped,
        ),
        (
            "a_dead_goroutines_thread_locals_outlive_the_drop",
            tests::a_dead_goroutines_thread_locals_outlive_the_drop,
        ),
    ]);
}

#[cfg(loom)]
fn main() {}
