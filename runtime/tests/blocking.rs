//! `blocking(f)`: a thread-blocking call runs off the worker while the goroutine parks (a
//! one-worker runtime keeps running other goroutines), may borrow from the caller, hands its
//! result back, resumes its panic in the caller, and simply runs inline on a plain thread.
#![cfg(not(loom))]

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{HANG_GUARD, panic_message, wait_blocked};
use gocsp::{Chan, Runtime, blocking};

fn one_worker() -> &'static Runtime {
    Box::leak(Box::new(Runtime::builder().workers(1).build().unwrap()))
}

#[test]
fn a_blocking_call_frees_the_worker_for_other_goroutines() {
    // The blocking call waits for something only another goroutine on the same single worker
    // can provide: if it ran on the worker, this would deadlock.
    let rt = one_worker();
    let (std_tx, std_rx) = mpsc::channel::<u32>();
    let (result_tx, result_rx) = mpsc::channel();
    let a = rt.spawn(move || {
        let v = blocking(move || std_rx.recv().unwrap());
        let _ = result_tx.send(v);
    });
    wait_blocked(a.id(), "blocking call");
    rt.spawn(move || std_tx.send(41).unwrap());
    assert_eq!(
        result_rx.recv_timeout(HANG_GUARD),
        Ok(41),
        "the blocking call held the only worker"
    );
    a.join().unwrap();
}

#[test]
fn the_worker_runs_others_while_a_blocking_call_sleeps() {
    let rt = one_worker();
    let (tx, rx) = mpsc::channel();
    let sleeper = rt.spawn(|| blocking(|| std::thread::sleep(Duration::from_millis(300))));
    wait_blocked(sleeper.id(), "blocking call");
    let ch: Chan<u32> = Chan::new(0);
    let c = ch.clone();
    rt.spawn(move || {
        (0..100).for_each(|i| c.send(i));
    });
    let worker_thread = rt.spawn(move || {
        let sum: u32 = (0..100).map(|_| ch.recv().unwrap()).sum();
        let _ = tx.send(sum);
    });
    assert_eq!(rx.recv_timeout(HANG_GUARD), Ok(4950));
    // The sleeper might still be in its call: the work above did not wait for it.
    worker_thread.join().unwrap();
    sleeper.join().unwrap();
}

#[test]
fn blocking_borrows_from_the_caller() {
    let (sum, data) = gocsp::spawn(|| {
        let mut data = vec![1, 2, 3];
        let sum: i32 = blocking(|| data.iter().sum());
        blocking(|| data.push(4));
        (sum, data)
    })
    .join()
    .unwrap();
    assert_eq!(sum, 6);
    assert_eq!(data, [1, 2, 3, 4]);
}

#[test]
fn blocking_runs_on_another_thread_and_the_goroutine_stays_home() {
    let (home, helper, after) = gocsp::spawn(|| {
        let home = std::thread::current().id();
        let helper = blocking(|| std::thread::current().id());
        (home, helper, std::thread::current().id())
    })
    .join()
    .unwrap();
    assert_ne!(home, helper, "the call ran on the worker");
    assert_eq!(home, after, "the goroutine came back on another thread");
}

#[test]
fn a_panic_in_the_call_resumes_in_the_caller() {
    let msg = gocsp::spawn(|| {
        let r = std::panic::catch_unwind(|| blocking(|| -> u8 { panic!("boom in blocking") }));
        panic_message(&*r.unwrap_err())
    })
    .join()
    .unwrap();
    assert_eq!(msg, "boom in blocking");
    // And the helper pool still works afterwards.
    assert_eq!(gocsp::spawn(|| blocking(|| 5)).join().unwrap(), 5);
}

#[test]
fn on_a_plain_thread_it_runs_inline() {
    let me = std::thread::current().id();
    assert_eq!(blocking(|| std::thread::current().id()), me);
    let mut x = 1;
    blocking(|| x += 1);
    assert_eq!(x, 2);
}

#[test]
fn many_concurrent_blocking_calls() {
    let wg = gocsp::WaitGroup::new();
    let results: Chan<u32> = Chan::new(64);
    for i in 0..64u32 {
        wg.add(1);
        let (wg, results) = (wg.clone(), results.clone());
        gocsp::go(move || {
            let v = blocking(move || {
                std::thread::sleep(Duration::from_millis(2));
                i * 2
            });
            results.send(v);
            wg.done();
        });
    }
    wg.wait();
    results.close();
    assert_eq!(results.iter().sum::<u32>(), 2 * (0..64).sum::<u32>());
}
