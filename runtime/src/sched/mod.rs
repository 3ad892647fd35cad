//! The scheduler core: goroutines, the workers that run them, their stacks, parking and
//! waking, panics and introspection. It implements park/unpark for the waiter layer above it
//! and imports nothing from the layers above (channels, time, the spawn API): see
//! ARCHITECTURE.md's layers. What users call to start and join goroutines is in `goroutine/`.
//!
//! Map of this module:
//! - `task.rs`: the goroutine control block and its park/unpark state machine;
//! - `worker.rs`: the worker thread: its run loop, running a goroutine, the current goroutine,
//!   shutdown;
//! - `queues.rs`: the runtime's and each worker's queues, and which queue a goroutine goes to;
//! - `placement.rs`: where a new goroutine starts (its spawner's worker, or dealt out);
//! - `steal.rs`: stealing unstarted goroutines once they waited past a grace period;
//! - `idle.rs`: idle workers spinning, sleeping and being woken;
//! - `sysmon.rs`: the system monitor thread, which wakes idle workers for a backlog;
//! - `runtime.rs`: [`Runtime`] and [`Builder`], the lazily started global runtime;
//! - `limits.rs`: how many goroutines may be alive, [`SpawnError`];
//! - `stack.rs`: stack pools per size, the stack a spawn reserves;
//! - `slab.rs`: the stacks themselves, from slabs with `madvise` guard pages or one mapping each;
//! - `registry.rs`: live goroutines for dumps and the leak check;
//! - `overflow.rs`: the SIGSEGV handler that reports a stack overflow;
//! - `job.rs`: a goroutine's closure before it runs, inline when small;
//! - `deadlock.rs`: the "all goroutines are asleep" detector;
//! - `timers.rs`: the timer heaps, one per worker (served between goroutines) and a global one
//!   (served by the timer thread).

pub(crate) mod deadlock;
mod idle;
// The netpoller installs its functions on Linux only; elsewhere its own thread polls.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) mod io_hook;
mod job;
mod limits;
mod overflow;
mod placement;
mod queues;
mod registry;
mod runtime;
mod slab;
mod stack;
mod steal;
mod sysmon;
mod task;
pub(crate) mod timers;
mod worker;

use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};

pub use limits::{SpawnError, SpawnLimit};
pub(crate) use queues::{RtShared, never_hold_back_this_thread};
pub use registry::{GoroutineInfo, GoroutineState};
pub(crate) use runtime::global;
pub use runtime::{Builder, DEFAULT_STACK_SIZE, MAX_STACK_SIZE, Runtime};
pub(crate) use task::{DIED, JoinSlot, Task};
pub(crate) use worker::may_spin_for_lock;
pub(crate) use worker::{current_task, current_task_ptr, in_goroutine};

pub(crate) use job::Job;
pub(crate) use placement::closing;

/// Writes a runtime report straight to the process's standard error. Not `eprintln!`: a
/// thread inherits the output capture of the thread that started it (libtest captures each
/// test's output), and worker threads are started lazily by whichever thread first needs
/// them, so a report printed with `eprintln!` right before `exit(2)` could vanish.
pub(crate) fn report(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Ends the process with exit code `code`, as [`std::process::exit`] does, without running
/// the calling thread's thread-local destructors, which glibc's `exit` runs: on a worker, a
/// goroutine parked on the same thread may have lent those thread-locals to a
/// [`blocking`](crate::blocking) helper or a scoped thread that still reads them. The exit is
/// handed to a new thread, whose thread-locals nobody borrows, and the caller waits for the
/// end; if no thread can start, the caller exits. (The new thread flushes standard output
/// only if nobody holds its lock: a partial line written under a lock that a parked goroutine
/// holds is lost.)
pub(crate) fn exit(code: i32) -> ! {
    let handed = std::thread::Builder::new()
        .name("gocsp-exit".into())
        .spawn(move || std::process::exit(code));
    if handed.is_err() {
        std::process::exit(code);
    }
    loop {
        std::thread::park();
    }
}

/// What an unrecovered panic in a goroutine does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PanicPolicy {
    /// Go's behaviour: print the panic, the goroutine's id and spawn site, and end the process
    /// with exit code 2.
    #[default]
    Abort,
    /// Print the same report and let the rest of the program go on; the goroutine ends, and a
    /// [`JoinHandle::join`](crate::JoinHandle::join) on it returns the panic as `Err`.
    Continue,
}

pub(crate) struct Config {
    pub(crate) workers: usize,
    pub(crate) stack_size: usize,
    pub(crate) stacks: stack::RtStacks,
    pub(crate) panic_policy: PanicPolicy,
}

