//! The workloads on gocsp: every function runs either on goroutines (the product) or with the
//! same channels used from plain OS threads (the thread-world baseline), chosen by [`World`].
//! The code is the Go twin's (`go/main.go`) line for line.

use std::time::{Duration, Instant};

use gocsp::{Chan, Receiver, Select, WaitGroup, context, time};

use crate::common::{self, BUFFER, Blocked, CONTEXT_NODES, sink};

/// Where the workload's concurrent parts run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum World {
    /// Goroutines on the global gocsp runtime (default worker count, like Go's GOMAXPROCS);
    /// the measuring code itself runs in a goroutine, as Go's `main` does.
    Goroutines,
    /// Plain `std::thread`s and the calling thread; gocsp channels park the threads.
    Threads,
}

impl World {
    /// Runs `f` where this world's "main" runs: in a goroutine (joined), or right here.
    /// (`track_caller`: the goroutine's spawn site is the workload's line, as a `go`
    /// statement's would be, so the scheduler learns each workload's goroutines apart.)
    #[track_caller]
    pub fn run<T, F>(self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        match self {
            World::Goroutines => gocsp::spawn(f)
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            World::Threads => f(),
        }
    }

    /// Starts `f` concurrently: Go's `go` statement, or a detached thread.
    #[track_caller]
    pub fn go<F>(self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        match self {
            World::Goroutines => gocsp::go(f),
            World::Threads => {
                std::thread::spawn(f);
            }
        }
    }
}

/// Spawn and finish `n` goroutines that each call `wg.done()`; waits for all of them.
pub fn spawn(world: World, n: usize) -> Duration {
    world.run(move || {
        let wg = WaitGroup::new();
        let start = Instant::now();
        wg.add(n as i64);
        for _ in 0..n {
            let wg = wg.clone();
            world.go(move || wg.done());
        }
        wg.wait();
        start.elapsed()
    })
}

/// `n` round trips over two unbuffered channels between the caller and an echo.
pub fn ping_pong(world: World, n: usize) -> Duration {
    world.run(move || {
        let ping: Chan<usize> = Chan::new(0);
        let pong: Chan<usize> = Chan::new(0);
        let (rx, tx) = (ping.receiver(), pong.sender());
        world.go(move || {
            for v in &rx {
                tx.send(v);
            }
        });
        let start = Instant::now();
        for i in 0..n {
            ping.send(i);
            sink(pong.recv());
        }
        let elapsed = start.elapsed();
        ping.close();
        elapsed
    })
}

/// `n` round trips between "main" and an echo goroutine over two unbuffered channels: main
/// is a goroutine (`World::Goroutines`, what `#[gocsp::main]` gives) or the calling OS thread
/// (`World::Threads`); the echo is a goroutine either way.
pub fn main_round_trip(main: World, n: usize) -> Duration {
    main.run(move || {
        let ping: Chan<usize> = Chan::new(0);
        let pong: Chan<usize> = Chan::new(0);
        let (rx, tx) = (ping.receiver(), pong.sender());
        gocsp::go(move || {
            for v in &rx {
                tx.send(v);
            }
        });
        let start = Instant::now();
        for i in 0..n {
            ping.send(i);
            sink(pong.recv());
        }
        let elapsed = start.elapsed();
        ping.close();
        elapsed
    })
}

/// `p` producers send `n / p` values each into one channel of capacity `cap`, `q` consumers
/// receive `n / q` each, and the caller waits for all of them.
pub fn mpmc(world: World, p: usize, q: usize, cap: usize, n: usize) -> Duration {
    world.run(move || {
        let ch: Chan<usize> = Chan::new(cap);
        let wg = WaitGroup::new();
        let start = Instant::now();
        wg.add((p + q) as i64);
        for _ in 0..p {
            let (tx, wg) = (ch.sender(), wg.clone());
            world.go(move || {
                for j in 0..n / p {
                    tx.send(j);
                }
                wg.done();
            });
        }
        for _ in 0..q {
            let (rx, wg) = (ch.receiver(), wg.clone());
            world.go(move || {
                for _ in 0..n / q {
                    sink(rx.recv());
                }
                wg.done();
            });
        }
        wg.wait();
        start.elapsed()
    })
}

