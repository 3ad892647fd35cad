//! Go's `select`: wait on several channel operations, commit exactly one.
//!
//! # The algorithm
//!
//! 1. **Evaluate**: every operand is evaluated once by whoever builds the cases (the macro or
//!    the [`Select`] builder), in source order, before `run` starts.
//! 2. **Poll**: visit the cases in a fresh random order (a Fisher–Yates shuffle from the
//!    thread's seedable generator; source order when `biased`) and try each without blocking.
//!    The first that completes is the one chosen: with the shuffle, each ready case is equally
//!    likely. Nil channels are skipped; a closed channel's receive completes (with `None`); a
//!    send to a closed channel panics, as in Go.
//! 3. **Default**: with a default arm, stop here.
//! 4. **Block**: register the caller's waiter on every case's channel, one channel lock at a
//!    time. Right after each registration the case re-checks readiness under that lock; if it
//!    is ready the select aborts its own wait (one CAS) and polls again. Otherwise it parks.
//! 5. **Commit**: a counterparty commits the select by winning the CAS on its selection word
//!    (`waiter.rs`): for an unbuffered channel, and for a send case on a buffered one, it
//!    moves the value through the case's packet before waking it; for a receive case on a
//!    buffered channel it only wakes it, and the woken select takes the value itself (if
//!    another receiver got there first it simply polls again). The select
//!    then unregisters from every other channel. Because only one CAS can win, exactly one
//!    case commits, and values offered to the losing cases stay where they were.

use std::fmt;
use std::mem::MaybeUninit;
use std::panic::Location;
use std::ptr::NonNull;

mod cases;

use crate::chan::array::{PopError, SendFail};
use crate::chan::packet::Packet;
use crate::chan::{AllowsRecv, AllowsSend, AnyChan, Channel, panic_send_on_closed, raw_of};
use crate::loom::{Arc, AtomicBool, Ordering, fence};
use crate::rng;
use crate::waiter::{self, BlockReason, NoUnwind, Selected, WaiterRef};

/// One case of a select, with its type erased. Implemented by [`RecvCase`] and [`SendCase`]
/// only; expanded `select!` code builds those and passes them to [`select`] as
/// `&mut dyn SelectCase`. The methods are the engine's plumbing, not an API.
pub trait SelectCase: sealed::Sealed {
    /// Tries to complete without blocking. A send to a closed channel reports
    /// [`Poll::SendClosed`]; the engine panics for it, at the caller's line.
    #[doc(hidden)]
    fn __poll(&mut self) -> Poll;
    /// Registers the waiter (see [`Registered`]).
    #[doc(hidden)]
    fn __register(&mut self, cx: Cx<'_>) -> Registered;
    #[doc(hidden)]
    fn __unregister(&mut self);
    /// The select was woken for this case; finishes it: `Done`, `NotReady` ("poll again") or
    /// `SendClosed`.
    #[doc(hidden)]
    fn __accept(&mut self, closed: bool) -> Poll;
    /// The case's token (its packet's address).
    #[doc(hidden)]
    fn __oper(&self) -> usize;
    #[doc(hidden)]
    fn __is_nil(&self) -> bool;
    /// Drops a received value nobody took (a [`Select`] run again); nothing for a send case.
    #[doc(hidden)]
    fn __discard_untaken(&mut self) {}
}

mod sealed {
    pub trait Sealed {}
    impl<T> Sealed for super::RecvCase<'_, T> {}
    impl<T> Sealed for super::SendCase<'_, T> {}
}

/// The outcome of polling a case (engine plumbing).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    /// A nil channel: never ready.
    Nil,
    /// Would block.
    NotReady,
    /// Completed.
    Done,
    /// A send case whose channel is closed: the select panics "send on closed channel".
    SendClosed,
}

/// A select chose a send case whose channel is closed; `run` turns it into Go's panic, so that
/// the panic names the line of the `select!` (every caller up to it is `#[track_caller]`).
struct SendOnClosed;

