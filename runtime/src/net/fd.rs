//! A registered socket and its two waiters: the read side and the write side.
//!
//! Each side ([`Dir`]) is one small lock around:
//!
//! | field      | meaning                                                                  |
//! |------------|--------------------------------------------------------------------------|
//! | `ready`    | an edge arrived that no waiter took (since an operation last saw `EAGAIN`) |
//! | `waiters`  | parked parties (goroutines or threads) and the token each waits with     |
//! | `expired`  | the deadline has passed: operations fail with `TimedOut` until it is reset |
//! | `deadline` | the armed deadline timer and a generation that outdated timers check     |
//!
//! An operation runs its non-blocking system call; on `EAGAIN` it locks its side: if `ready`
//! is set an edge came in between, so it clears the flag and tries again; otherwise it adds
//! itself to `waiters` and parks (with `expired` checked under the same lock). Sockets are
//! registered edge-triggered, so this flag is what keeps an edge from being lost. An edge that
//! finds waiters wakes them and leaves the flag clear: each woken operation tries its call
//! again, which is all the edge asks for.
//!
//! **Who wakes a waiter**: whoever polled (an edge), the timer thread (the deadline fired)
//! or whoever sets a deadline in the past. Each takes the waiters out of the list *and* claims
//! them (`try_select`) under the lock; so once a woken operation runs again nobody can claim
//! its waiter any more, and a late claim can never complete a later, unrelated wait of the same
//! goroutine. Only the `unpark` happens after the lock is released (a wake-up of a goroutine
//! that already runs is absorbed by its park state machine, as for channels).

use std::io;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use mio::event::Source;

use super::poller::poller;
use crate::sched::deadlock;
use crate::time::heap::Node;
use crate::waiter::{self, BlockReason, Selected, WaiterRef};

/// What the poller, the timers and the operations share about one socket.
pub(super) struct Registration {
    token: usize,
    pub(super) read: Dir,
    pub(super) write: Dir,
}

impl Registration {
    pub(super) fn new(token: usize) -> Registration {
        Registration {
            token,
            read: Dir::default(),
            write: Dir::default(),
        }
    }

    pub(super) fn token(&self) -> usize {
        self.token
    }
}

/// One direction of a socket: its readiness flag, its waiters and its deadline.
#[derive(Default)]
pub(super) struct Dir {
    state: Mutex<DirState>,
    /// Mirrors `DirState::expired`, so an operation's first check takes no lock.
    expired: AtomicBool,
}

#[derive(Default)]
pub(super) struct DirState {
    ready: bool,
    waiters: Vec<(WaiterRef, usize)>,
    pub(super) expired: bool,
    /// Bumped by every `set_deadline`; a timer armed for an older generation does nothing.
    pub(super) generation: u64,
    pub(super) timer: Option<Arc<Node>>,
}

/// Parties claimed under a `Dir`'s lock, to be unparked after it is released.
pub(super) enum Woken {
    None,
    One(WaiterRef),
    Many(Vec<WaiterRef>),
}

impl Woken {
    /// Whether no party was claimed.
    fn is_none(&self) -> bool {
        match self {
            Woken::None => true,
            Woken::One(_) => false,
            Woken::Many(ws) => ws.is_empty(),
        }
    }

    pub(super) fn unpark(self) {
        match self {
            Woken::None => {}
            Woken::One(w) => w.unpark(),
            Woken::Many(ws) => ws.into_iter().for_each(WaiterRef::unpark),
        }
    }
}

/// The error every operation past its deadline returns (Go's `os.ErrDeadlineExceeded` text).
pub(super) fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "i/o timeout")
}

