//! Go's concurrency model, written as Go-style Rust.
//!
//! gocsp gives Rust programs goroutines, channels and `select` with Go's exact semantics, on an
//! M:N scheduler of stackful coroutines, with Go's `context`, `time`, `sync` and `net` on top.
//!
//! # A first program
//!
//! In Go, `main` is a goroutine; with [`#[gocsp::main]`](main) it is one here too. [`go!`]
//! starts a goroutine and [`make!`] makes a channel:
//!
//! ```
//! use gocsp::prelude::*;
//!
//! fn square(n: i32, out: Sender<i32>) {
//!     out.send(n * n);
//! }
//!
//! #[gocsp::main]
//! fn main() {
//!     let results = make!(chan i32); // unbuffered, Go's make(chan int)
//!     for n in 1..=3 {
//!         go!(square(n, results.sender())); // the arguments are evaluated now, as in Go
//!     }
//!     let sum: i32 = (0..3).map(|_| results.recv().unwrap()).sum();
//!     assert_eq!(sum, 1 + 4 + 9);
//! }
//! ```
//!
//! `go!` also takes a closure (`go!(move || ...)`) or a block (`go! { ... }`). Tests run as
//! goroutines with [`#[gocsp::test]`](test), which can also fail a test that leaks goroutines.
//!
//! # Channels
//!
//! [`Chan<T>`] is Go's `chan T`; [`Sender<T>`] is `chan<- T` and [`Receiver<T>`] is
//! `<-chan T`. Direction is checked at compile time, with Go's words:
//! `rx.send(1)` on a `Receiver` fails with "invalid operation: cannot send to receive-only
//! channel". Every rule is Go's:
//!
//! - unbuffered channels (`make!(chan T)`) hand the value straight from sender to receiver: a
//!   send completes only when a receiver takes it;
//! - buffered channels (`make!(chan T, n)`) are FIFO; sends block when full;
//! - [`close`](Chan::close) wakes every blocked receiver (they drain the buffer, then get
//!   `None`, or the zero value from [`recv_ok`](Chan::recv_ok)) and every blocked sender (they
//!   panic with "send on closed channel"); closing twice panics "close of closed channel";
//!   `for v in &rx` receives until the channel is closed and drained;
//! - the nil channel ([`Chan::nil`], also `Chan::default()`) blocks forever, and its `select!`
//!   case never fires.
//!
//! Channels work the same from goroutines and from plain threads (the main thread included),
//! but a hand-off between goroutines is a few atomic operations and a stack switch, while one
//! with a thread may cost a futex wake-up: start from a goroutine `main`, and keep plain
//! threads for what needs one (FFI callbacks, an existing thread pool).
//!
//! # Select
//!
//! [`select!`] waits on several operations; when several are ready it picks one uniformly at
//! random (`biased;` picks the first in source order), and `default` makes it non-blocking.
//! Go's `case v := <-ch:` arm syntax works too. [`Select`] is the same engine with cases chosen
//! at run time.
//!
//! ```
//! use gocsp::prelude::*;
//!
//! #[gocsp::main]
//! fn main() {
//!     let ch: Chan<i32> = make!(chan i32);
//!     select! {
//!         v = <-ch => unreachable!("nobody sent {v}"),
//!         <-time::after(10 * time::MILLISECOND) => println!("timed out"),
//!     }
//!     select! {
//!         ch <- 1 => unreachable!("nobody receives"),
//!         default => println!("no receiver ready"),
//!     }
//! }
//! ```
//!
//! # Waiting and stopping: WaitGroup and context
//!
//! A [`WaitGroup`] waits for a group of goroutines; a [`Context`] tells them to stop. Clones
//! of either share one state, as Go shares a pointer.
//!
//! ```
//! use gocsp::prelude::*;
//!
//! #[gocsp::main]
//! fn main() {
//!     let (ctx, cancel) = context::with_cancel(&context::background());
//!     let jobs: Chan<u32> = make!(chan u32);
//!     let wg = WaitGroup::new();
//!     for _ in 0..2 {
//!         wg.add(1);
//!         let (ctx, jobs, wg) = (ctx.clone(), jobs.receiver(), wg.clone());
//!         go!(move || {
//!             defer!(wg.done());
//!             loop {
//!                 select! {
//!                     job = <-jobs => println!("job {job}"),
//!                     <-ctx.done() => return,
//!                 }
//!             }
//!         });
//!     }
//!     for job in 1..=4 {
//!         jobs.send(job);
//!     }
//!     cancel(); // closes ctx.done(): every worker returns
//!     wg.wait();
//!     assert_eq!(ctx.err(), Some(context::Error::Canceled));
//! }
//! ```
//!
//! # Where to go next
//!
//! - [`go_syntax!`]: Go's statements inside Rust items (`x := e`, `ch <- v`, `go f(x)`,
//!   `select { case ...: }`, `for v := range ch`, `chan<- T`), down to `fn main` as the main
//!   goroutine.
//! - [`owner`]: Go's owner pattern as an attribute; [`defer!`]: Go's `defer`.
//! - [`context`]: Go's `context` package (cancellation trees, deadlines, values, Go's
//!   `String()` as `Display`, [`context::Custom`] for contexts of your own).
//! - [`time`]: `after`, `tick`, `sleep`, [`time::Timer`] and [`time::Ticker`] with Go 1.23's
//!   semantics, Go's [`time::Time`], and `100 * time::MILLISECOND`.
//! - [`sync`]: Go's `sync` plus `x/sync`: [`sync::Mutex`], [`sync::RWMutex`], [`sync::Once`],
//!   [`sync::Cond`], [`sync::errgroup::Group`] and [`sync::Semaphore`], each parking a blocked
//!   goroutine rather than its worker.
//! - [`net`]: `std::net`'s names with Go's behaviour: blocking-style calls that park the
//!   goroutine on a netpoller, and Go's deadlines.
//! - The runtime: [`spawn`] and [`JoinHandle`], [`Runtime`] and [`Builder`] (workers, stack
//!   size, limits), [`blocking`], [`yield_now`]; introspection with [`num_goroutine`],
//!   [`goroutines`], [`dump`] and [`check_leaks`].
//!
//! # The runtime
//!
//! [`go!`] starts a goroutine; [`spawn`] does the same and returns a [`JoinHandle`]. The
//! runtime starts on first use with `GOMAXPROCS` worker threads (default: one per core); a
//! goroutine that blocks on a channel, a [`WaitGroup`], a [`sync::Mutex`], [`time::sleep`] or
//! [`blocking`] parks and frees its worker for others.
//!
//! ## Soundness: why `go!` is safe code
//!
//! - **A goroutine that has started never moves to another thread.** Its stack may hold
//!   `!Send` values and references to thread-locals (which the compiler may cache across a
//!   park); moving it would break both. Only goroutines that have not started yet, which are
//!   plain `Send` closures, are stolen by idle workers.
//! - **Every stack has a guard page**, so an overflow is a clean crash, never a silent
//!   overwrite, and the runtime reports it as Go does (`fatal error: stack overflow`). Stacks
//!   are 64 KiB by default (256 KiB in debug builds; [`Builder::stack_size`]).
//! - `go!` and [`spawn`] require `FnOnce() + Send + 'static`, like `std::thread::spawn`.
//! - **A worker thread outlives the goroutines that died on it.** Dropping a [`Runtime`] leaks
//!   the stacks of its blocked goroutines, never unwinding them; their workers' threads then
//!   park for good instead of ending, so a thread-local a dead goroutine borrowed (and perhaps
//!   lent to a scoped thread or a [`blocking`] helper) is never destroyed under it. The
//!   runtime's own exits (a panic under the default policy, a deadlock) are made from a fresh
//!   thread for the same reason: glibc's `exit` destroys the calling thread's thread-locals.
//!
//! **A known hole, from `std`'s `thread_local!`: never block inside a thread-local's
//! initializer.** If a lazy `thread_local!` initializer is entered again on the same thread
//! before the first call returns, `std` keeps the value of whichever returns last and drops
//! the other, reasoning that no `with` scope can hold it yet. Goroutines sharing a worker break
//! that reasoning: goroutine A parks inside the initializer of `X`; goroutine B on the same
//! worker initializes `X`, holds `&T` from `X.with` and parks; A's initializer returns and
//! drops B's value under B's reference, a use-after-free from safe code. gocsp cannot see
//! that a park happens inside an initializer. Initializers must not block in gocsp (a channel
//! operation, [`time::sleep`], a [`sync::Mutex`], [`blocking`]).
//!
//! Thread-locals are the worker's, shared by the goroutines that run on it, one after the
//! other. Code that sets a thread-local for the length of a scope and restores it at the
//! scope's end, trusting that scopes on one thread nest (the `scoped-tls` crate, some
//! loggers' and tracers' "current" contexts), must not block a goroutine inside such a scope:
//! another goroutine's scope may open and close in between, out of order, and the restored
//! value can point into a frame that is gone.
//!
//! ## What blocks a worker
//!
//! Scheduling is cooperative: a goroutine runs until it blocks in gocsp or calls
//! [`yield_now`]. Anything that blocks the OS thread — `std::sync::Mutex` under contention,
//! `std::thread::sleep`, blocking I/O, a `crossbeam` receive — stalls every goroutine on that
//! worker. Use the goroutine-aware [`time::sleep`], [`sync::Mutex`] and [`WaitGroup`], and wrap
//! other blocking calls in [`blocking`], which runs them on a helper thread while the goroutine
//! parks.
//!
//! ## Panics
//!
//! An unrecovered panic in a goroutine ends the process with exit code 2 after printing the
//! panic, the goroutine id and its spawn site, as Go does. [`PanicPolicy::Continue`] turns this
//! into log-and-continue.
//!
//! Misuse panics with Go's message and names the caller's line: "send on closed channel",
//! "close of closed channel", "close of nil channel", "sync: negative WaitGroup counter",
//! "sync: unlock of unlocked mutex".
//!
//! ## Deadlocks
//!
//! When the main thread is blocked in a gocsp operation (or waits for the main goroutine of
//! [`main`], which is then blocked like the rest), every goroutine is blocked, no timer
//! is pending, no [`blocking`] call is in flight and the process has no thread besides main and
//! gocsp's own, the program can never make progress: gocsp prints
//! `fatal error: all goroutines are asleep - deadlock!` with each goroutine's state, spawn site
//! and blocking site, and exits with code 2. It judges only when it can know (Linux, no foreign
//! threads), so it never fires on a correct program; `GOCSP_DEADLOCK_DETECT=0` turns it off.
//!
//! ## Limits
//!
//! Every goroutine stack has a guard page. On Linux 6.13 and later, stacks are carved from
//! large shared mappings with guard pages installed by `madvise`, so the number of goroutines
//! alive at once is bounded by memory ([`max_goroutines`]; a blocked goroutine holds about one
//! stack page). On older kernels (or with `GOCSP_STACK_SLABS=0`) each stack costs two kernel
//! memory mappings, which Linux caps at `vm.max_map_count` (65530 by default): about 30,000
//! goroutines. Past the limit, [`try_spawn`] returns a [`SpawnError`] saying which limit was
//! hit ([`SpawnLimit`]); a spawn either succeeds or returns it, the process never dies of a
//! failed stack allocation.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![cfg_attr(loom, allow(dead_code))]

