//! Where a new goroutine starts: on its spawner's worker (the default: a goroutine and the ones
//! it starts usually talk), or dealt out round-robin over the workers (parallel work).
//!
//! A started goroutine never changes threads, so this choice is made once, at spawn, and it is
//! made from the spawn site (`Location`) of the goroutine:
//!
//! | what we know of the site | where its goroutines start |
//! |---|---|
//! | **long runners**: its goroutines run `LONG_RUN` or more between parks | dealt out, every spawn |
//! | **talkers**: its goroutines park (or finish) sooner | the spawner's worker |
//! | nothing yet | the spawner's worker, except a **burst**: past `BURST_LOCAL` spawns from the site in one run of the spawner (or in a row from a plain thread), the rest are dealt out |
//!
//! The burst rule is what spreads a worker pool the first time: its goroutines block on their
//! job channel as soon as they start, so no queue ever looks like a backlog to steal from, and
//! once started they cannot move. A pair or a handful of goroutines that talk (ping-pong, 4
//! producers and 4 consumers) stays below `BURST_LOCAL` and on one worker, where a hand-off
//! costs no cross-thread wake-up.
//!
//! The learning (`ran`): the worker times a goroutine's run (from resume to park, yield or
//! return) while its site's class is unknown, and one run in `SETTLED_SAMPLE` after that. A
//! long run scores the site up, a short one down; scores saturate, so a site can change its
//! class. A first run that ends in a park is not counted: a pool member starts and blocks on
//! its job channel at once, and what it does later is what matters. Spawns read the table
//! with two relaxed loads; a settled site's runs pay one table read and, rarely, a clock read.

use std::cell::Cell;
use std::panic::Location;
use std::sync::atomic::{AtomicI8, AtomicUsize, Ordering};
use std::time::Duration;

/// Spawns from one site, in one run of the spawner, that start on the spawner's worker before
/// the rest of the burst is dealt out.
pub(crate) const BURST_LOCAL: u32 = 4;
/// Score at or above which a site's goroutines are long runners.
const HOT: i8 = 2;
/// Score at or below which a site's goroutines are talkers.
const COLD: i8 = -2;
const SATURATE: i8 = 8;
/// A run at least this long between parks scores its site up; a shorter one scores it down.
/// A goroutine that computes this long without talking is worth a core of its own: a
/// hand-off to another worker costs a few microseconds at most.
const LONG_RUN: Duration = Duration::from_micros(20);
/// A long run outweighs this many short ones: a site that mixes long runners with talkers
/// (one `spawn` helper for a pool and its feeder) is spread, because a long runner kept on a
/// busy worker idles a core for its whole run, while a talker dealt away costs a cross-worker
/// hand-off (microseconds) per message.
const LONG_WEIGHT: i8 = 2;
/// Once a site's class is known, one run in this many (per worker) is still timed.
const SETTLED_SAMPLE: u32 = 64;
/// Slots in the site table (a power of two). Sites that share a slot evict each other.
const SLOTS: usize = 1024;

struct Slot {
    /// The site's `Location` address, or 0.
    site: AtomicUsize,
    score: AtomicI8,
    /// Round-robin cursor for the site's dealt goroutines: per site, so that two sites
    /// dealing at once each spread evenly.
    next: AtomicUsize,
}

static TABLE: [Slot; SLOTS] = [const {
    Slot {
        site: AtomicUsize::new(0),
        score: AtomicI8::new(0),
        next: AtomicUsize::new(0),
    }
}; SLOTS];

std::thread_local! {
    /// The spawner's current burst: (site, tick of the spawner's worker, spawns so far).
    static BURST: Cell<(usize, u32, u32)> = const { Cell::new((0, 0, 0)) };
}

#[inline]
fn key(site: &'static Location<'static>) -> usize {
    site as *const Location<'static> as usize
}

#[inline]
fn slot(key: usize) -> &'static Slot {
    // Fibonacci hashing of the address; the top bits pick the slot.
    let h = (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    &TABLE[(h >> (64 - SLOTS.trailing_zeros())) as usize]
}

/// The learned score of `site` (0 if unknown).
#[inline]
fn score(key: usize) -> i8 {
    let s = slot(key);
    if s.site.load(Ordering::Relaxed) == key {
        s.score.load(Ordering::Relaxed)
    } else {
        0
    }
}