/// The first goroutine id not yet handed to a thread.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// Goroutine ids go to each spawning thread in blocks of this many, as Go's Ps take theirs
/// (`goidcache`, 16): one update of the shared counter per block instead of per spawn. Every
/// spawn on every worker used to move that counter's cache line between the cores. Ids stay
/// unique and count from 1; across threads they no longer follow spawn order.
pub(crate) const ID_BLOCK: u64 = 16;
static NEXT_GROUP: AtomicU64 = AtomicU64::new(1);

std::thread_local! {
    /// The leak-check group of goroutines spawned by this (non-goroutine) thread.
    static GROUP: Cell<u64> = const { Cell::new(0) };
    /// The ids this thread has left to give: the next one and the end of its block.
    static IDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// A new goroutine id, from this thread's block (a fresh block when it is used up).
fn next_id() -> u64 {
    let from_block = IDS.try_with(|ids| {
        let (mut next, mut end) = ids.get();
        if next == end {
            next = NEXT_ID.fetch_add(ID_BLOCK, Ordering::Relaxed);
            end = next + ID_BLOCK;
        }
        ids.set((next + 1, end));
        next
    });
    // Defensive (this local has no destructor, so it outlives any code of the thread): one
    // id straight from the counter.
    from_block.unwrap_or_else(|_| NEXT_ID.fetch_add(1, Ordering::Relaxed))
}

fn current_group() -> u64 {
    worker::with_current_task(|t| match t {
        Some(t) => t.group(),
        None => GROUP.try_with(Cell::get).unwrap_or(0),
    })
}

/// Starts the goroutine `f` on `rt` (else the caller's runtime, else the global one) and
/// returns its id; `join` is told if it dies unfinished. The spawn API (`goroutine/`) is built
/// on this.
#[track_caller]
pub(crate) fn spawn_job(
    rt: Option<&'static RtShared>,
    f: Job,
    join: Option<std::sync::Weak<dyn JoinSlot>>,
) -> Result<u64, SpawnError> {
    spawn_task(rt, f, join).map_err(|(e, _)| e)
}

/// Like [`spawn_job`], but hands the closure back when the goroutine cannot be started.
#[track_caller]
#[allow(clippy::type_complexity)]
pub(crate) fn spawn_or_return(
    rt: Option<&'static RtShared>,
    f: Job,
) -> Result<u64, (SpawnError, Job)> {
    spawn_task(rt, f, None)
}

#[track_caller]
#[allow(clippy::type_complexity)]
fn spawn_task(
    rt: Option<&'static RtShared>,
    f: Job,
    join: Option<std::sync::Weak<dyn JoinSlot>>,
) -> Result<u64, (SpawnError, Job)> {
    // Resolved here (not when queued) so the spawn is checked against its runtime's limits.
    let rt = rt
        .or_else(worker::current_rt)
        .unwrap_or_else(runtime::global);
    if let Err(e) = rt.config.stacks.reserve() {
        return Err((e, f));
    }
    let id = next_id();
    // Registered by `Task::new` (a reused block already is).
    let task = Task::new(id, current_group(), Location::caller(), f, join);
    queues::schedule_new(Some(rt), task);
    queues::spawn_backpressure(Some(rt));
    Ok(id)
}

/// The body of every goroutine's coroutine. Nothing unwinds out of it: the goroutine's panic
/// is caught and handled by the panic policy, and so is a panic raised while its payload is
/// dropped (see [`drop_payload`]). A panic that reached the worker would end the worker
/// thread and strand every goroutine that lives on it.
pub(crate) fn run_goroutine_body(f: Job) {
    if let Err(p) = catch_unwind(AssertUnwindSafe(|| f.run())) {
        goroutine_panicked(p.as_ref());
        drop_payload(p);
    }
}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}

/// Who panicked, for a report: the goroutine running on this thread, if any.
fn panicking_goroutine() -> (u64, String) {
    match current_task() {
        Some(t) => (t.id(), t.spawn_site().to_string()),
        None => (0, "?".to_string()),
    }
}

/// Applies the panic policy to a goroutine's unrecovered panic.
pub(crate) fn goroutine_panicked(payload: &(dyn Any + Send)) {
    let (id, site) = panicking_goroutine();
    let policy = worker::current_rt().map_or(PanicPolicy::Abort, |rt| rt.config.panic_policy);
    apply_panic_policy(policy, payload, id, &site, "");
}

/// Prints Go's report of goroutine `id`'s panic and, under [`PanicPolicy::Abort`], ends the
/// process with exit code 2. `note` is a line saying when the panic happened, if not while
/// the goroutine ran.
pub(crate) fn apply_panic_policy(
    policy: PanicPolicy,
    payload: &(dyn Any + Send),
    id: u64,
    site: &str,
    note: &str,
) {
    let msg = panic_message(payload);
    let head = format!("panic: {msg}\n\ngoroutine {id} [running]:\n\tspawned at {site}\n{note}");
    match policy {
        PanicPolicy::Abort => {
            report(&head);
            exit(2);
        }
        PanicPolicy::Continue => report(&format!(
            "{head}(PanicPolicy::Continue: the goroutine ended, the program goes on)\n"
        )),
    }
}

