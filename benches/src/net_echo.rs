//! The echo-server benchmark: the gocsp and tokio servers, and the one load generator used
//! against all three (gocsp, tokio, and Go's twin in `go/netecho`).
//!
//! Every server does the same thing: a task per connection that reads up to 4 KiB into a heap
//! buffer and writes it back, with `TCP_NODELAY` on (Go's default, set explicitly for tokio).
//! The generator opens `conns` connections, then each connection (its own goroutine) sends a
//! 64-byte message, waits for the whole echo and sends the next, for a fixed time. Round trips
//! that start after the warm-up and end before the deadline are counted and timed.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Bytes per message.
pub const MESSAGE: usize = 64;
/// Each server's read buffer.
const BUF: usize = 4096;

/// Serves echo on `addr` with gocsp until the process ends; prints `ready ADDR` first.
pub fn serve_gocsp(addr: &str) -> io::Result<()> {
    let ln = gocsp::net::TcpListener::bind(addr)?;
    println!("ready {}", ln.local_addr()?);
    io::stdout().flush()?;
    for conn in ln.incoming() {
        let Ok(mut conn) = conn else { continue };
        gocsp::go!(move || {
            let mut buf = vec![0u8; BUF];
            while let Ok(n @ 1..) = conn.read(&mut buf) {
                if conn.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        });
    }
    Ok(())
}

/// Serves echo on `addr` with tokio's multi-threaded runtime (one worker per core, its
/// default) until the process ends; prints `ready ADDR` first.
pub fn serve_tokio(addr: &str) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .build()?;
    rt.block_on(async {
        let ln = tokio::net::TcpListener::bind(addr).await?;
        println!("ready {}", ln.local_addr()?);
        io::stdout().flush()?;
        loop {
            let Ok((mut conn, _)) = ln.accept().await else {
                continue;
            };
            let _ = conn.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = vec![0u8; BUF];
                while let Ok(n @ 1..) = conn.read(&mut buf).await {
                    if conn.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    })
}

/// Reads a server's `ready ADDR` line.
pub fn read_ready(out: impl Read) -> io::Result<SocketAddr> {
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line)?;
    line.trim()
        .strip_prefix("ready ")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| io::Error::other(format!("unexpected server output {line:?}")))
}

/// What the generator measured.
#[derive(Debug, Clone)]
pub struct Load {
    /// Connections held open.
    pub conns: usize,
    /// Round trips per second over the measured window.
    pub per_sec: f64,
    /// Median round-trip latency.
    pub p50: Duration,
    /// 99th-percentile round-trip latency.
    pub p99: Duration,
}

/// Runs the generator against `addr`; `running` is called once every connection is open and
/// the measured window starts (the driver samples the server's memory and CPU from there).
pub fn generate(
    addr: SocketAddr,
    conns: usize,
    warmup: Duration,
    window: Duration,
    running: impl FnOnce() + Send + 'static,
) -> io::Result<Load> {
    // Connect first, in one goroutine and in order, so no SYN queue overflows.
    let opened = gocsp::spawn(move || {
        (0..conns)
            .map(|_| gocsp::net::TcpStream::connect(addr))
            .collect::<io::Result<Vec<_>>>()
    })
    .join()
    .map_err(|_| io::Error::other("connecting panicked"))??;
    let go: gocsp::Chan<()> = gocsp::Chan::new(0);
    let t0 = Instant::now() + Duration::from_millis(50);
    let (from, to) = (t0 + warmup, t0 + warmup + window);
    let workers: Vec<_> = opened
        .into_iter()
        .map(|mut c| {
            let go = go.receiver();
            gocsp::spawn(move || -> io::Result<Vec<u32>> {
                go.recv(); // closed at t0
                let msg = [7u8; MESSAGE];
                let mut back = [0u8; MESSAGE];
                let mut samples = Vec::new();
                loop {
                    let start = Instant::now();
                    if start >= to {
                        return Ok(samples);
                    }
                    c.write_all(&msg)?;
                    c.read_exact(&mut back)?;
                    let end = Instant::now();
                    if start >= from && end <= to {
                        // Tenths of a microsecond, saturated at 7 minutes.
                        let t = (end - start).as_nanos() / 100;
                        samples.push(u32::try_from(t).unwrap_or(u32::MAX));
                    }
                }
            })
        })
        .collect();
    while Instant::now() < t0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    go.close();
    let sleep_until = from.saturating_duration_since(Instant::now());
    std::thread::sleep(sleep_until);
    running();
    let mut all = Vec::new();
    for w in workers {
        all.extend(
            w.join()
                .map_err(|_| io::Error::other("a client panicked"))??,
        );
    }
    all.sort_unstable();
    let pct = |p: f64| {
        let i = ((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1));
        Duration::from_nanos(all.get(i).copied().unwrap_or(0) as u64 * 100)
    };
    Ok(Load {
        conns,
        per_sec: all.len() as f64 / window.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
    })
}

/// A process's resident memory in bytes (`VmRSS` in `/proc/PID/status`).
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = s
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// A process's CPU time so far (user + system), from `/proc/PID/stat`.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some(Duration::from_millis(ticks * 10))
}
