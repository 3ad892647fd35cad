//! Pieces every implementation of the workloads shares: sizes, the seeded generator, the
//! sieve's arithmetic, and reading the resident set from `/proc`.

use std::hint::black_box;

/// Buffer capacity of the buffered workloads (and of each channel in `select over 4`).
pub const BUFFER: usize = 1024;

/// Nodes in each context tree: node 0 is the root, node `i`'s parent is node `(i - 1) / 10`.
pub const CONTEXT_NODES: usize = 1000;

/// Timer deadlines are drawn uniformly below this many microseconds.
pub const TIMER_SPREAD_US: u64 = 1000;

/// The generator's seed; `go/main.go` uses the same one, so both sides draw the same values.
pub const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// xorshift64: small, seedable, and trivially the same in Go.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed` (must not be zero).
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next value.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// The timer workload's deadlines, in microseconds, in creation order.
pub fn timer_deadlines_us(n: usize) -> Vec<u64> {
    let mut rng = Rng::new(SEED);
    (0..n).map(|_| rng.next() % TIMER_SPREAD_US).collect()
}

/// The `n`-th prime (`nth_prime(1) == 2`): the sieve's generator stops there.
pub fn nth_prime(n: usize) -> u64 {
    assert!(n > 0);
    let mut primes: Vec<u64> = Vec::with_capacity(n);
    let mut v = 2;
    while primes.len() < n {
        if primes
            .iter()
            .take_while(|&&p| p * p <= v)
            .all(|&p| v % p != 0)
        {
            primes.push(v);
        }
        v += 1;
    }
    primes[n - 1]
}

/// The number of channel sends in the sieve to `n` primes: every number is sent once by the
/// generator, then once more by each filter it passes (every filter whose prime is below it,
/// up to the first that divides it). About 12.6 million for 5,000 primes.
pub fn sieve_hops(n: usize) -> u64 {
    let limit = nth_prime(n);
    let mut primes: Vec<u64> = Vec::with_capacity(n);
    let mut hops = 0;
    for v in 2..=limit {
        hops += 1;
        let mut prime = true;
        for &p in &primes {
            if v % p == 0 {
                prime = false;
                break;
            }
            hops += 1;
        }
        if prime {
            primes.push(v);
        }
    }
    hops
}

/// This process's resident set in bytes (`VmRSS` in `/proc/self/status`), or 0 where there is
/// no such file.
pub fn vm_rss() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Keeps `v` alive as far as the optimiser can tell.
#[inline]
pub fn sink<T>(v: T) {
    black_box(v);
}

/// What the blocked-goroutines workload measures.
#[derive(Clone, Copy, Debug)]
pub struct Blocked {
    /// Nanoseconds to start one goroutine (or thread) that then blocks.
    pub create_ns: f64,
    /// Growth of the resident set per blocked goroutine (or thread), in bytes.
    pub rss_bytes: f64,
    /// Nanoseconds per goroutine (or thread) from closing the channel until every one ended.
    pub release_ns: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primes_and_hops() {
        assert_eq!(nth_prime(1), 2);
        assert_eq!(nth_prime(5), 11);
        assert_eq!(nth_prime(5000), 48611);
        // Sends of 2 (generator), 3 (generator, 2-filter), 4 (generator; the 2-filter drops
        // it) and 5 (generator, 2-filter, 3-filter).
        assert_eq!(sieve_hops(3), 1 + 2 + 1 + 3);
        let hops = sieve_hops(5000);
        assert!((12_000_000..13_000_000).contains(&hops), "{hops}");
    }

    #[test]
    fn rng_matches_go() {
        // The same values as the Go twin's generator (and any xorshift64 with this seed).
        let mut r = Rng::new(SEED);
        assert_eq!(r.next(), 15_860_402_102_123_842_989);
        assert_eq!(timer_deadlines_us(3), [989, 574, 30]);
    }
}
