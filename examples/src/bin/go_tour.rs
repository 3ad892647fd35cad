//! The Go Tour's concurrency chapter (<https://go.dev/tour/concurrency/1> to `/10`), one
//! function per page, written in `go_syntax!` as close to the Tour's text as Rust allows.
//! `main` runs the pages in order and checks each one's result.
//!
//! The Tour's delays are scaled down so the whole program runs in a few tens of
//! milliseconds: `100 * time.Millisecond` becomes `time::MILLISECOND`, `500 * time.Millisecond`
//! becomes `50 * time::MILLISECOND`, and so on (each place says so). Every difference from the
//! Tour's text that remains, and why, is in the table of `examples/README.md`.
#![forbid(unsafe_code)]
#![allow(nonstandard_style)] // Go's names: `fmt::Println`, `tree::New`, `Walk`, `Same`, `Inc`, `Crawl`, ...

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use gocsp::prelude::*;

use gocsp_examples::fmt;

// ---- 1. Goroutines ------------------------------------------------------------------------

go_syntax! {
    // The Tour sleeps 100 ms; here 1 ms.
    fn say(s &str) {
        for _i in 0..5 {
            time::sleep(time::MILLISECOND)
            fmt::Println(s)
        }
    }

    fn goroutines() {
        go say("world")
        say("hello")
    }
}

// ---- 2. Channels --------------------------------------------------------------------------

go_syntax! {
    fn sum(s &[i32], c chan i32) {
        sum := 0
        for v in s {
            sum += v
        }
        c <- sum // send sum to c
    }

    fn channels() {
        s := [7, 2, 8, -9, 4, 0]

        c := make(chan i32)
        go sum(s[:len(s)/2], c)
        go sum(s[len(s)/2:], c)
        x, y := <-c, <-c // receive from c

        fmt::Println(format!("{x} {y} {}", x + y))
    }
}

// ---- 3. Buffered Channels -----------------------------------------------------------------

go_syntax! {
    fn buffered_channels() {
        ch := make(chan i32, 2)
        ch <- 1
        ch <- 2
        fmt::Println(<-ch)
        fmt::Println(<-ch)
    }
}

// ---- 4. Range and Close -------------------------------------------------------------------

go_syntax! {
    fn fibonacci(n usize, c chan i32) {
        x, y := 0, 1
        for _i in 0..n {
            c <- x
            (x, y) = (y, x + y)
        }
        close(c)
    }

    fn range_and_close() {
        c := make(chan i32, 10)
        go fibonacci(cap(c), c)
        for i := range c {
            fmt::Println(i)
        }
    }
}

// ---- 5. Select ----------------------------------------------------------------------------

go_syntax! {
    fn fibonacci_select(c, quit chan i32) {
        x, y := 0, 1
        for {
            select {
            case c <- x:
                (x, y) = (y, x + y)
            case <-quit:
                fmt::Println("quit")
                return
            }
        }
    }

    fn select() {
        c := make(chan i32)
        quit := make(chan i32)
        go func() {
            for _i in 0..10 {
                fmt::Println(<-c)
            }
            quit <- 0
        }()
        fibonacci_select(c, quit)
    }
}

// ---- 6. Default Selection -----------------------------------------------------------------

go_syntax! {
    // The Tour's 100 ms tick, 500 ms boom and 50 ms nap become 10 ms, 50 ms and 5 ms.
    fn default_selection() {
        tick := time::tick(10 * time::MILLISECOND)
        boom := time::after(50 * time::MILLISECOND)
        for {
            select {
            case <-tick:
                fmt::Println("tick.")
            case <-boom:
                fmt::Println("BOOM!")
                return
            default:
                fmt::Println("    .")
                time::sleep(5 * time::MILLISECOND)
            }
        }
    }
}

// ---- 7. Exercise: Equivalent Binary Trees (solved) -----------------------------------------

/// Go's `golang.org/x/tour/tree`.
mod tree {
    /// A binary tree of ints; Go's `*Tree` (nil or a node) is `Option<Box<Tree>>`.
    #[derive(Debug)]
    pub(crate) struct Tree {
        pub(crate) Left: Option<Box<Tree>>,
        pub(crate) Value: i32,
        pub(crate) Right: Option<Box<Tree>>,
    }

    /// A binary search tree of `k, 2k, ..., 10k`, inserted in a shuffled order (a small
    /// deterministic shuffle seeded by `k`, instead of `rand.Perm`).
    pub(crate) fn New(k: i32) -> Option<Box<Tree>> {
        let mut values: Vec<i32> = (1..=10).collect();
        let mut seed = 0x9e37_79b9_u32.wrapping_mul(k as u32 + 1);
        for i in (1..values.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            values.swap(i, seed as usize % (i + 1));
        }
        let mut t = None;
        for v in values {
            t = insert(t, v * k);
        }
        t
    }