/// Where a goroutine spawned at `site` should start: `Some(worker)` to deal it out, `None` to
/// keep it with the spawner. `tick` identifies the spawner's current run on its worker (the
/// worker's schedule counter; 0 on a plain thread), so a burst ends when the spawner parks.
/// Dealt goroutines go round-robin over every worker, the spawner's own included, each into
/// the worker's inbox, where no thief takes it: the deal is exact.
#[inline]
pub(crate) fn deal(site: &'static Location<'static>, tick: u32, workers: usize) -> Option<usize> {
    if workers < 2 {
        return None;
    }
    let key = key(site);
    let score = score(key);
    let spread = if score >= HOT {
        true
    } else if score <= COLD {
        false
    } else {
        BURST
            .try_with(|b| {
                let (s, t, n) = b.get();
                let n = if s == key && t == tick { n + 1 } else { 1 };
                b.set((key, tick, n));
                n > BURST_LOCAL
            })
            .unwrap_or(false)
    };
    if !spread {
        return None;
    }
    Some(slot(key).next.fetch_add(1, Ordering::Relaxed) % workers)
}

/// Whether the worker should time this run of a goroutine from `site`: every run while the
/// site's class is unknown, one run in `SETTLED_SAMPLE` (by the worker's tick) once it is known,
/// so a site can change its class while a settled one costs nearly nothing.
#[inline]
pub(crate) fn sample(site: &'static Location<'static>, tick: u32) -> bool {
    let score = score(key(site));
    (COLD < score && score < HOT) || tick.is_multiple_of(SETTLED_SAMPLE)
}

/// A goroutine from `site` ran for `took` before it parked, yielded or finished. `fresh`: this
/// was its first run; `finished`: it returned. A first run that ends in a park says nothing
/// (a pool member starts and waits for its first job); any other run scores the site up if
/// it was long (by `LONG_WEIGHT`), down if it was short.
pub(crate) fn ran(site: &'static Location<'static>, took: Duration, fresh: bool, finished: bool) {
    let long = took >= LONG_RUN;
    if fresh && !finished && !long {
        return;
    }
    let key = key(site);
    let s = slot(key);
    let old = if s.site.load(Ordering::Relaxed) == key {
        s.score.load(Ordering::Relaxed)
    } else {
        // Evict whatever site had this slot (a race with another worker only loses a sample).
        s.score.store(0, Ordering::Relaxed);
        s.site.store(key, Ordering::Relaxed);
        0
    };
    let new = if long {
        (old + LONG_WEIGHT).min(SATURATE)
    } else {
        (old - 1).max(-SATURATE)
    };
    s.score.store(new, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn here() -> &'static Location<'static> {
        Location::caller()
    }

    #[test]
    fn a_burst_past_the_local_share_is_dealt_round_robin() {
        let site = here();
        let dealt: Vec<Option<usize>> = (0..BURST_LOCAL + 8).map(|_| deal(site, 7, 4)).collect();
        assert!(dealt[..BURST_LOCAL as usize].iter().all(Option::is_none));
        let rest: Vec<usize> = dealt[BURST_LOCAL as usize..]
            .iter()
            .flatten()
            .copied()
            .collect();
        assert_eq!(rest.len(), 8, "every spawn past the local share is dealt");
        for w in 0..4 {
            assert_eq!(rest.iter().filter(|&&i| i == w).count(), 2, "{rest:?}");
        }
    }

    #[test]
    fn a_new_run_of_the_spawner_starts_a_new_burst() {
        let site = here();
        for tick in 0..20 {
            for _ in 0..BURST_LOCAL {
                assert_eq!(deal(site, tick, 4), None);
            }
        }
    }

    #[test]
    fn one_worker_deals_nothing() {
        let site = here();
        assert!((0..20).all(|_| deal(site, 1, 1).is_none()));
    }

    #[test]
    fn long_runners_are_dealt_at_once_and_talkers_never() {
        let long = here();
        ran(long, LONG_RUN, true, true);
        assert!(
            deal(long, 1, 4).is_some(),
            "one long run makes a long runner"
        );

        let talker = here();
        ran(talker, Duration::ZERO, false, false);
        ran(talker, Duration::ZERO, false, false);
        assert!(
            (0..20).all(|_| deal(talker, 2, 4).is_none()),
            "a talker's bursts stay local"
        );
        assert!(
            !sample(talker, 1) && sample(talker, 0),
            "settled: one run in 64 is timed"
        );
    }

    #[test]
    fn a_first_run_that_parks_at_once_says_nothing() {
        let site = here();
        for _ in 0..10 {
            ran(site, Duration::ZERO, true, false);
        }
        assert_eq!(score(key(site)), 0);
        assert!(sample(site, 1), "still unknown, so every run is timed");
    }
}
