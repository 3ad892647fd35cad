//! A queue of blocked operations on one side of a channel (senders or receivers).
//!
//! [`Waiters`] is the plain FIFO list, kept under a lock owned by someone else (the unbuffered
//! channel's lock). [`WaitList`] wraps one with its own lock and an `is_empty` hint, so that
//! the lock-free buffered channel pays one atomic load per operation when nobody waits.

use std::collections::VecDeque;

use crate::loom::{AtomicBool, Ordering, SpinLock};
use crate::waiter::{Selected, WaiterRef};

/// One blocked operation.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The operation's token (its packet's address).
    pub(crate) oper: usize,
    /// The packet through which a value is handed over: an unbuffered channel's parties, and
    /// a buffered channel's blocked senders (null for a buffered channel's receivers).
    pub(crate) packet: *mut (),
    pub(crate) waiter: WaiterRef,
}

// SAFETY: `packet` (null for a buffered channel's receivers) is only dereferenced by the party
// that wins the waiter's selection CAS, while the owner waits for that very hand-off. The
// pointee is a `Packet<T>` of the channel the entry is registered in, and the value it moves
// crosses threads only through a channel, which is `Send`/`Sync` only when `T: Send`.
unsafe impl Send for Entry {}

/// A FIFO of blocked operations. Not synchronized by itself.
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    entries: VecDeque<Entry>,
}

impl Waiters {
    pub(crate) fn register(&mut self, oper: usize, packet: *mut (), waiter: &WaiterRef) {
        self.entries.push_back(Entry {
            oper,
            packet,
            waiter: waiter.clone(),
        });
    }

    /// Removes the entry for `oper`, if a counterparty has not already taken it.
    pub(crate) fn unregister(&mut self, oper: usize) -> Option<Entry> {
        let i = self.entries.iter().position(|e| e.oper == oper)?;
        self.entries.remove(i)
    }

    /// Claims the first waiter (in FIFO order) that is not `me` and still waiting, removes it
    /// and returns it. Entries of waiters that are no longer waiting stay for their owners to
    /// unregister.
    #[inline]
    pub(crate) fn select_other(&mut self, me: usize) -> Option<Entry> {
        // The usual case: the oldest waiter is a plain blocked operation that we can claim.
        let front = self.entries.front()?;
        if front.waiter.id() != me
            && front
                .waiter
                .try_select(Selected::Operation(front.oper))
                .is_ok()
        {
            return self.entries.pop_front();
        }
        self.select_other_slow(me)
    }

    #[cold]
    fn select_other_slow(&mut self, me: usize) -> Option<Entry> {
        // Entries of dead goroutines (their runtime was dropped) would stay for good: nobody
        // can claim them, and their owners never unregister.
        self.entries.retain(|e| !e.waiter.is_dead());
        let i = self.entries.iter().position(|e| {
            e.waiter.id() != me && e.waiter.try_select(Selected::Operation(e.oper)).is_ok()
        })?;
        self.entries.remove(i)
    }

    /// True if some waiter other than `me` could be claimed now.
    pub(crate) fn can_select_other(&self, me: usize) -> bool {
        self.entries
            .iter()
            .any(|e| e.waiter.id() != me && e.waiter.selected() == Selected::Waiting)
    }

    /// Claims every waiting entry for "closed", empties the list and returns the claimed ones
    /// so the caller can unpark them after releasing its lock.
    pub(crate) fn close_all(&mut self, woken: &mut Vec<WaiterRef>) {
        for e in self.entries.drain(..) {
            if e.waiter.try_select(Selected::Closed(e.oper)).is_ok() {
                woken.push(e.waiter);
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A [`Waiters`] list with its own lock, for the lock-free buffered channel.
#[derive(Debug, Default)]
pub(crate) struct WaitList {
    inner: SpinLock<Waiters>,
    /// `true` when the list is empty: lets notifiers skip the lock. Written under the lock.
    empty: AtomicBool,
}

impl WaitList {
    pub(crate) fn new() -> Self {
        WaitList {
            inner: SpinLock::new(Waiters::default()),
            empty: AtomicBool::new(true),
        }
    }

    /// Registers a blocked operation; `packet` is a blocked sender's (null for a receiver).
    pub(crate) fn register(&self, oper: usize, packet: *mut (), waiter: &WaiterRef) {
        let mut inner = self.inner.lock();
        inner.register(oper, packet, waiter);
        self.empty.store(false, Ordering::SeqCst);
    }

    /// True if nobody is registered (a hint, read with `SeqCst` after the caller's own `SeqCst`
    /// operation on the ring: see `array.rs`'s `after_rmw_fence`).
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.empty.load(Ordering::SeqCst)
    }

    /// Claims the first waiting operation, unless `refuse` (checked under the lock, so that a
    /// `close_all` cannot come between it and the claim) says not to. The caller completes
    /// the claimed operation and unparks it.
    pub(crate) fn claim_unless(&self, refuse: impl FnOnce() -> bool) -> Option<Entry> {
        let mut inner = self.inner.lock();
        if refuse() {
            return None;
        }
        let entry = inner.select_other(usize::MAX);
        self.empty.store(inner.is_empty(), Ordering::SeqCst);
        entry
    }

    pub(crate) fn unregister(&self, oper: usize) {
        let mut inner = self.inner.lock();
        inner.unregister(oper);
        self.empty.store(inner.is_empty(), Ordering::SeqCst);
    }

    /// Wakes one blocked operation, if any (a buffered channel's receivers: blocked senders are
    /// completed through `claim_unless` instead). The caller has just made progress possible
    /// (pushed a value) and issues this after a `SeqCst` fence, pairing with the
    /// registrant's store of `empty` and its re-check of the channel state.
    #[inline]
    pub(crate) fn notify_one(&self) {
        if self.empty.load(Ordering::SeqCst) {
            return;
        }
        self.notify_one_slow();
    }

    #[cold]
    fn notify_one_slow(&self) {
        let mut inner = self.inner.lock();
        let entry = inner.select_other(usize::MAX);
        self.empty.store(inner.is_empty(), Ordering::SeqCst);
        drop(inner);
        if let Some(e) = entry {
            e.waiter.unpark();
        }
    }

    /// How many operations are registered (for tests that wait for parties to block).
    #[cfg(test)]
    #[cfg_attr(miri, allow(dead_code))]
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    /// Wakes every blocked operation with "closed".
    pub(crate) fn close_all(&self) {
        let mut woken = Vec::new();
        let mut inner = self.inner.lock();
        inner.close_all(&mut woken);
        self.empty.store(true, Ordering::SeqCst);
        drop(inner);
        for w in woken {
            w.unpark();
        }
    }
}
