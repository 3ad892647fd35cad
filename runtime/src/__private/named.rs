//! Channel operations on a named operand, so that a direction mistake names the variable the
//! way Go does: `invalid operation: cannot send to receive-only channel out (variable of type
//! <-chan int)`.
//!
//! When a channel operand is a plain variable (`out <- 1`, `<-input`, `close(done)`,
//! `select { case v := <-rx: ... }`), the macros declare a unit struct named after it and
//! call
//! `<_ as SendTo<_, _, _>>::send({ mod __gocsp_name { struct out; } <_ as Operand>::operand::<__gocsp_name::out>(&out) }, v)`:
//!
//! 1. [`Operand::operand`] checks that `out` is a channel at all ("`Vec<i32>` is not a
//!    channel") and returns it typed by its direction ([`Both`], [`SendOnly`],
//!    [`RecvOnly`]), element type and name;
//! 2. [`SendTo`], [`RecvFrom`] and [`CloseOn`] are implemented only by the directions that
//!    allow them, and their `on_unimplemented` message prints the name type `N` and the
//!    handle type `C`.
//!
//! The name's module lives in the operand's block, so the call itself starts with `<`: it is
//! an expression wherever it stands (a block would end a statement: `<-done + 1`).
//!
//! An operand that is not a plain variable (`p.out`, `chans[i]`, `f()`) has no name to give:
//! [`SendToValue`], [`RecvFromValue`] and [`CloseOnValue`] say "value of type" instead, and
//! end there too.
//!
//! Both steps are trait-method calls, not functions with `where` clauses, so the error ends
//! there: no "required by a bound in `Ops::send`" note pointing into this crate. A
//! non-channel fails step 1 only (its direction is then unknown, and rustc reports no second
//! error for it). The methods forward to [`Ops`], which records the caller's location.

use std::marker::PhantomData;

use super::{Ops, Range};
use crate::chan::{AnyChan, Both, RecvOnly, SendOnly};
use crate::select::{RecvCase, SendCase};

/// The types an [`Operation`] carries besides its handle: direction, element, name.
type Marks<D, T, N> = PhantomData<fn() -> (D, T, N)>;

/// A channel operand with its direction `D`, element type `T` and variable name `N` as types.
pub struct Operation<'a, D, C: ?Sized, T, N>(&'a C, Marks<D, T, N>);

impl<D, C: ?Sized, T, N> std::fmt::Debug for Operation<'_, D, C, T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Operation")
    }
}

/// Step 1: the operand is a channel handle (of any direction).
#[diagnostic::on_unimplemented(
    message = "invalid operation: `{Self}` is not a channel",
    label = "not a channel",
    note = "channel operations take a `Chan<T>`, `Sender<T>` (chan<- T) or `Receiver<T>` (<-chan T)"
)]
pub trait Operand {
    /// The handle's direction.
    type Dir;
    /// The element type.
    type Elem;
    /// The operand, typed by its direction, with the variable's name as `N`.
    fn operand<N>(&self) -> Operation<'_, Self::Dir, Self, Self::Elem, N>;
}

#[diagnostic::do_not_recommend]
impl<C: AnyChan + ?Sized> Operand for C {
    type Dir = C::Dir;
    type Elem = C::Elem;
    #[inline]
    fn operand<N>(&self) -> Operation<'_, C::Dir, C, C::Elem, N> {
        Operation(self, PhantomData)
    }
}

