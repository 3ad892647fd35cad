//! A context tree cancelled from the top. Each goroutine derives a child context for each
//! goroutine it starts, so the contexts form a tree that mirrors the goroutines. Cancelling a
//! context cancels its whole subtree and nothing else; cancelling the root reaches everyone.
//!
//! The Go original (the shape of every server built on `context`):
//!
//! ```go
//! func node(ctx context.Context, name string, depth int, wg *sync.WaitGroup) {
//!     defer wg.Done()
//!     var children sync.WaitGroup
//!     for i := 1; i <= 2 && depth < maxDepth; i++ {
//!         child, cancel := context.WithCancel(ctx)
//!         defer cancel()
//!         children.Add(1)
//!         go node(child, fmt.Sprintf("%s.%d", name, i), depth+1, &children)
//!     }
//!     <-ctx.Done()
//!     log.Println(name, ctx.Err())
//!     children.Wait() // a parent outlives its children
//! }
//! ```
//!
//! When a node sees its context done, it reports whether its parent's context is cancelled
//! too: it must be, unless this node's own cancel function was the one called (cancellation
//! flows down the tree, never up). Every node waits for its children before it exits, so
//! exits go bottom-up. First one branch is cancelled, then the root.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use gocsp::prelude::*;

const MAX_DEPTH: usize = 3;

/// What a node reports.
enum Event {
    /// The node's cancel function, so `main` can cancel any branch.
    Started(String, context::CancelFunc),
    /// The node saw `ctx.done()`; whether its parent's context was cancelled by then.
    Saw {
        name: String,
        err: Option<context::Error>,
        parent_cancelled: bool,
    },
    /// The node's children have all exited, and so does the node.
    Exited(String),
}

go_syntax! {
    fn node(
        ctx: Context,
        parent: Context,
        name: String,
        depth: usize,
        events: chan<- Event,
        wg: WaitGroup,
    ) {
        defer wg.done()
        children := WaitGroup::new()
        if depth < MAX_DEPTH {
            for i in 1..=2 {
                let (child, cancel) = context::with_cancel(&ctx)
                let child_name = format!("{name}.{i}")
                events <- Event::Started(child_name.clone(), cancel)
                children.add(1)
                go node(child, ctx.clone(), child_name, depth + 1, events.clone(), children.clone())
            }
        }
        <-ctx.done()
        events <- Event::Saw {
            name: name.clone(),
            err: ctx.err(),
            parent_cancelled: parent.err().is_some(),
        }
        children.wait()
        events <- Event::Exited(name)
    }
}

/// The names of every node in the tree.
fn names(name: &str, depth: usize, out: &mut Vec<String>) {
    out.push(name.to_string());
    if depth < MAX_DEPTH {
        for i in 1..=2 {
            names(&format!("{name}.{i}"), depth + 1, out);
        }
    }
}

/// What `main` learns from the events.
#[derive(Default)]
struct Log {
    /// Per node: the error it saw, and which cancel reached it.
    saw: BTreeMap<String, String>,
    /// Exits, in order.
    exited: Vec<String>,
}

/// Receives events until `n` more nodes have exited, checking each; returns those exits.
fn until_exited(
    events: &Chan<Event>,
    n: usize,
    all: &[String],
    log: &mut Log,
    origin: &str,
) -> Vec<String> {
    let first = log.exited.len();
    while log.exited.len() < first + n {
        match events.recv().expect("events stays open") {
            Event::Started(..) => unreachable!("every node started before any cancel"),
            Event::Saw {
                name,
                err,
                parent_cancelled,
            } => {
                assert_eq!(err, Some(context::Error::Canceled), "{name}");
                // Down, never up: a node is cancelled because its parent is, or because its
                // own cancel function was called.
                assert!(
                    parent_cancelled || name == origin,
                    "{name} saw its context done while its parent's was live"
                );
                log.saw
                    .insert(name, format!("{} (cancel({origin}))", err.unwrap()));
            }
            Event::Exited(name) => {
                // Bottom-up: every descendant of `name` has exited already.
                let prefix = format!("{name}.");
                assert!(
                    all.iter()
                        .filter(|k| k.starts_with(&prefix))
                        .all(|k| log.exited.contains(k)),
                    "{name} exited before one of its children"
                );
                log.exited.push(name);
            }
        }
    }
    log.exited[first..].to_vec()
}

fn tree() {
    let mut all = Vec::new();
    names("root", 0, &mut all);

    let (root, cancel_root) = context::with_cancel(&context::background());
    let events = make!(chan Event, 64);
    let wg = WaitGroup::new();
    wg.add(1);
    go!(node(
        root.clone(),
        context::background(),
        "root".to_string(),
        0,
        events.sender(),
        wg.clone()
    ));

    // Every node but the root reports its cancel function when its parent starts it.
    let mut cancels = BTreeMap::new();
    while cancels.len() < all.len() - 1 {
        if let Some(Event::Started(name, cancel)) = events.recv() {
            cancels.insert(name, cancel);
        }
    }
    println!(
        "{} goroutines started, each with its own child context",
        all.len()
    );

    let mut log = Log::default();
    println!("cancel(root.2):");
    cancels["root.2"]();
    let exited = until_exited(&events, 7, &all, &mut log, "root.2");
    println!("  exited, children first: {}", exited.join(" "));
    assert!(exited.iter().all(|n| n.starts_with("root.2")));
    assert_eq!(exited.last().map(String::as_str), Some("root.2"));
    assert_eq!(root.err(), None, "cancelling a branch leaves the root live");

    println!("cancel(root):");
    cancel_root();
    let exited = until_exited(&events, all.len() - 7, &all, &mut log, "root");
    println!("  exited, children first: {}", exited.join(" "));
    assert_eq!(exited.last().map(String::as_str), Some("root"));
    wg.wait();

    println!("what each goroutine saw in ctx.err(), and which cancel reached it:");
    for name in &all {
        let depth = name.matches('.').count();
        println!(
            "  {:indent$}{name:<w$} {}",
            "",
            log.saw[name],
            indent = 2 * depth,
            w = 16 - 2 * depth
        );
    }
    assert_eq!(log.saw.len(), all.len());
    for (name, cancel) in &cancels {
        cancel(); // a no-op now; calling it is how a context's resources are released
        let why = &log.saw[name];
        assert_eq!(
            why.contains("cancel(root.2)"),
            name.starts_with("root.2"),
            "{name}: {why}"
        );
    }
}

#[gocsp::main]
fn main() {
    gocsp::check_leaks(Duration::from_secs(2), tree);
    println!("ok: cancellation flowed down each subtree, exits went bottom-up, nothing leaked");
}
