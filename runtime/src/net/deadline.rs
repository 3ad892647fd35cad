//! Deadlines with Go's semantics (`SetReadDeadline`, `SetWriteDeadline`, `SetDeadline`).
//!
//! A deadline is an absolute time for *all* operations on one side of a socket, the ones
//! already blocked included. Setting one arms a timer on the runtime's timer heap; when it fires
//! (or at once, when the time has already passed) the side is marked expired and every party
//! parked there is woken to return `ErrorKind::TimedOut`. Operations fail the same way until the
//! deadline is cleared (`None`) or moved into the future. Each `set_deadline` bumps the side's
//! generation, so a timer armed for an earlier deadline that fires late does nothing.

use std::io;
use std::sync::{Arc, Weak};
use std::time::Instant;

use super::fd::{Dir, Registration};
use crate::time::heap;

/// Which side of a socket a deadline applies to.
#[derive(Clone, Copy, Debug)]
pub(super) enum Side {
    Read,
    Write,
}

fn dir(reg: &Registration, side: Side) -> &Dir {
    match side {
        Side::Read => &reg.read,
        Side::Write => &reg.write,
    }
}

/// Sets (or with `None`, clears) the deadline of one side of `reg`.
pub(super) fn set(reg: &Arc<Registration>, side: Side, when: Option<Instant>) -> io::Result<()> {
    let d = dir(reg, side);
    let mut st = d.lock();
    if st.closed {
        // Go's `SetDeadline` on a closed connection.
        return Err(super::fd::closed());
    }
    st.generation = st.generation.wrapping_add(1);
    if let Some(old) = st.timer.take() {
        old.cancel();
    }
    let woken = match when {
        None => {
            d.set_expired(&mut st, false);
            None
        }
        Some(t) if t <= Instant::now() => {
            d.set_expired(&mut st, true);
            Some(Dir::claim_all(&mut st))
        }
        Some(t) => {
            d.set_expired(&mut st, false);
            let weak: Weak<Registration> = Arc::downgrade(reg);
            let generation = st.generation;
            // Lock order: a side's lock, then the timer heap's (inside `schedule`). The timer
            // thread runs actions with the heap unlocked, so `expire` taking the side's lock
            // cannot deadlock with this.
            st.timer = Some(heap::schedule(
                t,
                Box::new(move |_| {
                    if let Some(reg) = weak.upgrade() {
                        expire(&reg, side, generation);
                    }
                }),
            ));
            None
        }
    };
    drop(st);
    if let Some(w) = woken {
        w.unpark();
    }
    Ok(())
}

/// The timer of generation `generation` fired.
fn expire(reg: &Registration, side: Side, generation: u64) {
    let d = dir(reg, side);
    let mut st = d.lock();
    if st.generation != generation {
        return;
    }
    st.timer = None;
    d.set_expired(&mut st, true);
    let woken = Dir::claim_all(&mut st);
    drop(st);
    woken.unpark();
}

impl Dir {
    /// Cancels an armed deadline timer (the socket is being closed): a pending timer would
    /// otherwise keep the deadlock check from judging until it fired.
    pub(super) fn clear_deadline_timer(&self) {
        let timer = self.lock().timer.take();
        if let Some(t) = timer {
            t.cancel();
        }
    }
}

/// A deadline `d` from now, saturating far in the future instead of overflowing.
pub(super) fn after(d: std::time::Duration) -> Instant {
    crate::time::deadline_after(d)
}
