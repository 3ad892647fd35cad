//! Where a new goroutine starts: on its spawner's worker (the default: a goroutine and the ones
//! it starts usually talk), or dealt out round-robin over the workers (parallel work).
//!
//! A started goroutine never changes threads, so this choice is made once, at spawn, and it is
//! made from the spawn site (`Location`) of the goroutine:
//!
//! | what we know of the site | where its goroutines start |
//! |---|---|
//! | **long runners**: its goroutines run `LONG_RUN` or more between parks | dealt out, every spawn: an equal share of a burst to each worker, consecutive spawns together (`long_runner`) |
//! | **talkers**: its goroutines park (or finish) sooner | the spawner's worker |
//! | nothing yet | the spawner's worker, except a **burst**: past `BURST_LOCAL` spawns from the site in one run of the spawner (or in a row from a plain thread), the rest are dealt out, one by one, then (a goroutine's burst) in segments that grow with it (`BURST_SHARE`); a goroutine's burst begun with the class unknown is not dealt as a long runner's before it ends |
//! | a **crowd**: `CROWD` or more of its goroutines are alive and have parked | dealt out in segments, where the rules above would keep it local (a burst's longer segments when it spawns in one) |
//! | **nested**: spawned by a goroutine of the same site (a recursion: a parallel quicksort) | the spawner's worker, before any rule above, in its `nested` queue, newest first, where idle workers take the oldest (the largest subtrees) at once (`OwnQueues::nested`) |
//!
//! And one rule by order: the first spawn after a burst of long runners that reached every
//! worker, in the same run of the spawner, from another site (a pool's feeder), goes to the
//! worker after the spawner's (see `deal`).
//!
//! The burst rule is what spreads a worker pool the first time: its goroutines block on their
//! job channel as soon as they start, so no queue ever looks like a backlog to steal from, and
//! once started they cannot move. A pair or a handful of goroutines that talk (ping-pong, 4
//! producers and 4 consumers) stays below `BURST_LOCAL` and on one worker, where a hand-off
//! costs no cross-thread wake-up.
//!
//! The crowd rule is what spreads a Go server and a chain. An accept loop starts one handler
//! per connection and parks between accepts; the prime sieve's reader starts one filter per
//! prime and parks between them. Neither makes a burst, and their goroutines talk (park
//! within microseconds), so the class rules would keep thousands of them on one worker. Once a
//! site has `CROWD` goroutines alive that have parked at least once, its next spawns are dealt
//! out in segments: consecutive spawns go to one worker, then the next worker, and a segment
//! grows with the crowd (`live / workers`, from `SEGMENT_MIN` to `SEGMENT_MAX`). A chain whose
//! stages talk to their neighbours crosses workers once per segment, not at every hop; the
//! handlers of a server reach every worker once there are a few per worker. Goroutines that
//! finish without parking (spawn-and-finish, a burst of short tasks) never count in a crowd.
//!
//! The learning (`ran`): the worker times a goroutine's run (from resume to park, yield or
//! return) while its site's class is unknown, and one run in `SETTLED_SAMPLE` after that. A
//! long run scores the site up, a short one down; scores saturate, so a site can change its
//! class. A first run that ends in a park is not counted: a pool member starts and blocks on
//! its job channel at once, and what it does later is what matters. Spawns read the table
//! with a few relaxed loads (a site's slot is one of `WAYS` from its hash on); a settled
//! site's runs pay a look at a flag in the goroutine (it remembers its site settled, `sample`)
//! and, rarely, a table lookup and a clock read.

use std::cell::Cell;
use std::panic::Location;
use std::sync::atomic::{AtomicI8, AtomicU32, AtomicUsize, Ordering};
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
/// One wake in this many of a dealt goroutine is counted (`woken`).
const WAKE_SAMPLE: u32 = 8;
/// Score of `woken` at or above which a site's goroutines stay with their spawner (in a
/// crowd or a burst; long runners are still dealt).
const AWAY: i8 = 4;
/// Slots in the site table (a power of two).
const SLOTS: usize = 1024;
/// Slots a site may take, from its home slot on. With one, two sites that hashed to the same
/// slot evicted each other's learning at every sample: squeezed into 64 slots, the
/// `sched_spread` tests failed in 3 runs of 20 with one way and in none with four; with 1,024
/// slots, one CI build saw the accept loop's 256 handlers all start on one worker, as they do
/// when their crowd never forms.
const WAYS: usize = 4;
/// Goroutines of one site alive and parked at least once, from which on its spawns are dealt
/// out in segments. Above the handful of talkers that share a worker well (ping-pong, 4
/// producers and 4 consumers), and above `SPAWN_BACKLOG`, so a spawner that a backlog holds
/// back does not make a crowd.
const CROWD: u32 = 16;
/// The longest run of a burst of long runners dealt to one worker; a longer burst is dealt one
/// by one. Such a burst is a fan-out of independent jobs rather than a chain, and dealt in
/// runs each worker waits for its first job longer while the spawner, held back by its
/// backlog (`SPAWN_BACKLOG`) or sharing a worker with its goroutines, works through the runs
/// before it: 500 jobs of 0.3 ms on 2 workers took 96 ms in runs of 250, 78 ms in runs of 4
/// and 75.5 ms one by one.
const LONG_SEGMENT_MAX: usize = 4;
/// The shortest and longest segment of a crowd's spawns dealt to one worker. (The longest
/// keeps the handlers of a server with thousands of connections alternating between workers
/// every few hundred accepts.)
const SEGMENT_MIN: u32 = 4;
const SEGMENT_MAX: u32 = 128;
/// A goroutine's burst is dealt in segments that grow with it: its `m`th dealt spawn opens a
/// segment of `m / (workers * BURST_SHARE)` spawns (at least one). The workers' shares then
/// differ by about `1 / BURST_SHARE` of the burst at most, a burst of up to
/// `2 * workers * BURST_SHARE` spawns (a pool of 64 on 16 workers) is dealt one by one, and a
/// chain started in one burst (Go's "whispers": 100k goroutines, each waiting on the next)
/// crosses workers a few hundred times instead of at every hop. Dealt one by one, that chain's first run took 0.8-1.5 s on
/// 2 workers, against Go's 0.34 s and 0.1 s for the same chain on one worker.
const BURST_SHARE: u32 = 16;
/// The longest segment of a burst. Longer than a crowd's: the workers' shares are kept even
/// by `BURST_SHARE`, and the whispers' chain crosses workers 340 times with segments of up
/// to 1,024 against 955 with up to 128 (its first run on 2 workers: 71-88 ms against
/// 91-120).
const BURST_SEGMENT_MAX: u32 = 1024;

