//! Channel operations on a named operand, so that a direction mistake names the variable the
//! way Go does: `invalid operation: cannot send to receive-only channel out (variable of type
//! <-chan int)`.
//!
//! When a channel operand is a plain variable (`out <- 1`, `<-input`, `close(done)`,
//! `select { case v := <-rx: ... }`), the macros declare a unit struct named after it
//! (`mod __gocsp_name { struct out; }`) and call
//! `<_ as SendTo<_, __gocsp_name::out, _>>::send(<_ as Operand>::operand(&out), v)`:
//!
//! 1. [`Operand::operand`] checks that `out` is a channel at all ("`Vec<i32>` is not a
//!    channel") and returns its direction as a type ([`Both`], [`SendOnly`], [`RecvOnly`]);
//! 2. [`SendTo`], [`RecvFrom`] and [`CloseOn`] are implemented only by the directions that
//!    allow them, and their `on_unimplemented` message prints the name type `N` and the
//!    handle type `C`.
//!
//! Both steps are trait-method calls, not functions with `where` clauses, so the error ends
//! there: no "required by a bound in `Ops::send`" note pointing into this crate. A
//! non-channel fails step 1 only (its direction is then unknown, and rustc reports no second
//! error for it). The methods forward to [`Ops`], which records the caller's location.

use std::marker::PhantomData;

use super::{Ops, Range, ZeroValue};
use crate::chan::{AnyChan, Both, RecvOnly, SendOnly};
use crate::select::{RecvCase, SendCase};

/// A channel operand with its direction `D` and element type `T` as types.
pub struct Operation<'a, D, C: ?Sized, T>(&'a C, PhantomData<(D, fn() -> T)>);

impl<D, C: ?Sized, T> std::fmt::Debug for Operation<'_, D, C, T> {
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
    /// The operand, typed by its direction.
    fn operand(&self) -> Operation<'_, Self::Dir, Self, Self::Elem>;
}

#[diagnostic::do_not_recommend]
impl<C: AnyChan + ?Sized> Operand for C {
    type Dir = C::Dir;
    type Elem = C::Elem;
    #[inline]
    fn operand(&self) -> Operation<'_, C::Dir, C, C::Elem> {
        Operation(self, PhantomData)
    }
}

