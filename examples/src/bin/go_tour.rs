//! The Go Tour's concurrency chapter (<https://go.dev/tour/concurrency/1> to `/10`), one
//! function per page, written in `go_syntax!` as close to the Tour's text as Rust allows.
//! `main` runs the pages in order and checks each one's result.
//!
//! The Tour's delays are scaled down so the whole program runs in a few tens of
//! milliseconds: `100 * time.Millisecond` becomes `time::MILLISECOND`, `500 * time.Millisecond`
//! becomes `50 * time::MILLISECOND`, and so on (each place says so). Every difference from the
//! Tour's text that remains, and why, is in the table of `examples/README.md`.
#![forbid(unsafe_code)]
#![allow(non_snake_case)] // Go's exported names: `Walk`, `Same`, `Inc`, `Value`, `Crawl`, `Fetch`

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use gocsp::prelude::*;

/// What the pages print, kept so each page can check it.
type Log = Arc<sync::Mutex<Vec<String>>>;

fn new_log() -> Log {
    Arc::new(sync::Mutex::new(Vec::new()))
}

// ---- 1. Goroutines ------------------------------------------------------------------------

go_syntax! {
    // The Tour sleeps 100 ms; here 1 ms.
    fn say(s &'static str, log Log) {
        for _i in 0..5 {
            time::sleep(time::MILLISECOND)
            println!("{s}")
            log.lock().push(s.to_string())
        }
    }

    fn goroutines() -> Log {
        log := new_log()
        go say("world", log.clone())
        say("hello", log.clone())
        log
    }
}

// ---- 2. Channels --------------------------------------------------------------------------

go_syntax! {
    fn sum(s &[i32], c chan<- i32) {
        sum := 0
        for v in s {
            sum += v
        }
        c <- sum // send sum to c
    }

    fn channels() -> (i32, i32) {
        s := vec![7, 2, 8, -9, 4, 0]

        c := make(chan i32)
        go sum(s[:len(s)/2], c)
        go sum(s[len(s)/2:], c)
        x, y := <-c, <-c // receive from c

        println!("{x} {y} {}", x + y)
        (x, y)
    }
}

// ---- 3. Buffered Channels -----------------------------------------------------------------

go_syntax! {
    fn buffered_channels() -> (i32, i32) {
        ch := make(chan i32, 2)
        ch <- 1
        ch <- 2
        a, b := <-ch, <-ch
        println!("{a}")
        println!("{b}")
        (a, b)
    }
}

// ---- 4. Range and Close -------------------------------------------------------------------

go_syntax! {
    fn fibonacci(n usize, c chan<- i32) {
        x, y := 0, 1
        for _i in 0..n {
            c <- x
            (x, y) = (y, x + y)
        }
        close(c)
    }

    fn range_and_close() -> Vec<i32> {
        c := make(chan i32, 10)
        go fibonacci(cap(c), c)
        got := Vec::new()
        for i := range c {
            println!("{i}")
            got.push(i)
        }
        got
    }
}

// ---- 5. Select ----------------------------------------------------------------------------

go_syntax! {
    fn fibonacci_select(c chan<- i32, quit <-chan i32) {
        x, y := 0, 1
        for {
            select {
            case c <- x:
                (x, y) = (y, x + y)
            case <-quit:
                println!("quit")
                return
            }
        }
    }

    fn select() -> Vec<i32> {
        c := make(chan i32)
        quit := make(chan i32)
        got := make(chan Vec<i32>, 1)
        go func() {
            seen := Vec::new()
            for _i in 0..10 {
                v := <-c
                println!("{v}")
                seen.push(v)
            }
            quit <- 0
            got <- seen
        }()
        fibonacci_select(c, quit)
        <-got
    }
}

// ---- 6. Default Selection -----------------------------------------------------------------

go_syntax! {
    // The Tour's 100 ms tick, 500 ms boom and 50 ms nap become 10 ms, 50 ms and 5 ms.
    fn default_selection() -> (usize, usize) {
        tick := time::tick(10 * time::MILLISECOND)
        boom := time::after(50 * time::MILLISECOND)
        ticks, naps := 0, 0
        for {
            select {
            case <-tick:
                println!("tick.")
                ticks += 1
            case <-boom:
                println!("BOOM!")
                return (ticks, naps)
            default:
                println!("    .")
                naps += 1
                time::sleep(5 * time::MILLISECOND)
            }
        }
    }
}

// ---- 7. Equivalent Binary Trees (the exercise, solved) --------------------------------------

/// Go's `golang.org/x/tour/tree.Tree`.
#[derive(Debug)]
struct Tree {
    left: Option<Box<Tree>>,
    value: i32,
    right: Option<Box<Tree>>,
}

/// Go's `tree.New(k)`: a binary search tree of `k, 2k, ..., 10k`, inserted in a shuffled order
/// (a small deterministic shuffle instead of `rand.Perm`, seeded by `k`).
fn new_tree(k: i32) -> Option<Box<Tree>> {
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
            left: None,
            value: v,
            right: None,
        })),
        Some(mut t) => {
            if v < t.value {
                t.left = insert(t.left.take(), v);
            } else {
                t.right = insert(t.right.take(), v);
            }
            Some(t)
        }
    }
}

