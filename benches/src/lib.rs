//! Shared workload definitions for the benchmarks.
#![forbid(unsafe_code)]
