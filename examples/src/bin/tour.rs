//! A tour of gocsp (filled in by the examples work).
#![forbid(unsafe_code)]
fn main() {}
