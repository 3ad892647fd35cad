//! `gocsp::net` at scale, each test in this process alone (harness = false runs them in order):
//! 10,000 connections held open at once with the thread count staying small, and no
//! descriptor leaked over 2,000 connections (`/proc/self/fd` counted before and after). First,
//! while the process is still quiet: sockets used from plain threads before any runtime
//! exists, and after a runtime that waited for I/O was dropped (the netpoll thread's wait,
//! seen in `/proc/self/task/*/syscall`, goes to the workers and back); a goroutine waiting for
//! I/O from another process is not a deadlock, even when the main thread blocks on a channel
//! that only that goroutine sends to; and the worker that waits for I/O is woken for other
//! work.
//!
//! Both ends live in this process, so 10,000 connections take 20,000 descriptors. The first
//! use of `gocsp::net` raises the soft limit to the hard one; when the hard limit is lower than
//! that needs, the test holds as many connections as fit and prints how many.

#[cfg(not(loom))]
mod common;

#[cfg(not(loom))]
mod scenarios {
    use super::common::wait_until;
    use std::io::{ErrorKind, Read, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use gocsp::net::{TcpListener, TcpStream};

    const HANG_GUARD: Duration = Duration::from_secs(60);

    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").unwrap().count()
    }

    fn threads() -> usize {
        std::fs::read_dir("/proc/self/task").unwrap().count()
    }

    fn nofile_soft_limit() -> usize {
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .unwrap();
        let soft = line.split_whitespace().nth(3).unwrap();
        soft.parse().unwrap_or(usize::MAX)
    }

    /// A server whose handler goroutines read one byte, echo it and wait for EOF; `parked` counts
    /// handlers that are about to block in their first read.
    fn server(parked: Arc<AtomicUsize>) -> std::net::SocketAddr {
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        gocsp::go!(move || {
            for conn in ln.incoming() {
                let Ok(mut conn) = conn else { return };
                let parked = parked.clone();
                gocsp::go!(move || {
                    conn.set_deadline(Some(Instant::now() + HANG_GUARD))
                        .unwrap();
                    let mut b = [0u8; 1];
                    parked.fetch_add(1, Ordering::SeqCst);
                    if conn.read_exact(&mut b).is_ok() && conn.write_all(&b).is_ok() {
                        let _ = conn.read(&mut b); // EOF
                    }
                });
            }
        });
        addr
    }

    fn worker_threads() -> usize {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter(|t| {
                let comm = t.as_ref().unwrap().path().join("comm");
                std::fs::read_to_string(comm).is_ok_and(|c| c.starts_with("gocsp-worker"))
            })
            .count()
    }

    /// Sends back what `conn` reads until EOF.
    fn echo(mut conn: TcpStream) {
        let mut b = [0u8; 8];
        while let Ok(n @ 1..) = conn.read(&mut b) {
            conn.write_all(&b[..n]).unwrap();
        }
    }

    /// `n` numbered round trips through an echo on `c`.
    fn round_trips(c: &mut TcpStream, n: u64) {
        for i in 0..n {
            c.write_all(&i.to_le_bytes()).unwrap();
            let mut b = [0u8; 8];
            c.read_exact(&mut b).unwrap();
            assert_eq!(u64::from_le_bytes(b), i);
        }
    }

