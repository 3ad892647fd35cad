//! Channels with Go's semantics.
//!
//! The public handles ([`Chan`], [`Sender`], [`Receiver`]) live in `handles.rs`; each holds an
//! `Option<Arc<Channel<T>>>` where `None` is Go's nil channel. [`Channel`] picks the flavor:
//! a lock-free ring for buffered channels (`array.rs`) or a locked rendezvous with direct
//! hand-off for unbuffered ones (`zero.rs`). Blocked parties are [`WaiterRef`]s
//! (`waiter.rs`): the flavors never know whether they park a thread or a goroutine.
//!
//! [`WaiterRef`]: crate::waiter::WaiterRef

pub(crate) mod array;
pub(crate) mod dir;
mod error;
mod handles;
pub(crate) mod packet;
pub(crate) mod waitlist;
pub(crate) mod zero;

pub(crate) use dir::raw_of;
pub use dir::{AllowsClose, AllowsRecv, AllowsSend, AnyChan, Both, ChanRef, RecvOnly, SendOnly};
pub use error::{TryRecvError, TrySendError};
#[cfg(not(loom))]
pub(crate) use handles::WeakChan;
pub use handles::{Chan, IntoIter, Iter, Receiver, Sender, TryIter};

use std::panic::Location;

use crate::loom::Arc;
use crate::waiter::BlockReason;
use array::{Array, PopError, SendFail};
use packet::Packet;
use zero::Zero;

/// The shared state of one non-nil channel.
// Lives behind an `Arc`, allocated once per channel. The buffered flavor is boxed: its head
// and tail are padded to 128 bytes each (so producers and consumers do not share a line), and
// inline it would make every channel 512 bytes, 128-aligned (640 with the `Arc`'s counts,
// 839 bytes of RSS per unbuffered channel against Go's 110). An unbuffered channel is now
// about as big as Go's; a buffered operation pays one load for the box's pointer, in a line
// nobody writes.
pub(crate) enum Channel<T> {
    Array(Box<Array<T>>),
    Zero(Zero<T>),
}

impl<T> Channel<T> {
    #[track_caller]
    pub(crate) fn new(cap: usize) -> Arc<Self> {
        Arc::new(if cap == 0 {
            Channel::Zero(Zero::new())
        } else {
            Channel::Array(Box::new(Array::new(cap)))
        })
    }

    /// Blocking send of the packet's value; `site` is the user's call, for goroutine dumps.
    /// `false` if the channel is closed: the caller, a `#[track_caller]` function outside any
    /// closure, panics with "send on closed channel" so the panic names the user's line.
    #[inline]
    #[must_use]
    pub(crate) fn send(&self, p: &mut Packet<T>, site: &'static Location<'static>) -> bool {
        match self {
            Channel::Array(c) => c.send(p, site),
            Channel::Zero(c) => c.send(p, site),
        }
    }

    /// Blocking receive into the (empty) packet; `false` when closed and drained.
    #[inline]
    pub(crate) fn recv(&self, p: &mut Packet<T>, site: &'static Location<'static>) -> bool {
        self.recv_for(p, site, BlockReason::ChanRecv)
    }

    /// [`Channel::recv`] for a runtime facility that names its wait itself (a join).
    #[inline]
    pub(crate) fn recv_for(
        &self,
        p: &mut Packet<T>,
        site: &'static Location<'static>,
        reason: BlockReason,
    ) -> bool {
        match self {
            Channel::Array(c) => c.recv(p, site, reason),
            Channel::Zero(c) => c.recv(p, site, reason),
        }
    }

    #[inline]
    pub(crate) fn try_send(&self, p: &mut Packet<T>) -> Result<(), SendFail> {
        match self {
            Channel::Array(c) => c.try_send(p),
            Channel::Zero(c) => c.try_send_from(p, usize::MAX),
        }
    }

    #[inline]
    pub(crate) fn try_recv(&self, p: &mut Packet<T>) -> Result<(), PopError> {
        match self {
            Channel::Array(c) => c.try_recv(p),
            Channel::Zero(c) => c.try_recv_from(p, usize::MAX),
        }
    }

    /// Blocking receive of a value; `None` when closed and drained.
    #[track_caller]
    pub(crate) fn recv_value(&self) -> Option<T> {
        let site = Location::caller();
        packet::with_received(|p| self.recv(p, site)).1
    }

    /// Closes the channel; panics with Go's message if it already was.
    #[track_caller]
    pub(crate) fn close(&self) {
        let close = || match self {
            Channel::Array(c) => c.close(),
            Channel::Zero(c) => c.close(),
        };
        // Its wake-ups are one event, not talk: placement must not learn from them.
        #[cfg(not(loom))]
        let first = crate::sched::closing(close);
        #[cfg(loom)]
        let first = close();
        if !first {
            panic!("close of closed channel");
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Channel::Array(c) => c.is_closed(),
            Channel::Zero(c) => c.is_closed(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Channel::Array(c) => c.len(),
            Channel::Zero(_) => 0,
        }
    }

    pub(crate) fn cap(&self) -> usize {
        match self {
            Channel::Array(c) => c.cap(),
            Channel::Zero(_) => 0,
        }
    }
}

#[cold]
#[track_caller]
pub(crate) fn panic_send_on_closed() -> ! {
    panic!("send on closed channel")
}

#[cold]
#[track_caller]
pub(crate) fn panic_close_nil() -> ! {
    panic!("close of nil channel")
}

#[cfg(test)]
mod tests {
    use super::Channel;

    /// An unbuffered channel's shared state is about the size of Go's `hchan` (96 bytes):
    /// programs make one per request, per goroutine, per context. (With the buffered flavor
    /// inline, padded to 128-byte lines, it was 512 bytes, 128-aligned.)
    #[test]
    fn an_unbuffered_channel_is_small() {
        assert!(
            std::mem::size_of::<Channel<u64>>() <= 96,
            "Channel<u64> is {} bytes",
            std::mem::size_of::<Channel<u64>>()
        );
        assert!(std::mem::align_of::<Channel<u64>>() <= 8);
        assert!(std::mem::size_of::<Channel<[u8; 256]>>() <= 96);
    }
}
