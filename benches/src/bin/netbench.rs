//! `cargo run --release -p gocsp-benches --bin netbench`: the echo server on gocsp, on Go
//! (`go/netecho`) and on tokio, each in a process of its own, driven by one load generator
//! (this process, on gocsp): 64-byte messages, 100 and 10,000 connections, a fixed window.
//! Prints round trips per second, median and p99 latency, the server's resident memory per
//! connection and how many cores it kept busy.
//!
//! Options: `--conns 100,10000`, `--secs 5`, `--warmup 1`, `--rounds 1`,
//! `--servers gocsp,go,tokio`, `--go-bin PATH` (a prebuilt `go/netecho`; else it is built with
//! `go build`), `--gocsp-bin PATH` (another `netbench` build whose `serve gocsp` to run: an old
//! runtime's server against this build's generator), `--server-cpus 0-1` (pins every server to
//! those CPUs with `taskset` and sets `GOMAXPROCS` and `TOKIO_WORKER_THREADS` to their number,
//! so each server gets the same cores and the generator the rest).
//! `netbench serve gocsp|tokio [ADDR]` runs one server alone.
#![forbid(unsafe_code)]

use std::io;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gocsp_benches::net_echo::{self, Load};

struct Options {
    conns: Vec<usize>,
    secs: f64,
    warmup: f64,
    rounds: usize,
    servers: Vec<String>,
    go_bin: Option<std::path::PathBuf>,
    gocsp_bin: Option<std::path::PathBuf>,
    server_cpus: Option<String>,
}

/// How many CPUs a `taskset` list such as `0-1,4` names.
fn cpu_count(list: &str) -> Option<usize> {
    list.split(',')
        .map(|r| match r.split_once('-') {
            Some((a, b)) => Some(b.parse::<usize>().ok()? + 1 - a.parse::<usize>().ok()?),
            None => r.parse::<usize>().ok().map(|_| 1),
        })
        .sum()
}

fn parse() -> Option<Options> {
    let mut o = Options {
        conns: vec![100, 10_000],
        secs: 5.0,
        warmup: 1.0,
        rounds: 1,
        servers: vec!["gocsp".into(), "go".into(), "tokio".into()],
        go_bin: None,
        gocsp_bin: None,
        server_cpus: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next()?;
        match a.as_str() {
            "--conns" => {
                o.conns = v
                    .split(',')
                    .map(|s| s.parse().ok())
                    .collect::<Option<_>>()?
            }
            "--secs" => o.secs = v.parse().ok()?,
            "--warmup" => o.warmup = v.parse().ok()?,
            "--rounds" => o.rounds = v.parse().ok()?,
            "--servers" => o.servers = v.split(',').map(str::to_string).collect(),
            "--go-bin" => o.go_bin = Some(v.into()),
            "--gocsp-bin" => o.gocsp_bin = Some(v.into()),
            "--server-cpus" => {
                cpu_count(&v)?;
                o.server_cpus = Some(v)
            }
            _ => return None,
        }
    }
    Some(o)
}

/// Starts a server process; returns it with its address.
fn start(
    server: &str,
    go_bin: Option<&std::path::Path>,
    gocsp_bin: Option<&std::path::Path>,
    cpus: Option<&str>,
) -> io::Result<(Child, std::net::SocketAddr)> {
    let (program, args) = match server {
        "go" => (
            go_bin
                .ok_or_else(|| io::Error::other("no Go twin"))?
                .to_path_buf(),
            vec![],
        ),
        "gocsp" if gocsp_bin.is_some() => (
            gocsp_bin.expect("checked").to_path_buf(),
            vec!["serve", server],
        ),
        _ => (std::env::current_exe()?, vec!["serve", server]),
    };
    let mut cmd = match cpus {
        Some(list) => {
            let n = cpu_count(list).unwrap_or(1).to_string();
            let mut c = Command::new("taskset");
            c.args(["-c", list]).arg(&program).args(&args);
            c.env("GOMAXPROCS", &n).env("TOKIO_WORKER_THREADS", &n);
            c
        }
        None => {
            let mut c = Command::new(&program);
            c.args(&args);
            c
        }
    };
    let mut child = cmd.stdout(Stdio::piped()).spawn()?;
    let addr = net_echo::read_ready(child.stdout.take().expect("piped"))?;
    Ok((child, addr))
}

struct Measured {
    load: Load,
    rss_per_conn: f64,
    cores: f64,
}

