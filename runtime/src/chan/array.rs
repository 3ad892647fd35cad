//! The buffered channel: a lock-free bounded ring plus two wait lists.
//!
//! The ring is the classic bounded MPMC queue with per-slot stamps. `head` and `tail` are
//! positions made of an index (below `mark_bit`), the closed mark (`mark_bit`, in `tail`
//! only) and a lap counter (multiples of `one_lap`). A slot whose stamp equals `tail` is free
//! for that lap; one whose stamp equals `head + 1` holds the value for that lap.
//!
//! Sending and receiving touch no lock unless somebody is blocked: after a push the sender
//! checks the receivers' `empty` hint (after a `SeqCst` fence) and only then takes that list's
//! lock to wake one. A blocking party registers, then re-checks the ring; the fence pairs
//! make sure that one of the two sides sees the other (no lost wake-ups).
//!
//! A blocked sender registers its packet, as on an unbuffered channel. A receive that takes a
//! value while senders are registered completes the first of them, as Go's does: it keeps the
//! slot it took and, once that slot is the tail, claims the sender and moves its value into
//! that slot, behind every buffered value (`refill`). The send is done when the receive
//! returns, and a `close` right after cannot fail it. A blocked receiver is only woken, and
//! takes a value itself.
//!
//! `close` sets the mark in `tail` with one `fetch_or`: it decides at once which sends made it
//! (those whose tail CAS came first, and blocked ones a receive claimed without seeing it)
//! and wakes everybody. Receivers drain what is buffered and then see "closed".

use std::mem::MaybeUninit;
use std::panic::Location;

use super::packet::Packet;
use super::waitlist::WaitList;
use crate::loom::{AtomicUsize, Backoff, Ordering, UnsafeCell, fence};
use crate::waiter::{self, BlockReason, NoUnwind, Selected};

/// Orderings of the slot stamps. Acquire/Release is what the ring needs; under loom they are
/// `SeqCst` because loom may otherwise serve a spinning reader the same stale stamp forever
/// (real hardware makes the store visible eventually), which the models would report as a
/// livelock of the ring rather than exercise the waiter protocol they are about.
const STAMP_LOAD: Ordering = if cfg!(loom) {
    Ordering::SeqCst
} else {
    Ordering::Acquire
};
const STAMP_STORE: Ordering = if cfg!(loom) {
    Ordering::SeqCst
} else {
    Ordering::Release
};

/// Orders a `SeqCst` read-modify-write (the `head` CAS that took a slot) before the `SeqCst`
/// load of the senders' `empty` hint that follows it. Both are `SeqCst` operations of one
/// thread, so the single total order of `SeqCst` operations already has them in program order
/// and nothing is needed (C++20's rules, which Rust's atomics follow). loom models `SeqCst`
/// fences but treats `SeqCst` accesses as acquire/release, so a fence stands in there.
#[inline(always)]
fn after_rmw_fence() {
    #[cfg(loom)]
    fence(Ordering::SeqCst);
}

struct Slot<T> {
    stamp: AtomicUsize,
    msg: UnsafeCell<MaybeUninit<T>>,
}

/// Why a non-blocking send failed (the value stays in its packet).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SendFail {
    Full,
    Closed,
}

/// Why a non-blocking pop failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PopError {
    Empty,
    Closed,
}

/// A value on a 64-byte line of its own.
#[repr(align(64))]
struct Line<T>(T);

impl<T> std::ops::Deref for Line<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

// `repr(C)`, in this order: `head` on the first line, the fields both sides only read on the
// second, `tail` on the third, the wait lists after. Consumers write `head`, producers `tail`:
// 128 bytes apart, they never share a line, nor the pair of lines some CPUs fetch together,
// without the 128-byte alignment (and 384 bytes) that padding each to 128 would cost every
// buffered channel.
#[repr(C)]
pub(crate) struct Array<T> {
    head: Line<AtomicUsize>,
    buffer: Box<[Slot<T>]>,
    cap: usize,
    one_lap: usize,
    mark_bit: usize,
    /// A timer's channel: the timer, asked to fire now when a receive finds the buffer empty
    /// after its deadline (Go 1.23's `maybeRunChan`). On the line both sides only read, which
    /// an empty receive has in cache anyway: after the wait lists, on a line of its own, the
    /// buffered 1-to-1 row measured 11.7-12.1 ns against 11.3-11.8 without it; here
    /// 11.8-12.2 against 11.3-11.9 (interleaved runs, within this machine's noise).
    expiry: std::sync::OnceLock<std::sync::Weak<dyn Expiry>>,
    tail: Line<AtomicUsize>,
    pub(crate) senders: WaitList,
    pub(crate) receivers: WaitList,
    /// A timer's channel: its timer while it rests (a ticker whose tick was not taken has no
    /// heap entry then, and nothing else may hold it), so that it lives as long as its channel.
    resting: std::sync::Mutex<Option<std::sync::Arc<dyn Expiry>>>,
    /// Whether `resting` holds a timer: a receive that takes the value then wakes it
    /// (`Expiry::taken`). Read by a timer channel's receives only, after `expiry`.
    is_resting: std::sync::atomic::AtomicBool,
}

