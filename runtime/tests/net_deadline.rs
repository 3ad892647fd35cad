//! Go's deadline semantics in `gocsp::net`: a deadline set from another goroutine unblocks a
//! blocked read, a write on a full socket buffer and an accept with `TimedOut`; deadlines
//! expire on their own; an expired deadline fails later calls until it is cleared; UDP
//! ping-pong and its read deadline.
#![cfg(not(any(miri, loom)))]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use common::{HANG_GUARD, wait_blocked, wait_until};
use gocsp::net::{TcpListener, TcpStream, UdpSocket};

/// A connected pair over loopback: (accepted, dialed).
fn pair() -> (TcpStream, TcpStream) {
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(ln.local_addr().unwrap()).unwrap();
    let (server, _) = ln.accept().unwrap();
    (server, client)
}

fn soon() -> Option<Instant> {
    Some(Instant::now() + Duration::from_millis(30))
}

/// Go's `Read` of an empty buffer returns `(0, nil)` at once, even past the deadline; once
/// the connection is closed it fails.
#[test]
fn an_empty_read_returns_at_once_whatever_the_deadline() {
    let (server, _client) = pair();
    server.set_read_deadline(Some(Instant::now())).unwrap();
    assert_eq!((&server).read(&mut []).unwrap(), 0);
    assert_eq!(
        (&server).read(&mut [0u8; 1]).unwrap_err().kind(),
        ErrorKind::TimedOut
    );
    server.close().unwrap();
    assert_eq!(
        (&server).read(&mut []).unwrap_err().kind(),
        ErrorKind::NotConnected
    );
}

#[test]
fn a_read_deadline_set_from_another_goroutine_unblocks_the_read() {
    let (server, client) = pair();
    let reader_side = server.try_clone().unwrap();
    let reader = gocsp::spawn(move || {
        let mut buf = [0u8; 8];
        (&reader_side).read(&mut buf).unwrap_err().kind()
    });
    wait_blocked(reader.id(), "IO wait");
    server.set_read_deadline(Some(Instant::now())).unwrap();
    wait_until("the blocked read to return", || reader.is_finished());
    assert_eq!(reader.join().unwrap(), ErrorKind::TimedOut);

    // Later reads fail too, even with data waiting, until the deadline is cleared.
    (&client).write_all(b"data").unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(
        (&server).read(&mut buf).unwrap_err().kind(),
        ErrorKind::TimedOut
    );
    server.set_read_deadline(None).unwrap();
    (&server).read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"data");
}

#[test]
fn a_write_deadline_set_from_another_goroutine_unblocks_a_write_on_a_full_buffer() {
    let (server, _client) = pair(); // the client never reads
    let writer_side = server.try_clone().unwrap();
    let writer = gocsp::spawn(move || {
        let chunk = vec![0u8; 64 * 1024];
        // Bounded: loopback buffers hold a few MB at most.
        for _ in 0..100_000 {
            if let Err(e) = (&writer_side).write(&chunk) {
                return e.kind();
            }
        }
        panic!("the socket buffer never filled");
    });
    wait_blocked(writer.id(), "IO wait");
    server.set_write_deadline(Some(Instant::now())).unwrap();
    wait_until("the blocked write to return", || writer.is_finished());
    assert_eq!(writer.join().unwrap(), ErrorKind::TimedOut);
}

#[test]
fn an_accept_deadline_set_from_another_goroutine_unblocks_the_accept() {
    let ln = std::sync::Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
    let l2 = ln.clone();
    let acceptor = gocsp::spawn(move || l2.accept().unwrap_err().kind());
    wait_blocked(acceptor.id(), "IO wait");
    ln.set_deadline(Some(Instant::now() - Duration::from_secs(1)))
        .unwrap();
    wait_until("the blocked accept to return", || acceptor.is_finished());
    assert_eq!(acceptor.join().unwrap(), ErrorKind::TimedOut);
    ln.set_deadline(None).unwrap();
    let addr = ln.local_addr().unwrap();
    let _c = TcpStream::connect(addr).unwrap();
    assert!(ln.accept().is_ok());
}

#[test]
fn deadlines_expire_on_their_own() {
    let (server, _client) = pair();
    let h = gocsp::spawn(move || {
        let mut buf = [0u8; 8];
        server.set_read_deadline(soon()).unwrap();
        let read = (&server).read(&mut buf).unwrap_err().kind();
        server.set_write_deadline(soon()).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        let mut write = None;
        for _ in 0..100_000 {
            if let Err(e) = (&server).write(&chunk) {
                write = Some(e.kind());
                break;
            }
        }
        (read, write)
    });
    wait_until("both operations to time out", || h.is_finished());
    assert_eq!(
        h.join().unwrap(),
        (ErrorKind::TimedOut, Some(ErrorKind::TimedOut))
    );

    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    ln.set_deadline(soon()).unwrap();
    let err = gocsp::spawn(move || ln.accept().unwrap_err())
        .join()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_eq!(err.to_string(), "i/o timeout");
}

#[test]
fn a_deadline_moved_later_does_not_fire_at_the_old_time() {
    let (server, client) = pair();
    server.set_read_deadline(soon()).unwrap();
    server
        .set_read_deadline(Some(Instant::now() + HANG_GUARD))
        .unwrap();
    let h = gocsp::spawn(move || {
        let mut buf = [0u8; 2];
        (&server).read_exact(&mut buf).map(|()| buf)
    });
    // Outlive the first deadline before writing.
    std::thread::sleep(Duration::from_millis(60));
    (&client).write_all(b"ok").unwrap();
    assert_eq!(&h.join().unwrap().unwrap(), b"ok");
}

#[test]
fn udp_ping_pong_and_read_deadline() {
    const ROUNDS: u32 = 1000;
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let guard = Some(Instant::now() + HANG_GUARD);
    a.set_read_deadline(guard).unwrap();
    b.set_read_deadline(guard).unwrap();
    let ponger = gocsp::spawn(move || {
        b.connect(a_addr).unwrap();
        let mut buf = [0u8; 4];
        for _ in 0..ROUNDS {
            let n = b.recv(&mut buf).unwrap();
            let v = u32::from_le_bytes(buf[..n].try_into().unwrap());
            b.send(&(v + 1).to_le_bytes()).unwrap();
        }
    });
    let pinger = gocsp::spawn(move || {
        let mut buf = [0u8; 4];
        let mut v = 0u32;
        for _ in 0..ROUNDS {
            a.send_to(&v.to_le_bytes(), b_addr).unwrap();
            let (n, from) = a.recv_from(&mut buf).unwrap();
            assert_eq!(from, b_addr);
            v = u32::from_le_bytes(buf[..n].try_into().unwrap()) + 1;
        }
        // Nobody answers any more: the read deadline ends the wait.
        a.set_read_deadline(soon()).unwrap();
        (v, a.recv_from(&mut buf).unwrap_err().kind())
    });
    wait_until("the ping-pong to end", || pinger.is_finished());
    ponger.join().unwrap();
    assert_eq!(pinger.join().unwrap(), (2 * ROUNDS, ErrorKind::TimedOut));
}