struct Slot {
    /// The site's `Location` address, or 0.
    site: AtomicUsize,
    score: AtomicI8,
    /// Round-robin cursor for the site's dealt goroutines: per site, so that two sites
    /// dealing at once each spread evenly.
    next: AtomicUsize,
    /// The site's goroutines alive that have parked at least once (`parked_first`,
    /// `finished`): its crowd.
    live: AtomicU32,
    /// Spawns left in the crowd's current segment.
    segment_left: AtomicU32,
    /// How many spawns the site's last finished burst had (spawns in one run of a spawner,
    /// or in a row from a plain thread); 0 if none is known.
    last_burst: AtomicU32,
    /// The worker the current burst of long runners started on.
    burst_base: AtomicUsize,
    /// How often its goroutines dealt away from their spawner's worker are woken by their
    /// spawner (up by one) rather than by another goroutine (down by two); at `AWAY` or more,
    /// its crowd stays with the spawner (`woken`).
    away: AtomicI8,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            site: AtomicUsize::new(0),
            score: AtomicI8::new(0),
            next: AtomicUsize::new(0),
            live: AtomicU32::new(0),
            segment_left: AtomicU32::new(0),
            last_burst: AtomicU32::new(0),
            burst_base: AtomicUsize::new(0),
            away: AtomicI8::new(0),
        }
    }

    /// The worker after the one the site dealt to last, which the cursor then names (a
    /// segment's later spawns read it). `segment` and `long_runner` both move it so: a
    /// thread's burst that turns into long runners' midway (one of its first goroutines
    /// preempted in its first run) goes on round the workers instead of dealing one twice.
    #[inline]
    fn advance(&self, workers: usize) -> usize {
        self.next.fetch_add(1, Ordering::Relaxed).wrapping_add(1) % workers
    }
}

/// The sites' learning. A site's slot is one of the `WAYS` from its home slot on (its
/// window), so sites whose home slots coincide each keep their own; a site evicts another
/// only when its whole window is taken.
struct Table([Slot; SLOTS]);

static TABLE: Table = Table::new();

impl Table {
    const fn new() -> Table {
        Table([const { Slot::new() }; SLOTS])
    }

    /// The home slot of `key`: Fibonacci hashing of the address, whose top bits pick it.
    #[inline]
    fn home(key: usize) -> usize {
        let h = (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> (64 - SLOTS.trailing_zeros())) as usize
    }

    /// The slots `key` may take: its home slot and the `WAYS - 1` after it.
    #[inline]
    fn window(&self, key: usize) -> impl Iterator<Item = &Slot> {
        let home = Self::home(key);
        (0..WAYS).map(move |i| &self.0[(home + i) % SLOTS])
    }

    /// The slot that holds the learning of `key`, if one does.
    #[inline]
    fn find(&self, key: usize) -> Option<&Slot> {
        self.window(key)
            .find(|s| s.site.load(Ordering::Relaxed) == key)
    }

    /// The slot of `key`, taken if it has none: a free slot of its window, else the one whose
    /// site has the smallest crowd (that site's learning is lost).
    ///
    /// A free slot is taken by compare-and-swap, so a site's spawner and its goroutines'
    /// workers, claiming it at once (a thread's burst is dealt while its first goroutines
    /// park), end up in one slot; and a free slot was never used, so it needs no reset that
    /// could wipe what the winner already wrote. Two sites that evict at once may still both
    /// take one slot; the one that lost claims another at its next sample.
    #[inline]
    fn claim(&self, key: usize) -> &Slot {
        if let Some(s) = self.find(key) {
            return s;
        }
        for s in self.window(key) {
            match s
                .site
                .compare_exchange(0, key, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return s,
                Err(site) if site == key => return s,
                Err(_) => {}
            }
        }
        let s = self
            .window(key)
            .min_by_key(|s| s.live.load(Ordering::Relaxed))
            .expect("a window has WAYS >= 1 slots");
        s.score.store(0, Ordering::Relaxed);
        s.live.store(0, Ordering::Relaxed);
        s.segment_left.store(0, Ordering::Relaxed);
        s.last_burst.store(0, Ordering::Relaxed);
        s.away.store(0, Ordering::Relaxed);
        s.site.store(key, Ordering::Relaxed);
        s
    }
}

/// The current burst of spawns on this thread.
#[derive(Clone, Copy)]
struct Burst {
    site: usize,
    /// The spawner's worker's tick when the burst began (or last continued).
    tick: u32,
    /// Spawns so far.
    n: u32,
    /// The spawner yielded to its backlog (`burst_yields`): its next spawn continues the burst.
    yielded: bool,
    /// The burst's site is a long runner's (its spawns were dealt by `long_runner`).
    long: bool,
    /// The site's class was unknown at the burst's first spawn: the burst is dealt as a
    /// burst to its end, even if the site turns out a long runner's meanwhile (see `deal`).
    unknown: bool,
}

std::thread_local! {
    static BURST: Cell<Burst> = const {
        Cell::new(Burst { site: 0, tick: 0, n: 0, yielded: false, long: false, unknown: false })
    };
}

/// A spawner on this thread yields because goroutines it started pile up unstarted: its burst
/// goes on after the yield. (Otherwise a fan-out of 500 would be remembered as bursts of 16,
/// and dealt in runs where one by one is faster: `LONG_SEGMENT_MAX`.)
#[inline]
pub(crate) fn burst_yields() {
    let _ = BURST.try_with(|b| {
        b.set(Burst {
            yielded: true,
            ..b.get()
        })
    });
}

#[inline]
fn key(site: &'static Location<'static>) -> usize {
    site as *const Location<'static> as usize
}

/// The learned score of `site` (0 if unknown).
#[inline]
fn score(key: usize) -> i8 {
    TABLE
        .find(key)
        .map_or(0, |s| s.score.load(Ordering::Relaxed))
}

