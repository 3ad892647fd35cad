//! Helpers shared by the example programs: headings for their printed accounts, Go's
//! `fmt.Println` for the Go ports (it keeps what they print, so they can check it), and a
//! recover-style helper that turns a panic into an error, like Go's
//! `defer func() { if r := recover(); r != nil { ... } }()`.
#![forbid(unsafe_code)]

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// Prints a section heading.
pub fn heading(title: &str) {
    println!("\n== {title} ==");
}

/// The message a panic was raised with (`panic!("...")` payloads are `&str` or `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_string()
    }
}

std::thread_local! {
    /// The goroutines (by id; `None` for a plain thread) on this thread that are inside
    /// [`recover`] now. A started goroutine never changes thread, so the entry stays valid
    /// while it parks and other goroutines run on the same worker.
    static RECOVERING: RefCell<Vec<Option<u64>>> = const { RefCell::new(Vec::new()) };
}

fn recovering_here() -> bool {
    let me = gocsp::goroutine_id();
    RECOVERING
        .try_with(|r| r.borrow().contains(&me))
        .unwrap_or(false)
}

/// Runs `f` and returns its value, or the message of the panic that ended it: Go's
/// `recover()`, scoped to one call.
///
/// As in Go, a recovered panic prints nothing; every other panic still gets Rust's usual
/// message (the helper installs, once, a panic hook that stays quiet only for panics inside
/// `recover`).
pub fn recover<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !recovering_here() {
                previous(info);
            }
        }));
    });
    let me = gocsp::goroutine_id();
    RECOVERING.with(|r| r.borrow_mut().push(me));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    RECOVERING.with(|r| {
        let mut r = r.borrow_mut();
        if let Some(i) = r.iter().rposition(|g| *g == me) {
            r.remove(i);
        }
    });
    result.map_err(|p| panic_message(p.as_ref()))
}

/// Go's `fmt` package, as much of it as the Go ports use: `fmt::Println` prints a line and also
/// keeps it, so a program can check what it printed (`fmt::take`).
#[allow(non_snake_case)]
pub mod fmt {
    static OUT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

    /// Prints `line` and keeps it.
    pub fn Println(line: impl std::fmt::Display) {
        let line = line.to_string();
        println!("{line}");
        OUT.lock().expect("not poisoned").push(line);
    }

    /// The lines printed since the last call.
    pub fn take() -> Vec<String> {
        std::mem::take(&mut OUT.lock().expect("not poisoned"))
    }
}
