//! A tour of gocsp: goroutines, channels, `select!`, nil channels, the owner pattern and
//! `context`, one short section each. Every section prints what happens and why, and checks
//! what it prints: the tour exits non-zero if anything does not behave as described.
//!
//! Run it with `cargo run -p gocsp-examples --bin tour`.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use gocsp::prelude::*;
use gocsp_examples::{heading, recover};

/// Prints a claim and checks it: the tour stops with an error if the claim is false.
fn check(claim: bool, what: &str) {
    assert!(
        claim,
        "the tour claimed something that did not happen: {what}"
    );
    println!("  ok: {what}");
}

#[gocsp::main]
fn main() {
    println!("gocsp tour: Go's concurrency model, written as Go-style Rust.");
    println!("`#[gocsp::main]` makes main the main goroutine, as in Go.");
    println!("Each section says what it shows, does it, and checks the result.");
    let start = Instant::now();
    // Wrapping the tour in a leak check proves that every goroutine it starts also ends.
    gocsp::check_leaks(Duration::from_secs(2), || {
        goroutines();
        unbuffered();
        buffered();
        close_and_range();
        select_with_default();
        nil_channels();
        owner_pattern();
        cancellation();
        timeouts();
    });
    heading("Done");
    println!("  every goroutine the tour started has finished (gocsp::check_leaks passed);");
    println!("  the tour took {:?}.", start.elapsed());
    println!("  Next: one program per pattern, e.g. `cargo run -p gocsp-examples --bin sieve`;");
    println!("  examples/README.md lists them all.");
}

fn square(id: u32, results: Sender<u32>, wg: WaitGroup) {
    results.send(id * id);
    wg.done();
}

fn goroutines() {
    heading("1. Goroutines: go!");
    println!("`go!(f(args))` evaluates the arguments now and runs the call in a new goroutine,");
    println!("returning at once. Goroutines are cheap (a 64 KiB stack, pooled); thousands are");
    println!("fine. Three goroutines square their ids; a WaitGroup waits for all of them.");
    let results = make!(chan u32, 3);
    let wg = WaitGroup::new();
    for id in 1..=3 {
        wg.add(1);
        go!(square(id, results.sender(), wg.clone()));
    }
    wg.wait();
    let mut got: Vec<u32> = results.try_iter().collect();
    println!("  results, in the order the goroutines finished: {got:?}");
    got.sort();
    check(got == [1, 4, 9], "the three goroutines sent 1, 4 and 9");

    let n = 1000;
    let wg = WaitGroup::new();
    for _ in 0..n {
        wg.add(1);
        let wg = wg.clone();
        go!(move || wg.done());
    }
    wg.wait();
    check(wg.count() == 0, "1000 more goroutines started and finished");
}

fn unbuffered() {
    heading("2. Unbuffered channels: a hand-off");
    println!("`make!(chan T)` has no buffer: a send completes only when a receiver takes the");
    println!("value, so sender and receiver meet. A goroutine sends \"ping\", then reports.");
    let ch: Chan<String> = make!(chan String);
    let sent: Chan<bool> = make!(chan bool, 1);
    let (tx, report) = (ch.sender(), sent.sender());
    go! {
        tx <- "ping".to_string()    // blocks until main receives
        report <- true
    }
    time::sleep(Duration::from_millis(20));
    check(
        sent.try_recv().is_err(),
        "20 ms later the send still waits: nobody has received",
    );
    let v = ch.recv();
    println!("  main receives {v:?}");
    sent.recv();
    check(
        v.as_deref() == Some("ping"),
        "main got \"ping\" and only then the send returned",
    );
}

fn buffered() {
    heading("3. Buffered channels: a queue");
    println!("`make!(chan T, n)` queues up to n values: sends return at once until it is full,");
    println!("receives come out first in, first out.");
    let q = make!(chan i32, 3);
    q.send(1);
    q.send(2);
    q.send(3);
    println!(
        "  three sends returned without a receiver: len {} cap {}",
        q.len(),
        q.cap()
    );
    check(q.len() == 3 && q.cap() == 3, "the buffer holds all three");
    let full = q.try_send(4);
    check(
        full.as_ref().is_err_and(|e| e.is_full()),
        "a fourth try_send is refused: the channel is full (a send would block)",
    );
    let got = [q.recv(), q.recv(), q.recv()];
    println!("  receives: {got:?}");
    check(
        got == [Some(1), Some(2), Some(3)],
        "values come out in FIFO order",
    );
}

