//! `cargo run --release -p gocsp-benches --bin compare`: runs every workload on Go, gocsp
//! (goroutines and threads) and crossbeam-channel, interleaved, and prints the ratios.
//!
//! Options: `--rounds N` (default 5), `--only KEY,KEY` (see `--list`), `--no-go`,
//! `--out DIR` (default `benches/results`). Writes `latest.md` and `latest.svg` there.
//!
//! `--parallel` runs the parallel suite instead (`gocsp_benches::parallel`) at the worker
//! counts of `--workers 1,2,...` (default 1, 2, and 4, 8, 16 where the machine has the cores),
//! and writes `parallel.md`; `--only` and `--list` then name its workloads.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use gocsp_benches::report::{self, COLUMNS, Machine, Row};
use gocsp_benches::suite::{self, Probe};
use gocsp_benches::{chart, gotwin, parallel};

/// Stop starting new rounds past this, so the command stays well under ten minutes.
const BUDGET: Duration = Duration::from_secs(8 * 60);

struct Options {
    rounds: usize,
    only: Option<Vec<String>>,
    go: bool,
    out: PathBuf,
    parallel: bool,
    workers: Vec<usize>,
    list: bool,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: compare [--rounds N] [--only KEY,KEY] [--no-go] [--out DIR] [--list]\n\
         \x20      compare --parallel [--workers 1,2,4] [--rounds N] [--only KEY,KEY] [--no-go]\n\
         \x20                        [--out DIR] [--list]\n\
         Runs every workload on Go, gocsp and crossbeam side by side and prints the ratios."
    );
    ExitCode::from(2)
}

fn parse_args() -> Result<Options, ExitCode> {
    let mut o = Options {
        rounds: 5,
        only: None,
        go: true,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results"),
        parallel: false,
        workers: parallel::default_counts(),
        list: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => {
                o.rounds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or_else(usage)?
            }
            "--only" => {
                o.only = Some(
                    args.next()
                        .ok_or_else(usage)?
                        .split(',')
                        .map(str::to_string)
                        .collect(),
                )
            }
            "--no-go" => o.go = false,
            "--parallel" => o.parallel = true,
            "--workers" => {
                let list: Option<Vec<usize>> = args
                    .next()
                    .ok_or_else(usage)?
                    .split(',')
                    .map(|v| v.parse().ok().filter(|&n| n > 0))
                    .collect();
                o.workers = list
                    .filter(|l| l.first() == Some(&1) && l.is_sorted())
                    .ok_or_else(usage)?;
            }
            "--out" => o.out = PathBuf::from(args.next().ok_or_else(usage)?),
            "--list" => o.list = true,
            _ => return Err(usage()),
        }
    }
    if o.list {
        // The keys `--only` takes: the parallel suite's with `--parallel`, else the main one's.
        let keys: Vec<(&str, &str)> = if o.parallel {
            parallel::workloads()
                .iter()
                .map(|w| (w.key, w.title))
                .collect()
        } else {
            suite::workloads()
                .iter()
                .map(|w| (w.key, w.title))
                .collect()
        };
        for (key, title) in keys {
            println!("{key:24} {title}");
        }
        return Err(ExitCode::SUCCESS);
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__child") {
        return child(&args[2..]);
    }
    if args.get(1).map(String::as_str) == Some("__busy") {
        busy_loop();
    }
    let opts = match parse_args() {
        Ok(o) => o,
        Err(code) => return code,
    };
    if opts.parallel
        && let Some(only) = &opts.only
        && !parallel::workloads()
            .iter()
            .any(|w| only.iter().any(|k| k == w.key))
    {
        eprintln!("no parallel workload matches --only; see --parallel --list");
        return ExitCode::from(2);
    }
    let started = Instant::now();

    let tmp = std::env::temp_dir().join(format!("gocsp-benches-{}", std::process::id()));
    let twin = if opts.go {
        eprintln!(
            "building the Go twin ({})...",
            gotwin::source_dir().display()
        );
        match gotwin::GoTwin::build(&tmp) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("{e}");
                None
            }
        }
    } else {
        None
    };
    let machine = Machine::detect(twin.as_ref().map(|t| t.version.as_str()));
    eprintln!(
        "{} | {} | {} | {}",
        machine.cpu, machine.os, machine.rustc, machine.go
    );

    if opts.parallel {
        let table = parallel::compare(
            twin.as_ref(),
            &opts.workers,
            opts.rounds,
            opts.only.as_deref(),
        );
        let md = format!(
            "- date: {}\n- machine: {}\n- OS: {}\n- Rust: {}\n- Go: {}\n- method: worker counts \
             {:?}; per count and round one warm-up, then one measured run; speedup = the \
             1-worker time over the time at the count, in the worst round of {}\n\n{table}\n",
            machine.date,
            machine.cpu,
            machine.os,
            machine.rustc,
            machine.go,
            opts.workers,
            opts.rounds
        );
        println!("\n{md}");
        let _ = std::fs::remove_dir_all(&tmp);
        let path = opts.out.join("parallel.md");
        if let Err(e) = std::fs::create_dir_all(&opts.out).and_then(|()| std::fs::write(&path, &md))
        {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("wrote {}", path.display());
        return ExitCode::SUCCESS;
    }

    let mut rows: Vec<Row> = suite::workloads()
        .into_iter()
        .filter(|w| {
            opts.only
                .as_ref()
                .is_none_or(|only| only.iter().any(|k| k == w.key))
        })
        .map(Row::new)
        .collect();
    if rows.is_empty() {
        eprintln!("no workload matches --only; see --list");
        return ExitCode::from(2);
    }

    let mut rounds_done = 0;
    for round in 1..=opts.rounds {
        if started.elapsed() > BUDGET {
            eprintln!("time budget reached: stopping after {rounds_done} rounds");
            break;
        }
        let mut go_cache: HashMap<(&str, usize, bool), HashMap<String, f64>> = HashMap::new();
        let mut child_cache: HashMap<(&str, usize), HashMap<String, f64>> = HashMap::new();
        for row in &mut rows {
            let w = row.workload.clone();
            let probes = [w.go, w.gocsp, w.gocsp_threads, w.crossbeam];
            let mut line = format!("round {round}/{} {:22}", opts.rounds, w.key);
            let neighbour = if w.busy { Neighbour::start() } else { None };
            for (col, probe) in probes.iter().enumerate() {
                let Some(probe) = probe else { continue };
                let value = match *probe {
                    Probe::Local { size, f } => {
                        f(size); // warm-up, as the Go twin does
                        Some(f(size))
                    }
                    Probe::Go {
                        workload,
                        size,
                        line,
                    } => twin.as_ref().and_then(|t| {
                        let lines = go_cache.entry((workload, size, w.busy)).or_insert_with(|| {
                            t.run(workload, size).unwrap_or_else(|e| {
                                eprintln!("{e}");
                                HashMap::new()
                            })
                        });
                        lines.get(line).copied()
                    }),
                    Probe::Child { mode, size, line } => child_cache
                        .entry((mode, size))
                        .or_insert_with(|| run_child(mode, size))
                        .get(line)
                        .copied(),
                };
                if let Some(v) = value {
                    row.samples[col].push(v);
                    line.push_str(&format!(
                        "  {}={}",
                        COLUMNS[col],
                        report::format_value(Some(v), w.unit)
                    ));
                }
            }
            drop(neighbour);
            eprintln!("{line}");
        }
        rounds_done = round;
    }

    let elapsed = started.elapsed().as_secs_f64();
    let md = report::markdown(&machine, &rows, rounds_done, elapsed);
    println!("\n{md}");
    if twin.is_none() && opts.go {
        println!("{}", gotwin::INSTALL_HINT);
    }
    let _ = std::fs::remove_dir_all(&tmp);

    if let Err(e) = std::fs::create_dir_all(&opts.out) {
        eprintln!("cannot create {}: {e}", opts.out.display());
        return ExitCode::FAILURE;
    }
    let md_path = opts.out.join("latest.md");
    let svg_path = opts.out.join("latest.svg");
    if let Err(e) = std::fs::write(&md_path, &md) {
        eprintln!("cannot write {}: {e}", md_path.display());
        return ExitCode::FAILURE;
    }
    let subtitle = format!(
        "{} | {} | {} | {} | {}",
        machine.date, machine.cpu, machine.rustc, machine.go, machine.crossbeam
    );
    if let Err(e) = chart::draw(&svg_path, &rows, &subtitle) {
        eprintln!("cannot draw {}: {e}", svg_path.display());
        return ExitCode::FAILURE;
    }
    eprintln!(
        "wrote {} and {} in {elapsed:.0} s",
        md_path.display(),
        svg_path.display()
    );
    ExitCode::SUCCESS
}

