//! Rate limiting with a ticker: each request first waits for a tick, so requests go out at
//! most one per interval. Then a bursty limiter: a buffered channel of "tokens", refilled by
//! the ticker, lets a burst of up to three requests through at once and the rest at the
//! ticker's pace.
//!
//! The Go original (Go by Example, "Rate Limiting"):
//!
//! ```go
//! limiter := time.Tick(200 * time.Millisecond)
//! for req := range requests {
//!     <-limiter
//!     fmt.Println("request", req, time.Now())
//! }
//!
//! burstyLimiter := make(chan time.Time, 3)
//! for i := 0; i < 3; i++ {
//!     burstyLimiter <- time.Now()
//! }
//! go func() {
//!     for t := range time.Tick(200 * time.Millisecond) {
//!         burstyLimiter <- t
//!     }
//! }()
//! for req := range burstyRequests {
//!     <-burstyLimiter
//!     fmt.Println("request", req, time.Now())
//! }
//! ```
//!
//! Timings are checked only from below (a loaded machine can only make things slower): five
//! requests behind a ticker take at least four intervals, and the two requests past the burst
//! wait for at least two ticks. The refilling goroutine stops on a context, where Go's example
//! leaves it running.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use gocsp::prelude::*;

const INTERVAL: Duration = Duration::from_millis(10);
const REQUESTS: u32 = 5;
const BURST: usize = 3;

/// A channel holding `1..=n`, closed.
fn requests(n: u32) -> Chan<u32> {
    let ch = make!(chan u32, n as usize);
    for i in 1..=n {
        ch.send(i);
    }
    ch.close();
    ch
}

go_syntax! {
    /// Puts a token in `bucket` on every tick, until `ctx` is done.
    fn refill(ctx: Context, ticks: <-chan time::Time, bucket: chan<- time::Time) {
        for {
            select {
            case t := <-ticks:
                select {
                case bucket <- t:
                case <-ctx.done():
                    return
                }
            case <-ctx.done():
                return
            }
        }
    }
}

fn steady() -> Duration {
    println!("1. one request per tick of a {INTERVAL:?} ticker:");
    let start = Instant::now();
    let limiter = time::tick(INTERVAL);
    for req in &requests(REQUESTS) {
        limiter.recv();
        println!("  request {req} at +{:?}", start.elapsed());
    }
    start.elapsed()
}

fn bursty() -> Duration {
    println!("2. a bucket of {BURST} tokens, refilled every {INTERVAL:?}:");
    let start = Instant::now();
    let bucket = make!(chan time::Time, BURST);
    for _ in 0..BURST {
        bucket.send(time::now());
    }
    let (ctx, cancel) = context::with_cancel(&context::background());
    go!(refill(ctx, time::tick(INTERVAL), bucket.sender()));
    for req in &requests(REQUESTS) {
        bucket.recv();
        println!("  request {req} at +{:?}", start.elapsed());
    }
    cancel();
    start.elapsed()
}

#[gocsp::main]
fn main() {
    let grace = Duration::from_secs(2);
    let took = gocsp::check_leaks(grace, steady);
    let floor = INTERVAL * (REQUESTS - 1);
    assert!(
        took >= floor,
        "{REQUESTS} ticked requests took {took:?} < {floor:?}"
    );
    println!("  {REQUESTS} requests took {took:?}: at least {floor:?}, as a ticker allows");

    let took = gocsp::check_leaks(grace, bursty);
    let floor = INTERVAL * (REQUESTS - BURST as u32);
    assert!(took >= floor, "bursty requests took {took:?} < {floor:?}");
    println!(
        "  the first {BURST} went at once, the other {} waited for ticks: {took:?} in all, \
         at least {floor:?}",
        REQUESTS - BURST as u32
    );
    println!("ok: requests spaced by the ticker, bursts bounded by the bucket");
}