// The netpoller packs a 32-bit slot and a 32-bit generation into each registration's token,
// and a million goroutines' stacks take tens of gigabytes of address space: on a narrower
// target both would break at run time (lost I/O events, failed spawns), so it is refused here.
#[cfg(not(target_pointer_width = "64"))]
compile_error!("gocsp supports 64-bit targets only");

mod block;
mod chan;
mod loom;
mod macros;
mod rng;
mod select;
#[cfg(not(loom))]
mod spin;
mod waiter;

#[cfg(not(loom))]
mod blocking;
#[cfg(not(loom))]
pub mod context;
#[cfg(not(loom))]
mod goroutine;
#[cfg(all(unix, not(loom)))]
pub mod net;
#[cfg(not(loom))]
mod oneshot;
#[cfg(not(loom))]
mod sched;
#[cfg(not(loom))]
pub mod sync;
#[cfg(not(loom))]
pub mod time;

#[doc(hidden)]
pub mod __private;

pub use chan::{AllowsClose, AllowsRecv, AllowsSend, AnyChan, Both, RecvOnly, SendOnly};
pub use chan::{Chan, IntoIter, Iter, Receiver, Sender, TryIter, TryRecvError, TrySendError};
pub use rng::seed_rng;
pub use select::{RecvIndex, Select};

