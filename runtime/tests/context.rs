//! Go's `context`: background/TODO are never done, `with_cancel`/`with_timeout`/`with_deadline`/
//! `with_value`, cancellation reaching every descendant with the same error, Go's error texts,
//! deadlines that never extend a parent's, detached cancelled children, value lookup.
#![cfg(not(loom))]
// Under Miri the goroutine tests are compiled out (see .ci/miri); their helpers go unused.
#![cfg_attr(miri, allow(unused))]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{HANG_GUARD, wait_blocked};
use gocsp::context::{self, Error};
use gocsp::time;
use gocsp::{Chan, Context, Select, TryRecvError};

/// True if `ctx.done()` is closed now.
fn is_done(ctx: &Context) -> bool {
    ctx.done().try_recv() == Err(TryRecvError::Closed)
}

/// Waits for `ctx` to be done, through a select on its done channel (with a hang guard).
fn wait_done(ctx: &Context) {
    let done = ctx.done();
    let guard = gocsp::time::after(HANG_GUARD);
    let mut sel = Select::new();
    let rd = sel.recv(&done);
    sel.recv(&guard);
    assert_eq!(sel.select(), rd.index(), "the context was never cancelled");
    assert_eq!(sel.take(rd), None, "done() is closed, never sent on");
}

#[test]
fn background_and_todo_are_never_done() {
    for (ctx, name) in [
        (context::background(), "context.Background"),
        (context::todo(), "context.TODO"),
    ] {
        assert!(ctx.done().is_nil(), "done() is the nil channel");
        assert_eq!(ctx.err(), None);
        assert_eq!(ctx.deadline(), None);
        assert_eq!(format!("{ctx:?}"), name);
        assert!(ctx.value::<u8, u8>(&0).is_none());
    }
    assert!(context::background().same(&context::background()));
    assert!(!context::background().same(&context::todo()));
    // A select on background's done channel never fires.
    let done = context::background().done();
    let mut sel = Select::new();
    sel.recv(&done);
    assert_eq!(sel.try_select(), None);
}

#[test]
fn error_texts_are_gos() {
    assert_eq!(Error::Canceled.to_string(), "context canceled");
    assert_eq!(
        Error::DeadlineExceeded.to_string(),
        "context deadline exceeded"
    );
    let e: Box<dyn std::error::Error + Send + Sync> = Box::new(Error::Canceled);
    assert_eq!(e.to_string(), "context canceled");
}

#[test]
fn with_cancel() {
    let (ctx, cancel) = context::with_cancel(&context::background());
    assert_eq!(ctx.err(), None);
    assert!(!ctx.done().is_nil());
    assert_eq!(ctx.done().try_recv(), Err(TryRecvError::Empty));
    assert_eq!(ctx.deadline(), None);
    cancel();
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert!(is_done(&ctx));
    assert_eq!(ctx.done().recv(), None);
    // Idempotent, from any clone.
    let again = cancel.clone();
    again();
    cancel();
    assert_eq!(ctx.err(), Some(Error::Canceled));
    // done() after cancellation is closed too, and the same before and after.
    let fresh = ctx.clone();
    assert!(fresh.same(&ctx));
    assert!(is_done(&fresh));
}

#[cfg(not(miri))]
#[test]
fn cancel_wakes_goroutines_and_threads_waiting_on_done() {
    let (ctx, cancel) = context::with_cancel(&context::background());
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let ctx = ctx.clone();
            gocsp::spawn(move || {
                let done = ctx.done();
                done.recv();
                ctx.err()
            })
        })
        .collect();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                ctx.done().recv();
                ctx.err()
            })
        })
        .collect();
    for h in &waiters {
        wait_blocked(h.id(), "chan receive");
    }
    // Cancel from another goroutine.
    gocsp::spawn(move || cancel()).join().unwrap();
    for h in waiters {
        assert_eq!(h.join().unwrap(), Some(Error::Canceled));
    }
    for t in threads {
        assert_eq!(t.join().unwrap(), Some(Error::Canceled));
    }
}

