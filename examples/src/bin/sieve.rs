//! The concurrent prime sieve: a generator goroutine sends 2, 3, 4, ...; each prime found
//! starts a filter goroutine that drops that prime's multiples, and the filters form a chain,
//! one per prime. Whatever comes out of the end of the chain is the next prime.
//!
//! The Go original (from the Go tour and the Go spec's early examples):
//!
//! ```go
//! func generate(ch chan<- int) {
//!     for i := 2; ; i++ {
//!         ch <- i
//!     }
//! }
//!
//! func filter(in <-chan int, out chan<- int, prime int) {
//!     for {
//!         i := <-in
//!         if i%prime != 0 {
//!             out <- i
//!         }
//!     }
//! }
//!
//! func main() {
//!     ch := make(chan int)
//!     go generate(ch)
//!     for i := 0; i < 100; i++ {
//!         prime := <-ch
//!         fmt.Println(prime)
//!         ch1 := make(chan int)
//!         go filter(ch, ch1, prime)
//!         ch = ch1
//!     }
//! }
//! ```
//!
//! The original leaves its 101 goroutines blocked when `main` returns. Here a context stops
//! the chain: once the primes are in, `cancel()` makes every blocked send give up, each
//! goroutine closes its output on the way out, and the closes ripple down the chain
//! (checked with `gocsp::check_leaks`).
#![forbid(unsafe_code)]

use std::time::Duration;

use gocsp::prelude::*;

const N: usize = 100;

go_syntax! {
    /// Sends 2, 3, 4, ... on `ch` until `ctx` is done.
    fn generate(ctx: Context, ch: chan<- u32) {
        defer close(ch)
        for i in 2.. {
            select {
            case ch <- i:
            case <-ctx.done():
                return
            }
        }
    }

    /// Copies `in_` to `out`, dropping the multiples of `prime`.
    fn filter(ctx: Context, in_: <-chan u32, out: chan<- u32, prime: u32) {
        defer close(out)
        for i := range in_ {
            if i % prime != 0 {
                select {
                case out <- i:
                case <-ctx.done():
                    return
                }
            }
        }
    }

    /// The first `n` primes, from a chain of `n` filters.
    fn sieve(n: usize) -> Vec<u32> {
        ctx, cancel := context::with_cancel(&context::background())
        defer cancel()
        ch := make(chan u32)
        go generate(ctx.clone(), ch)
        primes := Vec::with_capacity(n)
        for _ in 0..n {
            prime := <-ch
            primes.push(prime)
            ch1 := make(chan u32)
            go filter(ctx.clone(), ch, ch1, prime)
            ch = ch1
        }
        primes
    }
}

/// The first `n` primes by trial division, to check the sieve against.
fn trial_division(n: usize) -> Vec<u32> {
    (2u32..)
        .filter(|&k| (2..k).take_while(|d| d * d <= k).all(|d| k % d != 0))
        .take(n)
        .collect()
}

#[gocsp::main]
fn main() {
    let primes = gocsp::check_leaks(Duration::from_secs(2), || sieve(N));
    println!("the first {N} primes, each found at the end of a chain of goroutines:");
    for row in primes.chunks(10) {
        let row: Vec<String> = row.iter().map(|p| format!("{p:>4}")).collect();
        println!("{}", row.join(""));
    }
    assert_eq!(primes, trial_division(N));
    println!(
        "ok: matches trial division; {} goroutines (a generator and {N} filters) all ended",
        N + 1
    );
}
