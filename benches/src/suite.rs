//! The table of workloads the compare command runs: for each, its Go twin, the gocsp
//! functions on goroutines and on threads, the crossbeam baseline, and the goal from
//! DESIGN.md section 5.

use std::time::Duration;

use crate::common::{self, BUFFER};
use crate::crossbeam_threads as cb;
use crate::gocsp_world::{self as g, SelectForm, World};

/// What a row's numbers mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Nanoseconds per operation (message, round trip, goroutine, hop, timer...).
    Ns,
    /// Microseconds per 1,000-node context tree.
    UsPerTree,
    /// Bytes of resident memory per blocked goroutine.
    Bytes,
}

impl Unit {
    /// The unit as printed in the table.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Ns => "ns/op",
            Unit::UsPerTree => "us/tree",
            Unit::Bytes => "bytes",
        }
    }
}

/// How one implementation of a workload is measured. Each call is one measured run, after
/// one unmeasured warm-up run (except in fresh child processes), as the Go twin does.
#[derive(Clone, Copy, Debug)]
pub enum Probe {
    /// A function of this crate run in this process; returns the row's value for `size`.
    Local {
        /// The workload size handed to `f`.
        size: usize,
        /// Runs the workload once and returns the value in the row's unit.
        f: fn(usize) -> f64,
    },
    /// This program re-run as a fresh child process: `compare __child MODE SIZE`, which
    /// prints "name value" lines as the Go twin does; `line` names the one to read.
    Child {
        /// A mode [`run_child`] knows.
        mode: &'static str,
        /// How many goroutines or threads.
        size: usize,
        /// The name at the start of the output line that holds the value.
        line: &'static str,
    },
    /// The Go twin, `gotwin WORKLOAD SIZE`; `line` names the output line to read.
    Go {
        /// The Go twin's workload name.
        workload: &'static str,
        /// The workload size.
        size: usize,
        /// The name at the start of the output line that holds the value.
        line: &'static str,
    },
}

/// What gocsp should achieve on a row (DESIGN.md section 5).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Goal {
    /// No target; the row is there for information.
    None,
    /// gocsp on goroutines at most this multiple of Go.
    TimesGo(f64),
    /// gocsp on goroutines at most crossbeam on threads.
    AtMostCrossbeam,
    /// At most this many bytes (absolute).
    AtMostBytes(f64),
    /// The main-to-goroutine rows: gocsp's main goroutine at most this multiple of Go, and
    /// gocsp's main thread at most crossbeam's thread-to-thread round trip.
    MainRoundTrip(f64),
}

impl Goal {
    /// The goal as printed in the table.
    pub fn label(self) -> String {
        match self {
            Goal::None => "—".to_string(),
            Goal::TimesGo(1.0) => "<= Go".to_string(),
            Goal::TimesGo(k) => format!("<= {k}x Go"),
            Goal::AtMostCrossbeam => "<= crossbeam".to_string(),
            Goal::AtMostBytes(b) => format!("<= {} KB", b / 1000.0),
            Goal::MainRoundTrip(k) => format!("<= {k}x Go; threads <= crossbeam"),
        }
    }

    /// `Some(true)` if met, `Some(false)` if missed, `None` if there is no goal or a number is
    /// missing. The arguments are the medians of the four columns, in table order.
    pub fn met(
        self,
        go: Option<f64>,
        gocsp: Option<f64>,
        threads: Option<f64>,
        crossbeam: Option<f64>,
    ) -> Option<bool> {
        let gocsp = gocsp?;
        match self {
            Goal::None => None,
            Goal::TimesGo(k) => Some(gocsp <= k * go?),
            Goal::AtMostCrossbeam => Some(gocsp <= crossbeam?),
            Goal::AtMostBytes(b) => Some(gocsp <= b),
            Goal::MainRoundTrip(k) => Some(gocsp <= k * go? && threads? <= crossbeam?),
        }
    }
}

