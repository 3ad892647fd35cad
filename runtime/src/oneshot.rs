//! A one-shot slot: one value delivered at most once, one party waiting for it. What a
//! [`JoinHandle`](crate::JoinHandle) waits on, at the waiter level (no channel involved).
//!
//! The slot ends in one of two ways: a value is delivered, or the slot is closed without one
//! (the sender was dropped). The one waiter registers itself under the lock and sleeps on its
//! selection word; whoever ends the slot claims the word with the slot's token and wakes it,
//! as a channel's counterparty would.

use std::panic::Location;

use crate::loom::{Mutex, lock};
use crate::waiter::{self, BlockReason, Selected, WaiterRef};

/// The slot. Shared (`Arc`) by the waiting side and the delivering side.
pub(crate) struct OneShot<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    value: Option<T>,
    /// Delivered or closed: nothing will change any more.
    ended: bool,
    /// Who waits, if anyone is blocked on the slot now.
    waiter: Option<WaiterRef>,
}

impl<T> OneShot<T> {
    pub(crate) fn new() -> Self {
        OneShot {
            state: Mutex::new(State {
                value: None,
                ended: false,
                waiter: None,
            }),
        }
    }

    /// The token the waiter is claimed with: the slot's address (aligned to at least 4, as
    /// the selection word's encoding needs).
    fn token(&self) -> usize {
        waiter::oper_of(self)
    }

    /// Delivers `v`, unless the slot has already ended (then `v` is handed back).
    pub(crate) fn deliver(&self, v: T) -> Result<(), T> {
        self.end(Some(v))
    }

    /// Ends the slot without a value; the waiter sees `None`. No effect once it has ended.
    pub(crate) fn close(&self) {
        let _ = self.end(None);
    }

    fn end(&self, v: Option<T>) -> Result<(), T> {
        let w = {
            let mut s = lock(&self.state);
            if s.ended {
                return match v {
                    Some(v) => Err(v),
                    None => Ok(()),
                };
            }
            s.ended = true;
            s.value = v;
            s.waiter.take()
        };
        // The only registration of this waiter is here, so the claim fails only for a dead
        // goroutine (its runtime was dropped), which must not be woken.
        if let Some(w) = w
            && w.try_select(Selected::Operation(self.token())).is_ok()
        {
            w.unpark();
        }
        Ok(())
    }

    /// True once a value was delivered or the slot was closed.
    pub(crate) fn has_ended(&self) -> bool {
        lock(&self.state).ended
    }

    /// Waits until the slot ends and takes its value (`None` if it was closed without one).
    /// Blocks a thread, or parks the calling goroutine; shown as blocked for `reason`.
    /// Only one party may wait at a time.
    pub(crate) fn wait(&self, reason: BlockReason, site: &'static Location<'static>) -> Option<T> {
        waiter::with_current(|w| {
            {
                let mut s = lock(&self.state);
                if s.ended {
                    return s.value.take();
                }
                debug_assert!(s.waiter.is_none(), "two parties wait on one OneShot");
                s.waiter = Some(w.clone());
            }
            // The word leaves `WAITING` only through the claim in `end`: nothing else knows
            // this waiter (it was reset by `with_current` and registered only above).
            let s = w.wait(reason, site);
            debug_assert_eq!(s, Selected::Operation(self.token()));
            lock(&self.state).value.take()
        })
    }
}

impl<T> std::fmt::Debug for OneShot<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneShot")
            .field("ended", &self.has_ended())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn wait<T>(s: &OneShot<T>) -> Option<T> {
        s.wait(BlockReason::Join, Location::caller())
    }

    #[test]
    fn a_value_delivered_before_the_wait_is_taken_at_once() {
        let s = OneShot::new();
        assert!(!s.has_ended());
        assert_eq!(s.deliver(7), Ok(()));
        assert!(s.has_ended());
        assert_eq!(wait(&s), Some(7));
    }

    #[test]
    fn a_blocked_thread_is_woken_with_the_value() {
        let s = Arc::new(OneShot::new());
        let s2 = Arc::clone(&s);
        let t = std::thread::spawn(move || wait(&s2));
        // Give the waiter time to block; the result is the same either way.
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(s.deliver(String::from("done")), Ok(()));
        assert_eq!(t.join().unwrap().as_deref(), Some("done"));
    }

    #[test]
    fn a_closed_slot_gives_none_and_refuses_a_late_value() {
        let s = Arc::new(OneShot::new());
        let s2 = Arc::clone(&s);
        let t = std::thread::spawn(move || wait(&s2));
        s.close();
        assert_eq!(t.join().unwrap(), None);
        assert_eq!(s.deliver(1), Err(1));
    }

    #[test]
    fn only_the_first_of_two_deliveries_counts() {
        let s = OneShot::new();
        assert_eq!(s.deliver(1), Ok(()));
        assert_eq!(s.deliver(2), Err(2));
        s.close();
        assert_eq!(wait(&s), Some(1));
    }
}
