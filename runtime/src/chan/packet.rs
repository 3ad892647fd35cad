//! `Packet`: a value in flight, referred to by pointer.
//!
//! A packet does not contain the value; it points at it. A send keeps the user's value where
//! the API received it and hands the channel a packet pointing there; the value is then copied
//! exactly once, by pointer, into its destination (a ring slot, or the storage a receiver's
//! packet points at). A receive gets its value into storage in its own frame the same way.
//! Nothing moves a `T` through the layers of calls by value, so a large value costs a
//! goroutine's stack a couple of copies of itself even in a debug build (where every by-value
//! move is a copy), not one per layer.
//!
//! A packet registered with a channel is also the hand-off point: the party that claims its
//! owner moves the value in or out (for a buffered channel, only out of a blocked sender's
//! packet, into the ring), then sets `ready`; the owner waits for `ready` before it touches
//! the packet again.
//!
//! A packet owns the value it points at while it is `full`: dropping a full packet drops the
//! value (a send that panics with "send on closed channel" drops it, as Go discards it).

use std::mem::{ManuallyDrop, MaybeUninit};

use crate::loom::{AtomicBool, Backoff, Ordering, UnsafeCell};

struct State<T> {
    ptr: *mut T,
    full: bool,
}

/// A value in flight (or the place for one).
#[repr(align(8))]
pub(crate) struct Packet<T> {
    ready: AtomicBool,
    state: UnsafeCell<State<T>>,
}

impl<T> Packet<T> {
    /// A packet that owns the initialized value at `ptr`.
    ///
    /// # Safety
    /// `ptr` must point at an initialized `T` that nothing else will drop, and stay valid for
    /// the packet's life; or it may dangle if [`repoint`](Self::repoint) aims the packet at
    /// such a value before anything reads, moves or drops through it (a select case, which
    /// points into itself only once it stays put).
    #[inline]
    pub(crate) unsafe fn full(ptr: *mut T) -> Self {
        Packet {
            ready: AtomicBool::new(false),
            state: UnsafeCell::new(State { ptr, full: true }),
        }
    }

    /// A packet that receives into the uninitialized storage at `ptr`.
    ///
    /// # Safety
    /// `ptr` must be valid for writes of a `T` for the packet's life; or it may dangle if
    /// [`repoint`](Self::repoint) aims the packet at such storage before anything writes,
    /// moves or drops through it.
    #[inline]
    pub(crate) unsafe fn empty(ptr: *mut T) -> Self {
        Packet {
            ready: AtomicBool::new(false),
            state: UnsafeCell::new(State { ptr, full: false }),
        }
    }

    /// Points the packet at other storage (a select case pointing into itself before use).
    ///
    /// # Safety
    /// As for [`Packet::full`] (if `full`) or [`Packet::empty`]; the packet must not be
    /// registered.
    /// Also re-arms `ready` for the next registration (a select may run again).
    #[inline]
    pub(crate) unsafe fn repoint(&mut self, ptr: *mut T) {
        self.state.with_mut(|s| {
            // SAFETY: `&mut self`: not registered, nobody else touches the state.
            unsafe { (*s).ptr = ptr }
        });
        self.ready.store(false, Ordering::Relaxed);
    }

    /// Waits until the counterparty that claimed us has finished with the packet.
    pub(crate) fn wait_ready(&self) {
        // SAFETY: the flag is a field of `self`, alive for the call.
        unsafe { wait_flag(&self.ready) }
    }

    /// The packet's hand-off flag, reached through the same pointer the channel was given.
    /// A select waits on it before it touches any of its cases again: until the flag is set,
    /// the counterparty may still be moving the value in or out of the case, and even
    /// reborrowing the case would race with that write.
    ///
    /// # Safety
    /// `p` must point at a live packet.
    #[inline]
    pub(crate) unsafe fn ready_flag(p: *const Packet<T>) -> *const AtomicBool {
        // SAFETY: per the contract; no reference to the packet is created.
        unsafe { &raw const (*p).ready }
    }

    /// Marks an owner-side reborrow of the packet. Taking `&mut` to a select case is, for the
    /// memory model, an access to the whole case; under loom it reads the state cell so the
    /// model checker sees that access and reports it if a counterparty could still be writing.
    #[inline]
    pub(crate) fn touch(&self) {
        #[cfg(loom)]
        self.state.with(|_| ());
    }

    /// True if the packet holds a value (owner side, while not registered).
    #[inline]
    pub(crate) fn has_value(&self) -> bool {
        // SAFETY: owner side while not registered: nobody else accesses the state.
        self.state.with(|s| unsafe { (*s).full })
    }

    /// Hands the value back to the owner of the storage: afterwards the packet no longer
    /// owns it. Returns whether there was one (owner side, after `wait_ready` or while not
    /// registered).
    #[inline]
    pub(crate) fn disown(&mut self) -> bool {
        self.state.with_mut(|s| {
            // SAFETY: `&mut self`: nobody else accesses the state.
            unsafe { std::mem::replace(&mut (*s).full, false) }
        })
    }

    /// Moves the value into `dst` (owner side, while not registered).
    ///
    /// # Safety
    /// The packet must hold a value; `dst` must be valid for a write of `T` and hold no value
    /// that needs dropping.
    #[inline]
    pub(crate) unsafe fn move_to(&mut self, dst: *mut T) {
        self.state.with_mut(|s| {
            // SAFETY: per the contract; `&mut self` gives exclusive access.
            unsafe {
                debug_assert!((*s).full);
                std::ptr::copy_nonoverlapping((*s).ptr, dst, 1);
                (*s).full = false;
            }
        })
    }

