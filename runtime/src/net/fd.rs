//! A registered socket and its two waiters: the read side and the write side.
//!
//! Each side ([`Dir`]) is one small lock around:
//!
//! | field      | meaning                                                                  |
//! |------------|--------------------------------------------------------------------------|
//! | `edges`    | how many readiness edges have arrived (also readable without the lock)   |
//! | `waiters`  | parked parties (goroutines or threads) and the token each waits with     |
//! | `expired`  | the deadline has passed: operations fail with `TimedOut` until it is reset |
//! | `closed`   | `close` was called (Go's `Close`): operations fail, waiters are woken     |
//! | `deadline` | the armed deadline timer and a generation that outdated timers check     |
//!
//! An operation reads `edges`, then runs its non-blocking system call; on `EAGAIN` it locks its
//! side: if `edges` moved since its read, an edge came in after its call could have seen it,
//! so it tries again; otherwise it adds itself to `waiters` and parks (with `expired` checked
//! under the same lock). Sockets are registered edge-triggered, so this count is what keeps an
//! edge from being lost. An edge counts itself and wakes every waiter. Each operation judges
//! by the count it read before its own call, so an edge serves every operation that had
//! seen `EAGAIN` before it: two readers of one socket that both missed the edge both try
//! again (a single flag taken by one of them left the other parked with a datagram queued),
//! and a woken operation's next `EAGAIN` parks at once (it read the count after the edge).
//!
//! **Who wakes a waiter**: whoever polled (an edge), whoever fires the deadline's timer (the
//! worker it was set on, sysmon, or the timer thread) or whoever sets a deadline in the past. Each takes the waiters out of the list *and* claims
//! them (`try_select`) under the lock; so once a woken operation runs again nobody can claim
//! its waiter any more, and a late claim can never complete a later, unrelated wait of the same
//! goroutine. Only the `unpark` happens after the lock is released (a wake-up of a goroutine
//! that already runs is absorbed by its park state machine, as for channels).

use std::io;
use std::os::fd::AsRawFd;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// One direction of a socket: its edge count, its waiters and its deadline.
#[derive(Default)]
pub(super) struct Dir {
    state: Mutex<DirState>,
    /// Mirrors `DirState::expired`, so an operation's first check takes no lock.
    expired: AtomicBool,
    /// Mirrors `DirState::edges`, read by an operation before its system call.
    edges: AtomicU64,
    /// Mirrors `DirState::closed`.
    closed: AtomicBool,
}

