//! `go func(){...}()` in `go_syntax!` shares the gocsp handles it captures, as Go's closure
//! does: a channel, `WaitGroup`, `Context` or `Arc` used after the `go` line is still there.
//! Other captures move, as in a Rust `move` closure.
#![deny(warnings)]
use gocsp::prelude::*;
use gocsp::sync::WaitGroup;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

go_syntax! {
    // Go by Example's WaitGroups, with results on a channel.
    fn workers(n usize) -> Vec<usize> {
        wg := WaitGroup::new()
        results := make(chan usize, n)
        hits := Arc::new(AtomicUsize::new(0))
        label := String::from("done")
        for i in 0..n {
            wg.add(1)
            go func() {
                defer wg.done()
                hits.fetch_add(1, Ordering::SeqCst)
                results <- i * 10
            }()
        }
        wg.wait()
        close(results)
        got := Vec::new()
        for v := range results {
            got.push(v)
        }
        got.sort_unstable()
        assert_eq!(hits.load(Ordering::SeqCst), n)
        // A non-handle capture moves into the goroutine, as Rust's `move` closure.
        done := make(chan String, 1)
        go func() {
            done <- label
        }()
        assert_eq!(<-done, "done")
        got
    }

    // Parameters that are handles are shared too; a literal's own parameter shadows them.
    fn relay(out chan<- i32, ctx Context) -> bool {
        wg := WaitGroup::new()
        wg.add(2)
        go func() {
            defer wg.done()
            out <- 1
        }()
        go func(out chan<- i32) {
            defer wg.done()
            out <- 2
        }(out.clone())
        wg.wait()
        out <- 3
        ctx.err().is_none()
    }
}

fn main() {
    assert_eq!(workers(3), [0, 10, 20]);
    let ch: Chan<i32> = make!(chan i32, 3);
    assert!(relay(ch.sender(), context::background()));
    let mut got = vec![ch.recv().unwrap(), ch.recv().unwrap(), ch.recv().unwrap()];
    got.sort_unstable();
    assert_eq!(got, [1, 2, 3]);
}
