//! Resolving addresses and dialing: `connect`, `connect_timeout`, `dial_context`.
//!
//! A connect is non-blocking: the socket is registered, then the caller parks on its write side
//! until the kernel reports the outcome. A timeout is a write deadline on that socket; a
//! context's cancellation is a watcher goroutine that sets a deadline in the past (how Go's
//! dialer does it), after which the dial reports `Interrupted` (cancelled) or `TimedOut`
//! (the context's deadline passed).

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Instant;

use super::deadline::{self, Side};
use super::fd::{PollFd, Registration};
use crate::chan::Chan;
use crate::context::{self, Context};
use crate::select::Select;

/// Resolves `addr`. A DNS lookup may block for seconds and must not stall a worker, so it runs
/// on a helper thread ([`blocking`](crate::blocking)); addresses that are already numeric (a
/// `SocketAddr`, an `(IpAddr, u16)`, ...) are converted in place.
pub(super) fn resolve<A: ToSocketAddrs + Send>(addr: A) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = if is_numeric::<A>() {
        addr.to_socket_addrs()?.collect()
    } else {
        crate::blocking(move || addr.to_socket_addrs().map(|i| i.collect()))?
    };
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        ));
    }
    Ok(addrs)
}

/// True for the std types whose `ToSocketAddrs` never does a lookup. Only an optimization: a
/// type not recognised here (or a differently spelt type name in a future std) simply takes
/// the helper-thread path, which is always correct.
fn is_numeric<A>() -> bool {
    const NUMERIC: [&str; 7] = [
        "SocketAddr",
        "SocketAddrV4",
        "SocketAddrV6",
        "(core::net::ip_addr::IpAddr, u16)",
        "(core::net::ip_addr::Ipv4Addr, u16)",
        "(core::net::ip_addr::Ipv6Addr, u16)",
        "[core::net::socket_addr::SocketAddr]",
    ];
    let name = std::any::type_name::<A>().trim_start_matches('&');
    let last = name.rsplit("::").next().unwrap_or(name);
    NUMERIC.iter().any(|n| {
        if n.contains(':') {
            name == *n
        } else {
            last == *n && (name.starts_with("core::net::") || name.starts_with("std::net::"))
        }
    })
}

/// Calls `f` on each address in turn until one succeeds; else the last error.
pub(super) fn each_addr<T>(
    addrs: &[SocketAddr],
    mut f: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for &a in addrs {
        match f(a) {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no addresses")))
}

/// Waits for a non-blocking connect on `fd` to finish, up to `deadline`; `hook` sees the
/// registration first (the context watcher uses it to interrupt the wait).
pub(super) fn finish_connect<S>(
    fd: &PollFd<S>,
    deadline: Option<Instant>,
    take_error: impl Fn(&S) -> io::Result<Option<io::Error>>,
    connected: impl Fn(&S) -> io::Result<()>,
) -> io::Result<()>
where
    S: mio::event::Source,
{
    if deadline.is_some() {
        deadline::set(&fd.reg, Side::Write, deadline)?;
    }
    wait_connected(fd, take_error, connected)
}

/// The wait of `finish_connect`, under whatever deadline the write side has; clears it after.
fn wait_connected<S>(
    fd: &PollFd<S>,
    take_error: impl Fn(&S) -> io::Result<Option<io::Error>>,
    connected: impl Fn(&S) -> io::Result<()>,
) -> io::Result<()>
where
    S: mio::event::Source,
{
    let r = fd.write(|s| {
        if let Some(e) = take_error(s)? {
            return Err(e);
        }
        match connected(s) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                Err(io::ErrorKind::WouldBlock.into())
            }
            Err(e) => Err(e),
        }
    });
    deadline::set(&fd.reg, Side::Write, None)?;
    r
}

