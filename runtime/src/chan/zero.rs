//! The unbuffered channel: a rendezvous with direct hand-off, as in Go.
//!
//! One lock guards both wait lists and the closed flag. A party that finds a counterparty
//! waiting claims it (the waiter's selection CAS), removes it from the list, releases the lock
//! and moves the value straight between the two packets; the claimed party waits for the
//! packet's `ready` flag before it touches the packet again, so the value is never copied
//! through the channel. A party that finds nobody registers a packet on its own stack and
//! parks.
//!
//! Lock order: this lock is never held while another channel's lock is taken, and never
//! while parking or unparking.

use super::array::{PopError, PushError};
use super::waitlist::Waiters;
use crate::loom::{AtomicBool, Backoff, Ordering, SpinLock, UnsafeCell};
use crate::waiter::{self, BlockReason, Selected, WaiterRef};

/// Where a value travels between two parties of an unbuffered channel. Lives on the blocked
/// party's stack (or in its select case) while registered.
#[repr(align(8))]
pub(crate) struct Packet<T> {
    ready: AtomicBool,
    msg: UnsafeCell<Option<T>>,
}

impl<T> Packet<T> {
    pub(crate) fn empty() -> Self {
        Packet {
            ready: AtomicBool::new(false),
            msg: UnsafeCell::new(None),
        }
    }

    pub(crate) fn with(msg: T) -> Self {
        Packet {
            ready: AtomicBool::new(false),
            msg: UnsafeCell::new(Some(msg)),
        }
    }

    /// Waits until the counterparty that claimed us has finished with the packet.
    pub(crate) fn wait_ready(&self) {
        let mut backoff = Backoff::new();
        while !self.ready.load(Ordering::Acquire) {
            backoff.snooze();
        }
    }

    /// Takes the value out (owner side, after `wait_ready`, or before registering).
    pub(crate) fn take(&mut self) -> Option<T> {
        // SAFETY: `&mut self` and not registered (or already released by the counterparty).
        self.msg.with_mut(|p| unsafe { (*p).take() })
    }

    /// True if the packet holds a value (owner side, while not registered).
    pub(crate) fn has_value(&self) -> bool {
        // SAFETY: owner side while not registered: nobody else accesses the packet.
        self.msg.with(|p| unsafe { (*p).is_some() })
    }

    /// Puts a value back (owner side, while not registered).
    pub(crate) fn put(&mut self, msg: T) {
        // SAFETY: as in `take`.
        self.msg.with_mut(|p| unsafe { *p = Some(msg) });
    }
}

/// Counterparty side: takes the value from a claimed sender's packet and releases it.
///
/// # Safety
/// `packet` must come from an entry this thread has just claimed (selection CAS won) and whose
/// packet type is `Packet<T>`.
unsafe fn take_from<T>(packet: *mut ()) -> T {
    let packet = packet as *const Packet<T>;
    // SAFETY: per the contract the owner is blocked until `ready` is set, so we have exclusive
    // access to `msg`; the packet stays alive until then.
    let msg = unsafe { (*packet).msg.with_mut(|p| (*p).take()) };
    // SAFETY: as above; after this store the owner may free the packet, so we do not touch it.
    unsafe { (*packet).ready.store(true, Ordering::Release) };
    msg.expect("a blocked sender's packet holds its value")
}