/// Builds a tree under `root`: root -> [a -> [a1 (value) -> a11, a2], b (value) -> b1].
fn tree(root: &Context) -> Vec<(Context, context::CancelFunc)> {
    let (a, ca) = context::with_cancel(root);
    let a1v = context::with_value(&a, "k", 1u32);
    let (a11, ca11) = context::with_timeout(&a1v, Duration::from_secs(3600));
    let (a2, ca2) = context::with_cancel(&a);
    let bv = context::with_value(root, "k", 2u32);
    let (b1, cb1) = context::with_cancel(&bv);
    vec![(a, ca), (a11, ca11), (a2, ca2), (b1, cb1)]
}

#[test]
fn cancellation_reaches_every_descendant_with_the_same_error() {
    let (root, cancel_root) = context::with_cancel(&context::background());
    let nodes = tree(&root);
    let value_node = context::with_value(&nodes[0].0, "x", 0u8);
    assert!(nodes.iter().all(|(c, _)| c.err().is_none()));
    cancel_root();
    for (c, _) in &nodes {
        assert_eq!(c.err(), Some(Error::Canceled));
        assert!(is_done(c));
    }
    // A value context is done exactly when its parent is.
    assert_eq!(value_node.err(), Some(Error::Canceled));
    assert!(is_done(&value_node));
}

#[test]
fn cancelling_a_subtree_leaves_the_rest_alone() {
    let (root, cancel_root) = context::with_cancel(&context::background());
    let nodes = tree(&root);
    // Cancel `a`: a, a11 and a2 go; b1 and the root stay.
    (nodes[0].1)();
    assert_eq!(nodes[0].0.err(), Some(Error::Canceled));
    assert_eq!(nodes[1].0.err(), Some(Error::Canceled));
    assert_eq!(nodes[2].0.err(), Some(Error::Canceled));
    assert_eq!(nodes[3].0.err(), None);
    assert_eq!(root.err(), None);
    assert!(!is_done(&root));
    cancel_root();
    assert_eq!(nodes[3].0.err(), Some(Error::Canceled));
}

#[test]
fn a_deadline_reaches_descendants_as_deadline_exceeded() {
    let (root, cancel) = context::with_timeout(&context::background(), Duration::from_millis(20));
    let nodes = tree(&root);
    wait_done(&root);
    assert_eq!(root.err(), Some(Error::DeadlineExceeded));
    for (c, _) in &nodes {
        wait_done(c);
        assert_eq!(
            c.err(),
            Some(Error::DeadlineExceeded),
            "same error as the ancestor"
        );
    }
    // Cancelling afterwards changes nothing.
    cancel();
    assert_eq!(root.err(), Some(Error::DeadlineExceeded));
}

#[cfg(not(miri))]
#[test]
fn with_timeout_fires_by_itself() {
    let start = Instant::now();
    let (ctx, _cancel) = context::with_timeout(&context::background(), Duration::from_millis(15));
    let d = ctx.deadline().expect("a timeout sets a deadline");
    assert!(d >= start + Duration::from_millis(15));
    assert!(d <= Instant::now() + Duration::from_millis(15));
    assert_eq!(ctx.err(), None);
    // Wait in a goroutine, through a select as Go code would.
    let c = ctx.clone();
    let err = gocsp::spawn(move || {
        wait_done(&c);
        c.err()
    })
    .join()
    .unwrap();
    assert_eq!(err, Some(Error::DeadlineExceeded));
    assert!(Instant::now() >= d, "cancelled before its deadline");
}

#[test]
fn cancel_before_the_deadline_reports_canceled() {
    let (ctx, cancel) = context::with_timeout(&context::background(), Duration::from_secs(3600));
    cancel();
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert!(is_done(&ctx));
}

