//! Looping over a channel with `select` and a context, instead of `for range`.
//!
//! `for v := range in` ends only when `in` is closed. A worker that must also stop when its
//! caller gives up (a cancelled request, a deadline) selects on both the channel and
//! `ctx.Done()`, and tells apart the two ways the loop can end. The Go original:
//!
//! ```go
//! func consume(ctx context.Context, in <-chan int) (int, error) {
//!     sum := 0
//!     for {
//!         select {
//!         case <-ctx.Done():
//!             return sum, ctx.Err()
//!         case v, ok := <-in:
//!             if !ok {
//!                 return sum, ctx.Err() // nil if the input simply ended
//!             }
//!             sum += v
//!         }
//!     }
//! }
//! ```
//!
//! Three runs: the input ends first (no error), the caller cancels (`Canceled`), a deadline
//! passes (`DeadlineExceeded`). The producer watches the same context, so nothing is left
//! running after any of them (checked with `gocsp::check_leaks`).
//!
//! One subtlety, Go's too: the producer closes its channel when it sees the context done, so
//! the consumer may find both cases ready at once, and select picks either at random. When the
//! input ends, `ctx.Err()` says whether it ended because of the cancellation.
#![forbid(unsafe_code)]

use std::time::Duration;

use gocsp::prelude::*;

go_syntax! {
    /// Sums what arrives on `in` until it is closed or `ctx` is done.
    fn consume(ctx: Context, in_: <-chan u64) -> (u64, Option<context::Error>) {
        sum := 0
        for {
            select {
            case <-ctx.done():
                return (sum, ctx.err())
            case v, ok := <-in_:
                if !ok {
                    // The producer closed `in_`. It also does that when it sees the same
                    // context cancelled, and when both cases are ready select picks either:
                    // so ask the context why the input ended.
                    return (sum, ctx.err())
                }
                sum += v
            }
        }
    }

    /// Sends 1, 2, 3, ... up to `limit` (forever for `None`), then closes; stops early when
    /// `ctx` is done.
    fn produce(ctx: Context, limit: Option<u64>, out: chan<- u64) {
        defer close(out)
        for v in 1.. {
            if limit.is_some_and(|l| v > l) {
                return
            }
            select {
            case out <- v:
            case <-ctx.done():
                return
            }
        }
    }
}

/// Runs a producer of `limit` values (endless for `None`) and a consumer under `ctx`; the
/// caller cancels after `cancel_after`, if given.
fn run(
    ctx: Context,
    cancel: context::CancelFunc,
    limit: Option<u64>,
    cancel_after: Option<Duration>,
) -> (u64, Option<context::Error>) {
    let numbers = make!(chan u64);
    go!(produce(ctx.clone(), limit, numbers.sender()));
    let consumer = gocsp::spawn({
        let (ctx, numbers) = (ctx.clone(), numbers.receiver());
        move || consume(ctx, numbers)
    });
    if let Some(d) = cancel_after {
        time::sleep(d);
        cancel();
    }
    let result = consumer.join().expect("the consumer does not panic");
    cancel(); // always: releases the context's resources
    result
}

#[gocsp::main]
fn main() {
    let grace = Duration::from_secs(2);
    let background = context::background();

    let (sum, err) = gocsp::check_leaks(grace, || {
        let (ctx, cancel) = context::with_cancel(&background);
        run(ctx, cancel, Some(100), None)
    });
    println!("1. input of 1..=100 closed first: sum {sum}, err {err:?}");
    assert_eq!((sum, err), (5050, None));

    let (sum, err) = gocsp::check_leaks(grace, || {
        let (ctx, cancel) = context::with_cancel(&background);
        run(ctx, cancel, None, Some(Duration::from_millis(5)))
    });
    println!(
        "2. endless input, caller cancels after 5 ms: sum {sum}, err {}",
        err.map(|e| e.to_string()).unwrap_or_default()
    );
    assert_eq!(err, Some(context::Error::Canceled));

    let (sum, err) = gocsp::check_leaks(grace, || {
        let (ctx, cancel) = context::with_timeout(&background, Duration::from_millis(20));
        run(ctx, cancel, None, None)
    });
    println!(
        "3. endless input, 20 ms deadline: sum {sum}, err {}",
        err.map(|e| e.to_string()).unwrap_or_default()
    );
    assert_eq!(err, Some(context::Error::DeadlineExceeded));
    println!("ok: each loop told \"input done\" from \"context done\"; no goroutine leaked");
}
