//! The scheduler's side of the netpoller: workers take I/O readiness themselves, as Go's and
//! tokio's do, instead of a thread that the kernel wakes for every packet and that wakes a
//! worker in turn.
//!
//! The netpoller (`net/poller.rs`) lives in a higher layer; it installs its functions here
//! when the first socket is made ([`install`]), and until then none of this costs more than a
//! load. Then:
//!
//! - a worker about to sleep first polls without blocking; if it finds nothing, one sleeping
//!   worker at a time (the *owner*) sleeps in `epoll_wait` instead of on its futex, so an event
//!   wakes a worker directly, and the goroutines it readies for that worker run without a
//!   further wake-up. Waking the owner for other work interrupts its `epoll_wait`
//!   ([`interrupt_if_owner`]), and the owner, leaving, nudges another sleeper to take the
//!   wait over (`RtShared::nudge_sleeper`);
//! - a worker polls without blocking when it runs out of goroutines, between spins, and every
//!   `GLOBAL_CHECK` ticks once the last poll is older than [`STALE_BUSY`]; sysmon polls once it
//!   is older than [`STALE_IDLE`] (a worker busy with one goroutine that long would otherwise
//!   hold up every socket);
//! - the `gocsp-netpoll` thread waits in `epoll_wait` only while no worker is alive
//!   ([`live_workers`]): for sockets used from plain threads before any runtime starts, or
//!   after every runtime has shut down.

use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// How old the last poll may get while workers are busy before a worker polls between
/// goroutines (a system call every `GLOBAL_CHECK` ticks would cost a channel-heavy program a
/// few percent).
pub(super) const STALE_BUSY: Duration = Duration::from_micros(200);
/// How old the last poll may get before sysmon polls (Go's sysmon: 10 ms).
pub(super) const STALE_IDLE: Duration = Duration::from_millis(10);

/// What the netpoller provides.
pub(crate) struct IoHooks {
    /// Takes the I/O events that are ready, without blocking, and wakes their waiters; true
    /// if there were any.
    pub(crate) poll: fn() -> bool,
    /// Like `poll`, but waits for an event or for `interrupt`, or for at most the given
    /// number of milliseconds (-1: no limit).
    pub(crate) wait: fn(i32) -> bool,
    /// Ends a `wait` in progress, or the next one if none is.
    pub(crate) interrupt: fn(),
    /// The last live worker exited: the netpoller's own thread must take over.
    pub(crate) no_workers: fn(),
}

static HOOKS: OnceLock<IoHooks> = OnceLock::new();
/// Who waits in `wait`: a sleeping worker (its `WorkerShared` address), the netpoll thread
/// (`THREAD`), or nobody (0).
static OWNER: AtomicUsize = AtomicUsize::new(0);
const THREAD: usize = 1;
/// Workers of every runtime that are running (started and not shut down).
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// When the last poll started (a `spin::stamp`); `WAITING` while someone waits
/// for I/O in the kernel (then nobody needs to poll for staleness: Go's `lastpoll = 0`).
static LAST_POLL: AtomicU64 = AtomicU64::new(0);
const WAITING: u64 = u64::MAX;

/// Installs the netpoller's hooks (once; later calls change nothing). Workers that went to
/// sleep before could not take the I/O wait: one per runtime is nudged to.
pub(crate) fn install(hooks: IoHooks) {
    if HOOKS.set(hooks).is_ok() {
        for rt in super::runtime::live_runtimes() {
            rt.nudge_sleeper(None);
        }
    }
}

/// Workers of every runtime that are running.
pub(crate) fn live_workers() -> usize {
    LIVE.load(Ordering::SeqCst)
}

/// Whether a netpoller exists.
#[inline]
pub(super) fn active() -> bool {
    HOOKS.get().is_some()
}

