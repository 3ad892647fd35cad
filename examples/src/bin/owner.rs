//! The owner pattern: a function starts a goroutine that owns a channel (it alone sends on it
//! and closes it) and returns only the receive side. Callers cannot send on it or close it,
//! so "who closes this channel?" always has one answer.
//!
//! The Go original:
//!
//! ```go
//! func newTime(ctx context.Context) <-chan time.Time {
//!     out := make(chan time.Time)
//!     go func() {
//!         defer close(out)
//!         ticker := time.NewTicker(interval)
//!         defer ticker.Stop()
//!         for {
//!             select {
//!             case <-ctx.Done():
//!                 return
//!             case now := <-ticker.C:
//!                 select {
//!                 case out <- now:
//!                 case <-ctx.Done():
//!                     return
//!                 }
//!             }
//!         }
//!     }()
//!     return out
//! }
//! ```
//!
//! `#[owner]` writes the boilerplate: the annotated function names its `Sender<time::Time>`
//! parameter; the generated `new_time(ctx)` makes the channel, runs the body as a goroutine
//! holding the send side, closes the channel when the body returns (also if it panics), and
//! hands the caller a `Receiver<time::Time>`. `ticks.send(..)` or `ticks.close()` on it is a
//! compile error ("cannot send to receive-only channel"), pinned by the ui-tests in
//! `ui-tests/tests/ui/owner/`.
#![forbid(unsafe_code)]

use std::time::Duration;

use gocsp::prelude::*;

const INTERVAL: Duration = Duration::from_millis(2);

/// Sends the time every `INTERVAL` until `ctx` is cancelled.
#[owner]
fn new_time(ctx: Context, out: Sender<time::Time>) {
    let ticker = time::Ticker::new(INTERVAL);
    defer!(ticker.stop());
    loop {
        select! {
            <-ctx.done() => return,
            now = <-ticker.c() => select! {
                out <- now => {}
                <-ctx.done() => return,
            },
        }
    }
}

#[gocsp::main]
fn main() {
    let start = time::now();
    let (ctx, cancel) = context::with_cancel(&context::background());
    let ticks: Receiver<time::Time> = new_time(ctx.clone());
    // ticks.send(time::now());  // error: cannot send to receive-only channel
    // ticks.close();               // error: cannot close receive-only channel

    let mut seen = Vec::new();
    for now in &ticks {
        println!("tick {} at +{:?}", seen.len() + 1, now.sub(start));
        seen.push(now);
        if seen.len() == 5 {
            println!("caller: enough, cancel()");
            cancel();
            // Keep ranging: the owner sees ctx.done(), returns, and its channel closes,
            // which ends this loop.
        }
    }
    println!(
        "the channel closed after {} ticks: the owner returned and #[owner] closed it",
        seen.len()
    );

    assert!(
        seen.len() >= 5,
        "the loop ended before the caller cancelled"
    );
    assert!(
        seen.windows(2).all(|w| w[0].before(w[1])),
        "ticks arrive in time order"
    );
    assert!(
        seen[4].sub(start) >= 5 * INTERVAL,
        "five ticks take at least five intervals"
    );
    assert_eq!(ticks.recv(), None, "a closed channel stays closed");
    assert_eq!(ctx.err(), Some(context::Error::Canceled));
    println!("ok: ticks in order, at least {INTERVAL:?} apart on average; closed on cancel");
}
