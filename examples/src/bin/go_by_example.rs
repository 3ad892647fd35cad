//! Go by Example's concurrency programs (<https://gobyexample.com>: Worker Pools, WaitGroups,
//! Rate Limiting, Timeouts, Non-Blocking Channel Operations, Closing Channels, Timers,
//! Tickers, Context, Stateful Goroutines), one function per program, written in `go_syntax!`
//! as close to the originals as Rust allows. `main` runs them in order and checks each one's
//! result.
//!
//! The originals' delays are scaled down so the whole program runs in well under a second;
//! each place says by how much. Stateful Goroutines runs last, because its 110 goroutines
//! run forever, as in Go, where `main` returning ends them. Every difference from the Go
//! source that remains, and why, is in the table of `examples/README.md`.
#![forbid(unsafe_code)]
#![allow(nonstandard_style)] // Go's names: `fmt::Println`, `readOp`, `numJobs`, `burstyLimiter`, ...

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use gocsp::prelude::*;

use gocsp_examples::fmt;

/// Go's `rand.Intn`: a small xorshift generator shared by all goroutines (no `rand`
/// dependency).
mod rand {
    use std::sync::atomic::{AtomicU32, Ordering};

    pub(crate) fn Intn(n: u32) -> u32 {
        static STATE: AtomicU32 = AtomicU32::new(0x2545_f491);
        let mut x = STATE.load(Ordering::Relaxed);
        loop {
            let mut y = x;
            y ^= y << 13;
            y ^= y >> 17;
            y ^= y << 5;
            match STATE.compare_exchange_weak(x, y, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return y % n,
                Err(now) => x = now,
            }
        }
    }
}

// ---- Worker Pools -------------------------------------------------------------------------

go_syntax! {
    // The original sleeps a second per job; here 2 ms.
    fn worker(id usize, jobs <-chan u32, results chan<- u32) {
        for j := range jobs {
            fmt::Println(format!("worker {id} started  job {j}"))
            time::sleep(2 * time::MILLISECOND)
            fmt::Println(format!("worker {id} finished job {j}"))
            results <- j * 2
        }
    }

    fn worker_pools() -> u32 {
        const numJobs: u32 = 5
        jobs := make(chan u32, numJobs)
        results := make(chan u32, numJobs)

        for w in 1..=3 {
            go worker(w, jobs, results)
        }

        for j in 1..=numJobs {
            jobs <- j
        }
        close(jobs)

        total := 0 // the original discards the results
        for _a in 1..=numJobs {
            total += <-results
        }
        total
    }
}

// ---- WaitGroups ---------------------------------------------------------------------------

go_syntax! {
    // The original sleeps a second to simulate an expensive task; here 2 ms.
    fn wg_worker(id usize) {
        fmt::Println(format!("Worker {id} starting"))
        time::sleep(2 * time::MILLISECOND)
        fmt::Println(format!("Worker {id} done"))
    }

    fn wait_groups() {
        wg := WaitGroup::new()

        for i in 1..=5 {
            wg.add(1)
            go func() {
                defer wg.done()
                wg_worker(i)
            }()
        }

        wg.wait()
    }
}

// ---- Rate Limiting ------------------------------------------------------------------------

go_syntax! {
    // The original's 200 ms between requests is 2 ms here. Returns how long each group of
    // five requests took (the original prints `time.Now()` for each).
    fn rate_limiting() -> (std::time::Duration, std::time::Duration) {
        start := time::now()
        requests := make(chan u32, 5)
        for i in 1..=5 {
            requests <- i
        }
        close(requests)

        limiter := time::tick(2 * time::MILLISECOND)

        for req := range requests {
            <-limiter
            fmt::Println(format!("request {req} {}", time::now()))
        }
        steady := time::since(start)

        start = time::now()
        burstyLimiter := make(chan time::Time, 3)

        for _i in 0..3 {
            burstyLimiter <- time::now()
        }

        go func() {
            for t := range time::tick(2 * time::MILLISECOND) {
                burstyLimiter <- t
            }
        }()

        burstyRequests := make(chan u32, 5)
        for i in 1..=5 {
            burstyRequests <- i
        }
        close(burstyRequests)
        for req := range burstyRequests {
            <-burstyLimiter
            fmt::Println(format!("request {req} {}", time::now()))
        }
        (steady, time::since(start))
    }
}

