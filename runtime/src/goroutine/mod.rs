//! The spawn API: starting goroutines ([`go`], [`spawn`], [`try_spawn`]), joining them
//! ([`JoinHandle`]), the leak check ([`check_leaks`]), a runtime's own `spawn`/`block_on`, and
//! what `#[gocsp::main]` and `#[gocsp::test]` run (`entry.rs`).
//!
//! It sits on top of the scheduler core (`sched/`), which starts a boxed closure and tells a
//! [`JoinSlot`] when a goroutine dies unfinished; a `JoinHandle` waits on a one-shot slot at
//! the waiter level (`oneshot.rs`), not on a channel.

mod entry;

use std::fmt;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

pub use entry::{MainOptions, TestOptions, TestReturn, run_main, run_test};

use crate::block::BlockReason;
use crate::oneshot::OneShot;
use crate::sched::{self, DIED, Job, JoinSlot, RtShared, Runtime, SpawnError};

/// Starts `f` in a new goroutine and returns at once: Go's `go` statement, and what `go!`
/// expands to. Use [`spawn`] to get a handle to join.
///
/// A goroutine must not block inside a `thread_local!` initializer: goroutines share their
/// worker's thread-locals, and `std` drops one of two values initialized on one thread at
/// once, even while another goroutine borrows it (the crate docs, "Soundness", explain).
///
/// # Panics
/// If no more goroutines can be started (see [`SpawnError`]).
#[track_caller]
pub fn go<F>(f: F)
where
    F: FnOnce() + Send + 'static,
{
    if let Err(e) = sched::spawn_job(None, Job::new(f), None) {
        panic!("{e}")
    }
}

/// Starts `f` in a new goroutine and returns a handle to join it.
///
/// Outside a goroutine this uses the global runtime (started on first use); inside one, that
/// goroutine's runtime. The new goroutine starts on the spawner's worker and runs when the
/// spawner blocks or yields; idle workers may steal it until it first runs, never after.
///
/// ```
/// let h = gocsp::spawn(|| 6 * 7);
/// assert_eq!(h.join().unwrap(), 42);
/// ```
///
/// # Panics
/// If no more goroutines can be started (see [`SpawnError`]; [`try_spawn`] returns it).
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_on(None, f).unwrap_or_else(|e| panic!("{e}"))
}

/// Like [`spawn`], but reports a refused spawn instead of panicking.
#[track_caller]
pub fn try_spawn<F, T>(f: F) -> Result<JoinHandle<T>, SpawnError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_on(None, f)
}

type Slot<T> = OneShot<std::thread::Result<T>>;

impl<T: Send + 'static> JoinSlot for Slot<T> {
    fn abandon(&self) {
        let died: std::thread::Result<T> = Err(Box::new(DIED));
        // Refused only if the goroutine delivered its result first: nothing to tell then.
        let _ = self.deliver(died);
    }
}

/// Closes a join slot if the goroutine is dropped before it delivers its result (it never
/// ran: its runtime discarded it).
struct Deliver<T>(Option<Arc<Slot<T>>>);

impl<T> Drop for Deliver<T> {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            slot.close();
        }
    }
}

/// Starts `f` on `rt` (else the caller's runtime, else the global one) with a slot for its
/// result.
#[track_caller]
pub(crate) fn spawn_on<F, T>(
    rt: Option<&'static RtShared>,
    f: F,
) -> Result<JoinHandle<T>, SpawnError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let slot: Arc<Slot<T>> = Arc::new(OneShot::new());
    let mut deliver = Deliver(Some(Arc::clone(&slot)));
    let weak: Weak<dyn JoinSlot> = Arc::downgrade(&slot) as Weak<dyn JoinSlot>;
    let id = sched::spawn_job(
        rt,
        Job::new(move || {
            let r = catch_unwind(AssertUnwindSafe(f));
            if let Err(p) = &r {
                sched::goroutine_panicked(p.as_ref());
            }
            if let Some(slot) = deliver.0.take() {
                let _ = slot.deliver(r);
            }
        }),
        Some(weak),
    )?;
    Ok(JoinHandle { slot, id })
}

/// A handle to a goroutine started with [`spawn`].
///
/// Dropping it detaches the goroutine (it keeps running).
pub struct JoinHandle<T> {
    slot: Arc<Slot<T>>,
    id: u64,
}

impl<T> JoinHandle<T> {
    /// Waits for the goroutine to finish and returns its result. Blocks a thread, or parks the
    /// calling goroutine.
    ///
    /// Returns `Err` with the panic payload if the goroutine panicked (possible only under
    /// [`PanicPolicy::Continue`](crate::PanicPolicy::Continue); under `Abort` the process has ended). Also returns `Err`, with
    /// a message saying so, if the goroutine's [`Runtime`] was dropped before it finished: it
    /// never ran, or it died blocked (see [`Runtime`]'s drop).
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        self.join_for(BlockReason::Join)
    }

    /// [`join`](Self::join), blocked for `reason` in dumps and deadlock reports.
    #[track_caller]
    pub(crate) fn join_for(self, reason: BlockReason) -> std::thread::Result<T> {
        match self.slot.wait(reason, Location::caller()) {
            Some(r) => r,
            None => Err(Box::new("goroutine never ran: its runtime was shut down")),
        }
    }

    /// True if the goroutine has finished.
    pub fn is_finished(&self) -> bool {
        self.slot.has_ended()
    }

    /// The goroutine's id.
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Spawns a goroutine on this runtime; see [`spawn`].
    #[track_caller]
    pub fn spawn<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        spawn_on(Some(self.shared()), f).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs `f` as a goroutine on this runtime and waits for its result (a panic in `f` is
    /// resumed here when the panic policy lets the goroutine's panic be caught).
    #[track_caller]
    pub fn block_on<F, T>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        match self.spawn(f).join() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p),
        }
    }
}

/// Runs `f` and fails if goroutines it started (directly or through goroutines they started)
/// are still alive afterwards: the test helper Go users get from goleak.
///
/// After `f` returns, goroutines get up to `grace` to finish. If some are still alive the
/// helper panics with a report naming each one's spawn site and what it is blocked on.
///
/// ```should_panic
/// use gocsp::{Chan, check_leaks};
/// use std::time::Duration;
///
/// check_leaks(Duration::from_millis(50), || {
///     let ch: Chan<i32> = Chan::new(0);
///     gocsp::go!(move || { ch.recv(); }); // nobody ever sends: leaked
/// });
/// ```
#[track_caller]
pub fn check_leaks<R>(grace: Duration, f: impl FnOnce() -> R) -> R {
    let (group, prev) = sched::enter_new_group();
    /// Puts the caller back in its group, also when `f` panics.
    struct Restore(u64);
    impl Drop for Restore {
        fn drop(&mut self) {
            sched::restore_group(self.0);
        }
    }
    let restore = Restore(prev);
    let r = f();
    drop(restore);
    let deadline = crate::time::deadline_after(grace);
    let mut pause = Duration::from_micros(100);
    loop {
        let alive = sched::group_snapshot(group);
        if alive.is_empty() {
            return r;
        }
        if Instant::now() >= deadline {
            let list: Vec<String> = alive.iter().map(|g| format!("{g}")).collect();
            panic!(
                "found {} leaked goroutine{} (still alive {:?} after the checked code returned):\n\n{}",
                alive.len(),
                if alive.len() == 1 { "" } else { "s" },
                grace,
                list.join("\n\n")
            );
        }
        crate::time::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}
