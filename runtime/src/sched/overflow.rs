//! A clear message when a goroutine overflows its stack.
//!
//! Every goroutine stack has a guard page below it, so an overflow faults instead of
//! overwriting memory. The standard library reports overflows of the threads it knows about;
//! for a goroutine it would only see a bare SIGSEGV. This module installs a `SIGSEGV`/`SIGBUS`
//! handler (on the alternate signal stack that the standard library sets up for every thread
//! it starts, which includes the workers; a worker that has none, because the standard
//! library did not install its own handler (a `cdylib` in a C program, a handler set before
//! `main`), gets one of its own: [`AltStack`]) that checks whether the faulting address is the
//! guard page of the goroutine running on this thread: the lowest page of its stack, whether that
//! stack is a mapping of its own or a slot of a slab (`slab.rs`; a guard installed with
//! `MADV_GUARD_INSTALL` faults with SIGSEGV like a `PROT_NONE` page). If so it prints Go's
//! `fatal error: stack overflow` with the goroutine id and its own stack size, and exits with
//! code 2, as Go does;
//! otherwise it hands the signal to the handler that was installed before.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};

std::thread_local! {
    /// The usable stack size of the goroutines of this worker's runtime, for the message; 0 on
    /// a thread that is not a worker. A plain `Cell`: readable from a signal handler (no lazy
    /// initialization, no destructor).
    static STACK_SIZE: Cell<usize> = const { Cell::new(0) };
}

/// Records the usable stack size of the goroutines this worker runs (once, when it starts).
/// Which goroutine runs, and so where its guard page is, the handler reads from the worker's
/// record of the goroutine it is running (`worker::current_task_ptr`), so a resume writes
/// nothing here: the guard used to be copied into a thread-local at every resume and cleared
/// after it (19 of a sieve hop's 482 instructions).
pub(crate) fn worker_started(size: usize) {
    let _ = STACK_SIZE.try_with(|s| s.set(size));
}

/// The guard page and id of the goroutine running on this thread, if any.
fn running_guard() -> Option<(usize, usize, u64)> {
    let task = super::worker::current_task_ptr();
    // SAFETY: the worker sets the pointer to the task it is about to resume, holding an `Arc`
    // of it, and clears it at the end of that run, after the goroutine is suspended again or
    // has finished (`current_task`), so while it is set the task is alive; its `stack_limit`
    // is set before the pointer, at the task's first run, and neither it nor `id` changes
    // while the goroutine lives (a control block reused for a later goroutine gets new ones
    // before that one first runs).
    let task = unsafe { task.as_ref() }?;
    let limit = task.stack_limit.get();
    (limit != 0).then(|| (limit, limit + page_size(), task.id()))
}

/// The handlers that were installed before ours, for SIGSEGV and SIGBUS.
static PREVIOUS: OnceLock<[libc::sigaction; 2]> = OnceLock::new();

fn page_size() -> usize {
    static PAGE: AtomicUsize = AtomicUsize::new(0);
    let p = PAGE.load(Ordering::Relaxed);
    if p != 0 {
        return p;
    }
    // SAFETY: `sysconf` has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as usize;
    PAGE.store(p, Ordering::Relaxed);
    p
}

/// Installs the handler once per process.
pub(crate) fn install() {
    page_size();
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        const SIGNALS: [libc::c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];
        // Read the current handlers first, so ours can always find them.
        let previous = SIGNALS.map(|sig| {
            // SAFETY: `sigaction` with a null new action only reads the current one into a
            // zeroed struct of the right type.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                libc::sigaction(sig, std::ptr::null(), &mut old);
                old
            }
        });
        let _ = PREVIOUS.set(previous);
        for sig in SIGNALS {
            // SAFETY: installs a handler with the SA_SIGINFO signature it has, on the
            // alternate signal stack; the struct is zeroed, then filled.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(sig, &action, std::ptr::null_mut());
            }
        }
    });
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid `siginfo_t` for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    if let Some((lo, hi, id)) = running_guard()
        && (lo..hi).contains(&addr)
    {
        report_and_exit(id, STACK_SIZE.try_with(Cell::get).unwrap_or(0));
    }
    // Not a goroutine's guard page: let the previous handler decide (the standard library's
    // reports its own threads' overflows), or die of the signal as before.
    let i = usize::from(sig != libc::SIGSEGV);
    let (f, flags) = PREVIOUS
        .get()
        .map_or((libc::SIG_DFL, 0), |p| (p[i].sa_sigaction, p[i].sa_flags));
    if f == libc::SIG_DFL || f == libc::SIG_IGN {
        // SAFETY: restoring the default action; returning re-executes the faulting
        // instruction, which now kills the process with the signal. (A signal sent with
        // `kill` or `raise` has no faulting instruction: it is consumed, and the next one
        // takes the default action.)
        unsafe {
            let mut dfl: libc::sigaction = std::mem::zeroed();
            dfl.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(sig, &dfl, std::ptr::null_mut());
        }
    } else if flags & libc::SA_SIGINFO != 0 {
        // SAFETY: a handler installed with SA_SIGINFO has this signature.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(f) };
        f(sig, info, ctx);
    } else {
        // SAFETY: a handler installed without SA_SIGINFO has this signature.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(f) };
        f(sig);
    }
}

/// An alternate signal stack this module gave a worker thread that had none: without one, the
/// handler would run on the overflowed goroutine stack, fault again at once, and the process
/// would die of a bare SIGSEGV instead of Go's report. Unmapped when the worker's thread ends.
#[derive(Debug)]
pub(crate) struct AltStack {
    /// The mapping: a guard page, then the stack.
    map: *mut libc::c_void,
    len: usize,
}

