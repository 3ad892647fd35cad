//! Everything macro-expanded code touches, in one hidden module. Not a public API: names here
//! change whenever the macros change.
//!
//! Expanded code reaches this module as `$crate::__private` (through the `macro_rules!`
//! wrappers in `macros.rs`), so a renamed or re-exported `gocsp` still works. No item here
//! needs `unsafe` at the call site, so expanded code compiles under `#![forbid(unsafe_code)]`.

pub use crate::chan::{
    AllowsClose, AllowsRecv, AllowsSend, AnyChan, Both, ChanRef, RecvOnly, SendOnly,
};
pub use crate::chan::{Chan, Receiver, Sender};
pub use crate::select::{RecvCase, SelectCase, SendCase, select, try_select};

mod named;
pub use named::{
    CloseOn, CloseOnValue, Operand, Operation, RecvFrom, RecvFromValue, SendTo, SendToValue,
};

#[cfg(not(loom))]
pub use crate::goroutine::go;
#[cfg(not(loom))]
pub use crate::goroutine::{MainOptions, TestOptions, TestReturn, run_main, run_test};

/// Proc macros, re-exported for the `macro_rules!` wrappers.
pub use gocsp_macros::{
    __defer_impl, __go_impl, __go_syntax_impl, __main_impl, __make_impl, __owner_impl,
    __select_impl, __test_impl,
};

/// Rust's `break` from a `select!` `=>` arm: the macro marks it so that a Go clause around
/// the select (whose own `break` leaves only the clause) carries it past the clause instead of
/// taking it. Alone, it is a plain `break`.
pub use crate::__select_loop_break as loop_break;

#[doc(hidden)]
#[macro_export]
macro_rules! __select_loop_break {
    () => {
        break
    };
    ($value:expr) => {
        break $value
    };
}

/// The runtime calls whose caller location is recorded: spawn sites (`go`), blocking sites
/// (`send`, `recv`, `select`, ...) and panic locations (`close`, `make_chan`, ...). They are
/// associated functions so that expansions can write them as `<$crate::__private::Ops>::send(..)`
/// with every token outside `$crate` spanned at the user's token (`go`, `<-`, the operand):
/// rustc locates a call at its span, and a call whose path starts with `$crate` takes the
/// span of the `$crate` token, i.e. the macro call. Each function is `#[track_caller]`, so
/// `gocsp::goroutines()`, deadlock dumps, leak reports and panics name the user's line.
#[derive(Debug)]
pub enum Ops {}

impl Ops {
    /// `go f()`: starts a goroutine; its spawn site is the caller's location.
    #[cfg(not(loom))]
    #[track_caller]
    #[inline]
    pub fn go<F>(f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        crate::goroutine::go(f)
    }

    /// `ch <- v`: a send on any handle that allows it.
    #[track_caller]
    #[inline]
    pub fn send<C>(ch: &C, v: C::Elem)
    where
        C: AnyChan,
        C::Dir: AllowsSend,
    {
        match crate::chan::raw_of(ch) {
            Some(c) => {
                let site = std::panic::Location::caller();
                let (sent, unsent) = crate::chan::packet::with_sent(v, |p| c.send(p, site));
                if !sent {
                    drop(unsent);
                    crate::chan::panic_send_on_closed();
                }
            }
            None => crate::waiter::block_forever(crate::waiter::BlockReason::ChanSendNil),
        }
    }

    /// `<-ch`: `None` once closed (as a value, read through [`ZeroValue`]).
    #[track_caller]
    #[inline]
    pub fn recv_option<C>(ch: &C) -> Option<C::Elem>
    where
        C: AnyChan,
        C::Dir: AllowsRecv,
    {
        match crate::chan::raw_of(ch) {
            Some(c) => c.recv_value(),
            None => crate::waiter::block_forever(crate::waiter::BlockReason::ChanRecvNil),
        }
    }

    /// `for v := range ch`: the values received until `ch` is closed and drained (a nil
    /// channel blocks forever, as in Go). The direction is checked here, once; each receive
    /// is located at the `for` loop's head (the span of this call).
    #[inline]
    pub fn range<C>(ch: &C) -> Range<'_, C::Elem>
    where
        C: AnyChan,
        C::Dir: AllowsRecv,
    {
        Range(crate::chan::raw_of(ch))
    }

