//! Helpers shared by the integration tests: waiting for a goroutine to block, catching panic
//! messages, a seedable generator for test decisions.
//!
//! Waiting helpers poll; they never assert how long anything took. Their hang guard (half a minute)
//! only turns a hang into a failure with a message.
#![allow(dead_code)]

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use gocsp::{GoroutineInfo, GoroutineState};

/// Prints a line a child-process scenario reports to its parent, flushed at once (the child
/// may end the process right after, without flushing).
pub(crate) fn say(s: &str) {
    use std::io::Write;
    println!("{s}");
    std::io::stdout().flush().unwrap();
}

/// How long a helper waits for something that must happen before calling it a hang.
pub(crate) const HANG_GUARD: Duration = Duration::from_secs(30);

/// Polls `cond` until it holds; panics naming `what` if it does not within [`HANG_GUARD`].
#[track_caller]
pub(crate) fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    let mut pause = Duration::from_micros(50);
    while !cond() {
        assert!(start.elapsed() < HANG_GUARD, "gave up waiting for {what}");
        pause_briefly(pause);
        pause = (pause * 2).min(Duration::from_millis(5));
    }
}

/// Sleeps on a thread, yields in a goroutine (so the goroutine does not hold its worker).
fn pause_briefly(d: Duration) {
    if gocsp::goroutine_id().is_some() {
        gocsp::time::sleep(d);
    } else {
        std::thread::sleep(d);
    }
}

/// The current snapshot of goroutine `id`, if it is alive.
pub(crate) fn info(id: u64) -> Option<GoroutineInfo> {
    gocsp::goroutines().into_iter().find(|g| g.id == id)
}

/// The blocking reason of goroutine `id`, if it is alive and blocked.
pub(crate) fn blocked_reason(id: u64) -> Option<String> {
    match info(id)?.state {
        GoroutineState::Blocked { reason, .. } => Some(reason),
        _ => None,
    }
}

/// Waits until goroutine `id` is parked with `reason` (Go's wording, e.g. "chan send") and
/// returns its snapshot.
#[track_caller]
pub(crate) fn wait_blocked(id: u64, reason: &str) -> GoroutineInfo {
    let mut last = None;
    wait_until(&format!("goroutine {id} to block in {reason:?}"), || {
        last = info(id);
        matches!(&last, Some(GoroutineInfo { state: GoroutineState::Blocked { reason: r, .. }, .. }) if r == reason)
    });
    last.expect("checked above")
}

/// The message of a panic payload (`&str` or `String`).
pub(crate) fn panic_message(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

/// Runs `f`, which must panic, and returns the panic's message.
#[track_caller]
pub(crate) fn panic_of<R>(f: impl FnOnce() -> R) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic, but the call returned"),
        Err(p) => panic_message(&*p),
    }
}

/// The seed for a test's own random decisions: `GOCSP_TEST_SEED` if set, else `default`.
/// Printed so a failing run can be replayed.
pub(crate) fn test_seed(default: u64) -> u64 {
    let seed = std::env::var("GOCSP_TEST_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default);
    eprintln!("test seed: {seed} (replay with GOCSP_TEST_SEED={seed})");
    seed
}

/// A small deterministic generator (splitmix64) for the tests' own decisions.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `num / den`.
    pub(crate) fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

/// Scales an iteration count down for debug builds, which run the same code far slower.
pub(crate) const fn scaled(release: usize, debug: usize) -> usize {
    if cfg!(miri) {
        // Miri interprets every instruction: a few rounds still explore interleavings.
        if debug / 50 > 2 { debug / 50 } else { 2 }
    } else if cfg!(debug_assertions) {
        debug
    } else {
        release
    }
}

/// Ends the process with a goroutine dump if it is not dropped within `limit`: turns a hang
/// (a lost wake-up, say) into a failure that shows who was blocked where.
pub(crate) struct Watchdog(Option<std::sync::mpsc::Sender<()>>);

impl Watchdog {
    pub(crate) fn new(what: &'static str, limit: Duration) -> Watchdog {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                eprintln!(
                    "watchdog: {what} did not finish within {limit:?}; goroutines:\n{}",
                    gocsp::dump()
                );
                std::process::exit(3);
            }
        });
        Watchdog(Some(tx))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

