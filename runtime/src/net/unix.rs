//! `UnixListener` and `UnixStream`: Unix-domain stream sockets on the same netpoller.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::deadline::{self, Side};
use super::dial;
use super::fd::PollFd;

/// A Unix-domain stream listener (Go's `net.UnixListener`, std's `UnixListener` API).
///
/// As Go's does, a listener removes the socket file it created when it is dropped (Go's
/// `Close`), unless told not to with [`set_unlink_on_close`](UnixListener::set_unlink_on_close).
pub struct UnixListener {
    fd: Arc<PollFd<mio::net::UnixListener>>,
    /// The socket file `bind` created (`None` for an abstract address).
    path: Option<PathBuf>,
    unlink: AtomicBool,
}

impl UnixListener {
    /// Binds to the socket file `path` and listens.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        let path = path.as_ref();
        let abstract_name =
            path.as_os_str().is_empty() || path.as_os_str().as_encoded_bytes().first() == Some(&0);
        let listener = mio::net::UnixListener::bind(path)?;
        let fd = match PollFd::new(listener) {
            Ok(fd) => Arc::new(fd),
            Err(e) => {
                // The socket file exists now: it goes with the listener that failed.
                if !abstract_name {
                    let _ = std::fs::remove_file(path);
                }
                return Err(e);
            }
        };
        Ok(UnixListener {
            fd,
            path: (!abstract_name).then(|| path.to_path_buf()),
            unlink: AtomicBool::new(true),
        })
    }

    /// Whether dropping the listener removes its socket file (Go's `SetUnlinkOnClose`; on by
    /// default for a listener that `bind` created).
    pub fn set_unlink_on_close(&self, unlink: bool) {
        self.unlink.store(unlink, Ordering::Relaxed);
    }

    /// Waits for the next connection.
    #[track_caller]
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (s, peer) = self.fd.read(|l| l.accept())?;
        Ok((UnixStream::from_mio(s)?, peer))
    }

    /// An endless iterator of accepted connections.
    pub fn incoming(&self) -> impl Iterator<Item = io::Result<UnixStream>> + '_ {
        std::iter::repeat_with(move || self.accept().map(|(s, _)| s))
    }

    /// Sets the deadline for `accept`; `None` clears it.
    pub fn set_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        deadline::set(&self.fd.reg, Side::Read, deadline)
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().local_addr()
    }

    /// Closes the listener, as Go's `Close` does: an `accept` blocked on it in any goroutine
    /// returns at once, and later ones fail, with `ErrorKind::NotConnected` ("use of closed
    /// network connection", Go's `net.ErrClosed`; an accept loop's `incoming()` yields it),
    /// and the socket file is removed as a drop would (unless told not to). New connections
    /// are refused; connections already queued but not accepted are reset only when the
    /// listener is dropped (its descriptor is released then; Go's `Close` releases it at
    /// once). A second `close` fails the same way.
    pub fn close(&self) -> io::Result<()> {
        self.fd.close_and_shut_down()?;
        self.unlink_once();
        Ok(())
    }

    /// Removes the socket file, the first time only (a `close` and then the drop).
    fn unlink_once(&self) {
        if let Some(path) = &self.path
            && self.unlink.swap(false, Ordering::Relaxed)
        {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for UnixListener {
    fn drop(&mut self) {
        self.unlink_once();
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.get().as_raw_fd()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

/// A Unix-domain stream connection (Go's `net.UnixConn` for streams).
pub struct UnixStream {
    fd: Arc<PollFd<mio::net::UnixStream>>,
}

impl UnixStream {
    fn from_mio(s: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            fd: Arc::new(PollFd::new(s)?),
        })
    }

    /// Connects to the socket file `path`.
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let fd = PollFd::new(mio::net::UnixStream::connect(path)?)?;
        dial::finish_connect(&fd, None, |s| s.take_error(), |s| s.peer_addr().map(drop))?;
        Ok(UnixStream { fd: Arc::new(fd) })
    }

    /// A connected pair of sockets.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(a)?, UnixStream::from_mio(b)?))
    }

    /// Sets the read deadline (Go's `SetReadDeadline`); `None` clears it.
    pub fn set_read_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        deadline::set(&self.fd.reg, Side::Read, deadline)
    }

    /// Sets the write deadline (Go's `SetWriteDeadline`); `None` clears it.
    pub fn set_write_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        deadline::set(&self.fd.reg, Side::Write, deadline)
    }

    /// Sets both deadlines.
    pub fn set_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.set_read_deadline(deadline)?;
        self.set_write_deadline(deadline)
    }

    /// Shuts down one or both directions.
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

    /// Another handle to the same connection (sharing its deadlines).
    pub fn try_clone(&self) -> io::Result<UnixStream> {
        Ok(UnixStream {
            fd: self.fd.clone(),
        })
    }

    /// This end's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().peer_addr()
    }
}

impl Read for &UnixStream {
    #[track_caller]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.read_bytes(buf)
    }
}

impl Write for &UnixStream {
    #[track_caller]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.fd.write(|mut s| s.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for UnixStream {
    #[track_caller]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for UnixStream {
    #[track_caller]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.get().as_raw_fd()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
