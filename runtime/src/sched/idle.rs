//! Idle workers: how a worker with nothing to do spins, sleeps, and is woken.
//!
//! A worker with nothing to do spins briefly (only on a multi-core machine, only while no more
//! workers spin than run goroutines, with `spin_loop` hints, never `sched_yield`,
//! and for an adaptive budget that drops to nothing when the spin loses its core: see
//! `spin.rs`), then registers in the runtime's idle list and parks: on its futex, or, for one
//! sleeping worker at a time once sockets exist, in `epoll_wait` (`io_hook`). A goroutine
//! woken onto a sleeping worker unparks that worker (interrupting its I/O wait); at most one
//! idle worker is woken for stealable work while none is already searching.

use std::sync::Arc;
use std::sync::atomic::{Ordering, fence};
use std::time::{Duration, Instant};

use super::queues::{RtShared, WorkerShared};
use super::task::Task;
use super::worker::Local;
use super::{deadlock, io_hook};

/// The longest an idle worker spins looking for work before it sleeps.
pub(super) const SPIN_TIME: Duration = Duration::from_micros(30);
/// How often a spinning worker looks for work. Its looks read other workers' queues, so a
/// few hundred nanoseconds apart, not back to back; but the wait between two looks is latency
/// added to every cross-worker wake-up. Measured on 2 cores, 1.6 us apart against 200 ns: a
/// cross-worker round trip between two goroutines 2.3-2.5 us against 0.8 us; the first run of
/// a fan-in of 8 producers 128-136 ms against 83-86 ms (Go 84-180).
const POLL_EVERY: Duration = Duration::from_nanos(200);
/// A spinning worker polls for I/O once in this many looks for work.
const IO_POLL_EVERY: u32 = 4;

impl RtShared {
    /// Wakes one idle worker if stealable work appeared and nobody is searching for it.
    #[inline]
    pub(crate) fn wake_any(&self) {
        fence(Ordering::SeqCst);
        if self.n_searching.load(Ordering::SeqCst) != 0 || self.n_idle.load(Ordering::SeqCst) == 0 {
            return;
        }
        self.wake_any_slow();
    }

    #[cold]
    fn wake_any_slow(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let Some(i) = idle.pop() else { return };
        self.n_idle.fetch_sub(1, Ordering::SeqCst);
        let w = &self.workers[i];
        w.woken_at.store(crate::spin::stamp(), Ordering::Relaxed);
        w.sleeping.store(false, Ordering::SeqCst);
        drop(idle);
        w.unpark_thread();
    }

    /// Unparks one sleeping worker other than `except` without taking it off the idle list, so
    /// that it tries to take the I/O wait (`io_hook`) and sleeps again.
    pub(super) fn nudge_sleeper(&self, except: Option<usize>) {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let other = idle.iter().copied().find(|&i| Some(i) != except);
        drop(idle);
        if let Some(i) = other
            && let Some(t) = self.workers[i].thread.get()
        {
            t.unpark();
        }
    }

    /// Wakes worker `w` if it sleeps (it has work in its inbox).
    #[inline]
    pub(super) fn wake_worker(&self, w: &WorkerShared) {
        fence(Ordering::SeqCst);
        if !w.sleeping.load(Ordering::SeqCst) {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        // Stamped before `sleeping` clears: the sleeper reads the stamp once it sees that.
        w.woken_at.store(crate::spin::stamp(), Ordering::Relaxed);
        if w.sleeping.swap(false, Ordering::SeqCst)
            && let Some(pos) = idle.iter().position(|&i| i == w.index)
        {
            idle.swap_remove(pos);
            self.n_idle.fetch_sub(1, Ordering::SeqCst);
        }
        drop(idle);
        w.unpark_thread();
    }
}

impl Local {
    fn has_visible_work(&self) -> bool {
        !self.shared.inbox.is_empty()
            || !self.rt.injector.is_empty()
            || self.rt.stealers.iter().any(|s| !s.is_empty())
            || self.rt.nested_stealers.iter().any(|s| !s.is_empty())
    }

