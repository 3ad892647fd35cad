//! The channel handles users hold: [`Chan`] (`chan T`), [`Sender`] (`chan<- T`) and
//! [`Receiver`] (`<-chan T`).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::Location;

use super::array::{PopError, SendFail};
use super::dir::{
    AllowsClose, AllowsRecv, AllowsSend, AnyChan, Both, ChanRef, RecvOnly, SendOnly, raw_of,
};
use super::packet::{with_received, with_sent};
use super::{Channel, TryRecvError, TrySendError, panic_close_nil};
use crate::loom::Arc;
use crate::waiter::{self, BlockReason};

/// Operations shared by the three handles, on the raw `Option<Arc<Channel<T>>>`.
mod ops {
    use super::*;

    #[track_caller]
    #[inline]
    pub(super) fn send<T>(raw: &Option<Arc<Channel<T>>>, v: T) {
        match raw {
            Some(c) => {
                let site = Location::caller();
                let (sent, unsent) = with_sent(v, |p| c.send(p, site));
                if !sent {
                    drop(unsent);
                    crate::chan::panic_send_on_closed();
                }
            }
            None => {
                drop(v);
                waiter::block_forever(BlockReason::ChanSendNil)
            }
        }
    }

    #[track_caller]
    #[inline]
    pub(super) fn recv<T>(raw: &Option<Arc<Channel<T>>>) -> Option<T> {
        match raw {
            Some(c) => {
                let site = Location::caller();
                with_received(|p| c.recv(p, site)).1
            }
            None => waiter::block_forever(BlockReason::ChanRecvNil),
        }
    }

    #[inline]
    pub(super) fn try_send<T>(raw: &Option<Arc<Channel<T>>>, v: T) -> Result<(), TrySendError<T>> {
        let Some(c) = raw else {
            return Err(TrySendError::Full(v));
        };
        match with_sent(v, |p| c.try_send(p)) {
            (Ok(()), _) => Ok(()),
            (Err(SendFail::Full), v) => Err(TrySendError::Full(v.expect("unsent value"))),
            (Err(SendFail::Closed), v) => Err(TrySendError::Closed(v.expect("unsent value"))),
        }
    }

    #[inline]
    pub(super) fn try_recv<T>(raw: &Option<Arc<Channel<T>>>) -> Result<T, TryRecvError> {
        let Some(c) = raw else {
            return Err(TryRecvError::Empty);
        };
        match with_received(|p| c.try_recv(p)) {
            (Ok(()), v) => Ok(v.expect("received value")),
            (Err(PopError::Empty), _) => Err(TryRecvError::Empty),
            (Err(PopError::Closed), _) => Err(TryRecvError::Closed),
        }
    }

    #[track_caller]
    pub(super) fn close<T>(raw: &Option<Arc<Channel<T>>>) {
        match raw {
            Some(c) => c.close(),
            None => panic_close_nil(),
        }
    }
}

