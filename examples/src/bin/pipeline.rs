//! A pipeline with fan-out and fan-in, and cancellation: `generate` (Go's `gen`, a reserved
//! word in Rust 2024) emits numbers, several `sq` stages read from the same channel (fan-out:
//! they share the work), and `merge` combines their outputs into one channel (fan-in). A
//! `done` channel, closed by the consumer, tells every stage to stop, so a consumer that takes
//! only part of the output leaks nothing.
//!
//! The Go original ("Go Concurrency Patterns: Pipelines and cancellation", the Go blog):
//!
//! ```go
//! func sq(done <-chan struct{}, in <-chan int) <-chan int {
//!     out := make(chan int)
//!     go func() {
//!         defer close(out)
//!         for n := range in {
//!             select {
//!             case out <- n * n:
//!             case <-done:
//!                 return
//!             }
//!         }
//!     }()
//!     return out
//! }
//!
//! func merge(done <-chan struct{}, cs ...<-chan int) <-chan int {
//!     var wg sync.WaitGroup
//!     out := make(chan int)
//!     output := func(c <-chan int) {
//!         defer wg.Done()
//!         for n := range c {
//!             select {
//!             case out <- n:
//!             case <-done:
//!                 return
//!             }
//!         }
//!     }
//!     wg.Add(len(cs))
//!     for _, c := range cs {
//!         go output(c)
//!     }
//!     go func() { wg.Wait(); close(out) }()
//!     return out
//! }
//! ```
//!
//! Two runs: one drains the whole pipeline; one takes two values and closes `done`. Both run
//! under `gocsp::check_leaks`, which fails if any stage is still alive afterwards.
#![forbid(unsafe_code)]

use std::time::Duration;

use gocsp::prelude::*;

const SQUARERS: usize = 3;

go_syntax! {
    /// Emits `nums` on the returned channel, then closes it.
    fn generate(done: <-chan (), nums: Vec<u64>) -> <-chan u64 {
        out := make(chan u64)
        go func(done <-chan (), out chan<- u64) {
            defer close(out)
            for n in nums {
                select {
                case out <- n:
                case <-done:
                    return
                }
            }
        }(done, out)
        out.receiver()
    }

    /// Squares what arrives on `in_`.
    fn sq(done: <-chan (), in_: <-chan u64) -> <-chan u64 {
        out := make(chan u64)
        go func(done <-chan (), in_ <-chan u64, out chan<- u64) {
            defer close(out)
            for n := range in_ {
                select {
                case out <- n * n:
                case <-done:
                    return
                }
            }
        }(done, in_, out)
        out.receiver()
    }

    /// Merges the channels in `cs` into one, closed when all of them are.
    fn merge(done: <-chan (), cs: Vec<Receiver<u64>>) -> <-chan u64 {
        wg := WaitGroup::new()
        out := make(chan u64)
        wg.add(cs.len() as i64)
        for c in cs {
            go func(done <-chan (), c <-chan u64, out chan<- u64, wg WaitGroup) {
                defer wg.done()
                for n := range c {
                    select {
                    case out <- n:
                    case <-done:
                        return
                    }
                }
            }(done.clone(), c, out, wg.clone())
        }
        go func(wg WaitGroup, out chan<- u64) {
            wg.wait()
            close(out)
        }(wg, out)
        out.receiver()
    }

    /// generate -> SQUARERS x sq -> merge; takes `take` values (all of them for `None`), then
    /// closes `done`.
    fn run(n: u64, take: Option<usize>) -> Vec<u64> {
        done := make(chan ())
        defer close(done)
        in_ := generate(done.receiver(), (1..=n).collect())
        // Fan out: the squarers all read from `in_`.
        workers := (0..SQUARERS).map(|_| sq(done.receiver(), in_.clone())).collect()
        // Fan in.
        out := merge(done.receiver(), workers)
        got := Vec::new()
        for v := range out {
            got.push(v)
            if take.is_some_and(|t| got.len() == t) {
                break
            }
        }
        got
    }
}

#[gocsp::main]
fn main() {
    let grace = Duration::from_secs(2);
    let mut all = gocsp::check_leaks(grace, || run(20, None));
    println!(
        "1. drained: {} squares from {SQUARERS} squarers, in arrival order: {all:?}",
        all.len()
    );
    all.sort();
    assert_eq!(all, (1..=20u64).map(|n| n * n).collect::<Vec<_>>());
    assert_eq!(all.iter().sum::<u64>(), 2870);

    let some = gocsp::check_leaks(grace, || run(1000, Some(2)));
    println!("2. took {some:?} of 1000, then closed done: every stage returned, nothing leaked");
    assert_eq!(some.len(), 2);
    assert!(some.iter().all(|&v| {
        let r = (v as f64).sqrt() as u64;
        r * r == v && (1..=1000).contains(&r)
    }));
    println!("ok: fan-out, fan-in, and cancellation without leaks");
}