    /// `close(ch)`.
    #[track_caller]
    pub fn close<C>(ch: &C)
    where
        C: AnyChan,
        C::Dir: AllowsClose,
    {
        match crate::chan::raw_of(ch) {
            Some(c) => c.close(),
            None => crate::chan::panic_close_nil(),
        }
    }

    /// `make(chan T, n)`: any integer capacity, as in Go.
    ///
    /// # Panics
    /// With Go's "makechan: size out of range" if `cap` is negative or does not fit a `usize`.
    #[track_caller]
    #[inline]
    pub fn make_chan<T>(cap: impl ChanCap) -> Chan<T> {
        Chan::new(cap.to_cap())
    }

    /// A blocking select over stack-allocated cases (`select!` without `default`).
    #[track_caller]
    #[inline]
    pub fn select(cases: &mut [&mut dyn SelectCase], biased: bool) -> usize {
        select(cases, biased)
    }

    /// A non-blocking select over stack-allocated cases (`select!` with `default`).
    #[track_caller]
    #[inline]
    pub fn try_select(cases: &mut [&mut dyn SelectCase], biased: bool) -> Option<usize> {
        try_select(cases, biased)
    }

    /// `select!` with one receive case and `default`: one non-blocking attempt, without the
    /// select engine. `Some(Some(v))`: received; `Some(None)`: closed; `None`: not ready (or
    /// nil).
    #[inline]
    pub fn try_recv_now<C>(ch: &C) -> Option<Option<C::Elem>>
    where
        C: AnyChan,
        C::Dir: AllowsRecv,
    {
        let c = crate::chan::raw_of(ch)?;
        match crate::chan::packet::with_received(|p| c.try_recv(p)) {
            (Ok(()), v) => Some(v),
            (Err(crate::chan::array::PopError::Closed), _) => Some(None),
            (Err(crate::chan::array::PopError::Empty), _) => None,
        }
    }

    /// `select!` with one send case and `default`: `Err(v)` gives the value back when the
    /// send cannot happen now (full, no receiver, or nil).
    ///
    /// # Panics
    /// With "send on closed channel", as Go's select does when it picks a send to a closed
    /// channel.
    #[track_caller]
    #[inline]
    pub fn try_send_now<C>(ch: &C, v: C::Elem) -> Result<(), C::Elem>
    where
        C: AnyChan,
        C::Dir: AllowsSend,
    {
        let Some(c) = crate::chan::raw_of(ch) else {
            return Err(v);
        };
        match crate::chan::packet::with_sent(v, |p| c.try_send(p)) {
            (Ok(()), _) => Ok(()),
            (Err(crate::chan::array::SendFail::Full), v) => Err(v.expect("unsent value")),
            (Err(crate::chan::array::SendFail::Closed), v) => {
                drop(v);
                crate::chan::panic_send_on_closed()
            }
        }
    }

    /// Blocks forever: `select! {}` and `select {}`.
    #[track_caller]
    pub fn block_forever() -> ! {
        crate::waiter::block_forever(crate::waiter::BlockReason::SelectNoCases)
    }
}

/// Element types with a zero value: what `v = <-ch` yields once `ch` is closed. Implemented
/// for every `T: Default`; the bound exists to word the error when it is missing.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no zero value for a receive from a closed channel to yield",
    label = "`v = <-ch` needs `{Self}: Default` (Go's zero value)",
    note = "receive an `Option` instead: `Some(v) = <-ch` or `v: Option<_> = <-ch` in `select!`, `ch.recv()`, or `for v in &ch`; or implement `Default` for `{Self}`"
)]
pub trait ZeroValue: Sized {
    /// `v = <-ch`: the received value, or the zero value once closed. Called as a trait
    /// method (`<_ as ZeroValue>::or_zero(..)`), a missing `Default` is reported without a
    /// note on a function's bound.
    fn or_zero(got: Option<Self>) -> Self;

