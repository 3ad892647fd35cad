//! Go's `context` package: cancellation that flows down a tree, deadlines, request values.
//!
//! ```
//! use gocsp::prelude::*;
//! use std::time::Duration;
//!
//! let (ctx, cancel) = context::with_timeout(&context::background(), Duration::from_millis(10));
//! let (child, _cancel_child) = context::with_cancel(&ctx);
//! select! {
//!     <-child.done() => {}
//!     <-time::after(Duration::from_secs(5)) => panic!("the deadline should have cancelled the child"),
//! }
//! assert_eq!(child.err(), Some(context::Error::DeadlineExceeded));
//! cancel(); // always call it: releases the timer (a no-op here, the deadline passed)
//! ```
//!
//! Rules, as in Go:
//! - cancelling a context cancels all its descendants, with the same error;
//! - `done()` is a receive-only channel closed on cancellation (the nil channel, which never
//!   fires, for contexts that can never be cancelled, like `background()`);
//! - a context that is cancelled, by its own cancel function or its deadline, is detached from
//!   its parent at once, so long-lived parents do not accumulate dead children;
//! - a deadline costs a timer entry, not a thread; a child's deadline never extends its
//!   parent's.

use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::chan::{Chan, Receiver};
use crate::time::heap::{self, Node};

// `Node_` is the context tree node; `Node` is a timer.

/// Why a context was cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// Cancelled by its cancel function (or an ancestor's). Displays as Go's "context canceled".
    Canceled,
    /// Its deadline (or an ancestor's) passed. Displays as Go's "context deadline exceeded".
    DeadlineExceeded,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Canceled => "context canceled",
            Error::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl std::error::Error for Error {}

/// A cancellation scope, Go's `context.Context`. Cheap to clone; clones are the same context.
#[derive(Clone)]
pub struct Context {
    node: Arc<Node_>,
}

/// One context in the tree.
struct Node_ {
    kind: Kind,
    /// The nearest cancellable ancestor-or-self (for `done`, `err`, and child registration).
    parent: Option<Context>,
    deadline: Option<Instant>,
}

