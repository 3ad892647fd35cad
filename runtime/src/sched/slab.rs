//! Goroutine stacks as memory: the `Stack` that corosensei runs a goroutine on.
//!
//! Two ways to get one, picked once per process (`guards()`):
//!
//! - **Slabs** (Linux 6.13+): one large `MAP_NORESERVE` mapping holds many stacks side by
//!   side, each with a guard page below it installed by `madvise(MADV_GUARD_INSTALL)`. A guard
//!   installed this way does not split the mapping (and neighbouring slabs merge), so a million
//!   stacks add about 70 entries to `/proc/self/maps` instead of two million. Huge pages are turned off for slabs
//!   (`MADV_NOHUGEPAGE`): a 64 KiB stack must not pull in a 2 MiB page. Slab memory is never
//!   unmapped; an idle stack gives its pages back with `MADV_DONTNEED`, which keeps its guard.
//! - **One mapping per stack** (older kernels, or `GOCSP_STACK_SLABS=0`): corosensei's
//!   `DefaultStack`, an `mmap` with an `mprotect`ed guard page, two mappings per stack.
//!
//! Layout of a slab stack, addresses growing upwards:
//!
//! ```text
//! limit            limit + page                  base           end = limit + stride
//! | guard (1 page) | usable ...                     | color | warm | next stack's guard ...
//! ```
//!
//! The usable part is `size - WARM_BYTES - color` bytes: `color` (under 2 KiB) differs from
//! slot to slot, so that goroutines' hottest frames spread over the caches' sets (`color`). A
//! stack with a mapping of its own starts the same distance below its top.
//!
//! The guard is the lowest page of every stack, so the page below a stack's usable part is
//! always a guard, also between two neighbours in one slab. Rust's stack probes touch every
//! page of a frame larger than a page in order, so an overflow faults on the guard rather than
//! stepping over it into the neighbour's stack.

use std::collections::VecDeque;
use std::io;
use std::sync::{Condvar, Mutex, OnceLock};

use corosensei::stack::valgrind::ValgrindStackRegistration;
use corosensei::stack::{DefaultStack, Stack, StackPointer};

/// `madvise` advice that installs guard pages in a range (Linux 6.13+); not yet in `libc`.
const MADV_GUARD_INSTALL: libc::c_int = 102;

/// Bytes at the top of every slab slot kept out of the goroutine's stack: the warmer's word
/// (`warm_slots`), which only the warmer ever writes and nothing reads.
const WARM_BYTES: usize = 64;
const _: () = assert!(WARM_BYTES.is_multiple_of(corosensei::stack::STACK_ALIGNMENT));
const _: () = assert!(64usize.is_multiple_of(corosensei::stack::STACK_ALIGNMENT));

/// The environment variable that, set to `0`, forces one mapping per stack.
pub(crate) const SLABS_ENV: &str = "GOCSP_STACK_SLABS";

/// Bytes of address space per slab (at least `MIN_PER_SLAB` stacks).
const SLAB_BYTES: usize = 32 << 20;
const MIN_PER_SLAB: usize = 16;

pub(crate) fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    // SAFETY: `sysconf` has no preconditions.
    *PAGE.get_or_init(|| (unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize).max(4096))
}

/// True if stacks come from slabs with `madvise` guard pages: the kernel supports
/// `MADV_GUARD_INSTALL` (an install succeeds, and the page it guards then faults) and
/// `GOCSP_STACK_SLABS` is not `0`. Decided once per process.
pub(crate) fn guards() -> bool {
    static GUARDS: OnceLock<bool> = OnceLock::new();
    *GUARDS.get_or_init(|| {
        !std::env::var(SLABS_ENV).is_ok_and(|v| v.trim() == "0") && guard_installs_work()
    })
}

/// Whether a guard install succeeds on a probe page and the page then faults. Not the return
/// value alone: a system that returns 0 for advice it ignores (qemu's user-mode emulation
/// treats advice as a hint it may drop) would leave every slab stack without a guard, and an
/// overflow would write into the stack below. The fallback path's guards are `mprotect`ed,
/// which such a system obeys.
#[cfg(target_os = "linux")]
fn guard_installs_work() -> bool {
    let page = page_size();
    let Some(p) = probe_pages() else {
        return false;
    };
    // SAFETY: `p` is the first of two fresh pages of ours (`probe_pages`), unmapped here and
    // referred to by nothing else.
    unsafe {
        let ok = libc::madvise(p, page, MADV_GUARD_INSTALL) == 0 && faults(p);
        libc::munmap(p, 2 * page);
        ok
    }
}

