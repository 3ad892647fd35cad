//! Channels on OS threads, no goroutines: gocsp's channels against crossbeam-channel, the
//! thread-world baseline. One iteration is one whole run of a workload from `gocsp_benches`
//! (the same functions the compare command times); throughput is per message.

use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use gocsp_benches::common::BUFFER;
use gocsp_benches::crossbeam_threads as cb;
use gocsp_benches::gocsp_world::{self as g, SelectForm, World::Threads};

fn batch(iters: u64, run: impl Fn() -> Duration) -> Duration {
    (0..iters).map(|_| run()).sum()
}

fn channels(c: &mut Criterion) {
    type Workload = (
        &'static str,
        u64,
        fn(usize) -> Duration,
        fn(usize) -> Duration,
    );
    let workloads: [Workload; 6] = [
        (
            "buffered_1x1",
            200_000,
            |n| g::mpmc(Threads, 1, 1, BUFFER, n),
            |n| cb::mpmc(1, 1, BUFFER, n),
        ),
        (
            "buffered_4x4",
            200_000,
            |n| g::mpmc(Threads, 4, 4, BUFFER, n),
            |n| cb::mpmc(4, 4, BUFFER, n),
        ),
        (
            "unbuffered_ping_pong",
            1_000,
            |n| g::ping_pong(Threads, n),
            cb::ping_pong,
        ),
        (
            "unbuffered_4x4",
            4_000,
            |n| g::mpmc(Threads, 4, 4, 0, n),
            |n| cb::mpmc(4, 4, 0, n),
        ),
        (
            "select_4_busy",
            100_000,
            |n| g::select4(Threads, SelectForm::Static, n),
            cb::select4,
        ),
        (
            "select_default_empty",
            1_000_000,
            |n| g::select_default(Threads, SelectForm::Static, n),
            cb::select_default,
        ),
    ];
    for (name, n, gocsp, crossbeam) in workloads {
        let mut group = c.benchmark_group(format!("threads/{name}"));
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .throughput(Throughput::Elements(n));
        group.bench_function("gocsp", |b| {
            b.iter_custom(|iters| batch(iters, || gocsp(n as usize)))
        });
        group.bench_function("crossbeam", |b| {
            b.iter_custom(|iters| batch(iters, || crossbeam(n as usize)))
        });
        group.finish();
    }
}

criterion_group!(benches, channels);
criterion_main!(benches);