impl Dir {
    pub(super) fn lock(&self) -> MutexGuard<'_, DirState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn set_expired(&self, st: &mut DirState, expired: bool) {
        st.expired = expired;
        self.expired.store(expired, Ordering::Release);
    }

    /// Takes every waiter out of the list and claims it; call with the lock held.
    pub(super) fn claim_all(st: &mut DirState) -> Woken {
        fn claim((w, oper): (WaiterRef, usize)) -> Option<WaiterRef> {
            w.try_select(Selected::Operation(oper)).ok().map(|()| w)
        }
        match st.waiters.len() {
            0 => Woken::None,
            1 => st
                .waiters
                .pop()
                .and_then(claim)
                .map_or(Woken::None, Woken::One),
            _ => Woken::Many(st.waiters.drain(..).filter_map(claim).collect()),
        }
    }

    /// A readiness edge arrived (called by whoever polled: a worker, sysmon or the netpoll
    /// thread).
    pub(super) fn ready(&self) {
        let mut st = self.lock();
        let woken = Self::claim_all(&mut st);
        // A woken waiter retries its operation, and that retry is what this edge asks for;
        // the flag keeps only an edge nobody was waiting for. Setting it anyway would send
        // the waiter's next `EAGAIN` straight back for a second, certain `EAGAIN` (one wasted
        // system call per message on an echo connection). Go's poller clears its ready state
        // when the woken goroutine resumes, to the same effect.
        st.ready = woken.is_none();
        drop(st);
        woken.unpark();
    }

    /// The `ready` flag and the number of waiters, for tests.
    #[cfg(test)]
    pub(super) fn peek(&self) -> (bool, usize) {
        let st = self.lock();
        (st.ready, st.waiters.len())
    }

    /// Fails with `TimedOut` if this side's deadline has passed.
    #[inline]
    pub(super) fn check(&self) -> io::Result<()> {
        if self.expired.load(Ordering::Acquire) {
            Err(timed_out())
        } else {
            Ok(())
        }
    }

    /// Called after the operation saw `EAGAIN`: returns at once if an edge came in since, else
    /// parks until one does or the deadline passes (then `TimedOut`).
    pub(super) fn wait(&self, site: &'static Location<'static>) -> io::Result<()> {
        waiter::with_current(|w| {
            #[repr(align(8))]
            struct Token(#[allow(dead_code)] u8);
            let token = Token(0);
            let oper = waiter::oper_of(&token);
            {
                let mut st = self.lock();
                if st.expired {
                    return Err(timed_out());
                }
                if st.ready {
                    st.ready = false;
                    return Ok(());
                }
                st.waiters.push((w.clone(), oper));
            }
            // A parked I/O wait is something that will happen, like a pending timer: the
            // deadlock check must not judge while one is in flight. (A goroutine killed in
            // this wait, with its runtime, never returns from it: `Task::kill` gives the count
            // back for it.)
            deadlock::blocking_changed(true);
            while w.wait(BlockReason::NetIo, site) == Selected::Waiting {}
            deadlock::blocking_changed(false);
            Ok(())
        })
    }
}

/// A non-blocking socket registered with the poller; deregistered when dropped.
pub(super) struct PollFd<S: Source> {
    io: S,
    pub(super) reg: Arc<Registration>,
}

impl<S: Source> PollFd<S> {
    pub(super) fn new(mut io: S) -> io::Result<PollFd<S>> {
        let reg = poller()?.register(&mut io)?;
        Ok(PollFd { io, reg })
    }

    /// The socket itself (for calls that never block: addresses, options, shutdown).
    pub(super) fn get(&self) -> &S {
        &self.io
    }

    /// Runs `f` (a non-blocking read-side call) until it does not report `WouldBlock`,
    /// parking on the read side in between.
    #[track_caller]
    pub(super) fn read<R>(&self, f: impl FnMut(&S) -> io::Result<R>) -> io::Result<R> {
        self.op(&self.reg.read, Location::caller(), f)
    }

    /// Like [`read`](Self::read), for the write side.
    #[track_caller]
    pub(super) fn write<R>(&self, f: impl FnMut(&S) -> io::Result<R>) -> io::Result<R> {
        self.op(&self.reg.write, Location::caller(), f)
    }

    fn op<R>(
        &self,
        dir: &Dir,
        site: &'static Location<'static>,
        mut f: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            dir.check()?;
            match f(&self.io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => dir.wait(site)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }
}

impl<S: Source> Drop for PollFd<S> {
    fn drop(&mut self) {
        if let Ok(p) = poller() {
            p.deregister(&mut self.io, &self.reg);
        }
        self.reg.read.clear_deadline_timer();
        self.reg.write.clear_deadline_timer();
    }
}

impl<S: Source + std::fmt::Debug> std::fmt::Debug for PollFd<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.io.fmt(f)
    }
}