// ---- Timeouts -----------------------------------------------------------------------------

go_syntax! {
    // The original's work takes 2 s against timeouts of 1 s and 3 s. Here the work takes
    // 20 ms against timeouts of 2 ms and 1 s: wide margins, so that a busy machine cannot
    // swap the outcomes.
    fn timeouts() {
        c1 := make(chan &'static str, 1)
        go func() {
            time::sleep(20 * time::MILLISECOND)
            c1 <- "result 1"
        }()

        select {
        case res := <-c1:
            fmt::Println(res)
        case <-time::after(2 * time::MILLISECOND):
            fmt::Println("timeout 1")
        }

        c2 := make(chan &'static str, 1)
        go func() {
            time::sleep(20 * time::MILLISECOND)
            c2 <- "result 2"
        }()
        select {
        case res := <-c2:
            fmt::Println(res)
        case <-time::after(time::SECOND):
            fmt::Println("timeout 2")
        }
    }
}

// ---- Non-Blocking Channel Operations ------------------------------------------------------

go_syntax! {
    fn non_blocking_channel_operations() {
        messages := make(chan &'static str)
        signals := make(chan bool)

        select {
        case msg := <-messages:
            fmt::Println(format!("received message {msg}"))
        default:
            fmt::Println("no message received")
        }

        msg := "hi"
        select {
        case messages <- msg:
            fmt::Println(format!("sent message {msg}"))
        default:
            fmt::Println("no message sent")
        }

        select {
        case msg := <-messages:
            fmt::Println(format!("received message {msg}"))
        case sig := <-signals:
            fmt::Println(format!("received signal {sig}"))
        default:
            fmt::Println("no activity")
        }
    }
}

// ---- Closing Channels ---------------------------------------------------------------------

go_syntax! {
    fn closing_channels() {
        jobs := make(chan u32, 5)
        done := make(chan bool)

        go func() {
            for {
                j, more := <-jobs
                if more {
                    fmt::Println(format!("received job {j}"))
                } else {
                    fmt::Println("received all jobs")
                    done <- true
                    return
                }
            }
        }()

        for j in 1..=3 {
            jobs <- j
            fmt::Println(format!("sent job {j}"))
        }
        close(jobs)
        fmt::Println("sent all jobs")

        <-done

        _, ok := <-jobs
        fmt::Println(format!("received more jobs: {ok}"))
    }
}

// ---- Timers -------------------------------------------------------------------------------

go_syntax! {
    // A second of the original is 50 ms here: timer 1 waits 100 ms, timer 2 would fire after
    // 50 ms, and the function then waits 100 ms to show that it does not.
    fn timers() {
        timer1 := time::Timer::new(100 * time::MILLISECOND)

        <-timer1.c()
        fmt::Println("Timer 1 fired")

        timer2 := time::Timer::new(50 * time::MILLISECOND)
        go func() {
            <-timer2.c()
            fmt::Println("Timer 2 fired")
        }()
        stop2 := timer2.stop()
        if stop2 {
            fmt::Println("Timer 2 stopped")
        }

        time::sleep(100 * time::MILLISECOND)
    }
}

// ---- Tickers ------------------------------------------------------------------------------

go_syntax! {
    // The original ticks every 500 ms for 1600 ms; here every 5 ms for 16 ms. Returns how
    // long the ticker ran.
    fn tickers() -> std::time::Duration {
        start := time::now()
        ticker := time::Ticker::new(5 * time::MILLISECOND)
        done := make(chan bool)

        go func() {
            for {
                select {
                case <-done:
                    return
                case t := <-ticker.c():
                    fmt::Println(format!("Tick at {t}"))
                }
            }
        }()

        time::sleep(16 * time::MILLISECOND)
        ticker.stop()
        ran := time::since(start)
        done <- true
        fmt::Println("Ticker stopped")
        ran
    }
}

// ---- Context ------------------------------------------------------------------------------

go_syntax! {
    // The original is an HTTP server whose handler works for 10 s unless the client goes
    // away (Ctrl+C cancels the request's context). Here the handler takes the request's
    // context and a response channel, and works for 100 ms; `main` plays two clients, one
    // that gives up after 5 ms (a context with that timeout) and one that waits.
    fn hello(ctx Context, w chan<- String) {
        fmt::Println("server: hello handler started")
        defer fmt::Println("server: hello handler ended")

        select {
        case <-time::after(100 * time::MILLISECOND):
            w <- "hello\n".to_string()
        case <-ctx.done():
            err := ctx.err().expect("done is closed, so err is set")
            fmt::Println(format!("server: {err}"))
            w <- format!("500 Internal Server Error: {err}\n")
        }
    }

    fn context_example(clientTimeout std::time::Duration) {
        ctx, cancel := context::with_timeout(&context::background(), clientTimeout)
        defer cancel()
        w := make(chan String, 1)
        go func() {
            hello(ctx, w)
            close(w) // the server ends the response when the handler returns
        }()
        response := <-w
        fmt::Println(format!("client: {}", response.trim_end()))
        <-w // the end of the response
    }
}

// ---- Stateful Goroutines ------------------------------------------------------------------

#[derive(Debug, Default, Clone)]
struct readOp {
    key: u32,
    resp: Chan<u32>,
}

#[derive(Debug, Default, Clone)]
struct writeOp {
    key: u32,
    val: u32,
    resp: Chan<bool>,
}

go_syntax! {
    // The original measures for a second; here 20 ms. Its goroutines sleep a millisecond
    // between operations, as here.
    fn stateful_goroutines() -> (u64, u64) {
        readOps := Arc::new(AtomicU64::new(0))
        writeOps := Arc::new(AtomicU64::new(0))

        reads := make(chan readOp)
        writes := make(chan writeOp)

        go func() {
            state := HashMap::<u32, u32>::new()
            for {
                select {
                case read := <-reads:
                    read.resp <- state.get(&read.key).copied().unwrap_or_default()
                case write := <-writes:
                    state.insert(write.key, write.val)
                    write.resp <- true
                }
            }
        }()

        for _r in 0..100 {
            go func() {
                for {
                    read := readOp { key: rand::Intn(5), resp: make(chan u32) }
                    reads <- read.clone()
                    <-read.resp
                    readOps.fetch_add(1, Ordering::SeqCst)
                    time::sleep(time::MILLISECOND)
                }
            }()
        }

        for _w in 0..10 {
            go func() {
                for {
                    write := writeOp { key: rand::Intn(5), val: rand::Intn(100), resp: make(chan bool) }
                    writes <- write.clone()
                    <-write.resp
                    writeOps.fetch_add(1, Ordering::SeqCst)
                    time::sleep(time::MILLISECOND)
                }
            }()
        }

        time::sleep(20 * time::MILLISECOND)

        readOpsFinal := readOps.load(Ordering::SeqCst)
        fmt::Println(format!("readOps: {readOpsFinal}"))
        writeOpsFinal := writeOps.load(Ordering::SeqCst)
        fmt::Println(format!("writeOps: {writeOpsFinal}"))
        (readOpsFinal, writeOpsFinal)
    }
}

fn section(title: &str) {
    println!("== {title} ==");
}

/// The lines printed since the last call, sorted (for goroutines that print in any order).
fn sorted() -> Vec<String> {
    let mut lines = fmt::take();
    lines.sort();
    lines
}

#[gocsp::main]
fn main() {
    section("Worker Pools");
    assert_eq!(worker_pools(), 2 * (1 + 2 + 3 + 4 + 5));
    let lines = fmt::take();
    for j in 1..=5 {
        let started = lines
            .iter()
            .filter(|l| l.ends_with(&format!("started  job {j}")));
        let finished = lines
            .iter()
            .filter(|l| l.ends_with(&format!("finished job {j}")));
        assert_eq!((started.count(), finished.count()), (1, 1), "{lines:?}");
    }
    println!("  ok: 3 workers did 5 jobs, each once, doubling each: 30 in all");

    section("WaitGroups");
    wait_groups();
    let mut expected: Vec<String> = (1..=5)
        .flat_map(|i| [format!("Worker {i} done"), format!("Worker {i} starting")])
        .collect();
    expected.sort();
    assert_eq!(sorted(), expected);
    println!("  ok: wg.wait() returned after all 5 workers were done");

    section("Rate Limiting");
    let (steady, bursty) = rate_limiting();
    assert_eq!(fmt::take().len(), 10);
    assert!(
        steady >= 10 * time::MILLISECOND,
        "5 ticks of 2 ms: {steady:?}"
    );
    assert!(
        bursty >= 4 * time::MILLISECOND,
        "2 ticks of 2 ms: {bursty:?}"
    );
    println!(
        "  ok: one request per tick ({steady:?}); then a burst of 3 and 2 on ticks ({bursty:?})"
    );

    section("Timeouts");
    timeouts();
    assert_eq!(fmt::take(), ["timeout 1", "result 2"]);
    println!("  ok: the first select timed out, the second got its result");

    section("Non-Blocking Channel Operations");
    non_blocking_channel_operations();
    assert_eq!(
        fmt::take(),
        ["no message received", "no message sent", "no activity"]
    );
    println!("  ok: each select took its default case");

    section("Closing Channels");
    closing_channels();
    let lines = fmt::take();
    let received: Vec<&String> = lines.iter().filter(|l| l.starts_with("received")).collect();
    assert_eq!(
        received,
        [
            "received job 1",
            "received job 2",
            "received job 3",
            "received all jobs",
            "received more jobs: false"
        ]
    );
    println!("  ok: the worker saw 3 jobs, then more = false; so did main's last receive");

    section("Timers");
    timers();
    assert_eq!(fmt::take(), ["Timer 1 fired", "Timer 2 stopped"]);
    println!("  ok: timer 1 fired, timer 2 was stopped and never fired");

    section("Tickers");
    let ran = tickers();
    let lines = fmt::take();
    let ticks = lines.iter().filter(|l| l.starts_with("Tick at ")).count();
    assert!(
        ticks as u128 <= ran.as_millis() / 5,
        "{ticks} ticks of 5 ms in {ran:?}"
    );
    assert_eq!(lines.last().map(String::as_str), Some("Ticker stopped"));
    println!("  ok: {ticks} ticks in {ran:?}, then the ticker stopped");

    section("Context");
    // The client's line and the handler's deferred one race, so they are compared sorted.
    context_example(5 * time::MILLISECOND);
    let lines = fmt::take();
    assert_eq!(
        lines[..2],
        [
            "server: hello handler started",
            "server: context deadline exceeded"
        ]
    );
    assert_eq!(
        sorted_copy(&lines[2..]),
        [
            "client: 500 Internal Server Error: context deadline exceeded",
            "server: hello handler ended",
        ]
    );
    context_example(time::SECOND);
    let lines = fmt::take();
    assert_eq!(lines[0], "server: hello handler started");
    assert_eq!(
        sorted_copy(&lines[1..]),
        ["client: hello", "server: hello handler ended"]
    );
    println!("  ok: the handler stopped when its client gave up, and answered one that waited");

    section("Stateful Goroutines");
    let (reads, writes) = stateful_goroutines();
    assert_eq!(
        fmt::take(),
        [format!("readOps: {reads}"), format!("writeOps: {writes}")]
    );
    assert!(reads > 0 && writes > 0, "reads {reads}, writes {writes}");
    println!(
        "  ok: one goroutine owned the state; {reads} reads and {writes} writes went through it"
    );

    println!("ok: every Go by Example concurrency program behaved as in Go");
}

fn sorted_copy(lines: &[String]) -> Vec<String> {
    let mut v = lines.to_vec();
    v.sort();
    v
}
