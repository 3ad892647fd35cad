//! A queue of blocked operations on one side of a channel (senders or receivers).
//!
//! [`Waiters`] is the plain FIFO list, kept under a lock owned by someone else (the unbuffered
//! channel's lock). [`WaitList`] wraps one with its own lock and an `is_empty` hint, so that
//! the lock-free buffered channel pays one atomic load per operation when nobody waits.

use std::collections::VecDeque;

use crate::loom::{AtomicBool, Ordering, SpinLock};
use crate::waiter::{Selected, WaiterRef};

/// One blocked operation: its token and, where a value is handed over through it, its packet.
/// A registered packet is always at the token's own address (`waiter::oper_of`), so the two
/// share a word: the packet's pointer with bit 0 set, or the bare token (bit 0 clear) where
/// there is none. Tokens are aligned to at least 4. (Three words an entry, not four: two
/// entries inline in an unbuffered channel keep it within Go's `hchan` size.)
#[derive(Debug)]
pub(crate) struct Entry {
    oper: *mut (),
    pub(crate) waiter: WaiterRef,
}

impl Entry {
    fn new(oper: usize, packet: *mut (), waiter: WaiterRef) -> Entry {
        debug_assert!(oper & 3 == 0, "an operation token is aligned to 4");
        let oper = if packet.is_null() {
            std::ptr::without_provenance_mut(oper)
        } else {
            debug_assert_eq!(packet.addr(), oper, "a packet is at its operation's token");
            packet.map_addr(|a| a | 1)
        };
        Entry { oper, waiter }
    }

    /// The operation's token.
    #[inline]
    pub(crate) fn oper(&self) -> usize {
        self.oper.addr() & !1
    }

    /// The packet through which a value is handed over: an unbuffered channel's parties, and
    /// a buffered channel's blocked senders (null for a buffered channel's receivers).
    #[inline]
    pub(crate) fn packet(&self) -> *mut () {
        if self.oper.addr() & 1 != 0 {
            self.oper.map_addr(|a| a & !1)
        } else {
            std::ptr::null_mut()
        }
    }
}

// SAFETY: `packet` (null for a buffered channel's receivers) is only dereferenced by the party
// that wins the waiter's selection CAS, while the owner waits for that very hand-off. The
// pointee is a `Packet<T>` of the channel the entry is registered in, and the value it moves
// crosses threads only through a channel, which is `Send`/`Sync` only when `T: Send`.
unsafe impl Send for Entry {}

/// A FIFO of blocked operations. Not synchronized by itself.
///
/// The oldest entry is kept inline, the younger ones in a `VecDeque` allocated the first time
/// a second operation waits: an unbuffered channel rarely has more than one party waiting on
/// a side, and then a hand-off touches no memory beyond the channel's own. (A `VecDeque` alone
/// put every registration and claim on a buffer of its own: a cache line more per hop of a
/// chain of goroutines, where every channel is cold. The 3,000-prime sieve on one worker:
/// 4.2 -> 3.6 simulated L2 misses a hop, 352 -> 327 ms.)
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    /// The oldest entry; `None` only while `rest` is empty too.
    first: Option<Entry>,
    /// The younger entries, oldest first. Kept once allocated. Boxed: one word in the
    /// channel, not a `VecDeque`'s four.
    #[allow(clippy::box_collection)]
    rest: Option<Box<VecDeque<Entry>>>,
}

impl Waiters {
    /// Registers operation `oper` of `waiter`; `packet` is null or the operation's packet,
    /// which is at `oper` (`waiter::oper_of`: every caller passes the two from one pointer).
    pub(crate) fn register(&mut self, oper: usize, packet: *mut (), waiter: &WaiterRef) {
        let e = Entry::new(oper, packet, waiter.clone());
        if self.first.is_none() {
            // `replace` of a `None`: nothing to drop (an assignment would check for a value).
            std::mem::forget(self.first.replace(e));
        } else {
            self.rest.get_or_insert_default().push_back(e);
        }
    }

