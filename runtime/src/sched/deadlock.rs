//! "fatal error: all goroutines are asleep - deadlock!"
//!
//! Go can see every goroutine, so it knows when none can ever run again. A Rust process can
//! have threads gocsp has never seen, holding a channel they will send on later, so gocsp only
//! judges when it can know. The rule (documented in the crate docs):
//!
//! 1. the process's **main thread** is blocked in a gocsp operation, or waits for the **main
//!    goroutine** (`#[gocsp::main]`: then the main goroutine is asleep like every other);
//! 2. every worker of every runtime is asleep with nothing queued;
//! 3. no timer is pending (a sleeping goroutine, a ticker, a context deadline will wake
//!    something) and no [`blocking`](crate::blocking) call is in flight;
//! 4. the process has no thread besides main and gocsp's own (on Linux, `/proc/self/task`);
//! 5. all of the above held at two checks `CHECK_EVERY` apart, with no worker waking in between
//!    (the `EPOCH` counter), so a wake-up in flight is never mistaken for a deadlock.
//!
//! The blocked main thread does the checking itself: it parks with a timeout and looks again
//! each time. `GOCSP_DEADLOCK_DETECT=0` switches the check off. Platforms other than Linux
//! never judge (rule 4 cannot be checked).

use std::panic::Location;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use crate::block::BlockReason;

const CHECK_EVERY: Duration = Duration::from_millis(100);

/// Worker threads alive (all runtimes) and how many of them are asleep.
static WORKERS: AtomicUsize = AtomicUsize::new(0);
static SLEEPING: AtomicUsize = AtomicUsize::new(0);
/// Threads gocsp started (workers, the timer thread, blocking helpers).
static OWN_THREADS: AtomicUsize = AtomicUsize::new(0);
/// In-flight `blocking` calls. (Pending timers are counted per timer heap: `timers::counts`.)
static BLOCKING: AtomicUsize = AtomicUsize::new(0);
/// Bumped whenever a worker wakes up.
static EPOCH: AtomicU64 = AtomicU64::new(0);

/// Where the main thread is blocked (for the report).
static MAIN_REASON: AtomicU8 = AtomicU8::new(0);
static MAIN_SITE: AtomicPtr<Location<'static>> = AtomicPtr::new(std::ptr::null_mut());
/// The main goroutine's id (`#[gocsp::main]`), or 0.
static MAIN_GOROUTINE: AtomicU64 = AtomicU64::new(0);

/// Records the main goroutine (`#[gocsp::main]`); the main thread then waits for it with
/// `BlockReason::MainGoroutine`.
pub(crate) fn main_goroutine(id: u64) {
    MAIN_GOROUTINE.store(id, Ordering::Relaxed);
}

pub(crate) fn worker_started() {
    WORKERS.fetch_add(1, Ordering::SeqCst);
}

pub(crate) fn worker_exited() {
    WORKERS.fetch_sub(1, Ordering::SeqCst);
}

/// Worker threads awake now, in every runtime: running goroutines or looking for some. Each
/// holds a core while it is awake, which is what a blocked thread's spin asks about
/// (`WaiterRef::wait`).
pub(crate) fn workers_awake() -> usize {
    WORKERS
        .load(Ordering::Relaxed)
        .saturating_sub(SLEEPING.load(Ordering::Relaxed))
}

pub(crate) fn worker_sleeping(asleep: bool) {
    if asleep {
        SLEEPING.fetch_add(1, Ordering::SeqCst);
    } else {
        SLEEPING.fetch_sub(1, Ordering::SeqCst);
        EPOCH.fetch_add(1, Ordering::SeqCst);
    }
}

/// Counts a thread gocsp owns for as long as the guard lives (create it inside the thread).
pub(crate) struct OwnThread(());

impl OwnThread {
    pub(crate) fn enter() -> OwnThread {
        OWN_THREADS.fetch_add(1, Ordering::SeqCst);
        OwnThread(())
    }
}

impl Drop for OwnThread {
    fn drop(&mut self) {
        OWN_THREADS.fetch_sub(1, Ordering::SeqCst);
    }
}

