//! Goroutine panics, checked in child processes: under the default policy an unrecovered panic
//! prints `panic: <msg>`, `goroutine <id> [running]:` and the spawn site and ends the process
//! with exit code 2 (Go's behaviour); under `PanicPolicy::Continue` it is logged and the program
//! goes on.
//!
//! A `harness = false` target: `main` runs each scenario by re-executing this binary with the
//! scenario's name in `GOCSP_TEST_CHILD`, so the scenario owns its process and main thread.

#[cfg(not(loom))]
mod common;

#[cfg(not(loom))]
mod scenarios {
    use std::time::Duration;

    use gocsp::{Builder, PanicPolicy, Runtime};

    use crate::common::say;

    use gocsp::Chan;

    /// Lets a goroutine go on once the child has printed what the parent needs (the process
    /// ends as soon as the goroutine panics).
    fn gate() -> (Chan<()>, Chan<()>) {
        let g = Chan::new(0);
        (g.clone(), g)
    }

    fn boom(go_ahead: Chan<()>) -> u32 {
        go_ahead.recv();
        panic!("boom from a goroutine")
    }

    pub(super) fn abort_spawn() {
        let (open, wait) = gate();
        let (h, line) = (gocsp::spawn(move || boom(wait)), line!());
        say(&format!("id={} line={line}", h.id()));
        open.send(());
        std::thread::sleep(Duration::from_secs(60));
        say("still alive");
    }

    pub(super) fn abort_go() {
        let (open, wait) = gate();
        let value = 42;
        let (_, line) = (gocsp::go(move || formatted(wait, value)), line!());
        say(&format!("line={line}"));
        open.send(());
        std::thread::sleep(Duration::from_secs(60));
        say("still alive");
    }

    fn formatted(go_ahead: Chan<()>, value: i32) {
        go_ahead.recv();
        panic!("formatted {value}")
    }

    fn boom_on_a_runtime(go_ahead: Chan<()>) {
        go_ahead.recv();
        panic!("boom on a runtime")
    }

    pub(super) fn abort_runtime() {
        let (open, wait) = gate();
        let rt = Runtime::builder().workers(1).build().unwrap();
        let (h, line) = (rt.spawn(move || boom_on_a_runtime(wait)), line!());
        say(&format!("id={} line={line}", h.id()));
        open.send(());
        let _ = h.join();
        say("still alive");
    }

    std::thread_local! {
        static LENT: Vec<u64> = vec![1; 8 << 20];
    }

    /// A goroutine lends its worker's thread-local to a `blocking` helper that reads it until
    /// the process ends; another goroutine on that worker panics. The exit must not free the
    /// thread-local under the helper (64 MiB: freed, it is unmapped, and the read faults).
    pub(super) fn exit_with_a_lent_thread_local() {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let (open, wait) = gate();
        let (reading, read) = gate();
        rt.spawn(move || {
            LENT.with(|v| {
                gocsp::blocking(|| {
                    reading.send(());
                    let start = std::time::Instant::now();
                    let mut sum = 0u64;
                    while start.elapsed() < Duration::from_secs(30) {
                        sum = sum.wrapping_add(v.iter().sum::<u64>());
                    }
                    sum
                })
            })
        });
        read.recv();
        let (_, line) = (rt.spawn(move || boom(wait)), line!());
        say(&format!("line={line}"));
        open.send(());
        std::thread::sleep(Duration::from_secs(60));
        say("still alive");
    }

    pub(super) fn continue_global() {
        Builder::new()
            .panic_policy(PanicPolicy::Continue)
            .build_global()
            .unwrap();
        assert!(
            Builder::new().build_global().is_err(),
            "a second global runtime was built"
        );
        let (h, line) = (gocsp::spawn(|| -> u32 { panic!("first failure") }), line!());
        println!("id={} line={line}", h.id());
        let err = h.join().expect_err("the panic comes back through join");
        println!("joined with panic: {}", crate::common::panic_message(&*err));
        gocsp::go(|| panic!("second failure"));
        crate::common::wait_until("the second goroutine to end", || {
            gocsp::num_goroutine() == 0
        });
        let h = gocsp::spawn(|| 2 + 3);
        println!("program went on: {}", h.join().unwrap());
    }

