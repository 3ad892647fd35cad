//! Goroutine stacks, checked in child processes (a failure here crashes the process): a
//! stack overflow in a goroutine ends the process on its guard page (a signal, never a silent
//! overwrite or a hang), on both ways of making stacks (slabs with `madvise` guards, and one
//! mapping per stack, forced with `GOCSP_STACK_SLABS=0`), and the report names the goroutine's
//! own stack size; a bigger `stack_size` allows deeper recursion, also after a runtime with
//! small stacks left its stacks pooled; and values of a few KiB cross channels from a goroutine
//! with the default 64 KiB stack.
//!
//! Each child is this test binary run again with `--exact <child test>` and `GOCSP_TEST_CHILD`
//! set; the child tests do nothing in a normal run.
#![cfg(not(loom))]
#![cfg(not(miri))]

mod common;

use std::process::{Command, Output};

use gocsp::{Chan, Runtime, Select};

fn in_child() -> bool {
    std::env::var_os(common::CHILD_ENV).is_some()
}

fn run_child_test(name: &str) -> Output {
    run_child_test_with(name, &[])
}

fn run_child_test_with(name: &str, envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(common::CHILD_ENV, "1")
        .env_remove("GOCSP_STACK_SLABS");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Both ways of making stacks: the default (slabs where the kernel can), and one mapping per
/// stack.
const PATHS: [&[(&str, &str)]; 2] = [&[], &[("GOCSP_STACK_SLABS", "0")]];

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
    let h = gocsp::spawn(|| {
        // The report must name this goroutine.
        println!("overflowing goroutine {}", gocsp::goroutine_id().unwrap());
        recurse(0)
    });
    println!("unreachable: {}", h.join().unwrap());
}

#[test]
fn a_stack_overflow_ends_the_process_on_the_guard_page() {
    for envs in PATHS {
        let out = run_child_test_with("child_overflows_a_goroutine_stack", envs);
        // The guard page turns the overflow into a fault, which the runtime reports the way
        // Go does: `fatal error: stack overflow`, the goroutine, exit code 2.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!("{envs:?}\n{}", describe(&out));
        assert_eq!(out.status.code(), Some(2), "{what}");
        assert!(stderr.contains("fatal error: stack overflow"), "{what}");
        assert!(stderr.contains(" [running]:"), "{what}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let id = stdout
            .lines()
            .find_map(|l| l.strip_prefix("overflowing goroutine "))
            .unwrap_or_else(|| panic!("the child names its goroutine\n{what}"));
        assert!(
            stderr.contains(&format!("goroutine {id} [running]:")),
            "{what}"
        );
        let size = format!("all of its {} KiB stack", gocsp::DEFAULT_STACK_SIZE / 1024);
        assert!(stderr.contains(&size), "{what}");
        assert!(stderr.contains("Builder::stack_size"), "{what}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("unreachable"));
    }
}

/// Runs `n` goroutines on `rt` at once, all blocked until the last one started, so that their
/// stacks end up pooled when they finish.
fn run_concurrently(rt: &Runtime, n: usize) {
    let gate: Chan<()> = Chan::new(0);
    let started: Chan<()> = Chan::new(n);
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (rx, started) = (gate.receiver(), started.sender());
            rt.spawn(move || {
                started.send(());
                rx.recv()
            })
        })
        .collect();
    for _ in 0..n {
        started.recv().unwrap();
    }
    gate.close();
    for h in handles {
        assert_eq!(h.join().unwrap(), None);
    }
}

#[inline(never)]
fn depth(n: u32) -> u32 {
    let pad = std::hint::black_box([n as u8; 1024]);
    if n == 0 {
        pad[0] as u32
    } else {
        depth(n - 1) + 1
    }
}

#[test]
fn child_small_stacks_then_big_stacks() {
    if !in_child() {
        return;
    }
    let small = Runtime::builder()
        .workers(1)
        .stack_size(16 * 1024)
        .build()
        .unwrap();
    run_concurrently(&small, 300);
    let big = Runtime::builder()
        .workers(1)
        .stack_size(4 * 1024 * 1024)
        .build()
        .unwrap();
    // Every goroutine of the big runtime gets a 4 MiB stack, never a pooled 16 KiB one.
    let deep: Vec<_> = (0..100).map(|_| big.spawn(|| depth(2_000))).collect();
    for h in deep {
        assert_eq!(h.join().unwrap(), 2_000);
    }
    println!("deep recursion done");
}

#[test]
fn a_runtime_never_gets_stacks_of_another_size() {
    // Pooled stacks were shared by every runtime whatever their size: a runtime with 4 MiB
    // stacks ran on the 16 KiB stacks another runtime had pooled, and overflowed.
    for envs in PATHS {
        let out = run_child_test_with("child_small_stacks_then_big_stacks", envs);
        let what = format!("{envs:?}\n{}", describe(&out));
        assert!(out.status.success(), "{what}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("deep recursion done"),
            "{what}"
        );
    }
}

#[test]
fn child_overflows_a_small_stack_beside_a_big_runtime() {
    if !in_child() {
        return;
    }
    let big = Runtime::builder()
        .workers(1)
        .stack_size(4 * 1024 * 1024)
        .build()
        .unwrap();
    assert_eq!(big.block_on(|| depth(10)), 10);
    let small = Runtime::builder()
        .workers(1)
        .stack_size(32 * 1024)
        .build()
        .unwrap();
    println!("recursing");
    println!("unreachable: {}", small.block_on(|| recurse(0)));
}

#[test]
fn the_overflow_report_names_the_goroutines_own_stack_size() {
    // The report named the largest stack size of any runtime in the process.
    for envs in PATHS {
        let out = run_child_test_with("child_overflows_a_small_stack_beside_a_big_runtime", envs);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!("{envs:?}\n{}", describe(&out));
        assert_eq!(out.status.code(), Some(2), "{what}");
        assert!(stderr.contains("fatal error: stack overflow"), "{what}");
        assert!(stderr.contains("all of its 32 KiB stack"), "{what}");
    }
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

#[test]
fn a_huge_stack_size_is_clamped_not_wrapped() {
    // Rounding usize::MAX up to whole pages used to wrap to 0: stacks with no usable space,
    // and a segfault on the goroutine's first write.
    let rt = gocsp::Runtime::builder()
        .workers(1)
        .stack_size(usize::MAX)
        .build()
        .unwrap();
    assert_eq!(rt.block_on(|| 7), 7);
    assert!(format!("{rt:?}").contains(&gocsp::MAX_STACK_SIZE.to_string()));
}
