//! Go's `golang.org/x/sync/errgroup`: goroutines working on subtasks of one task, the first
//! error cancelling the rest.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::chan::Chan;
use crate::context::{self, CancelFunc, Context};
use crate::sync::WaitGroup;

/// The error type a [`Group`] collects unless told otherwise: any error (Go's `error`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A collection of goroutines working on subtasks of one task (Go's `errgroup.Group`).
///
/// [`go`](Group::go) starts a subtask returning `Result<(), E>`; [`wait`](Group::wait) waits
/// for all of them and returns the first error. A group made by
/// [`with_context`](Group::with_context) cancels its context at the first error (and when
/// `wait` returns), so the other subtasks can stop early. [`set_limit`](Group::set_limit) caps
/// how many run at once. Clones share one group.
///
/// ```
/// use gocsp::prelude::*;
/// use gocsp::sync::errgroup::Group;
///
/// let (g, ctx) = Group::with_context(&context::background());
/// for i in 0..4 {
///     let ctx = ctx.clone();
///     g.go(move || -> Result<(), String> {
///         if i == 2 {
///             return Err(format!("task {i} failed"));
///         }
///         ctx.done().recv(); // the others wait until the failure cancels them
///         Ok(())
///     });
/// }
/// assert_eq!(g.wait(), Err("task 2 failed".to_string()));
/// assert_eq!(ctx.err(), Some(context::Error::Canceled));
/// ```
pub struct Group<E = BoxError> {
    inner: Arc<Inner<E>>,
}

struct Inner<E> {
    wg: WaitGroup,
    /// The first error (only the first is ever kept, as Go's `errOnce`), until `wait` takes
    /// it; `failed` stays set.
    err: Mutex<(bool, Option<E>)>,
    cancel: Option<CancelFunc>,
    /// With a limit: a token per running subtask (Go's `sem chan token`).
    sem: Mutex<Option<Chan<()>>>,
}

impl<E> Clone for Group<E> {
    fn clone(&self) -> Self {
        Group {
            inner: self.inner.clone(),
        }
    }
}

impl<E: Send + 'static> Default for Group<E> {
    fn default() -> Self {
        Group::new()
    }
}

impl<E: Send + 'static> Group<E> {
    /// A group with no context and no limit (Go's zero `errgroup.Group`).
    pub fn new() -> Self {
        Group::with_cancel(None)
    }

    fn with_cancel(cancel: Option<CancelFunc>) -> Self {
        Group {
            inner: Arc::new(Inner {
                wg: WaitGroup::new(),
                err: Mutex::new((false, None)),
                cancel,
                sem: Mutex::new(None),
            }),
        }
    }

    /// A group and a child of `ctx` that is cancelled at the group's first error, or when
    /// [`wait`](Group::wait) returns, whichever comes first (Go's `errgroup.WithContext`).
    pub fn with_context(ctx: &Context) -> (Self, Context) {
        let (ctx, cancel) = context::with_cancel(ctx);
        (Group::with_cancel(Some(cancel)), ctx)
    }

    fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in a new goroutine (Go's `g.Go(f)`). With a limit, waits first until fewer than
    /// the limit are running (parking a goroutine caller). The first `Err` is kept for
    /// [`wait`](Group::wait) and cancels the group's context.
    ///
    /// A panic in `f` is a goroutine panic (it ends the process under the default policy).
    #[track_caller]
    pub fn go<F>(&self, f: F)
    where
        F: FnOnce() -> Result<(), E> + Send + 'static,
    {
        let sem = Self::lock(&self.inner.sem).clone();
        if let Some(sem) = &sem {
            sem.send(());
        }
        self.start(sem, f);
    }

    /// Runs `f` in a new goroutine only if the limit allows one more now (Go's `g.TryGo(f)`);
    /// returns whether it started.
    #[track_caller]
    pub fn try_go<F>(&self, f: F) -> bool
    where
        F: FnOnce() -> Result<(), E> + Send + 'static,
    {
        let sem = Self::lock(&self.inner.sem).clone();
        if let Some(sem) = &sem
            && sem.try_send(()).is_err()
        {
            return false;
        }
        self.start(sem, f);
        true
    }

    #[track_caller]
    fn start<F>(&self, sem: Option<Chan<()>>, f: F)
    where
        F: FnOnce() -> Result<(), E> + Send + 'static,
    {
        self.inner.wg.add(1);
        let inner = self.inner.clone();
        crate::goroutine::go(move || {
            // Released also if `f` panics (under `PanicPolicy::Continue` the group goes on).
            struct Done<E>(Arc<Inner<E>>, Option<Chan<()>>);
            impl<E> Drop for Done<E> {
                fn drop(&mut self) {
                    if let Some(sem) = &self.1 {
                        sem.try_recv().ok();
                    }
                    self.0.wg.done();
                }
            }
            let done = Done(inner, sem);
            if let Err(e) = f() {
                let mut first = Self::lock(&done.0.err);
                if !first.0 {
                    *first = (true, Some(e));
                    drop(first);
                    if let Some(cancel) = &done.0.cancel {
                        cancel();
                    }
                }
            }
        });
    }

    /// Waits for every subtask started so far, cancels the group's context, and returns the
    /// first error (Go's `g.Wait()`). Only the group's first error is ever kept, as in Go; it
    /// is moved out to the first `wait` that returns it (Go returns it again from every later
    /// `Wait`; Rust's errors need not be `Clone`), and later calls return `Ok(())`.
    #[track_caller]
    pub fn wait(&self) -> Result<(), E> {
        self.inner.wg.wait();
        if let Some(cancel) = &self.inner.cancel {
            cancel();
        }
        match Self::lock(&self.inner.err).1.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Caps the number of subtasks running at once at `n`; a negative `n` removes the cap (Go's
    /// `g.SetLimit(n)`). A limit of 0 lets nothing start.
    ///
    /// # Panics
    /// "errgroup: modify limit while N goroutines in the group are still active", as in Go.
    #[track_caller]
    pub fn set_limit(&self, n: i64) {
        let mut sem = Self::lock(&self.inner.sem);
        // Removing the limit is always allowed, as in Go: each running subtask gives its token
        // back to the channel it took it from.
        if n < 0 {
            *sem = None;
            return;
        }
        if let Some(s) = sem.as_ref()
            && !s.is_empty()
        {
            let active = s.len();
            drop(sem);
            panic!(
                "errgroup: modify limit while {active} goroutines in the group are still active"
            );
        }
        // A limit of 0 is an unbuffered channel: no send completes without a receiver, and
        // there is none, so nothing starts (Go's `make(chan token, 0)` behaves alike).
        *sem = Some(Chan::new(usize::try_from(n).unwrap_or(usize::MAX)));
    }
}

impl<E> fmt::Debug for Group<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("running", &self.inner.wg.count())
            .field("with_context", &self.inner.cancel.is_some())
            .finish()
    }
}
