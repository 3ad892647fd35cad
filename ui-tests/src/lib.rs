//! Holder crate for the trybuild tests in `tests/`.
#![forbid(unsafe_code)]