/// `MADV_GUARD_INSTALL` is Linux's.
#[cfg(not(target_os = "linux"))]
fn guard_installs_work() -> bool {
    false
}

/// Two fresh private read-write pages for a probe (`munmap` them with twice the page size),
/// or `None` if they cannot be mapped.
#[cfg(target_os = "linux")]
fn probe_pages() -> Option<*mut libc::c_void> {
    // SAFETY: a new private anonymous mapping at an address of the kernel's choosing: it
    // replaces nothing, and nothing else refers to it.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            2 * page_size(),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    (p != libc::MAP_FAILED).then_some(p)
}

/// Whether reading the byte at `p` faults, asked without a signal: the kernel copies it into
/// a pipe and reports `EFAULT` if it cannot. False if no pipe can be made.
///
/// # Safety
/// `p` must not be a page whose read has side effects (a mapping of a device, say).
#[cfg(target_os = "linux")]
unsafe fn faults(p: *const libc::c_void) -> bool {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe2` writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return false;
    }
    // SAFETY: a write of one byte from `p`: the kernel checks the address and fails with
    // `EFAULT` where it cannot read it, without touching the caller's memory otherwise.
    let n = unsafe { libc::write(fds[1], p, 1) };
    let efault = n == -1 && io::Error::last_os_error().raw_os_error() == Some(libc::EFAULT);
    // SAFETY: both descriptors are ours, just made, and closed once.
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
    efault
}

/// A goroutine stack, owned: either a slot of a slab or a mapping of its own.
pub(crate) enum GoStack {
    Slab {
        /// Lowest address: the guard page.
        limit: usize,
        /// Where the stack starts: `WARM_BYTES` and the slot's color (`slot_color`) below the
        /// slot's end (its highest address, exclusive, page-aligned: `slot_end`). Kept rather
        /// than the end: the coroutine asks for it at every resume, and the color takes two
        /// divisions (the 3,000-prime sieve on one worker: 555 -> 508 instructions a hop,
        /// 415 -> 350 ms), while the end is one mask away and kept as well made every
        /// goroutine's control block a word larger (spawn + finish 3-5 ns slower).
        base: usize,
        _valgrind: ValgrindStackRegistration,
    },
    Mapped(DefaultStack),
}

impl GoStack {
    /// A stack with its own mapping (the fallback path), at least `size` usable bytes.
    pub(crate) fn mapped(size: usize) -> io::Result<GoStack> {
        DefaultStack::new(size).map(GoStack::Mapped)
    }

    /// Gives the stack's memory back to the kernel, keeping its address range and guard
    /// (slab stacks only; a mapped stack is unmapped by dropping it instead). The next use
    /// finds zeroed pages.
    pub(crate) fn release_memory(&self) {
        if let GoStack::Slab { limit, base, .. } = *self {
            let end = slot_end(base);
            let page = page_size();
            // SAFETY: the usable part of a slab stack we own (no coroutine runs on an idle
            // stack); `MADV_DONTNEED` on private anonymous memory only drops its contents,
            // and the guard page below `limit + page` is not in the range.
            unsafe {
                libc::madvise(
                    (limit + page) as *mut libc::c_void,
                    end - limit - page,
                    libc::MADV_DONTNEED,
                );
            }
        }
    }
}

impl Drop for GoStack {
    fn drop(&mut self) {
        // Slab memory is never unmapped: the slot's pages go back to the kernel, its address
        // range stays reserved (its guard with it). A mapped stack unmaps itself.
        self.release_memory();
    }
}

// SAFETY: a slab stack is the bytes between `limit + page` and `base = end - WARM_BYTES -
// color` (the slot's, from `slot_color`), at least `size - WARM_BYTES - MAX_COLOR`, which is
// at least corosensei's `MIN_STACK_SIZE` (`Slab::map` asserts it; the builder asks for 16 KiB
// at least); `limit + page` is page-aligned and `base` a multiple of 64 (so of
// `STACK_ALIGNMENT`: the assert beside `WARM_BYTES`) below a page-aligned `end`. The page at
// `limit` is a guard installed by `MADV_GUARD_INSTALL` when the slab was mapped
// (`Slab::map`), before any slot is handed out, and nothing removes it (`MADV_DONTNEED` is only
// ever applied to usable pages), so any access to it faults. Each slot is owned by at most one
// `GoStack` at a time (`Slab::carve` hands each out once; pools move them), so no two
// coroutines share one, and a stack is only reused after its coroutine returned (`into_stack`).
// The warmer writes only the `WARM_BYTES` above `base`, which are not part of the stack. Slab
// memory is never unmapped, so `base` stays valid for as long as the `GoStack` lives.
// `DefaultStack` upholds the same contract with an `mprotect`ed guard; its page-aligned top
// lowered by `color` (under 2 KiB, a multiple of 64) is still inside it, with at least the
// builder's 16 KiB less `MAX_COLOR` below.
unsafe impl Stack for GoStack {
    #[inline]
    fn base(&self) -> StackPointer {
        match self {
            GoStack::Slab { base, .. } => StackPointer::new(*base).expect("stack base"),
            GoStack::Mapped(s) => {
                let top = s.base().get();
                StackPointer::new(top - hashed_color(top)).expect("stack base")
            }
        }
    }

    #[inline]
    fn limit(&self) -> StackPointer {
        match self {
            GoStack::Slab { limit, .. } => StackPointer::new(*limit).expect("stack limit"),
            GoStack::Mapped(s) => s.limit(),
        }
    }
}

/// Bytes a slot's stack starts below its warm word, a multiple of 64 below 2 KiB: the number
/// of the slot's top page, modulo 32 (divided first by the largest power of two dividing the
/// slot's size in pages, so that consecutive slots take every color in turn whatever the stack
/// size). Tried and slower on the sieve below: colors by the slot's number in its slab, in
/// order, bit-reversed or 17 apart (1,390-1,590 ms), or by a hash of the page number
/// (1,400-1,430), against 1,257-1,373 ms for the page number (as if the colors should follow
/// the address bits just above them). Slots' tops are page-aligned: without an
/// offset, every goroutine's hottest frames (the few hundred bytes a parked goroutine resumes
/// into) would sit at the same offset of a page, in the same few sets of the L1 and L2 caches,
/// and a chain of goroutines resumed one after the other (the prime sieve) would evict its
/// own frames. Measured, 5,000-prime sieve: 1,460-1,493 -> 1,328-1,336 ms on one worker,
/// 930-966 -> 633-862 ms on two. The offset stays within the slot's top page for frames
/// under 2 KiB, so a blocked goroutine still touches one page.
#[inline]
fn color(n: usize) -> usize {
    (n % COLORS) * 64
}

/// The end of the slot whose stack starts at `base`: the page boundary above it, as the
/// color and the warm word take less than a page (below).
#[inline]
fn slot_end(base: usize) -> usize {
    let page = page_size();
    (base + page) & !(page - 1)
}
const _: () = assert!(WARM_BYTES + MAX_COLOR < 4096);

/// The color of the slot of `stride` bytes whose top is `end` (see `color`).
fn slot_color(end: usize, stride: usize) -> usize {
    let pages = stride / page_size();
    color((end / page_size()) >> pages.trailing_zeros())
}

/// The color of a stack with a mapping of its own, from the address of its top (mappings are
/// not numbered): a Fibonacci hash of its page number.
#[inline]
fn hashed_color(top: usize) -> usize {
    color(((top >> 12) as u32).wrapping_mul(0x9E37_79B9) as usize >> 27)
}
const COLORS: usize = 32;
/// The most bytes `color` takes from a stack.
pub(crate) const MAX_COLOR: usize = (COLORS - 1) * 64;

/// The stack slots of one slab not yet handed out.
pub(crate) struct Slab {
    next: usize,
    left: usize,
    /// Bytes per slot: guard page plus the stack's size (of which the top `WARM_BYTES` are
    /// the warm word).
    stride: usize,
}

impl Slab {
    /// Stacks per slab for stacks of `size` bytes.
    pub(crate) fn per_slab(size: usize) -> usize {
        (SLAB_BYTES / (size + page_size())).max(MIN_PER_SLAB)
    }

    /// Reserves a slab of `per_slab(size)` stacks of `size` usable bytes (a multiple of the
    /// page size) and installs every stack's guard page.
    pub(crate) fn map(size: usize) -> io::Result<Slab> {
        let page = page_size();
        // The `Stack` contract needs a usable size of whole pages, at least one; the builder
        // keeps it well below anything that could wrap.
        assert!(
            size >= page
                && size.is_multiple_of(page)
                && size - WARM_BYTES - MAX_COLOR >= corosensei::stack::MIN_STACK_SIZE,
            "bad goroutine stack size {size}"
        );
        let stride = size + page;
        let count = Slab::per_slab(size);
        let len = stride
            .checked_mul(count)
            .ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
        // SAFETY: a fresh private anonymous mapping; nothing else refers to it. On any error
        // it is unmapped before returning, so no slot of it is ever handed out.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
            // Best effort: without transparent huge pages there is nothing to turn off.
            #[cfg(target_os = "linux")]
            libc::madvise(p, len, libc::MADV_NOHUGEPAGE);
            let start = p as usize;
            if let Err(err) = install_guards(start, stride, count) {
                libc::munmap(p, len);
                return Err(err);
            }
            Ok(Slab {
                next: start,
                left: count,
                stride,
            })
        }
    }

    /// Slots not handed out yet.
    pub(crate) fn left(&self) -> usize {
        self.left
    }

    /// The work that allocates the top page of every slot not handed out yet, so that the
    /// goroutines that get them do not each take a page fault: the faults are taken on another
    /// core while the workers run goroutines (a burst of spawns on a machine with a core to
    /// spare). Only for slabs mapped ahead of a burst (`Class::map_ahead`): a program with a
    /// handful of goroutines never pays for pages it will not use.
    ///
    /// The warmer writes each slot's warm word, an ordinary page fault. It used to ask for the
    /// pages with `MADV_POPULATE_WRITE`, a little cheaper per page, but that holds the
    /// process's `mmap_lock` for the whole range, and every `mmap`/`mprotect` meanwhile (the
    /// allocator growing a worker's heap for control blocks) waited for it: a worker spawning
    /// 100,000 goroutines sat idle 60% of the time. A fault takes only its mapping's lock.
    /// Unlike the advice, which failed with `ENOMEM`, a fault when memory runs out is met by
    /// the kernel's out-of-memory handling, as a goroutine's own first touch of the page would
    /// be a moment later.
    ///
    /// Run it on the `gocsp-stacks` thread (`in_background`, or directly from a job there).
    pub(crate) fn warmer(&self) -> Job {
        let (start, stride, count) = (self.next, self.stride, self.left);
        Box::new(move || warm_slots(start, stride, count))
    }

    /// Hands out the next slot, if any is left.
    pub(crate) fn carve(&mut self) -> Option<GoStack> {
        if self.left == 0 {
            return None;
        }
        let limit = self.next;
        self.next += self.stride;
        self.left -= 1;
        let page = page_size();
        let end = limit + self.stride;
        let base = end - WARM_BYTES - slot_color(end, self.stride);
        debug_assert_eq!(slot_end(base), end);
        Some(GoStack::Slab {
            limit,
            base,
            _valgrind: ValgrindStackRegistration::new(
                (limit + page) as *mut u8,
                self.stride - page - WARM_BYTES,
            ),
        })
    }
}

