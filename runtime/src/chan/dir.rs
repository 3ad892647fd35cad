//! Channel direction as types, with Go's words when it is misused.
//!
//! Every handle implements [`AnyChan`], whose `Dir` is [`Both`] (`chan T`), [`SendOnly`]
//! (`chan<- T`) or [`RecvOnly`] (`<-chan T`). Operations that need a direction require
//! `Dir: AllowsSend` / `AllowsRecv` / `AllowsClose`; those traits are implemented only for the
//! directions that allow them and carry `#[diagnostic::on_unimplemented]` messages that read
//! like the Go compiler's, so `select!`, `go_syntax!` and plain method calls all report a
//! direction mistake the way Go does:
//!
//! ```compile_fail
//! use gocsp::prelude::*;
//! let ch: Chan<i32> = make!(chan i32, 1);
//! let rx = ch.receiver();
//! rx.send(1); // error: invalid operation: cannot send to receive-only channel
//! ```

use super::Channel;
use crate::loom::Arc;

/// Direction of a bidirectional channel (`chan T`).
#[derive(Debug, Clone, Copy)]
pub struct Both;
/// Direction of a send-only channel (`chan<- T`).
#[derive(Debug, Clone, Copy)]
pub struct SendOnly;
/// Direction of a receive-only channel (`<-chan T`).
#[derive(Debug, Clone, Copy)]
pub struct RecvOnly;

/// Directions that allow sending: [`Both`] and [`SendOnly`].
#[diagnostic::on_unimplemented(
    message = "invalid operation: cannot send to receive-only channel",
    label = "cannot send to receive-only channel",
    note = "a `Receiver<T>` is Go's `<-chan T`: it can only receive; send on the `Chan<T>` or a `Sender<T>`"
)]
pub trait AllowsSend: sealed::Sealed {}
#[diagnostic::do_not_recommend]
impl AllowsSend for Both {}
#[diagnostic::do_not_recommend]
impl AllowsSend for SendOnly {}

/// Directions that allow receiving: [`Both`] and [`RecvOnly`].
#[diagnostic::on_unimplemented(
    message = "invalid operation: cannot receive from send-only channel",
    label = "cannot receive from send-only channel",
    note = "a `Sender<T>` is Go's `chan<- T`: it can only send; receive from the `Chan<T>` or a `Receiver<T>`"
)]
pub trait AllowsRecv: sealed::Sealed {}
#[diagnostic::do_not_recommend]
impl AllowsRecv for Both {}
#[diagnostic::do_not_recommend]
impl AllowsRecv for RecvOnly {}

/// Directions that allow closing: [`Both`] and [`SendOnly`].
#[diagnostic::on_unimplemented(
    message = "invalid operation: cannot close receive-only channel",
    label = "cannot close receive-only channel",
    note = "in Go only the sending side closes a channel; close the `Chan<T>` or a `Sender<T>`"
)]
pub trait AllowsClose: sealed::Sealed {}
#[diagnostic::do_not_recommend]
impl AllowsClose for Both {}
#[diagnostic::do_not_recommend]
impl AllowsClose for SendOnly {}

/// A channel handle of any direction: [`Chan`](crate::Chan), [`Sender`](crate::Sender) or
/// [`Receiver`](crate::Receiver). Implemented for references to handles too, so generic code
/// and the macros can take either.
#[diagnostic::on_unimplemented(
    message = "invalid operation: `{Self}` is not a channel",
    label = "not a channel",
    note = "channel operations take a `Chan<T>`, `Sender<T>` (chan<- T) or `Receiver<T>` (<-chan T)"
)]
pub trait AnyChan: sealed::Sealed {
    /// The element type.
    type Elem;
    /// The direction: [`Both`], [`SendOnly`] or [`RecvOnly`].
    type Dir;
    #[doc(hidden)]
    fn __raw(&self) -> Option<ChanRef<'_, Self::Elem>>;
}

/// A borrowed reference to a channel's shared state (hidden plumbing of [`AnyChan`]).
#[doc(hidden)]
#[allow(missing_debug_implementations)]
pub struct ChanRef<'a, T>(pub(crate) &'a Arc<Channel<T>>);

/// The shared state behind any handle, or `None` for the nil channel.
#[inline]
pub(crate) fn raw_of<C: AnyChan + ?Sized>(c: &C) -> Option<&Arc<Channel<C::Elem>>> {
    c.__raw().map(|r| r.0)
}

impl<C: AnyChan + ?Sized> AnyChan for &C {
    type Elem = C::Elem;
    type Dir = C::Dir;
    #[inline]
    fn __raw(&self) -> Option<ChanRef<'_, Self::Elem>> {
        (**self).__raw()
    }
}

pub(crate) mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Both {}
    impl Sealed for super::SendOnly {}
    impl Sealed for super::RecvOnly {}
    impl<T> Sealed for crate::Chan<T> {}
    impl<T> Sealed for crate::Sender<T> {}
    impl<T> Sealed for crate::Receiver<T> {}
    impl<C: Sealed + ?Sized> Sealed for &C {}
}