go_syntax! {
    // Go statements inside Rust items: `ch <- v`, `close(ch)`, `chan<- T`.
    fn produce(n: i32, out: chan<- i32) {
        for i in 1..=n {
            out <- i
        }
        close(out)
    }
}

fn close_and_range() {
    heading("4. close and range");
    println!("The sender closes a channel to say \"no more values\". `for v in &rx` (Go's");
    println!("`for v := range ch`) receives until the channel is closed and drained.");
    let ch = make!(chan i32);
    go!(produce(5, ch.sender()));
    let mut got = Vec::new();
    for v in &ch {
        got.push(v);
    }
    println!("  for v in &ch received {got:?}, then the loop ended");
    check(
        got == [1, 2, 3, 4, 5],
        "range saw every value, then stopped at close",
    );
    let (v, ok) = ch.recv_ok();
    println!(
        "  after close: recv() = {:?}, recv_ok() = ({v}, {ok})",
        ch.recv()
    );
    check(
        ch.recv().is_none() && (v, ok) == (0, false),
        "a closed channel yields None, or Go's zero value with ok = false",
    );
    let closed = recover(|| ch.send(6));
    println!("  ch.send(6) after close: {closed:?}");
    check(
        closed == Err("send on closed channel".to_string()),
        "sending on a closed channel panics, as in Go",
    );
}

fn select_with_default() {
    heading("5. select and default");
    println!("`select!` waits on several channel operations and runs the first that can proceed;");
    println!("with `default` it never waits.");
    let empty: Chan<i32> = make!(chan i32);
    let ran = select! {
        v = <-empty => format!("received {v}"),
        default => "default".to_string(),
    };
    check(
        ran == "default",
        "receiving from an empty channel: default ran at once",
    );
    let full = make!(chan i32, 1);
    full.send(0);
    let ran = select! {
        full <- 1 => "sent",
        default => "default",
    };
    check(
        ran == "default",
        "sending to a full channel: default ran, nothing was sent",
    );

    println!("When several cases are ready, select picks one at random, so no case starves:");
    let (a, b) = (make!(chan bool, 1), make!(chan bool, 1));
    let (mut picked_a, mut picked_b) = (0, 0);
    for _ in 0..100 {
        a.send(true);
        b.send(true);
        select! {
            <-a => { picked_a += 1; b.recv(); }
            <-b => { picked_b += 1; a.recv(); }
        }
    }
    println!("  100 selects with both ready: a {picked_a} times, b {picked_b} times");
    check(picked_a > 0 && picked_b > 0, "both cases were picked");
}

fn nil_channels() {
    heading("6. nil channels");
    println!("A nil channel (`Chan::nil()`, `Receiver::default()`: Go's zero-value channel) is");
    println!("never ready, so a select case on it never fires. Go code uses that to switch a");
    println!("case off. Here a merge sets each input to nil once it is closed, and stops when");
    println!("both are nil.");
    let (a, b) = (make!(chan i32), make!(chan i32));
    go!(produce(3, a.sender()));
    let tx = b.sender(); // go! moves what it captures: hand it its own handle
    go! {
        for v in [10, 20, 30] { tx <- v }
        tx.close();
    }
    let (mut a, mut b) = (a.receiver(), b.receiver());
    let mut got = Vec::new();
    while !a.is_nil() || !b.is_nil() {
        select! {
            v, ok = <-a => {
                if ok {
                    got.push(v)
                } else {
                    a = Receiver::default(); // nil: this case never fires again
                    println!("  a closed: set to nil");
                }
            }
            v, ok = <-b => {
                if ok {
                    got.push(v)
                } else {
                    b = Receiver::default();
                    println!("  b closed: set to nil");
                }
            }
        }
    }
    got.sort();
    println!("  merged {got:?}");
    check(
        got == [1, 2, 3, 10, 20, 30],
        "every value arrived; closed inputs stopped firing once nil",
    );
    let nil: Chan<i32> = Chan::nil();
    let ran = select! {
        v = <-nil => format!("received {v}"),
        <-time::after(Duration::from_millis(5)) => "timeout".to_string(),
    };
    check(
        ran == "timeout",
        "a receive from a nil channel never happened",
    );
}