/// What registering a case tells the engine (engine plumbing).
///
/// After the select parks it must not touch a case that a counterparty may be moving a value
/// in or out of: even a reborrow of the case would race with that write. So everything the
/// engine needs after waking is returned here, at registration, while the case is still the
/// engine's alone.
#[doc(hidden)]
#[allow(missing_debug_implementations)]
pub struct Registered {
    /// The case is ready now: the select aborts its wait and polls again.
    ready_now: bool,
    /// The case's token (its packet's address), as the selection word will name it.
    oper: usize,
    /// For an unbuffered channel or a buffered send, the hand-off flag of the case's packet,
    /// which the counterparty that commits this case sets once it is done with the packet.
    /// Null where a counterparty touches nothing of the case (buffered receive cases, nil
    /// cases).
    handoff: *const AtomicBool,
}

impl Registered {
    /// A case that registered nothing (a nil channel).
    const NOTHING: Registered = Registered {
        ready_now: false,
        oper: 0,
        handoff: std::ptr::null(),
    };

    /// A receive case registered on a buffered channel: a counterparty only wakes it.
    fn buffered(oper: usize, ready_now: bool) -> Registered {
        Registered {
            ready_now,
            oper,
            handoff: std::ptr::null(),
        }
    }

    /// A case about to register `packet` (on an unbuffered channel, or a send case on a
    /// buffered one); `register` does it and says whether the case is ready now.
    fn with_packet<T>(
        oper: usize,
        packet: &mut Packet<T>,
        register: impl FnOnce(*mut Packet<T>) -> bool,
    ) -> Registered {
        let p: *mut Packet<T> = packet;
        // SAFETY: `p` points at the case's packet, which stays put while registered; the flag
        // is reached through the same pointer the channel is given.
        let handoff = unsafe { Packet::ready_flag(p) };
        Registered {
            ready_now: register(p),
            oper,
            handoff,
        }
    }
}

/// The blocked party a case registers (engine plumbing).
#[doc(hidden)]
#[allow(missing_debug_implementations)]
pub struct Cx<'a>(&'a WaiterRef);

/// A receive case: Go's `case v, ok := <-ch`.
pub struct RecvCase<'a, T> {
    chan: Option<&'a Arc<Channel<T>>>,
    /// Receives the value into `storage` (also the hand-off point of an unbuffered channel).
    /// It points into this struct, so it is re-aimed before every use (the case may have been
    /// moved since it was built).
    packet: Packet<T>,
    storage: MaybeUninit<T>,
    outcome: Outcome,
}

/// What a receive case got when it committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Pending,
    Value,
    Closed,
}

impl<'a, T> RecvCase<'a, T> {
    /// A receive case on `ch` (a nil channel makes a case that never fires).
    #[inline]
    pub fn new<C>(ch: &'a C) -> Self
    where
        C: AnyChan<Elem = T>,
        C::Dir: AllowsRecv,
    {
        RecvCase {
            chan: raw_of(ch),
            // SAFETY: dangling until `aim` points it at `storage`, which happens before any use.
            packet: unsafe { Packet::empty(NonNull::dangling().as_ptr()) },
            storage: MaybeUninit::uninit(),
            outcome: Outcome::Pending,
        }
    }

    /// The received value after this case was chosen: `None` if the channel was closed.
    ///
    /// # Panics
    /// If this case was not the one chosen (or its value was already taken).
    #[inline]
    pub fn take(&mut self) -> Option<T> {
        match std::mem::replace(&mut self.outcome, Outcome::Pending) {
            // SAFETY: the packet filled `storage` and gives it up here, once.
            Outcome::Value => self
                .packet
                .disown()
                .then(|| unsafe { self.storage.assume_init_read() }),
            Outcome::Closed => None,
            Outcome::Pending => panic!("RecvCase::take: this case was not selected"),
        }
    }

    /// Go's `v, ok`: the value and `true`, or `T::default()` and `false` if closed.
    #[inline]
    pub fn take_ok(&mut self) -> (T, bool)
    where
        T: Default,
    {
        match self.take() {
            Some(v) => (v, true),
            None => (T::default(), false),
        }
    }

    /// Turns this case into a nil-channel case (never ready again in this select).
    pub fn disable(&mut self) {
        self.discard_untaken();
        self.chan = None;
    }
}

impl<T> RecvCase<'_, T> {
    /// Forgets the outcome of an earlier run, dropping a received value that nobody took (a
    /// [`Select`] run again before [`Select::take`]). `Select` calls it for every case before
    /// each run (`fresh`), so a hand-off never finds its destination occupied.
    #[inline]
    fn discard_untaken(&mut self) {
        if std::mem::replace(&mut self.outcome, Outcome::Pending) == Outcome::Value
            && self.packet.disown()
        {
            // SAFETY: the packet held the received value in `storage` and has just given it
            // up; the state is already consistent if its `Drop` panics.
            unsafe { self.storage.assume_init_drop() }
        }
    }

