//! The netpoller: one `mio::Poll` (epoll on Linux) that the scheduler's workers take events
//! from (`sched/io_hook.rs`), and a thread, `gocsp-netpoll`, for the times no worker runs.
//!
//! Every socket is registered once, edge-triggered, for both directions. Whoever polls marks,
//! for each event, the socket's read or write side ready and wakes whoever waits there (see
//! `fd.rs`). Workers poll without blocking while they run, and one sleeping worker at a time
//! (the owner) waits in the kernel for the next event instead of on its futex. The owner waits
//! on a second epoll set (`outer`) holding the sockets' set and an eventfd (`wake`): a worker
//! woken for other work is interrupted through the eventfd, which only the owner ever waits
//! on, so no other poller can take that wake-up from it. Deadlines are timers on the timer
//! heap, not poll timeouts; with no I/O pending nothing polls in a loop. (That is Linux; on
//! other systems the `gocsp-netpoll` thread takes every event through `mio`, and wakes the
//! workers for them.)
//!
//! Events name a socket by a `Token`: a slot index in a slab plus the slot's generation, so an
//! event that was harvested just before its socket was deregistered (and its slot reused) is
//! recognised as stale and dropped.

use std::io;
#[cfg(target_os = "linux")]
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex, OnceLock};

use mio::event::Source;
use mio::{Interest, Poll, Registry, Token};

use super::fd::Registration;
#[cfg(not(target_os = "linux"))]
use crate::sched::deadlock;

/// Events taken per poll.
const BATCH: usize = 256;

pub(super) struct Poller {
    registry: Registry,
    slab: Mutex<Slab>,
    #[cfg(target_os = "linux")]
    sets: linux::Sets,
}

#[derive(Default)]
struct Slab {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

#[derive(Default)]
struct Slot {
    generation: u32,
    reg: Option<Arc<Registration>>,
}

/// A registration's token: its slot in the low 32 bits, the slot's generation in the high 32
/// (the crate builds for 64-bit targets only: `lib.rs`).
fn token_of(index: u32, generation: u32) -> Token {
    Token(((generation as usize) << 32) | index as usize)
}

fn split(token: Token) -> (u32, u32) {
    (token.0 as u32, (token.0 >> 32) as u32)
}

/// The process's netpoller, started on first use (which also raises the descriptor limit).
pub(super) fn poller() -> io::Result<&'static Poller> {
    static POLLER: OnceLock<Result<Poller, String>> = OnceLock::new();
    match POLLER.get_or_init(start) {
        Ok(p) => Ok(p),
        Err(e) => Err(io::Error::other(format!(
            "gocsp: cannot start the netpoller: {e}"
        ))),
    }
}

fn start() -> Result<Poller, String> {
    raise_nofile_limit();
    let poll = Poll::new().map_err(|e| e.to_string())?;
    let registry = poll.registry().try_clone().map_err(|e| e.to_string())?;
    // The registry's descriptor is a duplicate of the poll's (the same epoll instance), and
    // the registry lives in the poller, which lives as long as the process.
    #[cfg(target_os = "linux")]
    let sets = linux::Sets::new(registry.as_raw_fd()).map_err(|e| e.to_string())?;
    std::thread::Builder::new()
        .name("gocsp-netpoll".into())
        .spawn(move || poll_thread(poll))
        .map_err(|e| e.to_string())?;
    #[cfg(target_os = "linux")]
    linux::install_hooks();
    Ok(Poller {
        registry,
        slab: Mutex::new(Slab::default()),
        #[cfg(target_os = "linux")]
        sets,
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit, as Go 1.19+ does at start-up: a server
/// holding thousands of connections should not fail at the distribution's default of 1024.
fn raise_nofile_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable `rlimit` for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return;
    }
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: `lim` is a valid `rlimit`; failure leaves the limit as it was.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    }
}

impl Poller {
    /// Registers `source` for read and write readiness (edge-triggered) and returns the
    /// registration that its waiters will park on.
    pub(super) fn register(&self, source: &mut impl Source) -> io::Result<Arc<Registration>> {
        let (index, generation, reg) = {
            let mut slab = self.lock();
            let index = match slab.free.pop() {
                Some(i) => i,
                None => {
                    slab.slots.push(Slot::default());
                    u32::try_from(slab.slots.len() - 1)
                        .map_err(|_| io::Error::other("gocsp: too many sockets"))?
                }
            };
            let slot = &mut slab.slots[index as usize];
            let reg = Arc::new(Registration::new(token_of(index, slot.generation).0));
            slot.reg = Some(reg.clone());
            (index, slot.generation, reg)
        };
        let token = token_of(index, generation);
        if let Err(e) =
            self.registry
                .register(source, token, Interest::READABLE | Interest::WRITABLE)
        {
            self.release(index);
            return Err(e);
        }
        Ok(reg)
    }