enum Kind {
    /// `background()` / `todo()`: never cancelled.
    Root(&'static str),
    /// `with_value`: delegates cancellation to its parent.
    Value {
        key: Box<dyn Any + Send + Sync>,
        value: Arc<dyn Any + Send + Sync>,
    },
    /// `with_cancel` / `with_deadline`: owns a cancellation state.
    Cancel(Cancel),
}

struct Cancel {
    id: u64,
    state: Mutex<CancelState>,
}

struct CancelState {
    err: Option<Error>,
    done: Option<Chan<()>>,
    children: Vec<(u64, Weak<Node_>)>,
    timer: Option<Arc<Node>>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A function that cancels its context (Go's `context.CancelFunc`): call it as `cancel()`.
/// Idempotent, cheap to clone, and callable from any thread or goroutine. Call it when the work
/// the context covers is done, to release the context's resources (its timer, its place in
/// the parent's child list).
pub type CancelFunc = Arc<dyn Fn() + Send + Sync>;

/// The root of every context tree: never cancelled, no deadline, no values (Go's
/// `context.Background()`).
pub fn background() -> Context {
    static BG: std::sync::OnceLock<Context> = std::sync::OnceLock::new();
    BG.get_or_init(|| Context::root("context.Background"))
        .clone()
}

/// Like [`background`], for code that has not decided which context to use yet (Go's
/// `context.TODO()`).
pub fn todo() -> Context {
    static TODO: std::sync::OnceLock<Context> = std::sync::OnceLock::new();
    TODO.get_or_init(|| Context::root("context.TODO")).clone()
}

/// A child of `parent` that is cancelled when `cancel` is called or when `parent` is.
pub fn with_cancel(parent: &Context) -> (Context, CancelFunc) {
    let ctx = Context::new_cancel(parent, parent.deadline());
    (ctx.clone(), ctx.cancel_func())
}

/// A child of `parent` that is cancelled with [`Error::DeadlineExceeded`] at `deadline`, or
/// earlier by `cancel` or by `parent`. The deadline never extends the parent's.
pub fn with_deadline(parent: &Context, deadline: Instant) -> (Context, CancelFunc) {
    if parent.deadline().is_some_and(|d| d <= deadline) {
        // The parent expires first: this is just a cancellable child.
        return with_cancel(parent);
    }
    let ctx = Context::new_cancel(parent, Some(deadline));
    let cancel = ctx.cancel_func();
    let now = Instant::now();
    if deadline <= now {
        ctx.cancel_with(Error::DeadlineExceeded);
        return (ctx, cancel);
    }
    let weak = Arc::downgrade(&ctx.node);
    let timer = heap::schedule(
        deadline,
        Box::new(move |_| {
            if let Some(node) = weak.upgrade() {
                Context { node }.cancel_with(Error::DeadlineExceeded);
            }
        }),
    );
    if let Kind::Cancel(c) = &ctx.node.kind {
        let mut st = c.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.err.is_none() {
            st.timer = Some(timer);
        } else {
            timer.cancel();
        }
    }
    (ctx, cancel)
}

/// [`with_deadline`] at `now + timeout`.
pub fn with_timeout(parent: &Context, timeout: Duration) -> (Context, CancelFunc) {
    with_deadline(parent, Instant::now() + timeout)
}

/// A child of `parent` that carries `value` under `key` (Go's `context.WithValue`); it is
/// cancelled exactly when `parent` is. Look values up with [`Context::value`], which searches
/// from the context up to the root. Use a private key type so packages do not collide.
///
/// ```
/// use gocsp::context;
///
/// #[derive(PartialEq)]
/// struct RequestId;
/// let ctx = context::with_value(&context::background(), RequestId, "req-42".to_string());
/// let (child, _cancel) = context::with_cancel(&ctx);
/// assert_eq!(child.value::<_, String>(&RequestId).as_deref(), Some(&"req-42".to_string()));
/// ```
pub fn with_value<K, V>(parent: &Context, key: K, value: V) -> Context
where
    K: PartialEq + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    Context {
        node: Arc::new(Node_ {
            kind: Kind::Value {
                key: Box::new(key),
                value: Arc::new(value),
            },
            parent: Some(parent.clone()),
            deadline: parent.deadline(),
        }),
    }
}

impl Context {
    fn root(name: &'static str) -> Context {
        Context {
            node: Arc::new(Node_ {
                kind: Kind::Root(name),
                parent: None,
                deadline: None,
            }),
        }
    }

    fn new_cancel(parent: &Context, deadline: Option<Instant>) -> Context {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let ctx = Context {
            node: Arc::new(Node_ {
                kind: Kind::Cancel(Cancel {
                    id,
                    state: Mutex::new(CancelState {
                        err: None,
                        done: None,
                        children: Vec::new(),
                        timer: None,
                    }),
                }),
                parent: Some(parent.clone()),
                deadline,
            }),
        };
        // Register with the nearest cancellable ancestor, or inherit its cancellation.
        if let Some(anc) = parent.cancel_ancestor() {
            let Kind::Cancel(c) = &anc.node.kind else {
                unreachable!()
            };
            let mut st = c.state.lock().unwrap_or_else(|p| p.into_inner());
            match st.err {
                Some(err) => {
                    drop(st);
                    ctx.cancel_with(err);
                }
                None => {
                    if st.children.len() >= 32 && st.children.len().is_power_of_two() {
                        st.children.retain(|(_, w)| w.strong_count() > 0);
                    }
                    st.children.push((id, Arc::downgrade(&ctx.node)));
                }
            }
        }
        ctx
    }

    fn cancel_func(&self) -> CancelFunc {
        let ctx = self.clone();
        Arc::new(move || ctx.cancel_with(Error::Canceled))
    }

    /// The nearest ancestor-or-self that can be cancelled.
    fn cancel_ancestor(&self) -> Option<&Context> {
        let mut c = self;
        loop {
            match &c.node.kind {
                Kind::Cancel(_) => return Some(c),
                Kind::Root(_) => return None,
                Kind::Value { .. } => c = c.node.parent.as_ref()?,
            }
        }
    }