/// Starts a TCP connect to `addr` and waits for it, up to `deadline`.
pub(super) fn connect_tcp(
    addr: SocketAddr,
    deadline: Option<Instant>,
    watch: Option<&Context>,
) -> io::Result<PollFd<mio::net::TcpStream>> {
    let fd = PollFd::new(mio::net::TcpStream::connect(addr)?)?;
    // The deadline before the watcher: a watcher that fires sets a past deadline, which must
    // not be overwritten by this one.
    if deadline.is_some() {
        deadline::set(&fd.reg, Side::Write, deadline)?;
    }
    let guard = watch
        .filter(|ctx| !ctx.done().is_nil())
        .map(|ctx| Watcher::start(ctx, &fd.reg));
    let r = wait_connected(&fd, |s| s.take_error(), |s| s.peer_addr().map(drop));
    if let Some(g) = guard
        && let Some(e) = g.stop()
    {
        return Err(e);
    }
    r.map(|()| fd)
}

/// Dials `addr` with `ctx` governing the attempt (Go's `Dialer.DialContext`): cancelling `ctx`
/// makes it return `ErrorKind::Interrupted`, and `ctx`'s deadline passing makes it return
/// `ErrorKind::TimedOut`, even while the connect is blocked. The addresses `addr` resolves to
/// are tried in turn while `ctx` is not done; if none connects, the first one's error is
/// returned (Go's serial dial). The connection, once made, is not tied to `ctx` any more.
///
/// ```
/// use gocsp::{context, net};
/// use std::time::Duration;
///
/// let ln = net::TcpListener::bind("127.0.0.1:0")?;
/// let (ctx, _cancel) = context::with_timeout(&context::background(), Duration::from_secs(5));
/// let conn = net::dial_context(&ctx, ln.local_addr()?)?;
/// assert_eq!(conn.peer_addr()?, ln.local_addr()?);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn dial_context<A: ToSocketAddrs + Send>(
    ctx: &Context,
    addr: A,
) -> io::Result<super::TcpStream> {
    if let Some(e) = ctx.err() {
        return Err(ctx_error(e));
    }
    let addrs = resolve(addr)?;
    // As Go's `dialSerial`: the context is checked before each address, and a failure
    // reports the first address's error.
    let mut first = None;
    for &a in &addrs {
        if let Some(e) = ctx.err() {
            return Err(ctx_error(e));
        }
        match connect_tcp(a, ctx.deadline(), Some(ctx)).and_then(super::TcpStream::from_fd) {
            Ok(conn) => return Ok(conn),
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    Err(first.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no addresses")))
}

fn ctx_error(e: context::Error) -> io::Error {
    match e {
        context::Error::Canceled => io::Error::new(io::ErrorKind::Interrupted, e.to_string()),
        context::Error::DeadlineExceeded => io::Error::new(io::ErrorKind::TimedOut, e.to_string()),
    }
}

/// A goroutine that interrupts a blocked connect when its context is done.
struct Watcher {
    stop: Chan<()>,
    result: Chan<Option<context::Error>>,
}

impl Watcher {
    fn start(ctx: &Context, reg: &Arc<Registration>) -> Watcher {
        let stop = Chan::new(0);
        let result = Chan::new(1);
        let done = ctx.done();
        let (ctx, reg, stop_rx, result_tx) =
            (ctx.clone(), reg.clone(), stop.receiver(), result.sender());
        crate::go(move || {
            let mut sel = Select::new();
            let fired = sel.recv(&done);
            sel.recv(&stop_rx);
            let out = if sel.select() == fired.index() {
                // A past deadline wakes the connect at once; `stop` maps the outcome.
                let _ = deadline::set(&reg, Side::Write, Some(Instant::now()));
                ctx.err()
            } else {
                None
            };
            let _ = result_tx.try_send(out);
        });
        Watcher { stop, result }
    }

    /// Stops the watcher; `Some(error)` when the context ended the attempt.
    fn stop(self) -> Option<io::Error> {
        self.stop.close();
        self.result.recv().flatten().map(ctx_error)
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    #[test]
    fn numeric_addresses_are_recognised() {
        assert!(super::is_numeric::<SocketAddr>());
        assert!(super::is_numeric::<&SocketAddr>());
        assert!(super::is_numeric::<(IpAddr, u16)>());
        assert!(super::is_numeric::<(Ipv4Addr, u16)>());
        assert!(super::is_numeric::<&[SocketAddr]>());
        assert!(!super::is_numeric::<&str>());
        assert!(!super::is_numeric::<String>());
        assert!(!super::is_numeric::<(&str, u16)>());
    }
}