/// Where a goroutine spawned at `site` should start: `Some(worker)` to deal it out, `None` to
/// keep it with the spawner. `tick` identifies the spawner's current run on its worker (the
/// worker's schedule counter; 0 on a plain thread), so a burst ends when the spawner parks
/// (not when its backlog makes it yield: `burst_yields`); `spawner` is the spawner's worker
/// (`None` on a plain thread); `nested`: the spawner is a goroutine of the same site (a
/// recursion), kept local always. Dealt goroutines go over every worker, the spawner's own
/// included, one by one or in runs (`long_runner`), each into the worker's inbox, where no
/// thief takes it: the deal is exact.
#[inline(always)]
pub(crate) fn deal(
    site: &'static Location<'static>,
    tick: u32,
    spawner: Option<usize>,
    workers: usize,
    nested: bool,
) -> Option<usize> {
    // A recursion's subtrees stay with their spawner, whatever the site's class, and idle
    // workers take the largest (`OwnQueues::nested`). Dealt as a burst or a crowd, 35,000 of a
    // tree of 65,535 started on another worker than their parent's (1.7x Go's time on 2
    // workers); dealt as long runners (leaves of 100 us), half of them did, at Go's time, as
    // kept here and stolen, with 18 crossings instead of 415.
    if workers < 2 || nested {
        return None;
    }
    deal_by_site(site, tick, spawner, workers)
}

/// [`deal`] past its first test: out of line, so that a spawn on a runtime of one worker pays
/// no call for it.
#[inline(never)]
fn deal_by_site(
    site: &'static Location<'static>,
    tick: u32,
    spawner: Option<usize>,
    workers: usize,
) -> Option<usize> {
    let key = key(site);
    let learned = TABLE.find(key);
    let score = learned.map_or(0, |s| s.score.load(Ordering::Relaxed));
    // A plain thread's spawns in a row are one burst however long it runs (a thread has no
    // runs to end one): its bursts are dealt one by one and judged by the site's class as it
    // is now. A burst of a goroutine ends when its spawner parks.
    let from_goroutine = spawner.is_some();
    // This spawn's place in its burst (1 for the first), whether it is the first spawn after
    // a burst of long runners in the same run of the spawner, and whether this spawn is dealt
    // as a long runner's. A burst that began with the site's class unknown is not: its
    // goroutines' first runs park at once (uncounted) until one is slow (a fresh stack's page
    // faults, a preempted worker: 60 us to 1 ms, measured, in 1 of 100k) and makes the site a
    // long runner's by itself, after which `long_runner` dealt the rest of a 100k chain one
    // by one (a burst of unknown length), so it crossed workers at every hop again.
    let (n, after_long, long) = BURST
        .try_with(|b| {
            let last = b.get();
            let same_run = last.tick == tick || last.yielded;
            let (n, after_long, unknown) = if last.site == key && same_run {
                (last.n.saturating_add(1), false, last.unknown)
            } else {
                if last.site != 0 {
                    burst_ended(last.site, last.n);
                }
                let after_long = last.long && same_run && last.n as usize >= workers;
                (1, after_long, from_goroutine && COLD < score && score < HOT)
            };
            let long = score >= HOT && !unknown;
            b.set(Burst {
                site: key,
                tick,
                n,
                yielded: false,
                long,
                unknown,
            });
            (n, after_long, long)
        })
        .unwrap_or((1, false, score >= HOT));
    // The first goroutine started after a burst of long runners that reached every worker
    // (a pool's feeder, started after its members) goes to the next worker, whatever its own
    // class: it and the spawner (the pool's collector) each serve the long runners, and a
    // started goroutine runs only when its worker's current goroutine parks, so on one worker
    // the two would be served half as often, and the other workers' long runners would wait
    // for them. A pool of 8 on 2 workers, 400 jobs of 0.37 ms: 76.5-91 ms with the feeder
    // beside the collector, 76-80 on the other worker (Go's 75). After a shorter burst some
    // worker has no long runner, and a goroutine that talks to the spawner is best kept
    // beside it: the next worker may be the one a long runner holds.
    if after_long && let Some(w) = spawner {
        return Some((w + 1) % workers);
    }
    // A site deals with its own cursors: one with no slot yet (a thread's first burst, before
    // any of its goroutines ran) takes one, since sharing another site's cursor would deal it
    // unevenly when both deal at once.
    if long {
        let s = learned.unwrap_or_else(|| TABLE.claim(key));
        return Some(long_runner(s, n, spawner, workers));
    }
    // Goroutines learned to be woken by their spawner (`woken`) stay with it, in a burst as
    // in a crowd: their class is no reason to deal them, as a talker's site can look unknown
    // again after a few runs that the OS preempted (each scores as long as `LONG_WEIGHT`
    // short ones).
    if learned.is_some_and(|s| s.away.load(Ordering::Relaxed) >= AWAY) {
        return None;
    }
    if score > COLD && n > BURST_LOCAL {
        let s = learned.unwrap_or_else(|| TABLE.claim(key));
        let len = burst_segment(n, workers, from_goroutine).max(1);
        return Some(segment(s, len, workers));
    }
    // Kept local by its class: unless it is a crowd. (Not before the rules above: a burst or
    // long runners dealt one by one spread evenly, and segments would undo that.)
    if let Some(s) = learned {
        let live = s.live.load(Ordering::Relaxed);
        if live >= CROWD {
            // A crowd spawned in one long burst (a chain of talkers started again) gets the
            // burst's longer segments: the whispers' 100k, warm, crossed workers 788 times in
            // segments of up to 128 (chain passed in 92-107 ms), 164 in the burst's (64-82 ms).
            let len = (live / workers as u32)
                .clamp(SEGMENT_MIN, SEGMENT_MAX)
                .max(burst_segment(n, workers, from_goroutine));
            return Some(segment(s, len, workers));
        }
    }
    None
}

/// The segment that the `n`th spawn of a burst opens (0 within the local share, and always
/// for a plain thread's endless burst): the burst's dealt spawns so far over the workers and
/// `BURST_SHARE`, so each worker's share stays within one segment of the others'.
#[inline]
fn burst_segment(n: u32, workers: usize, from_goroutine: bool) -> u32 {
    if !from_goroutine {
        return 0;
    }
    (n.saturating_sub(BURST_LOCAL) / (workers as u32 * BURST_SHARE)).min(BURST_SEGMENT_MAX)
}