/// Counterparty side: writes `msg` into a claimed receiver's packet and releases it.
///
/// # Safety
/// As for [`take_from`].
unsafe fn put_into<T>(packet: *mut (), msg: T) {
    let packet = packet as *const Packet<T>;
    // SAFETY: as in `take_from`.
    unsafe {
        (*packet).msg.with_mut(|p| *p = Some(msg));
        (*packet).ready.store(true, Ordering::Release);
    }
}

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

    /// Sends to a waiting receiver other than `me` (a waiter id), without blocking.
    #[inline]
    pub(crate) fn try_send_from(&self, msg: T, me: usize) -> Result<(), PushError<T>> {
        if !self.has_receivers.load(Ordering::Acquire) && !self.closed.load(Ordering::Acquire) {
            return Err(PushError::Full(msg));
        }
        let mut inner = self.inner.lock();
        if let Some(e) = inner.receivers.select_other(me) {
            self.update_hints(&inner);
            drop(inner);
            // SAFETY: we won the selection CAS on this receiver; its packet is a `Packet<T>`.
            unsafe { put_into(e.packet, msg) };
            e.waiter.unpark();
            return Ok(());
        }
        if inner.closed {
            Err(PushError::Closed(msg))
        } else {
            Err(PushError::Full(msg))
        }
    }

    /// Receives from a waiting sender other than `me`, without blocking.
    #[inline]
    pub(crate) fn try_recv_from(&self, me: usize) -> Result<T, PopError> {
        if !self.has_senders.load(Ordering::Acquire) && !self.closed.load(Ordering::Acquire) {
            return Err(PopError::Empty);
        }
        let mut inner = self.inner.lock();
        if let Some(e) = inner.senders.select_other(me) {
            self.update_hints(&inner);
            drop(inner);
            // SAFETY: we won the selection CAS on this sender; its packet is a `Packet<T>`.
            let msg = unsafe { take_from(e.packet) };
            e.waiter.unpark();
            return Ok(msg);
        }
        if inner.closed {
            Err(PopError::Closed)
        } else {
            Err(PopError::Empty)
        }
    }

    /// Blocking send: completes only when a receiver has taken the value.
    #[track_caller]
    pub(crate) fn send(&self, msg: T) {
        let site = std::panic::Location::caller();
        let mut inner = self.inner.lock();
        if let Some(e) = inner.receivers.select_other(usize::MAX) {
            self.update_hints(&inner);
            drop(inner);
            // SAFETY: we won the selection CAS on this receiver; its packet is a `Packet<T>`.
            unsafe { put_into(e.packet, msg) };
            e.waiter.unpark();
            return;
        }
        if inner.closed {
            drop(inner);
            super::panic_send_on_closed();
        }
        waiter::with_current(|w| {
            let mut packet = Packet::with(msg);
            let oper = waiter::oper_of(&packet);
            inner
                .senders
                .register(oper, &mut packet as *mut Packet<T> as *mut (), w);
            self.update_hints(&inner);
            drop(inner);
            match w.wait(BlockReason::ChanSend, site) {
                Selected::Operation(_) => packet.wait_ready(),
                Selected::Closed(_) => {
                    drop(packet);
                    super::panic_send_on_closed()
                }
                s => unreachable!("a blocking send is only completed or closed, got {s:?}"),
            }
        })
    }

    /// Blocking receive: `None` if the channel is closed.
    #[track_caller]
    pub(crate) fn recv(&self) -> Option<T> {
        let site = std::panic::Location::caller();
        let mut inner = self.inner.lock();
        if let Some(e) = inner.senders.select_other(usize::MAX) {
            self.update_hints(&inner);
            drop(inner);
            // SAFETY: we won the selection CAS on this sender; its packet is a `Packet<T>`.
            let msg = unsafe { take_from(e.packet) };
            e.waiter.unpark();
            return Some(msg);
        }
        if inner.closed {
            return None;
        }
        waiter::with_current(|w| {
            let mut packet = Packet::<T>::empty();
            let oper = waiter::oper_of(&packet);
            inner
                .receivers
                .register(oper, &mut packet as *mut Packet<T> as *mut (), w);
            self.update_hints(&inner);
            drop(inner);
            match w.wait(BlockReason::ChanRecv, site) {
                Selected::Operation(_) => {
                    packet.wait_ready();
                    packet.take()
                }
                Selected::Closed(_) => None,
                s => unreachable!("a blocking receive is only completed or closed, got {s:?}"),
            }
        })
    }

    /// Registers a select's send case. Returns `true` if the case is ready now (a receiver
    /// other than `w` waits, or the channel is closed), in which case the caller aborts.
    pub(crate) fn register_send(&self, oper: usize, packet: *mut Packet<T>, w: &WaiterRef) -> bool {
        let mut inner = self.inner.lock();
        inner.senders.register(oper, packet as *mut (), w);
        self.update_hints(&inner);
        inner.closed || inner.receivers.can_select_other(w.id())
    }

    /// Registers a select's receive case; see [`Zero::register_send`].
    pub(crate) fn register_recv(&self, oper: usize, packet: *mut Packet<T>, w: &WaiterRef) -> bool {
        let mut inner = self.inner.lock();
        inner.receivers.register(oper, packet as *mut (), w);
        self.update_hints(&inner);
        inner.closed || inner.senders.can_select_other(w.id())
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
        inner.senders.close_all(&mut woken);
        inner.receivers.close_all(&mut woken);
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