/// Drops a goroutine's panic payload. A payload whose own `Drop` panics is a second panic of
/// that goroutine: it is reported under the same policy (under `Continue` the program goes on),
/// and its payload is leaked rather than dropped, so that nothing can unwind any further.
fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        let (id, site) = panicking_goroutine();
        let policy = worker::current_rt().map_or(PanicPolicy::Abort, |rt| rt.config.panic_policy);
        apply_panic_policy(
            policy,
            again.as_ref(),
            id,
            &site,
            "(raised while dropping the payload of the goroutine's first panic; this one's \
             payload is leaked)\n",
        );
        std::mem::forget(again);
    }
}

/// Lets other goroutines on this worker run (Go's `runtime.Gosched()`); on a plain thread,
/// yields the thread. Goroutines are scheduled cooperatively: one that computes for a long
/// time without a channel operation or a call to this holds its worker.
pub fn yield_now() {
    worker::with_current_task(|t| match t {
        Some(t) => t.yield_current(),
        None => std::thread::yield_now(),
    })
}

/// The number of goroutines alive now (spawned and not finished), like Go's
/// `runtime.NumGoroutine()` (which also counts `main`; this does not count threads).
pub fn num_goroutine() -> usize {
    stack::live()
}

/// How many workers run the caller's goroutines at once, like Go's `runtime.GOMAXPROCS(0)`:
/// the worker count of the runtime the calling goroutine runs on; on a plain thread, the
/// global runtime's (the count it would start with, if it has not started yet: `GOMAXPROCS`
/// if set to a positive number, else one per core). Asking does not start the runtime.
///
/// The count is fixed when a runtime starts ([`Builder::workers`]); unlike Go's, this call
/// cannot change it.
///
/// ```
/// let workers = gocsp::gomaxprocs();
/// assert!(workers >= 1);
/// // The runtime a goroutine runs on is the one it counts.
/// let rt = gocsp::Runtime::builder().workers(3).build().unwrap();
/// assert_eq!(rt.block_on(gocsp::gomaxprocs), 3);
/// assert_eq!(gocsp::gomaxprocs(), workers);
/// ```
pub fn gomaxprocs() -> usize {
    worker::current_rt().map_or_else(runtime::global_workers, |rt| rt.workers.len())
}

/// The id of the calling goroutine, or `None` on a plain thread.
///
/// Ids are unique in the process and count from 1. Like Go's, they are handed to each
/// spawning thread in blocks, so goroutines spawned one after another by one thread get
/// increasing ids, while ids from different threads interleave in no particular order.
pub fn goroutine_id() -> Option<u64> {
    worker::with_current_task(|t| t.map(Task::id))
}

/// A snapshot of every live goroutine: id, spawn site, and what it is blocked on.
pub fn goroutines() -> Vec<GoroutineInfo> {
    registry::snapshot(None)
}

/// The goroutine dump, in the shape of Go's: one paragraph per goroutine.
pub fn dump() -> String {
    goroutines()
        .iter()
        .map(|g| format!("{g}\n"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The most goroutines that may be alive at once in this process (each needs a guarded
/// stack; see [`SpawnError`]). Where stacks come from slabs (Linux 6.13+) this is what memory
/// allows, at one stack page and a control block per goroutine; where each stack is a mapping
/// of its own (older kernels, or `GOCSP_STACK_SLABS=0`), what `vm.max_map_count` allows, two
/// mappings per stack. A runtime may have a lower limit of its own
/// ([`Builder::max_goroutines`]).
pub fn max_goroutines() -> usize {
    limits::limit()
}

/// Starts a new leak-check group for the calling goroutine or thread: goroutines it spawns
/// from now on (and theirs) belong to it. Returns the group and the one it replaces.
pub(crate) fn enter_new_group() -> (u64, u64) {
    let group = NEXT_GROUP.fetch_add(1, Ordering::Relaxed);
    let prev = match current_task() {
        Some(t) => t.set_group(group),
        None => GROUP.with(|g| g.replace(group)),
    };
    (group, prev)
}

/// Puts the caller back in `group` (undoes [`enter_new_group`]).
pub(crate) fn restore_group(group: u64) {
    match current_task() {
        Some(t) => {
            t.set_group(group);
        }
        None => GROUP.with(|g| g.set(group)),
    }
}

/// The live goroutines of leak-check group `group`.
pub(crate) fn group_snapshot(group: u64) -> Vec<GoroutineInfo> {
    registry::snapshot(Some(group))
}