pub(crate) fn blocking_changed(start: bool) {
    if start {
        BLOCKING.fetch_add(1, Ordering::SeqCst);
    } else {
        BLOCKING.fetch_sub(1, Ordering::SeqCst);
        EPOCH.fetch_add(1, Ordering::SeqCst);
    }
}

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        cfg!(target_os = "linux")
            && !matches!(
                std::env::var("GOCSP_DEADLOCK_DETECT").as_deref(),
                Ok("0" | "off" | "false" | "no")
            )
    })
}

/// Whether the calling thread is the process's main thread. Asked at every park of a plain
/// thread, so answered once per thread (two system calls each time took a main thread woken
/// by a worker pool's results 0.2% of the pool's CPU time).
fn is_main_thread() -> bool {
    #[cfg(target_os = "linux")]
    {
        std::thread_local! {
            // SAFETY: plain system calls without arguments.
            static IS_MAIN: bool = unsafe { libc::gettid() == libc::getpid() };
        }
        IS_MAIN.try_with(|m| *m).unwrap_or(false)
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// Parks the calling (non-goroutine) thread once; called in a loop by `WaiterRef::wait`.
/// `still_waiting` tells whether the blocked operation is still incomplete.
pub(crate) fn park_thread(
    reason: BlockReason,
    site: &'static Location<'static>,
    still_waiting: &dyn Fn() -> bool,
) {
    if !enabled() || !is_main_thread() {
        std::thread::park();
        return;
    }
    MAIN_REASON.store(reason as u8, Ordering::Relaxed);
    MAIN_SITE.store(site as *const _ as *mut _, Ordering::Relaxed);
    let before = quiescent_epoch();
    std::thread::park_timeout(CHECK_EVERY);
    // Order matters: first make sure no foreign thread exists now (whatever one did before it
    // exited is visible below), then that nothing gocsp owns woke since `before`, and last
    // that the main thread's own operation is still incomplete.
    if let Some(epoch) = before
        && only_own_threads()
        && quiescent_epoch() == Some(epoch)
        && still_waiting()
    {
        report();
    }
}

/// The current epoch if nothing can run now (rules 2 and 3), else `None`.
fn quiescent_epoch() -> Option<u64> {
    // Workers waking and timers firing or being cancelled move the epoch on. One sum over
    // the timer heaps gives both the pending count and the first look at the epoch.
    let epoch = |timers_left: u64| EPOCH.load(Ordering::SeqCst).wrapping_add(timers_left);
    let (pending, left) = super::timers::counts();
    let before = epoch(left);
    let asleep = SLEEPING.load(Ordering::SeqCst) == WORKERS.load(Ordering::SeqCst);
    let idle = pending == 0 && BLOCKING.load(Ordering::SeqCst) == 0;
    // The queue scan takes a lock: only when the cheap checks already say "quiescent" (the
    // main thread runs this each time it parks).
    let quiet = asleep && idle && !super::runtime::any_queued();
    (quiet && epoch(super::timers::counts().1) == before).then_some(before)
}

fn only_own_threads() -> bool {
    match std::fs::read_dir("/proc/self/task") {
        Ok(d) => d.count() == 1 + OWN_THREADS.load(Ordering::SeqCst),
        Err(_) => false,
    }
}

#[cold]
fn report() -> ! {
    use std::fmt::Write;
    let mut out = String::from("fatal error: all goroutines are asleep - deadlock!\n");
    let reason = BlockReason::from_u8(MAIN_REASON.load(Ordering::Relaxed));
    let main = MAIN_GOROUTINE.load(Ordering::Relaxed);
    if reason != Some(BlockReason::MainGoroutine) {
        let site = MAIN_SITE.load(Ordering::Relaxed);
        // SAFETY: `MAIN_SITE` only holds null or a `&'static Location`.
        let site = unsafe { site.as_ref() };
        let _ = writeln!(
            out,
            "\nmain thread [{}]:",
            reason.map_or_else(|| "blocked".to_string(), |r| r.to_string())
        );
        if let Some(site) = site {
            let _ = writeln!(out, "\tblocked at {site}");
        }
    }
    // The main goroutine first, as in Go's report (where it is goroutine 1).
    let mut all = super::registry::snapshot(None);
    all.sort_by_key(|g| (g.id != main, g.id));
    for g in all {
        let _ = write!(out, "\n{g}\n");
    }
    super::report(&out);
    super::exit(2)
}