    /// The entries, oldest first.
    fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.first
            .iter()
            .chain(self.rest.iter().flat_map(|r| r.iter()))
    }

    /// Removes and returns the oldest entry.
    #[inline]
    fn pop_front(&mut self) -> Option<Entry> {
        // The next in line moves up (none if `first` is `None`: then `rest` is empty too).
        let next = self.rest.as_mut().and_then(|r| r.pop_front());
        std::mem::replace(&mut self.first, next)
    }

    /// Removes and returns the `i`th entry, oldest first.
    fn remove(&mut self, i: usize) -> Option<Entry> {
        if i == 0 {
            self.pop_front()
        } else {
            self.rest.as_mut()?.remove(i - 1)
        }
    }

    /// Removes an operation's entry, if a counterparty has not already taken it.
    pub(crate) fn unregister(&mut self, oper: usize) -> Option<Entry> {
        let i = self.iter().position(|e| e.oper() == oper)?;
        self.remove(i)
    }

    /// Claims the first waiter (in FIFO order) that is not `me` and still waiting, removes it
    /// and returns it. Entries of waiters that are no longer waiting stay for their owners to
    /// unregister.
    #[inline]
    pub(crate) fn select_other(&mut self, me: usize) -> Option<Entry> {
        // The usual case: the oldest waiter is a plain blocked operation that we can claim.
        let front = self.first.as_ref()?;
        if front.waiter.id() != me
            && front
                .waiter
                .try_select(Selected::Operation(front.oper()))
                .is_ok()
        {
            return self.pop_front();
        }
        self.select_other_slow(me)
    }

    #[cold]
    fn select_other_slow(&mut self, me: usize) -> Option<Entry> {
        // Entries of dead goroutines (their runtime was dropped) would stay for good: nobody
        // can claim them, and their owners never unregister.
        if let Some(rest) = &mut self.rest {
            rest.retain(|e| !e.waiter.is_dead());
        }
        if self.first.as_ref().is_some_and(|e| e.waiter.is_dead()) {
            self.first = self.rest.as_mut().and_then(|r| r.pop_front());
        }
        let i = self.iter().position(|e| {
            e.waiter.id() != me && e.waiter.try_select(Selected::Operation(e.oper())).is_ok()
        })?;
        self.remove(i)
    }

    /// True if some waiter other than `me` could be claimed now.
    pub(crate) fn can_select_other(&self, me: usize) -> bool {
        self.iter()
            .any(|e| e.waiter.id() != me && e.waiter.selected() == Selected::Waiting)
    }

    /// Claims every waiting entry for "closed", empties the list and returns the claimed ones
    /// so the caller can unpark them after releasing its lock.
    pub(crate) fn close_all(&mut self, woken: &mut Vec<WaiterRef>) {
        let rest = self.rest.as_mut().map(|r| r.drain(..));
        for e in self
            .first
            .take()
            .into_iter()
            .chain(rest.into_iter().flatten())
        {
            if e.waiter.try_select(Selected::Closed(e.oper())).is_ok() {
                woken.push(e.waiter);
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// How many operations are registered.
    #[cfg(test)]
    #[cfg_attr(miri, allow(dead_code))]
    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.as_ref().map_or(0, |r| r.len())
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
        self.inner.lock().len()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn opers(w: &Waiters) -> Vec<usize> {
        w.iter().map(Entry::oper).collect()
    }

    /// The inline first entry and the queue behind it stay one FIFO through registrations,
    /// removals from either place and claims, and each entry gives back its own packet.
    #[test]
    fn the_inline_entry_and_the_queue_behind_it_are_one_fifo() {
        let mut slots = [0u64; 4];
        let [a, b, c, d] = slots.each_mut().map(|s| s as *mut u64 as *mut ());
        crate::waiter::with_current(|w| {
            let mut list = Waiters::default();
            list.register(a.addr(), a, w);
            list.register(b.addr(), std::ptr::null_mut(), w);
            list.register(c.addr(), c, w);
            assert_eq!(opers(&list), [a.addr(), b.addr(), c.addr()]);
            let packets: Vec<*mut ()> = list.iter().map(Entry::packet).collect();
            assert_eq!(packets, [a, std::ptr::null_mut(), c]);

            let e = list.unregister(b.addr()).expect("b is registered");
            assert_eq!((e.oper(), e.packet()), (b.addr(), std::ptr::null_mut()));
            assert_eq!(opers(&list), [a.addr(), c.addr()]);

            // The first leaves: the next in line moves up, and a new one queues behind it.
            let e = list.unregister(a.addr()).expect("a is registered");
            assert_eq!(e.packet(), a);
            assert_eq!(opers(&list), [c.addr()]);
            list.register(d.addr(), d, w);
            assert_eq!(opers(&list), [c.addr(), d.addr()]);
            assert!(list.unregister(a.addr()).is_none(), "a left already");

            // A claim takes the oldest; it is this thread's own waiter, so only as not `me`.
            assert!(
                list.select_other(w.id()).is_none(),
                "never paired with itself"
            );
            let e = list.select_other(usize::MAX).expect("c is waiting");
            assert_eq!((e.oper(), e.packet()), (c.addr(), c));
            assert_eq!(list.len(), 1);
            let e = list.unregister(d.addr()).expect("d is registered");
            assert_eq!(e.packet(), d);
            assert!(list.is_empty());
        });
    }
}
