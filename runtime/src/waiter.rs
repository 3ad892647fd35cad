//! Waiters: all that a channel, a select or a `WaitGroup` knows about whoever is blocked on it.
//!
//! A waiter is either a parked OS thread or a parked goroutine. Both carry one atomic word,
//! the *selection*, which is how a blocked operation is completed:
//!
//! | value                  | meaning                                                        |
//! |------------------------|----------------------------------------------------------------|
//! | `WAITING` (0)          | blocked; nobody has claimed it yet                             |
//! | `ABORTED` (1)          | the owner gave up (a select found a case ready after registering) |
//! | `oper`                 | operation `oper` was completed for it (value handed over)      |
//! | `oper \| CLOSED_BIT`   | operation `oper` was woken because its channel was closed      |
//! | `DEAD` (3)             | a goroutine killed by the drop of its runtime: never claimable again |
//!
//! `oper` is a token that names one case of one blocking call: the address of the operation's
//! packet for an unbuffered channel or a buffered channel's blocked send (a stack object that
//! stays put while it is registered, aligned to at least 4), of a `Token` for a buffered
//! channel's blocked receive, a sleep or a wait queue, of the `OneShot` itself for a join.
//!
//! **Who wins**: exactly one compare-and-swap from `WAITING` succeeds per blocking call. A
//! counterparty that wins it owns the operation (it transfers the value, then unparks); every
//! other party fails its CAS and moves on, so a select commits exactly one case. The owner
//! resets the word to `WAITING` before it registers anywhere, and only reads it afterwards.
//! `DEAD` is won the same way, by a goroutine's runtime while it is dropped (see `sched/task.rs`):
//! a dead waiter's entries stay where they were registered, and every claim on them fails.

use std::fmt;
use std::panic::Location;

pub(crate) use crate::block::BlockReason;
#[cfg(not(loom))]
use crate::block::DEAD;
use crate::block::{ABORTED, CLOSED_BIT, WAITING};

#[cfg(not(loom))]
use crate::loom::thread;
use crate::loom::{Arc, AtomicUsize, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicBool, AtomicU64};

/// The outcome of a blocking call, decoded from the selection word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Selected {
    Waiting,
    Aborted,
    /// The operation with this token was completed by a counterparty.
    Operation(usize),
    /// The operation with this token was woken by `close`.
    Closed(usize),
}

impl Selected {
    #[inline]
    fn decode(v: usize) -> Self {
        match v {
            WAITING => Selected::Waiting,
            ABORTED => Selected::Aborted,
            // A dead goroutine's word: not waiting, like an aborted one, to its counterparties.
            #[cfg(not(loom))]
            DEAD => Selected::Aborted,
            v if v & CLOSED_BIT != 0 => Selected::Closed(v & !CLOSED_BIT),
            v => Selected::Operation(v),
        }
    }

    #[inline]
    fn encode(self) -> usize {
        match self {
            Selected::Waiting => WAITING,
            Selected::Aborted => ABORTED,
            Selected::Operation(op) => op,
            Selected::Closed(op) => op | CLOSED_BIT,
        }
    }
}

/// Returns the token for an operation whose packet lives at `p`.
#[inline]
pub(crate) fn oper_of<P>(p: &P) -> usize {
    const { assert!(std::mem::align_of::<P>() >= 4) };
    p as *const P as usize
}

/// A parked OS thread.
pub(crate) struct ThreadWaiter {
    sel: AtomicUsize,
    /// Whether the thread sleeps (parks) rather than spins, and when its waker woke it (a
    /// `spin::stamp`, written only while it sleeps): its spin budget learns from how soon the
    /// answer came (`SpinBudget::slept`).
    #[cfg(not(loom))]
    sleeping: AtomicBool,
    #[cfg(not(loom))]
    woken_at: AtomicU64,
    #[cfg(not(loom))]
    thread: thread::Thread,
    #[cfg(loom)]
    parker: LoomParker,
}

impl ThreadWaiter {
    fn new() -> Arc<Self> {
        Arc::new(ThreadWaiter {
            sel: AtomicUsize::new(WAITING),
            #[cfg(not(loom))]
            sleeping: AtomicBool::new(false),
            #[cfg(not(loom))]
            woken_at: AtomicU64::new(0),
            #[cfg(not(loom))]
            thread: thread::current(),
            #[cfg(loom)]
            parker: LoomParker::default(),
        })
    }
}

