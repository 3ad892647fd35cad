//! Select's fairness, measured: when several cases are ready, `select` picks one uniformly at
//! random, so no ready channel can be starved by the others' traffic. (Go's runtime shuffles
//! the cases on every select; the Go spec says "a single one is chosen via a uniform
//! pseudo-random selection".)
//!
//! The Go original of the test:
//!
//! ```go
//! var counts [4]int
//! for i := 0; i < n; i++ {
//!     select {
//!     case <-c[0]: counts[0]++; c[0] <- struct{}{}
//!     case <-c[1]: counts[1]++; c[1] <- struct{}{}
//!     case <-c[2]: counts[2]++; c[2] <- struct{}{}
//!     case <-c[3]: counts[3]++; c[3] <- struct{}{}
//!     }
//! }
//! ```
//!
//! Four buffered channels are kept full, so all four cases are ready on every select. Each
//! count must be within 5% of n/4: with n = 40,000 that is about 5.8 standard deviations, so a
//! fair select fails this less than once in ten million runs, while a select that favoured
//! one case by even a few percent would fail it every time. The chi-squared statistic is
//! printed too (3 degrees of freedom: 7.8 at p = 0.05). Then `biased;`, which opts out of the
//! randomness, takes the first ready case every time.
//!
//! Set `GOCSP_SEED` to replay a run's random choices.
#![forbid(unsafe_code)]

use gocsp::prelude::*;

const N: u32 = 40_000;
const CASES: usize = 4;
/// Each count must be within this fraction of `N / CASES`.
const BOUND: f64 = 0.05;

fn fair(c: [Chan<()>; CASES]) -> [u32; CASES] {
    let mut counts = [0u32; CASES];
    let [c0, c1, c2, c3] = &c;
    for _ in 0..N {
        select! {
            <-c0 => { counts[0] += 1; c0 <- () }
            <-c1 => { counts[1] += 1; c1 <- () }
            <-c2 => { counts[2] += 1; c2 <- () }
            <-c3 => { counts[3] += 1; c3 <- () }
        }
    }
    counts
}

fn biased(c: [Chan<()>; CASES]) -> [u32; CASES] {
    let mut counts = [0u32; CASES];
    let [c0, c1, c2, c3] = &c;
    for _ in 0..N / 10 {
        select! {
            biased;
            <-c0 => { counts[0] += 1; c0 <- () }
            <-c1 => { counts[1] += 1; c1 <- () }
            <-c2 => { counts[2] += 1; c2 <- () }
            <-c3 => { counts[3] += 1; c3 <- () }
        }
    }
    counts
}

go_syntax! {
    /// Four buffered channels, each holding one value: every receive case is ready.
    fn ready_channels() -> [chan (); CASES] {
        std::array::from_fn(|_| {
            c := make(chan (), 1)
            c <- ()
            c
        })
    }
}

fn histogram(counts: &[u32; CASES]) {
    let total: u32 = counts.iter().sum();
    let max = counts.iter().copied().max().unwrap_or(1).max(1);
    for (i, &n) in counts.iter().enumerate() {
        let bar = "#".repeat((n as usize * 50).div_ceil(max as usize));
        let line = format!(
            "  case {i}: {n:>6} ({:>5.2}%) {bar}",
            100.0 * f64::from(n) / f64::from(total)
        );
        println!("{}", line.trim_end());
    }
}

#[gocsp::main]
fn main() {
    // Selects run inside a goroutine, where programs usually run them.
    let counts = gocsp::spawn(|| fair(ready_channels()))
        .join()
        .expect("the select loop does not panic");
    println!("{N} selects over {CASES} always-ready channels:");
    histogram(&counts);

    let expected = f64::from(N) / CASES as f64;
    let chi2: f64 = counts
        .iter()
        .map(|&n| (f64::from(n) - expected).powi(2) / expected)
        .sum();
    let worst = counts
        .iter()
        .map(|&n| (f64::from(n) - expected).abs() / expected)
        .fold(0.0, f64::max);
    println!(
        "  expected {expected} each; largest deviation {:.2}% (bound {:.0}%); \
         chi-squared {chi2:.2}",
        100.0 * worst,
        100.0 * BOUND
    );
    assert_eq!(counts.iter().sum::<u32>(), N);
    assert!(
        worst <= BOUND,
        "select is not uniform: {counts:?}, a count is {:.2}% off n/{CASES}",
        100.0 * worst
    );

    let counts = gocsp::spawn(|| biased(ready_channels()))
        .join()
        .expect("the select loop does not panic");
    println!("{} selects with `biased;`:", N / 10);
    histogram(&counts);
    assert_eq!(
        counts,
        [N / 10, 0, 0, 0],
        "biased takes the first ready case"
    );
    println!(
        "ok: uniform within {:.0}% without `biased;`, always the first case with it",
        100.0 * BOUND
    );
}
