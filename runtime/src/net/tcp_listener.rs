//! `TcpListener`: accepts connections, parking the goroutine while none is pending.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Instant;

use super::TcpStream;
use super::deadline::{self, Side};
use super::dial;
use super::fd::PollFd;

/// A TCP socket server (Go's `net.TCPListener`, with `std::net::TcpListener`'s API).
///
/// The Go way to serve is a goroutine per connection:
///
/// ```no_run
/// use gocsp::net::{TcpListener, TcpStream};
/// use std::io::{Read, Write};
///
/// fn handle(mut conn: TcpStream) {
///     let mut buf = [0; 1024];
///     while let Ok(n @ 1..) = conn.read(&mut buf) {
///         if conn.write_all(&buf[..n]).is_err() {
///             break;
///         }
///     }
/// }
///
/// let ln = TcpListener::bind("127.0.0.1:8080")?;
/// for conn in ln.incoming() {
///     gocsp::go!(handle(conn?));
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpListener {
    fd: Arc<PollFd<mio::net::TcpListener>>,
}

impl TcpListener {
    /// Binds to `addr` (the first of its addresses that works) and listens. Port 0 picks a
    /// free port; [`local_addr`](Self::local_addr) tells which.
    pub fn bind<A: ToSocketAddrs + Send>(addr: A) -> io::Result<TcpListener> {
        let addrs = dial::resolve(addr)?;
        dial::each_addr(&addrs, |a| {
            let l = mio::net::TcpListener::bind(a)?;
            deepen_backlog(&l);
            Ok(TcpListener {
                fd: Arc::new(PollFd::new(l)?),
            })
        })
    }

    /// Wraps a bound `std::net::TcpListener` (it is switched to non-blocking mode).
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            fd: Arc::new(PollFd::new(mio::net::TcpListener::from_std(listener))?),
        })
    }

    /// Waits for the next connection and returns it with the peer's address.
    #[track_caller]
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (s, peer) = self.fd.read(|l| l.accept())?;
        Ok((TcpStream::from_fd(PollFd::new(s)?)?, peer))
    }

    /// An endless iterator of [`accept`](Self::accept)ed connections (without their addresses).
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// Sets the deadline for `accept` (Go's `TCPListener.SetDeadline`): a blocked or later
    /// `accept` fails with `ErrorKind::TimedOut` once it passes; `None` clears it.
    pub fn set_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        deadline::set(&self.fd.reg, Side::Read, deadline)
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().local_addr()
    }

    /// Closes the listener for every handle, as Go's `Close` does: an `accept` blocked on it in
    /// any goroutine returns at once, and later ones fail, with `ErrorKind::NotConnected`
    /// ("use of closed network connection", Go's `net.ErrClosed`; an accept loop's
    /// `incoming()` yields it); new connections are refused. The descriptor is released when
    /// the last handle drops. A second `close` fails the same way.
    pub fn close(&self) -> io::Result<()> {
        self.fd.close_and_shut_down()
    }

    /// Another handle to the same listening socket (sharing its deadline).
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        Ok(TcpListener {
            fd: self.fd.clone(),
        })
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.fd.open()?.set_ttl(ttl)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.fd.open()?.take_error()
    }
}

/// Listens again with the system's maximum backlog (`net.core.somaxconn`), as Go does: the
/// usual 128 makes a burst of connects lose SYNs and wait a second for the retransmit.
fn deepen_backlog(l: &mio::net::TcpListener) {
    let max = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
        .unwrap_or(4096);
    if max > 128 {
        // SAFETY: `listen` on a descriptor we own (borrowed for the call); on a socket that
        // already listens it only changes the backlog, and a failure leaves the old one.
        unsafe { libc::listen(l.as_raw_fd(), max) };
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.get().as_raw_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("fd", &self.as_raw_fd())
            .field("local", &self.local_addr().ok())
            .finish()
    }
}

/// The iterator returned by [`TcpListener::incoming`]; it never returns `None`.
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    #[track_caller]
    fn next(&mut self) -> Option<io::Result<TcpStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}
