//! The gocsp benchmark suite: every workload as a plain function, shared by the criterion
//! benches (`benches/`) and the `compare` command, which runs them next to their Go twins
//! (`go/main.go`) and crossbeam-channel on OS threads and prints the ratios.
//!
//! - [`gocsp_world`]: the workloads on gocsp, on goroutines or on plain threads;
//! - [`crossbeam_threads`]: the same workloads on crossbeam-channel and `std::thread`;
//! - [`suite`]: the table the compare command runs, with the goals from DESIGN.md section 5;
//! - [`net_echo`]: the echo servers (gocsp, tokio) and the load generator of `netbench`;
//! - [`common`]: sizes, the seeded generator, the sieve's arithmetic, `/proc` readings;
//! - [`parallel`]: the parallel suite (CPU-bound jobs over 1, 2, ... workers, with Go twins);
//! - [`gotwin`], [`report`], [`chart`]: the compare command's Go runner, table and chart.
#![forbid(unsafe_code)]

pub mod chart;
pub mod common;
pub mod crossbeam_threads;
pub mod gocsp_world;
pub mod gotwin;
pub mod net_echo;
pub mod parallel;
pub mod report;
pub mod suite;