    /// Points the packet at this case's storage (it may have moved since the last use).
    #[inline]
    fn aim(&mut self) {
        // SAFETY: `storage` lives as long as the packet (same struct); the case is borrowed
        // mutably for the whole select, so it stays put while the packet is registered.
        unsafe { self.packet.repoint(self.storage.as_mut_ptr()) }
    }
}

impl<T> SelectCase for RecvCase<'_, T> {
    fn __is_nil(&self) -> bool {
        self.chan.is_none()
    }

    #[inline]
    fn __poll(&mut self) -> Poll {
        // No untaken value from an earlier run is left here: a `Select` drops them all before
        // each run (`fresh`), and `select!` builds new cases every time.
        let Some(c) = self.chan else { return Poll::Nil };
        self.aim();
        let r = match &**c {
            Channel::Array(a) => a.try_recv(&mut self.packet),
            Channel::Zero(z) => z.try_recv_from(&mut self.packet, usize::MAX),
        };
        self.outcome = match r {
            Ok(()) => Outcome::Value,
            Err(PopError::Closed) => Outcome::Closed,
            Err(PopError::Empty) => return Poll::NotReady,
        };
        Poll::Done
    }

    fn __register(&mut self, cx: Cx<'_>) -> Registered {
        let w = cx.0;
        let oper = self.__oper();
        let Some(c) = self.chan else {
            return Registered::NOTHING;
        };
        self.aim();
        match &**c {
            Channel::Array(a) => {
                a.receivers.register(oper, std::ptr::null_mut(), w);
                fence(Ordering::SeqCst);
                Registered::buffered(oper, !a.is_empty() || a.is_closed())
            }
            Channel::Zero(z) => {
                Registered::with_packet(oper, &mut self.packet, |p| z.register_recv(oper, p, w))
            }
        }
    }

    fn __unregister(&mut self) {
        self.packet.touch();
        let oper = self.__oper();
        let Some(c) = self.chan else { return };
        match &**c {
            Channel::Array(a) => a.receivers.unregister(oper),
            Channel::Zero(z) => z.unregister_recv(oper),
        }
    }

    fn __accept(&mut self, closed: bool) -> Poll {
        let Some(c) = self.chan else {
            return Poll::NotReady;
        };
        match &**c {
            Channel::Array(_) => match self.__poll() {
                Poll::Done => Poll::Done,
                _ => Poll::NotReady,
            },
            Channel::Zero(_) => {
                if closed {
                    self.outcome = Outcome::Closed;
                } else {
                    self.packet.wait_ready();
                    self.outcome = Outcome::Value;
                }
                Poll::Done
            }
        }
    }

    fn __oper(&self) -> usize {
        waiter::oper_of(&self.packet)
    }

    fn __discard_untaken(&mut self) {
        self.discard_untaken();
    }
}

impl<T> fmt::Debug for RecvCase<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvCase")
            .field("nil", &self.chan.is_none())
            .finish_non_exhaustive()
    }
}

