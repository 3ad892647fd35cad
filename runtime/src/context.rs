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
//!   parent's;
//! - a context displays as Go's `String()` does: `context.Background.WithCancel`,
//!   `context.Background.WithDeadline(2026-01-02 03:04:05.5 +0000 UTC m=+0.5 [1.5s])`,
//!   `context.Background.WithValue(my_crate::Key, req-42)`.
//!
//! # Contexts of your own
//!
//! Go lets a program implement the `Context` interface itself. Here that is the [`Custom`]
//! trait (`done`, `err`, and optionally `deadline`, `value` and a name), turned into an
//! ordinary [`Context`] by [`from_custom`]: it can be passed wherever a `Context` goes, and
//! `with_cancel`, `with_deadline` and `with_value` derive children from it. A child learns of
//! the custom parent's cancellation as in Go, from a goroutine that waits on the parent's
//! `done()` channel (started only if that channel is not nil; it ends when either side is
//! cancelled, so call the child's cancel function when done with it).

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

impl Error {
    /// True for [`Error::DeadlineExceeded`], as Go's `DeadlineExceeded` reports `Timeout()`
    /// (the `net.Error` convention): code that retries on timeouts can ask any error.
    pub fn timeout(&self) -> bool {
        matches!(self, Error::DeadlineExceeded)
    }

    /// True for [`Error::DeadlineExceeded`], as Go's `Temporary()` says.
    pub fn temporary(&self) -> bool {
        self.timeout()
    }
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
        /// Go's `stringify` of the key and the value, for `Display`.
        shown: String,
    },
    /// `with_cancel` / `with_deadline`: owns a cancellation state. `true` if this context set
    /// its own deadline (`with_deadline`), for `Display`.
    Cancel(Arc<Core>, bool),
    /// A context implemented by the program ([`from_custom`]).
    Custom(Arc<dyn Custom>),
}

/// A context implemented by the program: Go's custom `Context` implementations. Wrap one with
/// [`from_custom`] to use it as a [`Context`].
///
/// ```
/// use gocsp::context::{self, Custom};
/// use gocsp::{Chan, Receiver, TryRecvError};
///
/// /// Cancelled when its channel is closed, say by a shutdown signal handler.
/// struct Shutdown(Chan<()>);
///
/// impl Custom for Shutdown {
///     fn done(&self) -> Receiver<()> {
///         self.0.receiver()
///     }
///     fn err(&self) -> Option<context::Error> {
///         let closed = self.0.try_recv() == Err(TryRecvError::Closed);
///         closed.then_some(context::Error::Canceled)
///     }
/// }
///
/// let signal = Chan::new(0);
/// let root = context::from_custom(Shutdown(signal.clone()));
/// let (child, _cancel) = context::with_cancel(&root);
/// assert!(child.to_string().ends_with("Shutdown.WithCancel"), "{child}");
/// signal.close();
/// child.done().recv(); // the child follows its custom parent
/// assert_eq!(child.err(), Some(context::Error::Canceled));
/// ```
pub trait Custom: Send + Sync + 'static {
    /// A channel closed when this context is cancelled; the nil channel if it never is.
    fn done(&self) -> Receiver<()>;

    /// `None` while live; why it was cancelled once `done()` is closed.
    fn err(&self) -> Option<Error>;

    /// When this context will be cancelled, if it has a deadline.
    fn deadline(&self) -> Option<Instant> {
        None
    }

    /// The value for `key` (a reference to the key passed to [`Context::value`]), if this
    /// context carries one. Compare with `key.downcast_ref::<MyKey>()`.
    fn value(&self, key: &dyn Any) -> Option<Arc<dyn Any + Send + Sync>> {
        let _ = key;
        None
    }

    /// How the context displays, as the start of its children's names (Go's `String()`);
    /// by default the type's name.
    fn name(&self) -> String {
        std::any::type_name::<Self>().to_string()
    }
}

