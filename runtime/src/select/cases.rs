//! The case storage of the run-time [`Select`](super::Select) builder.
//!
//! A builder's cases have different types (a `RecvCase<'a, u64>` beside a `SendCase<'a,
//! String>`), so each is reached through `dyn SelectCase`. Boxing each one cost an allocation
//! per case, plus one for the list and one for the slice `run` takes: about 45 ns of a 1-case
//! `try_select` whose engine work is 2 ns. Here the cases of a small select live in the
//! `Select` itself:
//!
//! - up to [`INLINE_BYTES`] of cases are written into an inline, 16-aligned byte buffer, one
//!   after another at their own alignment; a case that does not fit (or needs more than
//!   16-byte alignment) is boxed;
//! - the first [`INLINE_CASES`] entries (where a case is, and how to view it as
//!   `dyn SelectCase`) are inline too, the rest in a `Vec`;
//! - `refs` lends the engine its `&mut [&mut dyn SelectCase]` from a stack array for up
//!   to [`INLINE_CASES`] cases.
//!
//! An entry records an offset, not a pointer, for an inline case: the `Select` may move
//! between building and running (returned from a function, say), and the cases move with it.
//! That is allowed: a case re-aims its packet at its own storage before every use, and is
//! never registered with a channel outside a run, which borrows the `Select` mutably.

use std::alloc::Layout;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

use super::SelectCase;

/// Bytes of cases kept inline: 8 receive cases of a pointer-sized value need 384.
pub(super) const INLINE_BYTES: usize = 512;
/// Cases whose entries are inline, and the most `refs` lends from the stack.
pub(super) const INLINE_CASES: usize = 8;

/// The largest alignment the inline buffer offers.
const INLINE_ALIGN: usize = 16;

/// The inline buffer, aligned for any case of up to [`INLINE_ALIGN`].
#[repr(C, align(16))]
struct Bytes([MaybeUninit<u8>; INLINE_BYTES]);

/// Where a case lives.
#[derive(Clone, Copy)]
enum Place {
    /// At this offset in the inline buffer.
    Inline(u32),
    /// In its own allocation (a leaked `Box` of the case's concrete type).
    Heap(NonNull<u8>),
}

/// One case: where it is, and how to see it as `dyn SelectCase`.
#[derive(Clone, Copy)]
struct Entry<'a> {
    place: Place,
    /// `as_dyn::<C>` for the case's concrete type `C`.
    as_dyn: fn(*mut u8) -> *mut (dyn SelectCase + 'a),
}

/// Views a pointer to a `C` as `dyn SelectCase` (as valid as `p` is).
fn as_dyn<'a, C: SelectCase + 'a>(p: *mut u8) -> *mut (dyn SelectCase + 'a) {
    p.cast::<C>() as *mut (dyn SelectCase + 'a)
}

/// Entry `i` of a list of `len`.
///
/// # Panics
/// If `i >= len`.
#[inline]
fn entry_of<'a>(
    entries: &[MaybeUninit<Entry<'a>>; INLINE_CASES],
    more: &[Entry<'a>],
    len: usize,
    i: usize,
) -> Entry<'a> {
    assert!(i < len, "select case {i} out of range");
    if i < INLINE_CASES {
        // SAFETY: entries below `len` were written by `push`.
        unsafe { entries[i].assume_init() }
    } else {
        more[i - INLINE_CASES]
    }
}

/// A pointer to the case `e` describes, in the inline buffer that starts at `base` or on the
/// heap.
#[inline]
fn case_at<'a>(base: *mut u8, e: Entry<'a>) -> *mut (dyn SelectCase + 'a) {
    let p = match e.place {
        // Wrapping: computing the address needs no promise; only a dereference does (and
        // `push` put the case at `offset`, inside the buffer that `base` starts).
        Place::Inline(offset) => base.wrapping_add(offset as usize),
        Place::Heap(p) => p.as_ptr(),
    };
    (e.as_dyn)(p)
}

/// Where [`Cases::refs`] builds the slice it lends: on the stack for up to [`INLINE_CASES`]
/// cases.
pub(super) struct RefBuf<'b> {
    inline: [MaybeUninit<&'b mut (dyn SelectCase + 'b)>; INLINE_CASES],
    heap: Vec<&'b mut (dyn SelectCase + 'b)>,
}

impl RefBuf<'_> {
    #[inline]
    pub(super) fn new() -> Self {
        RefBuf {
            inline: [const { MaybeUninit::uninit() }; INLINE_CASES],
            heap: Vec::new(),
        }
    }
}

/// The cases of one `Select`, owned: each is dropped with the list, in the order added.
pub(super) struct Cases<'a> {
    bytes: Bytes,
    /// Bytes of `bytes` in use.
    used: usize,
    entries: [MaybeUninit<Entry<'a>>; INLINE_CASES],
    /// Entries past the first [`INLINE_CASES`].
    more: Vec<Entry<'a>>,
    len: usize,
    /// Cases already dropped (only `Drop` advances it, so a panicking case's `Drop` does not
    /// leave the rest undropped).
    dropped: usize,
    /// Owns `dyn SelectCase + 'a` values: not `Send` or `Sync`, covariant in `'a`.
    _owns: PhantomData<Box<dyn SelectCase + 'a>>,
}