/// A send case: Go's `case ch <- v`. Holds the value until the case commits; if another case
/// wins, the value is dropped with the case (it was never sent).
pub struct SendCase<'a, T> {
    chan: Option<&'a Arc<Channel<T>>>,
    /// Owns the value in `storage` until it is sent (re-aimed before every use, as in
    /// [`RecvCase`]).
    packet: Packet<T>,
    storage: MaybeUninit<T>,
}

impl<'a, T> SendCase<'a, T> {
    /// A send case of `v` on `ch` (a nil channel makes a case that never fires).
    #[inline]
    pub fn new<C>(ch: &'a C, v: T) -> Self
    where
        C: AnyChan<Elem = T>,
        C::Dir: AllowsSend,
    {
        SendCase {
            chan: raw_of(ch),
            // SAFETY: the packet owns the value in `storage`; it is aimed there before any use.
            packet: unsafe { Packet::full(NonNull::dangling().as_ptr()) },
            storage: MaybeUninit::new(v),
        }
    }

    /// Takes back the value of a send case that was not chosen.
    pub fn into_value(mut self) -> Option<T> {
        // SAFETY: while the packet is full the value in `storage` is initialized; disowning it
        // gives it to us, once.
        self.packet
            .disown()
            .then(|| unsafe { self.storage.assume_init_read() })
    }

    #[inline]
    fn aim(&mut self) {
        // SAFETY: as in `RecvCase::aim`.
        unsafe { self.packet.repoint(self.storage.as_mut_ptr()) }
    }
}

impl<T> Drop for SendCase<'_, T> {
    fn drop(&mut self) {
        // The packet owns the unsent value and drops it through its pointer: aim it at
        // `storage` first (a case that was never polled still holds its placeholder).
        self.aim();
    }
}

impl<T> Drop for RecvCase<'_, T> {
    fn drop(&mut self) {
        // As for `SendCase`: a received value nobody took is dropped through the packet.
        self.aim();
    }
}

impl<T> SelectCase for SendCase<'_, T> {
    /// A nil channel, or a case whose value was already sent (a `Select` run again): either
    /// way it can never fire.
    fn __is_nil(&self) -> bool {
        self.chan.is_none() || !self.packet.has_value()
    }

    #[inline]
    fn __poll(&mut self) -> Poll {
        let Some(c) = self.chan else { return Poll::Nil };
        if !self.packet.has_value() {
            return Poll::Nil;
        }
        self.aim();
        let r = match &**c {
            Channel::Array(a) => a.try_send(&mut self.packet),
            Channel::Zero(z) => z.try_send_from(&mut self.packet, usize::MAX),
        };
        match r {
            Ok(()) => Poll::Done,
            Err(SendFail::Full) => Poll::NotReady,
            Err(SendFail::Closed) => Poll::SendClosed,
        }
    }

    fn __register(&mut self, cx: Cx<'_>) -> Registered {
        let w = cx.0;
        let oper = self.__oper();
        let Some(c) = self.chan else {
            return Registered::NOTHING;
        };
        self.aim();
        match &**c {
            // A receive that frees a slot completes the case through its packet, as for an
            // unbuffered channel.
            Channel::Array(a) => Registered::with_packet(oper, &mut self.packet, |p| {
                a.senders.register(oper, p as *mut (), w);
                fence(Ordering::SeqCst);
                !a.is_full() || a.is_closed()
            }),
            Channel::Zero(z) => {
                Registered::with_packet(oper, &mut self.packet, |p| z.register_send(oper, p, w))
            }
        }
    }

    fn __unregister(&mut self) {
        self.packet.touch();
        let oper = self.__oper();
        let Some(c) = self.chan else { return };
        match &**c {
            Channel::Array(a) => a.senders.unregister(oper),
            Channel::Zero(z) => z.unregister_send(oper),
        }
    }

    fn __accept(&mut self, closed: bool) -> Poll {
        if self.chan.is_none() {
            return Poll::NotReady;
        }
        // Committed by a receiver, which moved the value (the engine has waited for its
        // hand-off), or by `close`: either flavor.
        if closed {
            return Poll::SendClosed;
        }
        self.packet.wait_ready();
        Poll::Done
    }

    fn __oper(&self) -> usize {
        waiter::oper_of(&self.packet)
    }
}

