//! `TcpStream`: a TCP connection whose blocking calls park the goroutine.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::deadline::{self, Side};
use super::dial;
use super::fd::PollFd;

/// A TCP connection (Go's `net.TCPConn`, with `std::net::TcpStream`'s API).
///
/// Reads, writes and connects park the calling goroutine on the netpoller and free its worker
/// meanwhile; on a plain thread they block the thread, as std's do. `Read` and `Write` are
/// implemented for `&TcpStream` too, so one goroutine can read while another writes the same
/// connection. As in Go, `TCP_NODELAY` is on for every new connection.
///
/// Deadlines follow Go: see [`set_read_deadline`](TcpStream::set_read_deadline).
///
/// ```
/// use gocsp::net::{TcpListener, TcpStream};
/// use std::io::{Read, Write};
///
/// let ln = TcpListener::bind("127.0.0.1:0")?;
/// let addr = ln.local_addr()?;
/// gocsp::go!(move || {
///     let (mut conn, _) = ln.accept().unwrap();
///     let mut buf = [0; 5];
///     conn.read_exact(&mut buf).unwrap();
///     conn.write_all(&buf).unwrap();
/// });
/// let mut conn = TcpStream::connect(addr)?;
/// conn.write_all(b"hello")?;
/// let mut back = [0; 5];
/// conn.read_exact(&mut back)?;
/// assert_eq!(&back, b"hello");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpStream {
    fd: Arc<PollFd<mio::net::TcpStream>>,
}

impl TcpStream {
    pub(super) fn from_fd(fd: PollFd<mio::net::TcpStream>) -> io::Result<TcpStream> {
        fd.get().set_nodelay(true)?;
        Ok(TcpStream { fd: Arc::new(fd) })
    }

    /// Connects to `addr`, trying each address it resolves to in turn (DNS runs on a helper
    /// thread, see [`blocking`](crate::blocking)).
    #[track_caller]
    pub fn connect<A: ToSocketAddrs + Send>(addr: A) -> io::Result<TcpStream> {
        let addrs = dial::resolve(addr)?;
        dial::each_addr(&addrs, |a| {
            TcpStream::from_fd(dial::connect_tcp(a, None, None)?)
        })
    }

    /// Connects to `addr`, failing with `ErrorKind::TimedOut` after `timeout`.
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        if timeout.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot set a 0 duration timeout",
            ));
        }
        let fd = dial::connect_tcp(*addr, Some(deadline::after(timeout)), None)?;
        TcpStream::from_fd(fd)
    }

    /// Wraps a connected `std::net::TcpStream` (it is switched to non-blocking mode).
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_fd(PollFd::new(mio::net::TcpStream::from_std(stream))?)
    }

    /// Sets the deadline for reads (Go's `SetReadDeadline`): once `deadline` passes, reads
    /// blocked now and later fail with `ErrorKind::TimedOut`, until a new deadline is set.
    /// A deadline in the past wakes blocked reads at once; `None` clears it.
    pub fn set_read_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        deadline::set(&self.fd.reg, Side::Read, deadline)
    }

    /// Sets the deadline for writes (Go's `SetWriteDeadline`); see
    /// [`set_read_deadline`](Self::set_read_deadline).
    pub fn set_write_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        deadline::set(&self.fd.reg, Side::Write, deadline)
    }

    /// Sets both deadlines (Go's `SetDeadline`).
    pub fn set_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.set_read_deadline(deadline)?;
        self.set_write_deadline(deadline)
    }

    /// Shuts down the read side, the write side (the peer reads EOF) or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.fd.open()?.shutdown(how)
    }

    /// Closes the connection for every handle, as Go's `Close` does: calls blocked on it in
    /// any goroutine return at once, and later ones fail, with `ErrorKind::NotConnected` ("use
    /// of closed network connection", Go's `net.ErrClosed`); the peer reads EOF. The
    /// descriptor is released when the last handle drops. A second `close` fails the same way.
    pub fn close(&self) -> io::Result<()> {
        self.fd.close_and_shut_down()
    }

    /// Another handle to the same connection (sharing its deadlines, like std's duplicated
    /// descriptor shares its socket options). The socket closes when the last handle drops.
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        Ok(TcpStream {
            fd: self.fd.clone(),
        })
    }

    /// Sets `TCP_NODELAY` (on by default, as in Go).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.fd.open()?.set_nodelay(nodelay)
    }

    /// Reads `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.fd.open()?.nodelay()
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.fd.open()?.set_ttl(ttl)
    }

    /// The local address of this connection.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().local_addr()
    }

    /// The remote address of this connection.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().peer_addr()
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.fd.open()?.take_error()
    }

    /// Reads without removing the data from the queue.
    #[track_caller]
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.read(|s| s.peek(buf))
    }
}

impl Read for &TcpStream {
    #[track_caller]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.read_bytes(buf)
    }

    #[track_caller]
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.fd.read(|mut s| s.read_vectored(bufs))
    }
}

impl Write for &TcpStream {
    #[track_caller]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.fd.write(|mut s| s.write(buf))
    }

    #[track_caller]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.fd.write(|mut s| s.write_vectored(bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for TcpStream {
    #[track_caller]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    #[track_caller]
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for TcpStream {
    #[track_caller]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    #[track_caller]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.get().as_raw_fd()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("fd", &self.as_raw_fd())
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    /// The edge that wakes a parked read is used up by the read it wakes: the next read that
    /// finds the socket empty must park after one system call, not try a second time (a
    /// wasted system call per message).
    #[test]
    fn an_edge_that_wakes_a_read_is_not_kept_for_the_next_one() {
        let ln = super::super::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(ln.local_addr().unwrap()).unwrap();
        let (mut conn, _) = ln.accept().unwrap();
        let fd = conn.fd.clone();
        let writer = std::thread::spawn(move || {
            // Write only once the read below has parked.
            while fd.reg.read.waiters() == 0 {
                std::thread::yield_now();
            }
            client.write_all(b"x").unwrap();
            client
        });
        let mut buf = [0u8; 8];
        assert_eq!(conn.read(&mut buf).unwrap(), 1);
        let _client = writer.join().unwrap();
        assert_eq!(conn.fd.reg.read.waiters(), 0);
        // Nothing more comes: the next read sees `EAGAIN` once, parks, and ends at its deadline.
        conn.set_read_deadline(Some(
            std::time::Instant::now() + std::time::Duration::from_millis(30),
        ))
        .unwrap();
        let mut calls = 0;
        let err = conn
            .fd
            .read(|s| {
                calls += 1;
                std::io::Read::read(&mut &*s, &mut buf)
            })
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(calls, 1, "the read tried again before it parked");
    }
}