macro_rules! common_handle_impls {
    ($name:ident, $dir:ty, $go:literal) => {
        impl<T> $name<T> {
            /// The number of values buffered in the channel (always 0 for an unbuffered or nil
            /// channel), like Go's `len(ch)`. A snapshot: it may change at once.
            pub fn len(&self) -> usize {
                self.raw.as_ref().map_or(0, |c| c.len())
            }

            /// True if nothing is buffered (see [`len`](Self::len)).
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// The buffer capacity (0 for an unbuffered or nil channel), like Go's `cap(ch)`.
            pub fn cap(&self) -> usize {
                self.raw.as_ref().map_or(0, |c| c.cap())
            }

            /// The nil channel (same as `default()`), Go's zero value for a channel variable of
            #[doc = concat!("this type (`", $go, "`).")]
            pub const fn nil() -> Self {
                $name { raw: None }
            }

            /// True for the nil channel (Go's zero value): operations on it block forever and a
            /// `select!` case on it never fires.
            pub fn is_nil(&self) -> bool {
                self.raw.is_none()
            }

            /// True if both handles refer to the same channel (Go's `==` on channels). Two nil
            /// handles are equal.
            pub fn same_channel<U: AnyChan<Elem = T>>(&self, other: &U) -> bool {
                match (self.raw.as_ref(), raw_of(other)) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    (None, None) => true,
                    _ => false,
                }
            }
        }

        // A panic never leaves a channel half-updated (every critical section completes
        // before anything that can panic), so handles may cross `catch_unwind`.
        impl<T> std::panic::UnwindSafe for $name<T> {}
        impl<T> std::panic::RefUnwindSafe for $name<T> {}

        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                $name {
                    raw: self.raw.clone(),
                }
            }
        }

        impl<T> Default for $name<T> {
            /// The nil channel, Go's zero value for a channel variable.
            fn default() -> Self {
                $name { raw: None }
            }
        }

        impl<T> PartialEq for $name<T> {
            fn eq(&self, other: &Self) -> bool {
                self.same_channel(other)
            }
        }

        impl<T> Eq for $name<T> {}

        impl<T> Hash for $name<T> {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.raw
                    .as_ref()
                    .map_or(std::ptr::null(), |c| Arc::as_ptr(c))
                    .hash(state)
            }
        }

        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match &self.raw {
                    None => write!(f, concat!(stringify!($name), "(nil)")),
                    Some(c) => f
                        .debug_struct(stringify!($name))
                        .field("len", &c.len())
                        .field("cap", &c.cap())
                        .field("closed", &c.is_closed())
                        .finish(),
                }
            }
        }

        impl<T> AnyChan for $name<T> {
            type Elem = T;
            type Dir = $dir;
            #[inline]
            fn __raw(&self) -> Option<ChanRef<'_, T>> {
                self.raw.as_ref().map(ChanRef)
            }
        }
    };
}

/// A bidirectional channel, Go's `chan T`.
///
/// `Chan` is a handle: clones refer to the same channel, and the channel lives as long as any
/// handle does. Dropping handles never closes a channel; call [`close`](Chan::close), as in
/// Go. The default value is the nil channel.
///
/// ```
/// use gocsp::Chan;
///
/// let ch = Chan::new(2);
/// ch.send("hello");
/// ch.send("world");
/// ch.close();
/// let got: Vec<_> = ch.iter().collect();
/// assert_eq!(got, ["hello", "world"]);
/// assert_eq!(ch.recv(), None); // closed and drained
/// ```
pub struct Chan<T> {
    pub(crate) raw: Option<Arc<Channel<T>>>,
}

/// The send side of a channel, Go's `chan<- T`. It cannot receive: trying is a compile error
/// worded like Go's.
///
/// ```
/// use gocsp::{Chan, Sender};
///
/// fn produce(out: Sender<i32>) {
///     for i in 0..3 {
///         out.send(i);
///     }
///     out.close();
/// }
///
/// let ch = Chan::new(3);
/// produce(ch.sender());
/// assert_eq!(ch.iter().sum::<i32>(), 3);
/// ```
pub struct Sender<T> {
    pub(crate) raw: Option<Arc<Channel<T>>>,
}

/// The receive side of a channel, Go's `<-chan T`. It cannot send or close: trying is a compile
/// error worded like Go's.
///
/// ```
/// use gocsp::{Chan, Receiver};
///
/// fn total(input: Receiver<i32>) -> i32 {
///     let mut sum = 0;
///     for v in &input {
///         sum += v;
///     }
///     sum
/// }
///
/// let ch = Chan::new(3);
/// for i in 1..=3 {
///     ch.send(i);
/// }
/// ch.close();
/// assert_eq!(total(ch.receiver()), 6);
/// ```
pub struct Receiver<T> {
    pub(crate) raw: Option<Arc<Channel<T>>>,
}

common_handle_impls!(Chan, Both, "chan T");
common_handle_impls!(Sender, SendOnly, "chan<- T");
common_handle_impls!(Receiver, RecvOnly, "<-chan T");

impl<T> Chan<T> {
    /// Makes a channel, Go's `make(chan T, cap)`: unbuffered (a rendezvous) when `cap` is 0,
    /// else buffered with room for `cap` values.
    ///
    /// # Panics
    /// With Go's "makechan: size out of range" if a buffer of `cap` values could never be
    /// allocated (its size in bytes would exceed `isize::MAX`).
    #[track_caller]
    pub fn new(cap: usize) -> Self {
        Chan {
            raw: Some(Channel::new(cap)),
        }
    }

    /// A send-only handle to this channel (`chan<- T`).
    pub fn sender(&self) -> Sender<T> {
        Sender {
            raw: self.raw.clone(),
        }
    }

