//! `UdpSocket`: datagrams whose blocking calls park the goroutine.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Instant;

use super::deadline::{self, Side};
use super::dial;
use super::fd::PollFd;

/// A UDP socket (Go's `net.UDPConn`, with `std::net::UdpSocket`'s API).
///
/// ```
/// use gocsp::net::UdpSocket;
///
/// let a = UdpSocket::bind("127.0.0.1:0")?;
/// let b = UdpSocket::bind("127.0.0.1:0")?;
/// a.send_to(b"ping", b.local_addr()?)?;
/// let mut buf = [0; 16];
/// let (n, from) = b.recv_from(&mut buf)?;
/// assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    fd: Arc<PollFd<mio::net::UdpSocket>>,
}

impl UdpSocket {
    /// Binds a socket to `addr` (the first of its addresses that works).
    pub fn bind<A: ToSocketAddrs + Send>(addr: A) -> io::Result<UdpSocket> {
        let addrs = dial::resolve(addr)?;
        dial::each_addr(&addrs, |a| {
            Ok(UdpSocket {
                fd: Arc::new(PollFd::new(mio::net::UdpSocket::bind(a)?)?),
            })
        })
    }

    /// Wraps a bound `std::net::UdpSocket` (it is switched to non-blocking mode).
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            fd: Arc::new(PollFd::new(mio::net::UdpSocket::from_std(socket))?),
        })
    }

    /// Sends `buf` to `addr` (its first address); returns the bytes sent.
    #[track_caller]
    pub fn send_to<A: ToSocketAddrs + Send>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        let target = dial::resolve(addr)?[0];
        self.fd.write(|s| s.send_to(buf, target))
    }

    /// Receives one datagram into `buf`; returns its length and sender.
    #[track_caller]
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.fd.read(|s| s.recv_from(buf))
    }

    /// Like [`recv_from`](Self::recv_from), leaving the datagram queued.
    #[track_caller]
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.fd.read(|s| s.peek_from(buf))
    }

    /// Sets the default peer for [`send`](Self::send) and filters [`recv`](Self::recv) to it.
    pub fn connect<A: ToSocketAddrs + Send>(&self, addr: A) -> io::Result<()> {
        let addrs = dial::resolve(addr)?;
        dial::each_addr(&addrs, |a| self.fd.open()?.connect(a))
    }

    /// Sends `buf` to the connected peer.
    #[track_caller]
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.fd.write(|s| s.send(buf))
    }

    /// Receives one datagram from the connected peer.
    #[track_caller]
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.read(|s| s.recv(buf))
    }

    /// Like [`recv`](Self::recv), leaving the datagram queued.
    #[track_caller]
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.read(|s| s.peek(buf))
    }

    /// Sets the deadline for receives (Go's `SetReadDeadline`): once it passes, blocked and
    /// later receives fail with `ErrorKind::TimedOut`; `None` clears it.
    pub fn set_read_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        deadline::set(&self.fd.reg, Side::Read, deadline)
    }

    /// Sets the deadline for sends (Go's `SetWriteDeadline`).
    pub fn set_write_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        deadline::set(&self.fd.reg, Side::Write, deadline)
    }

    /// Sets both deadlines (Go's `SetDeadline`).
    pub fn set_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.set_read_deadline(deadline)?;
        self.set_write_deadline(deadline)
    }

    /// The address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().peer_addr()
    }

    /// Closes the socket for every handle, as Go's `Close` does: calls blocked on it in any
    /// goroutine return at once, and later ones fail, with `ErrorKind::NotConnected` ("use of
    /// closed network connection", Go's `net.ErrClosed`). The descriptor is released when the
    /// last handle drops. A second `close` fails the same way.
    pub fn close(&self) -> io::Result<()> {
        self.fd.close()
    }

    /// Another handle to the same socket (sharing its deadlines).
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            fd: self.fd.clone(),
        })
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.fd.open()?.set_broadcast(on)
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

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.get().as_raw_fd()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("fd", &self.as_raw_fd())
            .field("local", &self.local_addr().ok())
            .finish()
    }
}
