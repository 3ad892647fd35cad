//! Goroutine-aware synchronization, Go's `sync` package and its `x/sync` companions:
//! [`WaitGroup`], [`Mutex`], [`RWMutex`], [`Once`], [`Cond`], [`errgroup::Group`] and the weighted
//! [`Semaphore`]. Each parks a blocked goroutine (freeing its worker) instead of blocking the
//! worker thread; from a plain thread it blocks the thread.
//!
//! The locks hold their data, Rust's way (`*counter.lock() += 1`); `Mutex<()>` and
//! `RWMutex<()>` also take Go's explicit `lock_unguarded()`/`unlock()` calls. `WaitGroup`,
//! `errgroup::Group` and `Semaphore` are handles whose clones share one state; share the locks,
//! `Once` and `Cond` with an `Arc`, as Go shares a pointer.
//!
//! Misuse panics with Go's message at the caller's line: "sync: negative WaitGroup counter",
//! "sync: unlock of unlocked mutex", "sync: Unlock of unlocked RWMutex", "sync: RUnlock of
//! unlocked RWMutex", "semaphore: released more than held".

mod cond;
pub mod errgroup;
mod mutex;
mod once;
mod rwmutex;
mod semaphore;
mod waitgroup;
mod waitq;

pub use cond::Cond;
pub use mutex::{Mutex, MutexGuard};
pub use once::Once;
pub use rwmutex::{RWMutex, RWMutexReadGuard, RWMutexWriteGuard};
pub use semaphore::Semaphore;
pub use waitgroup::WaitGroup;