impl<T> fmt::Debug for SendCase<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendCase")
            .field("nil", &self.chan.is_none())
            .finish_non_exhaustive()
    }
}

/// How a select ends when no case is ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Block until a case commits.
    Block,
    /// Return `None` (the `default` arm).
    Default,
}

/// Runs a select over `cases`; returns the index of the committed case, or `None` when
/// `mode` is `Default` and no case was ready.
#[track_caller]
#[inline]
pub(crate) fn run(cases: &mut [&mut dyn SelectCase], biased: bool, mode: Mode) -> Option<usize> {
    let site = Location::caller();
    let n = cases.len();
    if mode == Mode::Default {
        // A poll and no more: not through `run_with`, whose frame is set up for a wait
        // (a builder's one-case `try_select`: 371 -> 347 instructions).
        let r = if n <= 8 {
            poll_all(cases, biased, &mut [0u32; 8][..n])
        } else {
            poll_all(cases, biased, &mut vec![0u32; n])
        };
        return match r {
            Ok(Polled::Done(i)) => Some(i),
            Ok(Polled::NotReady { .. }) => None,
            Err(SendOnClosed) => panic_send_on_closed(),
        };
    }
    // The poll order lives on the stack for the usual sizes (no zeroing of a big buffer).
    let r = if n <= 8 {
        run_with(cases, biased, site, &mut [0u32; 8][..n])
    } else if n <= 64 {
        run_with(cases, biased, site, &mut [0u32; 64][..n])
    } else {
        run_with(cases, biased, site, &mut vec![0u32; n])
    };
    match r {
        Ok(chosen) => Some(chosen),
        Err(SendOnClosed) => panic_send_on_closed(),
    }
}

/// A blocking select: polls, and waits until a case commits.
#[inline]
fn run_with(
    cases: &mut [&mut dyn SelectCase],
    biased: bool,
    site: &'static Location<'static>,
    order: &mut [u32],
) -> Result<usize, SendOnClosed> {
    let n = cases.len();
    loop {
        let live = match poll_all(cases, biased, order)? {
            Polled::Done(i) => return Ok(i),
            Polled::NotReady { live } => live,
        };
        if live == 0 {
            let reason = if n == 0 {
                BlockReason::SelectNoCases
            } else {
                BlockReason::Select
            };
            waiter::block_forever_at(reason, site);
        }

        // Block.
        let chosen = if n <= 8 {
            block(
                cases,
                order,
                &mut [const { Registered::NOTHING }; 8][..n],
                site,
            )
        } else {
            let mut regs = Vec::with_capacity(n);
            regs.resize_with(n, || Registered::NOTHING);
            block(cases, order, &mut regs, site)
        };
        if let Some(i) = chosen? {
            return Ok(i);
        }
    }
}

/// What a poll of every case found.
enum Polled {
    /// This case completed.
    Done(usize),
    /// None was ready; `live` of them are not nil.
    NotReady { live: usize },
}

/// Polls every case once, in a random order (the order given, if `biased`), which it leaves
/// in `order` for a wait to register in.
#[inline]
fn poll_all(
    cases: &mut [&mut dyn SelectCase],
    biased: bool,
    order: &mut [u32],
) -> Result<Polled, SendOnClosed> {
    for (i, o) in order.iter_mut().enumerate() {
        *o = i as u32;
    }
    if !biased && cases.len() > 1 {
        rng::shuffle(order);
    }
    let mut live = 0;
    for &i in order.iter() {
        match cases[i as usize].__poll() {
            Poll::Done => return Ok(Polled::Done(i as usize)),
            Poll::NotReady => live += 1,
            Poll::Nil => {}
            Poll::SendClosed => return Err(SendOnClosed),
        }
    }
    Ok(Polled::NotReady { live })
}