/// Counts down from `from`; the goroutine owns the send side, the caller gets the receive side.
#[owner]
fn countdown(from: u32, out: Sender<u32>) {
    for i in (1..=from).rev() {
        out.send(i);
    }
}

fn owner_pattern() {
    heading("7. The owner pattern: #[owner]");
    println!("The goroutine that sends on a channel should be the one that closes it. `#[owner]`");
    println!("writes that shape for you: `fn countdown(from: u32, out: Sender<u32>)` becomes");
    println!("`fn countdown(from: u32) -> Receiver<u32>`; the body runs as a goroutine that owns");
    println!("`out`, and the channel closes when the body ends. The caller gets a receive-only");
    println!("channel: sending on it or closing it does not compile.");
    let rx: Receiver<u32> = countdown(3);
    let got: Vec<u32> = rx.iter().collect();
    println!("  countdown(3) gave {got:?}, then the channel was closed");
    check(
        got == [3, 2, 1] && rx.recv().is_none(),
        "the owner sent 3 2 1 and closed",
    );
}

fn cancellation() {
    heading("8. context: cancellation");
    println!("A Context carries cancellation down a tree. `ctx.done()` is a channel closed on");
    println!("cancellation: every goroutine selecting on it wakes up at once.");
    let (ctx, cancel) = context::with_cancel(&context::background());
    let stopped = make!(chan String, 3);
    let (started, wg) = (make!(chan bool, 3), WaitGroup::new());
    for id in 0..3 {
        wg.add(1);
        let (ctx, stopped, started, wg) =
            (ctx.clone(), stopped.sender(), started.sender(), wg.clone());
        go! {
            defer!(wg.done());
            let (tick, mut beats) = (time::tick(Duration::from_millis(1)), 0);
            started <- true
            loop {
                select! {
                    <-tick => beats += 1,
                    <-ctx.done() => {
                        let why = ctx.err().map(|e| e.to_string()).unwrap_or_default();
                        stopped <- format!("worker {id} stopped: {why} (after {beats} ticks)");
                        return;
                    }
                }
            }
        }
    }
    for _ in 0..3 {
        started.recv();
    }
    time::sleep(Duration::from_millis(5));
    check(
        ctx.err().is_none(),
        "three workers run; ctx.err() is None while live",
    );
    cancel();
    wg.wait();
    stopped.close();
    let mut lines: Vec<String> = stopped.iter().collect();
    lines.sort();
    for l in &lines {
        println!("  {l}");
    }
    check(
        lines.len() == 3 && lines.iter().all(|l| l.contains("context canceled")),
        "cancel() stopped all three; each saw ctx.err() = Canceled",
    );
}

/// A slow query that gives up when its context is cancelled.
fn slow_query(ctx: &Context) -> Result<u32, context::Error> {
    select! {
        <-time::after(Duration::from_secs(1)) => Ok(42),
        <-ctx.done() => Err(ctx.err().expect("done is closed only on cancellation")),
    }
}

fn timeouts() {
    heading("9. context: timeouts");
    println!("`context::with_timeout` cancels by itself when the time is up; the error is then");
    println!("DeadlineExceeded. A query that would take 1 s runs under a 20 ms timeout:");
    let start = Instant::now();
    let (ctx, cancel) = context::with_timeout(&context::background(), Duration::from_millis(20));
    let got = slow_query(&ctx);
    cancel(); // always call it: releases the timer when the work ends first
    let took = start.elapsed();
    match &got {
        Ok(v) => println!("  got {v} after {took:?}"),
        Err(e) => println!("  gave up after {took:?}: {e}"),
    }
    check(
        got == Err(context::Error::DeadlineExceeded) && took >= Duration::from_millis(20),
        "the query stopped at the deadline with \"context deadline exceeded\"",
    );
    println!("For a single operation, `time::after` in a select is the lighter tool:");
    let never: Chan<u32> = make!(chan u32);
    let got = select! {
        v = <-never => Some(v),
        <-time::after(Duration::from_millis(10)) => None,
    };
    check(got.is_none(), "the receive timed out after 10 ms");
}
