//! Timeouts with `time::after` in a select: wait for a result or for a timer, whichever comes
//! first.
//!
//! The Go original (Go by Example, "Timeouts"):
//!
//! ```go
//! c1 := make(chan string, 1)
//! go func() {
//!     time.Sleep(2 * time.Second)
//!     c1 <- "result 1"
//! }()
//! select {
//! case res := <-c1:
//!     fmt.Println(res)
//! case <-time.After(1 * time.Second):
//!     fmt.Println("timeout 1")
//! }
//! ```
//!
//! The result channels have a buffer of one, as in Go's example: a worker that finishes
//! after its caller gave up can still send and end, instead of blocking forever.
//!
//! Then a deadline for a whole loop: `time::after` made once, before the loop, bounds the
//! loop's total time. (Made inside the loop, it would be a fresh timer on every iteration: a
//! timeout per message, which a steady trickle of messages would never let fire.)
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use gocsp::prelude::*;

go_syntax! {
    /// Starts work that takes `d` and sends `result` when done.
    fn slow(d: Duration, result: &'static str) -> <-chan &'static str {
        c := make(chan &'static str, 1)
        go func(c chan<- &'static str) {
            time::sleep(d)
            c <- result
        }(c)
        c.receiver()
    }

    /// Waits for `c` or for `timeout`, whichever comes first.
    fn wait(c: <-chan &'static str, timeout: Duration) -> String {
        let got: String
        select {
        case res := <-c:
            got = res.to_string()
        case <-time::after(timeout):
            got = format!("timeout after {timeout:?}")
        }
        got
    }

    /// Sends 1, 2, 3, ... every millisecond until `done` is closed.
    fn trickle(done: <-chan (), out: chan<- u32) {
        for i in 1.. {
            select {
            case out <- i:
            case <-done:
                return
            }
            time::sleep(Duration::from_millis(1))
        }
    }
}

#[gocsp::main]
fn main() {
    // Work of 200 ms against a 10 ms timeout. Both are timers on the one timer heap, which
    // fires them in deadline order: a busy machine delays both, it does not reorder them.
    let start = Instant::now();
    let got = wait(
        slow(Duration::from_millis(200), "result 1"),
        Duration::from_millis(10),
    );
    let took = start.elapsed();
    println!("1. work of 200ms, timeout of 10ms: {got} (waited {took:?})");
    assert_eq!(got, "timeout after 10ms");
    assert!(took >= Duration::from_millis(10));

    // Work of 5 ms against a 5 s timeout: the result wins.
    let start = Instant::now();
    let got = wait(
        slow(Duration::from_millis(5), "result 2"),
        Duration::from_secs(5),
    );
    let took = start.elapsed();
    println!("2. work of 5ms, timeout of 5s: {got} (waited {took:?})");
    assert_eq!(got, "result 2");
    assert!(took >= Duration::from_millis(5));

    // A deadline for a whole loop.
    let deadline = Duration::from_millis(30);
    let (done, values) = (make!(chan()), make!(chan u32));
    go!(trickle(done.receiver(), values.sender()));
    let start = Instant::now();
    let timeout = time::after(deadline); // once, outside the loop
    let mut received = Vec::new();
    loop {
        select! {
            v = <-values => received.push(v),
            <-timeout => break,
        }
    }
    let took = start.elapsed();
    done.close();
    println!(
        "3. a {deadline:?} deadline on a loop over a message a millisecond: {} messages, \
         stopped after {took:?}",
        received.len()
    );
    assert!(took >= deadline);
    assert!(
        received.iter().copied().eq(1..=received.len() as u32),
        "messages arrive in order, none lost"
    );
    println!("ok: the first timer or result to arrive won each select");
}