/// Makes a [`Context`] of a program's own [`Custom`] implementation.
pub fn from_custom(custom: impl Custom) -> Context {
    let custom: Arc<dyn Custom> = Arc::new(custom);
    Context {
        node: Arc::new(Node_ {
            deadline: custom.deadline(),
            kind: Kind::Custom(custom),
            parent: None,
        }),
    }
}

/// Where a context's cancellation comes from.
enum Anchor<'a> {
    /// A gocsp cancellable context's core.
    Core(&'a Arc<Core>),
    /// A program's own context.
    Custom(&'a Arc<dyn Custom>),
    /// Nothing: never cancelled.
    Never,
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
        if self.cancel_tree(err) {
            self.detach();
        }
    }

    /// Cancels this core and its descendants; `false` if it already was cancelled. The
    /// children are cancelled under this core's lock, as Go's `cancelCtx` does (parent before
    /// child is the only order in which two cores' locks are ever held together): a second
    /// `cancel` waits for the first, so when any `cancel` returns, every child registered
    /// before it is cancelled too. Children do not detach: this core drops its list.
    fn cancel_tree(&self, err: Error) -> bool {
        let mut st = self.lock();
        if st.err.is_some() {
            return false;
        }
        st.err = Some(err);
        let done = st.done.take();
        // Keep a closed channel for later `done()` calls.
        st.done = Some(match &done {
            Some(d) => d.clone(),
            None => {
                let d = Chan::new(0);
                d.close();
                d
            }
        });
        // Closed under the lock, as Go's `cancelCtx` does: `err()` (which takes the lock)
        // never reports a cancellation whose `done()` channel is still open. (A close only
        // claims and unparks the blocked parties; none runs here.)
        if let Some(d) = done {
            d.close();
        }
        for child in std::mem::take(&mut st.children) {
            child.cancel_tree(err);
        }
        let timer = st.timer.take();
        drop(st);
        // Cancelling a timer never waits for its action (which takes this lock).
        if let Some(t) = timer {
            t.cancel();
        }
        true
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
    let Kind::Cancel(core, _) = &ctx.node.kind else {
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
    let shown = format!("{}, {}", stringify(&key), stringify(&value));
    Context {
        node: Arc::new(Node_ {
            kind: Kind::Value {
                key: Box::new(key),
                value: Arc::new(value),
                shown,
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
        let own_deadline = deadline.is_some() && deadline != parent.deadline();
        let (parent_core, custom) = match parent.anchor() {
            Anchor::Core(c) => (Some(c), None),
            Anchor::Custom(c) => (None, Some(c.clone())),
            Anchor::Never => (None, None),
        };
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
        if let Some(custom) = custom {
            follow_custom(custom, &core);
        }
        Context {
            node: Arc::new(Node_ {
                kind: Kind::Cancel(core, own_deadline),
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

    /// The cancellation core of the nearest cancellable ancestor-or-self (`None` also under a
    /// custom context: see [`anchor`](Context::anchor)).
    fn core(&self) -> Option<&Arc<Core>> {
        match self.anchor() {
            Anchor::Core(core) => Some(core),
            _ => None,
        }
    }

    /// Where this context's cancellation comes from: the nearest cancellable or custom
    /// ancestor-or-self.
    fn anchor(&self) -> Anchor<'_> {
        let mut c = self;
        loop {
            match &c.node.kind {
                Kind::Cancel(core, _) => return Anchor::Core(core),
                Kind::Custom(custom) => return Anchor::Custom(custom),
                Kind::Root(_) => return Anchor::Never,
                Kind::Value { .. } => match c.node.parent.as_ref() {
                    Some(p) => c = p,
                    None => return Anchor::Never,
                },
            }
        }
    }

    /// A channel that is closed when this context is cancelled (Go's `ctx.Done()`). For a
    /// context that can never be cancelled it is the nil channel, which never fires in
    /// `select!`.
    pub fn done(&self) -> Receiver<()> {
        match self.anchor() {
            Anchor::Core(core) => core
                .lock()
                .done
                .get_or_insert_with(|| Chan::new(0))
                .receiver(),
            Anchor::Custom(custom) => custom.done(),
            Anchor::Never => Receiver::default(),
        }
    }

    /// `None` while the context is live; why it was cancelled afterwards (Go's `ctx.Err()`).
    pub fn err(&self) -> Option<Error> {
        match self.anchor() {
            Anchor::Core(core) => core.lock().err,
            Anchor::Custom(custom) => custom.err(),
            Anchor::Never => None,
        }
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
            if let Kind::Value { key: k, value, .. } = &c.node.kind
                && k.downcast_ref::<K>().is_some_and(|k| k == key)
            {
                return value.clone().downcast::<V>().ok();
            }
            if let Kind::Custom(custom) = &c.node.kind {
                return custom.value(key).and_then(|v| v.downcast::<V>().ok());
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
            Kind::Custom(c) => f
                .debug_struct("Context")
                .field("custom", &c.name())
                .finish(),
            Kind::Cancel(..) => f
                .debug_struct("Context")
                .field("deadline", &self.deadline())
                .field("err", &self.err())
                .finish(),
        }
    }
}

impl fmt::Display for Context {
    /// Go's `ctx.String()`: the chain from the root, e.g.
    /// `context.Background.WithValue(my_crate::Key, req-42).WithCancel`; a deadline shows as
    /// `.WithDeadline(<time> [<time left>])`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = &self.node.parent {
            fmt::Display::fmt(parent, f)?;
        }
        match &self.node.kind {
            Kind::Root(name) => f.write_str(name),
            Kind::Custom(c) => f.write_str(&c.name()),
            Kind::Value { shown, .. } => write!(f, ".WithValue({shown})"),
            Kind::Cancel(_, false) => f.write_str(".WithCancel"),
            Kind::Cancel(_, true) => {
                let d = self.node.deadline.expect("a context with its own deadline");
                let now = Instant::now();
                let left = match d.checked_duration_since(now) {
                    Some(left) => crate::time::go_duration(left, false),
                    None => crate::time::go_duration(now.duration_since(d), true),
                };
                write!(
                    f,
                    ".WithDeadline({} [{left}])",
                    crate::time::Time::from_instant(d)
                )
            }
        }
    }
}

/// Go's `stringify` for `WithValue`'s key and value: the text of a string, else the type's
/// name (Go prints a `Stringer`'s `String()`; Rust has no run-time `Display` check).
fn stringify<T: Any>(v: &T) -> String {
    let any = v as &dyn Any;
    if let Some(s) = any.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = any.downcast_ref::<&'static str>() {
        (*s).to_string()
    } else {
        std::any::type_name::<T>().to_string()
    }
}

/// Cancels `core` when the custom parent is cancelled (Go's `propagateCancel` for a parent it
/// does not know): at once if it already is, else from a goroutine that waits for either side.
fn follow_custom(parent: Arc<dyn Custom>, core: &Arc<Core>) {
    if let Some(err) = parent.err() {
        core.cancel(err);
        return;
    }
    let parent_done = parent.done();
    if parent_done.is_nil() {
        return;
    }
    let child_done = core
        .lock()
        .done
        .get_or_insert_with(|| Chan::new(0))
        .receiver();
    let child = Arc::downgrade(core);
    crate::goroutine::go(move || {
        let mut sel = crate::select::Select::new();
        let from_parent = sel.recv(&parent_done);
        let _from_child = sel.recv(&child_done);
        if sel.select() == from_parent.index()
            && let Some(core) = child.upgrade()
        {
            core.cancel(parent.err().unwrap_or(Error::Canceled));
        }
    });
}

impl Drop for Node_ {
    fn drop(&mut self) {
        // A cancellable context dropped uncancelled, whose cancellation nobody can observe any
        // more (no `done()` receiver outstanding, no child), leaves its parent's child list and
        // stops its timer, so forgotten cancel functions do not accumulate. One that can still
        // be observed stays registered and is cancelled with its parent or at its deadline.
        if let Kind::Cancel(core, _) = &self.kind {
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
