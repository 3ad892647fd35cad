//! Introspection: `goroutine_id`, `num_goroutine`, `goroutines()` and `dump()` (state, blocking
//! reason and site, spawn site), and the leak check `check_leaks`. The tests in this file run one
//! at a time, since goroutine counts are process-wide.
#![cfg(not(loom))]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{info, panic_of, wait_blocked, wait_until};
use gocsp::{Chan, GoroutineInfo, GoroutineState, Runtime, Select, WaitGroup, check_leaks};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Blocks the calling goroutine forever (Go's `select {}`).
fn block_forever() {
    Select::new().select();
}

/// Receives from `ch` (forever, for the nil channel).
fn recv_from(ch: Chan<u8>) {
    ch.recv();
}

fn blocked_site(g: &GoroutineInfo) -> (String, Option<(&'static str, u32)>) {
    match &g.state {
        GoroutineState::Blocked { reason, site } => {
            (reason.clone(), site.map(|s| (s.file(), s.line())))
        }
        other => panic!("goroutine {} is not blocked: {other:?}", g.id),
    }
}

#[test]
fn goroutine_ids() {
    let _s = serial();
    assert_eq!(
        gocsp::goroutine_id(),
        None,
        "a plain thread has no goroutine id"
    );
    let h1 = gocsp::spawn(gocsp::goroutine_id);
    let h2 = gocsp::spawn(gocsp::goroutine_id);
    let (id1, id2) = (h1.id(), h2.id());
    assert!(id2 > id1, "ids count up");
    assert_eq!(h1.join().unwrap(), Some(id1));
    assert_eq!(h2.join().unwrap(), Some(id2));
    let h = gocsp::spawn(|| ());
    assert_eq!(
        format!("{h:?}"),
        format!("JoinHandle {{ id: {}, .. }}", h.id())
    );
    h.join().unwrap();
}

/// Each spawning thread takes ids in blocks, and counts its spawns and the exits it runs on a
/// shard of its own: the blocks never overlap, and the shards add up to the exact count,
/// though goroutines spawned on one thread finish on another.
#[test]
fn ids_stay_unique_and_the_count_exact_when_threads_and_goroutines_spawn_at_once() {
    let _s = serial();
    wait_until("goroutines of earlier tests to exit", || {
        gocsp::goroutines()
            .iter()
            .all(|g| matches!(g.state, GoroutineState::Blocked { .. }))
    });
    let base = gocsp::num_goroutine();
    const EACH: usize = 300;
    // Spawns each child, and returns its id as the child saw it and as its handle says.
    fn spawn_children() -> Vec<(u64, u64)> {
        let handles: Vec<_> = (0..EACH)
            .map(|_| gocsp::spawn(|| gocsp::goroutine_id().expect("a goroutine has an id")))
            .collect();
        handles
            .into_iter()
            .map(|h| (h.id(), h.join().unwrap()))
            .collect()
    }
    let threads: Vec<_> = (0..3).map(|_| std::thread::spawn(spawn_children)).collect();
    let from_goroutines: Vec<_> = (0..3).map(|_| gocsp::spawn(spawn_children)).collect();
    let mut ids = Vec::new();
    for t in threads {
        ids.extend(t.join().unwrap());
    }
    for g in from_goroutines {
        ids.extend(g.join().unwrap());
    }
    for &(handle, seen) in &ids {
        assert_eq!(handle, seen, "a goroutine's id differs from its handle's");
        assert!(handle >= 1, "ids count from 1");
    }
    let unique: std::collections::HashSet<u64> = ids.iter().map(|&(id, _)| id).collect();
    assert_eq!(unique.len(), 6 * EACH, "two goroutines got one id");
    wait_until("the goroutines to exit", || gocsp::num_goroutine() == base);
}

#[test]
fn num_goroutine_counts_live_goroutines() {
    let _s = serial();
    // Earlier tests leave only goroutines blocked forever; wait for the rest to exit.
    wait_until("goroutines of earlier tests to exit", || {
        let all = gocsp::goroutines();
        gocsp::num_goroutine() == all.len()
            && all
                .iter()
                .all(|g| matches!(g.state, GoroutineState::Blocked { .. }))
    });
    let base = gocsp::num_goroutine();
    let gate: Chan<()> = Chan::new(0);
    let wg = WaitGroup::new();
    for _ in 0..10 {
        let gate = gate.clone();
        wg.add(1);
        let wg = wg.clone();
        gocsp::go(move || {
            gate.recv();
            wg.done();
        });
    }
    // Counted from the moment they are spawned, started or not.
    assert_eq!(gocsp::num_goroutine(), base + 10);
    assert_eq!(gocsp::goroutines().len(), base + 10);
    gate.close();
    wg.wait();
    wait_until("the goroutines to exit", || gocsp::num_goroutine() == base);
    assert_eq!(gocsp::goroutines().len(), base);
}

#[test]
fn goroutines_lists_each_blocked_goroutine_with_reason_and_sites() {
    let _s = serial();
    let ch: Chan<u8> = Chan::new(0);
    let full: Chan<u8> = Chan::new(1);
    full.send(0);
    let nil: Chan<u8> = Chan::nil();
    let wg = WaitGroup::new();
    wg.add(1);
    let m = Arc::new(gocsp::sync::Mutex::new(()));
    let held = m.lock();

    let (c, f, n, w, mx) = (ch.clone(), full.clone(), nil.clone(), wg.clone(), m.clone());
    let n2 = nil.clone();
    let hour = Duration::from_secs(3600);
    let (recv, l_recv) = (gocsp::spawn(move || c.recv()), line!());
    let (send, l_send) = (gocsp::spawn(move || f.send(1)), line!());
    let (nilr, l_nilr) = (gocsp::spawn(move || n.recv()), line!());
    let (wait, l_wait) = (gocsp::spawn(move || w.wait()), line!());
    let (lock, l_lock) = (gocsp::spawn(move || drop(mx.lock())), line!());
    let (sleep, l_sleep) = (gocsp::spawn(move || gocsp::time::sleep(hour)), line!());
    let (sel, l_sel) = (gocsp::spawn(|| Select::new().select()), line!());
    let (nils, l_nils) = (gocsp::spawn(move || n2.send(0)), line!());

    let cases = [
        (&recv.id(), "chan receive", l_recv),
        (&send.id(), "chan send", l_send),
        (&nilr.id(), "chan receive (nil chan)", l_nilr),
        (&wait.id(), "sync.WaitGroup.Wait", l_wait),
        (&lock.id(), "sync.Mutex.Lock", l_lock),
        (&sleep.id(), "sleep", l_sleep),
        (&sel.id(), "select (no cases)", l_sel),
        (&nils.id(), "chan send (nil chan)", l_nils),
    ];
    for &(id, reason, line) in &cases {
        let g = wait_blocked(*id, reason);
        assert_eq!(g.spawn_site.file(), file!());
        assert_eq!(g.spawn_site.line(), line, "{reason}: spawn site");
        assert_eq!(
            blocked_site(&g),
            (reason.to_string(), Some((file!(), line))),
            "{reason}: blocking site"
        );
        // The dump has one paragraph per goroutine, in Go's shape.
        let dump = gocsp::dump();
        let para = format!(
            "goroutine {id} [{reason}]:\n\tblocked at {}:{line}:",
            file!()
        );
        assert!(dump.contains(&para), "dump lacks {para:?}:\n{dump}");
        let spawned = format!("\tspawned at {}:{line}:", file!());
        assert!(dump.contains(&spawned), "dump lacks {spawned:?}");
        assert_eq!(
            g.to_string().lines().next(),
            Some(&*format!("goroutine {id} [{reason}]:"))
        );
    }

    // Release what can be released; the nil-channel, no-case and sleeping ones stay forever.
    ch.send(1);
    assert_eq!(recv.join().unwrap(), Some(1));
    assert_eq!(full.recv(), Some(0));
    send.join().unwrap();
    wg.done();
    wait.join().unwrap();
    drop(held);
    lock.join().unwrap();
}

#[test]
fn runnable_and_running_states() {
    let _s = serial();
    let rt: &'static Runtime = Box::leak(Box::new(Runtime::builder().workers(1).build().unwrap()));
    let release = Arc::new(AtomicBool::new(false));
    let spinning = Arc::new(AtomicBool::new(false));
    let (r, s) = (release.clone(), spinning.clone());
    let spinner = rt.spawn(move || {
        s.store(true, Ordering::SeqCst);
        while !r.load(Ordering::SeqCst) {
            std::hint::spin_loop();
        }
    });
    wait_until("the spinner to run", || spinning.load(Ordering::SeqCst));
    // The only worker is busy: a new goroutine waits, unstarted.
    let queued = rt.spawn(|| 5);
    assert_eq!(info(queued.id()).unwrap().state, GoroutineState::Runnable);
    assert_eq!(info(spinner.id()).unwrap().state, GoroutineState::Running);
    let dump = gocsp::dump();
    assert!(
        dump.contains(&format!("goroutine {} [runnable]:", queued.id())),
        "{dump}"
    );
    assert!(
        dump.contains(&format!("goroutine {} [running]:", spinner.id())),
        "{dump}"
    );
    release.store(true, Ordering::SeqCst);
    spinner.join().unwrap();
    let queued_id = queued.id();
    assert_eq!(queued.join().unwrap(), 5);
    wait_until("the finished goroutine to leave the list", || {
        info(queued_id).is_none()
    });
}

#[test]
fn check_leaks_names_a_leaked_goroutine() {
    let _s = serial();
    let msg = panic_of(|| {
        check_leaks(Duration::from_millis(50), || {
            let nil: Chan<u8> = Chan::nil();
            let (_, line) = (gocsp::go(move || recv_from(nil)), line!());
            line
        })
    });
    assert!(msg.starts_with("found 1 leaked goroutine "), "{msg}");
    assert!(msg.contains("[chan receive (nil chan)]"), "{msg}");
    let site = format!("spawned at {}:", file!());
    assert!(
        msg.contains(&site),
        "the report names the spawn site: {msg}"
    );
}

#[test]
fn check_leaks_reports_the_exact_spawn_line() {
    let _s = serial();
    let line = std::cell::Cell::new(0);
    let msg = panic_of(|| {
        check_leaks(Duration::from_millis(20), || {
            let (_, l) = (gocsp::go(block_forever), line!());
            line.set(l);
        })
    });
    let site = format!("spawned at {}:{}:", file!(), line.get());
    assert!(msg.contains(&site), "expected {site:?} in: {msg}");
    assert!(msg.contains("[select (no cases)]"), "{msg}");
}

#[test]
fn check_leaks_follows_goroutines_started_by_goroutines() {
    let _s = serial();
    let msg = panic_of(|| {
        check_leaks(Duration::from_millis(50), || {
            gocsp::spawn(|| {
                // The grandchild leaks; its parent finishes.
                gocsp::go(|| gocsp::time::sleep(Duration::from_secs(3600)));
            })
            .join()
            .unwrap();
        })
    });
    assert!(msg.starts_with("found 1 leaked goroutine "), "{msg}");
    assert!(msg.contains("[sleep]"), "{msg}");
}

#[test]
fn check_leaks_passes_a_clean_closure() {
    let _s = serial();
    // Goroutines that finish, even a little after the closure returns, are not leaks; the
    // closure's value comes back.
    let v = check_leaks(Duration::from_secs(20), || {
        let ch: Chan<u32> = Chan::new(0);
        let tx = ch.sender();
        gocsp::go(move || tx.send(7));
        gocsp::go(|| gocsp::time::sleep(Duration::from_millis(20)));
        let h = gocsp::spawn(|| 1);
        ch.recv().unwrap() + h.join().unwrap()
    });
    assert_eq!(v, 8);

    // Goroutines alive before the check are not its business.
    let gate: Chan<()> = Chan::new(0);
    let g = gate.clone();
    let outside = gocsp::spawn(move || g.recv());
    check_leaks(Duration::from_millis(10), || ());
    gate.close();
    outside.join().unwrap();
}

#[test]
fn check_leaks_inside_a_goroutine() {
    let _s = serial();
    let msg = gocsp::spawn(|| {
        panic_of(|| {
            check_leaks(Duration::from_millis(20), || {
                // Returns once the leaked goroutine runs, so the report can show where it
                // blocks however slowly it is scheduled (under valgrind, say).
                let started: Chan<()> = Chan::new(0);
                let tx = started.sender();
                gocsp::go(move || {
                    tx.close();
                    block_forever()
                });
                started.recv();
            })
        })
    })
    .join()
    .unwrap();
    assert!(msg.contains("[select (no cases)]"), "{msg}");
    let ok = gocsp::spawn(|| {
        check_leaks(Duration::from_secs(20), || {
            gocsp::spawn(|| 3).join().unwrap()
        })
    })
    .join()
    .unwrap();
    assert_eq!(ok, 3);
}

#[test]
fn a_goroutine_waiting_in_join_is_listed_as_join() {
    let _s = serial();
    let gate: Chan<()> = Chan::new(0);
    let g = gate.clone();
    let joiner = gocsp::spawn(move || gocsp::spawn(move || g.recv()).join().unwrap());
    // The runtime names this wait "join" (not the channel receive it is made of).
    let info = wait_until_blocked_any(joiner.id());
    assert_eq!(blocked_site(&info).0, "join", "{info}");
    gate.send(());
    assert_eq!(joiner.join().unwrap(), Some(()));
}

/// Waits until goroutine `id` is parked, whatever the reason.
fn wait_until_blocked_any(id: u64) -> GoroutineInfo {
    let mut last = None;
    wait_until("the goroutine to park", || {
        last = info(id);
        matches!(
            &last,
            Some(GoroutineInfo {
                state: GoroutineState::Blocked { .. },
                ..
            })
        )
    });
    last.unwrap()
}

/// A worker reuses the control blocks of goroutines that finished on it for its next spawns:
/// goroutines started after a wave of others finished carry their own id, spawn site, state
/// and result, nothing of the goroutines before them.
#[test]
fn goroutines_started_after_others_finished_are_their_own() {
    let _s = serial();
    let rt = Runtime::builder().workers(1).build().unwrap();
    rt.block_on(|| {
        // A first wave, each finishing with its own result, its handle joined.
        let first: Vec<_> = (0..200u64).map(|i| gocsp::spawn(move || i * 3)).collect();
        let first_ids: Vec<u64> = first.iter().map(|h| h.id()).collect();
        for (i, h) in first.into_iter().enumerate() {
            assert_eq!(h.join().unwrap(), i as u64 * 3);
        }
        // Finished, they are listed no more, though the worker keeps (up to 64 of) their
        // control blocks, still registered, for its next spawns.
        wait_until("the first wave to leave the listing", || {
            gocsp::goroutines()
                .iter()
                .all(|g| !first_ids.contains(&g.id))
        });
        // A second wave from another site, blocked where we can see them.
        let gate: Chan<u8> = Chan::new(0);
        let second: Vec<_> = (0..200u64)
            .map(|i| {
                let gate = gate.clone();
                gocsp::spawn(move || {
                    gate.recv();
                    (gocsp::goroutine_id(), i)
                })
            })
            .collect();
        let second_site = line!() - 6;
        let ids: Vec<u64> = second.iter().map(|h| h.id()).collect();
        wait_until("the second wave to block", || {
            gocsp::goroutines()
                .iter()
                .filter(|g| ids.contains(&g.id))
                .all(|g| matches!(g.state, GoroutineState::Blocked { .. }))
        });
        let listed: Vec<GoroutineInfo> = gocsp::goroutines()
            .into_iter()
            .filter(|g| ids.contains(&g.id))
            .collect();
        assert_eq!(
            listed.len(),
            200,
            "every goroutine of the second wave is listed once"
        );
        for g in &listed {
            assert!(
                !first_ids.contains(&g.id),
                "id {} was the first wave's",
                g.id
            );
            assert_eq!(g.spawn_site.line(), second_site, "{g:?}");
            let (reason, _) = blocked_site(g);
            assert_eq!(reason, "chan receive", "{g:?}");
        }
        gate.close();
        for (i, h) in second.into_iter().enumerate() {
            let id = h.id();
            assert_eq!(h.join().unwrap(), (Some(id), i as u64));
        }
        wait_until("the second wave to leave the listing", || {
            gocsp::goroutines().iter().all(|g| !ids.contains(&g.id))
        });
    });
}
