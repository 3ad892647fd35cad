//! Select fairness: among ready cases, each is chosen uniformly at random. A chi-square test
//! over 10,000 selects per pattern of ready and not-ready cases, with a bound that "always the
//! first ready" and "random start, then the next ready in order" both fail (checked here too).
//!
//! Seeded: `gocsp::seed_rng` fixes the select's generator and `GOCSP_TEST_SEED` overrides the
//! seed. The bound is the chi-square critical value at p = 1e-6, so a correct implementation
//! fails for about one seed in a million.
#![cfg(not(loom))]

mod common;

use common::{Rng, test_seed};
use gocsp::{Chan, Runtime, Select};

const SELECTS: usize = 10_000;

/// Chi-square critical values at p = 1e-6, by degrees of freedom (1..=3).
const CRITICAL: [f64; 4] = [0.0, 23.93, 27.63, 30.66];

fn chi_square(counts: &[usize]) -> f64 {
    let total: usize = counts.iter().sum();
    let expected = total as f64 / counts.len() as f64;
    counts
        .iter()
        .map(|&o| (o as f64 - expected).powi(2) / expected)
        .sum()
}

/// Patterns of ready (`true`) and never-ready (`false`) receive cases, in source order. Gaps
/// between ready cases are what "random start, then cyclic" gets wrong.
const PATTERNS: &[&[bool]] = &[
    &[true, true],
    &[true, true, true],
    &[true, true, true, true],
    &[true, false, true],
    &[false, true, true, false],
    &[true, false, false, true],
    &[true, true, false, true],
    &[true, false, true, false, true, true],
];

/// Runs `SELECTS` selects over `pattern` and returns how often each ready case won.
fn run_pattern(pattern: &[bool]) -> Vec<usize> {
    let chans: Vec<Chan<u8>> = pattern.iter().map(|_| Chan::new(1)).collect();
    let ready: Vec<usize> = (0..pattern.len()).filter(|&i| pattern[i]).collect();
    for &i in &ready {
        chans[i].send(0);
    }
    let mut wins = vec![0usize; pattern.len()];
    for _ in 0..SELECTS {
        let mut sel = Select::new();
        for c in &chans {
            sel.recv(c);
        }
        let i = sel.select();
        assert!(pattern[i], "a case that was not ready won");
        wins[i] += 1;
        drop(sel);
        chans[i].send(0);
    }
    ready.iter().map(|&i| wins[i]).collect()
}

/// What "pick a random start, then the first ready case from there on" would produce.
fn simulate_cyclic(pattern: &[bool], rng: &mut Rng) -> Vec<usize> {
    let n = pattern.len();
    let ready: Vec<usize> = (0..n).filter(|&i| pattern[i]).collect();
    let mut wins = vec![0usize; n];
    for _ in 0..SELECTS {
        let start = rng.below(n as u64) as usize;
        let i = (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| pattern[i])
            .unwrap();
        wins[i] += 1;
    }
    ready.iter().map(|&i| wins[i]).collect()
}

fn check(pattern: &[bool], wins: &[usize], seed: u64, where_: &str) {
    let k = wins.len();
    let bound = CRITICAL[(k - 1).min(3)];
    let chi = chi_square(wins);
    assert!(
        chi < bound,
        "{where_}: pattern {pattern:?}: wins {wins:?} are not uniform (chi-square {chi:.1} >= {bound}; seed {seed})"
    );
    // A plainer bound too: every ready case wins within 10% of its fair share.
    let fair = SELECTS / k;
    for &w in wins {
        assert!(
            w.abs_diff(fair) * 10 < fair,
            "{where_}: pattern {pattern:?}: wins {wins:?} stray from {fair} (seed {seed})"
        );
    }
}

