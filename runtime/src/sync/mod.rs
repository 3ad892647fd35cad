//! Goroutine-aware synchronization: [`WaitGroup`] and [`Mutex`], which park a blocked goroutine
//! (freeing its worker) instead of blocking the worker thread. From a plain thread they block
//! the thread.

mod mutex;
mod waitgroup;
mod waitq;

pub use mutex::{Mutex, MutexGuard};
pub use waitgroup::WaitGroup;
