//! `blocking(f)`: run a thread-blocking call on a helper thread while the goroutine parks.
//!
//! Helper threads are started on demand, reused, and exit after `IDLE_EXIT` without work. A
//! call from a plain thread simply runs `f` there.
//!
//! # Every job has a thread
//!
//! A submitted job either claims one idle helper or starts a new helper that runs it first, so
//! jobs never wait behind one another (two calls may wait for each other: one receives what
//! the other sends). The pool's counters, under its lock:
//!
//! - `idle`: helpers waiting for work that no submitter has claimed yet;
//! - `claimed`: wake-ups owed to claimed helpers that have not yet taken them.
//!
//! A submitter that finds `idle > 0` moves one from `idle` to `claimed`, queues its job and
//! notifies. A helper that wakes takes a claim if there is one (any helper may take any
//! claim: jobs are interchangeable), else it was not claimed and leaves `idle` itself; either
//! way it then looks at the queue. Only claimed jobs are queued, so `jobs.len() <= claimed`
//! whenever the lock is free, and a helper that finds no claim and times out leaves no job
//! behind.
//!
//! # Nothing outlives the call
//!
//! The job borrows the caller's frame (its result slot, `f`'s captures), so it must be done
//! with that frame before `blocking` returns or unwinds:
//! - a new helper gets the job handed to it at start, so when it cannot be started the job is
//!   gone, never run, before the caller panics; nothing was queued;
//! - a panic in `f` is caught on the helper and handed back as the result;
//! - should anything unwind the caller while the job is out (nothing does today: a parked
//!   goroutine is never unwound), [`AwaitJob`] holds the frame until the job is done with it.

use std::collections::VecDeque;
use std::io;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use crate::sched::deadlock;
use crate::waiter::{self, BlockReason, Selected, WaiterRef};

const IDLE_EXIT: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Pool {
    state: Mutex<PoolState>,
    cond: Condvar,
}

struct PoolState {
    /// Jobs of submitters that claimed an idle helper.
    jobs: VecDeque<Job>,
    /// Helpers waiting for work, not claimed.
    idle: usize,
    /// Claims not yet taken by a woken helper.
    claimed: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(PoolState {
            jobs: VecDeque::new(),
            idle: 0,
            claimed: 0,
        }),
        cond: Condvar::new(),
    })
}

fn lock(p: &Pool) -> MutexGuard<'_, PoolState> {
    p.state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Gives `job` a thread: an idle helper, or a new one that runs it first. When no helper can
/// be started, the job is gone without having run (dropped here) and nothing is queued.
fn submit(job: Job) -> io::Result<()> {
    let p = pool();
    let mut st = lock(p);
    if st.idle > 0 {
        st.idle -= 1;
        st.claimed += 1;
        st.jobs.push_back(job);
        drop(st);
        p.cond.notify_one();
        return Ok(());
    }
    drop(st);
    start_thread("gocsp-blocking", move || helper(job))
}

fn helper(first: Job) {
    let _own = deadlock::OwnThread::enter();
    first();
    let p = pool();
    let mut st = lock(p);
    loop {
        if let Some(job) = st.jobs.pop_front() {
            drop(st);
            job();
            st = lock(p);
            continue;
        }
        st.idle += 1;
        let (guard, timeout) = p
            .cond
            .wait_timeout(st, IDLE_EXIT)
            .unwrap_or_else(|e| e.into_inner());
        st = guard;
        if st.claimed > 0 {
            // A submitter counted on an idle helper: this one answers (the job is queued).
            st.claimed -= 1;
            continue;
        }
        st.idle -= 1;
        if timeout.timed_out() {
            debug_assert!(st.jobs.is_empty(), "a queued job without a claim");
            return;
        }
    }
}

/// Starts one of gocsp's own threads (`gocsp-blocking`, `gocsp-timer`) running `f`. On error
/// `f` never runs.
///
/// Test hook: `GOCSP_TEST_FAIL_THREAD_START` (read once) lists start attempts to refuse as if
/// the OS had, as `name:attempt` pairs counted per name from 1: `gocsp-blocking:2,gocsp-timer:1`
/// refuses the second helper start and the first timer-thread start. It exists for the tests
/// of these failures, which nothing else provokes reliably (a root process ignores
/// `RLIMIT_NPROC`).
pub(crate) fn start_thread<F>(name: &'static str, f: F) -> io::Result<()>
where
    F: FnOnce() + Send + 'static,
{
    if refused_by_test_hook(name) {
        drop(f);
        return Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!("start of {name} refused by GOCSP_TEST_FAIL_THREAD_START"),
        ));
    }
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map(drop)
}

/// The `GOCSP_TEST_FAIL_THREAD_START` hook: counts this start attempt of `name` and says
/// whether to refuse it.
fn refused_by_test_hook(name: &'static str) -> bool {
    struct Hook {
        refuse: Vec<(String, u64)>,
        attempts: Mutex<Vec<(&'static str, u64)>>,
    }
    static HOOK: OnceLock<Option<Hook>> = OnceLock::new();
    let hook = HOOK.get_or_init(|| {
        let v = std::env::var("GOCSP_TEST_FAIL_THREAD_START").ok()?;
        let refuse = v
            .split(',')
            .filter_map(|p| {
                let (n, k) = p.trim().rsplit_once(':')?;
                Some((n.to_string(), k.parse().ok()?))
            })
            .collect();
        Some(Hook {
            refuse,
            attempts: Mutex::new(Vec::new()),
        })
    });
    let Some(hook) = hook else {
        return false;
    };
    let mut attempts = hook.attempts.lock().unwrap_or_else(|e| e.into_inner());
    let attempt = match attempts.iter_mut().find(|(n, _)| *n == name) {
        Some((_, k)) => {
            *k += 1;
            *k
        }
        None => {
            attempts.push((name, 1));
            1
        }
    };
    hook.refuse.iter().any(|(n, k)| n == name && *k == attempt)
}

/// Holds the caller's frame until the job is done with it: dropped at the end of a call, when
/// the job has already selected the waiter, and on any unwinding out of the wait, when it
/// waits for that selection. The job makes its last access to the frame before it selects.
struct AwaitJob<'a> {
    w: &'a WaiterRef,
    oper: usize,
}

