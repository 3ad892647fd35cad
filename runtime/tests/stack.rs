//! Goroutine stacks, checked in child processes (a failure here crashes the process): a
//! stack overflow in a goroutine ends the process on its guard page (a signal, never a silent
//! overwrite or a hang), a bigger `stack_size` allows deeper recursion, and values of a few KiB
//! cross channels from a goroutine with the default 64 KiB stack.
//!
//! Each child is this test binary run again with `--exact <child test>` and `GOCSP_TEST_CHILD`
//! set; the child tests do nothing in a normal run.
#![cfg(not(loom))]

mod common;

use std::process::{Command, Output};

use gocsp::{Chan, Runtime, Select};

fn in_child() -> bool {
    std::env::var_os(common::CHILD_ENV).is_some()
}

fn run_child_test(name: &str) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(common::CHILD_ENV, "1")
        .output()
        .unwrap()
}

fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[inline(never)]
fn recurse(n: u64) -> u64 {
    let pad = std::hint::black_box([n as u8; 256]);
    if n == u64::MAX {
        return 0;
    }
    recurse(n + 1) + pad[0] as u64
}

#[test]
fn child_overflows_a_goroutine_stack() {
    if !in_child() {
        return;
    }
    println!("recursing");
    let h = gocsp::spawn(|| recurse(0));
    println!("unreachable: {}", h.join().unwrap());
}

#[test]
fn a_stack_overflow_ends_the_process_on_the_guard_page() {
    let out = run_child_test("child_overflows_a_goroutine_stack");
    // The guard page turns the overflow into a fault, which the runtime reports the way Go
    // does: `fatal error: stack overflow`, the goroutine, exit code 2.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        stderr.contains("fatal error: stack overflow"),
        "{}",
        describe(&out)
    );
    assert!(stderr.contains(" [running]:"), "{}", describe(&out));
    assert!(stderr.contains("Builder::stack_size"), "{}", describe(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("unreachable"));
}

/// Sends three `N`-byte values from a goroutine, plainly and through a select, buffered and
/// unbuffered, to this thread.
fn send_values<const N: usize>() {
    for cap in [0, 2] {
        for through_select in [false, true] {
            let ch: Chan<[u8; N]> = Chan::new(cap);
            let tx = ch.sender();
            let h = gocsp::spawn(move || {
                for i in 0..3u8 {
                    if through_select {
                        let mut sel = Select::new();
                        sel.send(&tx, [i; N]);
                        sel.select();
                    } else {
                        tx.send([i; N]);
                    }
                }
            });
            for i in 0..3u8 {
                assert!(ch.recv().unwrap().iter().all(|&b| b == i));
            }
            h.join().unwrap();
        }
    }
    // And received in a goroutine.
    let ch: Chan<[u8; N]> = Chan::new(0);
    let rx = ch.receiver();
    let h = gocsp::spawn(move || rx.recv().unwrap()[N - 1]);
    ch.send([9; N]);
    assert_eq!(h.join().unwrap(), 9);
    println!("sent {N}-byte values");
}

#[test]
fn child_sends_4_kib_values() {
    if in_child() {
        send_values::<4096>();
    }
}

#[test]
fn child_sends_16_kib_values() {
    if in_child() {
        send_values::<16384>();
    }
}

#[test]
fn a_goroutine_can_send_4_kib_values() {
    // A sixteenth of the default stack. (In debug builds this overflowed: every layer of the
    // send path kept its own copy of the value.)
    let out = run_child_test("child_sends_4_kib_values");
    assert!(out.status.success(), "{}", describe(&out));
}

#[test]
fn a_goroutine_can_send_16_kib_values() {
    // A quarter of the default stack: Go allows channel elements up to 64 KiB.
    let out = run_child_test("child_sends_16_kib_values");
    assert!(out.status.success(), "{}", describe(&out));
}

#[test]
fn a_bigger_stack_size_allows_deep_recursion() {
    fn depth(n: u32) -> u32 {
        let pad = std::hint::black_box([n as u8; 1024]);
        if n == 0 {
            pad[0] as u32
        } else {
            depth(n - 1) + 1
        }
    }
    let rt = Runtime::builder()
        .workers(1)
        .stack_size(8 * 1024 * 1024)
        .build()
        .unwrap();
    // About 3 MiB deep, far past the default 64 KiB.
    assert_eq!(rt.block_on(|| depth(3_000)), 3_000);
}