#[test]
fn deadline_values() {
    let bg = context::background();
    let d = Instant::now() + Duration::from_secs(100);
    let (ctx, _c) = context::with_deadline(&bg, d);
    assert_eq!(ctx.deadline(), Some(d));
    // Children inherit it.
    let (child, _cc) = context::with_cancel(&ctx);
    assert_eq!(child.deadline(), Some(d));
    let v = context::with_value(&ctx, 1u8, "v");
    assert_eq!(v.deadline(), Some(d));
    // An earlier deadline in a child is its own.
    let earlier = d - Duration::from_secs(50);
    let (e, _ce) = context::with_deadline(&child, earlier);
    assert_eq!(e.deadline(), Some(earlier));
    // A later deadline never extends the parent's.
    let (l, _cl) = context::with_deadline(&child, d + Duration::from_secs(100));
    assert_eq!(l.deadline(), Some(d));
    let (t, _ct) = context::with_timeout(&ctx, Duration::from_secs(1_000_000));
    assert_eq!(t.deadline(), Some(d));
}

#[test]
fn a_child_cannot_outlive_its_parents_deadline() {
    let (parent, _cp) = context::with_timeout(&context::background(), Duration::from_millis(10));
    let (child, _cc) = context::with_timeout(&parent, Duration::from_secs(3600));
    wait_done(&child);
    assert_eq!(child.err(), Some(Error::DeadlineExceeded));
}

#[test]
fn a_deadline_in_the_past_is_exceeded_at_once() {
    let (ctx, _c) = context::with_deadline(&context::background(), Instant::now());
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    assert!(is_done(&ctx));
    let (ctx, _c) = context::with_timeout(&context::background(), Duration::ZERO);
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
}

#[test]
fn a_cancelled_child_is_detached_from_its_parent() {
    let (parent, cancel_parent) = context::with_cancel(&context::background());
    let (child, cancel_child) = context::with_cancel(&parent);
    cancel_child();
    assert_eq!(child.err(), Some(Error::Canceled));
    assert_eq!(
        parent.err(),
        None,
        "cancelling a child never cancels its parent"
    );
    assert!(!is_done(&parent));
    // New children of the live parent are live.
    let (sibling, _cs) = context::with_cancel(&parent);
    assert_eq!(sibling.err(), None);
    cancel_parent();
    assert_eq!(sibling.err(), Some(Error::Canceled));
    assert_eq!(child.err(), Some(Error::Canceled));
    // Many short-lived children of one long-lived parent come and go.
    let (long_lived, _c) = context::with_cancel(&context::background());
    for _ in 0..common::scaled(10_000, 10_000) {
        let (c, cancel) = context::with_timeout(&long_lived, Duration::from_secs(3600));
        cancel();
        assert!(is_done(&c));
    }
    assert_eq!(long_lived.err(), None);
}

#[test]
fn children_of_a_cancelled_parent_are_born_cancelled() {
    let (parent, cancel) = context::with_timeout(&context::background(), Duration::from_secs(3600));
    cancel();
    let (c1, _) = context::with_cancel(&parent);
    assert_eq!(c1.err(), Some(Error::Canceled));
    let (c2, _) = context::with_timeout(&parent, Duration::from_secs(1));
    assert_eq!(c2.err(), Some(Error::Canceled));
    assert!(is_done(&c2));
    let v = context::with_value(&parent, 0u8, 0u8);
    assert_eq!(v.err(), Some(Error::Canceled));
    let (c3, _) = context::with_cancel(&v);
    assert_eq!(c3.err(), Some(Error::Canceled));
}

