//! Stealing: an idle worker takes unstarted goroutines from a busy one, only once they waited.
//!
//! Idle workers take unstarted goroutines from another worker's `deque` only once that queue
//! has stayed non-empty for `STEAL_GRACE`, and take an unstarted `runnext` only from a worker
//! that has been running the same goroutine that long. A burst of goroutines that start, talk
//! and block within microseconds stays on one worker (its worker starts them ahead of a
//! goroutine woken there: `next_task`); a backlog that the worker does not get to is spread.
//! Nothing wakes an idle worker per spawn or per send: `sysmon` looks at the queues while any
//! goroutine waits unstarted, and wakes one idle worker for a backlog that outlived the grace
//! period.
//!
//! The exception is a recursion's subtrees (a worker's `nested` queue): idle workers take
//! them at once, the older half, and a spawn that queues one wakes an idle worker. A subtree
//! is independent work that talks to its parent once, at its end, and without a thief a tree
//! started on one worker stays there (each of its goroutines starts by spawning the next).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::queues::steal_one;
use super::task::Task;
use super::worker::Local;

/// How long unstarted goroutines must wait in a worker's queue before another worker may
/// steal them: a goroutine and the ones it starts get the chance to start on one worker,
/// where talking to each other costs no cross-thread wake-up. (Go steals at once, or after
/// 3 us for a `runnext`, because it can migrate a goroutine later; we cannot.)
const STEAL_GRACE: Duration = Duration::from_micros(100);
/// A queue of unstarted goroutines this long is spread even while its worker gets through it.
pub(super) const LONG_BACKLOG: usize = 64;

impl Local {
    /// Looks for work elsewhere: the inbox, the injector, other workers' unstarted goroutines.
    pub(super) fn find_elsewhere(&self) -> Option<Arc<Task>> {
        if let Some(t) = steal_one(|| self.shared.inbox.steal()) {
            return Some(t);
        }
        if let Some(t) = steal_one(|| self.rt.injector.steal_batch_and_pop(&self.deque)) {
            return Some(t);
        }
        let n = self.rt.stealers.len();
        if n > 1 {
            let start = crate::rng::below(n as u32) as usize;
            let mut seen = self.steal_seen.borrow_mut();
            for k in 0..n {
                let v = (start + k) % n;
                if v == self.shared.index {
                    continue;
                }
                let victim = &self.rt.workers[v];
                if victim.stuck.load(Ordering::Relaxed)
                    && let Some(t) = victim.steal_runnext()
                {
                    victim.stuck.store(false, Ordering::Relaxed);
                    return Some(t);
                }
                if self.rt.stealers[v].is_empty() {
                    seen[v] = None;
                    continue;
                }
                // Steal only what has waited there past the grace period, as sysmon saw it or
                // as we saw it while spinning (and only if the worker was not getting through
                // it, unless the backlog is long).
                if !victim.steal_ok.swap(false, Ordering::Relaxed) {
                    let now = Instant::now();
                    let pops = victim.deque_pops.load(Ordering::Relaxed);
                    match seen[v] {
                        None => {
                            seen[v] = Some((now, pops));
                            continue;
                        }
                        Some((since, _)) if now.duration_since(since) < STEAL_GRACE => continue,
                        Some((_, then))
                            if then != pops && self.rt.stealers[v].len() <= LONG_BACKLOG =>
                        {
                            seen[v] = Some((now, pops));
                            continue;
                        }
                        Some(_) => {}
                    }
                }
                seen[v] = None;
                if let Some(t) = steal_one(|| self.rt.stealers[v].steal_batch_and_pop(&self.deque))
                {
                    return Some(t);
                }
            }
            // A recursion's subtrees go at once, the older (larger) half of them, as Go's
            // thieves take half of a run queue: the thief's own spawns under them make its
            // share of the tree. (A look at an empty queue first, as above: a steal pins the
            // epoch, and a spinning worker looks every 200 ns.)
            for k in 0..n {
                let v = (start + k) % n;
                if v != self.shared.index
                    && !self.rt.nested_stealers[v].is_empty()
                    && let Some(t) =
                        steal_one(|| self.rt.nested_stealers[v].steal_batch_and_pop(&self.nested))
                {
                    return Some(t);
                }
            }
        }
        None
    }
}