/// Registers every case, parks, and finishes the case that a counterparty committed. `None`
/// means "poll again" (the wait was aborted, or a buffered case lost its value to another
/// receiver).
fn block(
    cases: &mut [&mut dyn SelectCase],
    order: &[u32],
    regs: &mut [Registered],
    site: &'static Location<'static>,
) -> Result<Option<usize>, SendOnClosed> {
    waiter::with_current(|w| {
        let window = NoUnwind::new("a blocking select");
        let mut registered = 0;
        for &i in order.iter() {
            let case = &mut cases[i as usize];
            registered += 1;
            if case.__is_nil() {
                regs[registered - 1] = Registered::NOTHING;
                continue;
            }
            let reg = case.__register(Cx(w));
            let ready_now = reg.ready_now;
            regs[registered - 1] = reg;
            if ready_now {
                let _ = w.try_select(Selected::Aborted);
                break;
            }
        }
        let sel = w.wait(BlockReason::Select, site);
        // Which case was committed, found from what registration recorded: no case is
        // touched until the counterparty is done with it.
        let won = match sel {
            Selected::Operation(op) | Selected::Closed(op) => Some(
                regs[..registered]
                    .iter()
                    .position(|r| r.oper == op)
                    .unwrap_or_else(|| {
                        waiter::protocol_violation(format_args!(
                            "a select was woken for none of its own cases"
                        ))
                    }),
            ),
            Selected::Aborted | Selected::Waiting => None,
        };
        if let (Selected::Operation(_), Some(k)) = (sel, won) {
            let handoff = regs[k].handoff;
            if !handoff.is_null() {
                // SAFETY: the flag belongs to the packet of case `order[k]`, which we own and
                // which stays alive (and untouched) until the flag is set; the counterparty
                // that won our selection word sets it when it is done with the packet. Its
                // writes happen before our acquire load of the flag.
                unsafe { crate::chan::packet::wait_flag(handoff) };
            }
        }
        for &i in order[..registered].iter() {
            cases[i as usize].__unregister();
        }
        window.done();
        let Some(k) = won else {
            return Ok(None);
        };
        let i = order[k] as usize;
        let closed = matches!(sel, Selected::Closed(_));
        match cases[i].__accept(closed) {
            Poll::Done => Ok(Some(i)),
            Poll::SendClosed => Err(SendOnClosed),
            Poll::NotReady | Poll::Nil => Ok(None),
        }
    })
}

/// A select whose cases are decided at run time (Go's `reflect.Select`); the [`select!`]
/// macro is the static form of the same engine.
///
/// A small select allocates nothing: up to 8 cases whose values are small are kept inside the
/// `Select` (768 bytes on a 64-bit target); a case with a big value (or one that needs more
/// than 16-byte alignment), and the case list past 8, go on the heap.
///
/// Add cases with [`recv`](Select::recv) and [`send`](Select::send) (each returns the case's
/// index), then call [`select`](Select::select) (block until one case commits) or
/// [`try_select`](Select::try_select) (Go's `default`: `None` if no case is ready now). Exactly
/// one case commits; the value of a send case that loses is dropped with the `Select`.
///
/// A `Select` can run again (in a loop, say): a send case that already delivered its value
/// never fires again (it acts as a nil case), and a received value that was not
/// [`take`](Select::take)n before the next run is dropped by that run.
///
/// ```
/// use gocsp::{Chan, Select};
///
/// let a = Chan::new(1);
/// let b: Chan<&str> = Chan::new(1);
/// b.send("from b");
///
/// let mut sel = Select::new();
/// let ra = sel.recv(&a);
/// let rb = sel.recv(&b);
/// let i = sel.select();
/// assert_eq!(i, rb.index());
/// assert_eq!(sel.take(rb), Some("from b"));
/// # let _: Option<i32> = a.try_recv().ok();
/// # let _ = ra;
/// ```
///
/// [`select!`]: crate::select!
pub struct Select<'a> {
    /// Inline for a small select (no allocation), boxed past that (see `cases.rs`).
    cases: cases::Cases<'a>,
    biased: bool,
    /// Unique for the process's life: a [`RecvIndex`] carries the id of the `Select` that made
    /// it, so an index is never taken against another `Select`'s case (whose value may be of
    /// another type, in a box at the same address).
    id: u64,
    /// Whether it ran before: only then may a case hold a value nobody took (`fresh`).
    ran: bool,
}

