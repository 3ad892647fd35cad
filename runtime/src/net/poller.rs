//! The netpoller: one `mio::Poll` (epoll on Linux) served by one thread, `gocsp-netpoll`.
//!
//! Every socket is registered once, edge-triggered, for both directions. The thread waits in
//! `epoll_wait` with no timeout (deadlines are timers on the timer heap, not poll timeouts),
//! and for each event marks the socket's read or write side ready and wakes whoever waits there
//! (see `fd.rs`). Nothing polls in a loop: with no I/O pending the thread sleeps in the kernel.
//!
//! Events name a socket by a `Token`: a slot index in a slab plus the slot's generation, so an
//! event that was harvested just before its socket was deregistered (and its slot reused) is
//! recognised as stale and dropped.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use mio::event::Source;
use mio::{Events, Interest, Poll, Registry, Token};

use super::fd::Registration;
use crate::sched::deadlock;

pub(super) struct Poller {
    registry: Registry,
    slab: Mutex<Slab>,
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
    std::thread::Builder::new()
        .name("gocsp-netpoll".into())
        .spawn(move || poll_thread(poll))
        .map_err(|e| e.to_string())?;
    Ok(Poller {
        registry,
        slab: Mutex::new(Slab::default()),
    })
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
        self.slab.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn poll_thread(mut poll: Poll) {
    let _own = deadlock::OwnThread::enter();
    // Blocks until `start` (which spawned this thread) has filled the `OnceLock`.
    let Ok(poller) = poller() else { return };
    let mut events = Events::with_capacity(1024);
    let mut batch: Vec<(Arc<Registration>, bool, bool)> = Vec::with_capacity(1024);
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            crate::sched::report(&format!("gocsp: netpoll failed: {e}\n"));
            std::process::abort();
        }
        {
            let slab = poller.lock();
            for ev in events.iter() {
                let (index, generation) = split(ev.token());
                let Some(slot) = slab.slots.get(index as usize) else {
                    continue;
                };
                if slot.generation != generation {
                    continue;
                }
                if let Some(reg) = &slot.reg {
                    let failed = ev.is_error();
                    let readable = ev.is_readable() || ev.is_read_closed() || failed;
                    let writable = ev.is_writable() || ev.is_write_closed() || failed;
                    batch.push((reg.clone(), readable, writable));
                }
            }
        }
        for (reg, readable, writable) in batch.drain(..) {
            if readable {
                reg.read.ready();
            }
            if writable {
                reg.write.ready();
            }
        }
    }
}