#[test]
fn the_bound_rejects_biased_and_cyclic_choices() {
    let mut rng = Rng::new(test_seed(0xFA1E));
    let mut checked_cyclic = 0;
    for pattern in PATTERNS {
        let k = pattern.iter().filter(|&&r| r).count();
        let bound = CRITICAL[(k - 1).min(3)];
        // Always the first ready case.
        let mut first = vec![0; k];
        first[0] = SELECTS;
        assert!(chi_square(&first) > bound);
        // Random start, then cyclic: fails wherever ready cases sit behind gaps of unequal
        // length (a ready case right after a gap wins the starts that fall in the gap).
        if !uniform_gaps(pattern) {
            let cyclic = simulate_cyclic(pattern, &mut rng);
            assert!(
                chi_square(&cyclic) > bound,
                "pattern {pattern:?}: cyclic {cyclic:?} would pass"
            );
            checked_cyclic += 1;
        }
    }
    assert!(
        checked_cyclic >= 4,
        "too few patterns tell cyclic from uniform"
    );
}

/// True if every ready case is preceded (cyclically) by the same number of not-ready cases, the
/// only patterns where "random start, then cyclic" happens to be uniform.
fn uniform_gaps(pattern: &[bool]) -> bool {
    let n = pattern.len();
    let gaps: Vec<usize> = (0..n)
        .filter(|&i| pattern[i])
        .map(|i| (1..=n).take_while(|&d| !pattern[(i + n - d) % n]).count())
        .collect();
    gaps.windows(2).all(|w| w[0] == w[1])
}

#[test]
fn ready_receive_cases_win_uniformly_on_a_thread() {
    let seed = test_seed(0x005E_1EC7);
    gocsp::seed_rng(seed);
    for pattern in PATTERNS {
        let wins = run_pattern(pattern);
        check(pattern, &wins, seed, "thread");
    }
}

#[test]
fn ready_receive_cases_win_uniformly_in_a_goroutine() {
    let seed = test_seed(0x6040_7715);
    // A runtime of our own: the worker's generator is seeded from inside the goroutine and no
    // other test's goroutine shares it.
    let rt = Runtime::builder().workers(1).build().unwrap();
    rt.block_on(move || {
        gocsp::seed_rng(seed);
        for pattern in PATTERNS {
            let wins = run_pattern(pattern);
            check(pattern, &wins, seed, "goroutine");
        }
    });
}

#[test]
fn ready_send_and_receive_cases_mixed_win_uniformly() {
    let seed = test_seed(0x5E4D);
    gocsp::seed_rng(seed);
    // Case 0 sends into a buffer with room, case 1 receives a buffered value, case 2 is an
    // empty receive, case 3 sends into a full buffer.
    let out: Chan<u8> = Chan::new(1);
    let input: Chan<u8> = Chan::new(1);
    let empty: Chan<u8> = Chan::new(1);
    let full: Chan<u8> = Chan::new(1);
    full.send(0);
    input.send(0);
    let mut wins = [0usize; 4];
    for _ in 0..SELECTS {
        let mut sel = Select::new();
        sel.send(&out, 1);
        sel.recv(&input);
        sel.recv(&empty);
        sel.send(&full, 1);
        let i = sel.select();
        wins[i] += 1;
        drop(sel);
        match i {
            0 => assert_eq!(out.recv(), Some(1)),
            1 => input.send(0),
            _ => panic!("case {i} was not ready"),
        }
    }
    check(&[true, true, false, false], &wins[..2], seed, "send/recv");
}

#[test]
fn biased_select_is_not_fair_on_purpose() {
    let chans: Vec<Chan<u8>> = (0..3).map(|_| Chan::new(1)).collect();
    chans.iter().for_each(|c| c.send(0));
    let mut wins = [0usize; 3];
    for _ in 0..1_000 {
        let mut sel = Select::new();
        sel.biased();
        chans.iter().for_each(|c| {
            sel.recv(c);
        });
        let i = sel.select();
        wins[i] += 1;
        drop(sel);
        chans[i].send(0);
    }
    assert_eq!(wins, [1_000, 0, 0]);
}
