//! The leak check catching a leaked goroutine. A goroutine blocked forever on a channel nobody
//! will use again is a leak: it holds its stack and everything it references until the
//! process ends, and nothing reports it. `gocsp::check_leaks` (Go users get the same from
//! `go.uber.org/goleak`) runs a piece of code, waits a grace period for the goroutines it
//! started to finish, and fails with a report naming the spawn site and blocking site of each
//! one still alive.
//!
//! The leak here is the classic from "Go Concurrency Patterns": ask several replicas, keep the
//! first answer.
//!
//! ```go
//! func first(query string, replicas ...Search) Result {
//!     c := make(chan Result)    // unbuffered: the bug
//!     for _, r := range replicas {
//!         go func(r Search) { c <- r(query) }(r)
//!     }
//!     return <-c
//! }
//! ```
//!
//! Only one answer is received; the other replicas block forever on `c <- ...`. The fix is a
//! buffer with room for every answer, `make(chan Result, len(replicas))`, so every replica's
//! send completes whether or not anyone reads it.
#![forbid(unsafe_code)]

use std::time::Duration;

use gocsp::prelude::*;
use gocsp_examples::recover;

const REPLICAS: usize = 3;
const SOURCE: &str = include_str!("leak_check.rs");

/// One replica: answers after a replica-specific delay.
fn search(replica: usize, query: String, c: Sender<String>) {
    time::sleep(Duration::from_millis(1 + 2 * replica as u64));
    c.send(format!("replica {replica}: results for {query:?}"));
}

/// Leaks: the replicas that lose block forever on an unbuffered channel.
fn first_leaky(query: &str) -> String {
    let c = make!(chan String);
    for r in 0..REPLICAS {
        go!(search(r, query.to_string(), c.sender()));
    }
    c.recv().expect("c is never closed")
}

/// Fixed: room for every answer, so every replica's send completes.
fn first(query: &str) -> String {
    let c = make!(chan String, REPLICAS);
    for r in 0..REPLICAS {
        go!(search(r, query.to_string(), c.sender()));
    }
    c.recv().expect("c is never closed")
}

/// The line of this file that a report's `at examples/src/bin/leak_check.rs:LINE:COL` names.
fn source_line<'a>(report: &str, label: &str) -> &'a str {
    let at = format!("{label} at examples/src/bin/leak_check.rs:");
    let rest = &report[report
        .find(&at)
        .unwrap_or_else(|| panic!("no `{at}` in {report}"))
        + at.len()..];
    let line: usize = rest
        .split(':')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a line number");
    SOURCE
        .lines()
        .nth(line - 1)
        .expect("a line of this file")
        .trim()
}

#[gocsp::main]
fn main() {
    let grace = Duration::from_millis(50);

    println!("1. first_leaky(\"gopher\") under check_leaks:");
    let report = recover(|| gocsp::check_leaks(grace, || first_leaky("gopher")))
        .expect_err("the leak check must fail on the leaky version");
    for line in report.lines() {
        println!("   | {line}");
    }
    assert!(
        report.contains(&format!("found {} leaked goroutines", REPLICAS - 1)),
        "{report}"
    );
    assert_eq!(
        report.matches("[chan send]").count(),
        REPLICAS - 1,
        "{report}"
    );
    let spawned = source_line(&report, "spawned");
    let blocked = source_line(&report, "blocked");
    println!("   spawned at: {spawned}");
    println!("   blocked at: {blocked}");
    assert!(spawned.starts_with("go!(search("), "{spawned}");
    assert!(blocked.starts_with("c.send("), "{blocked}");
    println!(
        "   gocsp::num_goroutine() = {}: the losers are still there, and always will be",
        gocsp::num_goroutine()
    );

    println!("2. first(\"gopher\") under check_leaks:");
    let answer = gocsp::check_leaks(grace, || first("gopher"));
    println!("   {answer}; every replica finished, the check passed");
    assert!(answer.ends_with("results for \"gopher\""), "{answer}");
    println!("ok: the leak was caught and named; the fixed version passes");
}