    pub(super) fn continue_runtime() {
        let rt = Runtime::builder()
            .workers(2)
            .panic_policy(PanicPolicy::Continue)
            .build()
            .unwrap();
        let err = rt
            .spawn(|| -> () { panic!("boom on a forgiving runtime") })
            .join()
            .unwrap_err();
        println!("joined with panic: {}", crate::common::panic_message(&*err));
        // block_on resumes the goroutine's panic in the caller.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(|| -> u8 { panic!("inside block_on") })
        }));
        println!(
            "block_on resumed: {}",
            crate::common::panic_message(&*r.unwrap_err())
        );
        println!("program went on: {}", rt.block_on(|| 6 * 7));
    }

    /// A panic payload whose own `Drop` panics.
    struct Bomb(&'static str);

    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("{}", self.0)
        }
    }

    /// A result whose `Drop` panics.
    struct BadResult;

    impl Drop for BadResult {
        fn drop(&mut self) {
            panic!("the result's drop panicked")
        }
    }

    pub(super) fn payload_drop_panics() {
        // One worker: if it died, nothing below could run.
        let rt = Runtime::builder()
            .workers(1)
            .panic_policy(PanicPolicy::Continue)
            .build()
            .unwrap();
        // `go`: nobody joins, so the goroutine drops its own panic's payload.
        rt.block_on(|| gocsp::go(|| std::panic::panic_any(Bomb("the payload's drop panicked"))));
        crate::common::wait_until("the goroutine to end", || gocsp::num_goroutine() == 0);
        say(&format!("after the payload: {}", rt.block_on(|| 6 * 7)));
        // A result nobody joins is dropped by the goroutine too.
        drop(rt.spawn(|| {
            std::thread::sleep(Duration::from_millis(1));
            BadResult
        }));
        crate::common::wait_until("the goroutine to end", || gocsp::num_goroutine() == 0);
        say(&format!("after the result: {}", rt.block_on(|| 6 * 7)));
    }

    /// Goroutines still queued when their runtime is dropped are discarded; one whose closure
    /// panics when dropped is reported, and the others are still discarded.
    pub(super) fn closure_drop_panics_at_shutdown() {
        let rt = Runtime::builder()
            .workers(1)
            .panic_policy(PanicPolicy::Continue)
            .build()
            .unwrap();
        // Hold the only worker until the drop has begun.
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let blocker = rt.spawn(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        started_rx.recv().unwrap();
        let bomb = Bomb("a capture's drop panicked");
        let first = rt.spawn(move || {
            let _keep = &bomb;
            1
        });
        let second = rt.spawn(|| 2);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            release_tx.send(()).unwrap();
        });
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(rt)));
        say(&format!("drop returned: {}", dropped.is_ok()));
        say(&format!("blocker: {:?}", blocker.join().is_ok()));
        for (name, h) in [("first", first), ("second", second)] {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(h.join().map_err(|p| crate::common::panic_message(&*p)));
            });
            match rx.recv_timeout(crate::common::HANG_GUARD) {
                Ok(r) => say(&format!("join {name}: {r:?}")),
                Err(_) => say(&format!("join {name}: hung")),
            }
        }
    }
}

#[cfg(not(loom))]
mod tests {
    use std::time::Duration;

    use crate::common::{ChildRun, run_child};

    const LIMIT: Duration = Duration::from_secs(60);
    const FILE: &str = file!();