std::thread_local! {
    /// This thread is waking the goroutines of I/O events it took.
    static DISPATCHING: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is waking goroutines for I/O events. A worker then queues its own in
/// its inbox, behind the others that I/O readied for it (possibly by another worker's poll),
/// instead of in its `runnext` ahead of them all: the goroutines of a busy server are served
/// in the order their I/O came in (measured, `runnext` for them: p99 latency at 10,000 echo
/// connections 440-480 ms, against 260-280 ms with the old netpoll thread).
#[inline]
pub(super) fn dispatching() -> bool {
    HOOKS.get().is_some() && DISPATCHING.with(Cell::get)
}

/// Runs a poll hook with `DISPATCHING` set (cleared however it ends).
fn dispatch(f: impl FnOnce() -> bool) -> bool {
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            DISPATCHING.with(|d| d.set(false));
        }
    }
    DISPATCHING.with(|d| d.set(true));
    let _clear = Clear;
    f()
}

/// Polls for I/O without blocking if a netpoller exists; true if events came.
#[inline]
pub(super) fn poll() -> bool {
    match HOOKS.get() {
        Some(h) => {
            LAST_POLL.store(crate::spin::stamp(), Ordering::Relaxed);
            dispatch(h.poll)
        }
        None => false,
    }
}

/// Like [`poll`], only if the last poll is older than `age`.
#[inline]
pub(super) fn poll_if_stale(age: Duration) -> bool {
    if HOOKS.get().is_none() {
        return false;
    }
    let last = LAST_POLL.load(Ordering::Relaxed);
    if last == WAITING || crate::spin::stamp().saturating_sub(last) < age.as_nanos() as u64 {
        return false;
    }
    poll()
}

/// Makes the sleeping worker `me` the owner if there is none; then [`wait`] may be called.
pub(super) fn try_own(me: usize) -> bool {
    HOOKS.get().is_some()
        && OWNER
            .compare_exchange(0, me, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
}

/// The owner stops owning.
pub(super) fn disown(me: usize) {
    let _ = OWNER.compare_exchange(me, 0, Ordering::SeqCst, Ordering::SeqCst);
}

/// The owner waits for I/O (or [`interrupt_if_owner`]), for at most `timeout` (its next
/// timer); true if events came.
pub(super) fn wait(timeout: Option<Duration>) -> bool {
    match HOOKS.get() {
        Some(h) => {
            // Whole milliseconds, rounded up (a timer is never fired early; Go's netpoll
            // rounds the same way).
            let ms = timeout.map_or(-1, |t| {
                i32::try_from(t.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX)
            });
            LAST_POLL.store(WAITING, Ordering::Relaxed);
            let wait = h.wait;
            let got = dispatch(|| wait(ms));
            LAST_POLL.store(crate::spin::stamp(), Ordering::Relaxed);
            got
        }
        None => false,
    }
}

/// Interrupts the owner's wait if `worker` is the owner. Called after the worker's `sleeping`
/// flag was cleared: the owner checks that flag after taking ownership and before waiting, and
/// both sides use sequentially consistent operations, so either it sees the flag cleared or
/// this sees it as the owner.
#[inline]
pub(super) fn interrupt_if_owner(worker: usize) {
    if OWNER.load(Ordering::SeqCst) == worker
        && let Some(h) = HOOKS.get()
    {
        (h.interrupt)();
    }
}

/// The netpoll thread takes the wait if no worker runs. It checks `LIVE` again after taking
/// ownership: a worker that started in between either saw it as the owner and interrupts it
/// (`worker_started`), or started before this check and is seen here.
pub(crate) fn own_for_thread() -> bool {
    if OWNER
        .compare_exchange(0, THREAD, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return false;
    }
    if LIVE.load(Ordering::SeqCst) > 0 {
        disown(THREAD);
        return false;
    }
    true
}

/// The netpoll thread gives the wait up.
pub(crate) fn disown_thread() {
    disown(THREAD);
}

/// A worker started: if the netpoll thread waits for I/O, it stands back for the workers.
pub(super) fn worker_started() {
    if LIVE.fetch_add(1, Ordering::SeqCst) == 0 {
        interrupt_if_owner(THREAD);
    }
}

/// A worker exited.
pub(super) fn worker_stopped() {
    if LIVE.fetch_sub(1, Ordering::SeqCst) == 1
        && let Some(h) = HOOKS.get()
    {
        (h.no_workers)();
    }
}