/// 4 goroutines (or threads) take one `sync::Mutex` `n / 4` times each, incrementing a
/// counter under it.
pub fn mutex4(world: World, n: usize) -> Duration {
    world.run(move || {
        let mu = std::sync::Arc::new(gocsp::sync::Mutex::new(0usize));
        let wg = WaitGroup::new();
        let start = Instant::now();
        let m = mu.clone();
        go_each(world, 4, &wg, move || {
            for _ in 0..n / 4 {
                *m.lock() += 1;
            }
        });
        wg.wait();
        let elapsed = start.elapsed();
        assert_eq!(*mu.lock(), n / 4 * 4, "mutex4: lost updates");
        elapsed
    })
}

/// Starts `count` goroutines (or threads) running `body`, each counted in `wg` until done.
fn go_each(world: World, count: i64, wg: &WaitGroup, body: impl Fn() + Clone + Send + 'static) {
    wg.add(count);
    for _ in 0..count {
        let (body, wg) = (body.clone(), wg.clone());
        world.go(move || {
            body();
            wg.done();
        });
    }
}

/// 4 goroutines (or threads) take one `sync::RWMutex` for reading `n / 4` times each while a
/// fifth takes it for writing `n / 100` times.
pub fn rwmutex4(world: World, n: usize) -> Duration {
    world.run(move || {
        let mu = std::sync::Arc::new(gocsp::sync::RWMutex::new(0usize));
        let wg = WaitGroup::new();
        let start = Instant::now();
        let m = mu.clone();
        go_each(world, 4, &wg, move || {
            let mut s = 0;
            for _ in 0..n / 4 {
                s += *m.rlock();
            }
            sink(Some(s));
        });
        go_each(world, 1, &wg, move || {
            for _ in 0..n / 100 {
                *mu.lock() += 1;
            }
        });
        wg.wait();
        start.elapsed()
    })
}

/// 4 goroutines (or threads) call `add(1)` then `done()` on one `WaitGroup` `n / 4` times
/// each.
pub fn waitgroup4(world: World, n: usize) -> Duration {
    world.run(move || {
        let (shared, wg) = (WaitGroup::new(), WaitGroup::new());
        let start = Instant::now();
        let sh = shared.clone();
        go_each(world, 4, &wg, move || {
            for _ in 0..n / 4 {
                sh.add(1);
                sh.done();
            }
        });
        wg.wait();
        shared.wait();
        start.elapsed()
    })
}

/// One timer stopped, drained and reset `n` times (an idle timeout pushed back on every
/// message).
pub fn timer_reset(world: World, n: usize) -> Duration {
    world.run(move || {
        let t = time::Timer::new(time::HOUR);
        let start = Instant::now();
        for _ in 0..n {
            if !t.stop() {
                sink(t.c().try_recv().ok());
            }
            t.reset(time::HOUR);
        }
        let elapsed = start.elapsed();
        t.stop();
        elapsed
    })
}

/// One pending timer reset `n` times to a later deadline (`reset` without `stop`).
pub fn timer_pushback(world: World, n: usize) -> Duration {
    world.run(move || {
        let t = time::Timer::new(time::HOUR);
        let start = Instant::now();
        for _ in 0..n {
            sink(t.reset(time::HOUR));
        }
        let elapsed = start.elapsed();
        t.stop();
        elapsed
    })
}

/// How a workload builds its `select`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectForm {
    /// The `select!` macro (cases on the stack; one case plus `default` is a single
    /// non-blocking attempt, without the select engine).
    Static,
    /// The run-time [`Select`] builder (one boxed case each).
    Builder,
}

fn four_channels() -> [Chan<usize>; 4] {
    std::array::from_fn(|_| Chan::new(BUFFER))
}

/// The sum of `n` runs of `f`. Out of line, one copy per closure: each select form loops in a
/// function of its own, so a change to one form's code cannot move the other's (the forms
/// shared one loop once, and the builder's inlined cases changed the static form's timing).
#[inline(never)]
fn sum_of(n: usize, mut f: impl FnMut() -> usize) -> usize {
    let mut sum = 0usize;
    for _ in 0..n {
        sum = sum.wrapping_add(f());
    }
    sum
}

/// Four producers send `n / 4` values each on their own channel (capacity 1024); the caller
/// selects over the four `n` times.
pub fn select4(world: World, form: SelectForm, n: usize) -> Duration {
    world.run(move || {
        let chans = four_channels();
        let start = Instant::now();
        for ch in &chans {
            let tx = ch.sender();
            world.go(move || {
                for j in 0..n / 4 {
                    tx.send(j);
                }
            });
        }
        let rx: [Receiver<usize>; 4] = std::array::from_fn(|i| chans[i].receiver());
        let sum = match form {
            SelectForm::Static => sum_of(n, || select4_static(&rx)),
            SelectForm::Builder => sum_of(n, || select4_builder(&rx)),
        };
        let elapsed = start.elapsed();
        sink(sum);
        elapsed
    })
}