    fn field(run: &ChildRun, name: &str) -> String {
        run.stdout
            .split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("child printed no {name}: {run:?}"))
            .to_string()
    }

    fn expect_abort(run: &ChildRun, msg: &str) {
        assert_eq!(
            run.code,
            Some(2),
            "exit code 2 after a goroutine panic: {run:?}"
        );
        assert!(!run.stdout.contains("still alive"), "{run:?}");
        assert!(run.stderr.contains(&format!("panic: {msg}\n")), "{run:?}");
        let line = field(run, "line");
        let site = format!("spawned at {FILE}:{line}:");
        assert!(run.stderr.contains(&site), "no {site:?} in {run:?}");
    }

    pub(super) fn default_policy_prints_the_panic_and_exits_2() {
        let run = run_child("abort_spawn", &[], LIMIT, None);
        expect_abort(&run, "boom from a goroutine");
        let id = field(&run, "id");
        let header = format!("goroutine {id} [running]:");
        assert!(run.stderr.contains(&header), "no {header:?} in {run:?}");
    }

    pub(super) fn default_policy_for_a_go_statement() {
        let run = run_child("abort_go", &[], LIMIT, None);
        expect_abort(&run, "formatted 42");
        assert!(run.stderr.contains(" [running]:"), "{run:?}");
    }

    pub(super) fn default_policy_on_an_explicit_runtime() {
        let run = run_child("abort_runtime", &[], LIMIT, None);
        expect_abort(&run, "boom on a runtime");
        let id = field(&run, "id");
        assert!(
            run.stderr.contains(&format!("goroutine {id} [running]:")),
            "{run:?}"
        );
    }

    pub(super) fn the_exit_leaves_a_workers_lent_thread_locals_alone() {
        let run = run_child("exit_with_a_lent_thread_local", &[], LIMIT, None);
        expect_abort(&run, "boom from a goroutine");
    }

    pub(super) fn continue_policy_logs_and_goes_on() {
        let run = run_child("continue_global", &[], LIMIT, None);
        assert_eq!(run.code, Some(0), "{run:?}");
        assert!(
            run.stdout.contains("joined with panic: first failure"),
            "{run:?}"
        );
        assert!(run.stdout.contains("program went on: 5"), "{run:?}");
        let id = field(&run, "id");
        let line = field(&run, "line");
        assert!(run.stderr.contains("panic: first failure\n"), "{run:?}");
        assert!(
            run.stderr.contains(&format!("goroutine {id} [running]:")),
            "{run:?}"
        );
        assert!(
            run.stderr.contains(&format!("spawned at {FILE}:{line}:")),
            "{run:?}"
        );
        assert!(run.stderr.contains("panic: second failure\n"), "{run:?}");
    }

    pub(super) fn continue_policy_on_an_explicit_runtime() {
        let run = run_child("continue_runtime", &[], LIMIT, None);
        assert_eq!(run.code, Some(0), "{run:?}");
        assert!(
            run.stdout
                .contains("joined with panic: boom on a forgiving runtime"),
            "{run:?}"
        );
        assert!(
            run.stdout.contains("block_on resumed: inside block_on"),
            "{run:?}"
        );
        assert!(run.stdout.contains("program went on: 42"), "{run:?}");
        assert!(
            run.stderr.contains("panic: boom on a forgiving runtime\n"),
            "{run:?}"
        );
    }

    pub(super) fn a_payload_whose_drop_panics_does_not_kill_the_worker() {
        let run = run_child("payload_drop_panics", &[], LIMIT, None);
        assert_eq!(run.code, Some(0), "{run:?}");
        assert!(run.stdout.contains("after the payload: 42"), "{run:?}");
        assert!(run.stdout.contains("after the result: 42"), "{run:?}");
        // Both panics of the first goroutine are reported, naming it; the second says when it
        // happened.
        let first = "panic: Box<dyn Any>\n\ngoroutine ";
        let id: u64 = run
            .stderr
            .split_once(first)
            .and_then(|(_, rest)| rest.split_once(' '))
            .and_then(|(id, _)| id.parse().ok())
            .unwrap_or_else(|| panic!("no report of the first panic: {run:?}"));
        assert!(
            run.stderr.contains(&format!(
                "panic: the payload's drop panicked\n\ngoroutine {id} [running]:\n\tspawned at "
            )),
            "{run:?}"
        );
        assert!(
            run.stderr
                .contains("raised while dropping the payload of the goroutine's first panic"),
            "{run:?}"
        );
        assert!(
            run.stderr.contains("panic: the result's drop panicked\n"),
            "{run:?}"
        );
        assert!(!run.stderr.contains("fatal error"), "{run:?}");
    }

    pub(super) fn a_closure_whose_drop_panics_at_shutdown_is_reported() {
        let run = run_child("closure_drop_panics_at_shutdown", &[], LIMIT, None);
        assert_eq!(run.code, Some(0), "{run:?}");
        let never_ran = "Err(\"goroutine never ran: its runtime was shut down\")";
        for line in [
            "drop returned: true".to_string(),
            "blocker: true".to_string(),
            format!("join first: {never_ran}"),
            format!("join second: {never_ran}"),
        ] {
            assert!(
                run.stdout.lines().any(|l| l == line),
                "no {line:?}: {run:?}"
            );
        }
        assert!(
            run.stderr.contains("panic: a capture's drop panicked\n"),
            "{run:?}"
        );
        assert!(
            run.stderr
                .contains("raised while dropping the closure of a goroutine that never ran"),
            "{run:?}"
        );
    }
}

#[cfg(not(loom))]
fn main() {
    if let Ok(scenario) = std::env::var(common::CHILD_ENV) {
        match scenario.as_str() {
            "abort_spawn" => scenarios::abort_spawn(),
            "abort_go" => scenarios::abort_go(),
            "abort_runtime" => scenarios::abort_runtime(),
            "exit_with_a_lent_thread_local" => scenarios::exit_with_a_lent_thread_local(),
            "continue_global" => scenarios::continue_global(),
            "continue_runtime" => scenarios::continue_runtime(),
            "payload_drop_panics" => scenarios::payload_drop_panics(),
            "closure_drop_panics_at_shutdown" => scenarios::closure_drop_panics_at_shutdown(),
            other => panic!("unknown scenario {other:?}"),
        }
        return;
    }
    common::run_tests(&[
        (
            "default_policy_prints_the_panic_and_exits_2",
            tests::default_policy_prints_the_panic_and_exits_2,
        ),
        (
            "default_policy_for_a_go_statement",
            tests::default_policy_for_a_go_statement,
        ),
        (
            "default_policy_on_an_explicit_runtime",
            tests::default_policy_on_an_explicit_runtime,
        ),
        (
            "the_exit_leaves_a_workers_lent_thread_locals_alone",
            tests::the_exit_leaves_a_workers_lent_thread_locals_alone,
        ),
        (
            "continue_policy_logs_and_goes_on",
            tests::continue_policy_logs_and_goes_on,
        ),
        (
            "continue_policy_on_an_explicit_runtime",
            tests::continue_policy_on_an_explicit_runtime,
        ),
        (
            "a_payload_whose_drop_panics_does_not_kill_the_worker",
            tests::a_payload_whose_drop_panics_does_not_kill_the_worker,
        ),
        (
            "a_closure_whose_drop_panics_at_shutdown_is_reported",
            tests::a_closure_whose_drop_panics_at_shutdown_is_reported,
        ),
    ]);
}

#[cfg(loom)]
fn main() {}