/// A burst of `n` spawns from the site `key` ended: remembered for its next burst.
#[inline]
fn burst_ended(key: usize, n: u32) {
    if let Some(s) = TABLE.find(key)
        && s.last_burst.load(Ordering::Relaxed) != n
    {
        s.last_burst.store(n, Ordering::Relaxed);
    }
}

/// The worker the `n`th spawn of a burst of long runners goes to. Each worker gets an equal
/// share of the burst, as consecutive spawns: the site's last burst had `len` spawns, so
/// `len / workers` (rounded up; if that is at most `LONG_SEGMENT_MAX`) in a row go to one
/// worker, then the next. The busiest worker gets as many as round-robin would give it, and
/// goroutines started one after the other share a worker: a pipeline's stages, started in
/// order, hand items over on one worker and cross to the next only at a segment's end (4 stages
/// on 2 workers: 1 crossing instead of 3; measured, 104-112 ms down to 95-99 ms against Go's
/// 86-91). A burst that reaches every worker starts on the spawner's own: the goroutines the
/// spawner started just before (a pipeline's feeder) and itself (its collector) are there, and
/// the first stage next to its feeder measured 95-97 ms, next to the collector 121-124. A burst
/// too short to reach every worker starts one worker past where the last one started, so that
/// repeated bursts still cover them all. The first burst of a site, with no length known, is
/// dealt one by one.
#[inline]
fn long_runner(s: &Slot, n: u32, spawner: Option<usize>, workers: usize) -> usize {
    let len = s.last_burst.load(Ordering::Relaxed);
    let seg = (len as usize).div_ceil(workers);
    if seg <= 1 || seg > LONG_SEGMENT_MAX {
        return s.advance(workers);
    }
    let base = if n == 1 {
        let b = match spawner {
            Some(w) if (len as usize).div_ceil(seg) >= workers => w,
            _ => s.advance(workers),
        };
        s.burst_base.store(b, Ordering::Relaxed);
        b
    } else {
        s.burst_base.load(Ordering::Relaxed)
    };
    // The first run (the base's) is the short one when the runs do not divide the burst:
    // the spawner's worker, where the burst usually starts, has the spawner and its other
    // goroutines to run too. (A dispatcher's bursts of 3 on 2 workers put 2 of every 3
    // handlers beside it, up to 226 of 400 jobs; 1 of 3 now.)
    let len = len as usize;
    let first = len - seg * (len.div_ceil(seg) - 1);
    let n = n as usize;
    let run = if n <= first {
        0
    } else {
        1 + (n - first - 1) / seg
    };
    (base + run) % workers
}

/// The worker a spawn dealt in segments (a crowd's or a burst's) goes to: the current
/// segment's, or the next worker's once the segment is full, opening a segment of `len`. A
/// segment is cut to `len`: one that a long burst left open is not continued by the next
/// burst (which starts one by one) or by a crowd's single spawns (segments of the crowd's
/// size). Spawners of one site on several workers race on the two words; a lost update only
/// makes a segment a little longer or shorter.
#[inline]
fn segment(s: &Slot, len: u32, workers: usize) -> usize {
    let left = s.segment_left.load(Ordering::Relaxed).min(len - 1);
    if left == 0 {
        s.segment_left.store(len - 1, Ordering::Relaxed);
        s.advance(workers)
    } else {
        s.segment_left.store(left - 1, Ordering::Relaxed);
        s.next.load(Ordering::Relaxed) % workers
    }
}

/// A goroutine from `site` parked for the first time: it joins its site's crowd. Called by
/// the worker on runtimes of two workers or more (as `finished` is).
#[inline]
pub(crate) fn parked_first(site: &'static Location<'static>) {
    TABLE.claim(key(site)).live.fetch_add(1, Ordering::Relaxed);
}

/// A goroutine from `site` that had parked finished: it leaves its site's crowd.
#[inline]
pub(crate) fn finished(site: &'static Location<'static>) {
    if let Some(s) = TABLE.find(key(site)) {
        // Saturating: the slot may have been taken and given back since the goroutine joined.
        let _ = s
            .live
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }
}

/// Whether the `wakes`th wake on a worker is one of the sampled ones (one in `WAKE_SAMPLE`,
/// picked by a hash of the count) that report to `woken`. Counted by wakes, not by the
/// worker's tick: a goroutine that wakes others without parking (a publisher whose sends find
/// room in its subscribers' buffers) keeps one tick for its whole run, so all of its wakes
/// in a run would be sampled or none.
#[inline]
pub(crate) fn wake_sampled(wakes: u32) -> bool {
    (wakes.wrapping_mul(0x9E37_79B9) >> (32 - WAKE_SAMPLE.trailing_zeros())) == 0
}

