//! Helpers shared by the example programs.
#![forbid(unsafe_code)]