/// `thread::park`/`unpark` semantics (a saved wake-up token) built from a mutex and a condition
/// variable. loom's own `unpark` also wakes a thread blocked on a mutex, which would make a
/// late unpark (legal with std's park token) look like a broken mutex to the model checker.
#[cfg(loom)]
#[derive(Default)]
pub(crate) struct LoomParker {
    token: crate::loom::Mutex<bool>,
    cond: loom::sync::Condvar,
}

#[cfg(loom)]
impl LoomParker {
    fn park(&self) {
        let mut t = crate::loom::lock(&self.token);
        while !*t {
            t = self.cond.wait(t).unwrap();
        }
        *t = false;
    }

    fn unpark(&self) {
        *crate::loom::lock(&self.token) = true;
        self.cond.notify_one();
    }
}

/// A handle to a blocked party: cheap to clone, stored in channels' wait lists.
#[derive(Clone)]
pub(crate) enum WaiterRef {
    Thread(Arc<ThreadWaiter>),
    #[cfg(not(loom))]
    Task(Arc<crate::sched::Task>),
}

impl fmt::Debug for WaiterRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaiterRef::Thread(_) => f.write_str("WaiterRef::Thread"),
            #[cfg(not(loom))]
            WaiterRef::Task(t) => write!(f, "WaiterRef::Task({})", t.id()),
        }
    }
}

impl WaiterRef {
    #[inline]
    fn sel(&self) -> &AtomicUsize {
        match self {
            WaiterRef::Thread(t) => &t.sel,
            #[cfg(not(loom))]
            WaiterRef::Task(t) => t.sel(),
        }
    }

    /// An identity for "is this the same waiter", used so a select never pairs with itself.
    #[inline]
    pub(crate) fn id(&self) -> usize {
        match self {
            WaiterRef::Thread(t) => Arc::as_ptr(t) as usize,
            #[cfg(not(loom))]
            WaiterRef::Task(t) => Arc::as_ptr(t) as usize,
        }
    }

    /// Claims this waiter for `s`. Exactly one claim from `WAITING` succeeds.
    #[inline]
    pub(crate) fn try_select(&self, s: Selected) -> Result<(), Selected> {
        self.sel()
            .compare_exchange(WAITING, s.encode(), Ordering::AcqRel, Ordering::Acquire)
            .map(|_| ())
            .map_err(Selected::decode)
    }

    /// True if this is a goroutine killed by the drop of its runtime: its registrations will
    /// never be unregistered by their owner, and may be dropped by whoever finds them.
    #[inline]
    pub(crate) fn is_dead(&self) -> bool {
        #[cfg(not(loom))]
        return self.sel().load(Ordering::Relaxed) == DEAD;
        #[cfg(loom)]
        false
    }

    #[inline]
    pub(crate) fn selected(&self) -> Selected {
        Selected::decode(self.sel().load(Ordering::Acquire))
    }

    /// Wakes the waiter. Call after a successful `try_select` (and after any value transfer).
    /// Consumes the handle: a goroutine's reference moves straight into its run queue.
    #[inline]
    pub(crate) fn unpark(self) {
        match self {
            #[cfg(not(loom))]
            WaiterRef::Thread(t) => {
                if t.sleeping.load(Ordering::Relaxed) {
                    t.woken_at.store(crate::spin::stamp(), Ordering::Relaxed);
                    let _ = WOKE_A_SLEEPER.try_with(|w| w.set(true));
                }
                t.thread.unpark();
            }
            #[cfg(loom)]
            WaiterRef::Thread(t) => t.parker.unpark(),
            #[cfg(not(loom))]
            WaiterRef::Task(t) => t.unpark(),
        }
    }

    /// Blocks until the selection word leaves `WAITING` and returns it. Must be called by the
    /// waiter's own thread or goroutine.
    #[inline]
    pub(crate) fn wait(&self, reason: BlockReason, site: &'static Location<'static>) -> Selected {
        #[cfg(not(loom))]
        if let WaiterRef::Thread(t) = self {
            return self.wait_thread(t, reason, site);
        }
        self.park_until_selected(reason, site)
    }