std::thread_local! {
    /// Set while this thread wakes the waiters of a channel it closes (`closing`).
    static CLOSING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `close`, which wakes every waiter of a channel at once (or of a `Cond::broadcast`, a
/// `WaitGroup` reaching zero, a `Once` done: `WaitQueue::wake_all`), with its wakes kept out
/// of what `woken` learns.
///
/// A close is one event, not a conversation: the end of a stream, or a start gate (a spawner
/// starts its handlers, then closes the channel they wait on to let them all go). Counted as
/// talk, a gate's one close scored every sampled handler as woken by its spawner, and could
/// take the site to `AWAY` in one go. A site kept local deals no goroutine away, so nothing
/// it learns afterwards can bring it back: measured, 64 handlers that share a lock and start
/// at a gate ran on 1 of 16 workers in 18 runs of 150 (`sched_spread`). The same gate built
/// from a `WaitGroup` or a `Cond` did so in 2-6 runs of 40, and in 8-14 of 40 once hand-offs
/// got faster (fewer of the handlers' wakes of each other outweighed the gate's), until their
/// wake-alls were marked too.
pub(crate) fn closing<R>(close: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            let _ = CLOSING.try_with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(CLOSING.try_with(|c| c.replace(true)).unwrap_or(false));
    close()
}

/// Whether this thread is waking the waiters of a channel it closes (see `closing`).
#[inline]
pub(crate) fn in_close() -> bool {
    CLOSING.try_with(Cell::get).unwrap_or(false)
}

/// A goroutine from `site` that `placement` dealt away from its spawner's worker was woken on
/// a worker, by its spawner (`by_spawner`) or not (a sampled wake: `wake_sampled`).
///
/// Goroutines woken by their spawner talk to it (a publisher that starts a hundred
/// subscribers, each with its own buffered channel, and sends each message to all of them):
/// dealt away, every message to them is a cross-worker hand-off. Goroutines woken by their
/// neighbours (a chain dealt in segments) or by each other (handlers that share a lock) are
/// not. A site whose dealt goroutines are woken by their spawner more than two times in three
/// keeps its spawns with the spawner: measured, the publisher's 1M messages took 31-98 ms on 2
/// workers with its subscribers dealt in segments, 23-24 ms on one worker (Go: 33 ms on 1 or
/// 2). The spawner itself, not any goroutine on its worker: handlers that share a lock and
/// that the crowd rule has not spread yet (its first goroutines start beside the spawner)
/// would be woken from there mostly, and kept there for good, since a site kept local has no
/// dealt goroutines left to learn from.
#[inline]
pub(crate) fn woken(site: &'static Location<'static>, by_spawner: bool) {
    let Some(s) = TABLE.find(key(site)) else {
        return;
    };
    let old = s.away.load(Ordering::Relaxed);
    let new = if by_spawner {
        (old + 1).min(SATURATE)
    } else {
        (old - 2).max(-SATURATE)
    };
    if new != old {
        s.away.store(new, Ordering::Relaxed);
    }
}

/// Whether the worker should time this run of a goroutine from `site`: every run while the
/// site's class is unknown, one run in `SETTLED_SAMPLE` once it is known, so a site can change
/// its class while a settled one costs nearly nothing. Which run is picked by a hash of the
/// worker's tick, not by its remainder: a worker's runs often repeat with a short period (a
/// handler's long run, its short last run after a wake, the dispatcher's run), and a fixed
/// stride can land on the same kind of run every time. It did: a dispatcher's handlers were
/// sampled only at their short last runs, fell out of the long runners' class again and
/// again, and were then kept beside the dispatcher in runs of up to 20 (up to 233 of 400
/// jobs on one of 2 workers).
///
/// `settled` is the goroutine's own memory of whether its site was settled when it last
/// looked: while it says so, only the tick decides, without a look at the table (a hash and
/// up to `WAYS` probes at every resume, about 2% of a ping-pong hop's instructions); a
/// run the tick picks looks again, so a site whose class becomes unknown is timed at every
/// run again by each goroutine from its next picked run on (and by new goroutines at once).
#[inline]
pub(crate) fn sample(site: &'static Location<'static>, tick: u32, settled: &Cell<bool>) -> bool {
    let picked = (tick.wrapping_mul(0x9E37_79B9) >> (32 - SETTLED_SAMPLE.trailing_zeros())) == 0;
    if settled.get() && !picked {
        return false;
    }
    let score = score(key(site));
    let unknown = COLD < score && score < HOT;
    settled.set(!unknown);
    unknown || picked
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
    let s = TABLE.claim(key(site));
    let old = s.score.load(Ordering::Relaxed);
    let new = if long {
        (old + LONG_WEIGHT).min(SATURATE)
    } else {
        (old - 1).max(-SATURATE)
    };
    if new != old {
        s.score.store(new, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn here() -> &'static Location<'static> {
        Location::caller()
    }

    /// Makes `site` a talkers' site: two short runs.
    fn as_talkers(site: &'static Location<'static>) {
        ran(site, Duration::ZERO, false, false);
        ran(site, Duration::ZERO, false, false);
    }

    /// `n` goroutines of `site` park for the first time (join its crowd).
    fn parked(site: &'static Location<'static>, n: u32) {
        for _ in 0..n {
            parked_first(site);
        }
    }

    #[test]
    fn a_burst_past_the_local_share_is_dealt_round_robin() {
        let site = here();
        let dealt: Vec<Option<usize>> = (0..BURST_LOCAL + 8)
            .map(|_| deal(site, 7, None, 4, false))
            .collect();
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
                assert_eq!(deal(site, tick, None, 4, false), None);
            }
        }
    }

    #[test]
    fn a_burst_goes_on_across_a_yield_to_the_backlog() {
        let site = here();
        for _ in 0..BURST_LOCAL - 1 {
            assert_eq!(deal(site, 1, None, 4, false), None);
        }
        burst_yields();
        // A new run of the spawner, but the same burst: the local share is used up after one.
        assert_eq!(deal(site, 2, None, 4, false), None);
        assert!(
            deal(site, 2, None, 4, false).is_some(),
            "past the local share"
        );
        // Without a yield, a new run starts a new burst.
        assert_eq!(deal(site, 3, None, 4, false), None);
    }

    /// Where `count` spawns of one burst (one run of a spawner on worker 0) go.
    fn one_burst(
        site: &'static Location<'static>,
        tick: u32,
        workers: usize,
        count: usize,
    ) -> Vec<usize> {
        (0..count)
            .filter_map(|_| deal(site, tick, Some(0), workers, false))
            .collect()
    }

    fn crossings(dealt: &[usize]) -> usize {
        dealt.windows(2).filter(|w| w[0] != w[1]).count()
    }

    #[test]
    fn a_long_burst_is_dealt_in_segments_that_grow_with_it() {
        let (site, workers) = (here(), 2);
        let dealt = one_burst(site, 1, workers, 100_000);
        assert_eq!(dealt.len(), 100_000 - BURST_LOCAL as usize);
        // The first `workers * BURST_SHARE` (and more) one by one, as a pool's members.
        let first = workers * BURST_SHARE as usize;
        assert_eq!(
            crossings(&dealt[..first]),
            first - 1,
            "{:?}",
            &dealt[..first]
        );
        // A chain started by the burst crosses workers a few hundred times, not 100k.
        let crossed = crossings(&dealt);
        assert!((100..1_000).contains(&crossed), "{crossed} crossings");
        // Whenever the burst stops, the shares differ by at most one segment.
        let mut share = [0usize; 2];
        for (m, &w) in dealt.iter().enumerate() {
            share[w] += 1;
            let segment =
                (m / (workers * BURST_SHARE as usize)).clamp(1, BURST_SEGMENT_MAX as usize);
            assert!(
                share[0].abs_diff(share[1]) <= segment + 1,
                "after {m}: {share:?}"
            );
        }
        // The next burst does not finish the segment this one left open: one by one again.
        let next = one_burst(site, 2, workers, BURST_LOCAL as usize + 8);
        assert_eq!(crossings(&next), next.len() - 1, "{next:?}");
    }

    #[test]
    fn a_plain_threads_spawns_are_dealt_one_by_one_however_many() {
        // A thread's spawns in a row are one endless burst: no growing segments, and a site
        // that turns out a long runner's is dealt as one at once.
        let site = here();
        let dealt: Vec<usize> = (0..10_000)
            .filter_map(|_| deal(site, 0, None, 2, false))
            .collect();
        assert_eq!(crossings(&dealt), dealt.len() - 1);
        ran(site, LONG_RUN, true, true);
        assert!(score(key(site)) >= HOT);
        // Long runners of a burst of unknown length: still one by one, but by `long_runner`.
        let next: Vec<usize> = (0..8)
            .filter_map(|_| deal(site, 0, None, 2, false))
            .collect();
        assert_eq!(crossings(&next), 7, "{next:?}");
        // A crowd of talkers fed by a thread keeps the crowd's segments.
        let talkers = here();
        as_talkers(talkers);
        parked(talkers, 10_000);
        let crowd: Vec<usize> = (0..100_000)
            .filter_map(|_| deal(talkers, 0, None, 2, false))
            .collect();
        assert!(crossings(&crowd) >= 100_000 / SEGMENT_MAX as usize - 1);
    }

    #[test]
    fn a_threads_burst_that_turns_into_long_runners_midway_stays_even() {
        // 64 spawns from a thread on 16 workers: 4 kept, 60 dealt, 3 or 4 to each worker,
        // though the site turns long runners' after the 10th (one of the first goroutines
        // was preempted in its first run).
        let site = here();
        let workers = 16;
        let mut dealt = vec![0usize; workers];
        for i in 0..64 {
            if i == 10 {
                ran(site, LONG_RUN, true, false);
                assert!(score(key(site)) >= HOT);
            }
            if let Some(w) = deal(site, 0, None, workers, false) {
                dealt[w] += 1;
            }
        }
        assert_eq!(dealt.iter().sum::<usize>(), 60);
        assert!(dealt.iter().all(|&n| (3..=4).contains(&n)), "{dealt:?}");
    }

    #[test]
    fn a_crowd_spawned_in_a_long_burst_gets_the_bursts_longer_segments() {
        // A chain of talkers started a second time: a crowd, spawned in one burst.
        let site = here();
        as_talkers(site);
        parked(site, CROWD);
        let dealt = one_burst(site, 1, 2, 100_000);
        assert_eq!(dealt.len(), 100_000, "a crowd deals every spawn");
        // Segments of `SEGMENT_MAX` would cross 781 times.
        let crossed = crossings(&dealt);
        assert!(crossed < 400, "{crossed} crossings");
        // Spawns one at a time (an accept loop, the sieve's reader) keep the crowd's segments.
        let single: Vec<usize> = (0..2 * SEGMENT_MAX)
            .map(|t| deal(site, t, Some(0), 2, false).unwrap())
            .collect();
        assert!(crossings(&single) >= 1, "{single:?}");
    }

    #[test]
    fn a_recursions_spawns_stay_with_the_spawner_whatever_the_class() {
        // Unknown class, past a burst's local share.
        let site = here();
        for _ in 0..BURST_LOCAL + 8 {
            assert_eq!(deal(site, 1, Some(0), 4, true), None);
        }
        // A crowd of talkers.
        as_talkers(site);
        parked(site, CROWD);
        assert!(
            deal(site, 2, Some(0), 4, false).is_some(),
            "a crowd is dealt"
        );
        assert_eq!(deal(site, 2, Some(0), 4, true), None);
        // Long runners.
        let long = here();
        ran(long, LONG_RUN, true, true);
        assert!(score(key(long)) >= HOT);
        assert!(
            deal(long, 3, Some(0), 4, false).is_some(),
            "long runners are dealt"
        );
        assert_eq!(deal(long, 3, Some(0), 4, true), None);
    }

    #[test]
    fn only_the_wakes_inside_a_close_are_marked_as_a_close() {
        assert!(!in_close());
        let inner = closing(|| {
            assert!(in_close());
            // A close inside a close (a `Drop` that closes another channel) keeps the mark,
            // and leaving it does not clear the outer one's.
            closing(|| assert!(in_close()));
            in_close()
        });
        assert!(inner, "the outer close lost its mark");
        assert!(!in_close(), "the mark outlived the close");
        // A close that panics clears its mark too.
        let _ = std::panic::catch_unwind(|| closing(|| panic!("a close that panics")));
        assert!(!in_close());
    }

    #[test]
    fn a_crowd_woken_by_its_spawner_stays_with_the_spawner() {
        let site = here();
        as_talkers(site);
        parked(site, CROWD);
        assert!(
            deal(site, 1, Some(0), 2, false).is_some(),
            "a crowd is dealt"
        );
        assert!(wake_sampled(0) && !wake_sampled(1));
        let sampled = (0..64 * WAKE_SAMPLE).filter(|&t| wake_sampled(t)).count();
        assert!(
            (56..=72).contains(&sampled),
            "about one wake in WAKE_SAMPLE: {sampled}"
        );
        for _ in 0..AWAY {
            woken(site, true);
        }
        assert_eq!(
            deal(site, 3, Some(0), 2, false),
            None,
            "woken by the spawner"
        );
        // So does a burst, even once a run that the OS preempted has made the class unknown.
        ran(site, LONG_RUN, false, false);
        assert!(COLD < score(key(site)) && score(key(site)) < HOT);
        assert_eq!(
            one_burst(site, 3, 2, 64),
            vec![],
            "a burst woken by the spawner"
        );
        as_talkers(site);
        // Wakes from elsewhere count double: one in three from there is not enough.
        for _ in 0..10 {
            woken(site, true);
            woken(site, false);
        }
        assert!(
            deal(site, 4, Some(0), 2, false).is_some(),
            "woken from anywhere"
        );
        // A site that is not in the table is not claimed by a wake.
        let other = here();
        woken(other, true);
        assert!(TABLE.find(key(other)).is_none());
    }

    #[test]
    fn sites_that_share_a_home_slot_keep_their_own_learning() {
        let table: &'static Table = Box::leak(Box::new(Table::new()));
        // Sites with one home slot (addresses 8 apart, as `Location`s are).
        let first = key(here());
        let home = Table::home(first);
        let keys: Vec<usize> = (0..)
            .map(|i| first + 8 * i)
            .filter(|&k| Table::home(k) == home)
            .take(WAYS + 1)
            .collect();
        // Two of them (a server's handlers and a chain's stages), sampled in turn, take
        // nothing from each other.
        table.claim(keys[0]).live.store(256, Ordering::Relaxed);
        table.claim(keys[1]).live.store(20_000, Ordering::Relaxed);
        for _ in 0..3 {
            for &k in &keys[..2] {
                table.claim(k).score.fetch_sub(1, Ordering::Relaxed);
            }
        }
        for (k, live) in [(keys[0], 256), (keys[1], 20_000)] {
            let s = table.find(k).expect("each keeps its slot");
            assert_eq!(s.live.load(Ordering::Relaxed), live);
            assert_eq!(s.score.load(Ordering::Relaxed), -3);
        }
        // One more than the window holds takes the slot of the smallest crowd.
        for &k in &keys[2..WAYS] {
            table.claim(k).live.store(1_000, Ordering::Relaxed);
        }
        table.claim(keys[WAYS]);
        assert!(table.find(keys[0]).is_none());
        assert!(keys[1..].iter().all(|&k| table.find(k).is_some()));
    }

    #[test]
    fn a_burst_begun_with_its_class_unknown_stays_a_burst_when_it_turns_long() {
        let site = here();
        let workers = 2;
        let before = one_burst(site, 1, workers, 1_000);
        // A goroutine's first run is slow once (a fresh stack's page faults): a long runner's
        // site, by itself.
        ran(site, LONG_RUN, true, false);
        assert!(score(key(site)) >= HOT);
        let after = one_burst(site, 1, workers, 1_000);
        assert!(
            crossings(&after) < 40,
            "the rest of the burst is still dealt in segments: {} crossings",
            crossings(&after)
        );
        assert!(before.len() + after.len() == 2_000 - BURST_LOCAL as usize);
        // The site's next burst is dealt as long runners' (equal runs of 1,000 are past
        // `LONG_SEGMENT_MAX`: one by one, every spawn).
        let next: Vec<usize> = (0..8)
            .map(|_| deal(site, 2, Some(0), workers, false).unwrap())
            .collect();
        assert_eq!(crossings(&next), 7, "{next:?}");
    }

    #[test]
    fn one_worker_deals_nothing() {
        let site = here();
        assert!((0..20).all(|_| deal(site, 1, None, 1, false).is_none()));
    }

    #[test]
    fn long_runners_are_dealt_at_once_and_talkers_never() {
        let long = here();
        ran(long, LONG_RUN, true, true);
        assert!(
            deal(long, 1, None, 4, false).is_some(),
            "one long run makes a long runner"
        );

        let talker = here();
        as_talkers(talker);
        assert!(
            (0..20).all(|_| deal(talker, 2, None, 4, false).is_none()),
            "a talker's bursts stay local"
        );
        assert!(
            !sample(talker, 1, &Cell::new(false)) && sample(talker, 0, &Cell::new(false)),
            "settled: one run in 64 is timed"
        );
    }

    #[test]
    fn long_runners_are_dealt_in_equal_runs_once_a_burst_length_is_known() {
        let site = here();
        ran(site, LONG_RUN, true, true);
        // First burst: no length known yet, so one by one.
        let first: Vec<usize> = (0..4)
            .map(|_| deal(site, 1, None, 2, false).unwrap())
            .collect();
        assert!(first.windows(2).all(|w| w[0] != w[1]), "{first:?}");
        // The next burst (a new run of the spawner) knows the last one had 4: 2 in a row each.
        let second: Vec<usize> = (0..4)
            .map(|_| deal(site, 2, None, 2, false).unwrap())
            .collect();
        assert!(
            second[0] == second[1] && second[2] == second[3] && second[1] != second[2],
            "{second:?}"
        );
        // 8 on 4 workers: runs of 2, every worker once.
        for _ in 0..8 {
            deal(site, 3, None, 4, false);
        }
        let third: Vec<usize> = (0..8)
            .map(|_| deal(site, 4, None, 4, false).unwrap())
            .collect();
        for w in 0..4 {
            let at: Vec<usize> = (0..8).filter(|&i| third[i] == w).collect();
            assert!(at.len() == 2 && at[1] == at[0] + 1, "{third:?}");
        }
    }

    /// Makes `site` a long runners' site whose last burst had `len` spawns from the worker
    /// `spawner` of `workers`; returns where `len` spawns go in each of the spawner's runs
    /// `ticks`.
    fn bursts(
        site: &'static Location<'static>,
        spawner: usize,
        workers: usize,
        len: usize,
        ticks: std::ops::Range<u32>,
    ) -> Vec<Vec<usize>> {
        ran(site, LONG_RUN, true, true);
        for _ in 0..len {
            deal(site, 1, Some(spawner), workers, false);
        }
        ticks
            .map(|tick| {
                (0..len)
                    .map(|_| deal(site, tick, Some(spawner), workers, false).unwrap())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_burst_of_long_runners_that_reaches_every_worker_starts_on_the_spawners() {
        // Runs of 2 over 3 workers, from the spawner's (2) on, burst after burst.
        for dealt in bursts(here(), 2, 3, 6, 2..5) {
            assert_eq!(dealt, [2, 2, 0, 0, 1, 1]);
        }
        // A burst of 4 on 3 workers (runs of 2) reaches two: it starts where the last stopped.
        let starts: Vec<usize> = bursts(here(), 0, 3, 4, 2..8)
            .into_iter()
            .map(|d| {
                assert!(d[0] == d[1] && d[2] == d[3] && d[1] != d[2], "{d:?}");
                d[0]
            })
            .collect();
        let distinct: std::collections::HashSet<usize> = starts.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            3,
            "bursts start on every worker in turn: {starts:?}"
        );
    }

    #[test]
    fn an_uneven_burst_gives_the_spawners_worker_the_short_run() {
        for dealt in bursts(here(), 1, 2, 3, 2..6) {
            assert_eq!(dealt, [1, 0, 0]);
        }
    }

    #[test]
    fn the_first_spawn_after_a_burst_of_long_runners_goes_to_the_next_worker() {
        let (long, next) = (here(), here());
        ran(long, LONG_RUN, true, true);
        for _ in 0..4 {
            assert!(deal(long, 5, Some(1), 3, false).is_some());
        }
        assert_eq!(
            deal(next, 5, Some(1), 3, false),
            Some(2),
            "the first after the burst"
        );
        assert_eq!(
            deal(next, 5, Some(1), 3, false),
            None,
            "the second stays local"
        );
        // In a later run of the spawner, or after other spawns, nothing moves.
        for _ in 0..4 {
            deal(long, 6, Some(1), 3, false);
        }
        assert_eq!(deal(next, 7, Some(1), 3, false), None, "a new run");
        // From a plain thread there is no spawner's worker to keep clear of.
        for _ in 0..4 {
            deal(long, 0, None, 3, false);
        }
        assert_eq!(deal(next, 0, None, 3, false), None, "a plain thread");
        // After a burst that did not reach every worker, nothing moves either.
        deal(long, 8, Some(1), 3, false);
        deal(long, 8, Some(1), 3, false);
        assert_eq!(
            deal(next, 8, Some(1), 3, false),
            None,
            "a burst of 2 on 3 workers"
        );
    }

    #[test]
    fn a_settled_sites_samples_do_not_alias_with_a_periodic_pattern_of_runs() {
        // Three long runs and one short in every four runs of the worker: a long runner.
        let site = here();
        ran(site, LONG_RUN, true, true);
        let mut min = SATURATE;
        for tick in 1..64 * 400u32 {
            if sample(site, tick, &Cell::new(false)) {
                let long = !tick.is_multiple_of(4);
                ran(
                    site,
                    if long { LONG_RUN } else { Duration::ZERO },
                    false,
                    true,
                );
            }
            if tick > 64 * 8 {
                min = min.min(score(key(site)));
            }
        }
        assert!(min >= HOT, "the site fell out of its class (score {min})");
    }

    #[test]
    fn a_first_run_that_parks_at_once_says_nothing() {
        let site = here();
        for _ in 0..10 {
            ran(site, Duration::ZERO, true, false);
        }
        assert_eq!(score(key(site)), 0);
        assert!(
            sample(site, 1, &Cell::new(false)),
            "still unknown, so every run is timed"
        );
    }

    #[test]
    fn a_goroutine_remembers_its_sites_class_until_a_picked_run_looks_again() {
        let site = here();
        as_talkers(site);
        let settled = Cell::new(false);
        assert!(
            !sample(site, 1, &settled),
            "settled, and tick 1 is not picked"
        );
        assert!(settled.get(), "the goroutine remembers its site settled");
        // The site's class becomes unknown again (a long run outweighs two short ones).
        ran(site, LONG_RUN, false, true);
        let score = score(key(site));
        assert!(COLD < score && score < HOT, "unknown now (score {score})");
        assert!(
            !sample(site, 1, &settled),
            "a run the tick does not pick trusts the memory"
        );
        assert!(sample(site, 0, &settled), "a picked run looks again");
        assert!(
            !settled.get(),
            "and the goroutine remembers its site unknown"
        );
        assert!(sample(site, 1, &settled), "so every run is timed again");
    }

    #[test]
    fn a_crowd_of_talkers_is_dealt_in_segments_that_grow_with_it() {
        let site = here();
        // Talkers: kept local while few of them live.
        as_talkers(site);
        parked(site, CROWD - 1);
        assert_eq!(
            deal(site, 1, None, 2, false),
            None,
            "one short of a crowd stays local"
        );
        parked_first(site);
        // A crowd of 16 on 2 workers: segments of 8 (16 / 2), then each to the next worker.
        let dealt: Vec<usize> = (0..24)
            .map(|_| deal(site, 1, None, 2, false).unwrap())
            .collect();
        assert!(dealt[..8].iter().all(|&w| w == dealt[0]), "{dealt:?}");
        assert!(dealt[8..16].iter().all(|&w| w != dealt[0]), "{dealt:?}");
        assert!(dealt[16..].iter().all(|&w| w == dealt[0]), "{dealt:?}");
        // Goroutines that finish leave the crowd; below it the site's class rules again.
        for _ in 0..CROWD {
            finished(site);
        }
        finished(site); // one more than joined: saturates at zero
        assert_eq!(
            deal(site, 1, None, 2, false),
            None,
            "talkers stay local again"
        );
        parked_first(site);
        assert_eq!(
            deal(site, 1, None, 2, false),
            None,
            "the count restarted from zero"
        );
    }

    #[test]
    fn segments_are_at_least_segment_min_and_at_most_segment_max() {
        let small = here();
        parked(small, CROWD);
        // 16 on 16 workers: one each would be a hop per spawn; SEGMENT_MIN together instead.
        let dealt: Vec<usize> = (0..2 * SEGMENT_MIN)
            .map(|t| deal(small, t, None, 16, false).unwrap())
            .collect();
        let first = SEGMENT_MIN as usize;
        assert!(dealt[..first].iter().all(|&w| w == dealt[0]), "{dealt:?}");
        assert!(
            dealt[first..].iter().all(|&w| w == (dealt[0] + 1) % 16),
            "{dealt:?}"
        );

        let big = here();
        parked(big, 10_000);
        let dealt: Vec<usize> = (0..2 * SEGMENT_MAX)
            .map(|t| deal(big, t, None, 2, false).unwrap())
            .collect();
        let first = SEGMENT_MAX as usize;
        assert!(dealt[..first].iter().all(|&w| w == dealt[0]), "{dealt:?}");
        assert!(dealt[first..].iter().all(|&w| w != dealt[0]), "{dealt:?}");
    }

    #[test]
    fn a_burst_from_a_crowded_site_is_still_dealt_one_by_one() {
        let site = here();
        parked(site, CROWD);
        // In one run of the spawner: past the local share, round-robin, not segments.
        let dealt: Vec<Option<usize>> = (0..BURST_LOCAL + 4)
            .map(|_| deal(site, 9, None, 4, false))
            .collect();
        let rest: Vec<usize> = dealt[BURST_LOCAL as usize..]
            .iter()
            .flatten()
            .copied()
            .collect();
        let distinct: std::collections::HashSet<usize> = rest.iter().copied().collect();
        assert_eq!(distinct.len(), 4, "one to each worker: {dealt:?}");
    }
}