#[test]
fn value_lookup_through_chains_and_key_types() {
    #[derive(PartialEq)]
    struct UserKey;
    #[derive(PartialEq)]
    struct KeyA(u32);
    #[derive(PartialEq)]
    struct KeyB(u32);

    let bg = context::background();
    let c1 = context::with_value(&bg, UserKey, "alice".to_string());
    let (c2, _cancel) = context::with_cancel(&c1);
    let c3 = context::with_value(&c2, KeyA(1), 10i64);
    let (c4, _cancel4) = context::with_timeout(&c3, Duration::from_secs(3600));
    let c5 = context::with_value(&c4, KeyB(1), 20i64);

    // Found through cancel and timeout contexts.
    assert_eq!(
        c5.value::<_, String>(&UserKey).as_deref(),
        Some(&"alice".to_string())
    );
    assert_eq!(c5.value::<_, i64>(&KeyA(1)).as_deref(), Some(&10));
    assert_eq!(c5.value::<_, i64>(&KeyB(1)).as_deref(), Some(&20));
    // Keys of different types never collide, even with equal contents.
    assert_eq!(c3.value::<_, i64>(&KeyB(1)), None);
    // Key values are compared.
    assert_eq!(c5.value::<_, i64>(&KeyA(2)), None);
    // Looking up with the wrong value type finds nothing.
    assert_eq!(c5.value::<_, u32>(&KeyA(1)), None);
    // Values are not visible from ancestors.
    assert_eq!(c2.value::<_, i64>(&KeyA(1)), None);
    // The nearest binding wins.
    let shadow = context::with_value(&c5, UserKey, "bob".to_string());
    assert_eq!(
        shadow.value::<_, String>(&UserKey).as_deref(),
        Some(&"bob".to_string())
    );
    assert_eq!(
        c5.value::<_, String>(&UserKey).as_deref(),
        Some(&"alice".to_string())
    );
    // Values are shared, not copied.
    let shared = Arc::new(5u8);
    let c6 = context::with_value(&bg, 7u16, shared.clone());
    let got = c6.value::<_, Arc<u8>>(&7u16).unwrap();
    assert!(Arc::ptr_eq(&*got, &shared));
}

#[cfg(not(miri))]
#[test]
fn contexts_cross_threads_and_goroutines() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Context>();
    let (ctx, cancel) = context::with_cancel(&context::background());
    let ctx2 = ctx.clone();
    let t = std::thread::spawn(move || ctx2.done().recv());
    std::thread::spawn(move || cancel()).join().unwrap();
    assert_eq!(t.join().unwrap(), None);
    assert_eq!(ctx.err(), Some(Error::Canceled));
    let dbg = format!("{ctx:?}");
    assert!(dbg.contains("Canceled"), "{dbg}");
}

#[test]
fn a_done_channel_closes_on_parent_cancel_after_its_context_is_dropped() {
    // Go code often keeps only `ctx.Done()`. The channel must still close when the parent is
    // cancelled after the context value itself is gone.
    let (parent, cancel_parent) = context::with_cancel(&context::background());
    let done = {
        let (child, _cancel_child) = context::with_cancel(&parent);
        child.done()
    };
    cancel_parent();
    assert_eq!(
        done.try_recv(),
        Err(TryRecvError::Closed),
        "the parent's cancellation never reached the dropped child's done channel"
    );
}

#[test]
fn a_done_channel_closes_at_the_deadline_after_its_context_is_dropped() {
    let done = {
        let (child, _cancel) =
            context::with_timeout(&context::background(), Duration::from_millis(5));
        child.done()
    };
    let guard = gocsp::time::after(HANG_GUARD);
    let mut sel = Select::new();
    let rd = sel.recv(&done);
    sel.recv(&guard);
    assert_eq!(
        sel.select(),
        rd.index(),
        "the deadline never closed the done channel of a dropped context"
    );
}

#[test]
fn a_timeout_too_long_to_represent_never_fires() {
    let (ctx, cancel) = context::with_timeout(&context::background(), Duration::MAX);
    assert_eq!(ctx.err(), None);
    let (child, _c) = context::with_timeout(&ctx, Duration::from_secs(3600));
    assert!(child.deadline().is_some());
    cancel();
    assert_eq!(child.err(), Some(Error::Canceled));
}