/// One row of the comparison.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Short name, also the Go twin's subcommand family.
    pub key: &'static str,
    /// What the row measures, as printed.
    pub title: &'static str,
    /// The unit of every number in the row.
    pub unit: Unit,
    /// The Go twin.
    pub go: Option<Probe>,
    /// gocsp on goroutines.
    pub gocsp: Option<Probe>,
    /// gocsp's channels on OS threads.
    pub gocsp_threads: Option<Probe>,
    /// crossbeam-channel (or plain `std::thread`) on OS threads.
    pub crossbeam: Option<Probe>,
    /// The target.
    pub goal: Goal,
    /// A note on sizes that differ between columns.
    pub note: &'static str,
    /// Measured with one busy-loop process competing for a core (every column, Go's too).
    pub busy: bool,
}

fn per_op(d: Duration, ops: usize) -> f64 {
    d.as_nanos() as f64 / ops as f64
}

const fn local(size: usize, f: fn(usize) -> f64) -> Option<Probe> {
    Some(Probe::Local { size, f })
}

const fn go(workload: &'static str, size: usize) -> Option<Probe> {
    Some(Probe::Go {
        workload,
        size,
        line: workload,
    })
}

/// Sizes: the Go twin and gocsp-on-goroutines always run the same size.
pub mod sizes {
    /// Goroutines spawned by `spawn`.
    pub const SPAWN: usize = 100_000;
    /// Threads spawned by the thread-world `spawn`.
    pub const SPAWN_THREADS: usize = 2_000;
    /// Round trips of `pingpong`.
    pub const PING_PONG: usize = 200_000;
    /// Round trips of the thread-world `pingpong` (a thread wake-up costs microseconds).
    pub const PING_PONG_THREADS: usize = 10_000;
    /// Messages of the buffered workloads.
    pub const BUFFERED: usize = 2_000_000;
    /// Messages of `buf1` (a buffer of one: most sends block).
    pub const BUFFERED_SMALL: usize = 1_000_000;
    /// Messages of the thread-world `buf1`.
    pub const BUFFERED_SMALL_THREADS: usize = 100_000;
    /// Lock + unlock pairs of `mutex4`, read locks of `rwmutex4`.
    pub const LOCKS: usize = 1_000_000;
    /// Messages of `unbuf4x4`.
    pub const UNBUFFERED: usize = 200_000;
    /// Messages of the thread-world `unbuf4x4`.
    pub const UNBUFFERED_THREADS: usize = 40_000;
    /// Messages of `select4`.
    pub const SELECT4: usize = 1_000_000;
    /// Selects of `selectdefault`.
    pub const SELECT_DEFAULT: usize = 10_000_000;
    /// Selects of `selectdefault` through the allocating builder.
    pub const SELECT_DEFAULT_BUILDER: usize = 2_000_000;
    /// Trees of `context`.
    pub const CONTEXT_TREES: usize = 100;
    /// Timers of `timers`.
    pub const TIMERS: usize = 10_000;
    /// Goroutines of `sleepers`, each sleeping `gocsp_world::SLEEPS` times.
    pub const SLEEPERS: usize = 10_000;
    /// Goroutines of `tickers`, each receiving `gocsp_world::TICKS` ticks.
    pub const TICKERS: usize = 5_000;
    /// Resets of `timer-reset`.
    pub const TIMER_RESETS: usize = 200_000;
    /// Resets of `timer-pushback`.
    pub const TIMER_PUSHBACKS: usize = 1_000_000;
    /// Primes of `sieve`.
    pub const SIEVE: usize = 5_000;
    /// Primes of the thread-world `sieve` (one thread per filter).
    pub const SIEVE_THREADS: usize = 200;
    /// Messages of `broadcast`, each sent to every subscriber.
    pub const BROADCAST: usize = 10_000;
    /// Subscribers of `broadcast`.
    pub const SUBSCRIBERS: usize = 100;
    /// Goroutines in the chain of `whispers`.
    pub const WHISPERS: usize = 100_000;
    /// Round trips of `main` (main goroutine) and of Go's twin.
    pub const MAIN_ROUND_TRIP: usize = 100_000;
    /// Round trips of `main` from the main thread (a thread wake-up may cost microseconds).
    pub const MAIN_ROUND_TRIP_THREAD: usize = 20_000;
    /// Goroutines of `blocked`.
    pub const BLOCKED: usize = 10_000;
    /// Threads of the thread-world `blocked`.
    pub const BLOCKED_THREADS: usize = 1_000;
}