/// The implementations of one capability's trait, one per direction that allows it: each
/// method forwards to [`Ops`] (or builds the select case).
macro_rules! direction_impls {
    (send: $tr:ident for $($dir:ident),+) => {$(
        #[diagnostic::do_not_recommend]
        impl<T, N, C: AnyChan<Elem = T, Dir = $dir>> $tr<T, N, C> for $dir {
            #[track_caller]
            #[inline]
            fn send(op: Operation<'_, Self, C, T, N>, v: T) {
                Ops::send(op.0, v)
            }
            #[track_caller]
            #[inline]
            fn try_send_now(op: Operation<'_, Self, C, T, N>, v: T) -> Result<(), T> {
                Ops::try_send_now(op.0, v)
            }
            #[inline]
            fn send_case(op: Operation<'_, Self, C, T, N>, v: T) -> SendCase<'_, T> {
                SendCase::new(op.0, v)
            }
        }
    )+};
    (close: $tr:ident for $($dir:ident),+) => {$(
        #[diagnostic::do_not_recommend]
        impl<T, N, C: AnyChan<Elem = T, Dir = $dir>> $tr<T, N, C> for $dir {
            #[track_caller]
            #[inline]
            fn close(op: Operation<'_, Self, C, T, N>) {
                Ops::close(op.0)
            }
        }
    )+};
    (recv: $tr:ident for $($dir:ident),+) => {$(
        #[diagnostic::do_not_recommend]
        impl<T, N, C: AnyChan<Elem = T, Dir = $dir>> $tr<T, N, C> for $dir {
            #[track_caller]
            #[inline]
            fn recv_option(op: Operation<'_, Self, C, T, N>) -> Option<T> {
                Ops::recv_option(op.0)
            }
            #[inline]
            fn range(op: Operation<'_, Self, C, T, N>) -> Range<'_, T> {
                Ops::range(op.0)
            }
            #[inline]
            fn try_recv_now(op: Operation<'_, Self, C, T, N>) -> Option<Option<T>> {
                Ops::try_recv_now(op.0)
            }
            #[inline]
            fn recv_case(op: Operation<'_, Self, C, T, N>) -> RecvCase<'_, T> {
                RecvCase::new(op.0)
            }
        }
    )+};
}

macro_rules! direction_traits {
    ($send:ident, $recv:ident, $close:ident, $send_msg:literal, $recv_msg:literal, $close_msg:literal) => {
        /// Step 2 for `ch <- v`: implemented by [`Both`] and [`SendOnly`].
        #[diagnostic::on_unimplemented(
            message = $send_msg,
            label = "cannot send to receive-only channel",
            note = "a `Receiver<T>` is Go's `<-chan T`: it can only receive; send on the `Chan<T>` or a `Sender<T>`"
        )]
        pub trait $send<T, N, C: ?Sized>: Sized {
            /// `ch <- v` (see [`Ops::send`]).
            #[track_caller]
            fn send(op: Operation<'_, Self, C, T, N>, v: T);
            /// A `select` send case with `default` (see [`Ops::try_send_now`]).
            #[track_caller]
            fn try_send_now(op: Operation<'_, Self, C, T, N>, v: T) -> Result<(), T>;
            /// A `select` send case (see [`SendCase::new`]).
            fn send_case(op: Operation<'_, Self, C, T, N>, v: T) -> SendCase<'_, T>;
        }

        /// Step 2 for `<-ch`: implemented by [`Both`] and [`RecvOnly`].
        #[diagnostic::on_unimplemented(
            message = $recv_msg,
            label = "cannot receive from send-only channel",
            note = "a `Sender<T>` is Go's `chan<- T`: it can only send; receive from the `Chan<T>` or a `Receiver<T>`"
        )]
        pub trait $recv<T, N, C: ?Sized>: Sized {
            /// `<-ch`: `None` once closed (see [`Ops::recv_option`]); as a value, the macros
            /// read it through [`ZeroValue`](super::ZeroValue).
            #[track_caller]
            fn recv_option(op: Operation<'_, Self, C, T, N>) -> Option<T>;
            /// `for v := range ch` (see [`Ops::range`]).
            fn range(op: Operation<'_, Self, C, T, N>) -> Range<'_, T>;
            /// A `select` receive case with `default` (see [`Ops::try_recv_now`]).
            fn try_recv_now(op: Operation<'_, Self, C, T, N>) -> Option<Option<T>>;
            /// A `select` receive case (see [`RecvCase::new`]).
            fn recv_case(op: Operation<'_, Self, C, T, N>) -> RecvCase<'_, T>;
        }

        /// Step 2 for `close(ch)`: implemented by [`Both`] and [`SendOnly`].
        #[diagnostic::on_unimplemented(
            message = $close_msg,
            label = "cannot close receive-only channel",
            note = "in Go only the sending side closes a channel; close the `Chan<T>` or a `Sender<T>`"
        )]
        pub trait $close<T, N, C: ?Sized>: Sized {
            /// `close(ch)` (see [`Ops::close`]).
            #[track_caller]
            fn close(op: Operation<'_, Self, C, T, N>);
        }

        direction_impls!(send: $send for Both, SendOnly);
        direction_impls!(close: $close for Both, SendOnly);
        direction_impls!(recv: $recv for Both, RecvOnly);
    };
}

direction_traits!(
    SendTo,
    RecvFrom,
    CloseOn,
    "invalid operation: cannot send to receive-only channel `{N}` (variable of type `{C}`)",
    "invalid operation: cannot receive from send-only channel `{N}` (variable of type `{C}`)",
    "invalid operation: cannot close receive-only channel `{N}` (variable of type `{C}`)"
);

// An operand that is not a plain variable (`self.out`, `chans[i]`, `f()`): no name to give.
direction_traits!(
    SendToValue,
    RecvFromValue,
    CloseOnValue,
    "invalid operation: cannot send to receive-only channel (value of type `{C}`)",
    "invalid operation: cannot receive from send-only channel (value of type `{C}`)",
    "invalid operation: cannot close receive-only channel (value of type `{C}`)"
);