    /// `v, ok = <-ch`.
    fn or_zero_ok(got: Option<Self>) -> (Self, bool);
}

impl<T: Default> ZeroValue for T {
    #[inline]
    fn or_zero(got: Option<T>) -> T {
        got.unwrap_or_default()
    }

    #[inline]
    fn or_zero_ok(got: Option<T>) -> (T, bool) {
        match got {
            Some(v) => (v, true),
            None => (T::default(), false),
        }
    }
}

/// A received `Option<T>` as Go's `v = <-ch` reads it: the value, or the zero value.
#[inline]
pub fn zero_value<T: ZeroValue>(got: Option<T>) -> T {
    T::or_zero(got)
}

/// A received `Option<T>` as Go's `v, ok = <-ch` reads it.
#[inline]
pub fn zero_ok<T: ZeroValue>(got: Option<T>) -> (T, bool) {
    T::or_zero_ok(got)
}

/// The iterator behind `for v := range ch` (see [`Ops::range`]).
pub struct Range<'a, T>(Option<&'a crate::loom::Arc<crate::chan::Channel<T>>>);

impl<T> Iterator for Range<'_, T> {
    type Item = T;
    #[track_caller]
    #[inline]
    fn next(&mut self) -> Option<T> {
        match self.0 {
            Some(c) => c.recv_value(),
            None => crate::waiter::block_forever(crate::waiter::BlockReason::ChanRecvNil),
        }
    }
}

impl<T> std::fmt::Debug for Range<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Range")
    }
}

/// `cap(x)` in `go_syntax!`: a channel's capacity, or a container's.
pub fn cap<C: GoCap + ?Sized>(x: &C) -> usize {
    x.go_cap()
}

/// What Go's `cap(x)` takes: channels, and containers with a capacity. (`len(x)` needs no
/// trait: the macro calls `x.len()`, which every handle and container has.)
#[diagnostic::on_unimplemented(
    message = "invalid argument: `{Self}` has no capacity",
    label = "`cap(x)` takes a channel, an array, a slice, a `Vec`, a `String` or a `VecDeque`"
)]
pub trait GoCap {
    /// The capacity.
    fn go_cap(&self) -> usize;
}

impl<T> GoCap for Chan<T> {
    fn go_cap(&self) -> usize {
        crate::chan::raw_of(self).map_or(0, |c| c.cap())
    }
}

impl<T> GoCap for Sender<T> {
    fn go_cap(&self) -> usize {
        crate::chan::raw_of(self).map_or(0, |c| c.cap())
    }
}

impl<T> GoCap for Receiver<T> {
    fn go_cap(&self) -> usize {
        crate::chan::raw_of(self).map_or(0, |c| c.cap())
    }
}

impl<T> GoCap for Vec<T> {
    fn go_cap(&self) -> usize {
        self.capacity()
    }
}

impl GoCap for String {
    fn go_cap(&self) -> usize {
        self.capacity()
    }
}

impl<T> GoCap for std::collections::VecDeque<T> {
    fn go_cap(&self) -> usize {
        self.capacity()
    }
}

/// A slice's capacity is its length: Rust slices cannot grow into their array.
impl<T> GoCap for [T] {
    fn go_cap(&self) -> usize {
        self.len()
    }
}

impl<T, const N: usize> GoCap for [T; N] {
    fn go_cap(&self) -> usize {
        N
    }
}

impl<C: GoCap + ?Sized> GoCap for &C {
    fn go_cap(&self) -> usize {
        (**self).go_cap()
    }
}

impl<C: GoCap + ?Sized> GoCap for &mut C {
    fn go_cap(&self) -> usize {
        (**self).go_cap()
    }
}

/// Integer types a channel capacity can be given in (Go takes any integer type).
#[diagnostic::on_unimplemented(
    message = "a channel's capacity is an integer, not `{Self}`",
    label = "the capacity in `make(chan T, n)`"
)]
pub trait ChanCap {
    /// The capacity as a `usize`.
    fn to_cap(self) -> usize;
}