#[inline]
fn select4_static(rx: &[Receiver<usize>; 4]) -> usize {
    let [r0, r1, r2, r3] = rx;
    gocsp::select! {
        v = <-r0 => v,
        v = <-r1 => v,
        v = <-r2 => v,
        v = <-r3 => v,
    }
}

#[inline]
fn select4_builder(rx: &[Receiver<usize>; 4]) -> usize {
    let mut sel = Select::new();
    let cases = [
        sel.recv(&rx[0]),
        sel.recv(&rx[1]),
        sel.recv(&rx[2]),
        sel.recv(&rx[3]),
    ];
    let i = sel.select();
    sel.take(cases[i]).unwrap_or_default()
}

/// `n` selects with a default case on one empty unbuffered channel.
pub fn select_default(world: World, form: SelectForm, n: usize) -> Duration {
    world.run(move || {
        let ch: Chan<usize> = Chan::new(0);
        let start = Instant::now();
        let hits = match form {
            SelectForm::Static => sum_of(n, || {
                usize::from(gocsp::select! {
                    <-ch => true,
                    default => false,
                })
            }),
            SelectForm::Builder => sum_of(n, || {
                let mut sel = Select::new();
                sel.recv(&ch);
                usize::from(sel.try_select().is_some())
            }),
        };
        let elapsed = start.elapsed();
        sink(hits);
        elapsed
    })
}

/// `n` times: build a 1,000-node cancellation tree (asking each node for its `done()`
/// channel, as a goroutine waiting on it would), cancel the root, and observe every node's
/// `done()`. Returns the total; the suite reports microseconds per tree.
pub fn context_tree(world: World, n: usize) -> Duration {
    world.run(move || {
        let start = Instant::now();
        for _ in 0..n {
            let mut ctxs = Vec::with_capacity(CONTEXT_NODES);
            let mut cancels = Vec::with_capacity(CONTEXT_NODES);
            let mut dones = Vec::with_capacity(CONTEXT_NODES);
            for i in 0..CONTEXT_NODES {
                let (ctx, cancel) = if i == 0 {
                    context::with_cancel(&context::background())
                } else {
                    context::with_cancel(&ctxs[(i - 1) / 10])
                };
                dones.push(ctx.done());
                ctxs.push(ctx);
                cancels.push(cancel);
            }
            cancels[0]();
            for d in &dones {
                sink(d.recv());
            }
            for c in &cancels {
                c();
            }
        }
        start.elapsed()
    })
}

/// Creates `n` `time::after` channels with random deadlines under 1 ms, then receives from
/// each in creation order.
pub fn timers(world: World, n: usize) -> Duration {
    let deadlines = common::timer_deadlines_us(n);
    world.run(move || {
        let start = Instant::now();
        let chans: Vec<_> = deadlines
            .iter()
            .map(|&us| time::after(Duration::from_micros(us)))
            .collect();
        for c in &chans {
            sink(c.recv());
        }
        start.elapsed()
    })
}

/// Sleeps per goroutine of [`sleepers`].
pub const SLEEPS: usize = 20;

/// `n` goroutines (a polling loop each, as in a server's tickers and timeouts) each sleep 1 ms
/// [`SLEEPS`] times; the main goroutine waits for them all. Goroutines only: as many threads
/// would measure the OS.
pub fn sleepers(n: usize) -> Duration {
    time_goroutines(n, || {
        for _ in 0..SLEEPS {
            time::sleep(Duration::from_millis(1));
        }
    })
}

/// Starts `n` goroutines running `body` from a goroutine and times them until the last is
/// done.
fn time_goroutines(n: usize, body: impl Fn() + Clone + Send + 'static) -> Duration {
    World::Goroutines.run(move || {
        let start = Instant::now();
        let wg = WaitGroup::new();
        go_each(World::Goroutines, n as i64, &wg, body);
        wg.wait();
        start.elapsed()
    })
}

/// Ticks each goroutine of [`tickers`] receives.
pub const TICKS: usize = 50;

/// `n` goroutines each receive [`TICKS`] ticks of a 1 ms `Ticker` of their own (a heartbeat
/// each, as in a server's connections); the main goroutine waits for them all. Goroutines
/// only.
pub fn tickers(n: usize) -> Duration {
    time_goroutines(n, || {
        let ticker = time::Ticker::new(Duration::from_millis(1));
        for _ in 0..TICKS {
            sink(ticker.c().recv());
        }
        ticker.stop();
    })
}