    fn insert(t: Option<Box<Tree>>, v: i32) -> Option<Box<Tree>> {
        match t {
            None => Some(Box::new(Tree {
                Left: None,
                Value: v,
                Right: None,
            })),
            Some(mut t) => {
                if v < t.Value {
                    t.Left = insert(t.Left.take(), v);
                } else {
                    t.Right = insert(t.Right.take(), v);
                }
                Some(t)
            }
        }
    }
}

go_syntax! {
    // Walk walks the tree t sending all values from the tree to the channel ch.
    fn Walk(t Option<Box<tree::Tree>>, ch chan i32) {
        walk(&t, ch)
        close(ch)
    }

    fn walk(t &Option<Box<tree::Tree>>, ch chan i32) {
        if let Some(t) = t {
            walk(&t.Left, ch)
            ch <- t.Value
            walk(&t.Right, ch)
        }
    }

    // Same determines whether the trees t1 and t2 contain the same values.
    fn Same(t1, t2 Option<Box<tree::Tree>>) -> bool {
        ch1, ch2 := make(chan i32), make(chan i32)
        go Walk(t1, ch1)
        go Walk(t2, ch2)
        for {
            v1, ok1 := <-ch1
            v2, ok2 := <-ch2
            if v1 != v2 || ok1 != ok2 {
                // Drain both, so that neither walker stays blocked on a send.
                for range ch1 {}
                for range ch2 {}
                return false
            }
            if !ok1 {
                return true
            }
        }
    }

    fn equivalent_binary_trees() {
        ch := make(chan i32)
        go Walk(tree::New(1), ch)
        for v := range ch {
            fmt::Println(v)
        }
        fmt::Println(Same(tree::New(1), tree::New(1)))
        fmt::Println(Same(tree::New(1), tree::New(2)))
    }
}

// ---- 8. sync.Mutex ------------------------------------------------------------------------

/// SafeCounter is safe to use concurrently.
struct SafeCounter {
    v: sync::Mutex<HashMap<String, i32>>,
}

go_syntax! {
    impl SafeCounter {
        // Inc increments the counter for the given key.
        fn Inc(&self, key &str) {
            // Lock so only one goroutine at a time can access the map c.v.
            *self.v.lock().entry(key.to_string()).or_default() += 1
        }

        // Value returns the current value of the counter for the given key.
        fn Value(&self, key &str) -> i32 {
            // Lock so only one goroutine at a time can access the map c.v.
            // The guard unlocks when the statement ends, as `defer c.mu.Unlock()` would.
            self.v.lock().get(key).copied().unwrap_or_default()
        }
    }

    fn mutex_counter() {
        c := Arc::new(SafeCounter { v: sync::Mutex::new(HashMap::new()) })
        wg := WaitGroup::new()
        for _i in 0..1000 {
            wg.add(1)
            go func() {
                defer wg.done()
                c.Inc("somekey")
            }()
        }
        wg.wait() // the Tour sleeps a second instead
        fmt::Println(c.Value("somekey"))
    }
}

// ---- 9. Exercise: Web Crawler (solved) ----------------------------------------------------

trait Fetcher: Send + Sync {
    // Fetch returns the body of URL and a slice of URLs found on that page.
    fn Fetch(&self, url: &str) -> Result<(String, Vec<String>), String>;
}