/// Every workload, in table order.
pub fn workloads() -> Vec<Workload> {
    use sizes::*;
    const GR: World = World::Goroutines;
    const TH: World = World::Threads;
    vec![
        Workload {
            key: "spawn",
            title: "spawn + finish, 100k goroutines",
            unit: Unit::Ns,
            go: go("spawn", SPAWN),
            gocsp: local(SPAWN, |n| per_op(g::spawn(GR, n), n)),
            gocsp_threads: local(SPAWN_THREADS, |n| per_op(g::spawn(TH, n), n)),
            crossbeam: local(SPAWN_THREADS, |n| per_op(cb::spawn(n), n)),
            goal: Goal::TimesGo(0.5),
            note: "threads: 2,000 std threads",
            busy: false,
        },
        Workload {
            key: "pingpong",
            title: "unbuffered ping-pong round trip",
            unit: Unit::Ns,
            go: go("pingpong", PING_PONG),
            gocsp: local(PING_PONG, |n| per_op(g::ping_pong(GR, n), n)),
            gocsp_threads: local(PING_PONG_THREADS, |n| per_op(g::ping_pong(TH, n), n)),
            crossbeam: local(PING_PONG_THREADS, |n| per_op(cb::ping_pong(n), n)),
            goal: Goal::TimesGo(0.5),
            note: "threads: 10k round trips",
            busy: false,
        },
        Workload {
            key: "main",
            title: "main <-> goroutine round trip",
            unit: Unit::Ns,
            go: go("main", MAIN_ROUND_TRIP),
            gocsp: local(MAIN_ROUND_TRIP, |n| per_op(g::main_round_trip(GR, n), n)),
            gocsp_threads: local(MAIN_ROUND_TRIP_THREAD, |n| {
                per_op(g::main_round_trip(TH, n), n)
            }),
            crossbeam: local(MAIN_ROUND_TRIP_THREAD, |n| per_op(cb::ping_pong(n), n)),
            goal: Goal::MainRoundTrip(0.5),
            note: "gocsp: main goroutine; gocsp (threads): main thread, echo goroutine; crossbeam: two threads, 20k",
            busy: false,
        },
        Workload {
            key: "main-busy",
            title: "main <-> goroutine round trip, busy neighbour",
            unit: Unit::Ns,
            go: go("main", MAIN_ROUND_TRIP),
            gocsp: local(MAIN_ROUND_TRIP, |n| per_op(g::main_round_trip(GR, n), n)),
            gocsp_threads: local(MAIN_ROUND_TRIP_THREAD, |n| {
                per_op(g::main_round_trip(TH, n), n)
            }),
            crossbeam: local(MAIN_ROUND_TRIP_THREAD, |n| per_op(cb::ping_pong(n), n)),
            goal: Goal::MainRoundTrip(0.5),
            note: "one busy-loop process competes for a core in every column",
            busy: true,
        },
        Workload {
            key: "buf1x1",
            title: "buffered cap 1024, 1 producer 1 consumer",
            unit: Unit::Ns,
            go: go("buf1x1", BUFFERED),
            gocsp: local(BUFFERED, |n| per_op(g::mpmc(GR, 1, 1, BUFFER, n), n)),
            gocsp_threads: local(BUFFERED, |n| per_op(g::mpmc(TH, 1, 1, BUFFER, n), n)),
            crossbeam: local(BUFFERED, |n| per_op(cb::mpmc(1, 1, BUFFER, n), n)),
            goal: Goal::AtMostCrossbeam,
            note: "",
            busy: false,
        },
        Workload {
            key: "buf4x4",
            title: "buffered cap 1024, 4 producers 4 consumers",
            unit: Unit::Ns,
            go: go("buf4x4", BUFFERED),
            gocsp: local(BUFFERED, |n| per_op(g::mpmc(GR, 4, 4, BUFFER, n), n)),
            gocsp_threads: local(BUFFERED, |n| per_op(g::mpmc(TH, 4, 4, BUFFER, n), n)),
            crossbeam: local(BUFFERED, |n| per_op(cb::mpmc(4, 4, BUFFER, n), n)),
            goal: Goal::AtMostCrossbeam,
            note: "",
            busy: false,
        },
        Workload {
            key: "buf1",
            title: "buffered cap 1, 1 producer 1 consumer",
            unit: Unit::Ns,
            go: go("buf1", BUFFERED_SMALL),
            gocsp: local(BUFFERED_SMALL, |n| per_op(g::mpmc(GR, 1, 1, 1, n), n)),
            gocsp_threads: local(BUFFERED_SMALL_THREADS, |n| {
                per_op(g::mpmc(TH, 1, 1, 1, n), n)
            }),
            crossbeam: local(BUFFERED_SMALL_THREADS, |n| per_op(cb::mpmc(1, 1, 1, n), n)),
            goal: Goal::TimesGo(1.0),
            note: "every send into a full buffer blocks until the receive completes it; threads: 100k messages",
            busy: false,
        },
        Workload {
            key: "mutex4",
            title: "sync.Mutex, 4 goroutines contending",
            unit: Unit::Ns,
            go: go("mutex4", LOCKS),
            gocsp: local(LOCKS, |n| per_op(g::mutex4(GR, n), n)),
            gocsp_threads: local(LOCKS, |n| per_op(g::mutex4(TH, n), n)),
            crossbeam: None,
            goal: Goal::TimesGo(1.0),
            note: "ns per lock + unlock; threads: the same gocsp Mutex from 4 threads",
            busy: false,
        },
        Workload {
            key: "rwmutex4",
            title: "sync.RWMutex, 4 readers and a writer",
            unit: Unit::Ns,
            go: go("rwmutex4", LOCKS),
            gocsp: local(LOCKS, |n| per_op(g::rwmutex4(GR, n), n)),
            gocsp_threads: local(LOCKS, |n| per_op(g::rwmutex4(TH, n), n)),
            crossbeam: None,
            goal: Goal::TimesGo(1.0),
            note: "ns per read lock + unlock; the writer takes it once per 100 reads",
            busy: false,
        },
        Workload {
            key: "waitgroup4",
            title: "sync.WaitGroup add + done, 4 goroutines",
            unit: Unit::Ns,
            go: go("waitgroup4", LOCKS),
            gocsp: local(LOCKS, |n| per_op(g::waitgroup4(GR, n), n)),
            gocsp_threads: local(LOCKS, |n| per_op(g::waitgroup4(TH, n), n)),
            crossbeam: None,
            goal: Goal::TimesGo(1.0),
            note: "ns per add + done pair on one shared WaitGroup",
            busy: false,
        },
        Workload {
            key: "unbuf4x4",
            title: "unbuffered, 4 producers 4 consumers",
            unit: Unit::Ns,
            go: go("unbuf4x4", UNBUFFERED),
            gocsp: local(UNBUFFERED, |n| per_op(g::mpmc(GR, 4, 4, 0, n), n)),
            gocsp_threads: local(UNBUFFERED_THREADS, |n| per_op(g::mpmc(TH, 4, 4, 0, n), n)),
            crossbeam: local(UNBUFFERED_THREADS, |n| per_op(cb::mpmc(4, 4, 0, n), n)),
            goal: Goal::TimesGo(0.5),
            note: "threads: 40k messages",
            busy: false,
        },
        Workload {
            key: "select4",
            title: "select over 4 busy channels (select! form)",
            unit: Unit::Ns,
            go: go("select4", SELECT4),
            gocsp: local(SELECT4, |n| {
                per_op(g::select4(GR, SelectForm::Static, n), n)
            }),
            gocsp_threads: local(SELECT4, |n| {
                per_op(g::select4(TH, SelectForm::Static, n), n)
            }),
            crossbeam: local(SELECT4, |n| per_op(cb::select4(n), n)),
            goal: Goal::TimesGo(0.5),
            note: "cap 1024 each",
            busy: false,
        },
        Workload {
            key: "select4-busy",
            title: "select over 4 busy channels, busy neighbour",
            unit: Unit::Ns,
            go: go("select4", SELECT4),
            gocsp: local(SELECT4, |n| {
                per_op(g::select4(GR, SelectForm::Static, n), n)
            }),
            gocsp_threads: local(SELECT4, |n| {
                per_op(g::select4(TH, SelectForm::Static, n), n)
            }),
            crossbeam: local(SELECT4, |n| per_op(cb::select4(n), n)),
            goal: Goal::TimesGo(0.5),
            note: "",
            busy: true,
        },
        Workload {
            key: "select4-builder",
            title: "select over 4 busy channels (Select builder)",
            unit: Unit::Ns,
            go: go("select4", SELECT4),
            gocsp: local(SELECT4, |n| {
                per_op(g::select4(GR, SelectForm::Builder, n), n)
            }),
            gocsp_threads: None,
            crossbeam: None,
            goal: Goal::TimesGo(0.5),
            note: "",
            busy: false,
        },
        Workload {
            key: "selectdefault",
            title: "select with default, 1 empty channel (select! form)",
            unit: Unit::Ns,
            go: go("selectdefault", SELECT_DEFAULT),
            gocsp: local(SELECT_DEFAULT, |n| {
                per_op(g::select_default(GR, SelectForm::Static, n), n)
            }),
            gocsp_threads: local(SELECT_DEFAULT, |n| {
                per_op(g::select_default(TH, SelectForm::Static, n), n)
            }),
            crossbeam: local(SELECT_DEFAULT, |n| per_op(cb::select_default(n), n)),
            goal: Goal::TimesGo(1.0),
            note: "",
            busy: false,
        },
        Workload {
            key: "selectdefault-builder",
            title: "select with default, 1 empty channel (Select builder)",
            unit: Unit::Ns,
            go: go("selectdefault", SELECT_DEFAULT),
            gocsp: local(SELECT_DEFAULT_BUILDER, |n| {
                per_op(g::select_default(GR, SelectForm::Builder, n), n)
            }),
            gocsp_threads: None,
            crossbeam: None,
            goal: Goal::TimesGo(1.0),
            note: "gocsp: 2M selects",
            busy: false,
        },
        Workload {
            key: "context",
            title: "context: 1,000-node tree, create + cancel + observe",
            unit: Unit::UsPerTree,
            go: go("context", CONTEXT_TREES),
            gocsp: local(CONTEXT_TREES, |n| {
                g::context_tree(GR, n).as_nanos() as f64 / n as f64 / 1000.0
            }),
            gocsp_threads: None,
            crossbeam: None,
            goal: Goal::None,
            note: "",
            busy: false,
        },
        Workload {
            key: "timers",
            title: "10,000 timers (after, random deadlines < 1 ms)",
            unit: Unit::Ns,
            go: go("timers", TIMERS),
            gocsp: local(TIMERS, |n| per_op(g::timers(GR, n), n)),
            gocsp_threads: local(TIMERS, |n| per_op(g::timers(TH, n), n)),
            crossbeam: local(TIMERS, |n| per_op(cb::timers(n), n)),
            goal: Goal::None,
            note: "",
            busy: false,
        },
        Workload {
            key: "sleepers",
            title: "10,000 goroutines, each sleeping 1 ms 20 times (ns per sleep)",
            unit: Unit::Ns,
            go: go("sleepers", SLEEPERS),
            gocsp: local(SLEEPERS, |n| per_op(g::sleepers(n), n * g::SLEEPS)),
            gocsp_threads: None,
            crossbeam: None,
            goal: Goal::None,
            note: "a timer heap per worker, as Go keeps one per P",
            busy: false,
        },
        Workload {
            key: "tickers",
            title: "5,000 goroutines, each receiving 50 ticks of a 1 ms ticker (ns per tick)",
            unit: Unit::Ns,
            go: go("tickers", TICKERS),
            gocsp: local(TICKERS, |n| per_op(g::tickers(n), n * g::TICKS)),
            gocsp_threads: None,
            crossbeam: None,
            goal: Goal::None,
            note: "a tick costs a worker about twice what it costs Go, and the workers fall behind",
            busy: false,
        },
        Workload {
            key: "timer-reset",
            title: "timer stop + reset, 200k times",
            unit: Unit::Ns,
            go: go("timer-reset", TIMER_RESETS),
            gocsp: local(TIMER_RESETS, |n| per_op(g::timer_reset(GR, n), n)),
            gocsp_threads: local(TIMER_RESETS, |n| per_op(g::timer_reset(TH, n), n)),
            crossbeam: None,
            goal: Goal::TimesGo(1.0),
            note: "one timer, pushed back on every round like an idle timeout",
            busy: false,
        },
        Workload {
            key: "timer-pushback",
            title: "timer reset while pending (no stop), 1M times",
            unit: Unit::Ns,
            go: go("timer-pushback", TIMER_PUSHBACKS),
            gocsp: local(TIMER_PUSHBACKS, |n| per_op(g::timer_pushback(GR, n), n)),
            gocsp_threads: local(TIMER_PUSHBACKS, |n| per_op(g::timer_pushback(TH, n), n)),
            crossbeam: None,
            goal: Goal::TimesGo(1.0),
            note: "Go 1.23's idiom for an idle timeout: Reset without Stop",
            busy: false,
        },
        Workload {
            key: "sieve",
            title: "prime sieve to 5,000 primes (ns/hop)",
            unit: Unit::Ns,
            go: go("sieve", SIEVE),
            gocsp: local(SIEVE, |n| {
                per_op(g::sieve(GR, n), common::sieve_hops(n) as usize)
            }),
            gocsp_threads: local(SIEVE_THREADS, |n| {
                per_op(g::sieve(TH, n), common::sieve_hops(n) as usize)
            }),
            crossbeam: local(SIEVE_THREADS, |n| {
                per_op(cb::sieve(n), common::sieve_hops(n) as usize)
            }),
            goal: Goal::TimesGo(0.5),
            note: "threads: 200 primes",
            busy: false,
        },
        Workload {
            key: "broadcast",
            title: "publisher to 100 subscribers (cap 16 each), first run in a fresh process",
            unit: Unit::Ns,
            go: Some(Probe::Go {
                workload: "broadcast-first",
                size: BROADCAST,
                line: "broadcast_first",
            }),
            gocsp: Some(Probe::Child {
                mode: "gocsp-broadcast",
                size: BROADCAST,
                line: "broadcast_first",
            }),
            gocsp_threads: None,
            crossbeam: None,
            goal: Goal::TimesGo(1.0),
            note: "ns per message per subscriber (1M sends)",
            busy: false,
        },
        Workload {
            key: "broadcast-warm",
            title: "publisher to 100 subscribers (cap 16 each), warm",
            unit: Unit::Ns,
            go: go("broadcast", BROADCAST),
            gocsp: local(BROADCAST, |n| {
                per_op(g::broadcast(SUBSCRIBERS, n), n * SUBSCRIBERS)
            }),
            gocsp_threads: None,
            crossbeam: None,
            goal: Goal::TimesGo(1.0),
            note: "the same, after one unmeasured run in the same process",
            busy: false,
        },
        Workload {
            key: "whispers",
            title: "chain of 100k goroutines (whispers), first run in a fresh process",
            unit: Unit::Ns,
            go: Some(Probe::Go {
                workload: "whispers-first",
                size: WHISPERS,
                line: "whispers_first",
            }),
            gocsp: Some(Probe::Child {
                mode: "gocsp-whispers",
                size: WHISPERS,
                line: "whispers_first",
            }),
            gocsp_threads: None,
            crossbeam: None,
            goal: Goal::TimesGo(1.0),
            note: "ns per goroutine: spawn the chain, pass one message down it",
            busy: false,
        },
        Workload {
            key: "whispers-warm",
            title: "chain of 100k goroutines (whispers), warm",
            unit: Unit::Ns,
            go: go("whispers", WHISPERS),
            gocsp: local(WHISPERS, |n| per_op(g::whispers(n), n)),
            gocsp_threads: None,
            crossbeam: None,
            goal: Goal::TimesGo(1.0),
            note: "the same, after one unmeasured chain in the same process",
            busy: false,
        },
        Workload {
            key: "sieve-busy",
            title: "prime sieve to 5,000 primes (ns/hop), busy neighbour",
            unit: Unit::Ns,
            go: go("sieve", SIEVE),
            gocsp: local(SIEVE, |n| {
                per_op(g::sieve(GR, n), common::sieve_hops(n) as usize)
            }),
            gocsp_threads: local(SIEVE_THREADS, |n| {
                per_op(g::sieve(TH, n), common::sieve_hops(n) as usize)
            }),
            crossbeam: local(SIEVE_THREADS, |n| {
                per_op(cb::sieve(n), common::sieve_hops(n) as usize)
            }),
            goal: Goal::TimesGo(0.5),
            note: "",
            busy: true,
        },
    ]
    .into_iter()
    .chain(blocked_rows())
    .collect()
}

