//! Networking the Go way: a goroutine per connection, blocking-style calls, and a netpoller
//! underneath (Go's `net` package, with `std::net`'s names and signatures).
//!
//! ```
//! use gocsp::net::{TcpListener, TcpStream};
//! use std::io::{BufRead, BufReader, Write};
//!
//! let ln = TcpListener::bind("127.0.0.1:0")?;
//! let addr = ln.local_addr()?;
//! gocsp::go!(move || {
//!     for conn in ln.incoming() {
//!         let conn = conn.unwrap();
//!         gocsp::go!(move || {
//!             // echo every line back
//!             let mut lines = BufReader::new(&conn);
//!             let mut line = String::new();
//!             while lines.read_line(&mut line).unwrap_or(0) > 0 {
//!                 (&conn).write_all(line.as_bytes()).unwrap();
//!                 line.clear();
//!             }
//!         });
//!     }
//! });
//! let mut conn = TcpStream::connect(addr)?;
//! conn.write_all(b"hello\n")?;
//! let mut reply = String::new();
//! BufReader::new(&conn).read_line(&mut reply)?;
//! assert_eq!(reply, "hello\n");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! - **Blocking calls park the goroutine, not the worker.** `accept`, `connect`, `read`,
//!   `write`, `recv_from`... run the non-blocking system call and, when it would block, park
//!   the goroutine on the socket until the netpoller reports it ready. Ten thousand idle
//!   connections are ten thousand parked goroutines, not threads. On a plain OS thread the same
//!   calls block that thread, as std's do.
//! - **Deadlines are Go's.** `set_read_deadline(Some(t))` applies to the calls already blocked
//!   too: setting a past deadline from another goroutine makes a blocked `read` return
//!   `ErrorKind::TimedOut` at once (how Go code cancels I/O on `ctx.Done()`), and later calls
//!   fail the same way until the deadline is cleared with `None`. [`dial_context`] ties a dial
//!   to a [`Context`](crate::Context).
//! - **Errors are std's**: `ConnectionRefused`, `ConnectionReset`, `BrokenPipe`, ...
//! - **Closing is Go's**: `close()` on any handle (`try_clone` hands out more) makes every call
//!   on the socket, blocked or later, fail with `ErrorKind::NotConnected` ("use of closed
//!   network connection"), options and deadlines included (addresses stay readable): how Go
//!   code stops a goroutine blocked in `Read` or ends an accept loop. The descriptor itself is
//!   released when the last handle drops.
//! - The first use raises the process's soft `RLIMIT_NOFILE` to its hard limit, as Go 1.19+
//!   does. Name resolution runs on a helper thread ([`blocking`](crate::blocking)); numeric
//!   addresses skip it.
//!
//! Signatures add `Send` to std's `A: ToSocketAddrs` so that a lookup can move to the helper
//! thread; every std address type is `Send`.

mod deadline;
mod dial;
mod fd;
mod poller;
mod tcp_listener;
mod tcp_stream;
mod udp;
mod unix;

pub use dial::dial_context;
pub use tcp_listener::{Incoming, TcpListener};
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};