impl<'a> Cases<'a> {
    pub(super) fn new() -> Self {
        Cases {
            bytes: Bytes([MaybeUninit::uninit(); INLINE_BYTES]),
            used: 0,
            entries: [MaybeUninit::uninit(); INLINE_CASES],
            more: Vec::new(),
            len: 0,
            dropped: 0,
            _owns: PhantomData,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Adds a case; returns its index.
    #[inline]
    pub(super) fn push<C: SelectCase + 'a>(&mut self, case: C) -> usize {
        let layout = Layout::new::<C>();
        let offset = self.used.next_multiple_of(layout.align());
        let place = if layout.align() <= INLINE_ALIGN && offset + layout.size() <= INLINE_BYTES {
            // SAFETY: `offset + size <= INLINE_BYTES`, so the write stays in the buffer; the
            // buffer is 16-aligned and `offset` a multiple of the case's alignment (<= 16), so
            // the place is aligned for `C`. Bytes from `used` on hold no case.
            unsafe { self.base().add(offset).cast::<C>().write(case) };
            self.used = offset + layout.size();
            Place::Inline(offset as u32)
        } else {
            Place::Heap(NonNull::from(Box::leak(Box::new(case))).cast())
        };
        let entry = Entry {
            place,
            as_dyn: as_dyn::<C>,
        };
        let i = self.len;
        if i < INLINE_CASES {
            self.entries[i].write(entry);
        } else {
            self.more.push(entry);
        }
        self.len += 1;
        i
    }

    fn entry(&self, i: usize) -> Entry<'a> {
        entry_of(&self.entries, &self.more, self.len, i)
    }

    /// The start of the inline buffer. Every case pointer of one operation is derived from one
    /// such base (a reborrow of the buffer would invalidate pointers derived before it).
    #[inline]
    fn base(&mut self) -> *mut u8 {
        (&raw mut self.bytes).cast::<u8>()
    }

    /// A pointer to case `i`, valid while `self` is neither moved nor dropped.
    ///
    /// # Panics
    /// If there is no case `i`.
    #[inline]
    pub(super) fn get(&mut self, i: usize) -> *mut (dyn SelectCase + 'a) {
        let e = self.entry(i);
        case_at(self.base(), e)
    }

    /// Every case, lent as one slice (the engine's input), built in `buf`.
    #[inline]
    pub(super) fn refs<'b>(
        &'b mut self,
        buf: &'b mut RefBuf<'b>,
    ) -> &'b mut [&'b mut (dyn SelectCase + 'b)] {
        let n = self.len;
        let base = self.base();
        // The entries are read through their own fields, never through `self` as a whole: a
        // read of the whole would also read the buffer, which the references below borrow.
        let (entries, more) = (&self.entries, &self.more);
        let case = |i| -> &'b mut (dyn SelectCase + 'b) {
            // SAFETY: the pointer is to a live case owned by `self`; cases never overlap, so
            // the `n` references are disjoint, and they live for `'b`, within `&'b mut self`.
            unsafe { &mut *case_at(base, entry_of(entries, more, n, i)) }
        };
        if n <= INLINE_CASES {
            for (i, r) in buf.inline[..n].iter_mut().enumerate() {
                r.write(case(i));
            }
            // SAFETY: the first `n` elements were just written; `MaybeUninit<X>` has `X`'s
            // layout.
            unsafe {
                std::slice::from_raw_parts_mut(
                    buf.inline
                        .as_mut_ptr()
                        .cast::<&'b mut (dyn SelectCase + 'b)>(),
                    n,
                )
            }
        } else {
            buf.heap.extend((0..n).map(case));
            &mut buf.heap
        }
    }

    /// Drops the cases not dropped yet, in order. A case whose `Drop` panics still counts as
    /// dropped (its storage is not touched again).
    fn drop_rest(&mut self) {
        while self.dropped < self.len {
            let i = self.dropped;
            self.dropped += 1;
            let e = self.entry(i);
            let p = case_at(self.base(), e);
            match e.place {
                // SAFETY: case `i` is live (below `len`, not dropped: `dropped` was just moved
                // past it, so it is dropped once) and owned by `self`.
                Place::Inline(_) => unsafe { std::ptr::drop_in_place(p) },
                // SAFETY: as above; `p` came from `Box::leak` of a box of this very type
                // (`as_dyn` restores its metadata), so `Box::from_raw` frees it as allocated.
                Place::Heap(_) => drop(unsafe { Box::from_raw(p) }),
            }
        }
    }
}

impl Drop for Cases<'_> {
    fn drop(&mut self) {
        /// Drops the rest if a case's `Drop` panics (a second panic aborts, as in a `Vec`).
        struct Rest<'s, 'a>(&'s mut Cases<'a>);
        impl Drop for Rest<'_, '_> {
            fn drop(&mut self) {
                self.0.drop_rest();
            }
        }
        let rest = Rest(self);
        rest.0.drop_rest();
        std::mem::forget(rest);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::Chan;
    use crate::select::RecvCase;

    fn inline(cases: &Cases<'_>) -> Vec<bool> {
        (0..cases.len())
            .map(|i| matches!(cases.entry(i).place, Place::Inline(_)))
            .collect()
    }

    #[test]
    fn eight_small_cases_stay_inline_and_big_or_over_aligned_ones_are_boxed() {
        #[repr(align(32))]
        struct Aligned(#[allow(dead_code)] u8);
        let small: Chan<u64> = Chan::new(1);
        let big: Chan<[u8; 600]> = Chan::new(1);
        let aligned: Chan<Aligned> = Chan::new(1);
        let mut cases = Cases::new();
        for _ in 0..INLINE_CASES {
            cases.push(RecvCase::new(&small));
        }
        cases.push(RecvCase::new(&big));
        cases.push(RecvCase::new(&aligned));
        // Spilled entries still place their cases inline while there is room.
        cases.push(RecvCase::new(&small));
        assert_eq!(
            inline(&cases),
            [
                true, true, true, true, true, true, true, true, false, false, true
            ]
        );
    }
}