/// fakeFetcher is Fetcher that returns canned results.
struct FakeFetcher(HashMap<&'static str, FakeResult>);

struct FakeResult {
    body: &'static str,
    urls: Vec<&'static str>,
}

impl Fetcher for FakeFetcher {
    fn Fetch(&self, url: &str) -> Result<(String, Vec<String>), String> {
        match self.0.get(url) {
            Some(res) => Ok((
                res.body.to_string(),
                res.urls.iter().map(|u| u.to_string()).collect(),
            )),
            None => Err(format!("not found: {url}")),
        }
    }
}

/// fetcher is a populated fakeFetcher.
fn fetcher() -> Arc<dyn Fetcher> {
    Arc::new(FakeFetcher(HashMap::from([
        (
            "https://golang.org/",
            FakeResult {
                body: "The Go Programming Language",
                urls: vec!["https://golang.org/pkg/", "https://golang.org/cmd/"],
            },
        ),
        (
            "https://golang.org/pkg/",
            FakeResult {
                body: "Packages",
                urls: vec![
                    "https://golang.org/",
                    "https://golang.org/cmd/",
                    "https://golang.org/pkg/fmt/",
                    "https://golang.org/pkg/os/",
                ],
            },
        ),
        (
            "https://golang.org/pkg/fmt/",
            FakeResult {
                body: "Package fmt",
                urls: vec!["https://golang.org/", "https://golang.org/pkg/"],
            },
        ),
        (
            "https://golang.org/pkg/os/",
            FakeResult {
                body: "Package os",
                urls: vec!["https://golang.org/", "https://golang.org/pkg/"],
            },
        ),
    ])))
}

go_syntax! {
    // Crawl uses fetcher to recursively crawl pages starting with url, to a maximum of depth.
    // Solved: it fetches URLs in parallel, a goroutine each, and never fetches one twice
    // (`visited`, under a mutex); `wg` tells the caller when every fetch is done.
    fn Crawl(url String, depth i32, fetcher Arc<dyn Fetcher>, visited Arc<sync::Mutex<HashSet<String>>>, wg WaitGroup) {
        defer wg.done()
        if depth <= 0 || !visited.lock().insert(url.clone()) {
            return
        }
        match fetcher.Fetch(&url) {
            Err(err) => fmt::Println(err),
            Ok((body, urls)) => {
                fmt::Println(format!("found: {url} {body:?}"))
                for u in urls {
                    wg.add(1)
                    go Crawl(u, depth - 1, fetcher.clone(), visited.clone(), wg.clone())
                }
            }
        }
    }

    fn web_crawler() {
        wg := WaitGroup::new()
        wg.add(1)
        go Crawl("https://golang.org/".to_string(), 4, fetcher(), Arc::default(), wg.clone())
        wg.wait()
    }
}

fn section(title: &str) {
    println!("== {title} ==");
}

/// The lines a page printed, sorted (for pages whose goroutines print in any order).
fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

/// `0, 1, 1, 2, ...`: the first ten Fibonacci numbers, as printed.
fn fib10() -> Vec<String> {
    ["0", "1", "1", "2", "3", "5", "8", "13", "21", "34"]
        .map(String::from)
        .to_vec()
}

#[gocsp::main]
fn main() {
    section("Goroutines");
    goroutines();
    let lines = fmt::take();
    let hellos = lines.iter().filter(|l| *l == "hello").count();
    println!("  (main returned after {} lines)", lines.len());
    assert_eq!(hellos, 5, "main said hello five times: {lines:?}");
    // In Go, main returning ends the program and the `say("world")` goroutine with it. Here
    // the tour goes on, so wait for that goroutine's five lines before the next page.
    let mut worlds = lines.len() - hellos;
    let guard = time::now();
    while worlds < 5 {
        assert!(
            time::since(guard) < 5 * time::SECOND,
            "say(\"world\") hangs"
        );
        time::sleep(time::MILLISECOND);
        worlds += fmt::take().iter().filter(|l| *l == "world").count();
    }
    println!("  ok: main said hello 5 times while a goroutine said world 5 times");

    section("Channels");
    channels();
    let lines = fmt::take();
    assert!(
        lines == ["-5 17 12"] || lines == ["17 -5 12"],
        "each goroutine summed its half: {lines:?}"
    );
    println!("  ok: two goroutines summed a half each: 17 and -5, 12 in all");

    section("Buffered Channels");
    buffered_channels();
    assert_eq!(fmt::take(), ["1", "2"]);
    println!("  ok: two sends into a buffer of 2 did not block");

    section("Range and Close");
    range_and_close();
    assert_eq!(fmt::take(), fib10());
    println!("  ok: range received cap(c) = 10 numbers, then the close ended the loop");

    section("Select");
    select();
    let mut expected = fib10();
    expected.push("quit".to_string());
    assert_eq!(fmt::take(), expected);
    println!("  ok: select sent 10 numbers, then took the quit case");

    section("Default Selection");
    default_selection();
    let lines = fmt::take();
    let ticks = lines.iter().filter(|l| *l == "tick.").count();
    let naps = lines.iter().filter(|l| *l == "    .").count();
    assert!(naps > 0, "default ran while nothing was ready: {lines:?}");
    assert_eq!(lines.last().map(String::as_str), Some("BOOM!"));
    println!("  ok: {ticks} ticks and {naps} defaults, then BOOM ended the loop");

    section("Exercise: Equivalent Binary Trees");
    equivalent_binary_trees();
    let mut expected: Vec<String> = (1..=10).map(|v| v.to_string()).collect();
    expected.extend(["true".to_string(), "false".to_string()]);
    assert_eq!(fmt::take(), expected);
    println!("  ok: Walk sent 1..10 in order; Same told equal trees from different ones");

    section("sync.Mutex");
    mutex_counter();
    assert_eq!(fmt::take(), ["1000"]);
    println!("  ok: 1000 goroutines incremented one key under a mutex: 1000");

    section("Exercise: Web Crawler");
    web_crawler();
    assert_eq!(
        sorted(fmt::take()),
        [
            "found: https://golang.org/ \"The Go Programming Language\"",
            "found: https://golang.org/pkg/ \"Packages\"",
            "found: https://golang.org/pkg/fmt/ \"Package fmt\"",
            "found: https://golang.org/pkg/os/ \"Package os\"",
            "not found: https://golang.org/cmd/",
        ]
    );
    println!("  ok: 5 URLs fetched in parallel, each exactly once");

    println!("ok: every page of the Tour's concurrency chapter behaved as in Go");
}
