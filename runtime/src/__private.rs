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

#[cfg(not(loom))]
pub use crate::sched::go;

/// Proc macros, re-exported for the `macro_rules!` wrappers.
pub use gocsp_macros::{
    __defer_impl, __go_impl, __go_syntax_impl, __make_impl, __owner_impl, __select_impl,
};

/// `ch <- v` / `send(ch, v)`: a send on any handle that allows it.
#[track_caller]
#[inline]
pub fn send<C>(ch: &C, v: C::Elem)
where
    C: AnyChan,
    C::Dir: AllowsSend,
{
    match crate::chan::raw_of(ch) {
        Some(c) => c.send(v),
        None => crate::waiter::block_forever(crate::waiter::BlockReason::ChanSendNil),
    }
}

/// `<-ch` as a value: the received value, or the zero value once closed (Go's rule).
#[track_caller]
#[inline]
pub fn recv<C>(ch: &C) -> C::Elem
where
    C: AnyChan,
    C::Dir: AllowsRecv,
    C::Elem: Default,
{
    recv_option(ch).unwrap_or_default()
}

/// `<-ch` as a statement, or where an `Option` is wanted: `None` once closed.
#[track_caller]
#[inline]
pub fn recv_option<C>(ch: &C) -> Option<C::Elem>
where
    C: AnyChan,
    C::Dir: AllowsRecv,
{
    match crate::chan::raw_of(ch) {
        Some(c) => c.recv(),
        None => crate::waiter::block_forever(crate::waiter::BlockReason::ChanRecvNil),
    }
}

/// `v, ok := <-ch`.
#[track_caller]
#[inline]
pub fn recv_ok<C>(ch: &C) -> (C::Elem, bool)
where
    C: AnyChan,
    C::Dir: AllowsRecv,
    C::Elem: Default,
{
    match recv_option(ch) {
        Some(v) => (v, true),
        None => (Default::default(), false),
    }
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

/// `len(ch)`.
pub fn len<C: AnyChan>(ch: &C) -> usize {
    crate::chan::raw_of(ch).map_or(0, |c| c.len())
}

/// `cap(ch)`.
pub fn cap<C: AnyChan>(ch: &C) -> usize {
    crate::chan::raw_of(ch).map_or(0, |c| c.cap())
}

/// `make(chan T, n)`.
#[inline]
pub fn make_chan<T>(cap: usize) -> Chan<T> {
    Chan::new(cap)
}

/// Converts a bidirectional channel to the direction a `go_syntax!` parameter expects (Go's
/// implicit `chan T` → `chan<- T` / `<-chan T` conversion), and leaves other values alone.
pub trait IntoChanDir<Target> {
    /// The conversion.
    fn into_chan_dir(self) -> Target;
}

impl<T> IntoChanDir<Sender<T>> for Chan<T> {
    fn into_chan_dir(self) -> Sender<T> {
        self.into()
    }
}

impl<T> IntoChanDir<Receiver<T>> for Chan<T> {
    fn into_chan_dir(self) -> Receiver<T> {
        self.into()
    }
}

impl<T> IntoChanDir<Chan<T>> for Chan<T> {
    fn into_chan_dir(self) -> Chan<T> {
        self
    }
}

impl<T> IntoChanDir<Sender<T>> for Sender<T> {
    fn into_chan_dir(self) -> Sender<T> {
        self
    }
}

impl<T> IntoChanDir<Receiver<T>> for Receiver<T> {
    fn into_chan_dir(self) -> Receiver<T> {
        self
    }
}

/// Blocks forever: `select! {}` and `select {}`.
#[track_caller]
pub fn block_forever() -> ! {
    crate::waiter::block_forever(crate::waiter::BlockReason::SelectNoCases)
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
pub fn owner<T, F>(buffer: usize, body: F) -> Receiver<T>
where
    T: Send + 'static,
    F: FnOnce(Sender<T>) + Send + 'static,
{
    let ch = Chan::new(buffer);
    let tx = ch.sender();
    crate::sched::go(move || {
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
    label = "this value is captured by `go!`, but it is not `Send`",
    note = "a goroutine may run on any worker thread until it starts; use `Arc` instead of `Rc`, `Mutex` instead of `RefCell`"
)]
pub trait GoSend {}
impl<T: Send + ?Sized> GoSend for T {}

/// Asserts `T: Send` for a `go!` capture (see [`GoSend`]).
#[inline(always)]
pub fn assert_go_send<T: GoSend + ?Sized>(_: &T) {}
