//! Runs every example program: each must exit with status 0 (they check their own results
//! and panic otherwise) and print the key lines of its account. Also checks that every
//! program in `src/bin` is run here and listed in the examples' README.
#![forbid(unsafe_code)]

use std::process::Command;

/// Runs an example binary and returns its stdout; fails with its whole output if it fails.
fn run(name: &str, exe: &str) -> String {
    let out = Command::new(exe)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed with {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    stdout
}

/// Checks that `stdout` contains each of `lines`.
fn expect(name: &str, stdout: &str, lines: &[&str]) {
    for line in lines {
        assert!(
            stdout.contains(line),
            "{name}: expected {line:?} in its output:\n{stdout}"
        );
    }
}

/// Every example but the tour ends its account with an `ok:` line.
fn expect_ok(name: &str, stdout: &str) {
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("ok: "),
        "{name}: the last line is not an `ok:` line:\n{stdout}"
    );
}

macro_rules! example {
    ($name:ident, [$($line:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            let name = stringify!($name);
            let stdout = run(name, env!(concat!("CARGO_BIN_EXE_", stringify!($name))));
            expect(name, &stdout, &[$($line),*]);
            if name != "tour" {
                expect_ok(name, &stdout);
            }
        }
    };
}

/// The programs this file runs; `every_example_is_run_and_listed` keeps it complete.
const TESTED: &[&str] = &[
    "tour",
    "readwriteloop",
    "owner",
    "loop_with_context",
    "forwarding",
    "done_channel",
    "select_fairness",
    "recover",
    "sieve",
    "pipeline",
    "worker_pool",
    "rate_limit",
    "timeouts",
    "context_tree",
    "leak_check",
    "echo",
    "chat",
    "http_server",
    "go_tour",
    "go_by_example",
];

#[test]
fn tour_checks_every_claim() {
    let stdout = run("tour", env!("CARGO_BIN_EXE_tour"));
    for section in [
        "== 1. Goroutines: go! ==",
        "== 2. Unbuffered channels: a hand-off ==",
        "== 3. Buffered channels: a queue ==",
        "== 4. close and range ==",
        "== 5. select and default ==",
        "== 6. nil channels ==",
        "== 7. The owner pattern: #[owner] ==",
        "== 8. context: cancellation ==",
        "== 9. context: timeouts ==",
        "== Done ==",
    ] {
        expect("tour", &stdout, &[section]);
    }
    let claims = stdout.lines().filter(|l| l.starts_with("  ok: ")).count();
    assert_eq!(claims, 20, "the tour checks 20 claims:\n{stdout}");
}

example!(
    tour,
    [
        "ok: 20 ms later the send still waits: nobody has received",
        "for v in &ch received [1, 2, 3, 4, 5], then the loop ended",
        "merged [1, 2, 3, 10, 20, 30]",
        "countdown(3) gave [3, 2, 1], then the channel was closed",
        "ok: cancel() stopped all three; each saw ctx.err() = Canceled",
        "context deadline exceeded",
        "every goroutine the tour started has finished",
    ]
);

example!(
    readwriteloop,
    [
        "counter 0 = 200",
        "counter 4 = 200",
        "the owner served 1005 reads and 1000 writes, then stopped on ctx.done(); total 1000",
    ]
);

example!(
    owner,
    [
        "tick 5 at +",
        "caller: enough, cancel()",
        "the channel closed after",
    ]
);

example!(
    loop_with_context,
    [
        "1. input of 1..=100 closed first: sum 5050, err None",
        "2. endless input, caller cancels after 5 ms: sum",
        "err context canceled",
        "3. endless input, 20 ms deadline: sum",
        "err context deadline exceeded",
    ]
);

example!(
    forwarding,
    [
        "naive: forwarded [1, 2, 3, 4, 5], then 1000 zero values",
        "v, ok := <-in: forwarded [1, 2, 3, 4, 5], then closed `out`",
        "for v := range in: forwarded [1, 2, 3, 4, 5], then closed `out`",
        "Some(v) = <-in: forwarded [1, 2, 3, 4, 5], then sent nothing for 10 ms",
    ]
);

example!(
    done_channel,
    [
        "1. A done channel, closed by main:",
        "worker 2 stopped after",
        "2. The same with a context, cancelled by main:",
    ]
);

#[test]
fn done_channel_stops_every_worker() {
    let stdout = run("done_channel", env!("CARGO_BIN_EXE_done_channel"));
    assert_eq!(stdout.matches(": done is closed").count(), 3, "{stdout}");
    assert_eq!(stdout.matches(": context canceled").count(), 3, "{stdout}");
}

example!(
    select_fairness,
    [
        "40000 selects over 4 always-ready channels:",
        "case 3:",
        "4000 selects with `biased;`:",
        "case 0:   4000 (100.00%)",
    ]
);

example!(
    recover,
    [
        "job 3: recovered from panic: attempt to divide by zero",
        "the deferred statement ran in all 5 goroutines",
        "join on the panicking goroutine: Err(\"something broke in a goroutine\")",
        "join on another goroutine of the same runtime: Ok(42)",
        "| panic: nobody recovers this",
        "spawned at examples/src/bin/recover.rs:",
        "the child's exit status: Some(2)",
    ]
);

example!(
    sieve,
    [
        "   2   3   5   7  11  13  17  19  23  29",
        " 467 479 487 491 499 503 509 521 523 541",
        "101 goroutines (a generator and 100 filters) all ended",
    ]
);

example!(
    pipeline,
    [
        "1. drained: 20 squares from 3 squarers",
        "2. took [",
        "every stage returned, nothing leaked",
    ]
);

example!(
    worker_pool,
    [
        "worker 1 did jobs",
        "worker 3 did jobs",
        "12 jobs of 2ms each on 3 workers: at most",
    ]
);

example!(
    rate_limit,
    [
        "1. one request per tick of a 10ms ticker:",
        "  request 5 at +",
        "2. a bucket of 3 tokens, refilled every 10ms:",
        "the first 3 went at once, the other 2 waited for ticks",
    ]
);

example!(
    timeouts,
    [
        "1. work of 200ms, timeout of 10ms: timeout after 10ms",
        "2. work of 5ms, timeout of 5s: result 2",
        "3. a 30ms deadline on a loop over a message a millisecond:",
    ]
);

example!(
    context_tree,
    [
        "15 goroutines started, each with its own child context",
        "cancel(root.2):",
        "root.2.2.2 context canceled (cancel(root.2))",
        "root.1.1.1 context canceled (cancel(root))",
        "    root.1         context canceled (cancel(root))",
    ]
);

example!(
    leak_check,
    [
        "found 2 leaked goroutines",
        "[chan send]:",
        "spawned at: go!(search(r, query.to_string(), c.sender()));",
        "blocked at: c.send(",
        "every replica finished, the check passed",
    ]
);

example!(
    echo,
    [
        "200 clients, each its own goroutine, sent 20 lines each: 4000 echoed back",
        "ok: every line echoed, one goroutine per connection on both sides",
    ]
);

example!(
    chat,
    [
        "carol saw: alice: who is on tonight?",
        "bob saw: carol has left",
        "  carol: hi, I am carol",
    ]
);

example!(
    http_server,
    [
        "HTTP/1.1 200 OK: hello from /a (request 1 on this connection)",
        "HTTP/1.1 200 OK: hello from /b (request 2 on this connection)",
        "HTTP/1.1 200 OK: hello from /c (request 3 on this connection)",
        "the server closed the connection after `Connection: close`",
    ]
);

example!(
    go_tour,
    [
        "  ok: main said hello 5 times while a goroutine said world 5 times",
        "  ok: two goroutines summed a half each: 17 and -5, 12 in all",
        "  ok: two sends into a buffer of 2 did not block",
        "  ok: range received cap(c) = 10 numbers, then the close ended the loop",
        "  ok: select sent 10 numbers, then took the quit case",
        "BOOM!",
        "  ok: Walk sent 1..10 in order; Same told equal trees from different ones",
        "  ok: 1000 goroutines incremented one key under a mutex: 1000",
        "not found: https://golang.org/cmd/",
        "  ok: 5 URLs fetched in parallel, each exactly once",
    ]
);

example!(
    go_by_example,
    [
        "  ok: 3 workers did 5 jobs, each once, doubling each: 30 in all",
        "  ok: wg.wait() returned after all 5 workers were done",
        "  ok: one request per tick (",
        "timeout 1\nresult 2\n",
        "no message received\nno message sent\nno activity\n",
        "received more jobs: false",
        "Timer 1 fired\nTimer 2 stopped\n",
        "Ticker stopped",
        "server: context deadline exceeded",
        "client: hello",
        "  ok: one goroutine owned the state;",
    ]
);

#[test]
fn every_example_is_run_and_listed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/bin");
    let readme = include_str!("../README.md");
    let mut bins: Vec<String> = std::fs::read_dir(dir)
        .expect("src/bin")
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter_map(|f| f.strip_suffix(".rs").map(str::to_string))
        .collect();
    bins.sort();
    let mut tested: Vec<String> = TESTED.iter().map(|s| s.to_string()).collect();
    tested.sort();
    assert_eq!(bins, tested, "every program in src/bin is run by this file");
    for bin in &bins {
        assert!(
            readme.contains(&format!("`{bin}`")),
            "examples/README.md does not list `{bin}`"
        );
    }
}
