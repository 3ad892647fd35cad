//! Runtimes: the global one that starts on first use, and explicit ones for tests.

use std::fmt;
use std::io;
use std::sync::OnceLock;
use std::sync::atomic::Ordering;

use super::queues::RtShared;
use super::worker::worker_main;
use super::{Config, PanicPolicy, deadlock};

/// The largest stack [`Builder::stack_size`] gives a goroutine (1 GiB; larger requests are
/// clamped): stacks are carved from reserved address space, and page rounding must not wrap.
pub const MAX_STACK_SIZE: usize = 1 << 30;

/// Default goroutine stack size, plus a guard page: 64 KiB in optimized builds, 256 KiB in
/// debug builds (`debug_assertions`), where every move of a value is a copy on the stack and
/// frames are several times larger. Only the pages a goroutine touches cost memory; the rest
/// is reserved address space.
pub const DEFAULT_STACK_SIZE: usize = if cfg!(debug_assertions) {
    256 * 1024
} else {
    64 * 1024
};

/// Every runtime ever built (they are never freed; see [`Runtime`]'s drop).
static RUNTIMES: std::sync::Mutex<Vec<&'static RtShared>> = std::sync::Mutex::new(Vec::new());

static GLOBAL: OnceLock<Runtime> = OnceLock::new();

/// The worker count when nothing says otherwise: `GOMAXPROCS` if set, else the number of
/// cores.
pub(crate) fn default_workers() -> usize {
    std::env::var("GOMAXPROCS")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The global runtime's worker count: the one it started with, or the one it would start with
/// now (`gomaxprocs`). Does not start it.
pub(crate) fn global_workers() -> usize {
    GLOBAL.get().map_or_else(default_workers, Runtime::workers)
}

/// The global runtime, started on first use.
pub(crate) fn global() -> &'static RtShared {
    GLOBAL
        .get_or_init(|| {
            Builder::new()
                .build_inner()
                .unwrap_or_else(|e| panic!("gocsp: cannot start the goroutine runtime: {e}"))
        })
        .shared
}

/// Every runtime not being dropped.
pub(super) fn live_runtimes() -> Vec<&'static RtShared> {
    let rts = RUNTIMES.lock().unwrap_or_else(|p| p.into_inner());
    rts.iter().copied().filter(|rt| !rt.is_stopping()).collect()
}

