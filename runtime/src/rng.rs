//! The per-thread random generator behind `select`'s fairness.
//!
//! Each thread (each worker, for goroutines) has its own wyrand state, seeded from a process
//! seed and a per-thread counter. The process seed comes from `GOCSP_SEED` when set (so a
//! failing run can be replayed), else from the OS's entropy and the address space layout;
//! [`seed`](crate::seed_rng) reseeds the calling thread.

use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

static THREAD_COUNTER: AtomicU64 = AtomicU64::new(0);

fn process_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        if let Some(s) = std::env::var("GOCSP_SEED")
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            return s;
        }
        // The OS's entropy, as std's hash maps get it (no wall clock: Miri's isolation has
        // none, and a clock is a poor seed anyway).
        let t =
            std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), 0u8);
        let local = 0u8;
        t ^ (&local as *const u8 as u64).rotate_left(32) ^ 0x9E37_79B9_7F4A_7C15
    })
}

std::thread_local! {
    static STATE: Cell<u64> = const { Cell::new(0) };
}

#[inline]
fn wyrand(state: &Cell<u64>) -> u64 {
    let mut s = state.get();
    if s == 0 {
        let n = THREAD_COUNTER.fetch_add(1, Ordering::Relaxed);
        s = process_seed() ^ n.wrapping_mul(0xA076_1D64_78BD_642F) | 1;
    }
    s = s.wrapping_add(0xA076_1D64_78BD_642F);
    state.set(s);
    let t = (s as u128).wrapping_mul((s ^ 0xE703_7ED1_A0B4_28DB) as u128);
    ((t >> 64) as u64) ^ (t as u64)
}

/// A random number below `n` (`n > 0`), from the calling thread's generator.
#[inline]
pub(crate) fn below(n: u32) -> u32 {
    // loom needs every execution of a model to be deterministic.
    if cfg!(loom) {
        return 0;
    }
    let r = STATE.try_with(wyrand).unwrap_or(0x2545_F491_4F6C_DD1D);
    (((r >> 32) * n as u64) >> 32) as u32
}

/// Shuffles `order` uniformly (Fisher–Yates).
#[inline]
pub(crate) fn shuffle(order: &mut [u32]) {
    for i in (1..order.len()).rev() {
        let j = below(i as u32 + 1) as usize;
        order.swap(i, j);
    }
}

/// Seeds the calling thread's generator (used by `select` to pick among ready cases).
///
/// Selects made afterwards by this thread, or by goroutines on this worker thread, follow the
/// same sequence for the same seed. Set `GOCSP_SEED` to seed every thread from one number.
pub fn seed_rng(seed: u64) {
    let _ = STATE.try_with(|s| s.set(seed | 1));
}
