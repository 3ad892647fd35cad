//! `Job`: a goroutine's closure before it runs, stored without an allocation of its own when
//! it is small.
//!
//! Most `go!` closures capture a few handles (a channel, a `WaitGroup`): a few words. Such a
//! closure is kept inline in the goroutine's control block instead of in a `Box` of its own,
//! which saves an allocation and a free per goroutine (a spawn's largest cost after the
//! control block itself). Larger closures are boxed.

use std::mem::{ManuallyDrop, MaybeUninit};

/// Room for closures of up to four words.
type Buf = MaybeUninit<[usize; 4]>;

pub(crate) enum Job {
    Inline(InlineJob),
    Boxed(Box<dyn FnOnce() + Send + 'static>),
}

pub(crate) struct InlineJob {
    buf: Buf,
    /// Moves the closure out of the buffer and calls it.
    run: unsafe fn(*mut Buf),
    /// Drops the closure in the buffer without calling it.
    drop: unsafe fn(*mut Buf),
}

// SAFETY: an `InlineJob` is only built from a closure that is `Send` (see `Job::new`); the
// buffer holds that closure and nothing else.
unsafe impl Send for InlineJob {}

impl Job {
    #[inline]
    pub(crate) fn new<F: FnOnce() + Send + 'static>(f: F) -> Job {
        if size_of::<F>() <= size_of::<Buf>() && align_of::<F>() <= align_of::<Buf>() {
            let mut buf = Buf::uninit();
            // SAFETY: `F` fits the buffer in size and alignment (checked above); the buffer
            // is uninitialized, so nothing is overwritten.
            unsafe { buf.as_mut_ptr().cast::<F>().write(f) };
            Job::Inline(InlineJob {
                buf,
                run: run_inline::<F>,
                drop: drop_inline::<F>,
            })
        } else {
            Job::Boxed(Box::new(f))
        }
    }

    /// Calls the closure.
    #[inline]
    pub(crate) fn run(self) {
        match self {
            Job::Inline(job) => {
                let mut job = ManuallyDrop::new(job);
                // SAFETY: the buffer holds the closure `run` was made for; `ManuallyDrop`
                // keeps `InlineJob::drop` from dropping it again after `run` moved it out.
                unsafe { (job.run)(&mut job.buf) }
            }
            Job::Boxed(f) => f(),
        }
    }
}

impl Drop for InlineJob {
    fn drop(&mut self) {
        // SAFETY: the buffer still holds the closure (`run` forgets the job before moving it
        // out), of the type `drop` was made for.
        unsafe { (self.drop)(&mut self.buf) }
    }
}

/// # Safety
/// `buf` must hold an `F`, which is moved out.
unsafe fn run_inline<F: FnOnce()>(buf: *mut Buf) {
    // SAFETY: per the contract.
    let f = unsafe { buf.cast::<F>().read() };
    f()
}

/// # Safety
/// `buf` must hold an `F`, which is dropped.
unsafe fn drop_inline<F>(buf: *mut Buf) {
    // SAFETY: per the contract.
    unsafe { buf.cast::<F>().drop_in_place() }
}
