//! A FIFO of parked waiters, the building block of `WaitGroup`, `Mutex`, `RWMutex`, `Once` and
//! `Cond`.

use std::collections::VecDeque;
use std::panic::Location;

use crate::waiter::{self, BlockReason, Selected, WaiterRef};

/// A queue of blocked waiters; the owner keeps it under its own lock.
#[derive(Debug, Default)]
pub(crate) struct WaitQueue {
    waiters: VecDeque<(usize, WaiterRef)>,
}

/// A registration token (its address names the blocked call).
#[repr(align(8))]
struct Token(#[allow(dead_code)] u8);

impl WaitQueue {
    pub(crate) const fn new_const() -> Self {
        WaitQueue {
            waiters: VecDeque::new(),
        }
    }

    /// Wakes the first waiter still waiting; returns `false` if there was none.
    pub(crate) fn wake_one(&mut self) -> bool {
        while let Some((oper, w)) = self.waiters.pop_front() {
            if w.try_select(Selected::Operation(oper)).is_ok() {
                w.unpark();
                return true;
            }
        }
        false
    }

    /// Wakes every waiter; returns how many were woken. One event, like a channel's close
    /// (`Cond::broadcast`, a `WaitGroup` reaching zero, a `Once` done), so its wakes are kept
    /// out of what placement learns about who talks to whom (`sched::closing`).
    pub(crate) fn wake_all(&mut self) -> usize {
        crate::sched::closing(|| {
            let mut woken = 0;
            for (oper, w) in self.waiters.drain(..) {
                if w.try_select(Selected::Operation(oper)).is_ok() {
                    w.unpark();
                    woken += 1;
                }
            }
            woken
        })
    }

    /// Takes back the registration `oper`, if nobody has woken it yet (`Cond::wait`, when
    /// unlocking the caller's mutex panics after it registered).
    pub(crate) fn remove(&mut self, oper: usize) {
        self.waiters.retain(|(o, _)| *o != oper);
    }

    /// Moves the registration `oper` to the front of the queue (a mutex waiter that was woken
    /// and lost the lock to a newcomer).
    pub(crate) fn move_to_front(&mut self, oper: usize) {
        if let Some(i) = self.waiters.iter().rposition(|(o, _)| *o == oper) {
            let entry = self.waiters.remove(i).expect("the index was just found");
            self.waiters.push_front(entry);
        }
    }

    /// How many registrations the queue holds.
    pub(crate) fn len(&self) -> usize {
        self.waiters.len()
    }

    /// True if nobody waits. (A registered waiter leaves the queue by itself only through
    /// `remove`, before it waits: otherwise it waits until woken through the queue, so every
    /// entry is a live waiter.)
    pub(crate) fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }
}

/// Blocks the caller until woken through `queue`. `enqueue` runs with the caller's lock held:
/// it receives a closure that registers the caller in the queue (and returns the
/// registration's token, for `WaitQueue::remove`), and returns the lock's guard if the caller
/// registered (else `None`: it returns at once, e.g. because the condition already holds).
///
/// Nothing may unwind between the registration and the wait: the entry would stay behind, and
/// when this goroutine waits again (its selection word reset), a wake-up through the queue
/// would claim that other wait. A panic while the guard is dropped is therefore fatal; `enqueue`
/// takes its registration back itself if it runs code that may panic (`Cond::wait`).
pub(crate) fn wait_on<L>(
    reason: BlockReason,
    site: &'static Location<'static>,
    enqueue: impl FnOnce(&mut dyn FnMut(&mut WaitQueue) -> usize) -> Option<L>,
) {
    waiter::with_current(|w| {
        let token = Token(0);
        let oper = waiter::oper_of(&token);
        let mut register = |q: &mut WaitQueue| {
            q.waiters.push_back((oper, w.clone()));
            oper
        };
        if let Some(guard) = enqueue(&mut register) {
            let registered =
                waiter::AbortOnUnwind::new("a wait queue's registration", "before its wait");
            drop(guard);
            registered.done();
            w.wait(reason, site);
        }
    });
}
