//! The macros' cost against the hand-written runtime API doing the same work.
//!
//! - `select!` (cases on the stack, one-case-plus-default fast path) against the run-time
//!   [`Select`] builder (one boxed case each): the macro must not be slower.
//! - `go!` (call and closure forms) against `gocsp::go` and `gocsp::spawn` called directly.
//!
//! Run with `cargo bench -p gocsp-ui-tests --bench macros`.
#![forbid(unsafe_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use gocsp::Select;
use gocsp::prelude::*;

/// `select!` with `default` over one empty channel: Go's non-blocking receive.
fn select_default_empty(c: &mut Criterion) {
    let mut g = c.benchmark_group("select default, 1 empty channel");
    let ch: Chan<u64> = make!(chan u64, 1);
    g.bench_function("select!", |b| {
        b.iter(|| {
            select! {
                v = <-ch => black_box(v),
                default => black_box(0),
            }
        })
    });
    g.bench_function("Select builder", |b| {
        b.iter(|| {
            let mut sel = Select::new();
            let r = sel.recv(&ch);
            match sel.try_select() {
                Some(_) => black_box(sel.take(r).unwrap_or_default()),
                None => black_box(0),
            }
        })
    });
    g.finish();
}

/// A value is sent, then a select over four buffered channels receives it (one ready case).
fn select_four_one_ready(c: &mut Criterion) {
    let mut g = c.benchmark_group("select over 4 channels, 1 ready");
    let chans: [Chan<u64>; 4] = std::array::from_fn(|_| make!(chan u64, 1));
    let [a, b2, c2, d] = &chans;
    g.bench_function("select!", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            chans[(i % 4) as usize].send(i);
            select! {
                v = <-a => black_box(v),
                v = <-b2 => black_box(v),
                v = <-c2 => black_box(v),
                v = <-d => black_box(v),
            }
        })
    });
    g.bench_function("Select builder", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            chans[(i % 4) as usize].send(i);
            let mut sel = Select::new();
            let r: [_; 4] = std::array::from_fn(|k| sel.recv(&chans[k]));
            let k = sel.select();
            black_box(sel.take(r[k]).unwrap_or_default())
        })
    });
    g.finish();
}

/// Two ready cases, with `default`: a send and a receive (the engine's random choice).
fn select_send_recv_default(c: &mut Criterion) {
    let mut g = c.benchmark_group("select send + receive + default");
    let input: Chan<u64> = make!(chan u64, 1);
    let output: Chan<u64> = make!(chan u64, 1);
    g.bench_function("select!", |b| {
        b.iter(|| {
            input.send(1);
            select! {
                v = <-input => black_box(v),
                output <- 2 => { black_box(output.recv().unwrap_or_default()); input.recv().unwrap_or_default() }
                default => 0,
            }
        })
    });
    g.bench_function("Select builder", |b| {
        b.iter(|| {
            input.send(1);
            let mut sel = Select::new();
            let r = sel.recv(&input);
            let s = sel.send(&output, 2);
            match sel.try_select() {
                Some(k) if k == r.index() => black_box(sel.take(r).unwrap_or_default()),
                Some(k) if k == s => {
                    drop(sel);
                    black_box(output.recv().unwrap_or_default());
                    input.recv().unwrap_or_default()
                }
                _ => 0,
            }
        })
    });
    g.finish();
}

fn done(wg: WaitGroup) {
    wg.done();
}

/// Start `n` goroutines that each mark a wait group, and wait for them all.
fn spawn_batch(n: u64, start: impl Fn(WaitGroup)) -> Duration {
    let wg = WaitGroup::new();
    wg.add(n as i64);
    let t = Instant::now();
    for _ in 0..n {
        start(wg.clone());
    }
    wg.wait();
    t.elapsed()
}

/// `go!` against the runtime's spawn functions, per goroutine (spawn + run + finish).
fn go_vs_spawn(c: &mut Criterion) {
    let mut g = c.benchmark_group("start and finish a goroutine");
    g.bench_function("go!(f(x))", |b| {
        b.iter_custom(|iters| spawn_batch(iters, |wg| go!(done(wg))))
    });
    g.bench_function("go!(move || ...)", |b| {
        b.iter_custom(|iters| spawn_batch(iters, |wg| go!(move || wg.done())))
    });
    g.bench_function("gocsp::go", |b| {
        b.iter_custom(|iters| spawn_batch(iters, |wg| gocsp::go(move || wg.done())))
    });
    g.bench_function("gocsp::spawn", |b| {
        b.iter_custom(|iters| {
            spawn_batch(iters, |wg| {
                gocsp::spawn(move || wg.done());
            })
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40)
}

criterion_group! {
    name = benches;
    config = config();
    targets = select_default_empty, select_four_one_ready, select_send_recv_default, go_vs_spawn
}
criterion_main!(benches);