    fn cancel_with(&self, err: Error) {
        let Kind::Cancel(c) = &self.node.kind else {
            return;
        };
        let mut st = c.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.err.is_some() {
            return;
        }
        st.err = Some(err);
        let done = st.done.take();
        let children = std::mem::take(&mut st.children);
        let timer = st.timer.take();
        // Keep a closed channel for later `done()` calls.
        st.done = Some(match &done {
            Some(d) => d.clone(),
            None => {
                let d = Chan::new(0);
                d.close();
                d
            }
        });
        drop(st);
        if let Some(d) = done {
            d.close();
        }
        if let Some(t) = timer {
            t.cancel();
        }
        for (_, child) in children {
            if let Some(node) = child.upgrade() {
                Context { node }.cancel_with(err);
            }
        }
        // Detach from the parent.
        if let Some(anc) = self.node.parent.as_ref().and_then(Context::cancel_ancestor) {
            if let Kind::Cancel(p) = &anc.node.kind {
                let mut pst = p.state.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(i) = pst.children.iter().position(|(id, _)| *id == c.id) {
                    pst.children.swap_remove(i);
                }
            }
        }
    }

    /// A channel that is closed when this context is cancelled (Go's `ctx.Done()`). For a
    /// context that can never be cancelled it is the nil channel, which never fires in
    /// `select!`.
    pub fn done(&self) -> Receiver<()> {
        let Some(anc) = self.cancel_ancestor() else {
            return Receiver::default();
        };
        let Kind::Cancel(c) = &anc.node.kind else {
            unreachable!()
        };
        let mut st = c.state.lock().unwrap_or_else(|p| p.into_inner());
        st.done.get_or_insert_with(|| Chan::new(0)).receiver()
    }

    /// `None` while the context is live; why it was cancelled afterwards (Go's `ctx.Err()`).
    pub fn err(&self) -> Option<Error> {
        let anc = self.cancel_ancestor()?;
        let Kind::Cancel(c) = &anc.node.kind else {
            unreachable!()
        };
        c.state.lock().unwrap_or_else(|p| p.into_inner()).err
    }

    /// The time at which this context will be cancelled, if any (Go's `ctx.Deadline()`).
    pub fn deadline(&self) -> Option<Instant> {
        self.node.deadline
    }

    /// The value stored under `key` by [`with_value`] on this context or its nearest ancestor
    /// that has one, if its type is `V` (Go's `ctx.Value(key)`).
    pub fn value<K, V>(&self, key: &K) -> Option<Arc<V>>
    where
        K: PartialEq + 'static,
        V: Send + Sync + 'static,
    {
        let mut c = self;
        loop {
            if let Kind::Value { key: k, value } = &c.node.kind {
                if k.downcast_ref::<K>().is_some_and(|k| k == key) {
                    return value.clone().downcast::<V>().ok();
                }
            }
            c = c.node.parent.as_ref()?;
        }
    }

    /// True if both handles are the same context.
    pub fn same(&self, other: &Context) -> bool {
        Arc::ptr_eq(&self.node, &other.node)
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.node.kind {
            Kind::Root(name) => f.write_str(name),
            Kind::Value { .. } => f.debug_struct("Context").field("kind", &"value").finish(),
            Kind::Cancel(_) => f
                .debug_struct("Context")
                .field("deadline", &self.deadline())
                .field("err", &self.err())
                .finish(),
        }
    }
}

impl Drop for Node_ {
    fn drop(&mut self) {
        // A cancellable context dropped without being cancelled still leaves its parent's
        // child list (and stops its timer), so forgotten cancel functions do not leak.
        if let Kind::Cancel(c) = &mut self.kind {
            let st = c.state.get_mut().unwrap_or_else(|p| p.into_inner());
            if let Some(t) = st.timer.take() {
                t.cancel();
            }
            if let Some(anc) = self.parent.as_ref().and_then(Context::cancel_ancestor) {
                if let Kind::Cancel(p) = &anc.node.kind {
                    let mut pst = p.state.lock().unwrap_or_else(|p| p.into_inner());
                    if let Some(i) = pst.children.iter().position(|(id, _)| *id == c.id) {
                        pst.children.swap_remove(i);
                    }
                }
            }
        }
    }
}
