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

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use gocsp::prelude::*;

/// What the programs print, kept so each can check it.
type Log = Arc<sync::Mutex<Vec<String>>>;

/// Prints `line` and keeps it in `log`.
fn say(log: &Log, line: String) {
    println!("{line}");
    log.lock().push(line);
}

/// `rand.Intn(n)`: a small xorshift generator shared by all goroutines (no `rand` dependency).
fn rand_intn(n: u32) -> u32 {
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

// ---- Worker Pools -------------------------------------------------------------------------

go_syntax! {
    // The original sleeps a second per job; here 2 ms.
    fn worker(id usize, jobs <-chan u32, results chan<- u32) {
        for j := range jobs {
            println!("worker {id} started  job {j}")
            time::sleep(2 * time::MILLISECOND)
            println!("worker {id} finished job {j}")
            results <- j * 2
        }
    }

    fn worker_pools() -> u32 {
        const NUM_JOBS: u32 = 5
        jobs := make(chan u32, NUM_JOBS)
        results := make(chan u32, NUM_JOBS)

        for w in 1..=3 {
            go worker(w, jobs, results)
        }

        for j in 1..=NUM_JOBS {
            jobs <- j
        }
        close(jobs)

        total := 0
        for _a in 1..=NUM_JOBS {
            total += <-results
        }
        total
    }
}

// ---- WaitGroups ---------------------------------------------------------------------------

go_syntax! {
    // The original sleeps a second to simulate an expensive task; here 2 ms.
    fn wg_worker(id usize, log Log) {
        println!("Worker {id} starting")
        time::sleep(2 * time::MILLISECOND)
        say(&log, format!("Worker {id} done"))
    }

    fn wait_groups() -> Vec<String> {
        log := Arc::new(sync::Mutex::new(Vec::new()))
        wg := WaitGroup::new()

        for i in 1..=5 {
            wg.add(1)
            go func() {
                defer wg.done()
                wg_worker(i, log.clone())
            }()
        }

        wg.wait()
        done := log.lock().clone()
        done
    }
}

// ---- Rate Limiting ------------------------------------------------------------------------

go_syntax! {
    // The original's 200 ms between requests is 2 ms here. Returns how long each group of
    // five requests took.
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
            println!("request {req} {}", time::now())
        }
        steady := time::since(start)

        start = time::now()
        bursty_limiter := make(chan time::Time, 3)

        for _i in 0..3 {
            bursty_limiter <- time::now()
        }

        go func() {
            for t := range time::tick(2 * time::MILLISECOND) {
                bursty_limiter <- t
            }
        }()

        bursty_requests := make(chan u32, 5)
        for i in 1..=5 {
            bursty_requests <- i
        }
        close(bursty_requests)
        for req := range bursty_requests {
            <-bursty_limiter
            println!("request {req} {}", time::now())
        }
        (steady, time::since(start))
    }
}

// ---- Timeouts -----------------------------------------------------------------------------