    /// [`wait`](WaiterRef::wait) for a thread. Out of line: a goroutine's wait, on every
    /// hop, then goes straight to its park, where one function for both saved and restored
    /// six registers around the check of which it was (14 instructions a park).
    #[cfg(not(loom))]
    #[inline(never)]
    fn wait_thread(
        &self,
        t: &ThreadWaiter,
        reason: BlockReason,
        site: &'static Location<'static>,
    ) -> Selected {
        // A thread spins briefly first: a counterparty on another core often answers within
        // microseconds, and a futex sleep and wake-up costs tens of them. The spin is bounded
        // and adapts to how well it does (see `spin.rs`), so a busy machine makes it park at
        // once. (A goroutine never spins: its worker has other goroutines to run.)
        //
        // Only while a core is free of gocsp's awake workers (Go spins only while a P is
        // idle): with a worker awake on every core, the spin and the yield after it take a
        // core from a worker, often the one running the goroutine that will answer. Measured:
        // a worker pool fed and drained by the main thread, 8 members on 2 workers, 400 jobs
        // of 0.37 ms: 2.3-3.9% slower than from a goroutine with the spin, -3.2% to +1.8%
        // without (three interleaved pairs each).
        let partner_slept = WOKE_A_SLEEPER
            .try_with(|w| w.replace(false))
            .unwrap_or(false);
        let may_spin = crate::sched::deadlock::workers_awake() < crate::spin::cores();
        #[cfg(test)]
        if !may_spin {
            let _ = SPINS_SKIPPED.try_with(|n| n.set(n.get() + 1));
        }
        let poll = || Some(self.selected()).filter(|s| *s != Selected::Waiting);
        let spun = if may_spin {
            THREAD_SPIN.try_with(|b| (b.spin(THREAD_POLL_EVERY, poll), b.spins()))
        } else {
            Ok((poll(), false))
        };
        match spun {
            Ok((Some(s), _)) => return s,
            // While spinning pays, one yield before the futex (Go's "passive spin"): a
            // counterparty waiting for a core on this one runs now. Not once the budget
            // is spent: on a busy machine a yield hands the core to whoever competes.
            Ok((None, true)) => {
                std::thread::yield_now();
                let s = self.selected();
                if s != Selected::Waiting {
                    return s;
                }
            }
            _ => {}
        }
        let slept_at = crate::spin::stamp();
        t.sleeping.store(true, Ordering::Relaxed);
        let s = self.park_until_selected(reason, site);
        t.sleeping.store(false, Ordering::Relaxed);
        // A sleep that no spin came before says nothing of how long a spin should be.
        if may_spin {
            let answered =
                crate::spin::answered_after(slept_at, t.woken_at.load(Ordering::Relaxed));
            let _ = THREAD_SPIN.try_with(|b| b.slept(answered, partner_slept));
        }
        s
    }

    #[inline]
    fn park_until_selected(
        &self,
        reason: BlockReason,
        site: &'static Location<'static>,
    ) -> Selected {
        loop {
            let s = self.selected();
            if s != Selected::Waiting {
                return s;
            }
            match self {
                #[cfg(not(loom))]
                WaiterRef::Thread(_) => {
                    park_thread(reason, site, &|| self.selected() == Selected::Waiting)
                }
                #[cfg(loom)]
                WaiterRef::Thread(t) => {
                    let _ = (reason, site);
                    t.parker.park()
                }
                #[cfg(not(loom))]
                WaiterRef::Task(t) => t.park_current(reason, site),
            }
        }
    }
}

/// A waiter was woken with a selection that names none of its operations: a broken protocol,
/// never a user's mistake. Aborts rather than panics: unwinding would leave the call's
/// registrations pointing into its frames, and a goroutine that caught the panic and blocked
/// again would make them claimable.
#[cold]
pub(crate) fn protocol_violation(what: std::fmt::Arguments<'_>) -> ! {
    eprintln!("fatal error: gocsp: {what}");
    std::process::abort()
}

/// Aborts with a message ("unwinding out of {what} {why}", through `protocol_violation`) if
/// dropped, which only unwinding does: the window it guards ends with `done`, which forgets it.
/// For windows that a panic must never leave, where unwinding would leave a registration or
/// an address behind for another thread to use.
#[must_use]
pub(crate) struct AbortOnUnwind {
    what: &'static str,
    why: &'static str,
}

impl AbortOnUnwind {
    #[inline]
    pub(crate) fn new(what: &'static str, why: &'static str) -> Self {
        AbortOnUnwind { what, why }
    }

    /// The window is over.
    #[inline]
    pub(crate) fn done(self) {
        std::mem::forget(self);
    }
}

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        protocol_violation(format_args!("unwinding out of {} {}", self.what, self.why))
    }
}

/// Held while a packet on the caller's stack is registered with a channel, from registering
/// until the hand-off is over or the packet is unregistered: a counterparty may write through
/// the packet's address all that time, so unwinding out of the window would free the packet
/// under it. Nothing in the window panics; in debug builds (the tests) this is an
/// [`AbortOnUnwind`], which turns a future mistake there into an abort with a message instead
/// of a use-after-free. Release builds leave it out: its landing pads cost ping-pong and
/// unbuffered 4x4 10-15%.
#[must_use]
pub(crate) struct NoUnwind {
    #[cfg(debug_assertions)]
    guard: AbortOnUnwind,
}