impl Drop for AwaitJob<'_> {
    fn drop(&mut self) {
        let mut pause = Duration::from_micros(10);
        while self.w.selected() != Selected::Operation(self.oper) {
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(1));
        }
    }
}

/// Runs `f`, which may block its thread (a `std` lock, blocking I/O, `thread::sleep`, a C
/// library call), without stalling other goroutines: inside a goroutine, `f` runs on a helper
/// thread while the goroutine parks; on a plain thread, `f` simply runs there.
///
/// `f` may borrow from the caller: the caller does not continue until `f` has returned. A
/// panic in `f` is resumed in the caller.
///
/// # Panics
/// "gocsp: cannot start a blocking-call helper thread: ..." when every helper is busy and the
/// OS refuses a new thread; `f` is then dropped without running, and a later call tries again.
///
/// ```
/// use std::time::Duration;
///
/// let h = gocsp::spawn(|| {
///     let data = vec![1, 2, 3];
///     // A thread-blocking call, moved off the worker:
///     gocsp::blocking(|| {
///         std::thread::sleep(Duration::from_millis(5));
///         data.iter().sum::<i32>()
///     })
/// });
/// assert_eq!(h.join().unwrap(), 6);
/// ```
#[track_caller]
pub fn blocking<F, R>(f: F) -> R
where
    F: FnOnce() -> R + Send,
    R: Send,
{
    if !crate::sched::in_goroutine() {
        return f();
    }
    let site = Location::caller();
    let mut result: Option<std::thread::Result<R>> = None;
    let started = waiter::with_current(|w| {
        #[repr(align(8))]
        struct Token(#[allow(dead_code)] u8);
        let token = Token(0);
        let oper = waiter::oper_of(&token);
        let slot = SendPtr(&mut result as *mut Option<std::thread::Result<R>>);
        let target: WaiterRef = w.clone();
        let job: Box<dyn FnOnce() + Send + '_> = Box::new(move || {
            let slot = slot;
            let r = catch_unwind(AssertUnwindSafe(f));
            // SAFETY: the goroutine that owns `result` does not return from or unwind out of
            // `blocking` before the selection below succeeds (it waits for it, and `AwaitJob`
            // holds the frame on any unwinding), so the slot is alive and nobody else touches
            // it. This is the job's last access to that frame.
            unsafe { *slot.0 = Some(r) };
            if target.try_select(Selected::Operation(oper)).is_ok() {
                target.unpark();
            }
            deadlock::blocking_changed(false);
        });
        // SAFETY: the job borrows `f`'s captures and `result` from this stack frame. We erase
        // that lifetime to hand the job to a helper thread, and make it sound by waiting:
        // - the job either runs on a helper or, when none can be started, is given up inside
        //   `submit` (dropped on this thread, by `submit` or by the failed spawn: never run),
        //   before this frame goes; it is never queued without a thread to run it;
        // - once submitted, this goroutine parks until the job has written the result and
        //   selected it: only the job's own `try_select` completes the wait, because of the
        //   waiter protocol's rule (`waiter.rs`) that every other registration of this waiter
        //   was withdrawn by its owner, or claimed and removed, before the call that made it
        //   returned, so no stale claim can name `oper`. The one other way out of WAITING is
        //   `DEAD` (the goroutine's runtime was dropped): that state is final, the goroutine is
        //   never resumed past its park again, and its stack, this frame included, is leaked,
        //   never freed, so the job's late write still lands in live memory; and its worker's
        //   thread never ends (`RtShared::worker_finished`), so what `f` borrows from that
        //   thread's thread-locals stays alive too. A parked goroutine's stack is never freed;
        //   `AwaitJob` keeps the frame through any unwinding after the job is submitted, and
        //   nothing before that can unwind with the job still held by a helper.
        let job: Job = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(job) };
        deadlock::blocking_changed(true);
        // Until the job is handed to a helper (which lowers the count when it is done), a
        // way out lowers it: an error, or a panic from dropping a refused job's captures.
        let in_flight = InFlight;
        submit(job)?;
        std::mem::forget(in_flight);
        let _frame = AwaitJob { w, oper };
        while w.wait(BlockReason::Blocking, site) != Selected::Operation(oper) {}
        Ok::<(), io::Error>(())
    });
    if let Err(e) = started {
        panic!("gocsp: cannot start a blocking-call helper thread: {e}");
    }
    match result.expect("the helper thread delivered a result") {
        Ok(r) => r,
        Err(p) => std::panic::resume_unwind(p),
    }
}

/// Counts a blocking call as in flight for the deadlock check until forgotten (`blocking`).
struct InFlight;

impl Drop for InFlight {
    fn drop(&mut self) {
        deadlock::blocking_changed(false);
    }
}

struct SendPtr<T>(*mut T);
// SAFETY: the pointer is only dereferenced by the helper while the owner is parked waiting for
// it (see `blocking`), so moving it to the helper thread is sound when `T: Send`.
unsafe impl<T: Send> Send for SendPtr<T> {}
