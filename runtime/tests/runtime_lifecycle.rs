//! Explicit runtimes: `block_on` and `spawn` run goroutines on that runtime's workers (and
//! goroutines they start stay on it), the builder's settings take effect (stack sizes: see
//! `stack.rs`), and dropping a runtime stops its workers: a goroutine that never ran then
//! reports an error from `join` instead of leaving its joiner blocked forever.
#![cfg(not(loom))]

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{HANG_GUARD, wait_until};
use gocsp::{Builder, PanicPolicy, Runtime};

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("").to_string()
}

#[test]
fn goroutines_run_on_their_runtimes_workers() {
    let rt = Runtime::builder()
        .workers(2)
        .thread_name("lifecycle-a")
        .build()
        .unwrap();
    let (outer, inner, nested) = rt.block_on(|| {
        let outer = thread_name();
        // Spawned from inside a goroutine: the same runtime.
        let inner = gocsp::spawn(thread_name).join().unwrap();
        let nested = gocsp::spawn(|| gocsp::spawn(thread_name).join().unwrap())
            .join()
            .unwrap();
        (outer, inner, nested)
    });
    for name in [&outer, &inner, &nested] {
        assert!(name.starts_with("lifecycle-a-"), "ran on {name:?}");
    }
    assert!(
        rt.spawn(thread_name)
            .join()
            .unwrap()
            .starts_with("lifecycle-a-")
    );
}

#[test]
fn spawning_onto_another_runtime_from_a_goroutine() {
    let a: &'static Runtime = Box::leak(Box::new(
        Runtime::builder()
            .workers(1)
            .thread_name("lc-src")
            .build()
            .unwrap(),
    ));
    let b: &'static Runtime = Box::leak(Box::new(
        Runtime::builder()
            .workers(1)
            .thread_name("lc-dst")
            .build()
            .unwrap(),
    ));
    let name = a.block_on(move || b.spawn(thread_name).join().unwrap());
    assert!(name.starts_with("lc-dst-"), "ran on {name:?}");
}

#[test]
fn block_on_returns_the_value_and_resumes_a_panic() {
    let rt = Runtime::builder()
        .workers(1)
        .panic_policy(PanicPolicy::Continue)
        .build()
        .unwrap();
    assert_eq!(rt.block_on(|| 6 * 7), 42);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(|| -> u8 { panic!("inside block_on") })
    }))
    .unwrap_err();
    assert_eq!(common::panic_message(&*err), "inside block_on");
    // The runtime keeps working.
    assert_eq!(rt.block_on(|| 1), 1);
}

#[test]
fn builder_settings() {
    let rt = Runtime::builder().workers(0).build().unwrap();
    assert_eq!(rt.workers(), 1, "zero workers means one");
    let dbg = format!("{rt:?}");
    assert!(dbg.contains("workers: 1"), "{dbg}");
    assert!(dbg.contains("panic_policy: Abort"), "{dbg}");
    assert_eq!(PanicPolicy::default(), PanicPolicy::Abort);
    let b = Builder::new();
    let default = format!("stack_size: {}", gocsp::DEFAULT_STACK_SIZE);
    assert!(format!("{b:?}").contains(&default), "{b:?}");
    // 64 KiB optimized; debug builds, whose frames are several times larger, get 256 KiB.
    let expected = if cfg!(debug_assertions) { 256 } else { 64 } * 1024;
    assert_eq!(gocsp::DEFAULT_STACK_SIZE, expected);
    drop(rt);
    let rt = Runtime::new().unwrap();
    assert!(rt.workers() >= 1);
}

#[test]
fn dropping_a_runtime_stops_its_workers() {
    let rt = Runtime::builder()
        .workers(2)
        .thread_name("lc-drop")
        .build()
        .unwrap();
    assert_eq!(rt.block_on(|| 5), 5);
    drop(rt);
    wait_until("the workers to exit", || {
        std::fs::read_dir("/proc/self/task").is_ok_and(|d| {
            !d.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
                .any(|n| n.starts_with("lc-drop-"))
        })
    });
}

