//! Scheduler scale: 20,000 goroutines blocked at once and then released, and a million
//! short-lived goroutines spawned in waves (fewer in debug builds). The tests in this file run
//! one at a time: each needs most of the process's goroutine stacks.
#![cfg(not(loom))]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Watchdog, scaled, wait_until};
use gocsp::{Chan, GoroutineState, WaitGroup};

/// Serializes the tests of this file.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

const BLOCKED: usize = 20_000;

#[test]
fn twenty_thousand_goroutines_blocked_at_once_then_released() {
    let _serial = serial();
    let _dog = Watchdog::new("20,000 blocked goroutines", Duration::from_secs(240));
    assert!(
        gocsp::max_goroutines() > BLOCKED,
        "this machine allows only {} goroutines",
        gocsp::max_goroutines()
    );
    let base = gocsp::num_goroutine();
    let gate: Chan<()> = Chan::new(0);
    let parked = WaitGroup::new();
    let finished = WaitGroup::new();
    let sum = Arc::new(AtomicUsize::new(0));
    finished.add(BLOCKED as i64);
    parked.add(BLOCKED as i64);
    // Spawned from a goroutine (the worker's own queues) and from this thread (the injector),
    // half each.
    let spawn_half = {
        let (gate, parked, finished, sum) =
            (gate.clone(), parked.clone(), finished.clone(), sum.clone());
        move |from: usize| {
            for i in from..from + BLOCKED / 2 {
                let (gate, parked, finished, sum) =
                    (gate.clone(), parked.clone(), finished.clone(), sum.clone());
                gocsp::go(move || {
                    parked.done();
                    assert_eq!(gate.recv(), None);
                    sum.fetch_add(i, Ordering::Relaxed);
                    finished.done();
                });
            }
        }
    };
    let in_goroutine = spawn_half.clone();
    gocsp::spawn(move || in_goroutine(0)).join().unwrap();
    spawn_half(BLOCKED / 2);
    parked.wait();
    // (The base may still count goroutines of an earlier test that are about to exit.)
    assert!(gocsp::num_goroutine() >= BLOCKED);
    // All of them are parked on the gate, not spinning.
    wait_until("every goroutine to park on the gate", || {
        gocsp::goroutines()
            .iter()
            .filter(|g| {
                matches!(&g.state, GoroutineState::Blocked { reason, site: Some(site) }
                    if reason == "chan receive" && site.file() == file!())
            })
            .count()
            >= BLOCKED
    });
    gate.close();
    finished.wait();
    assert_eq!(sum.load(Ordering::Relaxed), BLOCKED * (BLOCKED - 1) / 2);
    wait_until("the released goroutines to exit", || {
        gocsp::num_goroutine() <= base
    });
}

#[test]
fn a_million_short_lived_goroutines_in_waves() {
    let _serial = serial();
    let _dog = Watchdog::new("a million goroutines", Duration::from_secs(240));
    let waves = 10;
    let per_wave = scaled(100_000, 30_000);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    gocsp::spawn(move || {
        for _ in 0..waves {
            let wg = WaitGroup::new();
            wg.add(per_wave as i64);
            for _ in 0..per_wave {
                let (wg, r) = (wg.clone(), r.clone());
                gocsp::go(move || {
                    r.fetch_add(1, Ordering::Relaxed);
                    wg.done();
                });
            }
            wg.wait();
        }
    })
    .join()
    .unwrap();
    assert_eq!(ran.load(Ordering::Relaxed), waves * per_wave);

    // One more wave spawned from a plain thread, through the injector.
    let wg = WaitGroup::new();
    wg.add(per_wave as i64);
    for _ in 0..per_wave {
        let (wg, r) = (wg.clone(), ran.clone());
        gocsp::go(move || {
            r.fetch_add(1, Ordering::Relaxed);
            wg.done();
        });
    }
    wg.wait();
    assert_eq!(ran.load(Ordering::Relaxed), (waves + 1) * per_wave);
}

#[test]
fn deep_spawn_chains_and_wide_fan_out() {
    let _serial = serial();
    // Each goroutine spawns the next and waits for it: 2,000 alive and blocked in join.
    fn chain(depth: u32) -> u32 {
        if depth == 0 {
            return 0;
        }
        gocsp::spawn(move || chain(depth - 1)).join().unwrap() + 1
    }
    assert_eq!(gocsp::spawn(|| chain(2_000)).join().unwrap(), 2_000);

    // A tree: every goroutine spawns four children until depth 6 (5,461 goroutines).
    fn tree(depth: u32) -> u64 {
        if depth == 0 {
            return 1;
        }
        let kids: Vec<_> = (0..4)
            .map(|_| gocsp::spawn(move || tree(depth - 1)))
            .collect();
        1 + kids.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    }
    assert_eq!(gocsp::spawn(|| tree(6)).join().unwrap(), 5_461);
}