/// Touches the warm word of slots `0..count` of the slab run starting at `start`, last slot
/// first: spawns carve from the front, so when goroutines catch up with the warmer they fault
/// their own pages at one end while it faults the other's.
fn warm_slots(start: usize, stride: usize, count: usize) {
    for i in (0..count).rev() {
        let word = (start + (i + 1) * stride - WARM_BYTES) as *mut u8;
        // SAFETY: the warm word of a slot of a slab, which is never unmapped: mapped writable
        // memory that no stack covers (`base` is below it), that nothing reads, and that only
        // the warmer of this slab writes (one per slab: `Class::map_ahead` runs one at a time
        // per class), so the write races with no access, even when the slot was handed out
        // meanwhile. `release_memory` on another thread may drop the page (`MADV_DONTNEED`)
        // before or after it: the word's value does not matter.
        unsafe { word.write_volatile(1) };
    }
}

/// Ranges advised per `process_madvise` call (the kernel takes up to 1024). Each call holds
/// the process's `mmap_lock` throughout, and a worker whose allocator grows its heap
/// (`mprotect`) waits for it: 512 guard pages held it about 250 us, 32 hold it about 16 us,
/// and the system call itself is still a small part of the cost.
#[cfg(target_os = "linux")]
const RANGES_PER_CALL: usize = 512;