    /// Before any runtime starts, sockets used from plain threads are served by the netpoll
    /// thread (no worker exists to take their events).
    pub(super) fn plain_threads_before_any_runtime() {
        assert_eq!(worker_threads(), 0, "no runtime may have started yet");
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (conn, _) = ln.accept().unwrap();
            conn.set_deadline(Some(Instant::now() + HANG_GUARD))
                .unwrap();
            echo(conn);
        });
        let mut c = TcpStream::connect(addr).unwrap();
        c.set_deadline(Some(Instant::now() + HANG_GUARD)).unwrap();
        round_trips(&mut c, 200);
        drop(c);
        server.join().unwrap();
        assert_eq!(worker_threads(), 0, "plain threads started no runtime");
        println!("plain_threads_before_any_runtime: ok");
    }

    /// Whether the `gocsp-netpoll` thread is blocked in `epoll_wait` (its system call, from
    /// `/proc`; x86-64 and aarch64 numbers), or `None` where that cannot be read.
    fn netpoll_thread_waits_for_io() -> Option<bool> {
        for t in std::fs::read_dir("/proc/self/task").ok()? {
            let dir = t.ok()?.path();
            let comm = std::fs::read_to_string(dir.join("comm")).ok()?;
            if comm.trim() == "gocsp-netpoll" {
                let sys = std::fs::read_to_string(dir.join("syscall")).ok()?;
                let nr: i64 = sys.split_whitespace().next()?.parse().ok()?;
                let epoll: &[i64] = if cfg!(target_arch = "x86_64") {
                    &[232, 281, 441]
                } else {
                    &[22, 441]
                };
                return Some(epoll.contains(&nr));
            }
        }
        None
    }

    /// A runtime whose idle worker waited for I/O is dropped while no other runtime runs: the
    /// netpoll thread takes the wait back, and plain threads' sockets keep working. While the
    /// runtime runs, the netpoll thread stands back (its workers take the events).
    pub(super) fn a_dropped_runtime_hands_the_io_wait_back() {
        assert_eq!(worker_threads(), 0, "no other runtime may run yet");
        let readable = netpoll_thread_waits_for_io().is_some();
        if readable {
            wait_until(
                "the netpoll thread to wait for I/O, with no runtime",
                || netpoll_thread_waits_for_io() == Some(true),
            );
        }
        let rt = gocsp::Runtime::builder().workers(2).build().unwrap();
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        let (mut c, s) = rt.block_on(move || {
            let c = TcpStream::connect(addr).unwrap();
            let (s, _) = ln.accept().unwrap();
            (c, s)
        });
        // Let the workers go idle, one of them into the I/O wait, then drop the runtime.
        if readable {
            wait_until("the netpoll thread to stand back for the workers", || {
                netpoll_thread_waits_for_io() == Some(false)
            });
        }
        std::thread::sleep(Duration::from_millis(20));
        drop(rt);
        wait_until("the runtime's workers to exit", || worker_threads() == 0);
        if readable {
            wait_until("the netpoll thread to take the I/O wait back", || {
                netpoll_thread_waits_for_io() == Some(true)
            });
        }
        c.set_deadline(Some(Instant::now() + HANG_GUARD)).unwrap();
        s.set_deadline(Some(Instant::now() + HANG_GUARD)).unwrap();
        let server = std::thread::spawn(move || echo(s));
        round_trips(&mut c, 100);
        drop(c);
        server.join().unwrap();
        println!("a_dropped_runtime_hands_the_io_wait_back: ok");
    }

    /// With a socket open, one idle worker sleeps waiting for I/O instead of on its futex; a
    /// goroutine started from outside must still wake a worker every time (the waiting one is
    /// interrupted), and I/O must still reach goroutines.
    pub(super) fn the_worker_waiting_for_io_wakes_for_other_work() {
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        let echo = gocsp::spawn(move || {
            let (mut conn, _) = ln.accept().unwrap();
            conn.set_deadline(Some(Instant::now() + HANG_GUARD))
                .unwrap();
            let mut b = [0u8; 1];
            while let Ok(1) = conn.read(&mut b) {
                conn.write_all(&b).unwrap();
            }
        });
        let mut c = TcpStream::connect(addr).unwrap();
        c.set_deadline(Some(Instant::now() + HANG_GUARD)).unwrap();
        // A lost wake-up would hang a `join` for good: fail instead.
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let d = done.clone();
        std::thread::spawn(move || {
            std::thread::sleep(HANG_GUARD);
            if !d.load(Ordering::SeqCst) {
                eprintln!("the_worker_waiting_for_io_wakes_for_other_work: a wake-up was lost");
                std::process::exit(1);
            }
        });
        let start = Instant::now();
        for i in 0..300u32 {
            // Long enough for every worker to go to sleep, one of them in the I/O wait.
            std::thread::sleep(Duration::from_micros(500));
            if i % 2 == 0 {
                assert_eq!(gocsp::spawn(move || i).join().unwrap(), i);
            } else {
                c.write_all(&[i as u8]).unwrap();
                let mut b = [0u8; 1];
                c.read_exact(&mut b).unwrap();
                assert_eq!(b[0], i as u8);
            }
            assert!(start.elapsed() < HANG_GUARD, "a wake-up was lost");
        }
        drop(c);
        echo.join().unwrap();
        done.store(true, Ordering::SeqCst);
        println!("the_worker_waiting_for_io_wakes_for_other_work: ok");
    }

    pub(super) fn ten_thousand_connections_held_open_on_few_threads() {
        let parked = Arc::new(AtomicUsize::new(0));
        let addr = server(parked.clone());
        let fit = nofile_soft_limit().saturating_sub(open_fds() + 64) / 2;
        let n = fit.min(10_000);
        if n < 10_000 {
            println!(
                "descriptor limit {}: holding {n} connections",
                nofile_soft_limit()
            );
        }
        // The clients are held by this plain thread (each connect blocks it, not a worker).
        let mut clients = Vec::with_capacity(n);
        for _ in 0..n {
            let c = TcpStream::connect(addr).unwrap();
            c.set_deadline(Some(Instant::now() + HANG_GUARD)).unwrap();
            clients.push(c);
        }
        wait_until("every handler to start", || {
            parked.load(Ordering::SeqCst) == n
        });
        let workers = gocsp::gomaxprocs();
        let now = threads();
        // main, the test thread... workers, the timer and poller threads, a blocking helper or
        // two: a handful more than the workers, never one per connection.
        assert!(now <= workers + 12, "{now} threads for {n} connections");
        for c in &clients {
            (&*c).write_all(b"x").unwrap();
        }
        for c in &clients {
            let mut b = [0u8; 1];
            (&*c).read_exact(&mut b).unwrap();
            assert_eq!(&b, b"x");
        }
        drop(clients);
        println!(
            "ten_thousand_connections_held_open_on_few_threads: ok ({n} connections, {now} threads)"
        );
    }

    pub(super) fn no_descriptor_leaks_over_two_thousand_connections() {
        const CONNS: usize = 2000;
        const BATCH: usize = 100;
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        // Warm up: the poller, the timer thread and a handler must exist before counting.
        let served = Arc::new(AtomicUsize::new(0));
        let s2 = served.clone();
        gocsp::go!(move || {
            for conn in ln.incoming() {
                let Ok(mut conn) = conn else { return };
                let served = s2.clone();
                gocsp::go!(move || {
                    conn.set_deadline(Some(Instant::now() + HANG_GUARD))
                        .unwrap();
                    let mut buf = [0u8; 16];
                    while let Ok(n @ 1..) = conn.read(&mut buf) {
                        if conn.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    drop(conn);
                    served.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        let round = |count: usize| {
            let hs: Vec<_> = (0..count)
                .map(|_| {
                    gocsp::spawn(move || {
                        let mut c = TcpStream::connect(addr)?;
                        c.set_deadline(Some(Instant::now() + HANG_GUARD))?;
                        c.write_all(b"ping")?;
                        let mut b = [0u8; 4];
                        c.read_exact(&mut b)?;
                        Ok::<_, std::io::Error>(b)
                    })
                })
                .collect();
            for h in hs {
                assert_eq!(&h.join().unwrap().unwrap(), b"ping");
            }
        };
        round(1);
        wait_until("the warm-up handler to finish", || {
            served.load(Ordering::SeqCst) == 1
        });
        let before = open_fds();
        for _ in 0..CONNS / BATCH {
            round(BATCH);
        }
        // Refused connects must not leak either.
        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        for _ in 0..100 {
            assert_eq!(
                TcpStream::connect(closed).unwrap_err().kind(),
                ErrorKind::ConnectionRefused
            );
        }
        wait_until("every handler to finish", || {
            served.load(Ordering::SeqCst) == 1 + CONNS
        });
        let after = open_fds();
        assert_eq!(
            before, after,
            "descriptors open before and after {CONNS} connections"
        );
        println!(
            "no_descriptor_leaks_over_two_thousand_connections: ok ({before} open before and after)"
        );
    }

    /// The peer of `io_wait_is_not_a_deadlock`, in a child process: connects, waits long enough
    /// for the deadlock check to look several times, then sends one byte.
    pub(super) fn peer(addr: &str) {
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        std::thread::sleep(Duration::from_millis(500));
        c.write_all(b"x").unwrap();
        let mut rest = Vec::new();
        let _ = c.read_to_end(&mut rest);
    }

    pub(super) fn io_wait_is_not_a_deadlock() {
        // A numeric address: no blocking-call helper, no timer, nothing pending but the read.
        let ln = TcpListener::bind("127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap()).unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .env("GOCSP_NET_PEER", ln.local_addr().unwrap().to_string())
            .spawn()
            .unwrap();
        let got: gocsp::Chan<u8> = gocsp::Chan::new(0);
        let tx = got.sender();
        gocsp::go!(move || {
            let (mut c, _) = ln.accept().unwrap();
            let mut b = [0u8; 1];
            c.read_exact(&mut b).unwrap();
            tx.send(b[0]);
        });
        // The main thread blocks in gocsp while the only goroutine waits for the other process.
        assert_eq!(got.recv(), Some(b'x'));
        assert!(child.wait().unwrap().success());
        println!("io_wait_is_not_a_deadlock: ok");
    }
}

#[cfg(not(loom))]
fn main() {
    if cfg!(miri) {
        return; // sockets and goroutines: nothing Miri can run
    }
    if let Ok(addr) = std::env::var("GOCSP_NET_PEER") {
        return scenarios::peer(&addr);
    }
    scenarios::plain_threads_before_any_runtime();
    scenarios::a_dropped_runtime_hands_the_io_wait_back();
    scenarios::io_wait_is_not_a_deadlock();
    scenarios::the_worker_waiting_for_io_wakes_for_other_work();
    scenarios::no_descriptor_leaks_over_two_thousand_connections();
    scenarios::ten_thousand_connections_held_open_on_few_threads();
}

#[cfg(loom)]
fn main() {}
