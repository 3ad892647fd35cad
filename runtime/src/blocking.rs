//! `blocking(f)`: run a thread-blocking call on a helper thread while the goroutine parks.
//!
//! Helper threads are started on demand, reused, and exit after `IDLE_EXIT` without work. A
//! call from a plain thread simply runs `f` there.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::{Condvar, Mutex, OnceLock};
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
    jobs: VecDeque<Job>,
    idle: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(PoolState {
            jobs: VecDeque::new(),
            idle: 0,
        }),
        cond: Condvar::new(),
    })
}

fn submit(job: Job) {
    let p = pool();
    let mut st = p.state.lock().unwrap_or_else(|e| e.into_inner());
    st.jobs.push_back(job);
    if st.idle > 0 {
        drop(st);
        p.cond.notify_one();
        return;
    }
    drop(st);
    std::thread::Builder::new()
        .name("gocsp-blocking".into())
        .spawn(helper)
        .expect("gocsp: cannot start a blocking-call helper thread");
}

fn helper() {
    let _own = deadlock::OwnThread::enter();
    let p = pool();
    let mut st = p.state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(job) = st.jobs.pop_front() {
            drop(st);
            job();
            st = p.state.lock().unwrap_or_else(|e| e.into_inner());
            continue;
        }
        st.idle += 1;
        let (guard, timeout) = p
            .cond
            .wait_timeout(st, IDLE_EXIT)
            .unwrap_or_else(|e| e.into_inner());
        st = guard;
        st.idle -= 1;
        if timeout.timed_out() && st.jobs.is_empty() {
            return;
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
    waiter::with_current(|w| {
        #[repr(align(8))]
        struct Token(#[allow(dead_code)] u8);
        let token = Token(0);
        let oper = waiter::oper_of(&token);
        let slot = SendPtr(&mut result as *mut Option<std::thread::Result<R>>);
        let target: WaiterRef = w.clone();
        let job: Box<dyn FnOnce() + Send + '_> = Box::new(move || {
            let slot = slot;
            let r = catch_unwind(AssertUnwindSafe(f));
            // SAFETY: the goroutine that owns `result` is parked until the selection below
            // succeeds, and it does not return from `blocking` before that (see below), so the
            // slot is alive and nobody else touches it.
            unsafe { *slot.0 = Some(r) };
            if target.try_select(Selected::Operation(oper)).is_ok() {
                target.unpark();
            }
            deadlock::blocking_changed(false);
        });
        // SAFETY: the job borrows `f`'s captures and `result` from this stack frame. We erase
        // that lifetime to hand the job to a helper thread, and make it sound by waiting:
        // this goroutine parks until the job has written the result and selected it, and a
        // goroutine's stack is never unwound or freed while it is parked (a started goroutine
        // that never finishes is leaked, not dropped). Nothing can cancel the wait: the only
        // way the selection leaves WAITING is the job's own `try_select`.
        let job: Job = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(job) };
        deadlock::blocking_changed(true);
        submit(job);
        while w.wait(BlockReason::Blocking, site) != Selected::Operation(oper) {}
    });
    match result.expect("the helper thread delivered a result") {
        Ok(r) => r,
        Err(p) => std::panic::resume_unwind(p),
    }
}

struct SendPtr<T>(*mut T);
// SAFETY: the pointer is only dereferenced by the helper while the owner is parked waiting for
// it (see `blocking`), so moving it to the helper thread is sound when `T: Send`.
unsafe impl<T: Send> Send for SendPtr<T> {}