/// The concurrent prime sieve to `n` primes, closed at the end so every goroutine exits: a
/// generator sends 2, 3, ... up to the `n`-th prime, each filter passes on what its prime
/// does not divide, and the caller takes the head of the chain as the next prime. The suite
/// divides by [`common::sieve_hops`].
pub fn sieve(world: World, n: usize) -> Duration {
    let limit = common::nth_prime(n);
    world.run(move || {
        let start = Instant::now();
        let mut ch: Chan<u64> = Chan::new(0);
        let out = ch.sender();
        world.go(move || {
            for i in 2..=limit {
                out.send(i);
            }
            out.close();
        });
        let mut found = 0;
        while let Some(p) = ch.recv() {
            found += 1;
            let next: Chan<u64> = Chan::new(0);
            let (input, out) = (ch.receiver(), next.sender());
            world.go(move || {
                for v in &input {
                    if v % p != 0 {
                        out.send(v);
                    }
                }
                out.close();
            });
            ch = next;
        }
        let elapsed = start.elapsed();
        assert_eq!(found, n, "the sieve found {found} primes, want {n}");
        elapsed
    })
}

/// Go's "whispers": a chain of `n` goroutines started in one loop, each receiving from its
/// right neighbour and sending one more to its left; the caller sends 1 into the right end
/// and reads `n + 1` at the left. Measures both phases, spawning and passing. Goroutines
/// only (`n` is 100k).
pub fn whispers(n: usize) -> Duration {
    World::Goroutines.run(move || {
        let start = Instant::now();
        let leftmost: Chan<usize> = Chan::new(0);
        let mut left = leftmost.clone();
        for _ in 0..n {
            let right: Chan<usize> = Chan::new(0);
            let (l, r) = (left.sender(), right.receiver());
            gocsp::go(move || {
                if let Some(v) = r.recv() {
                    l.send(v + 1);
                }
            });
            left = right;
        }
        gocsp::go(move || left.send(1));
        let got = leftmost.recv();
        let elapsed = start.elapsed();
        assert_eq!(got, Some(n + 1), "the whisper arrived changed");
        elapsed
    })
}

/// A publisher (the measuring goroutine) starts `subs` subscribers, each receiving on its own
/// channel of capacity 16, and sends each of `n` messages to every one of them, then closes
/// the channels and waits for the subscribers. Goroutines only.
pub fn broadcast(subs: usize, n: usize) -> Duration {
    World::Goroutines.run(move || {
        let start = Instant::now();
        let wg = WaitGroup::new();
        let chans: Vec<Chan<usize>> = (0..subs).map(|_| Chan::new(16)).collect();
        for c in &chans {
            wg.add(1);
            let (rx, wg) = (c.receiver(), wg.clone());
            gocsp::go(move || {
                let mut s = 0;
                for v in &rx {
                    s += v;
                }
                sink(s);
                wg.done();
            });
        }
        for m in 0..n {
            for c in &chans {
                c.send(m);
            }
        }
        for c in &chans {
            c.close();
        }
        wg.wait();
        start.elapsed()
    })
}

/// Starts `n` goroutines (or threads) that each block receiving on one channel, and measures
/// the time to start them all (each has run and is about to block when it calls `wg.done()`),
/// the growth of the resident set per goroutine, and the time from closing the channel until
/// every one has ended. Run it in a fresh process: pooled stacks
/// and allocator caches from earlier workloads would hide the cost.
pub fn blocked(world: World, n: usize) -> Blocked {
    // Start the runtime first, so its own threads are in the baseline.
    world.run(|| ());
    world.run(move || {
        let ch: Chan<()> = Chan::new(0);
        let wg = WaitGroup::new();
        let before = common::vm_rss();
        let start = Instant::now();
        wg.add(n as i64);
        let ended = WaitGroup::new();
        ended.add(n as i64);
        for _ in 0..n {
            let (rx, wg, ended) = (ch.receiver(), wg.clone(), ended.clone());
            world.go(move || {
                wg.done();
                sink(rx.recv());
                ended.done();
            });
        }
        wg.wait();
        let elapsed = start.elapsed();
        let after = common::vm_rss();
        let start = Instant::now();
        ch.close();
        ended.wait();
        Blocked {
            create_ns: elapsed.as_nanos() as f64 / n as f64,
            rss_bytes: after.saturating_sub(before) as f64 / n as f64,
            release_ns: start.elapsed().as_nanos() as f64 / n as f64,
        }
    })
}