    /// Spins for a short while looking for work: on a multi-core machine, while no more
    /// workers spin than run goroutines (this one counted as running), for at most the
    /// adaptive budget.
    ///
    /// Go lets fewer than half of the busy Ps spin, since any spinning M can take any work. Here
    /// a woken goroutine can run only on its home worker, so a worker that sleeps while its
    /// goroutines talk to another worker's pays a futex wake-up per message. With Go's rule,
    /// two workers in a cross-worker ping-pong could never both spin (the one going idle while
    /// the other still searched went to sleep): 12.7-13.9 us a round trip, a futex call per
    /// hop. Spinning: 2.2-3.9 us (no futex), and the first run of a fan-in of 8 producers
    /// (dealt out before placement learns they talk) 84-650 ms (mostly 370-650) -> 85-133 ms.
    pub(super) fn search(&self) -> Option<Arc<Task>> {
        let busy = (self.rt.workers.len()).saturating_sub(self.rt.n_idle.load(Ordering::Relaxed));
        let searching = self.rt.n_searching.load(Ordering::Relaxed);
        if !self.rt.can_spin || searching > busy.saturating_sub(searching) {
            return self.find_elsewhere();
        }
        self.rt.n_searching.fetch_add(1, Ordering::SeqCst);
        let io = io_hook::active();
        let mut polls = 0u32;
        let found = self
            .spin
            .spin(POLL_EVERY, || {
                if self.rt.shutdown.load(Ordering::Relaxed) || self.timer_due() {
                    return Some(None);
                }
                // Ready I/O, now and then (a system call each time): what it readies for
                // this worker lands in its inbox, where `find_elsewhere` looks.
                polls = polls.wrapping_add(1);
                if io && polls.is_multiple_of(IO_POLL_EVERY) {
                    io_hook::poll();
                }
                self.find_elsewhere().map(Some)
            })
            .flatten();
        self.rt.n_searching.fetch_sub(1, Ordering::SeqCst);
        if found.is_some() && (!self.deque.is_empty() || !self.nested.is_empty()) {
            // We stole a batch: let another idle worker help with the rest.
            self.rt.wake_any();
        }
        found
    }

    pub(super) fn sleep(&self) {
        // A timer of this worker came due while it spun: no sleep (its loop fires it).
        if self.timer_due() {
            return;
        }
        {
            let mut idle = self.rt.idle.lock().unwrap_or_else(|p| p.into_inner());
            idle.push(self.shared.index);
            self.shared.sleeping.store(true, Ordering::SeqCst);
            self.rt.n_idle.fetch_add(1, Ordering::SeqCst);
        }
        fence(Ordering::SeqCst);
        if self.has_visible_work() || self.rt.shutdown.load(Ordering::SeqCst) {
            self.stop_sleeping();
            return;
        }
        // Until this worker's next timer at most. Only this worker adds to its heap, so no
        // earlier one can come while it sleeps.
        let deadline = self.shared.timers.next_deadline();
        deadlock::worker_sleeping(true);
        let slept_at = crate::spin::stamp();
        let me = self.shared as *const WorkerShared as usize;
        while self.shared.sleeping.load(Ordering::SeqCst)
            && !self.rt.shutdown.load(Ordering::SeqCst)
        {
            let timeout = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => break,
                },
                None => None,
            };
            // One sleeping worker waits for I/O instead of its futex (`io_hook`). It checks
            // `sleeping` again after taking the wait, so a wake-up that came before it did
            // (and so did not interrupt it) is not lost.
            // Goroutines the events ready for this worker wake it as any others would.
            if io_hook::try_own(me) {
                if self.shared.sleeping.load(Ordering::SeqCst)
                    && !self.rt.shutdown.load(Ordering::SeqCst)
                {
                    io_hook::wait(timeout);
                }
                io_hook::disown(me);
                // Leaving for work or for a timer: another sleeper takes the wait over (Go's
                // `wakep` after a netpoll), or I/O would wait for sysmon while this worker
                // is busy.
                if !self.shared.sleeping.load(Ordering::SeqCst)
                    || deadline.is_some_and(|d| Instant::now() >= d)
                {
                    self.rt.nudge_sleeper(Some(self.shared.index));
                }
            } else {
                match timeout {
                    Some(t) => std::thread::park_timeout(t),
                    None => std::thread::park(),
                }
            }
        }
        // Woken by its timer, it is still on the idle list.
        if self.shared.sleeping.load(Ordering::SeqCst) {
            self.stop_sleeping();
        }
        // An idle worker waits for any work, not for one partner's answer: its budget grows
        // by doubling only.
        let woken_at = self.shared.woken_at.load(Ordering::Relaxed);
        self.spin
            .slept(crate::spin::answered_after(slept_at, woken_at), false);
        deadlock::worker_sleeping(false);
    }

    /// Takes this worker out of the idle list if it is still in it.
    fn stop_sleeping(&self) {
        let mut idle = self.rt.idle.lock().unwrap_or_else(|p| p.into_inner());
        if self.shared.sleeping.swap(false, Ordering::SeqCst)
            && let Some(pos) = idle.iter().position(|&i| i == self.shared.index)
        {
            idle.swap_remove(pos);
            self.rt.n_idle.fetch_sub(1, Ordering::SeqCst);
        }
    }
}