#[cfg(not(loom))]
pub use blocking::blocking;
#[cfg(not(loom))]
pub use context::Context;
#[cfg(not(loom))]
pub use goroutine::{JoinHandle, check_leaks, go, spawn, try_spawn};
#[cfg(not(loom))]
pub use sched::{
    Builder, DEFAULT_STACK_SIZE, GoroutineInfo, GoroutineState, MAX_STACK_SIZE, PanicPolicy,
    Runtime, SpawnError, SpawnLimit, dump, gomaxprocs, goroutine_id, goroutines, max_goroutines,
    num_goroutine, yield_now,
};
#[cfg(not(loom))]
pub use sync::WaitGroup;

/// The attribute behind Go's owner pattern (a goroutine that owns a channel and closes it).
///
/// The annotated function names one `Sender<T>` parameter. The generated function drops that
/// parameter, makes the channel (`#[owner(buffer = n)]` for a buffered one), starts the body
/// in a goroutine holding the send side, closes the channel when the body ends (also on
/// panic) and returns the `Receiver<T>`:
///
/// ```
/// use gocsp::prelude::*;
///
/// #[owner]
/// fn count_to(n: u32, out: Sender<u32>) {
///     for i in 1..=n {
///         out.send(i);
///     }
/// }
///
/// let numbers: Receiver<u32> = count_to(3);
/// assert_eq!(numbers.iter().collect::<Vec<_>>(), [1, 2, 3]);
/// ```
#[doc(inline)]
pub use gocsp_macros::__owner_impl as owner;