/// Bytes of the alternate signal stack: the handler itself needs a few hundred, the handler it
/// passes other faults to (the standard library's) more.
const ALT_STACK: usize = 64 * 1024;

impl AltStack {
    /// Gives the calling thread an alternate signal stack if it has none (`None` if it has
    /// one, or if one cannot be mapped: then an overflow dies of a bare SIGSEGV, as before).
    pub(crate) fn ensure() -> Option<AltStack> {
        // SAFETY: reads the current alternate stack into a zeroed `stack_t` (a null new stack
        // changes nothing).
        let mut cur: libc::stack_t = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::sigaltstack(std::ptr::null(), &mut cur) } != 0
            || cur.ss_flags & libc::SS_DISABLE == 0
        {
            return None;
        }
        let page = page_size();
        let len = page + ALT_STACK;
        // SAFETY: a fresh private anonymous mapping; nothing else refers to it.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return None;
        }
        let alt = AltStack { map, len };
        let stack = libc::stack_t {
            // SAFETY: `page` bytes into a mapping of `len > page` bytes.
            ss_sp: unsafe { map.cast::<u8>().add(page) }.cast(),
            ss_flags: 0,
            ss_size: ALT_STACK,
        };
        // SAFETY: the lowest page of our own mapping becomes its guard; then the rest, which
        // stays mapped until `drop` has taken it out of use, becomes this thread's alternate
        // stack.
        let installed = unsafe {
            libc::mprotect(map, page, libc::PROT_NONE) == 0
                && libc::sigaltstack(&stack, std::ptr::null_mut()) == 0
        };
        installed.then_some(alt)
    }
}

impl Drop for AltStack {
    fn drop(&mut self) {
        // SAFETY: runs on the thread that installed it (a worker keeps it in its frame): if it
        // is still the thread's alternate stack, it is disabled first, so no signal runs on it
        // once it is unmapped; the mapping is ours alone.
        unsafe {
            let mut cur: libc::stack_t = std::mem::zeroed();
            libc::sigaltstack(std::ptr::null(), &mut cur);
            let ours = self
                .map
                .cast::<u8>()
                .add(page_size())
                .cast::<libc::c_void>();
            if cur.ss_flags & libc::SS_DISABLE == 0 && cur.ss_sp == ours {
                let off = libc::stack_t {
                    ss_sp: std::ptr::null_mut(),
                    ss_flags: libc::SS_DISABLE,
                    ss_size: 0,
                };
                libc::sigaltstack(&off, std::ptr::null_mut());
            }
            libc::munmap(self.map, self.len);
        }
    }
}

/// Async-signal-safe: formats into a stack buffer and uses `write(2)` and `_exit(2)` only.
fn report_and_exit(id: u64, size: usize) -> ! {
    let mut buf = [0u8; 512];
    let mut n = 0;
    let mut put = |s: &[u8]| {
        let k = s.len().min(buf.len() - n);
        buf[n..n + k].copy_from_slice(&s[..k]);
        n += k;
    };
    put(b"fatal error: stack overflow\n\ngoroutine ");
    put(itoa(id, &mut [0u8; 20]));
    put(b" [running]:\n\tthe goroutine used all of its ");
    put(itoa((size / 1024) as u64, &mut [0u8; 20]));
    put(
        b" KiB stack; give goroutines more with gocsp::Builder::stack_size, or move deep \
          recursion and large values off the goroutine's stack\n",
    );
    // SAFETY: `write` and `_exit` are async-signal-safe; the buffer is valid for `n` bytes.
    unsafe {
        libc::write(2, buf.as_ptr().cast(), n);
        libc::_exit(2);
    }
}

fn itoa(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return &buf[i..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> libc::stack_t {
        // SAFETY: reads the calling thread's alternate stack into a zeroed `stack_t`.
        unsafe {
            let mut cur: libc::stack_t = std::mem::zeroed();
            assert_eq!(libc::sigaltstack(std::ptr::null(), &mut cur), 0);
            cur
        }
    }

    /// A thread without an alternate signal stack (the standard library gives its threads one
    /// only when it installed its own SIGSEGV handler) gets one, which goes when it is dropped;
    /// a thread that has one keeps it.
    #[test]
    fn a_worker_without_an_alternate_signal_stack_gets_one() {
        std::thread::spawn(|| {
            let std_stack = current();
            let had = std_stack.ss_flags & libc::SS_DISABLE == 0;
            if had {
                assert!(AltStack::ensure().is_none(), "keeps the one it has");
                let off = libc::stack_t {
                    ss_sp: std::ptr::null_mut(),
                    ss_flags: libc::SS_DISABLE,
                    ss_size: 0,
                };
                // SAFETY: disables this thread's alternate stack; restored below.
                assert_eq!(unsafe { libc::sigaltstack(&off, std::ptr::null_mut()) }, 0);
            }
            let alt = AltStack::ensure().expect("a thread without one gets one");
            let cur = current();
            assert_eq!(cur.ss_flags & libc::SS_DISABLE, 0);
            assert_eq!(cur.ss_size, ALT_STACK);
            drop(alt);
            assert_ne!(
                current().ss_flags & libc::SS_DISABLE,
                0,
                "disabled when dropped"
            );
            if had {
                // SAFETY: the standard library's own stack, still mapped, back in place.
                let restored = unsafe { libc::sigaltstack(&std_stack, std::ptr::null_mut()) };
                assert_eq!(restored, 0);
            }
        })
        .join()
        .unwrap();
    }
}
