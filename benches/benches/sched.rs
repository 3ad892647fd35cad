//! The goroutine workloads on the gocsp runtime (global runtime, default worker count). One
//! iteration is one whole run of a workload from `gocsp_benches` (the functions the compare
//! command times, at smaller sizes); throughput is per operation. The blocked-goroutines
//! workload needs a fresh process per measurement and lives in the compare command only.

use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use gocsp_benches::common::{BUFFER, sieve_hops};
use gocsp_benches::gocsp_world::{self as g, SelectForm, World::Goroutines as GR};

fn batch(iters: u64, run: impl Fn() -> Duration) -> Duration {
    (0..iters).map(|_| run()).sum()
}

const SIEVE_PRIMES: usize = 1_000;

fn sched(c: &mut Criterion) {
    // (name, size handed to the workload, operations per run, workload)
    type Workload = (&'static str, usize, u64, fn(usize) -> Duration);
    let workloads: [Workload; 12] = [
        ("spawn_finish", 10_000, 10_000, |n| g::spawn(GR, n)),
        ("unbuffered_ping_pong", 20_000, 20_000, |n| {
            g::ping_pong(GR, n)
        }),
        ("buffered_1x1", 200_000, 200_000, |n| {
            g::mpmc(GR, 1, 1, BUFFER, n)
        }),
        ("buffered_4x4", 200_000, 200_000, |n| {
            g::mpmc(GR, 4, 4, BUFFER, n)
        }),
        ("unbuffered_4x4", 20_000, 20_000, |n| {
            g::mpmc(GR, 4, 4, 0, n)
        }),
        ("select_4_busy/select_form", 100_000, 100_000, |n| {
            g::select4(GR, SelectForm::Static, n)
        }),
        ("select_4_busy/builder", 100_000, 100_000, |n| {
            g::select4(GR, SelectForm::Builder, n)
        }),
        (
            "select_default_empty/select_form",
            1_000_000,
            1_000_000,
            |n| g::select_default(GR, SelectForm::Static, n),
        ),
        ("select_default_empty/builder", 200_000, 200_000, |n| {
            g::select_default(GR, SelectForm::Builder, n)
        }),
        ("context_tree_1000", 5, 5, |n| g::context_tree(GR, n)),
        ("timers_10k", 10_000, 10_000, |n| g::timers(GR, n)),
        (
            "prime_sieve_1000",
            SIEVE_PRIMES,
            0, // filled in below
            |n| g::sieve(GR, n),
        ),
    ];
    for (name, size, ops, run) in workloads {
        let ops = if ops == 0 { sieve_hops(size) } else { ops };
        let mut group = c.benchmark_group(format!("goroutines/{name}"));
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .throughput(Throughput::Elements(ops));
        group.bench_function("gocsp", |b| {
            b.iter_custom(|iters| batch(iters, || run(size)))
        });
        group.finish();
    }
}

criterion_group!(benches, sched);
criterion_main!(benches);