fn measure(
    server: &str,
    go_bin: Option<&std::path::Path>,
    conns: usize,
    o: &Options,
) -> io::Result<Measured> {
    let (mut child, addr) = start(
        server,
        go_bin,
        o.gocsp_bin.as_deref(),
        o.server_cpus.as_deref(),
    )?;
    let pid = child.id();
    std::thread::sleep(Duration::from_millis(200));
    let base = net_echo::rss_bytes(pid).unwrap_or(0);
    let window = Duration::from_secs_f64(o.secs);
    let (tx, rx) = mpsc::channel();
    let r = net_echo::generate(
        addr,
        conns,
        Duration::from_secs_f64(o.warmup),
        window,
        move || {
            std::thread::spawn(move || {
                let (c0, t0) = (net_echo::cpu_time(pid), Instant::now());
                std::thread::sleep(window / 2);
                let rss = net_echo::rss_bytes(pid);
                std::thread::sleep(window / 2);
                let cpu = net_echo::cpu_time(pid)
                    .zip(c0)
                    .map(|(b, a)| b.saturating_sub(a));
                let _ = tx.send((
                    rss,
                    cpu.map(|c| c.as_secs_f64() / t0.elapsed().as_secs_f64()),
                ));
            });
        },
    );
    let (rss, cores) = rx
        .recv_timeout(window * 2 + Duration::from_secs(30))
        .unwrap_or((None, None));
    let _ = child.kill();
    let _ = child.wait();
    let load = r?;
    Ok(Measured {
        load,
        rss_per_conn: rss.map_or(f64::NAN, |r| r.saturating_sub(base) as f64 / conns as f64),
        cores: cores.unwrap_or(f64::NAN),
    })
}

fn build_go() -> Option<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("gocsp-netbench-{}", std::process::id()));
    let bin = dir.join("netecho");
    let ok = Command::new("go")
        .args(["build", "-o"])
        .arg(&bin)
        .arg("./netecho")
        .current_dir(gocsp_benches::gotwin::source_dir())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Some(bin)
    } else {
        eprintln!("{}", gocsp_benches::gotwin::INSTALL_HINT);
        None
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        let addr = args.get(3).map_or("127.0.0.1:0", String::as_str);
        let r = match args.get(2).map(String::as_str) {
            Some("gocsp") => net_echo::serve_gocsp(addr),
            Some("tokio") => net_echo::serve_tokio(addr),
            _ => Err(io::Error::other("serve gocsp|tokio [ADDR]")),
        };
        if let Err(e) = r {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    let Some(o) = parse() else {
        eprintln!(
            "usage: netbench [--conns 100,10000] [--secs 5] [--warmup 1] [--rounds 1] \
             [--servers gocsp,go,tokio] [--go-bin PATH] [--gocsp-bin PATH] [--server-cpus LIST]"
        );
        return ExitCode::from(2);
    };
    let built = o.go_bin.is_none() && o.servers.iter().any(|s| s == "go");
    let go_bin = if built { build_go() } else { o.go_bin.clone() };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "echo, {}-byte messages, {}s window after {}s warm-up, {} round(s), median shown; \
         generator on {cores} cores, servers on {}",
        net_echo::MESSAGE,
        o.secs,
        o.warmup,
        o.rounds,
        o.server_cpus
            .as_deref()
            .map_or("the same cores".to_string(), |c| format!("CPUs {c}"))
    );
    println!();
    println!("| server | connections | round trips/s | p50 | p99 | RSS/conn | cores busy |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut results: Vec<(String, usize, f64, f64)> = Vec::new();
    for &conns in &o.conns {
        let mut per: Vec<(String, Vec<Measured>)> =
            o.servers.iter().map(|s| (s.clone(), Vec::new())).collect();
        for _ in 0..o.rounds {
            // Interleaved: every server once per round.
            for (server, runs) in per.iter_mut() {
                if server == "go" && go_bin.is_none() {
                    continue;
                }
                match measure(server, go_bin.as_deref(), conns, &o) {
                    Ok(m) => runs.push(m),
                    Err(e) => eprintln!("{server} at {conns} connections: {e}"),
                }
            }
        }
        for (server, runs) in per {
            if runs.is_empty() {
                continue;
            }
            let rps = median(runs.iter().map(|m| m.load.per_sec).collect());
            let p50 = median(
                runs.iter()
                    .map(|m| m.load.p50.as_secs_f64() * 1e6)
                    .collect(),
            );
            let p99 = median(
                runs.iter()
                    .map(|m| m.load.p99.as_secs_f64() * 1e6)
                    .collect(),
            );
            let rss = median(runs.iter().map(|m| m.rss_per_conn).collect());
            let busy = median(runs.iter().map(|m| m.cores).collect());
            println!(
                "| {server} | {} | {rps:.0} | {p50:.0} us | {p99:.0} us | {:.1} KB | {busy:.2} |",
                runs[0].load.conns,
                rss / 1000.0
            );
            results.push((server, conns, rps, rss));
        }
    }
    println!();
    for &conns in &o.conns {
        let get = |s: &str| results.iter().find(|r| r.0 == s && r.1 == conns);
        if let Some(g) = get("gocsp") {
            for other in ["go", "tokio"] {
                if let Some(x) = get(other) {
                    println!(
                        "{conns} connections: gocsp/{other} throughput {:.2}x, RSS/conn {:.2}x",
                        g.2 / x.2,
                        g.3 / x.3
                    );
                }
            }
        }
    }
    if let Some(bin) = go_bin.filter(|_| built) {
        let _ = std::fs::remove_dir_all(bin.parent().unwrap_or(&bin));
    }
    ExitCode::SUCCESS
}
