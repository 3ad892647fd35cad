//! Go's classic chat server (The Go Programming Language, section 8.10): a broadcaster
//! goroutine owns the set of clients; each connection has a reader (its handler) and a writer
//! goroutine; `entering`, `leaving` and `messages` channels connect them. No locks.
//!
//! The Go original, abridged:
//!
//! ```go
//! type client chan<- string
//! var (
//!     entering = make(chan client)
//!     leaving  = make(chan client)
//!     messages = make(chan string)
//! )
//!
//! func broadcaster() {
//!     clients := make(map[client]bool)
//!     for {
//!         select {
//!         case msg := <-messages:
//!             for cli := range clients { cli <- msg }
//!         case cli := <-entering:
//!             clients[cli] = true
//!         case cli := <-leaving:
//!             delete(clients, cli)
//!             close(cli)
//!         }
//!     }
//! }
//!
//! func handleConn(conn net.Conn) {
//!     ch := make(chan string)
//!     go clientWriter(conn, ch)
//!     who := conn.RemoteAddr().String()
//!     ch <- "You are " + who
//!     messages <- who + " has arrived"
//!     entering <- ch
//!     input := bufio.NewScanner(conn)
//!     for input.Scan() { messages <- who + ": " + input.Text() }
//!     leaving <- ch
//!     messages <- who + " has left"
//!     conn.Close()
//! }
//!
//! func clientWriter(conn net.Conn, ch <-chan string) {
//!     for msg := range ch { fmt.Fprintln(conn, msg) }
//! }
//! ```
//!
//! `main` starts the server and three scripted clients (alice, bob, carol) that talk and
//! leave, and checks what each of them saw. Go keys the client set by channel; here a client
//! is its channel plus an id to key a `HashMap` by.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use gocsp::net::{TcpListener, TcpStream};
use gocsp::prelude::*;

/// An outgoing message channel, and an id for the broadcaster's map.
#[derive(Clone)]
struct Client {
    id: u64,
    out: Sender<String>,
}

/// The three channels of the chat, shared by every handler.
#[derive(Clone)]
struct Hub {
    entering: Sender<Client>,
    leaving: Sender<Client>,
    messages: Sender<String>,
}

fn broadcaster(entering: Receiver<Client>, leaving: Receiver<Client>, messages: Receiver<String>) {
    let mut clients: HashMap<u64, Sender<String>> = HashMap::new();
    loop {
        select! {
            Some(msg) = <-messages => {
                for cli in clients.values() {
                    cli.send(msg.clone());
                }
            }
            Some(cli) = <-entering => {
                clients.insert(cli.id, cli.out);
            }
            Some(cli) = <-leaving => {
                clients.remove(&cli.id);
                cli.out.close();
            }
        }
    }
}

fn handle_conn(conn: TcpStream, id: u64, hub: Hub) {
    let ch: Chan<String> = make!(chan String);
    let writer = conn.try_clone().expect("a second handle");
    go!(client_writer(writer, ch.receiver()));
    let me = Client {
        id,
        out: ch.sender(),
    };

    let who = conn.peer_addr().map_or("?".into(), |a| a.to_string());
    ch.send(format!("You are {who}"));
    hub.messages.send(format!("{who} has arrived"));
    hub.entering.send(me.clone());

    for line in BufReader::new(&conn).lines() {
        let Ok(line) = line else { break };
        hub.messages.send(format!("{who}: {line}"));
    }
    hub.leaving.send(me);
    hub.messages.send(format!("{who} has left"));
}

fn client_writer(conn: TcpStream, ch: Receiver<String>) {
    for msg in &ch {
        // A client that went away just stops reading; keep draining so nobody blocks.
        let _ = writeln!(&conn, "{msg}");
    }
}

fn serve(ln: TcpListener) {
    let entering = make!(chan Client);
    let leaving = make!(chan Client);
    let messages = make!(chan String);
    go!(broadcaster(
        entering.receiver(),
        leaving.receiver(),
        messages.receiver()
    ));
    let hub = Hub {
        entering: entering.sender(),
        leaving: leaving.sender(),
        messages: messages.sender(),
    };
    let mut id = 0;
    for conn in ln.incoming() {
        let Ok(conn) = conn else {
            // Out of descriptors, say: back off as Go's server does, instead of spinning.
            gocsp::time::sleep(std::time::Duration::from_millis(5));
            continue;
        };
        id += 1;
        go!(handle_conn(conn, id, hub.clone()));
    }
}

/// A scripted chat user.
struct User {
    name: &'static str,
    conn: TcpStream,
    lines: BufReader<TcpStream>,
    addr: String,
    seen: Vec<String>,
}

impl User {
    fn join(name: &'static str, server: SocketAddr) -> io::Result<User> {
        let conn = TcpStream::connect(server)?;
        conn.set_deadline(Some(Instant::now() + Duration::from_secs(30)))?;
        let addr = conn.local_addr()?.to_string();
        let mut user = User {
            name,
            lines: BufReader::new(conn.try_clone()?),
            conn,
            addr,
            seen: Vec::new(),
        };
        let hello = user.next_line()?;
        assert_eq!(hello, format!("You are {}", user.addr));
        Ok(user)
    }

    fn say(&self, text: &str) -> io::Result<()> {
        writeln!(&self.conn, "{text}")
    }

    fn next_line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.lines.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end().to_string();
        self.seen.push(line.clone());
        Ok(line)
    }

    /// Reads until `line` arrives (lines in between are kept in `seen`).
    fn wait_for(&mut self, line: &str) -> io::Result<()> {
        while self.next_line()? != line {}
        Ok(())
    }
}

fn main() -> io::Result<()> {
    // `main` runs as a goroutine, as in Go.
    gocsp::spawn(run).join().expect("main panicked")
}

fn run() -> io::Result<()> {
    let ln = TcpListener::bind("127.0.0.1:0")?;
    let server = ln.local_addr()?;
    go!(serve(ln));

    let mut users = Vec::new();
    for name in ["alice", "bob", "carol"] {
        let mut u = User::join(name, server)?;
        // Everyone gets every message, the sender too: seeing our own line back means the
        // broadcaster has us in its set.
        u.say(&format!("hi, I am {name}"))?;
        let own = format!("{}: hi, I am {name}", u.addr);
        u.wait_for(&own)?;
        users.push(u);
    }
    let names: Vec<(String, &str)> = users.iter().map(|u| (u.addr.clone(), u.name)).collect();
    let pretty = |line: &str| {
        names
            .iter()
            .fold(line.to_string(), |l, (addr, name)| l.replace(addr, name))
    };

    let question = format!("{}: who is on tonight?", users[0].addr);
    users[0].say("who is on tonight?")?;
    for u in users.iter_mut() {
        u.wait_for(&question)?;
        println!("{} saw: {}", u.name, pretty(&question));
    }

    let carol = users.pop().expect("three users");
    let left = format!("{} has left", carol.addr);
    drop(carol); // carol closes her connection
    for u in users.iter_mut() {
        u.wait_for(&left)?;
        println!("{} saw: {}", u.name, pretty(&left));
    }
    let bob_saw: Vec<String> = users[1].seen.iter().map(|l| pretty(l)).collect();
    assert!(
        bob_saw.contains(&"carol has arrived".to_string()),
        "{bob_saw:?}"
    );
    assert!(
        bob_saw.contains(&"carol: hi, I am carol".to_string()),
        "{bob_saw:?}"
    );
    println!("bob's whole session:");
    for line in &bob_saw {
        println!("  {line}");
    }
    println!("ok: every message reached every client; carol's leaving was announced");
    Ok(())
}