    /// Removes `source` from the poller; no event for it is delivered afterwards.
    pub(super) fn deregister(&self, source: &mut impl Source, reg: &Registration) {
        let _ = self.registry.deregister(source);
        let (index, generation) = split(Token(reg.token()));
        let slab = self.lock();
        let current = slab
            .slots
            .get(index as usize)
            .is_some_and(|s| s.generation == generation);
        drop(slab);
        if current {
            self.release(index);
        }
    }

    fn release(&self, index: u32) {
        let mut slab = self.lock();
        let slot = &mut slab.slots[index as usize];
        slot.reg = None;
        slot.generation = slot.generation.wrapping_add(1);
        slab.free.push(index);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slab> {
        lock(&self.slab)
    }

    /// Marks the sides of each event's socket ready and wakes their waiters: (token,
    /// readable, writable) per event.
    fn dispatch(&self, events: impl Iterator<Item = (usize, bool, bool)>) {
        let mut batch: Vec<(Arc<Registration>, bool, bool)> =
            Vec::with_capacity(events.size_hint().0);
        {
            let slab = self.lock();
            for (token, readable, writable) in events {
                let (index, generation) = split(Token(token));
                let Some(slot) = slab.slots.get(index as usize) else {
                    continue;
                };
                if slot.generation != generation {
                    continue;
                }
                if let Some(reg) = &slot.reg {
                    batch.push((reg.clone(), readable, writable));
                }
            }
        }
        for (reg, readable, writable) in batch {
            if readable {
                reg.read.ready();
            }
            if writable {
                reg.write.ready();
            }
        }
    }
}

/// The `gocsp-netpoll` thread on systems where the workers do not poll: it takes every event
/// and wakes the waiters (on their home workers).
#[cfg(not(target_os = "linux"))]
fn poll_thread(mut poll: Poll) {
    let _own = deadlock::OwnThread::enter();
    // Blocks until `start` (which spawned this thread) has filled the `OnceLock`.
    let Ok(poller) = poller() else { return };
    let mut events = mio::Events::with_capacity(BATCH);
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            crate::sched::report(&format!("gocsp: netpoll failed: {e}\n"));
            std::process::abort();
        }
        poller.dispatch(events.iter().map(|ev| {
            let failed = ev.is_error();
            let readable = ev.is_readable() || ev.is_read_closed() || failed;
            let writable = ev.is_writable() || ev.is_write_closed() || failed;
            (ev.token().0, readable, writable)
        }));
    }
}

#[cfg(target_os = "linux")]
use linux::poll_thread;

/// Linux: the workers take the events (`sched/io_hook.rs`).
#[cfg(target_os = "linux")]
mod linux {
    use std::io;
    use std::os::fd::RawFd;
    use std::sync::{Condvar, Mutex};

    use mio::Poll;

    use super::{BATCH, Poller, lock, poller};
    use crate::sched::{deadlock, io_hook};

    /// The descriptors the workers poll and the owner waits on.
    pub(super) struct Sets {
        /// The sockets' epoll set (the `mio::Poll`'s), polled without blocking.
        inner: RawFd,
        /// The set the owner waits on: `inner` and `wake`, level-triggered.
        outer: RawFd,
        /// An eventfd that interrupts the owner's wait.
        wake: RawFd,
    }

    impl Sets {
        pub(super) fn new(inner: RawFd) -> io::Result<Sets> {
            let (outer, wake) = outer_set(inner)?;
            Ok(Sets { inner, outer, wake })
        }
    }

    /// Runs only when the poller fails to start after its sets were made (its thread could not
    /// be spawned): a started poller lives in a static and is never dropped.
    impl Drop for Sets {
        fn drop(&mut self) {
            // SAFETY: `outer` and `wake` were made by `outer_set` for this `Sets` alone, and
            // nothing else holds them: the hooks that use them are installed only after the
            // poller (which owns this `Sets`) is built. `inner` is the registry's and is closed
            // by it.
            unsafe {
                libc::close(self.outer);
                libc::close(self.wake);
            }
        }
    }

    /// Hands the scheduler the functions it polls, waits and interrupts with.
    pub(super) fn install_hooks() {
        io_hook::install(io_hook::IoHooks {
            poll: || poller().is_ok_and(|p| p.poll(0)),
            wait: |ms| poller().is_ok_and(|p| p.poll(ms)),
            interrupt: || {
                if let Ok(p) = poller() {
                    p.interrupt();
                }
            },
            no_workers: || {
                let _g = lock(&THREAD_MAY_POLL);
                THREAD_WAKE.notify_one();
            },
        });
    }

