//! Recovering from a panic inside a goroutine.
//!
//! In Go, a panic that no deferred `recover` stops ends the whole program, whichever
//! goroutine it happened in: it prints `panic: ...` and the goroutine's trace, and exits with
//! status 2. A goroutine that may panic recovers on its own, in a deferred function:
//!
//! ```go
//! func safely(id int, results chan<- result) {
//!     defer func() {
//!         if r := recover(); r != nil {
//!             results <- result{id: id, err: fmt.Sprint(r)}
//!         }
//!     }()
//!     results <- result{id: id, value: work(id)}
//! }
//! ```
//!
//! gocsp does the same. Rust's `recover` is `std::panic::catch_unwind` around the code that
//! may panic; `gocsp_examples::recover` wraps it and returns the panic message as an `Err`.
//! Deferred statements (`defer!`) run while the panic unwinds, before it is recovered, as
//! Go's deferred calls do. This program shows, in order:
//!
//! 1. goroutines that recover, turning one job's panic into an error result;
//! 2. `PanicPolicy::Continue`: a runtime option that logs an unrecovered panic, ends only that
//!    goroutine, and makes `JoinHandle::join` return the panic as `Err`;
//! 3. the default: an unrecovered panic ends the process with status 2 and Go's `panic:`
//!    report (shown by running this program again as a child process).
#![forbid(unsafe_code)]

use std::process::Command;
use std::time::Duration;

use gocsp::prelude::*;
use gocsp::{PanicPolicy, Runtime};
use gocsp_examples::{heading, panic_message, recover};

/// A job's id and its value, or the message of the panic it recovered from.
type Outcome = (i32, Result<i32, String>);

/// Work that panics for job 3 (an integer division by zero).
fn work(id: i32) -> i32 {
    100 / (id - 3)
}

/// One job in its own goroutine: the panic stays inside `recover`, the result goes out.
fn safely(id: i32, results: Sender<Outcome>, unwound: Sender<i32>) {
    let result = recover(|| {
        defer!(unwound.send(id)); // runs on the way out, panic or not
        work(id)
    });
    results.send((id, result));
}

fn recovered_in_goroutines() {
    heading("1. recover inside the goroutine");
    let results = make!(chan Outcome, 5);
    let unwound = make!(chan i32, 5);
    for id in 1..=5 {
        go!(safely(id, results.sender(), unwound.sender()));
    }
    let mut got: Vec<Outcome> = (0..5).map(|_| results.recv().unwrap()).collect();
    got.sort_by_key(|(id, _)| *id);
    for (id, r) in &got {
        match r {
            Ok(v) => println!("  job {id}: {v}"),
            Err(e) => println!("  job {id}: recovered from panic: {e}"),
        }
    }
    let deferred = unwound.try_iter().count();
    println!("  the deferred statement ran in all {deferred} goroutines, the panicking one too");
    assert_eq!(got[2], (3, Err("attempt to divide by zero".to_string())));
    assert_eq!(got[0].1, Ok(-50));
    assert_eq!(got[4].1, Ok(50));
    assert_eq!(deferred, 5);
}

fn continue_policy() {
    heading("2. PanicPolicy::Continue");
    println!("  (the runtime logs the panic on stderr, ends that goroutine, and goes on)");
    let rt = Runtime::builder()
        .panic_policy(PanicPolicy::Continue)
        .build()
        .expect("a runtime");
    let failed = rt.spawn(|| -> i32 { panic!("something broke in a goroutine") });
    let fine = rt.spawn(|| 6 * 7);
    let failed = failed.join().map_err(|p| panic_message(p.as_ref()));
    let fine = fine.join().map_err(|p| panic_message(p.as_ref()));
    println!("  join on the panicking goroutine: {failed:?}");
    println!("  join on another goroutine of the same runtime: {fine:?}");
    assert_eq!(failed, Err("something broke in a goroutine".to_string()));
    assert_eq!(fine, Ok(42));
}

const CHILD: &str = "--unrecovered-panic";

/// Run as a child process: a goroutine panics and nothing recovers it.
fn child() {
    go!(|| panic!("nobody recovers this"));
    gocsp::time::sleep(Duration::from_secs(10));
    eprintln!("the process outlived an unrecovered goroutine panic");
}

fn abort_by_default() {
    heading("3. The default: an unrecovered panic ends the process");
    let exe = std::env::current_exe().expect("the path of this program");
    let out = Command::new(exe)
        .arg(CHILD)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run this program as a child");
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("  the child's stderr:");
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        println!("  | {line}");
    }
    println!("  the child's exit status: {:?}", out.status.code());
    assert_eq!(out.status.code(), Some(2), "Go's exit status for a panic");
    assert!(stderr.contains("panic: nobody recovers this"), "{stderr}");
    assert!(stderr.contains("goroutine "), "{stderr}");
    assert!(
        stderr.contains("spawned at examples/src/bin/recover.rs"),
        "the report names the go! that started the goroutine: {stderr}"
    );
}

#[gocsp::main]
fn main() {
    if std::env::args().any(|a| a == CHILD) {
        child();
        return;
    }
    recovered_in_goroutines();
    continue_policy();
    abort_by_default();
    println!("\nok: recovered where recovered, logged under Continue, fatal by default");
}