impl NoUnwind {
    #[inline]
    pub(crate) fn new(what: &'static str) -> Self {
        #[cfg(not(debug_assertions))]
        let _ = what;
        NoUnwind {
            #[cfg(debug_assertions)]
            guard: AbortOnUnwind::new(what, "while a channel may still use its packet"),
        }
    }

    /// The window is over.
    #[inline]
    pub(crate) fn done(self) {
        #[cfg(debug_assertions)]
        self.guard.done();
    }
}

/// The longest a blocked thread spins before it parks, and how often it looks at its
/// selection word meanwhile (a load of a line only its waker writes, so looking often costs
/// the waker nothing: 400 ns -> 100 ns took a main thread's round trip with a goroutine from
/// 1.9-2.0 us to 0.52-0.56 us, with idle workers looking for work every 200 ns too).
#[cfg(not(loom))]
const THREAD_SPIN_MAX: std::time::Duration = std::time::Duration::from_micros(20);
#[cfg(not(loom))]
const THREAD_POLL_EVERY: std::time::Duration = std::time::Duration::from_nanos(100);

#[cfg(not(loom))]
std::thread_local! {
    /// This thread's spin budget (see `spin.rs`).
    static THREAD_SPIN: crate::spin::SpinBudget =
        const { crate::spin::SpinBudget::new(THREAD_SPIN_MAX) };
    /// This thread woke a sleeping thread since it last waited.
    static WOKE_A_SLEEPER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(all(test, not(loom)))]
std::thread_local! {
    /// Waits of this thread that went without a spin because every core had an awake worker.
    static SPINS_SKIPPED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

#[cfg(not(loom))]
fn park_thread(reason: BlockReason, site: &'static Location<'static>, waiting: &dyn Fn() -> bool) {
    crate::sched::deadlock::park_thread(reason, site, waiting);
}

#[cfg(not(loom))]
std::thread_local! {
    static THREAD_WAITER: std::cell::Cell<Option<Arc<ThreadWaiter>>> =
        const { std::cell::Cell::new(None) };
}

/// Runs `f` with the current thread's or goroutine's waiter, its selection reset to `WAITING`.
///
/// `f` registers the waiter where it needs to and then calls [`WaiterRef::wait`].
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(&WaiterRef) -> R) -> R {
    #[cfg(not(loom))]
    {
        // One call of `f`, for either kind of waiter: with a call in each branch, the
        // compiler kept `f` out of line, and a goroutine's channel operation paid a call and a
        // frame more at every park (ping-pong: 40 instructions a round trip). Both kinds are
        // `ManuallyDrop`: a goroutine's reference count is not ours, and a thread's waiter
        // goes back to the thread's cache after `f` (were `f` to unwind, it would be leaked,
        // not freed, and the thread would make a new one).
        let task = crate::sched::current_task_ptr();
        let w = if !task.is_null() {
            // SAFETY: `task` is `Arc::as_ptr` of this goroutine's `Arc<Task>`, and `f` runs
            // inside the goroutine, so the pointer is from an `Arc` and live for the whole call:
            // while it runs the worker holds a reference, and while it is parked in `f` (the
            // worker has dropped its own) the registry's entry, removed only after the
            // coroutine returns, and any waker's clone keep it. `ManuallyDrop` keeps us from
            // dropping a reference count we never took; clones made by `f` take their own.
            let w = std::mem::ManuallyDrop::new(WaiterRef::Task(unsafe { Arc::from_raw(task) }));
            if let WaiterRef::Task(t) = &*w {
                t.reset_for_wait();
            }
            w
        } else {
            let cached = THREAD_WAITER.try_with(|c| c.take()).ok().flatten();
            let w = cached.unwrap_or_else(ThreadWaiter::new);
            w.sel.store(WAITING, Ordering::Release);
            std::mem::ManuallyDrop::new(WaiterRef::Thread(w))
        };
        let r = f(&w);
        if matches!(*w, WaiterRef::Thread(_))
            && let WaiterRef::Thread(w) = std::mem::ManuallyDrop::into_inner(w)
        {
            let _ = THREAD_WAITER.try_with(|c| c.set(Some(w)));
        }
        r
    }
    #[cfg(loom)]
    {
        f(&WaiterRef::Thread(ThreadWaiter::new()))
    }
}

/// Blocks the current thread or goroutine forever (a nil channel operation, `select! {}`).
#[track_caller]
pub(crate) fn block_forever(reason: BlockReason) -> ! {
    block_forever_at(reason, Location::caller())
}

