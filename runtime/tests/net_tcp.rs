//! `gocsp::net` TCP over loopback: echo with a goroutine per connection, half-close, one
//! goroutine reading while another writes, refused and reset connections, `dial_context`,
//! a blocked read on a one-worker runtime, and the same API from plain threads.
#![cfg(not(any(miri, loom)))]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use common::{HANG_GUARD, wait_blocked, wait_until};
use gocsp::net::{TcpListener, TcpStream, UnixListener, UnixStream, dial_context};
use gocsp::{Chan, Runtime, context};

/// A deadline that only turns a hang into an error (never a timing assertion).
fn guard() -> Option<Instant> {
    Some(Instant::now() + HANG_GUARD)
}

/// An echo server: a goroutine per connection. Returns its address.
fn echo_server() -> SocketAddr {
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    gocsp::go!(move || {
        for conn in ln.incoming() {
            let Ok(mut conn) = conn else { return };
            gocsp::go!(move || {
                conn.set_deadline(guard()).unwrap();
                let mut buf = [0u8; 4096];
                loop {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if conn.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

#[test]
fn echo_with_a_thousand_concurrent_connections() {
    const CONNS: usize = 1000;
    const ROUNDS: usize = 5;
    let addr = echo_server();
    let handles: Vec<_> = (0..CONNS)
        .map(|i| {
            gocsp::spawn(move || -> std::io::Result<usize> {
                let mut conn = TcpStream::connect(addr)?;
                conn.set_deadline(guard())?;
                let mut done = 0;
                for r in 0..ROUNDS {
                    let msg = [(i + r) as u8; 64];
                    conn.write_all(&msg)?;
                    let mut back = [0u8; 64];
                    conn.read_exact(&mut back)?;
                    assert_eq!(back, msg);
                    done += 1;
                }
                Ok(done)
            })
        })
        .collect();
    let total: usize = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .sum();
    assert_eq!(total, CONNS * ROUNDS);
}

#[test]
fn half_close_reaches_the_peer_as_eof() {
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    let server = gocsp::spawn(move || {
        let (mut conn, _) = ln.accept().unwrap();
        conn.set_deadline(guard()).unwrap();
        let mut got = Vec::new();
        conn.read_to_end(&mut got).unwrap(); // ends at the client's FIN
        conn.write_all(format!("{} bytes", got.len()).as_bytes())
            .unwrap();
        got
    });
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_deadline(guard()).unwrap();
    conn.write_all(&[7u8; 10_000]).unwrap();
    conn.shutdown(Shutdown::Write).unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, "10000 bytes");
    assert_eq!(server.join().unwrap(), vec![7u8; 10_000]);
}

/// Writes `len` bytes of a pattern seeded by `seed`.
fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

#[test]
fn one_goroutine_reads_while_another_writes_a_megabyte_each_way() {
    const LEN: usize = 1 << 20;
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    // Each end writes 1 MB and reads 1 MB at the same time; with only one of the two running
    // at a time both ends would fill their buffers and stall.
    let both_ways = |conn: TcpStream, seed: u8, peer_seed: u8| {
        conn.set_deadline(guard()).unwrap();
        let writer = conn.try_clone().unwrap();
        let w = gocsp::spawn(move || (&writer).write_all(&pattern(seed, LEN)));
        let r = gocsp::spawn(move || {
            let mut got = Vec::with_capacity(LEN);
            (&conn).take(LEN as u64).read_to_end(&mut got).map(|_| got)
        });
        w.join().unwrap().unwrap();
        assert!(r.join().unwrap().unwrap() == pattern(peer_seed, LEN));
    };
    let server = gocsp::spawn(move || {
        let (conn, _) = ln.accept().unwrap();
        both_ways(conn, 1, 2);
    });
    let client = gocsp::spawn(move || both_ways(TcpStream::connect(addr).unwrap(), 2, 1));
    client.join().unwrap();
    server.join().unwrap();
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    let addr = {
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        ln.local_addr().unwrap()
    };
    let err = gocsp::spawn(move || TcpStream::connect(addr).unwrap_err())
        .join()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    let err = TcpStream::connect(addr).unwrap_err(); // and from a plain thread
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn a_peer_closing_with_unread_data_resets_the_connection() {
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    let server = gocsp::spawn(move || {
        let (conn, _) = ln.accept().unwrap();
        conn.set_deadline(guard()).unwrap();
        let mut b = [0u8; 1];
        conn.peek(&mut b).unwrap();
        // Closing a socket with unread data sends RST instead of FIN.
        drop(conn);
    });
    let client = gocsp::spawn(move || {
        let mut conn = TcpStream::connect(addr).unwrap();
        conn.set_deadline(guard()).unwrap();
        conn.write_all(b"unread").unwrap();
        let mut buf = [0u8; 16];
        conn.read(&mut buf).unwrap_err()
    });
    server.join().unwrap();
    assert_eq!(client.join().unwrap().kind(), ErrorKind::ConnectionReset);
}

/// A listener (std's, backlog 128) that never accepts, with its queue filled so that the next
/// connect hangs (the kernel drops its SYN). Returns the listener, its address and the held
/// connections.
///
/// The queue counts as full after three connects in a row have timed out: on a loaded machine
/// a single connect to a listener with room can take longer than the timeout, and a dial that
/// then succeeds would break the tests that need it to hang.
fn full_listener() -> (std::net::TcpListener, SocketAddr, Vec<TcpStream>) {
    let ln = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    let mut held = Vec::new();
    let mut timeouts = 0;
    for _ in 0..2000 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(c) => {
                held.push(c);
                timeouts = 0;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
                timeouts += 1;
                if timeouts == 3 {
                    return (ln, addr, held);
                }
            }
        }
    }
    panic!("the listener's queue never filled");
}

#[test]
fn dial_context_is_interrupted_by_cancel_and_times_out_at_the_deadline() {
    let (_ln, addr, _held) = full_listener();

    let (ctx, cancel) = context::with_cancel(&context::background());
    let dialing = gocsp::spawn(move || dial_context(&ctx, addr).unwrap_err());
    wait_blocked(dialing.id(), "IO wait");
    cancel();
    wait_until("the blocked dial to return", || dialing.is_finished());
    assert_eq!(dialing.join().unwrap().kind(), ErrorKind::Interrupted);

    let (ctx, _cancel) = context::with_timeout(&context::background(), Duration::from_millis(50));
    let err = gocsp::spawn(move || dial_context(&ctx, addr).unwrap_err())
        .join()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::TimedOut);

    let (ctx, cancel) = context::with_cancel(&context::background());
    cancel();
    assert_eq!(
        dial_context(&ctx, addr).unwrap_err().kind(),
        ErrorKind::Interrupted
    );
}

/// As Go's `dialSerial`: a context cancelled while the first address hangs ends the dial; the
/// next address is never tried (its connect would often finish without waiting, and the
/// cancellation then went unseen: 6 dials in 10 returned a connection).
#[test]
fn dial_context_tries_no_further_address_once_cancelled() {
    let (_ln, hanging, _held) = full_listener();
    let good = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    good.set_nonblocking(true).unwrap();
    let second = good.local_addr().unwrap();
    for _ in 0..10 {
        let (ctx, cancel) = context::with_cancel(&context::background());
        let dialing = gocsp::spawn(move || dial_context(&ctx, &[hanging, second][..]));
        wait_blocked(dialing.id(), "IO wait");
        cancel();
        wait_until("the blocked dial to return", || dialing.is_finished());
        let err = dialing.join().unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Interrupted, "{err}");
        assert_eq!(
            good.accept().map(drop).unwrap_err().kind(),
            ErrorKind::WouldBlock,
            "the second address was dialled after the cancellation"
        );
    }
}

/// Go's `conn.Close()` from another goroutine: the blocked reader and a blocked writer wake
/// with `net.ErrClosed`, later calls on any handle fail the same way, the peer reads EOF, and
/// a second close fails.
#[test]
fn close_wakes_blocked_calls_on_every_handle() {
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut peer = std::net::TcpStream::connect(ln.local_addr().unwrap()).unwrap();
    let (conn, _) = ln.accept().unwrap();
    let mut reader_conn = conn.try_clone().unwrap();
    let reader = gocsp::spawn(move || {
        let mut buf = [0u8; 8];
        reader_conn.read(&mut buf).unwrap_err()
    });
    let mut writer_conn = conn.try_clone().unwrap();
    let writer = gocsp::spawn(move || {
        // The peer never reads: the send buffer fills and the write parks.
        let chunk = vec![0u8; 1 << 16];
        loop {
            if let Err(e) = writer_conn.write(&chunk) {
                return e;
            }
        }
    });
    wait_blocked(reader.id(), "IO wait");
    wait_blocked(writer.id(), "IO wait");
    conn.close().unwrap();
    wait_until("the blocked calls to return", || {
        reader.is_finished() && writer.is_finished()
    });
    for e in [reader.join().unwrap(), writer.join().unwrap()] {
        assert_eq!(e.kind(), ErrorKind::NotConnected, "{e}");
        assert_eq!(e.to_string(), "use of closed network connection");
    }
    let mut buf = [0u8; 8];
    assert_eq!(
        (&conn).read(&mut buf).unwrap_err().kind(),
        ErrorKind::NotConnected
    );
    assert_eq!(conn.close().unwrap_err().kind(), ErrorKind::NotConnected);
    // Options and deadlines fail too, as Go's do; the addresses stay readable.
    assert_eq!(
        conn.set_nodelay(false).unwrap_err().kind(),
        ErrorKind::NotConnected
    );
    assert_eq!(
        conn.set_read_deadline(None).unwrap_err().kind(),
        ErrorKind::NotConnected
    );
    assert!(conn.local_addr().is_ok());
    // The peer sees the end of the stream (after whatever the writer got through).
    peer.set_read_timeout(Some(HANG_GUARD)).unwrap();
    let mut sink = Vec::new();
    peer.read_to_end(&mut sink).unwrap();
}

/// Go's `ln.Close()` ends an accept loop blocked in another goroutine, and new connections
/// are refused.
#[test]
fn close_ends_an_accept_loop() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    let looping = ln.try_clone().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let accept_loop = gocsp::spawn(move || {
        for conn in looping.incoming() {
            match conn {
                Ok(_) => count.fetch_add(1, Ordering::SeqCst),
                Err(e) => return e,
            };
        }
        unreachable!("incoming never ends by itself")
    });
    drop(std::net::TcpStream::connect(addr).unwrap());
    wait_until("the connection to be accepted", || {
        accepted.load(Ordering::SeqCst) == 1
    });
    wait_blocked(accept_loop.id(), "IO wait");
    ln.close().unwrap();
    wait_until("the accept loop to end", || accept_loop.is_finished());
    let e = accept_loop.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::NotConnected, "{e}");
    assert_eq!(
        std::net::TcpStream::connect(addr).unwrap_err().kind(),
        ErrorKind::ConnectionRefused
    );
}

#[test]
fn a_blocked_read_on_a_one_worker_runtime_does_not_stop_other_goroutines() {
    let rt: &'static Runtime = Box::leak(Box::new(Runtime::builder().workers(1).build().unwrap()));
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    let reader = rt.spawn(move || {
        let (mut conn, _) = ln.accept().unwrap();
        conn.set_deadline(guard()).unwrap();
        let mut buf = [0u8; 5];
        conn.read_exact(&mut buf).unwrap();
        buf
    });
    let mut client = TcpStream::connect(addr).unwrap();
    wait_blocked(reader.id(), "IO wait");
    // The only worker is free: another goroutine runs while the reader is parked.
    let ch: Chan<u32> = Chan::new(0);
    let tx = ch.sender();
    rt.spawn(move || tx.send(42));
    assert_eq!(ch.recv(), Some(42));
    client.write_all(b"hello").unwrap();
    assert_eq!(&reader.join().unwrap(), b"hello");
}

#[test]
fn the_same_api_works_from_plain_threads() {
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut conn, peer) = ln.accept().unwrap();
        assert_eq!(conn.peer_addr().unwrap(), peer);
        let mut buf = [0u8; 4];
        conn.read_exact(&mut buf).unwrap();
        conn.write_all(&buf).unwrap();
        // A read blocked on this thread is woken by a deadline set from another thread.
        let conn2 = conn.try_clone().unwrap();
        let setter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            conn2.set_read_deadline(Some(Instant::now())).unwrap();
        });
        let err = conn.read(&mut buf).unwrap_err();
        setter.join().unwrap();
        err.kind()
    });
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_deadline(guard()).unwrap();
    conn.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    conn.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    assert_eq!(server.join().unwrap(), ErrorKind::TimedOut);
}