/// Names a receive case of a [`Select`] and the type it receives.
pub struct RecvIndex<T> {
    index: usize,
    select: u64,
    _marker: std::marker::PhantomData<fn() -> T>,
}

impl<T> RecvIndex<T> {
    /// The case's index, as returned by [`Select::select`].
    pub fn index(&self) -> usize {
        self.index
    }
}

impl<T> Clone for RecvIndex<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for RecvIndex<T> {}

impl<T> PartialEq<usize> for RecvIndex<T> {
    fn eq(&self, other: &usize) -> bool {
        self.index == *other
    }
}

impl<T> fmt::Debug for RecvIndex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RecvIndex").field(&self.index).finish()
    }
}

/// A `Select`'s cases, ready for a new run: received values nobody took from an earlier run
/// (if it `ran`) are dropped first. (A run polls only until a case is ready, so the poll
/// cannot do it: a case after the chosen one in the poll order would keep its old value for
/// `take`.) A first run skips the look: a call per case, through the case's vtable.
fn fresh<'c, 'd>(
    cases: &'c mut [&'d mut (dyn SelectCase + 'd)],
    ran: bool,
) -> &'c mut [&'d mut (dyn SelectCase + 'd)] {
    if ran {
        for c in cases.iter_mut() {
            c.__discard_untaken();
        }
    }
    cases
}

/// A process-unique `Select` id. Each thread takes a block of ids from a global counter and
/// hands them out from a thread-local one: a shared atomic per `Select` cost more than the
/// rest of a one-case `try_select`.
fn next_select_id() -> u64 {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU64, Ordering};
    const BLOCK: u64 = 1 << 16;
    static NEXT_BLOCK: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        /// The next id of this thread's block and the end of the block.
        static IDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    IDS.with(|ids| {
        let (mut next, mut end) = ids.get();
        if next == end {
            next = NEXT_BLOCK.fetch_add(BLOCK, Ordering::Relaxed);
            end = next + BLOCK;
        }
        ids.set((next + 1, end));
        next
    })
}

impl<'a> Select<'a> {
    /// An empty select. With no cases, [`select`](Select::select) blocks forever (Go's
    /// `select {}`).
    // Deliberately not `#[inline]`: called, it builds the `Select` in the caller's return slot;
    // inlined into a caller, it was built aside and then copied whole (a memcpy of its 768
    // bytes, as long as the rest of a one-case `try_select`).
    pub fn new() -> Self {
        Select {
            cases: cases::Cases::new(),
            biased: false,
            id: next_select_id(),
            ran: false,
        }
    }

    /// Marks a run as begun; whether one ran before (only then may a case hold a value nobody
    /// took: `fresh`).
    #[inline]
    fn start_run(&mut self) -> bool {
        std::mem::replace(&mut self.ran, true)
    }

    /// Picks the first ready case in the order added instead of a random one.
    pub fn biased(&mut self) -> &mut Self {
        self.biased = true;
        self
    }

