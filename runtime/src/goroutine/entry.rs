//! `#[gocsp::main]` and `#[gocsp::test]` at run time: the program's `main`, or a test's body,
//! runs as a goroutine, as in Go.
//!
//! The process's main thread starts the goroutine on the global runtime and waits for it. Its
//! wait is the one deadlock detection watches (see `deadlock.rs`): when the main goroutine
//! and every other goroutine are asleep, the report names the main goroutine first and no
//! thread, as Go's does. Exit codes follow Go and Rust: 0 when main returns, the
//! [`Termination`] code of what it returns (an `Err` prints `Error: {e:?}` and gives 1), 2
//! after an unrecovered panic (Go's report is printed by the panic policy).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::{ExitCode, Termination};
use std::time::Duration;

use super::spawn_on;
use crate::block::BlockReason;
use crate::sched::{Builder, Runtime, deadlock, global, panic_message};

/// How long a `#[gocsp::test(check_leaks)]` test's goroutines get to finish after its body
/// returns, before they count as leaked.
const LEAK_GRACE: Duration = Duration::from_millis(500);

/// `#[gocsp::main(...)]`'s options.
#[derive(Debug, Default)]
pub struct MainOptions {
    /// `workers = n`: the global runtime's worker count (else `GOMAXPROCS`, else the cores).
    pub workers: Option<usize>,
    /// `stack_size = bytes`: the goroutines' stack size.
    pub stack_size: Option<usize>,
}

/// `#[gocsp::test(...)]`'s options.
#[derive(Debug, Default)]
pub struct TestOptions {
    /// `workers = n`: run the test on a runtime of its own with `n` workers.
    pub workers: Option<usize>,
    /// `check_leaks`: fail the test when goroutines it started outlive it.
    pub check_leaks: bool,
}

/// The body of `#[gocsp::main] fn main`: runs `f` as the main goroutine and returns the
/// process's exit code.
#[track_caller]
pub fn run_main<R, F>(opts: MainOptions, f: F) -> ExitCode
where
    F: FnOnce() -> R + Send + 'static,
    R: Termination,
{
    if opts.workers.is_some() || opts.stack_size.is_some() {
        let mut b = Builder::new();
        if let Some(n) = opts.workers {
            b.workers(n);
        }
        if let Some(s) = opts.stack_size {
            b.stack_size(s);
        }
        if let Err(e) = b.build_global() {
            panic!("#[gocsp::main]: cannot apply the runtime options: {e}");
        }
    }
    let main = spawn_on(Some(global()), move || f().report()).unwrap_or_else(|e| panic!("{e}"));
    deadlock::main_goroutine(main.id());
    match main.join_for(BlockReason::MainGoroutine) {
        Ok(code) => code,
        // Under `PanicPolicy::Continue` the report is printed and main's join sees the panic;
        // an unrecovered panic in main ends the process all the same, as in Go.
        Err(_) => crate::sched::exit(2),
    }
}

/// The body of a `#[gocsp::test]`: runs `f` as a goroutine and fails the test (a panic on the
/// test's thread, which `#[should_panic]` sees) if `f` panics, returns an error, or, with
/// `check_leaks`, leaves goroutines behind.
///
/// A panic in another goroutine the test started ends the test process with Go's report, as
/// `go test` does (that goroutine's panic can't be tied to one test).
#[track_caller]
pub fn run_test<R, F>(opts: TestOptions, f: F)
where
    F: FnOnce() -> R + Send + 'static,
    R: TestReturn,
{
    let own = opts.workers.map(|n| {
        Runtime::builder()
            .workers(n)
            .build()
            .unwrap_or_else(|e| panic!("#[gocsp::test]: cannot start a runtime: {e}"))
    });
    let rt = own.as_ref().map_or_else(global, Runtime::shared);
    let check = opts.check_leaks;
    let body = move || {
        let id = crate::sched::goroutine_id().unwrap_or(0);
        let run = || {
            if check {
                super::check_leaks(LEAK_GRACE, f).into_outcome()
            } else {
                f().into_outcome()
            }
        };
        catch_unwind(AssertUnwindSafe(run)).map_err(|p| (panic_message(p.as_ref()).to_string(), id))
    };
    let h = spawn_on(Some(rt), body).unwrap_or_else(|e| panic!("{e}"));
    match h.join() {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => panic!("the test returned {e}"),
        Ok(Err((msg, id))) => panic!("{msg}\n\ngoroutine {id} [running]: the body of this test"),
        Err(p) => std::panic::resume_unwind(p),
    }
}

/// What a `#[gocsp::test]` function may return, as with `#[test]`: `()`, or a `Result` whose
/// error is `Debug` (an `Err` fails the test with `Error: {e:?}`).
#[diagnostic::on_unimplemented(
    message = "a `#[gocsp::test]` function returns `()` or `Result<(), E>` with `E: Debug`, not `{Self}`"
)]
pub trait TestReturn {
    /// `Err` with the message that fails the test.
    fn into_outcome(self) -> Result<(), String>;
}

impl TestReturn for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<T: TestReturn, E: std::fmt::Debug> TestReturn for Result<T, E> {
    fn into_outcome(self) -> Result<(), String> {
        match self {
            Ok(v) => v.into_outcome(),
            Err(e) => Err(format!("Error: {e:?}")),
        }
    }
}
