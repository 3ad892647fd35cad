//! `#[gocsp::main]` and `fn main` in `go_syntax!`, checked in child processes: main runs as a
//! goroutine; returning `()` or `Ok` exits 0, `Err` prints `Error: ...` and exits 1, a panic
//! prints Go's report and exits 2, and a main goroutine that blocks with every goroutine asleep
//! gets Go's deadlock report (main goroutine first, no thread) and exits 2 — but never while
//! it waits for something that will come.
//!
//! A `harness = false` target: each scenario is a `main` in a module of its own, run by
//! re-executing this binary with the scenario's name in `GOCSP_TEST_CHILD`, on the process's
//! real main thread.

#[cfg(not(any(loom, miri)))]
mod common;

#[cfg(not(any(loom, miri)))]
mod scenarios {
    //! Each `main` here is what a user's `fn main` would be.

    pub(super) mod unit {
        use gocsp::prelude::*;

        #[gocsp::main]
        pub(crate) fn main() {
            let ch: Chan<u64> = make!(chan u64);
            let tx = ch.sender();
            go!(move || tx.send(gocsp::goroutine_id().unwrap()));
            let other = ch.recv().unwrap();
            let me = gocsp::goroutine_id().expect("main runs as a goroutine");
            println!("main={me} other={other}");
        }
    }

    pub(super) mod ok {
        #[gocsp::main(workers = 3)]
        pub(crate) fn main() -> Result<(), String> {
            let rt_workers = std::thread::available_parallelism().map_or(0, |n| n.get());
            println!(
                "goroutine={} cores={rt_workers}",
                gocsp::goroutine_id().is_some()
            );
            "42".parse::<i32>().map_err(|e| e.to_string())?;
            Ok(())
        }
    }

    pub(super) mod err {
        #[derive(Debug)]
        #[allow(dead_code)]
        pub(crate) struct NotFound(&'static str);

        #[gocsp::main]
        pub(crate) fn main() -> Result<(), NotFound> {
            Err(NotFound("config.toml"))
        }
    }

    pub(super) mod panics {
        #[gocsp::main]
        pub(crate) fn main() {
            println!("before");
            panic!("boom in main");
        }
    }

    pub(super) mod deadlock {
        use gocsp::prelude::*;

        #[gocsp::main]
        pub(crate) fn main() {
            let ch: Chan<i32> = make!(chan i32);
            let other: Chan<i32> = make!(chan i32);
            let rx = other.receiver();
            go!(move || {
                rx.recv();
            });
            println!("main={}", line!() + 1);
            ch.recv();
            println!("unreachable");
        }
    }

    pub(super) mod waits_for_a_sleeper {
        use gocsp::prelude::*;
        use std::time::Duration;

        #[gocsp::main]
        pub(crate) fn main() {
            let ch: Chan<i32> = make!(chan i32);
            let tx = ch.sender();
            go!(move || {
                time::sleep(Duration::from_millis(400));
                tx.send(7);
            });
            println!("got={}", ch.recv().unwrap());
        }
    }

    pub(super) mod fed_by_a_thread {
        use gocsp::prelude::*;
        use std::time::Duration;

        #[gocsp::main]
        pub(crate) fn main() {
            let ch: Chan<i32> = make!(chan i32);
            let tx = ch.sender();
            // A thread gocsp has never seen: every goroutine is asleep meanwhile, but this
            // thread will send, so it is no deadlock.
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(400));
                tx.send(9);
            });
            println!("got={}", ch.recv().unwrap());
        }
    }

    pub(super) mod go_syntax_main {
        gocsp::go_syntax! {
            pub(crate) fn main() {
                ch := make(chan u64, 1)
                ch <- gocsp::goroutine_id().expect("go_syntax!'s main runs as a goroutine")
                println!("main={}", <-ch)
            }
        }
    }
}

#[cfg(not(any(loom, miri)))]
mod tests {
    use std::time::Duration;

    use crate::common::{ChildRun, run_child};

    const LIMIT: Duration = Duration::from_secs(60);

    fn run(scenario: &str) -> ChildRun {
        let run = run_child(scenario, &[], LIMIT, None);
        assert!(!run.killed, "{scenario} hung: {run:?}");
        run
    }

    pub(super) fn main_is_a_goroutine_and_returns_0() {
        let run = run("unit");
        assert_eq!(run.code, Some(0), "{run:?}");
        assert!(run.stdout.contains("main="), "{run:?}");
    }

