//! The unbuffered channel: a rendezvous with direct hand-off, as in Go.
//!
//! One lock guards both wait lists and the closed flag. A party that finds a counterparty
//! waiting claims it (the waiter's selection CAS), removes it from the list, releases the lock
//! and moves the value straight between the two packets; the claimed party waits for the
//! packet's `ready` flag before it touches the packet again, so the value is never copied
//! through the channel. A party that finds nobody registers a packet on its own stack and
//! parks. Every operation looks at the closed flag first, as Go's do, and a closed channel
//! takes no registration: once `close` has returned, nothing completes on the channel.
//!
//! Lock order: this lock is never held while another channel's lock is taken, and never
//! while parking or unparking.

use std::panic::Location;

use super::array::{PopError, SendFail};
use super::packet::Packet;
use super::waitlist::Waiters;
use crate::loom::{AtomicBool, Ordering, SpinLock};
use crate::waiter::{self, BlockReason, NoUnwind, Selected, WaiterRef};

struct Inner {
    senders: Waiters,
    receivers: Waiters,
    closed: bool,
}

pub(crate) struct Zero<T> {
    inner: SpinLock<Inner>,
    /// Hints readable without the lock (written under it): is any sender / receiver blocked,
    /// is the channel closed. They let `select` with `default` skip the lock when nothing can
    /// be ready, like Go's lock-free `empty` check.
    has_senders: AtomicBool,
    has_receivers: AtomicBool,
    closed: AtomicBool,
    _marker: std::marker::PhantomData<T>,
}

// SAFETY: values cross threads only through packets, each accessed by one party at a time
// (see the module docs); the state is behind a lock.
unsafe impl<T: Send> Send for Zero<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Zero<T> {}

impl<T> Zero<T> {
    pub(crate) fn new() -> Self {
        Zero {
            inner: SpinLock::new(Inner {
                senders: Waiters::default(),
                receivers: Waiters::default(),
                closed: false,
            }),
            has_senders: AtomicBool::new(false),
            has_receivers: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            _marker: std::marker::PhantomData,
        }
    }

    fn update_hints(&self, inner: &Inner) {
        self.has_senders
            .store(!inner.senders.is_empty(), Ordering::Release);
        self.has_receivers
            .store(!inner.receivers.is_empty(), Ordering::Release);
    }

    /// Sends the packet's value to a waiting receiver other than `me` (a waiter id), without
    /// blocking. On failure the value stays in the packet.
    #[inline]
    pub(crate) fn try_send_from(&self, p: &mut Packet<T>, me: usize) -> Result<(), SendFail> {
        if !self.has_receivers.load(Ordering::Acquire) && !self.closed.load(Ordering::Acquire) {
            return Err(SendFail::Full);
        }
        let mut inner = self.inner.lock();
        // Closed first, as in Go: nothing may complete on a closed channel.
        if inner.closed {
            return Err(SendFail::Closed);
        }
        if let Some(e) = inner.receivers.select_other(me) {
            self.update_hints(&inner);
            drop(inner);
            // SAFETY: we won the selection CAS on this receiver; its packet is an empty
            // `Packet<T>`, and ours is full.
            unsafe { Packet::put_into(e.packet(), p) };
            e.waiter.unpark();
            return Ok(());
        }
        Err(SendFail::Full)
    }

    /// Receives into the (empty) packet from a waiting sender other than `me`, without
    /// blocking.
    #[inline]
    pub(crate) fn try_recv_from(&self, p: &mut Packet<T>, me: usize) -> Result<(), PopError> {
        if !self.has_senders.load(Ordering::Acquire) && !self.closed.load(Ordering::Acquire) {
            return Err(PopError::Empty);
        }
        let mut inner = self.inner.lock();
        if inner.closed {
            return Err(PopError::Closed);
        }
        if let Some(e) = inner.senders.select_other(me) {
            self.update_hints(&inner);
            drop(inner);
            // SAFETY: we won the selection CAS on this sender; its packet is a full
            // `Packet<T>`, and ours is empty.
            unsafe { Packet::take_from(e.packet(), p) };
            e.waiter.unpark();
            return Ok(());
        }
        Err(PopError::Empty)
    }

