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
pub(crate) mod waitlist;
pub(crate) mod zero;

pub(crate) use dir::raw_of;
pub use dir::{AllowsClose, AllowsRecv, AllowsSend, AnyChan, Both, ChanRef, RecvOnly, SendOnly};
pub use error::{TryRecvError, TrySendError};
#[cfg(not(loom))]
pub(crate) use handles::WeakChan;
pub use handles::{Chan, IntoIter, Iter, Receiver, Sender, TryIter};

use crate::loom::Arc;
use array::{Array, PopError, PushError};
use zero::Zero;

/// The shared state of one non-nil channel.
// Lives behind an `Arc`, allocated once per channel: the size of the small variant does not
// matter, and boxing the large one would cost an indirection on every operation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Channel<T> {
    Array(Array<T>),
    Zero(Zero<T>),
}

impl<T> Channel<T> {
    pub(crate) fn new(cap: usize) -> Arc<Self> {
        Arc::new(if cap == 0 {
            Channel::Zero(Zero::new())
        } else {
            Channel::Array(Array::new(cap))
        })
    }

    #[track_caller]
    #[inline]
    pub(crate) fn send(&self, msg: T) {
        match self {
            Channel::Array(c) => c.send(msg),
            Channel::Zero(c) => c.send(msg),
        }
    }

    #[track_caller]
    #[inline]
    pub(crate) fn recv(&self) -> Option<T> {
        match self {
            Channel::Array(c) => c.recv(),
            Channel::Zero(c) => c.recv(),
        }
    }

    #[inline]
    pub(crate) fn try_send(&self, msg: T) -> Result<(), PushError<T>> {
        match self {
            Channel::Array(c) => c.try_send(msg),
            Channel::Zero(c) => c.try_send_from(msg, usize::MAX),
        }
    }

    #[inline]
    pub(crate) fn try_recv(&self) -> Result<T, PopError> {
        match self {
            Channel::Array(c) => c.try_recv(),
            Channel::Zero(c) => c.try_recv_from(usize::MAX),
        }
    }

    /// Closes the channel; panics with Go's message if it already was.
    #[track_caller]
    pub(crate) fn close(&self) {
        let first = match self {
            Channel::Array(c) => c.close(),
            Channel::Zero(c) => c.close(),
        };
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
