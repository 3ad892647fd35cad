//! A goroutine panic inside a `cargo test` test: the process still ends with exit code 2 and
//! prints Go's report. (libtest captures what a test prints, including from threads started
//! while the test runs, such as the runtime's workers; the report must not vanish into that
//! capture when the process exits.)
#![cfg(not(loom))]

mod common;

use std::process::Command;

#[test]
fn child_goroutine_panics() {
    if std::env::var_os(common::CHILD_ENV).is_none() {
        return;
    }
    // The first use of the global runtime happens here, in a captured test thread.
    let h = gocsp::spawn(|| -> u8 { panic!("boom inside a test") });
    let _ = h.join();
    std::thread::sleep(std::time::Duration::from_secs(30));
}

#[test]
fn the_panic_report_reaches_stderr() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_goroutine_panics", "--test-threads=1"])
        .env(common::CHILD_ENV, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stderr.contains("panic: boom inside a test")
            || stdout.contains("panic: boom inside a test"),
        "the goroutine's panic report was lost:\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stderr.contains(" [running]:") || stdout.contains(" [running]:"));
}
