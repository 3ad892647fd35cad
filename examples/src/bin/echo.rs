//! A TCP echo server and its clients: a goroutine per connection, blocking-style reads and
//! writes, and no thread per connection (the goroutines park on the netpoller).
//!
//! The Go original:
//!
//! ```go
//! func handle(conn net.Conn) {
//!     defer conn.Close()
//!     io.Copy(conn, conn)
//! }
//!
//! func main() {
//!     ln, err := net.Listen("tcp", "127.0.0.1:0")
//!     if err != nil { log.Fatal(err) }
//!     for {
//!         conn, err := ln.Accept()
//!         if err != nil { log.Fatal(err) }
//!         go handle(conn)
//!     }
//! }
//! ```
//!
//! `cargo run -p gocsp-examples --bin echo` runs the server and `CLIENTS` clients against it,
//! each sending `LINES` lines and checking every echo; `-- serve 127.0.0.1:7000` only serves
//! (try it with `nc 127.0.0.1 7000`).
#![forbid(unsafe_code)]

use std::io::{self, BufRead, BufReader, Write};
use std::time::{Duration, Instant};

use gocsp::net::{TcpListener, TcpStream};
use gocsp::prelude::*;

const CLIENTS: usize = 200;
const LINES: usize = 20;

fn handle(conn: TcpStream) {
    // Copy until the client closes; a read and a write handle of one connection.
    let _ = io::copy(&mut &conn, &mut &conn);
}

fn serve(ln: TcpListener) {
    for conn in ln.incoming() {
        match conn {
            Ok(conn) => go!(handle(conn)),
            Err(e) => {
                // Out of descriptors, say: back off as Go's server does, instead of spinning.
                eprintln!("accept: {e}");
                gocsp::time::sleep(Duration::from_millis(5));
            }
        }
    }
}

/// One client: sends `LINES` lines, reads each echo, returns how many came back right.
fn client(addr: std::net::SocketAddr, id: usize) -> io::Result<usize> {
    let conn = TcpStream::connect(addr)?;
    conn.set_deadline(Some(Instant::now() + Duration::from_secs(30)))?;
    let mut lines = BufReader::new(&conn);
    let mut ok = 0;
    for i in 0..LINES {
        let msg = format!("client {id} line {i}\n");
        (&conn).write_all(msg.as_bytes())?;
        let mut back = String::new();
        lines.read_line(&mut back)?;
        ok += usize::from(back == msg);
    }
    Ok(ok)
}

fn main() -> io::Result<()> {
    // `main` runs as a goroutine, as in Go.
    gocsp::spawn(run).join().expect("main panicked")
}

fn run() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        let ln = TcpListener::bind(args.get(2).map_or("127.0.0.1:7000", String::as_str))?;
        println!("echo server on {}", ln.local_addr()?);
        serve(ln);
        return Ok(());
    }

    let ln = TcpListener::bind("127.0.0.1:0")?;
    let addr = ln.local_addr()?;
    println!("echo server on {addr}");
    go!(serve(ln));

    let start = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| gocsp::spawn(move || client(addr, id)))
        .collect();
    let mut echoed = 0;
    for c in clients {
        echoed += c.join().expect("a client panicked")?;
    }
    println!(
        "{CLIENTS} clients, each its own goroutine, sent {LINES} lines each: {echoed} echoed back \
         in {:?}",
        start.elapsed()
    );
    assert_eq!(echoed, CLIENTS * LINES, "every line comes back as sent");
    println!("ok: every line echoed, one goroutine per connection on both sides");
    Ok(())
}