    /// A receive-only handle to this channel (`<-chan T`).
    pub fn receiver(&self) -> Receiver<T> {
        Receiver {
            raw: self.raw.clone(),
        }
    }

    /// How many handles refer to this channel (0 for nil).
    #[cfg(not(loom))]
    pub(crate) fn handle_count(&self) -> usize {
        self.raw.as_ref().map_or(0, Arc::strong_count)
    }

    /// Takes a value if one is buffered, without asking the channel's timer to fire (the
    /// timer's own discard, under its lock). `true` if a value was taken.
    #[cfg(not(loom))]
    pub(crate) fn discard_one(&self) -> bool {
        match self.raw.as_deref() {
            Some(Channel::Array(a)) => super::packet::with_received(|p| a.try_recv_plain(p))
                .0
                .is_ok(),
            // Timers' channels are buffered.
            _ => false,
        }
    }

    /// Makes this (buffered) channel the channel of the timer behind `expiry`.
    #[cfg(not(loom))]
    pub(crate) fn set_expiry(&self, expiry: std::sync::Weak<dyn super::array::Expiry>) {
        if let Some(Channel::Array(a)) = self.raw.as_deref() {
            a.set_expiry(expiry);
        }
    }

    /// For a timer's (buffered) channel, full: holds its timer while it rests; `false` if a
    /// receive emptied the buffer meanwhile (see `Array::rest_timer`).
    #[cfg(not(loom))]
    pub(crate) fn rest_timer(&self, timer: std::sync::Arc<dyn super::array::Expiry>) -> bool {
        match self.raw.as_deref() {
            Some(Channel::Array(a)) => a.rest_timer(timer),
            _ => false,
        }
    }

    /// For a timer's channel: lets go of its resting timer.
    #[cfg(not(loom))]
    pub(crate) fn wake_timer(&self) {
        if let Some(Channel::Array(a)) = self.raw.as_deref() {
            // Dropped here, outside the channel's lock.
            drop(a.wake_timer());
        }
    }

    #[cfg(not(loom))]
    pub(crate) fn downgrade(&self) -> WeakChan<T> {
        WeakChan {
            raw: self.raw.as_ref().map(Arc::downgrade),
        }
    }
}

macro_rules! send_impls {
    ($name:ident) => {
        impl<T> $name<T> {
            /// Sends `v`, blocking until a receiver takes it (unbuffered) or there is room in
            /// the buffer: Go's `ch <- v`. Blocks forever on a nil channel.
            ///
            /// # Panics
            ///
            /// With "send on closed channel" if the channel is closed, or gets closed while
            /// this send waits.
            #[track_caller]
            #[inline]
            pub fn send(&self, v: T) {
                ops::send(&self.raw, v)
            }

            /// Sends without blocking: succeeds only if a receiver is waiting (unbuffered) or
            /// the buffer has room.
            #[inline]
            pub fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
                ops::try_send(&self.raw, v)
            }

            /// Closes the channel, Go's `close(ch)`: receivers drain what is buffered and then
            /// get `None`; every blocked receiver wakes, and every blocked sender panics.
            ///
            /// # Panics
            ///
            /// "close of closed channel" if it already was closed, "close of nil channel" on
            /// the nil channel.
            #[track_caller]
            pub fn close(&self) {
                ops::close(&self.raw)
            }
        }
    };
}

macro_rules! recv_impls {
    ($name:ident) => {
        impl<T> $name<T> {
            /// Receives a value, blocking until one is available: Go's `<-ch`. Returns `None`
            /// once the channel is closed and drained. Blocks forever on a nil channel.
            #[track_caller]
            #[inline]
            pub fn recv(&self) -> Option<T> {
                ops::recv(&self.raw)
            }

            /// Go's `v, ok := <-ch`: the value and `true`, or the zero value
            /// (`T::default()`) and `false` once the channel is closed and drained.
            #[track_caller]
            #[inline]
            pub fn recv_ok(&self) -> (T, bool)
            where
                T: Default,
            {
                match ops::recv(&self.raw) {
                    Some(v) => (v, true),
                    None => (T::default(), false),
                }
            }

            /// Receives without blocking.
            #[inline]
            pub fn try_recv(&self) -> Result<T, TryRecvError> {
                ops::try_recv(&self.raw)
            }

            /// A blocking iterator over received values that ends when the channel is closed
            /// and drained: Go's `for v := range ch`.
            pub fn iter(&self) -> Iter<'_, T> {
                Iter { raw: &self.raw }
            }

            /// A non-blocking iterator over the values available now.
            pub fn try_iter(&self) -> TryIter<'_, T> {
                TryIter { raw: &self.raw }
            }
        }

        impl<'a, T> IntoIterator for &'a $name<T> {
            type Item = T;
            type IntoIter = Iter<'a, T>;
            fn into_iter(self) -> Iter<'a, T> {
                self.iter()
            }
        }

        impl<T> IntoIterator for $name<T> {
            type Item = T;
            type IntoIter = IntoIter<T>;
            fn into_iter(self) -> IntoIter<T> {
                IntoIter { raw: self.raw }
            }
        }
    };
}