/// Installs a guard page at `start + i * stride` for `i < count`.
///
/// # Safety
/// The ranges must lie in a private anonymous mapping of ours that nothing uses yet.
unsafe fn install_guards(start: usize, stride: usize, count: usize) -> io::Result<()> {
    // SAFETY: the caller's promise.
    unsafe { advise_each(start, stride, count, page_size(), MADV_GUARD_INSTALL) }
}

/// `madvise(start + i * stride, len, advice)` for `i < count`: many ranges per system call
/// with `process_madvise` on this process (for guard pages, half the cost of one `madvise`
/// each, measured on Linux 6.18), one `madvise` each where that is refused. Stops at the first
/// range `madvise` refuses.
///
/// # Safety
/// `advice` applied to every range must be sound: the ranges lie in mappings of ours, and the
/// advice must not change memory something else relies on.
unsafe fn advise_each(
    start: usize,
    stride: usize,
    count: usize,
    len: usize,
    advice: libc::c_int,
) -> io::Result<()> {
    let mut i = 0;
    #[cfg(target_os = "linux")]
    if let Some(fd) = self_pidfd() {
        let mut iov = [libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        }; RANGES_PER_CALL];
        while i < count {
            let k = (count - i).min(RANGES_PER_CALL);
            for (j, v) in iov[..k].iter_mut().enumerate() {
                v.iov_base = (start + (i + j) * stride) as *mut libc::c_void;
                v.iov_len = len;
            }
            // SAFETY: `iov` holds `k` valid entries describing ranges of our own mappings
            // (the caller's promise); the kernel only reads them.
            let done = unsafe {
                libc::syscall(libc::SYS_process_madvise, fd, iov.as_ptr(), k, advice, 0u32)
            };
            if done != (k * len) as libc::c_long {
                // Refused or partial: the per-range loop below does the rest (advising a
                // range twice is harmless for the advice used here).
                break;
            }
            i += k;
        }
    }
    while i < count {
        // SAFETY: a range of our own mappings (the caller's promise).
        if unsafe { libc::madvise((start + i * stride) as *mut _, len, advice) } != 0 {
            return Err(io::Error::last_os_error());
        }
        i += 1;
    }
    Ok(())
}