macro_rules! chan_cap {
    ($($t:ty),*) => {$(
        impl ChanCap for $t {
            #[track_caller]
            #[inline]
            fn to_cap(self) -> usize {
                // A `match`, not a closure: a closure's panic would name this line, not the
                // user's `make`.
                match usize::try_from(self) {
                    Ok(cap) => cap,
                    Err(_) => panic!("makechan: size out of range"),
                }
            }
        }
    )*};
}
chan_cap!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

/// Go's implicit channel conversion at a call in `go_syntax!`: a borrowed argument (`Self`)
/// made into the parameter's handle type (`Dst`), cloned as Go copies a channel value, so the
/// caller keeps its own. `chan T` narrows to `chan<- T` or `<-chan T`; nothing widens.
#[diagnostic::on_unimplemented(
    message = "cannot use `{Self}` as `{Dst}` value in argument",
    label = "a channel's direction can only be narrowed",
    note = "Go converts `chan T` (`Chan<T>`) to `chan<- T` (`Sender<T>`) or `<-chan T` (`Receiver<T>`), never back, and never between element types"
)]
pub trait ChanArg<Dst> {
    /// The conversion.
    fn chan_arg(&self) -> Dst;
}

/// `go_syntax!`'s call-site conversion: `chan_arg::<Receiver<_>, _>(&ch)` (see [`ChanArg`]);
/// a direction mistake is reported on the argument.
#[inline]
pub fn chan_arg<Dst, Src>(src: &Src) -> Dst
where
    Src: ChanArg<Dst>,
{
    src.chan_arg()
}

impl<T> ChanArg<Chan<T>> for Chan<T> {
    fn chan_arg(&self) -> Chan<T> {
        self.clone()
    }
}

impl<T> ChanArg<Sender<T>> for Chan<T> {
    fn chan_arg(&self) -> Sender<T> {
        self.sender()
    }
}

impl<T> ChanArg<Receiver<T>> for Chan<T> {
    fn chan_arg(&self) -> Receiver<T> {
        self.receiver()
    }
}

impl<T> ChanArg<Sender<T>> for Sender<T> {
    fn chan_arg(&self) -> Sender<T> {
        self.clone()
    }
}

impl<T> ChanArg<Receiver<T>> for Receiver<T> {
    fn chan_arg(&self) -> Receiver<T> {
        self.clone()
    }
}

/// A scope guard: runs its closure when dropped (at scope exit, also while unwinding).
/// `defer!` creates one per call; drop order gives Go's LIFO order.
#[must_use = "a Defer runs its closure when dropped: bind it to a local"]
pub struct Defer<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> Defer<F> {
    /// A guard that runs `f` on drop.
    #[inline]
    pub fn new(f: F) -> Self {
        Defer(Some(f))
    }
}

impl<F: FnOnce()> Drop for Defer<F> {
    #[inline]
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

impl<F: FnOnce()> std::fmt::Debug for Defer<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Defer")
    }
}

/// `#[owner]`: makes the channel, starts `body` in a goroutine holding the send side, closes
/// the channel when `body` ends (also on panic), and returns the receive side.
#[cfg(not(loom))]
#[track_caller]
pub fn owner<T, F>(buffer: impl ChanCap, body: F) -> Receiver<T>
where
    T: Send + 'static,
    F: FnOnce(Sender<T>) + Send + 'static,
{
    let ch = Chan::new(buffer.to_cap());
    let tx = ch.sender();
    crate::goroutine::go(move || {
        let closer = tx.clone();
        let _close = Defer::new(move || closer.close());
        body(tx);
    });
    ch.receiver()
}

/// Compile-time check that a `go!` capture can move to another thread, with a plain-words
/// error on the user's token.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent to another goroutine",
    label = "this value moves into a new goroutine, but it is not `Send`",
    note = "a goroutine may run on any worker thread until it starts; use `Arc` instead of `Rc`, `Mutex` instead of `RefCell`"
)]
pub trait GoSend {}
impl<T: Send + ?Sized> GoSend for T {}

/// Asserts `T: Send` for a `go!` capture (see [`GoSend`]).
#[inline(always)]
pub fn assert_go_send<T: GoSend + ?Sized>(_: &T) {}
