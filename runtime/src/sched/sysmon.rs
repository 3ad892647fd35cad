//! The system monitor thread (Go has one too): wakes an idle worker for goroutines that
//! waited unstarted past the grace period, or for a recursion's subtrees (see `steal.rs`),
//! fires the timers of a worker busy with one goroutine past their deadline (`timers.rs`), and
//! runs the stack scavenger.
//!
//! Nothing wakes an idle worker per spawn or per send: sysmon looks at the queues every
//! `SYSMON_ACTIVE` while any goroutine waits unstarted, and wakes one idle worker for a backlog
//! that outlived the grace period. One sysmon thread watches every runtime.

use std::io;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::queues::{RtShared, UNSTARTED};
use super::steal::LONG_BACKLOG;
use super::{deadlock, io_hook, stack, timers};

/// How often sysmon looks at the queues while goroutines wait unstarted somewhere, and the
/// longest it sleeps when nothing waits.
const SYSMON_ACTIVE: Duration = Duration::from_micros(100);
const SYSMON_IDLE: Duration = Duration::from_millis(10);
/// How late a busy worker's timer may be before sysmon fires it.
const TIMERS_LATE: Duration = Duration::from_millis(1);

/// Runtimes sysmon watches (all of them; they are never freed).
static WATCHED: Mutex<Vec<&'static RtShared>> = Mutex::new(Vec::new());

/// Adds `rt` to sysmon's watch list, starting sysmon on first use. Fails if sysmon's thread
/// cannot be started: a runtime without it could leave goroutines unstarted behind a long
/// runner for good, so it is not built (and the next runtime tries again).
pub(super) fn watch(rt: &'static RtShared) -> io::Result<()> {
    let mut w = WATCHED.lock().unwrap_or_else(|p| p.into_inner());
    if w.is_empty() {
        // Started under the lock, so two runtimes built at once cannot both see an empty list
        // and start two, nor miss one that failed to start.
        std::thread::Builder::new()
            .name("gocsp-sysmon".into())
            .spawn(sysmon)?;
    }
    w.push(rt);
    Ok(())
}

/// The system monitor: wakes an idle worker for goroutines that have waited unstarted past
/// the grace period (in a `deque`, or in the `runnext` of a worker that is busy with one
/// goroutine all that time). It never touches a started goroutine.
fn sysmon() {
    let _own = deadlock::OwnThread::enter();
    // It fires timers (`after_func` starts a goroutine): never held back by a backlog.
    super::never_hold_back_this_thread();
    // Per watched worker: (queue non-empty, ticks, deque pops) at the last look.
    let mut last: Vec<Vec<(bool, usize, usize)>> = Vec::new();
    // Per watched runtime: was its injector non-empty at the last look.
    let mut last_injected: Vec<bool> = Vec::new();
    let mut pause = SYSMON_ACTIVE;
    let mut scavenged = Instant::now();
    loop {
        std::thread::sleep(pause);
        // A worker busy with one goroutine this long would hold up every socket.
        io_hook::poll_if_stale(io_hook::STALE_IDLE);
        if scavenged.elapsed() >= stack::SCAVENGE_EVERY {
            stack::scavenge();
            scavenged = Instant::now();
        }
        let rts: Vec<&'static RtShared> = WATCHED.lock().unwrap_or_else(|p| p.into_inner()).clone();
        last.resize_with(rts.len(), Vec::new);
        let mut waiting = false;
        last_injected.resize(rts.len(), false);
        for ((rt, last), injected) in rts
            .iter()
            .zip(last.iter_mut())
            .zip(last_injected.iter_mut())
        {
            if rt.shutdown.load(Ordering::Relaxed) {
                continue;
            }
            last.resize(rt.workers.len(), (false, 0, 0));
            // Goroutines spawned from outside wait in the injector until a worker looks; a
            // busy worker only looks when its goroutine parks.
            let queued = !rt.injector.is_empty();
            let mut wake = queued && *injected;
            *injected = queued;
            waiting |= queued;
            for (i, w) in rt.workers.iter().enumerate() {
                let queued = !rt.stealers[i].is_empty();
                let ticks = w.ticks.load(Ordering::Relaxed);
                let next_unstarted = w.runnext.load(Ordering::Relaxed) & UNSTARTED != 0;
                let pops = w.deque_pops.load(Ordering::Relaxed);
                let (was_queued, last_ticks, last_pops) = last[i];
                // A backlog that outlived a look, and that its worker is not getting through
                // (or that is long): spread it.
                let stalled = pops == last_pops || rt.stealers[i].len() > LONG_BACKLOG;
                if queued && was_queued && stalled {
                    w.steal_ok.store(true, Ordering::Relaxed);
                    wake = true;
                }
                // A recursion's subtrees are for any idle worker at once (`steal.rs`): the
                // spawn that queued one woke one, but that one may have found other work.
                let nested = !rt.nested_stealers[i].is_empty();
                wake |= nested;
                waiting |= nested;
                if next_unstarted && ticks == last_ticks && !w.sleeping.load(Ordering::Relaxed) {
                    w.stuck.store(true, Ordering::Relaxed);
                    wake = true;
                } else {
                    w.stuck.store(false, Ordering::Relaxed);
                }
                waiting |= queued || next_unstarted;
                last[i] = (queued, ticks, pops);
                // Timers its worker has not got to (it runs one goroutine that long): fired
                // here, so that what they reach on other workers (a context's deadline, a
                // timer channel) is not held up. A sleeping worker wakes for its own.
                let next = w.timers.next();
                if next != timers::NONE
                    && !w.sleeping.load(Ordering::Relaxed)
                    && crate::spin::stamp() > next.saturating_add(TIMERS_LATE.as_nanos() as u64)
                {
                    w.timers.run_due(Instant::now());
                }
            }
            if wake {
                rt.wake_any();
            }
        }
        pause = if waiting {
            SYSMON_ACTIVE
        } else {
            (pause * 2).min(SYSMON_IDLE)
        };
    }
}