/// What a timer's channel asks of its timer (implemented in `time`).
pub(crate) trait Expiry: Send + Sync {
    /// If the timer's deadline has passed and its value is not delivered yet, delivers it now
    /// (into this channel); if its firing is under way elsewhere, waits for that. Must not be
    /// called with the timer's own lock held (the timer drains with `try_recv_plain`).
    fn run_if_due(self: std::sync::Arc<Self>);
    /// A receive took the timer's value (a resting ticker starts again). Must not be called
    /// with the timer's own lock held.
    fn taken(self: std::sync::Arc<Self>);
}

// SAFETY: values move between threads through the ring; each slot is accessed by exactly one
// party at a time (the stamp protocol hands slot ownership from pusher to popper and back),
// so sharing the ring is sound when `T: Send`.
unsafe impl<T: Send> Send for Array<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Array<T> {}

impl<T> Array<T> {
    #[track_caller]
    pub(crate) fn new(cap: usize) -> Self {
        assert!(cap > 0, "a buffered channel has a capacity of at least 1");
        // Checked, as Go's `makechan` checks the buffer's size: a capacity whose laps or buffer
        // cannot be represented panics here, before anything is built from wrapped numbers.
        let laps = (cap.checked_add(1))
            .and_then(usize::checked_next_power_of_two)
            .and_then(|mark_bit| Some((mark_bit, mark_bit.checked_mul(2)?)));
        let (Some((mark_bit, one_lap)), Ok(_)) = (laps, std::alloc::Layout::array::<Slot<T>>(cap))
        else {
            panic!("makechan: size out of range");
        };
        let buffer = (0..cap)
            .map(|i| Slot {
                stamp: AtomicUsize::new(i),
                msg: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        Array {
            head: Line(AtomicUsize::new(0)),
            tail: Line(AtomicUsize::new(0)),
            buffer,
            cap,
            one_lap,
            mark_bit,
            senders: WaitList::new(),
            receivers: WaitList::new(),
            expiry: std::sync::OnceLock::new(),
            resting: std::sync::Mutex::new(None),
            is_resting: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Makes this the channel of the timer behind `expiry` (once; later calls do nothing).
    pub(crate) fn set_expiry(&self, expiry: std::sync::Weak<dyn Expiry>) {
        let _ = self.expiry.set(expiry);
    }

    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// The position after `pos` (wrapping to the next lap at the end of the buffer).
    #[inline]
    fn next(&self, pos: usize) -> usize {
        let index = pos & (self.mark_bit - 1);
        if index + 1 < self.cap {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    /// Pushes the packet's value without blocking and without waking anyone.
    #[inline]
    fn push_inner(&self, p: &mut Packet<T>) -> Result<(), SendFail> {
        let mut backoff = Backoff::new();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & self.mark_bit != 0 {
                return Err(SendFail::Closed);
            }
            let index = tail & (self.mark_bit - 1);
            let slot = &self.buffer[index];
            let stamp = slot.stamp.load(STAMP_LOAD);
            if tail == stamp {
                let new_tail = self.next(tail);
                match self.tail.compare_exchange_weak(
                    tail,
                    new_tail,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: winning the CAS on `tail` while the stamp said "free for
                        // this lap" gives us sole ownership of the slot until we publish it
                        // by storing the new stamp.
                        slot.msg
                            .with_mut(|m| unsafe { p.move_to((*m).as_mut_ptr()) });
                        slot.stamp.store(tail + 1, STAMP_STORE);
                        return Ok(());
                    }
                    Err(t) => {
                        tail = t;
                        backoff.spin();
                    }
                }
            } else if stamp.wrapping_add(self.one_lap) == tail + 1 {
                // The slot still holds last lap's value: full unless head moved meanwhile.
                fence(Ordering::SeqCst);
                let head = self.head.load(Ordering::SeqCst);
                if head.wrapping_add(self.one_lap) == tail {
                    return Err(SendFail::Full);
                }
                backoff.spin();
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // Another sender claimed this slot and is writing it.
                backoff.snooze();
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Takes the value at the head into the (empty) packet without blocking and without
    /// waking anyone. The slot stays held: its stamp still says "being read", so no sender
    /// writes it and no receiver passes it, until [`release`](Self::release) or
    /// [`refill`](Self::refill). Returns its position.
    #[inline]
    fn take_held(&self, p: &mut Packet<T>) -> Result<usize, PopError> {
        let mut backoff = Backoff::new();
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let index = head & (self.mark_bit - 1);
            let slot = &self.buffer[index];
            let stamp = slot.stamp.load(STAMP_LOAD);
            if head + 1 == stamp {
                let new_head = self.next(head);
                match self.head.compare_exchange_weak(
                    head,
                    new_head,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the stamp said the slot holds this lap's value and winning
                        // the CAS on `head` makes us its only reader, until we store another
                        // stamp.
                        slot.msg.with(|m| unsafe { p.move_from((*m).as_ptr()) });
                        return Ok(head);
                    }
                    Err(h) => {
                        head = h;
                        backoff.spin();
                    }
                }
            } else if stamp == head {
                // Empty slot: the channel is empty unless tail moved meanwhile.
                fence(Ordering::SeqCst);
                let tail = self.tail.load(Ordering::SeqCst);
                if tail & !self.mark_bit == head {
                    return Err(if tail & self.mark_bit != 0 {
                        PopError::Closed
                    } else {
                        PopError::Empty
                    });
                }
                backoff.spin();
                head = self.head.load(Ordering::Relaxed);
            } else {
                // A receiver claimed this slot and is reading it (or holds it to complete a
                // blocked sender into it: `refill`).
                backoff.snooze();
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }

    /// Hands the slot taken at position `pos` back to senders, for the next lap.
    #[inline]
    fn release(&self, pos: usize) {
        let slot = &self.buffer[pos & (self.mark_bit - 1)];
        slot.stamp
            .store(pos.wrapping_add(self.one_lap), STAMP_STORE);
    }

    /// After a receive took the value at `pos` while senders are registered: completes the
    /// first blocked one, as Go's receive does, by moving its value into the slot the receive
    /// holds, once that slot is the tail (the ring is then full but for it, and the value goes
    /// in behind every buffered one).
    ///
    /// Only the receive whose held slot is the tail completes a sender, and it fills that very
    /// slot, so completions happen one at a time in the order of the slots, claiming senders
    /// in the order they queued; a receiver cannot pass the held slot, so nobody sees the
    /// channel empty (or closed and drained) while a claimed value is on its way. A receive
    /// holding a later slot waits for the earlier ones, each in the middle of a step: the one
    /// at the tail fills its slot or lets it go. A free slot at the tail means the receive that
    /// took it found nobody to complete, and no sender can block while a slot is held (the
    /// ring is not full), so there is nobody for this one either.
    ///
    /// The claim checks the closed mark under the senders' lock: a receive that sees it leaves
    /// the senders to `close`, which claims them for "closed" under the same lock; one that
    /// claimed first completes its sender even if the mark comes before the value is in.
    #[cold]
    fn refill(&self, pos: usize) {
        let own = pos.wrapping_add(self.one_lap);
        let mut backoff = Backoff::new();
        loop {
            let at = self.tail.load(Ordering::SeqCst) & !self.mark_bit;
            if at == own {
                break;
            }
            if self.buffer[at & (self.mark_bit - 1)].stamp.load(STAMP_LOAD) == at {
                self.release(pos);
                return;
            }
            // The tail slot is held by an earlier receive, which fills it or lets it go.
            backoff.snooze();
        }
        let Some(sender) = self.senders.claim_unless(|| self.is_closed()) else {
            self.release(pos);
            return;
        };
        // Move `tail` past the held slot. Nobody else can (a sender needs the slot's stamp to
        // say "free"), but `close` may set the mark meanwhile, which stays.
        let mut tail = self.tail.load(Ordering::Relaxed);
        while let Err(t) = self.tail.compare_exchange_weak(
            tail,
            self.next(own) | (tail & self.mark_bit),
            Ordering::SeqCst,
            Ordering::Relaxed,
        ) {
            tail = t;
        }
        let slot = &self.buffer[own & (self.mark_bit - 1)];
        // SAFETY: we claimed this entry (its selection CAS) under the senders' lock, so its
        // packet is a full `Packet<T>` whose owner waits for `ready`; the slot is the one we
        // hold (its value was taken, its stamp still says "being read"), ours to write until
        // we store the new stamp.
        slot.msg
            .with_mut(|m| unsafe { Packet::<T>::take_to(sender.packet(), (*m).as_mut_ptr()) });
        slot.stamp.store(own + 1, STAMP_STORE);
        sender.waiter.unpark();
        // Pairs with a receiver's registration: it sees the value, or we see it registered.
        fence(Ordering::SeqCst);
        self.receivers.notify_one();
    }

    /// Non-blocking send; wakes a blocked receiver on success.
    #[inline]
    pub(crate) fn try_send(&self, p: &mut Packet<T>) -> Result<(), SendFail> {
        self.push_inner(p)?;
        fence(Ordering::SeqCst);
        self.receivers.notify_one();
        Ok(())
    }

    /// Non-blocking receive into the (empty) packet; on success, completes a blocked sender
    /// if there is one (see `refill`).
    #[inline]
    pub(crate) fn try_recv(&self, p: &mut Packet<T>) -> Result<(), PopError> {
        match self.try_recv_plain(p) {
            Ok(()) => {
                self.after_timer_pop();
                Ok(())
            }
            // A timer's channel is empty until its timer fires; a receive after the
            // deadline (a `select` with `default`, a `try_recv`) takes the value at once, as in
            // Go 1.23, by having the timer fire here (or waiting for a firing
            // under way), then trying once more. Once more even if the timer is gone: a
            // firing elsewhere may have sent its value after the first try and then let go of
            // the timer, and the failed look for the timer comes after that send (Miri's run of
            // the expired-timer test caught a `select` taking its default so).
            Err(PopError::Empty) if self.expiry.get().is_some() => {
                self.run_expired_timer();
                let r = self.try_recv_plain(p);
                if r.is_ok() {
                    // The value may be one the timer sent before this receive's firing, and
                    // the timer may have gone to rest on it meanwhile (Miri's run of a
                    // ticker test caught it resting for good with its value taken here).
                    self.after_timer_pop();
                }
                r
            }
            r => r,
        }
    }

    /// After a receive took a value: a timer's resting ticker wakes (`Expiry::taken`). The
    /// look at the mark comes after the pop, which the ticker's look at `is_full` in
    /// `rest_timer` orders against (both sequentially consistent).
    #[inline]
    fn after_timer_pop(&self) {
        if self.expiry.get().is_some() && self.is_resting.load(std::sync::atomic::Ordering::SeqCst)
        {
            self.timer_value_taken();
        }
    }

    /// [`try_recv`](Self::try_recv) without asking a timer to fire: what the timer itself
    /// uses to discard an undelivered value (under its own lock).
    pub(crate) fn try_recv_plain(&self, p: &mut Packet<T>) -> Result<(), PopError> {
        let pos = self.take_held(p)?;
        // Either a blocking sender's re-check of `is_full` (after its registration and a
        // fence) sees `head` moved and retries, or we see it registered.
        after_rmw_fence();
        if self.senders.is_idle() {
            self.release(pos);
        } else {
            self.refill(pos);
        }
        Ok(())
    }

    /// For a timer's channel: lets its timer fire if it is due and still there.
    #[cold]
    fn run_expired_timer(&self) {
        if let Some(timer) = self.expiry.get().and_then(std::sync::Weak::upgrade) {
            timer.run_if_due();
        }
    }

    /// For a timer's channel whose buffer is full: holds its timer, which rests until a
    /// receive takes the value. `false` if a receive took it meanwhile, before it could see
    /// the timer resting: then nothing is held, and the caller wakes the timer itself.
    pub(crate) fn rest_timer(&self, timer: std::sync::Arc<dyn Expiry>) -> bool {
        *self.resting.lock().unwrap_or_else(|p| p.into_inner()) = Some(timer);
        self.is_resting
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if self.is_full() {
            return true;
        }
        drop(self.wake_timer());
        false
    }

    /// For a timer's channel: lets go of its resting timer; returns it.
    pub(crate) fn wake_timer(&self) -> Option<std::sync::Arc<dyn Expiry>> {
        self.is_resting
            .store(false, std::sync::atomic::Ordering::SeqCst);
        self.resting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// For a timer's channel: tells its timer that a receive took its value.
    #[cold]
    fn timer_value_taken(&self) {
        if let Some(timer) = self.expiry.get().and_then(std::sync::Weak::upgrade) {
            timer.taken();
        }
    }

    /// Blocking send; `false` if the channel is (or becomes) closed, the value unsent (the
    /// caller panics with Go's message, at the user's line).
    #[must_use]
    pub(crate) fn send(&self, p: &mut Packet<T>, site: &'static Location<'static>) -> bool {
        loop {
            match self.try_send(p) {
                Ok(()) => return true,
                Err(SendFail::Closed) => return false,
                Err(SendFail::Full) => {}
            }
            // No spin before registering (nor in `recv`): the counterparty of a goroutine is
            // usually a goroutine of the same worker, which cannot run while we spin; a spin of
            // four backoff rounds here made a buffer of one between two goroutines 5x slower
            // (460-519 ns a message against 79-105, Go 82). A thread spins in `wait` instead.
            //
            // Registered with the packet: a receive that frees a slot completes this send by
            // moving the value into the ring itself (Go's receive does the same).
            let done = waiter::with_current(|w| {
                let oper = waiter::oper_of(p);
                let window = NoUnwind::new("a blocking send");
                self.senders
                    .register(oper, p as *mut Packet<T> as *mut (), w);
                fence(Ordering::SeqCst);
                if !self.is_full() || self.is_closed() {
                    let _ = w.try_select(Selected::Aborted);
                }
                let done = match w.wait(BlockReason::ChanSend, site) {
                    Selected::Operation(_) => {
                        p.wait_ready();
                        Some(true)
                    }
                    Selected::Closed(_) => Some(false),
                    Selected::Aborted | Selected::Waiting => {
                        self.senders.unregister(oper);
                        None
                    }
                };
                window.done();
                done
            });
            if let Some(sent) = done {
                return sent;
            }
        }
    }

    /// Blocking receive into the (empty) packet: `false` once the channel is closed and
    /// drained.
    pub(crate) fn recv(
        &self,
        p: &mut Packet<T>,
        site: &'static Location<'static>,
        reason: BlockReason,
    ) -> bool {
        loop {
            match self.try_recv(p) {
                Ok(()) => return true,
                Err(PopError::Closed) => return false,
                Err(PopError::Empty) => {}
            }
            waiter::with_current(|w| {
                let token = Token::default();
                let oper = waiter::oper_of(&token);
                self.receivers.register(oper, std::ptr::null_mut(), w);
                fence(Ordering::SeqCst);
                if !self.is_empty() || self.is_closed() {
                    let _ = w.try_select(Selected::Aborted);
                }
                if let Selected::Aborted | Selected::Waiting = w.wait(reason, site) {
                    self.receivers.unregister(oper);
                }
            });
        }
    }

    /// Marks the channel closed. Returns `false` if it already was.
    pub(crate) fn close(&self) -> bool {
        let tail = self.tail.fetch_or(self.mark_bit, Ordering::SeqCst);
        if tail & self.mark_bit != 0 {
            return false;
        }
        self.receivers.close_all();
        self.senders.close_all();
        true
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.tail.load(Ordering::SeqCst) & self.mark_bit != 0
    }

    pub(crate) fn is_empty(&self) -> bool {
        let head = self.head.load(Ordering::SeqCst);
        let tail = self.tail.load(Ordering::SeqCst);
        tail & !self.mark_bit == head
    }

    pub(crate) fn is_full(&self) -> bool {
        let tail = self.tail.load(Ordering::SeqCst);
        let head = self.head.load(Ordering::SeqCst);
        head.wrapping_add(self.one_lap) == tail & !self.mark_bit
    }

    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            if self.tail.load(Ordering::SeqCst) == tail {
                let hix = head & (self.mark_bit - 1);
                let tix = tail & (self.mark_bit - 1);
                return if hix < tix {
                    tix - hix
                } else if hix > tix {
                    self.cap - hix + tix
                } else if tail & !self.mark_bit == head {
                    0
                } else {
                    self.cap
                };
            }
        }
    }
}

impl<T> Drop for Array<T> {
    fn drop(&mut self) {
        // Drop the values still buffered: walk from head to tail. A value whose `Drop` panics
        // does not leak the rest: the guard goes on dropping them while the panic unwinds (as
        // `Vec` does; a second panicking `Drop` then aborts, as it does for `Vec`).
        struct Rest<'a, T> {
            array: &'a mut Array<T>,
            pos: usize,
            tail: usize,
        }
        impl<T> Rest<'_, T> {
            fn drop_all(&mut self) {
                while self.pos != self.tail {
                    let index = self.pos & (self.array.mark_bit - 1);
                    self.pos = self.array.next(self.pos);
                    // SAFETY: we have `&mut` to the channel, and every slot between head and
                    // tail holds an initialized value that nobody took; `pos` moves past the
                    // slot before its value is dropped, so each is dropped once even if this
                    // drop panics and the guard carries on.
                    self.array.buffer[index]
                        .msg
                        .with_mut(|p| unsafe { (*p).assume_init_drop() });
                }
            }
        }
        impl<T> Drop for Rest<'_, T> {
            fn drop(&mut self) {
                // Reached with values left only when a value's `Drop` panicked.
                self.drop_all();
            }
        }
        let head = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Relaxed) & !self.mark_bit;
        let mut rest = Rest {
            array: self,
            pos: head,
            tail,
        };
        rest.drop_all();
    }
}

/// A registration token: its address names one blocked call while it is registered.
#[derive(Default)]
#[repr(align(8))]
pub(crate) struct Token(#[allow(dead_code)] u8);

#[cfg(test)]
// Under Miri the tests that use goroutines are compiled out; their imports go unused.
#[cfg_attr(miri, allow(unused))]
mod tests {
    use super::Array;
    use crate::chan::packet::{with_received, with_sent};
    use std::mem::{align_of, offset_of, size_of};
    use std::panic::Location;
    use std::sync::Arc;
    use std::time::Duration;

    /// Two receives hold slots 0 and 1 of a full buffer while two sends are blocked, and the
    /// later one starts completing first: it waits until its slot is the tail, so the earlier
    /// one claims the first sender, and the values go in in the order the senders blocked.
    /// (Were the later one to claim at once, the first sender's value would land behind the
    /// second's.)
    #[cfg(not(miri))]
    #[test]
    fn held_slots_complete_blocked_sends_in_order() {
        let a = Arc::new(Array::<u32>::new(2));
        for v in [0, 1] {
            assert!(with_sent(v, |p| a.try_send(p)).0.is_ok());
        }
        let senders: Vec<_> = [2u32, 3]
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let a2 = a.clone();
                let t =
                    std::thread::spawn(move || with_sent(v, |p| a2.send(p, Location::caller())).0);
                while a.senders.len() <= i {
                    std::thread::sleep(Duration::from_micros(100));
                }
                t
            })
            .collect();
        let take = || with_received(|p| a.take_held(p));
        let ((first, v0), (second, v1)) = (take(), take());
        assert_eq!((v0, v1), (Some(0), Some(1)));
        let (first, second) = (first.unwrap(), second.unwrap());
        let a2 = a.clone();
        let later = std::thread::spawn(move || a2.refill(second));
        std::thread::sleep(Duration::from_millis(20));
        a.refill(first);
        later.join().unwrap();
        for t in senders {
            assert!(t.join().unwrap(), "the send completed");
        }
        let rest: Vec<u32> = (0..2)
            .map(|_| with_received(|p| a.try_recv(p)).1.unwrap())
            .collect();
        assert_eq!(rest, [2, 3], "in the order the senders blocked");
    }

    /// `head` and `tail` are written by different sides: never on one line nor one 128-byte
    /// pair of lines, while the channel stays small and 64-aligned. The fields every
    /// operation reads (the timer link included) fill the line between them.
    #[test]
    fn head_and_tail_are_two_lines_apart_in_a_small_channel() {
        let (head, tail) = (offset_of!(Array<u64>, head), offset_of!(Array<u64>, tail));
        assert!(tail >= head + 128, "head at {head}, tail at {tail}");
        let expiry = offset_of!(Array<u64>, expiry);
        assert!(expiry >= 64 && expiry + 24 <= 128, "expiry at {expiry}");
        assert_eq!(align_of::<Array<u64>>(), 64);
        assert!(
            size_of::<Array<u64>>() <= 320,
            "{}",
            size_of::<Array<u64>>()
        );
    }
}