// A deadline prints as a wall-clock time, which Miri's isolation does not provide.
#[cfg(not(miri))]
#[test]
fn display_is_gos_string() {
    let bg = context::background();
    assert_eq!(bg.to_string(), "context.Background");
    assert_eq!(context::todo().to_string(), "context.TODO");
    let (c, cancel) = context::with_cancel(&bg);
    assert_eq!(c.to_string(), "context.Background.WithCancel");
    cancel();
    #[derive(PartialEq)]
    struct Key;
    let v = context::with_value(&c, Key, "req-42".to_string());
    assert_eq!(
        v.to_string(),
        format!(
            "context.Background.WithCancel.WithValue({}, req-42)",
            std::any::type_name::<Key>()
        )
    );
    let v2 = context::with_value(&bg, "k", 7u8);
    assert_eq!(v2.to_string(), "context.Background.WithValue(k, u8)");
    // Go: context.Background.WithDeadline(2009-11-10 23:00:01.5 +0000 UTC m=+1.5 [1.5s])
    let (d, cancel) = context::with_timeout(&bg, time::HOUR);
    let s = d.to_string();
    let inner = s
        .strip_prefix("context.Background.WithDeadline(")
        .and_then(|r| r.strip_suffix("])"))
        .unwrap_or_else(|| panic!("{s}"));
    let (when, left) = inner.split_once(" [").unwrap_or_else(|| panic!("{s}"));
    assert!(when.contains(" +0000 UTC m=+"), "{s}");
    assert!(left.starts_with("59m59.") && left.ends_with('s'), "{s}");
    // A child of a deadline context without its own deadline is a WithCancel.
    let (child, _c) = context::with_cancel(&d);
    assert!(child.to_string().ends_with("]).WithCancel"), "{child}");
    // A later deadline than the parent's is just a cancellable child, as in Go.
    let (later, _c) = context::with_timeout(&d, 2 * time::HOUR);
    assert!(later.to_string().ends_with("]).WithCancel"), "{later}");
    cancel();
    // A deadline that passed shows a negative time left.
    let (past, _c) = context::with_deadline(&bg, Instant::now());
    let s = past.to_string();
    assert!(s.contains(" [-") || s.contains(" [0s]"), "{s}");
}

#[test]
fn error_timeout_is_true_for_deadline_exceeded_only() {
    assert!(context::Error::DeadlineExceeded.timeout());
    assert!(context::Error::DeadlineExceeded.temporary());
    assert!(!context::Error::Canceled.timeout());
    assert!(!context::Error::Canceled.temporary());
}

/// A program's own context: cancelled by closing its channel; carries one value.
struct Shutdown {
    signal: Chan<()>,
}

#[derive(PartialEq)]
struct Tenant;

impl context::Custom for Shutdown {
    fn done(&self) -> gocsp::Receiver<()> {
        self.signal.receiver()
    }
    fn err(&self) -> Option<context::Error> {
        (self.signal.try_recv() == Err(gocsp::TryRecvError::Closed))
            .then_some(context::Error::Canceled)
    }
    fn deadline(&self) -> Option<Instant> {
        None
    }
    fn value(&self, key: &dyn std::any::Any) -> Option<Arc<dyn std::any::Any + Send + Sync>> {
        key.downcast_ref::<Tenant>()
            .map(|_| Arc::new("acme".to_string()) as Arc<dyn std::any::Any + Send + Sync>)
    }
    fn name(&self) -> String {
        "shutdown".into()
    }
}