/// Step 2 for `ch <- v`: implemented by [`Both`] and [`SendOnly`].
#[diagnostic::on_unimplemented(
    message = "invalid operation: cannot send to receive-only channel `{N}` (variable of type `{C}`)",
    label = "cannot send to receive-only channel",
    note = "a `Receiver<T>` is Go's `<-chan T`: it can only receive; send on the `Chan<T>` or a `Sender<T>`"
)]
pub trait SendTo<T, N, C: ?Sized>: Sized {
    /// `ch <- v` (see [`Ops::send`]).
    #[track_caller]
    fn send(op: Operation<'_, Self, C, T>, v: T);
    /// A `select` send case with `default` (see [`Ops::try_send_now`]).
    #[track_caller]
    fn try_send_now(op: Operation<'_, Self, C, T>, v: T) -> Result<(), T>;
    /// A `select` send case (see [`SendCase::new`]).
    fn send_case(op: Operation<'_, Self, C, T>, v: T) -> SendCase<'_, T>;
}

/// Step 2 for `<-ch`: implemented by [`Both`] and [`RecvOnly`].
#[diagnostic::on_unimplemented(
    message = "invalid operation: cannot receive from send-only channel `{N}` (variable of type `{C}`)",
    label = "cannot receive from send-only channel",
    note = "a `Sender<T>` is Go's `chan<- T`: it can only send; receive from the `Chan<T>` or a `Receiver<T>`"
)]
pub trait RecvFrom<T, N, C: ?Sized>: Sized {
    /// `<-ch` as a value (see [`Ops::recv`]).
    #[track_caller]
    fn recv(op: Operation<'_, Self, C, T>) -> T
    where
        T: ZeroValue;
    /// `<-ch` as a statement (see [`Ops::recv_option`]).
    #[track_caller]
    fn recv_option(op: Operation<'_, Self, C, T>) -> Option<T>;
    /// `v, ok := <-ch` (see [`Ops::recv_ok`]).
    #[track_caller]
    fn recv_ok(op: Operation<'_, Self, C, T>) -> (T, bool)
    where
        T: ZeroValue;
    /// `for v := range ch` (see [`Ops::range`]).
    fn range(op: Operation<'_, Self, C, T>) -> Range<'_, T>;
    /// A `select` receive case with `default` (see [`Ops::try_recv_now`]).
    fn try_recv_now(op: Operation<'_, Self, C, T>) -> Option<Option<T>>;
    /// A `select` receive case (see [`RecvCase::new`]).
    fn recv_case(op: Operation<'_, Self, C, T>) -> RecvCase<'_, T>;
}

/// Step 2 for `close(ch)`: implemented by [`Both`] and [`SendOnly`].
#[diagnostic::on_unimplemented(
    message = "invalid operation: cannot close receive-only channel `{N}` (variable of type `{C}`)",
    label = "cannot close receive-only channel",
    note = "in Go only the sending side closes a channel; close the `Chan<T>` or a `Sender<T>`"
)]
pub trait CloseOn<T, N, C: ?Sized>: Sized {
    /// `close(ch)` (see [`Ops::close`]).
    #[track_caller]
    fn close(op: Operation<'_, Self, C, T>);
}

macro_rules! send_to {
    ($($dir:ty),*) => {$(
        #[diagnostic::do_not_recommend]
        impl<T, N, C: AnyChan<Elem = T, Dir = $dir>> SendTo<T, N, C> for $dir {
            #[track_caller]
            #[inline]
            fn send(op: Operation<'_, Self, C, T>, v: T) {
                Ops::send(op.0, v)
            }
            #[track_caller]
            #[inline]
            fn try_send_now(op: Operation<'_, Self, C, T>, v: T) -> Result<(), T> {
                Ops::try_send_now(op.0, v)
            }
            #[inline]
            fn send_case(op: Operation<'_, Self, C, T>, v: T) -> SendCase<'_, T> {
                SendCase::new(op.0, v)
            }
        }

        #[diagnostic::do_not_recommend]
        impl<T, N, C: AnyChan<Elem = T, Dir = $dir>> CloseOn<T, N, C> for $dir {
            #[track_caller]
            #[inline]
            fn close(op: Operation<'_, Self, C, T>) {
                Ops::close(op.0)
            }
        }
    )*};
}
send_to!(Both, SendOnly);

macro_rules! recv_from {
    ($($dir:ty),*) => {$(
        #[diagnostic::do_not_recommend]
        impl<T, N, C: AnyChan<Elem = T, Dir = $dir>> RecvFrom<T, N, C> for $dir {
            #[track_caller]
            #[inline]
            fn recv(op: Operation<'_, Self, C, T>) -> T
            where
                T: ZeroValue,
            {
                Ops::recv(op.0)
            }
            #[track_caller]
            #[inline]
            fn recv_option(op: Operation<'_, Self, C, T>) -> Option<T> {
                Ops::recv_option(op.0)
            }
            #[track_caller]
            #[inline]
            fn recv_ok(op: Operation<'_, Self, C, T>) -> (T, bool)
            where
                T: ZeroValue,
            {
                Ops::recv_ok(op.0)
            }
            #[inline]
            fn range(op: Operation<'_, Self, C, T>) -> Range<'_, T> {
                Ops::range(op.0)
            }
            #[inline]
            fn try_recv_now(op: Operation<'_, Self, C, T>) -> Option<Option<T>> {
                Ops::try_recv_now(op.0)
            }
            #[inline]
            fn recv_case(op: Operation<'_, Self, C, T>) -> RecvCase<'_, T> {
                RecvCase::new(op.0)
            }
        }
    )*};
}
recv_from!(Both, RecvOnly);