/// Runs `fn main` as the main goroutine, as Go does.
///
/// The body runs as a goroutine on the global runtime; the process's main thread only waits
/// for it. Talking to goroutines from the main goroutine is a goroutine-to-goroutine hand-off
/// (no thread wake-up), and nothing it calls needs to worry about blocking a worker more than
/// any other goroutine does.
///
/// - `fn main() -> Result<(), E>` works as Rust's `main` does: an `Err` prints
///   `Error: {e:?}` and the process exits with code 1 (any `Termination` type works).
/// - An unrecovered panic in main prints Go's report and exits with code 2.
/// - When main returns, the process exits, whatever other goroutines are doing (Go's rule).
/// - When the main goroutine blocks and every goroutine is asleep, the process reports
///   `fatal error: all goroutines are asleep - deadlock!` with a dump, and exits with code 2
///   (under the rule in the crate docs: never while a thread gocsp doesn't know exists).
/// - Options: `#[gocsp::main(workers = 4)]` (the global runtime's worker count, Go's
///   `GOMAXPROCS`), `stack_size = bytes`, and `crate = path` for a renamed `gocsp`.
///
/// ```
/// use gocsp::prelude::*;
///
/// #[gocsp::main]
/// fn main() {
///     let ch: Chan<&str> = make!(chan &str);
///     let tx = ch.sender();
///     go!(move || tx.send("ping"));
///     assert_eq!(ch.recv(), Some("ping"));
///     assert!(gocsp::goroutine_id().is_some()); // main is a goroutine
/// }
/// ```
///
/// Inside [`go_syntax!`], `fn main() { ... }` is the main goroutine without the attribute.
#[cfg(not(loom))]
#[doc(inline)]
pub use gocsp_macros::__main_impl as main;

/// A `#[test]` whose body runs as a goroutine.
///
/// The test fails when its body panics (the message is the panic's, so `#[should_panic]`
/// works) or returns an `Err`. `#[gocsp::test(check_leaks)]` also fails it when goroutines it
/// started are still alive half a second after the body returns, naming their spawn sites
/// (see [`check_leaks`]). `#[gocsp::test(workers = n)]` runs it on a runtime of its own.
///
/// A panic in another goroutine the test started ends the test process with Go's report,
/// as `go test` does.
///
/// ```
/// use gocsp::prelude::*;
///
/// #[gocsp::test(check_leaks)]
/// fn pipeline_works() {
///     let ch: Chan<i32> = make!(chan i32);
///     let tx = ch.sender();
///     go!(move || for i in 1..=3 { tx.send(i) });
///     assert_eq!((0..3).map(|_| ch.recv().unwrap()).sum::<i32>(), 6);
/// }
/// # fn main() {}
/// ```
#[cfg(not(loom))]
#[doc(inline)]
pub use gocsp_macros::__test_impl as test;

/// Everything a Go-style program needs, in one import: the macros, the channel handles,
/// `Context` and `WaitGroup`, and the `context`, `time` and `sync` modules (so Go's
/// `sync.Mutex` is `sync::Mutex`, `time.Now()` is `time::now()`).
pub mod prelude {
    pub use crate::{Chan, Receiver, Sender, owner};
    #[cfg(not(loom))]
    pub use crate::{Context, WaitGroup, context, sync, time};
    pub use crate::{defer, go, go_syntax, make, select};
}

// Compile-time promises about the public types.
#[cfg(not(loom))]
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Chan<i32>>();
    send_sync::<Sender<i32>>();
    send_sync::<Receiver<i32>>();
    send_sync::<Context>();
    send_sync::<WaitGroup>();
    send_sync::<sync::Mutex<i32>>();
    send_sync::<sync::RWMutex<i32>>();
    send_sync::<sync::Once>();
    send_sync::<sync::Cond>();
    send_sync::<sync::Semaphore>();
    send_sync::<sync::errgroup::Group>();
    send_sync::<time::Time>();
    send_sync::<time::Timer>();
    send_sync::<time::Ticker>();
    send_sync::<Runtime>();
    send_sync::<JoinHandle<i32>>();
    send_sync::<SpawnError>();
    send_sync::<SpawnLimit>();
    send_sync::<Builder>();
};

#[cfg(all(unix, not(loom)))]
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<net::TcpListener>();
    send_sync::<net::TcpStream>();
    send_sync::<net::UdpSocket>();
    send_sync::<net::UnixListener>();
    send_sync::<net::UnixStream>();
};