/// N blocked goroutines created, then released, for N = 10k, 100k and 1M: ns per goroutine
/// created, ns per goroutine released (closing the channel until every one ended), resident
/// bytes per blocked goroutine. Threads only at 10k (1,000 of them).
fn blocked_rows() -> Vec<Workload> {
    use sizes::*;
    let child = |mode, size, line| Some(Probe::Child { mode, size, line });
    let go_line = |size, line| {
        Some(Probe::Go {
            workload: "blocked",
            size,
            line,
        })
    };
    let mut rows = Vec::new();
    for (n, keys, titles) in [
        (
            BLOCKED,
            ["blocked-create", "blocked-release", "blocked-rss"],
            [
                "10k blocked goroutines: create each",
                "10k blocked goroutines: release each",
                "10k blocked goroutines: RSS each",
            ],
        ),
        (
            100_000,
            [
                "blocked-create-100k",
                "blocked-release-100k",
                "blocked-rss-100k",
            ],
            [
                "100k blocked goroutines: create each",
                "100k blocked goroutines: release each",
                "100k blocked goroutines: RSS each",
            ],
        ),
        (
            1_000_000,
            ["blocked-create-1m", "blocked-release-1m", "blocked-rss-1m"],
            [
                "1M blocked goroutines: create each",
                "1M blocked goroutines: release each",
                "1M blocked goroutines: RSS each",
            ],
        ),
    ] {
        let small = n == BLOCKED;
        for (i, line) in ["blocked_create", "blocked_release", "blocked_rss"]
            .into_iter()
            .enumerate()
        {
            let rss = line == "blocked_rss";
            let goal = match (line, small) {
                ("blocked_create", _) => Goal::TimesGo(1.0),
                ("blocked_rss", true) => Goal::AtMostBytes(8000.0),
                ("blocked_rss", false) => Goal::TimesGo(1.5),
                _ => Goal::None,
            };
            rows.push(Workload {
                key: keys[i],
                title: titles[i],
                unit: if rss { Unit::Bytes } else { Unit::Ns },
                go: go_line(n, line),
                gocsp: child("gocsp", n, line),
                gocsp_threads: if small {
                    child("gocsp-threads", BLOCKED_THREADS, line)
                } else {
                    None
                },
                crossbeam: if small {
                    child("crossbeam", BLOCKED_THREADS, line)
                } else {
                    None
                },
                goal,
                note: if small { "threads: 1,000" } else { "" },
                busy: false,
            });
        }
    }
    rows
}

/// The child side of [`Probe::Child`]: runs the workload `mode` names once, in this fresh
/// process, and returns the "name value" lines the parent reads (as the Go twin prints them).
pub fn run_child(mode: &str, size: usize) -> Option<String> {
    let b = match mode {
        "gocsp" => g::blocked(World::Goroutines, size),
        "gocsp-threads" => g::blocked(World::Threads, size),
        "crossbeam" => cb::blocked(size),
        "gocsp-broadcast" => {
            return Some(format!(
                "broadcast_first {:.3}",
                per_op(
                    g::broadcast(sizes::SUBSCRIBERS, size),
                    size * sizes::SUBSCRIBERS
                )
            ));
        }
        "gocsp-whispers" => {
            return Some(format!(
                "whispers_first {:.3}",
                per_op(g::whispers(size), size)
            ));
        }
        _ => return None,
    };
    Some(format!(
        "blocked_create {:.3}\nblocked_rss {:.3}\nblocked_release {:.3}",
        b.create_ns, b.rss_bytes, b.release_ns
    ))
}
