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
//!   its parent at once, so long-lived parents do not accumulate dead children; so is one that
//!   is dropped uncancelled while nobody holds its `done()` channel or a child of it;
//! - a `done()` channel closes on cancellation even if the context it came from was dropped;
//! - a deadline costs a timer entry, not a thread; a child's deadline never extends its
//!   parent's.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use crate::chan::{Chan, Receiver};
use crate::time::heap::{self, Node};

// Structure: a `Context` is an `Arc<Node_>` (its kind, parent, deadline, value). A cancellable
// context's cancellation state lives apart, in an `Arc<Core>`: parents hold their children's
// cores strongly (a dropped context whose `done()` channel is still held must still be closed
// by its parent), and cores point up only weakly, so the tree has no reference cycle. A `Node`
// is a timer.

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
    Cancel(Arc<Core>),
}

/// The cancellation state of one cancellable context.
struct Core {
    /// The nearest cancellable ancestor's core, for detaching.
    parent: Option<Weak<Core>>,
    state: Mutex<CancelState>,
}

struct CancelState {
    err: Option<Error>,
    done: Option<Chan<()>>,
    children: Vec<Arc<Core>>,
    timer: Option<Arc<Node>>,
}

impl Core {
    fn lock(&self) -> MutexGuard<'_, CancelState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cancel(self: &Arc<Self>, err: Error) {
        let mut st = self.lock();
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
        for child in children {
            child.cancel(err);
        }
        self.detach();
    }

    /// Leaves the parent's child list.
    fn detach(self: &Arc<Self>) {
        if let Some(parent) = self.parent.as_ref().and_then(Weak::upgrade) {
            let mut pst = parent.lock();
            if let Some(i) = pst.children.iter().position(|c| Arc::ptr_eq(c, self)) {
                pst.children.swap_remove(i);
            }
        }
    }
}

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
    let Kind::Cancel(core) = &ctx.node.kind else {
        unreachable!()
    };
    let core = core.clone();
    if deadline <= Instant::now() {
        core.cancel(Error::DeadlineExceeded);
        return (ctx, cancel);
    }
    let firing = core.clone();
    let timer = heap::schedule(
        deadline,
        Box::new(move |_| firing.cancel(Error::DeadlineExceeded)),
    );
    let mut st = core.lock();
    if st.err.is_none() {
        st.timer = Some(timer);
    } else {
        drop(st);
        timer.cancel();
    }
    (ctx, cancel)
}

/// [`with_deadline`] at `now + timeout`.
pub fn with_timeout(parent: &Context, timeout: Duration) -> (Context, CancelFunc) {
    with_deadline(parent, crate::time::deadline_after(timeout))
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
        let parent_core = parent.core();
        let core = Arc::new(Core {
            parent: parent_core.map(Arc::downgrade),
            state: Mutex::new(CancelState {
                err: None,
                done: None,
                children: Vec::new(),
                timer: None,
            }),
        });
        // Register with the nearest cancellable ancestor, or inherit its cancellation.
        if let Some(pc) = parent_core {
            let mut pst = pc.lock();
            match pst.err {
                Some(err) => {
                    drop(pst);
                    core.cancel(err);
                }
                None => pst.children.push(core.clone()),
            }
        }
        Context {
            node: Arc::new(Node_ {
                kind: Kind::Cancel(core),
                parent: Some(parent.clone()),
                deadline,
            }),
        }
    }

    fn cancel_func(&self) -> CancelFunc {
        let ctx = self.clone();
        Arc::new(move || {
            if let Some(core) = ctx.core() {
                core.cancel(Error::Canceled);
            }
        })
    }

    /// The cancellation core of the nearest cancellable ancestor-or-self.
    fn core(&self) -> Option<&Arc<Core>> {
        let mut c = self;
        loop {
            match &c.node.kind {
                Kind::Cancel(core) => return Some(core),
                Kind::Root(_) => return None,
                Kind::Value { .. } => c = c.node.parent.as_ref()?,
            }
        }
    }

    /// A channel that is closed when this context is cancelled (Go's `ctx.Done()`). For a
    /// context that can never be cancelled it is the nil channel, which never fires in
    /// `select!`.
    pub fn done(&self) -> Receiver<()> {
        let Some(core) = self.core() else {
            return Receiver::default();
        };
        core.lock()
            .done
            .get_or_insert_with(|| Chan::new(0))
            .receiver()
    }

    /// `None` while the context is live; why it was cancelled afterwards (Go's `ctx.Err()`).
    pub fn err(&self) -> Option<Error> {
        self.core()?.lock().err
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
            if let Kind::Value { key: k, value } = &c.node.kind
                && k.downcast_ref::<K>().is_some_and(|k| k == key)
            {
                return value.clone().downcast::<V>().ok();
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
        // A cancellable context dropped uncancelled, whose cancellation nobody can observe any
        // more (no `done()` receiver outstanding, no child), leaves its parent's child list and
        // stops its timer, so forgotten cancel functions do not accumulate. One that can still
        // be observed stays registered and is cancelled with its parent or at its deadline.
        if let Kind::Cancel(core) = &self.kind {
            let mut st = core.lock();
            let observed = st.done.as_ref().is_some_and(|d| d.handle_count() > 1);
            if st.err.is_some() || observed || !st.children.is_empty() {
                return;
            }
            let timer = st.timer.take();
            drop(st);
            if let Some(t) = timer {
                t.cancel();
            }
            core.detach();
        }
    }
}