/// Calls `f` with every runtime ever built (they are never freed), being dropped or not.
pub(super) fn for_each_runtime(mut f: impl FnMut(&'static RtShared)) {
    let rts = RUNTIMES.lock().unwrap_or_else(|p| p.into_inner());
    for &rt in rts.iter() {
        f(rt);
    }
}

/// True if any live runtime has goroutines queued (for the deadlock check). A runtime being
/// dropped does not count: its workers are awake until they have settled every goroutine, and
/// afterwards nothing it holds can run.
pub(crate) fn any_queued() -> bool {
    let rts = RUNTIMES.lock().unwrap_or_else(|p| p.into_inner());
    rts.iter().any(|rt| !rt.is_stopping() && rt.has_queued())
}

/// Configures a [`Runtime`]: worker count, stack size, panic policy.
///
/// ```
/// use gocsp::{Chan, PanicPolicy, Runtime};
///
/// let rt = Runtime::builder().workers(1).panic_policy(PanicPolicy::Continue).build().unwrap();
/// let sum = rt.block_on(|| {
///     let ch = Chan::new(0);
///     let tx = ch.sender();
///     gocsp::go!(move || for i in 1..=10 { tx.send(i) });
///     (0..10).map(|_| ch.recv().unwrap()).sum::<i32>()
/// });
/// assert_eq!(sum, 55);
/// ```
#[derive(Clone)]
pub struct Builder {
    workers: Option<usize>,
    stack_size: usize,
    max_goroutines: Option<usize>,
    panic_policy: PanicPolicy,
    name: String,
}

impl Builder {
    /// Defaults: `GOMAXPROCS` workers (or one per core), [`DEFAULT_STACK_SIZE`] stacks, abort on
    /// panic.
    pub fn new() -> Self {
        Builder {
            workers: None,
            stack_size: DEFAULT_STACK_SIZE,
            max_goroutines: None,
            panic_policy: PanicPolicy::Abort,
            name: "gocsp-worker".to_string(),
        }
    }

    /// The number of worker threads (Go's `GOMAXPROCS`). At least 1.
    pub fn workers(&mut self, n: usize) -> &mut Self {
        self.workers = Some(n.max(1));
        self
    }

    /// The size of each goroutine stack, in bytes (a guard page is added below it), kept
    /// between 16 KiB and [`MAX_STACK_SIZE`] and rounded up to whole pages. On Linux 6.13+
    /// the top 64 bytes of it are the runtime's (they let another thread fault the stack's
    /// first page in ahead of need without touching the stack itself), and the stack starts
    /// up to 2 KiB lower, by an offset that differs from stack to stack (it spreads goroutines'
    /// hottest frames over the CPU caches).
    pub fn stack_size(&mut self, bytes: usize) -> &mut Self {
        self.stack_size = bytes.clamp(16 * 1024, MAX_STACK_SIZE);
        self
    }

    /// The most goroutines of this runtime alive at once; a spawn past it returns a
    /// [`SpawnError`](crate::SpawnError) of kind [`SpawnLimit::Runtime`](crate::SpawnLimit)
    /// (and `go`/`spawn` panic with its message). Unlimited by default: the process-wide
    /// [`max_goroutines`](crate::max_goroutines) applies either way.
    pub fn max_goroutines(&mut self, n: usize) -> &mut Self {
        self.max_goroutines = Some(n);
        self
    }

    /// What an unrecovered panic in a goroutine does; see [`PanicPolicy`].
    pub fn panic_policy(&mut self, policy: PanicPolicy) -> &mut Self {
        self.panic_policy = policy;
        self
    }

    /// The worker threads' name prefix.
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.name = name.into();
        self
    }

    /// Starts the workers.
    ///
    /// # Errors
    ///
    /// The operating system's error when a worker thread, or the `gocsp-sysmon` thread that
    /// watches every runtime (started with the first), cannot be spawned.
    pub fn build(&self) -> io::Result<Runtime> {
        self.build_inner()
    }

    /// Makes this configuration the global runtime's, which `go!` and [`spawn`](crate::spawn)
    /// use outside any goroutine. Fails if the global runtime already started.
    pub fn build_global(&self) -> io::Result<()> {
        let mut result = Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the global gocsp runtime is already running",
        ));
        GLOBAL.get_or_init(|| match self.build_inner() {
            Ok(rt) => {
                result = Ok(());
                rt
            }
            Err(e) => panic!("gocsp: cannot start the goroutine runtime: {e}"),
        });
        result
    }

    fn build_inner(&self) -> io::Result<Runtime> {
        let config = Config {
            workers: self.workers.unwrap_or_else(default_workers),
            stack_size: self.stack_size,
            stacks: super::stack::RtStacks::new(self.stack_size, self.max_goroutines),
            panic_policy: self.panic_policy,
        };
        let (shared, queues) = RtShared::new(config)?;
        RUNTIMES
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(shared);
        let mut threads = Vec::with_capacity(queues.len());
        for (i, own) in queues.into_iter().enumerate() {
            deadlock::worker_started();
            let spawned = std::thread::Builder::new()
                .name(format!("{}-{i}", self.name))
                .spawn(move || {
                    let _own = deadlock::OwnThread::enter();
                    worker_main(shared, i, own);
                    deadlock::worker_exited();
                    shared.worker_finished(i);
                });
            match spawned {
                Ok(t) => threads.push(t),
                Err(e) => {
                    deadlock::worker_exited();
                    shared.begin_shutdown();
                    for t in threads {
                        let _ = t.join();
                    }
                    return Err(e);
                }
            }
        }
        Ok(Runtime { shared, threads })
    }
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("workers", &self.workers)
            .field("stack_size", &self.stack_size)
            .field("max_goroutines", &self.max_goroutines)
            .field("panic_policy", &self.panic_policy)
            .finish()
    }
}

