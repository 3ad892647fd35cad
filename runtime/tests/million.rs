//! Many goroutines alive at once: a million (300,000 in debug builds, which `cargo test` and CI
//! run; the million in debug is too heavy for CI's two cores and memory, and the `compare`
//! benchmark runs it in release) blocked on one channel, then released by closing it, and every
//! one finished. Where stacks come from slabs (Linux 6.13+) that many fit under the default
//! `vm.max_map_count`, and the process's mappings grow by a few dozen in all, not two
//! per goroutine. On the fallback path (older kernels) the count is cut to what
//! `max_goroutines()` allows. Afterwards the idle stacks give most of their memory back.
#![cfg(not(loom))]
#![cfg(not(miri))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Watchdog, scaled, wait_until};
use gocsp::Chan;

const N: usize = scaled(1_000_000, 300_000);

/// This process's resident set in bytes.
fn rss() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<usize>().ok()
        })
        .map_or(0, |kib| kib * 1024)
}

fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .map(|m| m.lines().count())
        .unwrap_or(0)
}

/// Linux 6.13 or later: stacks come from slabs unless `GOCSP_STACK_SLABS=0`.
fn kernel_has_guard_install() -> bool {
    let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") else {
        return false;
    };
    let mut parts = release.trim().split(['.', '-']);
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= (6, 13) && std::env::var("GOCSP_STACK_SLABS").as_deref() != Ok("0")
}

#[test]
fn a_million_goroutines_block_on_one_channel_then_all_finish() {
    let _dog = Watchdog::new("the million goroutines test", Duration::from_secs(300));
    let base = gocsp::num_goroutine();
    let n = N.min(gocsp::max_goroutines().saturating_sub(base + 1_000));
    if n < N {
        eprintln!(
            "max_goroutines() is {}: running {n}",
            gocsp::max_goroutines()
        );
    }
    let maps_before = mappings();
    let rss_before = rss();
    let gate: Chan<()> = Chan::new(0);
    let started = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    for _ in 0..n {
        let rx = gate.receiver();
        let (started, finished) = (started.clone(), finished.clone());
        gocsp::go(move || {
            started.fetch_add(1, Ordering::Relaxed);
            assert_eq!(rx.recv(), None);
            finished.fetch_add(1, Ordering::Relaxed);
        });
    }
    // Every one runs (takes its stack) and blocks; none finishes before the close.
    wait_until("every goroutine to start", || {
        started.load(Ordering::Relaxed) == n
    });
    assert_eq!(finished.load(Ordering::Relaxed), 0);
    assert!(gocsp::num_goroutine() >= base + n);
    let grown = mappings().saturating_sub(maps_before);
    if kernel_has_guard_install() {
        // Slabs of 32 MiB: about one mapping per 480 default-sized stacks.
        assert!(
            grown < n / 100 + 100,
            "{n} goroutines added {grown} memory mappings"
        );
    }
    let rss_peak = rss();
    eprintln!(
        "{n} goroutines blocked; mappings grew by {grown}, resident set by {} MB",
        rss_peak.saturating_sub(rss_before) >> 20
    );

    gate.close();
    wait_until("every goroutine to finish", || {
        finished.load(Ordering::Relaxed) == n
    });
    wait_until("the goroutine count to drop back", || {
        gocsp::num_goroutine() <= base
    });
    // And the pooled stacks serve the next burst.
    let h = gocsp::spawn(|| 7);
    assert_eq!(h.join().unwrap(), 7);
    // Idle stacks give their memory back (the scavenger, about a second later): all but a
    // bounded number per worker and per size.
    if rss_peak == 0 {
        return; // no /proc/self/status here
    }
    wait_until("idle stacks to give their memory back", || {
        rss() < rss_before + (rss_peak - rss_before) / 4
    });
}