/// A pidfd for this process, for `process_madvise`; opened once, kept for the process's life.
/// `None` in a child forked after it was opened: there it names the parent (whose memory the
/// kernel would not let us advise this way anyway).
#[cfg(target_os = "linux")]
fn self_pidfd() -> Option<libc::c_long> {
    static FD: OnceLock<Option<(libc::c_long, libc::pid_t)>> = OnceLock::new();
    // SAFETY: `getpid` has no preconditions.
    let pid = unsafe { libc::getpid() };
    let (fd, owner) = (*FD.get_or_init(|| {
        // SAFETY: `pidfd_open` on our own pid with no flags returns a new close-on-exec
        // descriptor, or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0u32) };
        (fd >= 0).then_some((fd, pid))
    }))?;
    (owner == pid).then_some(fd)
}

/// Work for the stacks thread.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

static JOBS: Mutex<VecDeque<Job>> = Mutex::new(VecDeque::new());
static JOBS_READY: Condvar = Condvar::new();

fn lock_jobs() -> std::sync::MutexGuard<'static, VecDeque<Job>> {
    JOBS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `job` on the `gocsp-stacks` thread (started on first use): stack work that costs a
/// page fault or a system call per stack (mapping, guarding and warming a slab, returning
/// pooled stacks' memory) and that no worker, and not sysmon, should wait for. Runs it here
/// if that thread cannot be started. A job that panics is reported and the thread goes on.
pub(crate) fn in_background(job: Job) {
    static STARTED: OnceLock<bool> = OnceLock::new();
    let started = *STARTED.get_or_init(|| {
        std::thread::Builder::new()
            .name("gocsp-stacks".into())
            .spawn(stacks_thread)
            .is_ok()
    });
    if !started {
        job();
        return;
    }
    lock_jobs().push_back(job);
    JOBS_READY.notify_one();
}