    pub(super) fn ok_returns_0_with_options() {
        let run = run("ok");
        assert_eq!(run.code, Some(0), "{run:?}");
        assert!(run.stdout.contains("goroutine=true"), "{run:?}");
    }

    pub(super) fn err_prints_the_error_and_exits_1() {
        let run = run("err");
        assert_eq!(run.code, Some(1), "{run:?}");
        assert!(
            run.stderr.contains("Error: NotFound(\"config.toml\")"),
            "{run:?}"
        );
    }

    pub(super) fn a_panic_prints_gos_report_and_exits_2() {
        let run = run("panics");
        assert_eq!(run.code, Some(2), "{run:?}");
        assert!(run.stdout.contains("before"), "{run:?}");
        assert!(
            run.stderr.contains("panic: boom in main\n\ngoroutine "),
            "{run:?}"
        );
        assert!(run.stderr.contains(" [running]:"), "{run:?}");
    }

    pub(super) fn a_deadlocked_main_goroutine_is_reported() {
        let run = run("deadlock");
        assert_eq!(run.code, Some(2), "{run:?}");
        let err = &run.stderr;
        assert!(
            err.starts_with("fatal error: all goroutines are asleep - deadlock!\n\ngoroutine "),
            "{err}"
        );
        assert!(!err.contains("main thread"), "{err}");
        assert!(!run.stdout.contains("unreachable"), "{run:?}");
        // The main goroutine comes first, blocked at its receive; then the other one.
        let line: u32 = run
            .stdout
            .trim()
            .strip_prefix("main=")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no line: {run:?}"));
        let first = err.split("\n\n").nth(1).unwrap_or_default();
        assert!(first.contains("[chan receive]:"), "{err}");
        assert!(
            first.contains(&format!("blocked at {}:{line}:", file!())),
            "{err}"
        );
        assert_eq!(err.matches("[chan receive]:").count(), 2, "{err}");
    }

    pub(super) fn waiting_for_a_sleeper_is_no_deadlock() {
        let run = run("waits_for_a_sleeper");
        assert_eq!(run.code, Some(0), "{run:?}");
        assert!(run.stdout.contains("got=7"), "{run:?}");
    }

    pub(super) fn a_thread_feeding_main_is_no_deadlock() {
        let run = run("fed_by_a_thread");
        assert_eq!(run.code, Some(0), "{run:?}");
        assert!(run.stdout.contains("got=9"), "{run:?}");
    }

    pub(super) fn go_syntax_main_is_a_goroutine() {
        let run = run("go_syntax_main");
        assert_eq!(run.code, Some(0), "{run:?}");
        assert!(run.stdout.contains("main="), "{run:?}");
    }
}

#[cfg(not(any(loom, miri)))]
fn main() -> std::process::ExitCode {
    use std::process::ExitCode;
    if let Ok(scenario) = std::env::var(common::CHILD_ENV) {
        return match scenario.as_str() {
            "unit" => scenarios::unit::main(),
            "ok" => scenarios::ok::main(),
            "err" => scenarios::err::main(),
            "panics" => scenarios::panics::main(),
            "deadlock" => scenarios::deadlock::main(),
            "waits_for_a_sleeper" => scenarios::waits_for_a_sleeper::main(),
            "fed_by_a_thread" => scenarios::fed_by_a_thread::main(),
            "go_syntax_main" => scenarios::go_syntax_main::main(),
            other => panic!("unknown scenario {other:?}"),
        };
    }
    common::run_tests(&[
        (
            "main_is_a_goroutine_and_returns_0",
            tests::main_is_a_goroutine_and_returns_0,
        ),
        (
            "ok_returns_0_with_options",
            tests::ok_returns_0_with_options,
        ),
        (
            "err_prints_the_error_and_exits_1",
            tests::err_prints_the_error_and_exits_1,
        ),
        (
            "a_panic_prints_gos_report_and_exits_2",
            tests::a_panic_prints_gos_report_and_exits_2,
        ),
        (
            "a_deadlocked_main_goroutine_is_reported",
            tests::a_deadlocked_main_goroutine_is_reported,
        ),
        (
            "waiting_for_a_sleeper_is_no_deadlock",
            tests::waiting_for_a_sleeper_is_no_deadlock,
        ),
        (
            "a_thread_feeding_main_is_no_deadlock",
            tests::a_thread_feeding_main_is_no_deadlock,
        ),
        (
            "go_syntax_main_is_a_goroutine",
            tests::go_syntax_main_is_a_goroutine,
        ),
    ]);
    ExitCode::SUCCESS
}

#[cfg(any(loom, miri))]
fn main() {}
