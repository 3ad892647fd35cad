//! `instructions WORKLOAD N`: runs one gocsp workload once at size `N` and prints how many
//! operations that was. `benches/instructions.sh` runs it under valgrind's cachegrind at two
//! sizes and prints the instructions per operation, the difference of the two counts over the
//! difference of the operations: the runtime's start and the workload's setup cancel out.
//!
//! A count, not a time: it is exact on a shared, noisy machine, and it shows what timings there
//! cannot, that the compiler's inlining on a hot path moved (see ARCHITECTURE.md, "spawn → run
//! → park → wake"). `instructions --list` names the workloads.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use gocsp_benches::common::sieve_hops;
use gocsp_benches::gocsp_world::{self as g, SelectForm, World};

/// Name, what one operation is, and the workload: runs it at size `n`, returns its operations.
type Workload = (&'static str, &'static str, fn(usize) -> u64);

const WORKLOADS: &[Workload] = &[
    ("pingpong", "round trip", |n| {
        g::ping_pong(World::Goroutines, n);
        n as u64
    }),
    ("spawn", "spawn + finish", |n| {
        g::spawn(World::Goroutines, n);
        n as u64
    }),
    ("unbuf4x4", "message", |n| {
        g::mpmc(World::Goroutines, 4, 4, 0, n);
        n as u64
    }),
    ("buf1", "message", |n| {
        g::mpmc(World::Goroutines, 1, 1, 1, n);
        n as u64
    }),
    ("select4", "select", |n| {
        g::select4(World::Goroutines, SelectForm::Static, n);
        n as u64
    }),
    ("select4-builder", "select", |n| {
        g::select4(World::Goroutines, SelectForm::Builder, n);
        n as u64
    }),
    ("timer-reset", "stop + reset", |n| {
        g::timer_reset(World::Goroutines, n);
        n as u64
    }),
    ("sieve", "hop", |n| {
        g::sieve(World::Goroutines, n);
        sieve_hops(n)
    }),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--list") {
        for (name, op, _) in WORKLOADS {
            println!("{name}\t{op}");
        }
        return ExitCode::SUCCESS;
    }
    let (Some(name), Some(Ok(n))) = (args.first(), args.get(1).map(|s| s.parse::<usize>())) else {
        eprintln!("usage: instructions WORKLOAD N | instructions --list");
        return ExitCode::from(2);
    };
    let Some((_, op, run)) = WORKLOADS.iter().find(|(w, _, _)| w == name) else {
        eprintln!("no workload {name:?} (instructions --list names them)");
        return ExitCode::from(2);
    };
    println!("ops {} {op}", run(n));
    ExitCode::SUCCESS
}
