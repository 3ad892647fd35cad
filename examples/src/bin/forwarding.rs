//! Forwarding one channel into another, and the classic pitfall: forwarding from a channel
//! that has been closed.
//!
//! A receive from a closed channel never blocks: it returns the zero value at once. So a
//! forwarder written as
//!
//! ```go
//! for {
//!     select {
//!     case v := <-in:          // once `in` is closed: always ready, v == 0
//!         out <- v
//!     case <-ctx.Done():
//!         return
//!     }
//! }
//! ```
//!
//! spins after `in` closes, pushing zero values downstream as fast as they are taken. The fixes
//! are Go's: check `ok` (`case v, ok := <-in: if !ok { return }`), or let `for v := range in`
//! end the loop; either way the forwarder closes `out` when `in` is done, so the end of input
//! travels downstream. gocsp adds a third form, `Some(v) = <-in`, which disables the case once
//! `in` is closed: no spinning, but the forwarder then learns of the end only from its context.
//!
//! This program runs the naive forwarder until the consumer has pulled 1000 zero values out of
//! it (it would never stop on its own), then each correct version, under `gocsp::check_leaks`.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use gocsp::prelude::*;

go_syntax! {
    /// WRONG: keeps "receiving" zero values from a closed input.
    fn forward_naive(ctx: Context, in_: <-chan i32, out: chan<- i32) {
        for {
            select {
            case v := <-in_:
                select {
                case out <- v:
                case <-ctx.done():
                    return
                }
            case <-ctx.done():
                return
            }
        }
    }

    /// Right: `v, ok` tells a value from the end of the input.
    fn forward_ok(ctx: Context, in_: <-chan i32, out: chan<- i32) {
        defer close(out)
        for {
            select {
            case v, ok := <-in_:
                if !ok {
                    return
                }
                select {
                case out <- v:
                case <-ctx.done():
                    return
                }
            case <-ctx.done():
                return
            }
        }
    }

    /// Right, and shortest: range ends when the input is closed and drained.
    fn forward_range(ctx: Context, in_: <-chan i32, out: chan<- i32) {
        defer close(out)
        for v := range in_ {
            select {
            case out <- v:
            case <-ctx.done():
                return
            }
        }
    }

    /// No spinning: once `in_` is closed, the `Some(v)` case is disabled for that select,
    /// which then waits for `ctx`. It never notices the end of the input by itself.
    fn forward_some(ctx: Context, in_: <-chan i32, out: chan<- i32) {
        defer close(out)
        for {
            select {
            case Some(v) := <-in_:
                select {
                case out <- v:
                case <-ctx.done():
                    return
                }
            case <-ctx.done():
                return
            }
        }
    }

    /// An input channel holding 1..=5, already closed.
    fn five() -> <-chan i32 {
        in_ := make(chan i32, 5)
        for v in 1..=5 {
            in_ <- v
        }
        close(in_)
        in_.receiver()
    }
}

type Forwarder = fn(Context, Receiver<i32>, Sender<i32>);

fn naive() {
    let (ctx, cancel) = context::with_cancel(&context::background());
    let out = make!(chan i32);
    go!(forward_naive(ctx, five(), out.sender()));
    let start = Instant::now();
    let (mut values, mut zeros) = (Vec::new(), 0);
    while zeros < 1000 {
        match out.recv() {
            Some(0) => zeros += 1,
            Some(v) => values.push(v),
            None => unreachable!("the naive forwarder never closes `out`"),
        }
    }
    cancel();
    println!(
        "naive: forwarded {values:?}, then {zeros} zero values in {:?} after its input closed; \
         it would go on forever, so the consumer cancelled it",
        start.elapsed()
    );
    assert_eq!(values, [1, 2, 3, 4, 5]);
}

fn correct(name: &str, forward: Forwarder) {
    let (ctx, cancel) = context::with_cancel(&context::background());
    let out = make!(chan i32);
    go!(forward(ctx, five(), out.sender()));
    let got: Vec<i32> = out.iter().collect();
    cancel();
    println!("{name}: forwarded {got:?}, then closed `out` when its input ended");
    assert_eq!(got, [1, 2, 3, 4, 5]);
}

fn some_pattern() {
    let (ctx, cancel) = context::with_cancel(&context::background());
    let out = make!(chan i32);
    go!(forward_some(ctx, five(), out.sender()));
    let got: Vec<i32> = (0..5).map(|_| out.recv().expect("a value")).collect();
    let quiet = select! {
        v = <-out => panic!("the forwarder sent {v} after its input closed"),
        <-time::after(Duration::from_millis(10)) => true,
    };
    cancel();
    let after_cancel = out.recv();
    println!(
        "Some(v) = <-in: forwarded {got:?}, then sent nothing for 10 ms (no spinning) and \
         closed `out` only when cancelled"
    );
    assert_eq!(got, [1, 2, 3, 4, 5]);
    assert!(quiet);
    assert_eq!(after_cancel, None);
}

#[gocsp::main]
fn main() {
    let grace = Duration::from_secs(2);
    gocsp::check_leaks(grace, naive);
    gocsp::check_leaks(grace, || correct("v, ok := <-in", forward_ok));
    gocsp::check_leaks(grace, || correct("for v := range in", forward_range));
    gocsp::check_leaks(grace, some_pattern);
    println!("ok: the naive forwarder spun on zero values; the fixed ones stopped cleanly");
}