    /// Makes the owner's epoll set: `inner` and a fresh eventfd, both level-triggered. Both new
    /// descriptors live as long as the process (the poller is never dropped), or are closed by
    /// `Sets`' drop if the poller fails to start.
    ///
    /// A waiter on a set that holds another set relies on the kernel waking it for an event that
    /// comes while another thread polls the inner set (a busy worker); kernels before 5.7 could
    /// miss that wake-up ("eventpoll: fix missing wakeup for ovflist"), and the event then waited
    /// for the next poll (a worker's, or sysmon's within 10 ms).
    fn outer_set(inner: RawFd) -> io::Result<(RawFd, RawFd)> {
        fn check(r: libc::c_int) -> io::Result<libc::c_int> {
            if r < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(r)
            }
        }
        // SAFETY: system calls that make two descriptors of ours and add `inner` (open for the
        // poller's life) and the eventfd to the first; `ev` is valid for each `epoll_ctl`. On an
        // error the descriptors made so far are closed.
        unsafe {
            let outer = check(libc::epoll_create1(libc::EPOLL_CLOEXEC))?;
            let wake = match check(libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK)) {
                Ok(fd) => fd,
                Err(e) => {
                    libc::close(outer);
                    return Err(e);
                }
            };
            for (fd, tag) in [(inner, 0u64), (wake, 1u64)] {
                let mut ev = libc::epoll_event {
                    events: libc::EPOLLIN as u32,
                    u64: tag,
                };
                if let Err(e) = check(libc::epoll_ctl(outer, libc::EPOLL_CTL_ADD, fd, &mut ev)) {
                    libc::close(outer);
                    libc::close(wake);
                    return Err(e);
                }
            }
            Ok((outer, wake))
        }
    }

    /// Whether the `gocsp-netpoll` thread may wait for I/O (no worker runs), and its wake-up.
    static THREAD_MAY_POLL: Mutex<()> = Mutex::new(());
    static THREAD_WAKE: Condvar = Condvar::new();

    impl Poller {
        /// Takes the events that are ready and wakes their waiters; with a `timeout` other than
        /// 0 (milliseconds, -1 for none), first waits on the outer set for an event, an
        /// interrupt or the timeout (only the owner, or the netpoll thread when no worker runs,
        /// does that). True if any socket event came.
        fn poll(&self, timeout: libc::c_int) -> bool {
            if timeout != 0 {
                let mut ev = [libc::epoll_event { events: 0, u64: 0 }; 2];
                // SAFETY: `ev` has room for the 2 events asked for.
                let n = unsafe { libc::epoll_wait(self.sets.outer, ev.as_mut_ptr(), 2, timeout) };
                for e in ev.iter().take(n.max(0) as usize) {
                    if e.u64 == 1 {
                        let mut count = 0u64;
                        // SAFETY: reads the eventfd's 8-byte counter into `count`, resetting it;
                        // non-blocking, so a counter already reset just fails.
                        unsafe { libc::read(self.sets.wake, (&mut count as *mut u64).cast(), 8) };
                    }
                }
            }
            let mut events = [libc::epoll_event { events: 0, u64: 0 }; BATCH];
            let mut any = false;
            loop {
                // SAFETY: `events` has room for `BATCH` events.
                let n = unsafe {
                    libc::epoll_wait(self.sets.inner, events.as_mut_ptr(), BATCH as _, 0)
                };
                if n <= 0 {
                    return any;
                }
                any = true;
                self.dispatch(events[..n as usize].iter().map(|ev| {
                    let e = ev.events as libc::c_int;
                    // As `mio` reads them, widened: a spurious readiness only costs a retry.
                    let failed = e & (libc::EPOLLERR | libc::EPOLLHUP) != 0;
                    let readable =
                        e & (libc::EPOLLIN | libc::EPOLLPRI | libc::EPOLLRDHUP) != 0 || failed;
                    let writable = e & libc::EPOLLOUT != 0 || failed;
                    (ev.u64 as usize, readable, writable)
                }));
                if (n as usize) < BATCH {
                    return any;
                }
            }
        }

        /// Ends the owner's wait (or the next one).
        fn interrupt(&self) {
            let one = 1u64;
            // SAFETY: writes 8 bytes from `one` to our eventfd; failure (a full counter) leaves it
            // readable anyway.
            unsafe { libc::write(self.sets.wake, (&one as *const u64).cast(), 8) };
        }
    }

    /// The `gocsp-netpoll` thread: waits for I/O while no worker runs (sockets used from plain
    /// threads), as the owner of the wait, so that it never competes with a worker for one.
    pub(super) fn poll_thread(poll: Poll) {
        let _own = deadlock::OwnThread::enter();
        // Keeps the sockets' epoll set open for the life of the process.
        let _poll = poll;
        // Blocks until `start` (which spawned this thread) has filled the `OnceLock`.
        let Ok(poller) = poller() else { return };
        loop {
            {
                let mut g = lock(&THREAD_MAY_POLL);
                while io_hook::live_workers() > 0 {
                    g = THREAD_WAKE.wait(g).unwrap_or_else(|p| p.into_inner());
                }
            }
            if io_hook::own_for_thread() {
                poller.poll(-1);
                io_hook::disown_thread();
            } else {
                // A worker owns the wait (it is about to see that it is stopping, or has just
                // started): look again shortly.
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    }
}