go_syntax! {
    // The original's work takes 2 s against timeouts of 1 s and 3 s. Here the work takes
    // 20 ms against timeouts of 2 ms and 1 s: wide margins, so a busy machine cannot swap the
    // outcomes.
    fn timeouts() -> (String, String) {
        c1 := make(chan &'static str, 1)
        go func() {
            time::sleep(20 * time::MILLISECOND)
            c1 <- "result 1"
        }()

        let first: &str
        select {
        case res := <-c1:
            first = res
        case <-time::after(2 * time::MILLISECOND):
            first = "timeout 1"
        }
        println!("{first}")

        c2 := make(chan &'static str, 1)
        go func() {
            time::sleep(20 * time::MILLISECOND)
            c2 <- "result 2"
        }()
        let second: &str
        select {
        case res := <-c2:
            second = res
        case <-time::after(time::SECOND):
            second = "timeout 2"
        }
        println!("{second}")
        (first.to_string(), second.to_string())
    }
}

// ---- Non-Blocking Channel Operations ------------------------------------------------------

go_syntax! {
    fn non_blocking_channel_operations() -> Vec<String> {
        log := Arc::new(sync::Mutex::new(Vec::new()))
        messages := make(chan &'static str)
        signals := make(chan bool)

        select {
        case msg := <-messages:
            say(&log, format!("received message {msg}"))
        default:
            say(&log, "no message received".to_string())
        }

        msg := "hi"
        select {
        case messages <- msg:
            say(&log, format!("sent message {msg}"))
        default:
            say(&log, "no message sent".to_string())
        }

        select {
        case msg := <-messages:
            say(&log, format!("received message {msg}"))
        case sig := <-signals:
            say(&log, format!("received signal {sig}"))
        default:
            say(&log, "no activity".to_string())
        }
        got := log.lock().clone()
        got
    }
}

// ---- Closing Channels ---------------------------------------------------------------------

go_syntax! {
    fn closing_channels() -> (Vec<String>, bool) {
        log := Arc::new(sync::Mutex::new(Vec::new()))
        jobs := make(chan u32, 5)
        done := make(chan bool)

        go func() {
            for {
                j, more := <-jobs
                if more {
                    say(&log, format!("received job {j}"))
                } else {
                    say(&log, "received all jobs".to_string())
                    done <- true
                    return
                }
            }
        }()

        for j in 1..=3 {
            jobs <- j
            println!("sent job {j}")
        }
        close(jobs)
        println!("sent all jobs")

        <-done

        _v, ok := <-jobs
        println!("received more jobs: {ok}")
        got := log.lock().clone()
        (got, ok)
    }
}

// ---- Timers -------------------------------------------------------------------------------

go_syntax! {
    // A second of the original is 50 ms here: timer 1 waits 100 ms, timer 2 would fire after
    // 50 ms, and main then waits 100 ms to show that it does not.
    fn timers() -> (bool, Vec<String>) {
        log := Arc::new(sync::Mutex::new(Vec::new()))
        timer1 := time::Timer::new(100 * time::MILLISECOND)

        <-timer1.c()
        say(&log, "Timer 1 fired".to_string())

        timer2 := time::Timer::new(50 * time::MILLISECOND)
        go func() {
            <-timer2.c()
            say(&log, "Timer 2 fired".to_string())
        }()
        stop2 := timer2.stop()
        if stop2 {
            say(&log, "Timer 2 stopped".to_string())
        }

        time::sleep(100 * time::MILLISECOND)
        got := log.lock().clone()
        (stop2, got)
    }
}

// ---- Tickers ------------------------------------------------------------------------------

go_syntax! {
    // The original ticks every 500 ms for 1600 ms; here every 5 ms for 16 ms. Returns the
    // number of ticks seen and how long the ticker ran.
    fn tickers() -> (u32, std::time::Duration) {
        start := time::now()
        ticker := time::Ticker::new(5 * time::MILLISECOND)
        done := make(chan bool)
        ticks := Arc::new(AtomicU32::new(0))

        go func() {
            for {
                select {
                case <-done:
                    return
                case t := <-ticker.c():
                    println!("Tick at {t}")
                    ticks.fetch_add(1, Ordering::SeqCst)
                }
            }
        }()

        time::sleep(16 * time::MILLISECOND)
        ticker.stop()
        ran := time::since(start)
        done <- true
        println!("Ticker stopped")
        (ticks.load(Ordering::SeqCst), ran)
    }
}

// ---- Context ------------------------------------------------------------------------------

go_syntax! {
    // The original is an HTTP server whose handler works for 10 s unless the client goes
    // away (Ctrl+C cancels the request's context). Here the handler takes a request context
    // and a response channel, and works for 100 ms; `main` plays two clients, one that gives
    // up after 5 ms (a context with that timeout) and one that waits.
    fn hello(ctx Context, w chan<- String, log Log) {
        say(&log, "server: hello handler started".to_string())
        defer say(&log, "server: hello handler ended".to_string())

        select {
        case <-time::after(100 * time::MILLISECOND):
            w <- "hello\n".to_string()
        case <-ctx.done():
            err := ctx.err().expect("done is closed, so err is set")
            say(&log, format!("server: {err}"))
            w <- format!("500 Internal Server Error: {err}\n")
        }
    }

    fn context_example(client_timeout std::time::Duration) -> (String, Vec<String>) {
        log := Arc::new(sync::Mutex::new(Vec::new()))
        ctx, cancel := context::with_timeout(&context::background(), client_timeout)
        defer cancel()
        w := make(chan String, 1)
        go func() {
            hello(ctx, w, log.clone())
            close(w) // the server ends the response when the handler returns
        }()
        response := <-w
        print!("client: {response}")
        <-w // the end of the response
        got := log.lock().clone()
        (response, got)
    }
}

// ---- Stateful Goroutines ------------------------------------------------------------------

#[derive(Debug, Default)]
struct ReadOp {
    key: u32,
    resp: Chan<u32>,
}

#[derive(Debug, Default)]
struct WriteOp {
    key: u32,
    val: u32,
    resp: Chan<bool>,
}

go_syntax! {
    // The original measures for a second; here 20 ms. Its goroutines sleep a millisecond
    // between operations, as here.
    fn stateful_goroutines() -> (u64, u64) {
        read_ops := Arc::new(AtomicU64::new(0))
        write_ops := Arc::new(AtomicU64::new(0))

        reads := make(chan ReadOp)
        writes := make(chan WriteOp)

        go func() {
            state := std::collections::HashMap::<u32, u32>::new()
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
                    read := ReadOp { key: rand_intn(5), resp: make(chan u32) }
                    reads <- ReadOp { key: read.key, resp: read.resp.clone() }
                    <-read.resp
                    read_ops.fetch_add(1, Ordering::SeqCst)
                    time::sleep(time::MILLISECOND)
                }
            }()
        }

        for _w in 0..10 {
            go func() {
                for {
                    write := WriteOp { key: rand_intn(5), val: rand_intn(100), resp: make(chan bool) }
                    writes <- WriteOp { key: write.key, val: write.val, resp: write.resp.clone() }
                    <-write.resp
                    write_ops.fetch_add(1, Ordering::SeqCst)
                    time::sleep(time::MILLISECOND)
                }
            }()
        }

        time::sleep(20 * time::MILLISECOND)

        read_ops_final := read_ops.load(Ordering::SeqCst)
        println!("readOps: {read_ops_final}")
        write_ops_final := write_ops.load(Ordering::SeqCst)
        println!("writeOps: {write_ops_final}")
        (read_ops_final, write_ops_final)
    }
}

fn section(title: &str) {
    println!("== {title} ==");
}

#[gocsp::main]
fn main() {
    section("Worker Pools");
    assert_eq!(worker_pools(), 2 * (1 + 2 + 3 + 4 + 5));
    println!("  ok: 3 workers doubled 5 jobs: 30 in all");

    section("WaitGroups");
    let mut done = wait_groups();
    done.sort();
    assert_eq!(
        done,
        (1..=5).map(|i| format!("Worker {i} done")).collect::<Vec<_>>()
    );
    println!("  ok: wg.wait() returned after all 5 workers were done");

    section("Rate Limiting");
    let (steady, bursty) = rate_limiting();
    assert!(steady >= 10 * time::MILLISECOND, "5 ticks of 2 ms: {steady:?}");
    assert!(bursty >= 4 * time::MILLISECOND, "2 ticks of 2 ms: {bursty:?}");
    println!("  ok: one request per tick; then a burst of 3 and 2 more on ticks");

    section("Timeouts");
    let (first, second) = timeouts();
    assert_eq!((first.as_str(), second.as_str()), ("timeout 1", "result 2"));
    println!("  ok: the first select timed out, the second got its result");

    section("Non-Blocking Channel Operations");
    assert_eq!(
        non_blocking_channel_operations(),
        ["no message received", "no message sent", "no activity"]
    );
    println!("  ok: each select took its default case");

    section("Closing Channels");
    let (received, ok) = closing_channels();
    assert_eq!(
        received,
        [
            "received job 1",
            "received job 2",
            "received job 3",
            "received all jobs"
        ]
    );
    assert!(!ok, "a receive from a closed, drained channel gives ok = false");
    println!("  ok: the worker saw 3 jobs, then more = false");

    section("Timers");
    let (stop2, fired) = timers();
    assert!(stop2, "timer 2 was stopped before it fired");
    assert_eq!(fired, ["Timer 1 fired", "Timer 2 stopped"]);
    println!("  ok: timer 1 fired, timer 2 was stopped and never fired");

    section("Tickers");
    let (ticks, ran) = tickers();
    let most = (ran.as_millis() / 5) as u32;
    assert!(ticks <= most, "{ticks} ticks of 5 ms in {ran:?}");
    println!("  ok: {ticks} ticks in {ran:?}, then the ticker stopped");

    section("Context");
    let (response, log) = context_example(5 * time::MILLISECOND);
    assert_eq!(
        response,
        "500 Internal Server Error: context deadline exceeded\n"
    );
    assert_eq!(
        log,
        [
            "server: hello handler started",
            "server: context deadline exceeded",
            "server: hello handler ended"
        ]
    );
    let (response, log) = context_example(time::SECOND);
    assert_eq!(response, "hello\n");
    assert_eq!(
        log,
        [
            "server: hello handler started",
            "server: hello handler ended"
        ]
    );
    println!("  ok: the handler stopped when its client gave up, and answered one that waited");

    section("Stateful Goroutines");
    let (reads, writes) = stateful_goroutines();
    assert!(reads > 0 && writes > 0, "reads {reads}, writes {writes}");
    println!("  ok: one goroutine owned the state; {reads} reads and {writes} writes went through it");

    println!("ok: every Go by Example concurrency program behaved as in Go");
}
