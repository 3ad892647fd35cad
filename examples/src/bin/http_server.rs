//! A minimal HTTP/1.1 server on `httparse`: a goroutine per connection, keep-alive (many
//! requests on one connection), `Connection: close` honoured, requests parsed as they arrive
//! however the bytes are split.
//!
//! The shape of Go's `net/http` server loop, without the library:
//!
//! ```go
//! for {
//!     conn, _ := ln.Accept()
//!     go func(c net.Conn) {
//!         defer c.Close()
//!         r := bufio.NewReader(c)
//!         for {
//!             req, err := http.ReadRequest(r)
//!             if err != nil { return }
//!             resp := "hello from " + req.URL.Path
//!             fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(resp), resp)
//!             if req.Close { return }
//!         }
//!     }(conn)
//! }
//! ```
//!
//! `main` serves on a free port and checks it with a client that sends three requests on one
//! connection (the first two pipelined in one write, the last split across writes);
//! `-- serve 127.0.0.1:8080` only serves (try `curl -v localhost:8080/x localhost:8080/y`).
#![forbid(unsafe_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::time::{Duration, Instant};

use gocsp::net::{TcpListener, TcpStream};
use gocsp::prelude::*;

/// The most header lines a request may have.
const MAX_HEADERS: usize = 32;
/// How long a connection may stay idle between requests.
const IDLE: Duration = Duration::from_secs(30);

/// Serves requests on `conn` until the client closes it or asks to.
fn handle(conn: TcpStream) -> io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let mut served = 0u32;
    loop {
        // Parse what we have; read more while the request is incomplete.
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        let consumed = match req.parse(&buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => {
                conn.set_read_deadline(Some(Instant::now() + IDLE))?;
                let n = (&conn).read(&mut chunk)?;
                if n == 0 {
                    return Ok(()); // the client closed the connection
                }
                buf.extend_from_slice(&chunk[..n]);
                continue;
            }
            Err(e) => {
                let msg = format!("bad request: {e}\n");
                write!(
                    &conn,
                    "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{msg}",
                    msg.len()
                )?;
                return Ok(());
            }
        };
        served += 1;
        let path = req.path.unwrap_or("/").to_string();
        let close = req.headers.iter().any(|h| {
            h.name.eq_ignore_ascii_case("connection") && h.value.eq_ignore_ascii_case(b"close")
        }) || req.version == Some(0);
        // This server takes no request bodies.
        buf.drain(..consumed);

        let body = format!("hello from {path} (request {served} on this connection)\n");
        write!(
            &conn,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}\r\n{body}",
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        )?;
        if close {
            return Ok(());
        }
    }
}

fn serve(ln: TcpListener) {
    for conn in ln.incoming() {
        let Ok(conn) = conn else {
            // Out of descriptors, say: back off as Go's server does, instead of spinning.
            gocsp::time::sleep(std::time::Duration::from_millis(5));
            continue;
        };
        go!(move || {
            let _ = handle(conn);
        });
    }
}

/// Reads one response: (status line, body).
fn read_response(r: &mut BufReader<&TcpStream>) -> io::Result<(String, String)> {
    let mut status = String::new();
    r.read_line(&mut status)?;
    let mut len = 0;
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        if h == "\r\n" || h.is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().map_err(io::Error::other)?;
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok((
        status.trim_end().to_string(),
        String::from_utf8_lossy(&body).into(),
    ))
}

fn main() -> io::Result<()> {
    // `main` runs as a goroutine, as in Go.
    gocsp::spawn(run).join().expect("main panicked")
}

fn run() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        let ln = TcpListener::bind(args.get(2).map_or("127.0.0.1:8080", String::as_str))?;
        println!("serving HTTP on {}", ln.local_addr()?);
        serve(ln);
        return Ok(());
    }
    let ln = TcpListener::bind("127.0.0.1:0")?;
    let addr = ln.local_addr()?;
    println!("serving HTTP on {addr}");
    go!(serve(ln));

    let conn = TcpStream::connect(addr)?;
    conn.set_deadline(Some(Instant::now() + Duration::from_secs(30)))?;
    // Two requests pipelined in one write, then a third split in two writes.
    (&conn).write_all(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")?;
    (&conn).write_all(b"GET /c HTTP/1.1\r\nHo")?;
    gocsp::time::sleep(Duration::from_millis(5));
    (&conn).write_all(b"st: x\r\nConnection: close\r\n\r\n")?;
    let mut r = BufReader::new(&conn);
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let (status, body) = read_response(&mut r)?;
        println!("{status}: {}", body.trim_end());
        assert_eq!(status, "HTTP/1.1 200 OK");
        bodies.push(body);
    }
    let mut rest = Vec::new();
    r.read_to_end(&mut rest)?;
    assert!(
        rest.is_empty(),
        "the server closes after `Connection: close`"
    );
    assert_eq!(bodies[2], "hello from /c (request 3 on this connection)\n");
    println!("the server closed the connection after `Connection: close`");
    println!("ok: three requests served on one keep-alive connection");
    Ok(())
}