#[cfg(not(miri))]
#[test]
fn custom_contexts_cancel_their_children() {
    let signal = Chan::new(0);
    let root = context::from_custom(Shutdown {
        signal: signal.clone(),
    });
    assert_eq!(root.err(), None);
    assert_eq!(
        root.value::<_, String>(&Tenant).as_deref(),
        Some(&"acme".to_string())
    );
    let (child, cancel_child) = context::with_cancel(&root);
    let valued = context::with_value(&child, "k", "v");
    let (grandchild, _c) = context::with_timeout(&valued, time::HOUR);
    assert_eq!(child.to_string(), "shutdown.WithCancel");
    assert_eq!(
        grandchild.value::<_, String>(&Tenant).as_deref(),
        Some(&"acme".to_string()),
        "values are looked up through the custom context"
    );
    // A sibling cancelled on its own leaves the custom parent alone.
    let (sibling, cancel_sibling) = context::with_cancel(&root);
    cancel_sibling();
    assert_eq!(sibling.err(), Some(context::Error::Canceled));
    assert_eq!(root.err(), None);
    // Cancelling the custom root reaches every descendant.
    signal.close();
    grandchild.done().recv();
    assert_eq!(grandchild.err(), Some(context::Error::Canceled));
    assert_eq!(child.err(), Some(context::Error::Canceled));
    cancel_child();
    // A child made after the custom parent was cancelled is cancelled at once.
    let (late, _c) = context::with_cancel(&root);
    assert_eq!(late.err(), Some(context::Error::Canceled));
}

/// Go: "If Done is not yet closed, Err returns nil." A thread watching `err()` while another
/// cancels must find `done()` closed as soon as `err()` says cancelled (the done channel is
/// closed under the lock `err()` takes, as in Go's `cancelCtx`). (Not under Miri: a spinning
/// watcher thread per round.)
#[cfg(not(miri))]
#[test]
fn err_is_never_set_while_done_is_still_open() {
    use std::sync::atomic::{AtomicBool, Ordering};

    let rounds = 500;
    let mut open = 0;
    for _ in 0..rounds {
        let (ctx, cancel) = context::with_cancel(&context::background());
        let done = ctx.done();
        let watching = Arc::new(AtomicBool::new(false));
        let w = watching.clone();
        let watcher = std::thread::spawn(move || {
            w.store(true, Ordering::SeqCst);
            loop {
                if ctx.err().is_some() {
                    return done.try_recv() != Err(TryRecvError::Closed);
                }
                std::hint::spin_loop();
            }
        });
        while !watching.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        cancel();
        open += usize::from(watcher.join().unwrap());
    }
    assert_eq!(
        open, 0,
        "err() was set while done() was open in {open} of {rounds} rounds"
    );
}

/// Go's `cancelCtx` cancels its children under its own lock, so a second `cancel` (or the
/// deadline's) waits for the first: once either returns, every child registered before is
/// cancelled. (Not under Miri: thousands of children and a spinning thread per round.)
#[cfg(not(miri))]
#[test]
fn a_second_cancel_returns_after_every_child_is_cancelled() {
    use std::sync::atomic::{AtomicBool, Ordering};

    let rounds = 20;
    let mut early = 0;
    for _ in 0..rounds {
        let (parent, cancel) = context::with_cancel(&context::background());
        let children: Vec<_> = (0..20_000).map(|_| context::with_cancel(&parent)).collect();
        let last = children.last().unwrap().0.clone();
        let go = Arc::new(AtomicBool::new(false));
        let (g, first_cancel) = (go.clone(), cancel.clone());
        let first = std::thread::spawn(move || {
            while !g.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            first_cancel();
        });
        go.store(true, Ordering::Release);
        // The parent reports its cancellation once the first cancel has begun; then a second
        // cancel must not return before the children are cancelled.
        while parent.err().is_none() {
            std::hint::spin_loop();
        }
        cancel();
        early += usize::from(last.err().is_none());
        first.join().unwrap();
        assert_eq!(last.err(), Some(Error::Canceled));
    }
    assert_eq!(
        early, 0,
        "a second cancel returned before a child was cancelled in {early} of {rounds} rounds"
    );
}