/// Keeps the default panic hook from printing panics whose message is `quiet` (expected ones,
/// such as "send on closed channel" in a stress test); other panics print as usual.
pub(crate) fn quiet_panics(quiet: &'static [&'static str]) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = panic_message(info.payload());
            if !quiet.contains(&msg.as_str()) {
                default(info);
            }
        }));
    });
}

/// The environment variable that tells a test binary it runs as a child scenario.
pub(crate) const CHILD_ENV: &str = "GOCSP_TEST_CHILD";

/// How a child process ended.
#[derive(Debug)]
pub(crate) struct ChildRun {
    /// The exit code; `None` if it was killed (see `killed`) or ended by a signal.
    pub(crate) code: Option<i32>,
    /// True if we killed it (it ran past its time or was meant to hang).
    pub(crate) killed: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs this test binary again as scenario `scenario` (env [`CHILD_ENV`]) with `envs`.
///
/// With `hang_after: Some((marker, wait))` the child is expected to hang: once its stdout shows
/// `marker`, it gets `wait` more and is then killed. Otherwise it must end by itself within
/// `limit` (else it is killed and `killed` is set).
pub(crate) fn run_child(
    scenario: &str,
    envs: &[(&str, &str)],
    limit: Duration,
    hang_after: Option<(&str, Duration)>,
) -> ChildRun {
    use std::io::Read;
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Mutex};

    let mut cmd = Command::new(std::env::current_exe().expect("the test binary's path"));
    cmd.env(CHILD_ENV, scenario)
        .env_remove("GOCSP_DEADLOCK_DETECT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("cannot start the child process");
    let collect = |mut r: Box<dyn Read + Send>| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let b = buf.clone();
        let t = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = r.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                b.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        (buf, t)
    };
    let (out, out_t) = collect(Box::new(child.stdout.take().unwrap()));
    let (err, err_t) = collect(Box::new(child.stderr.take().unwrap()));
    let text = |b: &Arc<Mutex<Vec<u8>>>| String::from_utf8_lossy(&b.lock().unwrap()).into_owned();

    let start = Instant::now();
    let mut marker_seen: Option<Instant> = None;
    let mut killed = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the child") {
            break Some(status);
        }
        if let Some((marker, wait)) = hang_after {
            if marker_seen.is_none() && text(&out).contains(marker) {
                marker_seen = Some(Instant::now());
            }
            if marker_seen.is_some_and(|t| t.elapsed() >= wait) {
                break None;
            }
        }
        if start.elapsed() >= limit {
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    if status.is_none() {
        killed = true;
        let _ = child.kill();
        let _ = child.wait();
    }
    out_t.join().unwrap();
    err_t.join().unwrap();
    ChildRun {
        code: status.and_then(|s| s.code()),
        killed,
        stdout: text(&out),
        stderr: text(&err),
    }
}

/// A minimal test runner for `harness = false` targets: runs each named test (or those whose
/// name contains the first non-flag argument), prints libtest-like lines, exits 1 on failure.
pub(crate) fn run_tests(tests: &[(&str, fn())]) {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let selected: Vec<_> = tests
        .iter()
        .filter(|(name, _)| filter.as_deref().is_none_or(|f| name.contains(f)))
        .collect();
    println!("\nrunning {} tests", selected.len());
    let mut failed = Vec::new();
    for (name, test) in &selected {
        match std::panic::catch_unwind(*test) {
            Ok(()) => println!("test {name} ... ok"),
            Err(p) => {
                println!("test {name} ... FAILED\n{}", panic_message(&*p));
                failed.push(*name);
            }
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        selected.len() - failed.len(),
        failed.len()
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}

std::thread_local! {
    static LAST_PANIC_SITE: std::cell::RefCell<Option<String>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f`, which must panic, and returns the panic's message and its location as
/// `file:line` (recorded by a panic hook on the panicking thread; the previous hook still runs).
#[track_caller]
pub(crate) fn panic_site_of<R>(f: impl FnOnce() -> R) -> (String, String) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let site = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            let _ = LAST_PANIC_SITE.try_with(|s| *s.borrow_mut() = site);
            previous(info);
        }));
    });
    LAST_PANIC_SITE.with(|s| s.borrow_mut().take());
    let msg = panic_of(f);
    let site = LAST_PANIC_SITE
        .with(|s| s.borrow_mut().take())
        .unwrap_or_else(|| "<no location>".to_string());
    (msg, site)
}