/// [`block_forever`] with an explicit blocking site.
pub(crate) fn block_forever_at(reason: BlockReason, site: &'static Location<'static>) -> ! {
    with_current(|w| {
        loop {
            w.wait(reason, site);
        }
    })
}

#[cfg(all(test, debug_assertions, not(loom), not(miri)))]
mod no_unwind_tests {
    use super::NoUnwind;

    /// Unwinding through an open window aborts with a message (run in a child process: the
    /// abort ends it).
    #[test]
    fn unwinding_out_of_an_open_window_aborts() {
        const CHILD: &str = "GOCSP_TEST_NO_UNWIND_CHILD";
        if std::env::var_os(CHILD).is_some() {
            let _ = std::panic::catch_unwind(|| {
                let _window = NoUnwind::new("a test window");
                panic!("inside the window");
            });
            return;
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "--nocapture",
                "waiter::no_unwind_tests::unwinding_out_of_an_open_window_aborts",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "the child survived: {stderr}");
        assert!(
            stderr.contains(
                "unwinding out of a test window while a channel may still use its packet"
            ),
            "{stderr}"
        );
        // A window closed normally does nothing.
        NoUnwind::new("a closed window").done();
    }
}

#[cfg(all(test, not(loom)))]
mod thread_tests {
    use super::*;

    /// A thread that wakes a sleeping thread remembers it for its own next wait (whose sleep, if
    /// it has one, then counts the spin before it: `SpinBudget::slept`), and that wait forgets
    /// it; waking a thread that spins is not remembered.
    #[test]
    fn waking_a_sleeping_thread_is_remembered_until_the_next_wait() {
        let woke = || WOKE_A_SLEEPER.with(std::cell::Cell::get);
        let spinning = ThreadWaiter::new();
        WaiterRef::Thread(spinning.clone()).unpark();
        assert!(!woke(), "the partner was not asleep");
        assert_eq!(spinning.woken_at.load(Ordering::Relaxed), 0);

        let asleep = ThreadWaiter::new();
        asleep.sleeping.store(true, Ordering::Relaxed);
        WaiterRef::Thread(asleep.clone()).unpark();
        assert!(woke());
        assert!(asleep.woken_at.load(Ordering::Relaxed) > 0, "no stamp");

        // The next wait (answered at once here) reads and clears the mark.
        let me = WaiterRef::Thread(ThreadWaiter::new());
        assert!(me.try_select(Selected::Operation(8)).is_ok());
        assert_eq!(
            me.wait(BlockReason::ChanRecv, Location::caller()),
            Selected::Operation(8)
        );
        assert!(!woke(), "the wait left the mark");
    }
}

/// A blocked thread beside gocsp's workers (goroutines here: not under Miri).
#[cfg(all(test, not(loom), not(miri)))]
mod busy_cores_tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    /// With a worker running a goroutine on every core, a blocked thread parks without a
    /// spin: the spin would take a core from one of them.
    #[test]
    fn a_thread_does_not_spin_while_workers_hold_every_core() {
        let cores = crate::spin::cores();
        let rt = crate::Runtime::builder().workers(cores).build().unwrap();
        /// Lets the busy goroutines end however the test does (the runtime's drop waits for
        /// its workers).
        struct Stop(Arc<AtomicBool>);
        impl Drop for Stop {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let running = Arc::new(AtomicUsize::new(0));
        // One CPU-bound goroutine per worker (a burst of long runners is dealt out, and
        // each holds its worker until `stop`).
        for _ in 0..cores {
            let (stop, running) = (stop.clone(), running.clone());
            rt.spawn(move || {
                running.fetch_add(1, Ordering::SeqCst);
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            });
        }
        let stopper = Stop(stop.clone());
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while crate::sched::deadlock::workers_awake() < cores
            || running.load(Ordering::SeqCst) < cores
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the busy goroutines never held every worker: {} of {cores} running",
                running.load(Ordering::SeqCst)
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        // A wait that another thread completes 5 ms later (a channel's receiver would wait
        // so; the channels live a layer above this one).
        let before = SPINS_SKIPPED.with(std::cell::Cell::get);
        let me = WaiterRef::Thread(ThreadWaiter::new());
        let other = me.clone();
        let completer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            assert!(other.try_select(Selected::Operation(8)).is_ok());
            other.unpark();
        });
        assert_eq!(
            me.wait(BlockReason::ChanRecv, Location::caller()),
            Selected::Operation(8)
        );
        completer.join().unwrap();
        let skipped = SPINS_SKIPPED.with(std::cell::Cell::get) - before;
        drop(stopper);
        assert_eq!(skipped, 1, "the wait spun with every core held by a worker");
    }
}
