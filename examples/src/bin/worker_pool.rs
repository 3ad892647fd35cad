//! A bounded worker pool: a fixed number of workers take jobs from one channel and put
//! results on another; a WaitGroup tells when they are all done, so the results channel can be
//! closed and ranged over. However many jobs there are, at most `WORKERS` run at once.
//!
//! The Go original (Go by Example, "Worker Pools", with the WaitGroup of "WaitGroups"):
//!
//! ```go
//! func worker(id int, jobs <-chan int, results chan<- int) {
//!     for j := range jobs {
//!         time.Sleep(time.Second) // the work
//!         results <- j * 2
//!     }
//! }
//!
//! func main() {
//!     jobs := make(chan int, numJobs)
//!     results := make(chan int, numJobs)
//!     var wg sync.WaitGroup
//!     for w := 1; w <= 3; w++ {
//!         wg.Add(1)
//!         go func(id int) {
//!             defer wg.Done()
//!             worker(id, jobs, results)
//!         }(w)
//!     }
//!     for j := 1; j <= numJobs; j++ {
//!         jobs <- j
//!     }
//!     close(jobs)
//!     go func() { wg.Wait(); close(results) }()
//!     for r := range results { ... }
//! }
//! ```
//!
//! The program counts how many jobs are in progress at any moment and checks that the count
//! never goes past `WORKERS`; since each job takes `WORK`, the whole run then takes at least
//! `JOBS / WORKERS * WORK`.
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gocsp::prelude::*;

const WORKERS: usize = 3;
const JOBS: u32 = 12;
const WORK: Duration = Duration::from_millis(2);

/// A finished job: which worker did it, the job, its result.
type Done = (usize, u32, u32);

/// Jobs in progress now, and the most seen at once.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
}

go_syntax! {
    fn worker(id: usize, jobs: <-chan u32, results: chan<- Done, gauge: Arc<Gauge>) {
        for j := range jobs {
            running := gauge.now.fetch_add(1, Ordering::SeqCst) + 1
            gauge.max.fetch_max(running, Ordering::SeqCst)
            time::sleep(WORK) // the work; parks the goroutine, not its thread
            gauge.now.fetch_sub(1, Ordering::SeqCst)
            results <- (id, j, j * 2)
        }
    }

    fn pool() -> (Vec<Done>, usize) {
        jobs := make(chan u32, JOBS)
        results := make(chan Done, JOBS)
        gauge := Arc::new(Gauge::default())
        wg := WaitGroup::new()
        for w in 1..=WORKERS {
            wg.add(1)
            go func(id usize, jobs <-chan u32, results chan<- Done, gauge Arc<Gauge>, wg WaitGroup) {
                defer wg.done()
                worker(id, jobs, results, gauge)
            }(w, jobs, results, gauge.clone(), wg.clone())
        }
        for j in 1..=JOBS {
            jobs <- j
        }
        close(jobs)
        go func(wg WaitGroup, results chan<- Done) {
            wg.wait()
            close(results)
        }(wg, results)
        got := Vec::new()
        for r := range results {
            got.push(r)
        }
        (got, gauge.max.load(Ordering::SeqCst))
    }
}

#[gocsp::main]
fn main() {
    let start = Instant::now();
    let (mut results, max_running) = gocsp::check_leaks(Duration::from_secs(2), pool);
    let took = start.elapsed();
    results.sort_by_key(|&(_, job, _)| job);

    for w in 1..=WORKERS {
        let mine: Vec<u32> = results.iter().filter(|r| r.0 == w).map(|r| r.1).collect();
        println!("worker {w} did jobs {mine:?}");
    }
    println!(
        "{JOBS} jobs of {WORK:?} each on {WORKERS} workers: at most {max_running} at once, \
         {took:?} in all"
    );

    let doubled: Vec<(u32, u32)> = results.iter().map(|&(_, j, r)| (j, r)).collect();
    assert_eq!(
        doubled,
        (1..=JOBS).map(|j| (j, j * 2)).collect::<Vec<_>>(),
        "every job done exactly once"
    );
    assert!(
        (1..=WORKERS).contains(&max_running),
        "{max_running} jobs ran at once with {WORKERS} workers"
    );
    let floor = WORK * (JOBS / WORKERS as u32);
    assert!(
        took >= floor,
        "{took:?} < {floor:?}: more than {WORKERS} jobs ran at once"
    );
    println!("ok: every job done once, never more than {WORKERS} at a time");
}
