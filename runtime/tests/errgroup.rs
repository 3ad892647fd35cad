//! `gocsp::sync::errgroup::Group`, with x/sync's `errgroup_test.go` ported where it applies:
//! `TestZeroGroup`, `TestWithContext`, `TestTryGo`, `TestGoLimit`, and `SetLimit`'s panic while
//! goroutines are active.
#![cfg(not(loom))]
#![cfg(not(miri))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use common::panic_of;
use gocsp::Chan;
use gocsp::context::{self, Error as CtxError};
use gocsp::sync::errgroup::Group;

#[derive(Clone, Debug, PartialEq)]
struct E(&'static str);

#[test]
fn zero_group_returns_the_first_error() {
    // Go's TestZeroGroup: `Wait` after each `Go`; the group keeps only its first error. Go
    // returns it from every later `Wait`; ours moves it out to the first `wait` that sees it
    // (errors need not be `Clone`), and a later error is never kept in its place.
    let err1 = E("errgroup_test: 1");
    let err2 = E("errgroup_test: 2");
    let cases: [&[Option<E>]; 6] = [
        &[],
        &[None],
        &[Some(err1.clone())],
        &[Some(err1.clone()), None],
        &[Some(err1.clone()), None, Some(err2.clone())],
        &[None, Some(err1.clone()), Some(err2.clone())],
    ];
    for errs in cases {
        let g: Group<E> = Group::new();
        let mut first_seen = false;
        for err in errs {
            let want = match err {
                Some(e) if !first_seen => {
                    first_seen = true;
                    Err(e.clone())
                }
                _ => Ok(()),
            };
            let err = err.clone();
            g.go(move || err.map_or(Ok(()), Err));
            assert_eq!(g.wait(), want, "in {errs:?}");
        }
    }
}

#[test]
fn with_context_cancels_at_the_first_error_and_on_wait() {
    let err_doom = E("group_test: doomed");
    let cases = [
        (vec![], None),
        (vec![None], None),
        (vec![Some(err_doom.clone())], Some(err_doom.clone())),
        (vec![Some(err_doom.clone()), None], Some(err_doom.clone())),
    ];
    for (errs, want) in cases {
        let (g, ctx) = Group::with_context(&context::background());
        for err in errs {
            g.go(move || err.map_or(Ok(()), Err));
        }
        assert_eq!(g.wait().err(), want);
        let canceled = ctx.done().recv().is_none();
        assert!(canceled, "the context is cancelled after wait");
        assert_eq!(ctx.err(), Some(CtxError::Canceled));
    }
}

#[test]
fn the_first_error_cancels_the_others() {
    let (g, ctx) = Group::with_context(&context::background());
    for i in 0..8 {
        let ctx = ctx.clone();
        g.go(move || -> Result<(), String> {
            if i == 5 {
                return Err(format!("subtask {i}"));
            }
            ctx.done().recv();
            Ok(())
        });
    }
    assert_eq!(g.wait(), Err("subtask 5".to_string()));
}

#[test]
fn try_go_respects_the_limit() {
    let g: Group<E> = Group::new();
    let n = 42;
    g.set_limit(42);
    let ch: Chan<()> = Chan::new(0);
    let hold = |ch: Chan<()>| {
        move || {
            ch.recv();
            Ok(())
        }
    };
    for i in 0..n {
        assert!(g.try_go(hold(ch.clone())), "TryGo should succeed at {i}");
    }
    assert!(
        !g.try_go(hold(ch.clone())),
        "TryGo is expected to fail at the limit"
    );
    // Let one finish; then one more fits (once the finished one has returned its token).
    ch.send(());
    common::wait_until("a finished subtask's token", || g.try_go(hold(ch.clone())));
    for _ in 0..n {
        ch.send(());
    }
    assert_eq!(g.wait(), Ok(()));

    g.set_limit(1);
    assert!(g.try_go(|| Ok(())));
    assert_eq!(g.wait(), Ok(()));
    // Limit 0: nothing may start.
    g.set_limit(0);
    assert!(!g.try_go(|| Ok(())));
}

#[test]
fn go_waits_at_the_limit() {
    const LIMIT: i64 = 10;
    let g: Group<E> = Group::new();
    g.set_limit(LIMIT);
    let active = Arc::new(AtomicI64::new(0));
    let worst = Arc::new(AtomicI64::new(0));
    for _ in 0..100 {
        let (active, worst) = (active.clone(), worst.clone());
        g.go(move || {
            let n = active.fetch_add(1, Ordering::SeqCst) + 1;
            worst.fetch_max(n, Ordering::SeqCst);
            gocsp::time::sleep(gocsp::time::MICROSECOND);
            active.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        });
    }
    assert_eq!(g.wait(), Ok(()));
    let worst = worst.load(Ordering::SeqCst);
    assert!(
        (1..=LIMIT).contains(&worst),
        "{worst} goroutines active at once, limit {LIMIT}"
    );
}

#[test]
fn set_limit_panics_while_goroutines_are_active() {
    let g: Group<E> = Group::new();
    g.set_limit(2);
    let ch: Chan<()> = Chan::new(0);
    let c = ch.clone();
    g.go(move || {
        c.recv();
        Ok(())
    });
    assert_eq!(
        panic_of(|| g.set_limit(3)),
        "errgroup: modify limit while 1 goroutines in the group are still active"
    );
    ch.send(());
    assert_eq!(g.wait(), Ok(()));
    g.set_limit(-1);
    assert!(g.try_go(|| Ok(())), "no limit");
    assert_eq!(g.wait(), Ok(()));
}

/// x/sync's `SetLimit` removes the limit (a negative `n`) before it looks at running
/// goroutines: that never panics, and the running ones give their tokens back.
#[test]
fn removing_the_limit_while_goroutines_run_is_allowed() {
    let g: Group<E> = Group::new();
    g.set_limit(1);
    let ch: Chan<()> = Chan::new(0);
    let c = ch.clone();
    g.go(move || {
        c.recv();
        Ok(())
    });
    assert!(!g.try_go(|| Ok(())), "at the limit");
    g.set_limit(-1);
    assert!(g.try_go(|| Ok(())), "no limit any more");
    ch.send(());
    assert_eq!(g.wait(), Ok(()));
    g.set_limit(1);
    assert!(g.try_go(|| Ok(())), "a fresh limit of 1, nothing running");
    assert_eq!(g.wait(), Ok(()));
}

#[test]
fn the_default_error_type_takes_any_error() {
    let g: Group = Group::new();
    g.go(|| Err("plain text".into()));
    g.go(|| Err(Box::new(std::fmt::Error)));
    let err = g.wait().unwrap_err();
    assert!(
        [
            "plain text",
            "an error occurred when formatting an argument"
        ]
        .contains(&err.to_string().as_str())
    );
}