fn stacks_thread() {
    let _own = super::deadlock::OwnThread::enter();
    loop {
        let job = {
            let mut q = lock_jobs();
            loop {
                if let Some(job) = q.pop_front() {
                    break job;
                }
                q = JOBS_READY.wait(q).unwrap_or_else(|p| p.into_inner());
            }
        };
        // A panic here would be a bug in the job; the thread must outlive it, or every later
        // job (scavenging, mapping ahead) would wait forever. The panic hook has reported it.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

#[cfg(all(test, target_os = "linux", not(miri)))]
mod tests {
    use super::*;

    /// Whether the page at `addr` is resident.
    fn resident(addr: usize) -> bool {
        let page = page_size();
        let mut v = 0u8;
        // SAFETY: one page-aligned page of a mapping of ours; `mincore` writes one byte.
        let r = unsafe { libc::mincore((addr & !(page - 1)) as *mut _, page, &mut v) };
        assert_eq!(r, 0, "mincore: {}", io::Error::last_os_error());
        v & 1 == 1
    }

    /// The probe behind `guards`: a readable page does not fault, an inaccessible one does
    /// (made so with `mprotect`, which every kernel obeys), and so does a guard page where the
    /// kernel installs them.
    #[test]
    #[cfg(target_os = "linux")]
    fn the_probe_tells_a_readable_page_from_an_inaccessible_one() {
        let page = page_size();
        let p = probe_pages().expect("map two pages");
        // SAFETY: two fresh pages of ours (`probe_pages`), unmapped at the end.
        unsafe {
            let second = p.cast::<u8>().add(page).cast::<libc::c_void>();
            assert!(!faults(p), "a readable page read as faulting");
            assert_eq!(libc::mprotect(second, page, libc::PROT_NONE), 0);
            assert!(faults(second), "a PROT_NONE page read as readable");
            if guards() {
                assert_eq!(libc::madvise(p, page, MADV_GUARD_INSTALL), 0);
                assert!(faults(p), "a guard page read as readable");
            }
            libc::munmap(p, 2 * page);
        }
    }

    /// Consecutive slots start their stacks at different offsets of their top page, every
    /// color in turn, all within that page.
    #[test]
    fn consecutive_slots_take_every_color() {
        if !guards() {
            eprintln!("skipped: no MADV_GUARD_INSTALL on this kernel");
            return;
        }
        let page = page_size();
        // Slots of 16 pages and of 17 (a stride that divides the colors' cycle, and one that
        // does not).
        for size in [15 * page, 16 * page] {
            let mut slab = Slab::map(size).expect("map a slab");
            let mut offsets = std::collections::BTreeSet::new();
            for _ in 0..COLORS {
                let s = slab.carve().expect("a slot");
                let GoStack::Slab { limit, .. } = s else {
                    unreachable!()
                };
                let end = limit + slab.stride;
                assert_eq!(slot_end(s.base().get()), end);
                let below = end - WARM_BYTES - s.base().get();
                assert!(below <= MAX_COLOR && below.is_multiple_of(64), "{below}");
                offsets.insert(below);
            }
            assert_eq!(offsets.len(), COLORS, "size {size}: {offsets:?}");
        }
    }

    #[test]
    fn warming_faults_in_the_top_page_of_each_slot_not_handed_out_and_nothing_else() {
        if !guards() {
            eprintln!("skipped: no MADV_GUARD_INSTALL on this kernel");
            return;
        }
        let page = page_size();
        let mut slab = Slab::map(4 * page).expect("map a slab");
        let count = slab.left();
        let given: Vec<GoStack> = (0..2).map(|_| slab.carve().unwrap()).collect();
        let first_free = slab.next;
        slab.warmer()();
        for i in 0..count - 2 {
            let end = first_free + (i + 1) * slab.stride;
            assert!(resident(end - page), "slot {i}: top page not warmed");
            assert!(
                !resident(end - 2 * page),
                "slot {i}: a lower page was touched"
            );
        }
        for s in &given {
            let GoStack::Slab { limit, .. } = *s else {
                unreachable!()
            };
            let end = limit + slab.stride;
            assert!(
                !resident(end - page),
                "a slot handed out before warming was touched"
            );
            // The stack starts below the warm word, at its slot's color, inside the slot's
            // top page.
            let base = s.base().get();
            assert_eq!(base, end - WARM_BYTES - slot_color(end, slab.stride));
            assert_eq!(slot_end(base), end);
            assert!(base > end - page);
            assert_eq!(base % 16, 0);
            assert!(s.limit().get() + page < base);
        }
    }
}