#[test]
fn a_goroutine_that_never_ran_reports_an_error_when_its_runtime_is_dropped() {
    // The only worker is held by a thread-blocking call while a second goroutine waits in the
    // queue; the runtime is dropped, then the worker is released: the queued goroutine never
    // runs, and its join says so.
    let rt = Runtime::builder().workers(1).build().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let blocker = rt.spawn(move || {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    started_rx.recv().unwrap();
    let queued = rt.spawn(|| 7);
    let dropper = std::thread::spawn(move || drop(rt));
    // Let the drop begin its shutdown, then free the worker so the drop can finish.
    std::thread::sleep(Duration::from_millis(50));
    release_tx.send(()).unwrap();
    dropper.join().unwrap();
    blocker.join().unwrap();

    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(queued.join().map_err(|p| common::panic_message(&*p)));
    });
    match rx.recv_timeout(HANG_GUARD) {
        Ok(Err(msg)) => assert!(msg.contains("never ran"), "{msg}"),
        Ok(Ok(v)) => assert_eq!(v, 7, "it ran after all"),
        Err(_) => panic!("join on a goroutine of a dropped runtime blocked forever"),
    }
}

/// Starts a goroutine at one spawn site for every level: at level 1 it starts two of level 0
/// (at the same site, so they are a recursion's subtrees: one waits in `runnext`, the one it
/// displaced in the worker's `nested` queue), hands their join handles out, and holds its
/// worker's thread until `release` says so.
fn subtree(
    level: u32,
    handles: mpsc::Sender<Vec<gocsp::JoinHandle<u32>>>,
    release: std::sync::Arc<std::sync::Mutex<mpsc::Receiver<()>>>,
) -> gocsp::JoinHandle<u32> {
    gocsp::spawn(move || {
        if level == 0 {
            return 7;
        }
        let children = vec![
            subtree(level - 1, handles.clone(), release.clone()),
            subtree(level - 1, handles.clone(), release.clone()),
        ];
        handles.send(children).unwrap();
        let _ = release.lock().unwrap().recv();
        0
    })
}

#[test]
fn a_recursions_queued_subtrees_report_an_error_when_their_runtime_is_dropped() {
    let rt = Runtime::builder().workers(1).build().unwrap();
    let (handles_tx, handles_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release = std::sync::Arc::new(std::sync::Mutex::new(release_rx));
    let root = rt.spawn(move || subtree(1, handles_tx, release).join().unwrap());
    let children = handles_rx.recv_timeout(HANG_GUARD).unwrap();
    let dropper = std::thread::spawn(move || drop(rt));
    std::thread::sleep(Duration::from_millis(50));
    release_tx.send(()).unwrap();
    dropper.join().unwrap();
    let _ = root.join();

    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for child in children {
            let _ = tx.send(child.join().map_err(|p| common::panic_message(&*p)));
        }
    });
    for _ in 0..2 {
        match rx.recv_timeout(HANG_GUARD) {
            Ok(Err(msg)) => assert!(msg.contains("never ran"), "{msg}"),
            Ok(Ok(v)) => assert_eq!(v, 7, "it ran after all"),
            Err(_) => panic!("join on a queued subtree of a dropped runtime blocked forever"),
        }
    }
}

#[test]
fn join_and_block_on_park_a_goroutine_instead_of_its_worker() {
    // One worker: a goroutine waiting in `join` or a nested `block_on` must let the joined
    // goroutine run on that same worker.
    let rt: &'static Runtime = Box::leak(Box::new(Runtime::builder().workers(1).build().unwrap()));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let v = rt.block_on(move || {
            let inner = rt.block_on(|| 20);
            let joined = gocsp::spawn(|| 22).join().unwrap();
            inner + joined
        });
        let _ = tx.send(v);
    });
    assert_eq!(rx.recv_timeout(HANG_GUARD), Ok(42));
}

#[test]
fn join_handle_is_finished() {
    let gate: gocsp::Chan<()> = gocsp::Chan::new(0);
    let g = gate.clone();
    let h = gocsp::spawn(move || g.recv());
    common::wait_blocked(h.id(), "chan receive");
    assert!(!h.is_finished());
    gate.send(());
    wait_until("the goroutine to finish", || h.is_finished());
    assert_eq!(h.join().unwrap(), Some(()));
}