go_syntax! {
    // Walk walks the tree t sending all values from the tree to the channel ch.
    fn Walk(t Option<Box<Tree>>, ch chan<- i32) {
        walk(&t, &ch)
        close(ch)
    }

    fn walk(t &Option<Box<Tree>>, ch &Sender<i32>) {
        if let Some(t) = t {
            walk(&t.left, ch)
            ch <- t.value
            walk(&t.right, ch)
        }
    }

    // Same determines whether the trees t1 and t2 contain the same values.
    fn Same(t1 Option<Box<Tree>>, t2 Option<Box<Tree>>) -> bool {
        ch1, ch2 := make(chan i32), make(chan i32)
        go Walk(t1, ch1)
        go Walk(t2, ch2)
        for {
            v1, ok1 := <-ch1
            v2, ok2 := <-ch2
            if ok1 != ok2 || v1 != v2 {
                // Drain both, so neither walker is left blocked on a send.
                for _v := range ch1 {}
                for _v := range ch2 {}
                return false
            }
            if !ok1 {
                return true
            }
        }
    }

    fn equivalent_binary_trees() -> (Vec<i32>, bool, bool) {
        ch := make(chan i32)
        go Walk(new_tree(1), ch)
        walked := Vec::new()
        for v := range ch {
            walked.push(v)
        }
        println!("Walk(tree.New(1)) sent {walked:?}")
        same := Same(new_tree(1), new_tree(1))
        differ := Same(new_tree(1), new_tree(2))
        println!("Same(tree.New(1), tree.New(1)) = {same}")
        println!("Same(tree.New(1), tree.New(2)) = {differ}")
        (walked, same, differ)
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
            // The guard unlocks at the end of the statement, as `defer c.mu.Unlock()` would.
            self.v.lock().get(key).copied().unwrap_or_default()
        }
    }

    fn mutex_counter() -> i32 {
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
        println!("{}", c.Value("somekey"))
        c.Value("somekey")
    }
}

// ---- 9. Exercise: Web Crawler (solved) ----------------------------------------------------

/// The result of a fetch: a page's body and the links on it.
struct FakeResult {
    body: &'static str,
    urls: Vec<&'static str>,
}

/// fakeFetcher is a Fetcher that returns canned results.
struct FakeFetcher(HashMap<&'static str, FakeResult>);

impl FakeFetcher {
    fn Fetch(&self, url: &str) -> Result<(&'static str, Vec<&'static str>), String> {
        match self.0.get(url) {
            Some(res) => Ok((res.body, res.urls.clone())),
            None => Err(format!("not found: {url}")),
        }
    }
}

/// fetcher is a populated fakeFetcher.
fn fetcher() -> FakeFetcher {
    FakeFetcher(HashMap::from([
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
    ]))
}

/// The crawl's shared state: the URLs already claimed (so none is fetched twice), and what
/// was printed.
struct Visited {
    seen: sync::Mutex<HashSet<String>>,
    log: Log,
}

go_syntax! {
    // Crawl uses fetcher to recursively crawl pages starting with url, to a maximum of depth,
    // fetching URLs in parallel and never the same URL twice.
    fn Crawl(url String, depth i32, fetcher Arc<FakeFetcher>, visited Arc<Visited>, wg WaitGroup) {
        defer wg.done()
        if depth <= 0 || !visited.seen.lock().insert(url.clone()) {
            return
        }
        line := match fetcher.Fetch(&url) {
            Err(err) => err,
            Ok((body, urls)) => {
                for u in urls {
                    wg.add(1)
                    go Crawl(u.to_string(), depth - 1, fetcher.clone(), visited.clone(), wg.clone())
                }
                format!("found: {url} {body:?}")
            }
        }
        println!("{line}")
        visited.log.lock().push(line)
    }

    fn web_crawler() -> Vec<String> {
        visited := Arc::new(Visited { seen: sync::Mutex::new(HashSet::new()), log: new_log() })
        wg := WaitGroup::new()
        wg.add(1)
        go Crawl("https://golang.org/".to_string(), 4, Arc::new(fetcher()), visited.clone(), wg.clone())
        wg.wait()
        got := visited.log.lock().clone()
        got
    }
}

fn section(title: &str) {
    println!("== {title} ==");
}

#[gocsp::main]
fn main() {
    section("Goroutines");
    let log = goroutines();
    let hellos = log.lock().iter().filter(|s| *s == "hello").count();
    assert_eq!(hellos, 5, "main said hello five times");
    println!("  ok: main said hello 5 times while a goroutine said world");

    section("Channels");
    let (x, y) = channels();
    let mut halves = [x, y];
    halves.sort();
    assert_eq!(halves, [-5, 17], "each goroutine summed its half");
    println!("  ok: the halves summed to -5 and 17 in two goroutines, 12 in all");

    section("Buffered Channels");
    assert_eq!(buffered_channels(), (1, 2));
    println!("  ok: two sends into a buffer of 2 did not block");

    section("Range and Close");
    let fib = range_and_close();
    assert_eq!(fib, [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]);
    println!("  ok: range received cap(c) = 10 numbers, then the close ended the loop");

    section("Select");
    let fib = select();
    assert_eq!(fib, [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]);
    println!("  ok: select sent 10 numbers, then took the quit case");

    section("Default Selection");
    let (ticks, naps) = default_selection();
    assert!(naps > 0, "default ran while nothing was ready");
    println!("  ok: {ticks} ticks and {naps} defaults, then BOOM ended the loop");

    section("Equivalent Binary Trees");
    let (walked, same, differ) = equivalent_binary_trees();
    assert_eq!(walked, (1..=10).collect::<Vec<_>>());
    assert!(same && !differ);
    println!("  ok: Walk sent 1..10 in order; Same told equal trees from different ones");

    section("sync.Mutex");
    assert_eq!(mutex_counter(), 1000);
    println!("  ok: 1000 goroutines incremented one key under a mutex: 1000");

    section("Exercise: Web Crawler");
    let mut lines = web_crawler();
    lines.sort();
    assert_eq!(
        lines,
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