#[derive(Default)]
pub(super) struct DirState {
    edges: u64,
    waiters: Vec<(WaiterRef, usize)>,
    pub(super) expired: bool,
    pub(super) closed: bool,
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

/// The error every operation on a closed socket returns (Go's `net.ErrClosed` text).
pub(super) fn closed() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "use of closed network connection",
    )
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
        st.edges += 1;
        self.edges.store(st.edges, Ordering::Release);
        let woken = Self::claim_all(&mut st);
        drop(st);
        woken.unpark();
    }

    /// The edges counted so far: read before an operation's system call, and handed to
    /// [`wait`](Self::wait) if the call sees `EAGAIN`.
    #[inline]
    pub(super) fn edges(&self) -> u64 {
        self.edges.load(Ordering::Acquire)
    }

    /// The number of waiters, for tests.
    #[cfg(test)]
    pub(super) fn waiters(&self) -> usize {
        self.lock().waiters.len()
    }

    /// Fails if the socket was closed, or with `TimedOut` if this side's deadline has passed.
    #[inline]
    pub(super) fn check(&self) -> io::Result<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(closed())
        } else if self.expired.load(Ordering::Acquire) {
            Err(timed_out())
        } else {
            Ok(())
        }
    }

    /// Marks this side closed and wakes its waiters, which then fail. `false` if it already
    /// was closed.
    fn close(&self) -> bool {
        let mut st = self.lock();
        if st.closed {
            return false;
        }
        st.closed = true;
        self.closed.store(true, Ordering::Release);
        let woken = Self::claim_all(&mut st);
        // An armed deadline has nothing left to do (and a pending timer would hold off the
        // deadlock check until it fired); `deadline::set` refuses new ones.
        let timer = st.timer.take();
        drop(st);
        if let Some(t) = timer {
            t.cancel();
        }
        woken.unpark();
        true
    }

    /// Called after the operation saw `EAGAIN`, with the edge count it read before its call:
    /// returns at once if an edge came in since, else parks until one does or the deadline
    /// passes (then `TimedOut`).
    pub(super) fn wait(&self, seen: u64, site: &'static Location<'static>) -> io::Result<()> {
        waiter::with_current(|w| {
            #[repr(align(8))]
            struct Token(#[allow(dead_code)] u8);
            let token = Token(0);
            let oper = waiter::oper_of(&token);
            {
                let mut st = self.lock();
                if st.closed {
                    return Err(closed());
                }
                if st.expired {
                    return Err(timed_out());
                }
                if st.edges != seen {
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

    /// The socket for a call that never blocks (an option, a shutdown), or Go's
    /// `net.ErrClosed` once it was closed. (Addresses stay readable after a close, as Go's
    /// `LocalAddr` and `RemoteAddr` are.)
    pub(super) fn open(&self) -> io::Result<&S> {
        if self.reg.read.closed.load(Ordering::Acquire) {
            Err(closed())
        } else {
            Ok(&self.io)
        }
    }

    /// Go's `Close` for every handle at once: operations under way on either side wake and
    /// fail, later ones fail at once, with [`closed`]'s error (so does a second `close`). The
    /// descriptor itself is closed when the last handle drops (closing it under a handle
    /// still in use could hand its number to a new socket).
    pub(super) fn close(&self) -> io::Result<()> {
        let read = self.reg.read.close();
        let write = self.reg.write.close();
        if read || write { Ok(()) } else { Err(closed()) }
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
            let seen = dir.edges();
            match f(&self.io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => dir.wait(seen, site)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }
}

impl<S: Source + AsRawFd> PollFd<S> {
    /// `close` for a stream or a listener: also shuts the socket down both ways, since its
    /// descriptor lives until the last handle drops (Go closes it at once). The peer of a
    /// stream reads EOF now; a listener stops listening, so new connections are refused.
    pub(super) fn close_and_shut_down(&self) -> io::Result<()> {
        self.close()?;
        // SAFETY: `shutdown` on the descriptor this `PollFd` owns, open until it drops; a
        // failure (a stream whose peer is gone) changes nothing.
        unsafe { libc::shutdown(self.io.as_raw_fd(), libc::SHUT_RDWR) };
        Ok(())
    }

    /// A stream's `Read`: Go's `Read` of nothing returns at once, whatever the deadline (not
    /// once closed); else [`read`](Self::read).
    #[track_caller]
    pub(super) fn read_bytes(&self, buf: &mut [u8]) -> io::Result<usize>
    where
        for<'a> &'a S: std::io::Read,
    {
        if buf.is_empty() {
            self.open()?;
            return Ok(0);
        }
        self.read(|mut s| std::io::Read::read(&mut s, buf))
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

#[cfg(test)]
mod tests {
    use std::panic::Location;
    use std::sync::Arc;
    use std::time::Duration;

    use super::Dir;

    /// Two operations saw `EAGAIN`, then one edge came while neither waited yet (two readers
    /// of a UDP socket, two datagrams merged into one edge): both must try again, since each
    /// may find a datagram. A flag that the first one took left the second parked.
    #[test]
    fn an_edge_nobody_waited_for_serves_every_operation_that_missed_it() {
        let dir = Arc::new(Dir::default());
        let (first, second) = (dir.edges(), dir.edges());
        dir.ready();
        dir.wait(first, Location::caller()).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let d = dir.clone();
        std::thread::spawn(move || {
            let r = d.wait(second, Location::caller());
            let _ = tx.send(r.is_ok());
        });
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(10)),
            Ok(true),
            "the second operation parked although the edge came after its call"
        );
        assert_eq!(dir.waiters(), 0);
    }
}
