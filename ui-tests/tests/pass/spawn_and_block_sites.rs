//! Spawn and blocking sites name the user's line, not the macro call: `gocsp::goroutines()`
//! (and so deadlock dumps, leak reports and goroutine panic reports) for every `go!` form,
//! `go` statements in `go_syntax!`, and the sends, receives and selects inside them. Panic
//! locations of the channel builtins too. Each expected line carries a `// site:NAME` comment.
use gocsp::prelude::*;
use gocsp::{GoroutineInfo, GoroutineState};
use std::time::{Duration, Instant};

const SOURCE: &str = include_str!("spawn_and_block_sites.rs");

/// The line of the `// site:NAME` comment.
fn line_of(name: &str) -> u32 {
    let marker = format!("// site:{name}");
    let found: Vec<u32> = SOURCE
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_end().ends_with(&marker))
        .map(|(i, _)| i as u32 + 1)
        .collect();
    assert_eq!(found.len(), 1, "one `{marker}` line");
    found[0]
}

fn park(rx: Receiver<i32>) {
    rx.recv(); // site:park-recv
}

go_syntax! {
    fn receive_in_go_syntax(c <-chan i32) {
        v := <-c // site:gs-recv-value
        let _ = v;
    }

    fn start_go_syntax(c1, c2, c3, c4, c5, c6 chan i32) {
        go receive_in_go_syntax(c1) // site:gs-go-call
        go func(c chan<- i32) { // site:gs-go-func
            c <- 1 // site:gs-send
        }(c2)
        go func() { // site:gs-go-select
            select { // site:gs-select
            case v := <-c3:
                let _ = v;
            case <-c4:
            }
        }()
        go func() { // site:gs-go-range
            for v := range c5 { // site:gs-range
                let _ = v;
            }
        }()
        go func() { // site:gs-go-ok
            v, ok := <-c6 // site:gs-recv-ok
            let _ = (v, ok);
        }()
    }

    fn close_twice(c chan i32) {
        close(c)
        close(c) // site:gs-close
    }
}

fn main() {
    let chans: Vec<Chan<i32>> = (0..12).map(|_| make!(chan i32)).collect();
    let c = |i: usize| chans[i].clone();

    // go!(f(x))
    go!(park(c(0).receiver())); // site:go-call

    // go!(move || ..)
    let r = c(1);
    go!(move || { // site:go-closure
        let v = <-r; // site:go-closure-recv
        let _ = v;
    });

    // go! { .. }
    let t = c(2);
    go! { // site:go-block-send
        let v = 1;
        t <- v // site:block-send
    }
    let r = c(3);
    go! { // site:go-block-stmt-recv
        <-r // site:block-stmt-recv
    }
    let (a, b) = (c(4), c(5));
    go! { // site:go-block-select
        select! { // site:block-select
            v = <-a => { let _ = v; }
            <-b => {}
        }
    }

    // go_syntax!
    start_go_syntax(c(6), c(7), c(8), c(9), c(10), c(11));

    let expected = [
        ("go-call", "park-recv", "chan receive"),
        ("go-closure", "go-closure-recv", "chan receive"),
        ("go-block-send", "block-send", "chan send"),
        ("go-block-stmt-recv", "block-stmt-recv", "chan receive"),
        ("go-block-select", "block-select", "select"),
        ("gs-go-call", "gs-recv-value", "chan receive"),
        ("gs-go-func", "gs-send", "chan send"),
        ("gs-go-select", "gs-select", "select"),
        ("gs-go-range", "gs-range", "chan receive"),
        ("gs-go-ok", "gs-recv-ok", "chan receive"),
    ];
    let file = std::panic::Location::caller().file();
    let deadline = Instant::now() + Duration::from_secs(20);
    let all: Vec<GoroutineInfo> = loop {
        let all = gocsp::goroutines();
        let blocked = all
            .iter()
            .filter(|g| matches!(&g.state, GoroutineState::Blocked { .. }))
            .count();
        if blocked == expected.len() {
            break all;
        }
        assert!(
            Instant::now() < deadline,
            "not all blocked:\n{}",
            gocsp::dump()
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    for (spawn, block, reason) in expected {
        let (spawn_line, block_line) = (line_of(spawn), line_of(block));
        let g = all
            .iter()
            .find(|g| g.spawn_site.line() == spawn_line)
            .unwrap_or_else(|| {
                panic!(
                    "no goroutine spawned at line {spawn_line} ({spawn}):\n{}",
                    gocsp::dump()
                )
            });
        assert_eq!(g.spawn_site.file(), file, "{spawn}");
        match &g.state {
            GoroutineState::Blocked {
                reason: r,
                site: Some(site),
            } => {
                assert_eq!(r, reason, "{block}");
                assert_eq!(site.file(), file, "{block}");
                assert_eq!(site.line(), block_line, "{block}:\n{}", gocsp::dump());
            }
            other => panic!("{spawn}: {other:?}"),
        }
    }

    // Unblock every goroutine: closing wakes the receivers, a receive takes each send.
    for (i, ch) in chans.iter().enumerate() {
        if i == 2 || i == 7 {
            ch.recv();
        } else if i != 5 && i != 9 {
            ch.close();
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while gocsp::num_goroutine() > 0 {
        assert!(
            Instant::now() < deadline,
            "still running:\n{}",
            gocsp::dump()
        );
        std::thread::sleep(Duration::from_millis(5));
    }

    // Panic locations of the channel builtins are the user's line too.
    let located = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = located.clone();
    std::panic::set_hook(Box::new(move |info| {
        *seen.lock().unwrap() = info.location().map(|l| (l.file().to_string(), l.line()));
    }));
    let closed = std::panic::catch_unwind(|| close_twice(make!(chan i32)));
    drop(std::panic::take_hook());
    assert!(closed.is_err());
    assert_eq!(
        *located.lock().unwrap(),
        Some((file.to_string(), line_of("gs-close")))
    );
}