    /// Blocking send of the packet's value: completes only when a receiver has taken it.
    /// `false` if the channel is (or becomes) closed, the value unsent (the caller panics).
    #[must_use]
    pub(crate) fn send(&self, p: &mut Packet<T>, site: &'static Location<'static>) -> bool {
        let mut inner = self.inner.lock();
        if inner.closed {
            return false;
        }
        if let Some(e) = inner.receivers.select_other(usize::MAX) {
            self.update_hints(&inner);
            drop(inner);
            // SAFETY: we won the selection CAS on this receiver; its packet is an empty
            // `Packet<T>`, and ours is full.
            unsafe { Packet::put_into(e.packet(), p) };
            e.waiter.unpark();
            return true;
        }
        let closed = waiter::with_current(|w| {
            let oper = waiter::oper_of(p);
            let window = NoUnwind::new("a blocking send");
            inner
                .senders
                .register(oper, p as *mut Packet<T> as *mut (), w);
            self.update_hints(&inner);
            drop(inner);
            let closed = match w.wait(BlockReason::ChanSend, site) {
                Selected::Operation(_) => {
                    p.wait_ready();
                    false
                }
                Selected::Closed(_) => true,
                s => waiter::protocol_violation(format_args!(
                    "a blocking send is only completed or closed, got {s:?}"
                )),
            };
            window.done();
            closed
        });
        !closed
    }

    /// Blocking receive into the (empty) packet: `false` if the channel is closed.
    pub(crate) fn recv(
        &self,
        p: &mut Packet<T>,
        site: &'static Location<'static>,
        reason: BlockReason,
    ) -> bool {
        let mut inner = self.inner.lock();
        if inner.closed {
            return false;
        }
        if let Some(e) = inner.senders.select_other(usize::MAX) {
            self.update_hints(&inner);
            drop(inner);
            // SAFETY: we won the selection CAS on this sender; its packet is a full
            // `Packet<T>`, and ours is empty.
            unsafe { Packet::take_from(e.packet(), p) };
            e.waiter.unpark();
            return true;
        }
        waiter::with_current(|w| {
            let oper = waiter::oper_of(p);
            let window = NoUnwind::new("a blocking receive");
            inner
                .receivers
                .register(oper, p as *mut Packet<T> as *mut (), w);
            self.update_hints(&inner);
            drop(inner);
            let received = match w.wait(reason, site) {
                Selected::Operation(_) => {
                    p.wait_ready();
                    true
                }
                Selected::Closed(_) => false,
                s => waiter::protocol_violation(format_args!(
                    "a blocking receive is only completed or closed, got {s:?}"
                )),
            };
            window.done();
            received
        })
    }

    /// Registers a select's send case. Returns `true` if the case is ready now (a receiver
    /// other than `w` waits, or the channel is closed), in which case the caller aborts. A
    /// closed channel takes no registration: a counterparty could claim it before the abort
    /// and complete an operation on the closed channel.
    pub(crate) fn register_send(&self, oper: usize, packet: *mut Packet<T>, w: &WaiterRef) -> bool {
        let mut inner = self.inner.lock();
        if inner.closed {
            return true;
        }
        inner.senders.register(oper, packet as *mut (), w);
        self.update_hints(&inner);
        inner.receivers.can_select_other(w.id())
    }

    /// Registers a select's receive case; see [`Zero::register_send`].
    pub(crate) fn register_recv(&self, oper: usize, packet: *mut Packet<T>, w: &WaiterRef) -> bool {
        let mut inner = self.inner.lock();
        if inner.closed {
            return true;
        }
        inner.receivers.register(oper, packet as *mut (), w);
        self.update_hints(&inner);
        inner.senders.can_select_other(w.id())
    }

    pub(crate) fn unregister_send(&self, oper: usize) {
        let mut inner = self.inner.lock();
        inner.senders.unregister(oper);
        self.update_hints(&inner);
    }

    pub(crate) fn unregister_recv(&self, oper: usize) {
        let mut inner = self.inner.lock();
        inner.receivers.unregister(oper);
        self.update_hints(&inner);
    }

    /// Marks the channel closed and wakes every blocked party. Returns `false` if it already was.
    pub(crate) fn close(&self) -> bool {
        let mut woken = Vec::new();
        let mut inner = self.inner.lock();
        if inner.closed {
            return false;
        }
        inner.closed = true;
        self.closed.store(true, Ordering::Release);
        // Receivers first, as Go's `closechan`: a select blocked on both sides of this
        // channel takes its receive (the zero value) instead of panicking in its send.
        inner.receivers.close_all(&mut woken);
        inner.senders.close_all(&mut woken);
        self.update_hints(&inner);
        drop(inner);
        for w in woken {
            w.unpark();
        }
        true
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}