/// A set of worker threads running goroutines.
///
/// Most programs never see one: `go!` and [`spawn`](crate::spawn) start the global runtime on
/// first use (`GOMAXPROCS` workers). Build one explicitly to pin the worker count or the panic
/// policy, e.g. in tests. Goroutines spawned from inside a goroutine run on that goroutine's
/// runtime.
///
/// # Dropping a runtime
///
/// Go has no equivalent: a Go program has one runtime, which ends with the process. Dropping a
/// `Runtime` ends its goroutines where they stand, and waits until each is settled:
///
/// - a goroutine that never ran is discarded: its closure is dropped, and
///   [`JoinHandle::join`](crate::JoinHandle::join) returns `Err` ("goroutine never ran");
/// - a running goroutine, or one already woken (say by a send that handed it a value), runs on
///   until it blocks, yields or finishes, so nothing handed to it is lost on the way;
/// - a goroutine that is blocked then, or blocks or yields from then on, is **dead**: it never
///   runs again, and its stack is leaked, with whatever is on it, never dropped (a started
///   goroutine is never resumed or unwound on another thread). Its worker's thread is leaked
///   too: it parks for good instead of ending, since ending would destroy its thread-locals,
///   which the dead goroutine's frames may borrow (and may have lent to a thread that still
///   runs, such as a [`blocking`](crate::blocking) helper). `join` on it returns `Err`
///   ("goroutine never finished: its runtime was dropped while it was blocked"), and
///   [`block_on`](Runtime::block_on) resumes that as a panic.
///
/// A dead goroutine is no counterparty. Channel operations, `select`, `close`, timers,
/// `WaitGroup` and `Mutex` skip it as if it were not waiting: an unbuffered send to a channel
/// whose only receiver is dead blocks (and is reported as a deadlock if nothing else can
/// receive), a buffered send wakes a live receiver instead, and nothing completes into a dead
/// goroutine's stack. What a dead goroutine holds stays held: a `Mutex` it locked stays locked,
/// a channel it would have closed stays open. Dumps list it with its blocking reason and
/// "dead: runtime dropped", and it still counts in [`num_goroutine`](crate::num_goroutine) and
/// leak checks (its stack is leaked). Deadlock detection judges the live runtimes only.
///
/// A goroutine that computes forever without blocking holds its worker, and the drop, as it
/// would hold a `block_on`.
pub struct Runtime {
    shared: &'static RtShared,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Runtime {
    /// A [`Builder`] with the defaults.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// A runtime with the default configuration.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// The shared state its workers run on.
    pub(crate) fn shared(&self) -> &'static RtShared {
        self.shared
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.shared.workers.len()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shared.begin_shutdown();
        let me = std::thread::current().id();
        // Dropped from a goroutine of this runtime: its own worker finishes only afterwards.
        let on_own_worker = self.threads.iter().any(|t| t.thread().id() == me);
        self.shared
            .wait_finished(self.threads.len() - usize::from(on_own_worker));
        for (i, t) in self.threads.drain(..).enumerate() {
            // A worker whose goroutines left frames behind stays parked for good
            // (`worker_finished`): its handle is dropped, not joined.
            if t.thread().id() != me
                && !self.shared.workers[i].frames_leaked.load(Ordering::Acquire)
            {
                let _ = t.join();
            }
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.workers())
            .field("stack_size", &self.shared.config.stack_size)
            .field("panic_policy", &self.shared.config.panic_policy)
            .field("shut_down", &self.shared.shutdown.load(Ordering::Relaxed))
            .finish()
    }
}