    /// Moves a value from `src` into the packet's storage (owner side, while not registered).
    ///
    /// # Safety
    /// The packet must be empty; `src` must hold a value, which the caller must consider moved
    /// out afterwards.
    #[inline]
    pub(crate) unsafe fn move_from(&mut self, src: *const T) {
        self.state.with_mut(|s| {
            // SAFETY: per the contract; `&mut self` gives exclusive access.
            unsafe {
                debug_assert!(!(*s).full);
                std::ptr::copy_nonoverlapping(src, (*s).ptr, 1);
                (*s).full = true;
            }
        })
    }

    /// Counterparty side: moves the value of a claimed sender's packet into `dst` and releases
    /// the sender.
    ///
    /// # Safety
    /// `packet` must come from an entry this thread has just claimed (selection CAS won), of a
    /// full `Packet<T>`; `dst` must be empty.
    #[inline]
    pub(crate) unsafe fn take_from(packet: *mut (), dst: &mut Packet<T>) {
        dst.state.with_mut(|s| {
            // SAFETY: `&mut dst`: nobody else accesses its state, and, empty per the contract,
            // its storage is ours to fill; `packet` is as `take_to` requires, per the contract.
            unsafe {
                debug_assert!(!(*s).full);
                Packet::take_to(packet, (*s).ptr);
                (*s).full = true;
            }
        })
    }

    /// Counterparty side: moves the value of a claimed sender's packet into the storage at
    /// `dst` (a receiver's packet's, or a buffered channel's slot) and releases the sender.
    ///
    /// # Safety
    /// `packet` must come from an entry this thread has just claimed (selection CAS won), of a
    /// full `Packet<T>`; `dst` must be valid for a write of `T` and hold no value that needs
    /// dropping.
    #[inline]
    pub(crate) unsafe fn take_to(packet: *mut (), dst: *mut T) {
        let src = packet as *const Packet<T>;
        // SAFETY: the owner touches neither the packet's state nor its storage until `ready`
        // is set (a thread owner may already be in `wait_ready`, reading `ready`, an atomic:
        // every field of `Packet` is an atomic or in an `UnsafeCell`, so its shared reference
        // and our writes do not conflict), and keeps both alive until then; `dst` is ours to
        // write per the contract.
        unsafe {
            (*src).state.with_mut(|s| {
                debug_assert!((*s).full);
                std::ptr::copy_nonoverlapping((*s).ptr, dst, 1);
                (*s).full = false;
            });
            // After this store the owner may free the packet: we do not touch it again.
            (*src).ready.store(true, Ordering::Release);
        }
    }

    /// Counterparty side: moves our value into a claimed receiver's packet and releases the
    /// receiver.
    ///
    /// # Safety
    /// As for [`Packet::take_from`], with an empty receiver packet and a full `src`.
    #[inline]
    pub(crate) unsafe fn put_into(packet: *mut (), src: &mut Packet<T>) {
        let dst = packet as *const Packet<T>;
        // SAFETY: as in `take_to`: the owner waits for `ready` before it touches its packet.
        unsafe {
            (*dst).state.with_mut(|s| {
                debug_assert!(!(*s).full);
                src.move_to((*s).ptr);
                (*s).full = true;
            });
            (*dst).ready.store(true, Ordering::Release);
        }
    }
}

impl<T> Drop for Packet<T> {
    fn drop(&mut self) {
        self.state.with_mut(|s| {
            // SAFETY: `&mut self`: nobody else can reach the packet; while `full` it owns the
            // initialized value its pointer points at.
            unsafe {
                if (*s).full {
                    std::ptr::drop_in_place((*s).ptr);
                }
            }
        })
    }
}

/// Waits until a packet's hand-off flag is set (see [`Packet::ready_flag`]).
///
/// # Safety
/// `flag` must point at the `ready` flag of a packet that stays alive until it is set.
#[inline]
pub(crate) unsafe fn wait_flag(flag: *const AtomicBool) {
    let mut backoff = Backoff::new();
    // SAFETY: per the contract the flag is alive; it is atomic, so shared access is fine.
    while !unsafe { &*flag }.load(Ordering::Acquire) {
        backoff.snooze();
    }
}

/// Runs `f` with a full packet holding `v`. If `f` leaves the value unsent, it is returned.
#[inline]
pub(crate) fn with_sent<T, R>(v: T, f: impl FnOnce(&mut Packet<T>) -> R) -> (R, Option<T>) {
    let mut v = ManuallyDrop::new(v);
    // SAFETY: `v` is initialized and will not be dropped by anything but the packet (it is in
    // a `ManuallyDrop`), and it outlives the packet.
    let mut p = unsafe { Packet::full(&mut *v as *mut T) };
    let r = f(&mut p);
    let unsent = p.disown().then(|| {
        // SAFETY: the packet still held the value and has disowned it, so we own it again.
        unsafe { ManuallyDrop::take(&mut v) }
    });
    (r, unsent)
}

/// Runs `f` with an empty packet; returns what `f` returned and the value received, if any.
#[inline]
pub(crate) fn with_received<T, R>(f: impl FnOnce(&mut Packet<T>) -> R) -> (R, Option<T>) {
    let mut slot = MaybeUninit::<T>::uninit();
    // SAFETY: `slot` is valid for writes and outlives the packet.
    let mut p = unsafe { Packet::empty(slot.as_mut_ptr()) };
    let r = f(&mut p);
    let got = p.disown().then(|| {
        // SAFETY: the packet was filled (a value was moved into `slot`) and has disowned it.
        unsafe { slot.assume_init() }
    });
    (r, got)
}