/// Runs a measurement in a fresh copy of this program; its "name value" lines (none if it
/// failed).
fn run_child(mode: &str, size: usize) -> HashMap<String, f64> {
    let out = std::env::current_exe().and_then(|exe| {
        Command::new(exe)
            .args(["__child", mode, &size.to_string()])
            .output()
    });
    match out {
        Ok(out) if out.status.success() => {
            gotwin::parse_lines(&String::from_utf8_lossy(&out.stdout))
        }
        Ok(out) => {
            eprintln!(
                "child {mode} {size} failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            HashMap::new()
        }
        Err(e) => {
            eprintln!("child {mode} {size} did not start: {e}");
            HashMap::new()
        }
    }
}

/// `compare __child MODE SIZE`: the child side of [`run_child`].
fn child(args: &[String]) -> ExitCode {
    let (Some(mode), Some(size)) = (args.first(), args.get(1).and_then(|s| s.parse().ok())) else {
        return usage();
    };
    match suite::run_child(mode, size) {
        Some(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        None => usage(),
    }
}

/// A busy-loop process competing for a core while a `busy` row is measured: this program
/// re-run as `compare __busy`, killed by its process id when the row is done.
struct Neighbour(std::process::Child);

impl Neighbour {
    fn start() -> Option<Neighbour> {
        let exe = std::env::current_exe().ok()?;
        match Command::new(exe).arg("__busy").spawn() {
            Ok(c) => {
                // Let it get going before the row starts.
                std::thread::sleep(Duration::from_millis(20));
                Some(Neighbour(c))
            }
            Err(e) => {
                eprintln!("cannot start the busy neighbour: {e}");
                None
            }
        }
    }
}

impl Drop for Neighbour {
    fn drop(&mut self) {
        // `Child::kill` sends SIGKILL to this child's pid, and `wait` reaps it.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `compare __busy`: spins until killed, or until its parent is gone (so a `compare` that was
/// interrupted leaves no busy process behind).
fn busy_loop() -> ! {
    let parent = std::os::unix::process::parent_id();
    let mut x = 0u64;
    loop {
        for _ in 0..1u32 << 24 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        if std::os::unix::process::parent_id() != parent {
            std::process::exit(0);
        }
    }
}
