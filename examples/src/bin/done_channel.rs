//! The done channel: closing a channel is a broadcast. Every goroutine selecting on
//! `<-done` wakes up when it is closed, however many there are, so one `close(done)` stops a
//! whole group. Then the same with a context, which is the done channel with a reason
//! (`ctx.Err()`), deadlines, and a tree of children.
//!
//! The Go original ("Go Concurrency Patterns: Pipelines and cancellation"):
//!
//! ```go
//! done := make(chan struct{})
//! for i := 0; i < 3; i++ {
//!     go func(id int) {
//!         defer wg.Done()
//!         for {
//!             select {
//!             case results <- work(id):
//!             case <-done:
//!                 return
//!             }
//!         }
//!     }(i)
//! }
//! // ... take what is needed from results, then:
//! close(done)
//! wg.Wait()
//! ```
#![forbid(unsafe_code)]

use std::time::Duration;

use gocsp::prelude::*;

const WORKERS: u32 = 3;

/// Takes `n` results, then checks that each worker's numbers arrived in order.
fn take(results: &Chan<(u32, u32)>, n: usize) {
    let mut next = [0u32; WORKERS as usize];
    for _ in 0..n {
        let (id, v) = results.recv().expect("results is never closed");
        assert_eq!(v, next[id as usize], "worker {id} skipped a number");
        next[id as usize] += 1;
    }
    println!("main took {n} results, then stopped the workers");
}

/// Collects the workers' reports, sorted by worker id.
fn reports(stopped: &Chan<String>) -> Vec<String> {
    stopped.close();
    let mut lines: Vec<String> = stopped.iter().collect();
    lines.sort();
    for l in &lines {
        println!("  {l}");
    }
    lines
}

go_syntax! {
    /// Produces numbers tagged with its id until `done` is closed; reports how many it made.
    fn worker(
        id: u32,
        done: <-chan (),
        results: chan<- (u32, u32),
        stopped: chan<- String,
        wg: WaitGroup,
    ) {
        defer wg.done()
        n := 0
        for {
            select {
            case results <- (id, n):
                n += 1
            case <-done:
                stopped <- format!("worker {id} stopped after {n} results: done is closed")
                return
            }
        }
    }

    /// The same worker, stopped by a context; it reports why.
    fn ctx_worker(
        ctx: Context,
        id: u32,
        results: chan<- (u32, u32),
        stopped: chan<- String,
        wg: WaitGroup,
    ) {
        defer wg.done()
        n := 0
        for {
            select {
            case results <- (id, n):
                n += 1
            case <-ctx.done():
                stopped <- format!("worker {id} stopped after {n} results: {}", ctx.err().unwrap())
                return
            }
        }
    }

    fn with_done_channel() -> Vec<String> {
        println!("1. A done channel, closed by main:")
        done := make(chan ())
        results := make(chan (u32, u32))
        stopped := make(chan String, WORKERS as usize)
        wg := WaitGroup::new()
        for id in 0..WORKERS {
            wg.add(1)
            go worker(id, done, results, stopped, wg.clone())
        }
        take(&results, 10)
        close(done) // one close wakes every worker blocked on `<-done`
        wg.wait()
        reports(&stopped)
    }

    fn with_context() -> (Vec<String>, Option<context::Error>) {
        println!("2. The same with a context, cancelled by main:")
        ctx, cancel := context::with_cancel(&context::background())
        results := make(chan (u32, u32))
        stopped := make(chan String, WORKERS as usize)
        wg := WaitGroup::new()
        for id in 0..WORKERS {
            wg.add(1)
            go ctx_worker(ctx.clone(), id, results, stopped, wg.clone())
        }
        take(&results, 10)
        cancel()
        wg.wait()
        (reports(&stopped), ctx.err())
    }
}

#[gocsp::main]
fn main() {
    let grace = Duration::from_secs(2);
    let lines = gocsp::check_leaks(grace, with_done_channel);
    assert_eq!(lines.len(), WORKERS as usize);
    assert!(lines.iter().all(|l| l.ends_with("done is closed")));

    let (lines, err) = gocsp::check_leaks(grace, with_context);
    assert_eq!(lines.len(), WORKERS as usize);
    assert!(lines.iter().all(|l| l.ends_with("context canceled")));
    assert_eq!(err, Some(context::Error::Canceled));
    println!("ok: one close (or one cancel) stopped every worker; none leaked");
}
