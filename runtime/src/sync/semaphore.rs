//! A weighted semaphore (Go's `golang.org/x/sync/semaphore.Weighted`).

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::chan::{Chan, TryRecvError};
use crate::context::{self, Context};
use crate::select::Select;

/// A weighted semaphore: [`acquire`](Semaphore::acquire) `n` units of a total `size`, parking
/// until they are free or the context is done (Go's `semaphore.Weighted`).
///
/// Requests are served in order: a large request at the head of the queue holds back smaller
/// ones behind it, so none starves. Clones share one semaphore. A waiting goroutine parks; a
/// thread blocks.
///
/// ```
/// use gocsp::prelude::*;
/// use gocsp::sync::Semaphore;
///
/// let sem = Semaphore::new(2);
/// let ctx = context::background();
/// sem.acquire(&ctx, 2).unwrap();
/// assert!(!sem.try_acquire(1));
/// sem.release(1);
/// assert!(sem.try_acquire(1));
/// sem.release(2);
///
/// // A request that cannot be met before the deadline fails with the context's error.
/// let (short, _cancel) = context::with_timeout(&ctx, time::MILLISECOND);
/// assert_eq!(sem.acquire(&short, 3), Err(context::Error::DeadlineExceeded));
/// ```
#[derive(Clone)]
pub struct Semaphore {
    inner: Arc<Mutex<State>>,
}

struct State {
    size: usize,
    cur: usize,
    /// Blocked requests, FIFO; each is woken by closing its `ready` channel once its units
    /// are taken for it.
    waiters: VecDeque<Waiter>,
}

struct Waiter {
    n: usize,
    ready: Chan<()>,
}

impl Semaphore {
    /// A semaphore with `size` units, all free (Go's `semaphore.NewWeighted(size)`).
    pub fn new(size: usize) -> Semaphore {
        Semaphore {
            inner: Arc::new(Mutex::new(State {
                size,
                cur: 0,
                waiters: VecDeque::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes `n` units, waiting until they are free (Go's `s.Acquire(ctx, n)`). Fails with the
    /// context's error, taking nothing, if `ctx` is done first (or already). A request for more
    /// than the size waits for the context alone, as in Go.
    #[track_caller]
    pub fn acquire(&self, ctx: &Context, n: usize) -> Result<(), context::Error> {
        let mut st = self.lock();
        if let Some(err) = ctx.err() {
            return Err(err);
        }
        if st.size - st.cur >= n && st.waiters.is_empty() {
            st.cur += n;
            return Ok(());
        }
        let done = ctx.done();
        if n > st.size {
            drop(st);
            done.recv();
            return Err(ctx.err().unwrap_or(context::Error::Canceled));
        }
        let ready = Chan::new(0);
        st.waiters.push_back(Waiter {
            n,
            ready: ready.clone(),
        });
        drop(st);

        let mut sel = Select::new();
        let got = sel.recv(&ready);
        let _cancelled = sel.recv(&done);
        if sel.select() == got.index() {
            // Acquired; if the context ended meanwhile, give the units back (Go's rule).
            return match ctx.err() {
                Some(err) => {
                    self.release(n);
                    Err(err)
                }
                None => Ok(()),
            };
        }
        let mut st = self.lock();
        if ready.try_recv() == Err(TryRecvError::Closed) {
            // Granted after the cancellation: undo it.
            st.cur -= n;
            st.notify();
        } else if let Some(i) = st.waiters.iter().position(|w| w.ready == ready) {
            st.waiters.remove(i);
            // A request at the head may have held back smaller ones that fit now.
            if i == 0 {
                st.notify();
            }
        }
        drop(st);
        Err(ctx.err().unwrap_or(context::Error::Canceled))
    }

    /// Takes `n` units if they are free now and nobody waits (Go's `s.TryAcquire(n)`).
    pub fn try_acquire(&self, n: usize) -> bool {
        let mut st = self.lock();
        if st.size - st.cur >= n && st.waiters.is_empty() {
            st.cur += n;
            true
        } else {
            false
        }
    }

    /// Returns `n` units (Go's `s.Release(n)`) and serves the waiters that fit, in order.
    ///
    /// # Panics
    /// "semaphore: released more than held" (Go's words), naming the caller's line.
    #[track_caller]
    pub fn release(&self, n: usize) {
        let mut st = self.lock();
        if n > st.cur {
            drop(st);
            panic!("semaphore: released more than held");
        }
        st.cur -= n;
        st.notify();
    }
}

impl State {
    /// Grants the requests at the head of the queue that fit, stopping at the first that does
    /// not (so a large request is not starved by small ones).
    fn notify(&mut self) {
        while let Some(w) = self.waiters.front() {
            if self.size - self.cur < w.n {
                break;
            }
            let w = self.waiters.pop_front().expect("peeked");
            self.cur += w.n;
            w.ready.close();
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        f.debug_struct("Semaphore")
            .field("size", &st.size)
            .field("held", &st.cur)
            .field("waiting", &st.waiters.len())
            .finish()
    }
}