/// A fresh directory for this test and the path of a socket file in it (not yet there).
fn socket_path(test: &str, file: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("gocsp-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(file);
    let _ = std::fs::remove_file(&path);
    (dir, path)
}

#[test]
fn unix_stream_echo() {
    let (dir, path) = socket_path("net", "echo.sock");
    let ln = UnixListener::bind(&path).unwrap();
    let server = gocsp::spawn(move || {
        let (mut conn, _) = ln.accept().unwrap();
        conn.set_deadline(guard()).unwrap();
        let mut buf = Vec::new();
        conn.read_to_end(&mut buf).unwrap();
        conn.write_all(&buf).unwrap();
    });
    let mut conn = UnixStream::connect(&path).unwrap();
    conn.set_deadline(guard()).unwrap();
    conn.write_all(b"over a unix socket").unwrap();
    conn.shutdown(Shutdown::Write).unwrap();
    let mut back = String::new();
    conn.read_to_string(&mut back).unwrap();
    assert_eq!(back, "over a unix socket");
    server.join().unwrap();
    let (a, b) = UnixStream::pair().unwrap();
    (&a).write_all(b"x").unwrap();
    let mut one = [0u8; 1];
    (&b).read_exact(&mut one).unwrap();
    assert_eq!(&one, b"x");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Go's `UnixListener.Close` removes the socket file its `Listen` created, unless
/// `SetUnlinkOnClose(false)`.
#[test]
fn a_dropped_unix_listener_removes_its_socket_file() {
    let (dir, path) = socket_path("unlink", "l.sock");
    let ln = UnixListener::bind(&path).unwrap();
    assert!(path.exists());
    drop(ln);
    assert!(!path.exists(), "the socket file outlived its listener");
    let ln = UnixListener::bind(&path).unwrap();
    ln.set_unlink_on_close(false);
    drop(ln);
    assert!(path.exists(), "set_unlink_on_close(false) kept nothing");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `close` on a Unix listener: the accept blocked in another goroutine fails with
/// `net.ErrClosed`, the socket file goes at once, and the drop afterwards is harmless; on a UDP
/// socket, a blocked `recv_from` wakes the same way.
#[test]
fn close_wakes_a_unix_accept_and_a_udp_receive() {
    use std::sync::Arc;

    let (dir, path) = socket_path("close", "c.sock");
    let ln = Arc::new(UnixListener::bind(&path).unwrap());
    let l = ln.clone();
    let accepting = gocsp::spawn(move || l.accept().map(drop).unwrap_err());
    wait_blocked(accepting.id(), "IO wait");
    ln.close().unwrap();
    assert!(!path.exists(), "close left the socket file");
    wait_until("the accept to return", || accepting.is_finished());
    assert_eq!(accepting.join().unwrap().kind(), ErrorKind::NotConnected);
    assert_eq!(ln.close().unwrap_err().kind(), ErrorKind::NotConnected);
    drop(ln);
    let _ = std::fs::remove_dir_all(&dir);

    let socket = gocsp::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let handle = socket.try_clone().unwrap();
    let receiving = gocsp::spawn(move || {
        let mut buf = [0u8; 16];
        handle.recv_from(&mut buf).map(drop).unwrap_err()
    });
    wait_blocked(receiving.id(), "IO wait");
    socket.close().unwrap();
    wait_until("the receive to return", || receiving.is_finished());
    assert_eq!(receiving.join().unwrap().kind(), ErrorKind::NotConnected);
}

#[test]
fn ping_pong_between_threads_never_loses_a_wake_up() {
    // Each round trip parks both ends on a read that the other end's write completes, often
    // within the instant between a read's EAGAIN and its registration as a waiter: a lost
    // readiness edge there hangs the exchange (the hang guard turns that into an error).
    const ROUNDS: u32 = 5_000;
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    let server = std::thread::spawn(move || -> std::io::Result<u32> {
        let (mut conn, _) = ln.accept()?;
        conn.set_deadline(guard())?;
        let mut b = [0u8; 4];
        let mut last = 0;
        for _ in 0..ROUNDS {
            conn.read_exact(&mut b)?;
            last = u32::from_le_bytes(b);
            conn.write_all(&(last + 1).to_le_bytes())?;
        }
        Ok(last)
    });
    let client = gocsp::spawn(move || -> std::io::Result<u32> {
        let mut conn = TcpStream::connect(addr)?;
        conn.set_deadline(guard())?;
        let mut v = 0u32;
        let mut b = [0u8; 4];
        for _ in 0..ROUNDS {
            conn.write_all(&v.to_le_bytes())?;
            conn.read_exact(&mut b)?;
            v = u32::from_le_bytes(b) + 1;
        }
        Ok(v)
    });
    assert_eq!(client.join().unwrap().unwrap(), 2 * ROUNDS);
    assert_eq!(server.join().unwrap().unwrap(), 2 * ROUNDS - 2);
}
