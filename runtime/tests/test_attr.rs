//! `#[gocsp::test]`: the body runs as a goroutine; a panic in it (or an `Err`) fails the test
//! with its message; `check_leaks` fails a test that leaves goroutines behind; a panic in a
//! goroutine the test started ends the test process with Go's report (checked in a child
//! process, this binary re-run on that one test).
#![cfg(not(any(loom, miri)))]

use std::process::Command;

use gocsp::prelude::*;

#[gocsp::test]
fn the_body_is_a_goroutine() {
    let me = gocsp::goroutine_id().expect("the test body runs as a goroutine");
    let ch: Chan<u64> = make!(chan u64);
    let tx = ch.sender();
    go!(move || tx.send(gocsp::goroutine_id().unwrap()));
    assert_ne!(ch.recv(), Some(me));
}

#[gocsp::test]
fn returning_ok_passes() -> Result<(), std::num::ParseIntError> {
    assert!(gocsp::goroutine_id().is_some());
    "7".parse::<i32>()?;
    Ok(())
}

#[gocsp::test]
#[should_panic(expected = "boom in the test body")]
fn a_panic_in_the_body_fails_the_test() {
    panic!("boom in the test body");
}

#[gocsp::test]
#[should_panic(expected = "the test returned Error: ParseIntError")]
fn returning_err_fails_the_test() -> Result<(), std::num::ParseIntError> {
    "seven".parse::<i32>()?;
    Ok(())
}

#[gocsp::test(check_leaks)]
fn no_leak_passes_the_leak_check() {
    let ch: Chan<i32> = make!(chan i32);
    let tx = ch.sender();
    go!(move || tx.send(1));
    assert_eq!(ch.recv(), Some(1));
}

#[gocsp::test(check_leaks)]
#[should_panic(expected = "found 1 leaked goroutine")]
fn a_planted_leak_fails_the_test() {
    let ch: Chan<i32> = make!(chan i32);
    go!(move || {
        ch.recv(); // nobody ever sends
    });
}

#[gocsp::test(workers = 1)]
fn a_runtime_of_its_own() {
    let wg = WaitGroup::new();
    for _ in 0..10 {
        let wg = wg.clone();
        wg.add(1);
        go!(move || wg.done());
    }
    wg.wait();
}

/// Run only in a child process (below): a goroutine the test started panics.
#[gocsp::test]
fn child_goroutine_panics() {
    if std::env::var("GOCSP_TEST_CHILD").as_deref() != Ok("goroutine_panics") {
        return;
    }
    let done: Chan<()> = make!(chan());
    let rx = done.receiver();
    go!(move || panic!("boom in a spawned goroutine"));
    rx.recv(); // never: the panic ends the process
    println!("unreachable");
}

#[test]
fn a_panic_in_a_spawned_goroutine_fails_the_test_process() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_goroutine_panics", "--nocapture"])
        .env("GOCSP_TEST_CHILD", "goroutine_panics")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("panic: boom in a spawned goroutine\n\ngoroutine "),
        "{stderr}"
    );
    assert!(!stdout.contains("unreachable"), "{stdout}");
}