    /// Adds a receive case on `ch`; returns its index. A nil channel's case never fires.
    #[inline]
    pub fn recv<C>(&mut self, ch: &'a C) -> RecvIndex<C::Elem>
    where
        C: AnyChan,
        C::Dir: AllowsRecv,
        C::Elem: 'a,
    {
        RecvIndex {
            index: self.cases.push(RecvCase::new(ch)),
            select: self.id,
            _marker: std::marker::PhantomData,
        }
    }

    /// Adds a send case of `v` on `ch`; returns its index. A nil channel's case never fires.
    #[inline]
    pub fn send<C>(&mut self, ch: &'a C, v: C::Elem) -> usize
    where
        C: AnyChan,
        C::Dir: AllowsSend,
        C::Elem: 'a,
    {
        self.cases.push(SendCase::new(ch, v))
    }

    /// Blocks until one case commits and returns its index.
    ///
    /// # Panics
    /// With "send on closed channel" if the chosen send case's channel is closed.
    #[track_caller]
    pub fn select(&mut self) -> usize {
        let (biased, ran) = (self.biased, self.start_run());
        let mut buf = cases::RefBuf::new();
        let cases = fresh(self.cases.refs(&mut buf), ran);
        run(cases, biased, Mode::Block).expect("a blocking select returns a case")
    }

    /// Commits a case that is ready now, or returns `None` (Go's `default`).
    #[track_caller]
    pub fn try_select(&mut self) -> Option<usize> {
        if self.cases.len() == 1 {
            // One case: a plain non-blocking operation, as Go compiles `select` with one case
            // and a `default` (no order to draw, no slice of cases to lend the engine: 347 -> 206
            // instructions a try, 28.6 -> 20.8 ns).
            // Before the case's reference is made: a call on `&mut self` while it lives would
            // retag all of `self`, the case included, and invalidate it (Miri's Stacked
            // Borrows said so of an earlier version).
            let ran = self.start_run();
            // SAFETY: case 0 exists and is owned by `self.cases`, which `&mut self` borrows
            // exclusively for as long as the reference lives.
            let case = unsafe { &mut *self.cases.get(0) };
            if ran {
                case.__discard_untaken();
            }
            return match case.__poll() {
                Poll::Done => Some(0),
                Poll::NotReady | Poll::Nil => None,
                Poll::SendClosed => panic_send_on_closed(),
            };
        }
        let (biased, ran) = (self.biased, self.start_run());
        let mut buf = cases::RefBuf::new();
        let cases = fresh(self.cases.refs(&mut buf), ran);
        run(cases, biased, Mode::Default)
    }

    /// The value received by the chosen receive case: `None` if its channel was closed.
    ///
    /// A value is taken at most once. A receive case's value that is not taken before the
    /// next [`select`](Select::select) or [`try_select`](Select::try_select) on this `Select`
    /// is dropped by that run.
    ///
    /// # Panics
    /// If `case` belongs to another `Select` or was not the chosen case.
    #[track_caller]
    #[inline]
    pub fn take<T: 'a>(&mut self, case: RecvIndex<T>) -> Option<T> {
        assert!(
            case.select == self.id,
            "Select::take: the RecvIndex belongs to another Select"
        );
        let ptr = self.cases.get(case.index) as *mut RecvCase<'a, T>;
        // SAFETY: `case` was made by `recv` on this very `Select` (ids are unique and never
        // reused), which pushed a `RecvCase` of the channel's element type at `case.index`;
        // cases are never removed or replaced. `T` is that type, or (as `RecvIndex` and
        // `Select` are covariant) the same type with shorter lifetimes: the same layout, and
        // `take` only moves a `T` out, which the shorter lifetimes allow. `&mut self` makes the
        // access exclusive.
        let recv = unsafe { &mut *ptr };
        recv.take()
    }
}

impl Default for Select<'_> {
    fn default() -> Self {
        Select::new()
    }
}

impl fmt::Debug for Select<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("cases", &self.cases.len())
            .field("biased", &self.biased)
            .finish()
    }
}

/// Expanded `select!` code calls this: a blocking select over stack-allocated cases.
#[doc(hidden)]
#[track_caller]
#[inline]
pub fn select(cases: &mut [&mut dyn SelectCase], biased: bool) -> usize {
    run(cases, biased, Mode::Block).expect("a blocking select returns a case")
}

/// Expanded `select!` code with a `default` arm calls this.
#[doc(hidden)]
#[track_caller]
#[inline]
pub fn try_select(cases: &mut [&mut dyn SelectCase], biased: bool) -> Option<usize> {
    run(cases, biased, Mode::Default)
}