send_impls!(Chan);
send_impls!(Sender);
recv_impls!(Chan);
recv_impls!(Receiver);

// Direction mistakes made with a method call get Go's words too: these methods exist only to
// fail to compile, with the message of the bound that cannot hold.
impl<T> Receiver<T> {
    #[doc(hidden)]
    pub fn send(&self, _v: T)
    where
        <Self as AnyChan>::Dir: AllowsSend,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn try_send(&self, _v: T)
    where
        <Self as AnyChan>::Dir: AllowsSend,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn close(&self)
    where
        <Self as AnyChan>::Dir: AllowsClose,
    {
        unreachable!()
    }
}

impl<T> Sender<T> {
    #[doc(hidden)]
    pub fn recv(&self) -> Option<T>
    where
        <Self as AnyChan>::Dir: AllowsRecv,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn recv_ok(&self) -> (T, bool)
    where
        <Self as AnyChan>::Dir: AllowsRecv,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn try_recv(&self) -> Option<T>
    where
        <Self as AnyChan>::Dir: AllowsRecv,
    {
        unreachable!()
    }
}

impl<T> From<Chan<T>> for Sender<T> {
    fn from(c: Chan<T>) -> Self {
        Sender { raw: c.raw }
    }
}

impl<T> From<Chan<T>> for Receiver<T> {
    fn from(c: Chan<T>) -> Self {
        Receiver { raw: c.raw }
    }
}

impl<T> From<&Chan<T>> for Sender<T> {
    fn from(c: &Chan<T>) -> Self {
        c.sender()
    }
}

impl<T> From<&Chan<T>> for Receiver<T> {
    fn from(c: &Chan<T>) -> Self {
        c.receiver()
    }
}

/// Blocking iterator over a channel's values; see [`Chan::iter`].
pub struct Iter<'a, T> {
    raw: &'a Option<Arc<Channel<T>>>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    #[track_caller]
    fn next(&mut self) -> Option<T> {
        ops::recv(self.raw)
    }
}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Iter { .. }")
    }
}

/// Non-blocking iterator over a channel's values; see [`Chan::try_iter`].
pub struct TryIter<'a, T> {
    raw: &'a Option<Arc<Channel<T>>>,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        ops::try_recv(self.raw).ok()
    }
}

impl<T> fmt::Debug for TryIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TryIter { .. }")
    }
}

/// Owning blocking iterator over a channel's values.
pub struct IntoIter<T> {
    raw: Option<Arc<Channel<T>>>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    #[track_caller]
    fn next(&mut self) -> Option<T> {
        ops::recv(&self.raw)
    }
}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntoIter { .. }")
    }
}

/// A handle that does not keep its channel alive (for timers: an unreferenced timer channel
/// is freed even while its timer is pending, as in Go 1.23).
#[cfg(not(loom))]
pub(crate) struct WeakChan<T> {
    raw: Option<std::sync::Weak<Channel<T>>>,
}

#[cfg(not(loom))]
impl<T> WeakChan<T> {
    /// A type-erased weak reference that tells whether the channel still exists (`None` for the
    /// nil channel).
    pub(crate) fn probe(&self) -> Option<std::sync::Weak<dyn std::any::Any + Send + Sync>>
    where
        T: Send + 'static,
    {
        self.raw
            .clone()
            .map(|w| w as std::sync::Weak<dyn std::any::Any + Send + Sync>)
    }

    pub(crate) fn upgrade(&self) -> Option<Chan<T>> {
        self.raw.as_ref()?.upgrade().map(|c| Chan { raw: Some(c) })
    }
}
