//! The public macros: thin `macro_rules!` wrappers that hand `$crate` to the hidden proc
//! macros in `gocsp-macros`, so expanded code names this crate correctly even when it is
//! renamed or re-exported.

/// Starts a goroutine: Go's `go` statement.
///
/// Three forms:
///
/// ```
/// use gocsp::prelude::*;
///
/// fn worker(id: u32, results: Sender<u32>) {
///     results.send(id * 10);
/// }
///
/// let results = make!(chan u32, 3);
/// // Call form: the arguments are evaluated now, in the caller; the call runs in the new
/// // goroutine (exactly Go's `go worker(1, results)`).
/// go!(worker(1, results.sender()));
/// // Closure form.
/// let tx = results.sender();
/// go!(move || tx.send(20));
/// // Block form: moves what it uses, like `move ||`.
/// let tx = results.sender();
/// go! { tx.send(30) }
///
/// let mut got: Vec<u32> = (0..3).map(|_| results.recv().unwrap()).collect();
/// got.sort();
/// assert_eq!(got, [10, 20, 30]);
/// ```
///
/// `go!` never blocks and returns nothing; use [`spawn`](crate::spawn) for a handle to join.
/// Captures must be `Send + 'static` (the goroutine may start on another worker); a capture that
/// is not gets a compile error on that capture. Inside a `go!` block, Go's channel statements
/// (`ch <- v`, `<-ch`, `v := <-ch`, ...) work as in [`go_syntax!`](crate::go_syntax!).
#[macro_export]
macro_rules! go {
    ($($tt:tt)*) => {
        $crate::__private::__go_impl!($crate; $($tt)*)
    };
}

/// Waits on several channel operations and runs the arm of the one that proceeds: Go's
/// `select`.
///
/// # Syntax
///
/// ```
/// use gocsp::prelude::*;
///
/// let data: Chan<i32> = make!(chan i32, 1);
/// let out: Chan<i32> = make!(chan i32, 1);
/// let quit: Chan<()> = make!(chan (), 1);
/// data.send(1);
/// select! {
///     v = <-data => println!("got {v}"),             // receive (zero value once closed)
///     v, ok = <-data => println!("got {v} {ok}"),    // receive with ok
///     <-quit => println!("quit"),                    // receive, value discarded
///     out <- 2 => println!("sent"),                  // send
///     default => println!("nothing ready"),          // none ready now
/// }
/// ```
///
/// Go's own arm syntax (`case v := <-data:` … `default:`) is accepted too. `biased;` as the
/// first token picks the first ready case in source order instead of a random one.
/// `Some(v) = <-rx => ...` receives an `Option`: once `rx` is closed the pattern fails and that
/// case is disabled for the rest of this select. `select! {}` blocks forever.
///
/// # Lifecycle
///
/// 1. Every channel operand and every send value is evaluated once, in source order.
/// 2. If one or more cases can proceed, one is chosen uniformly at random (or the first, if
///    `biased`), its operation is done and its arm runs.
/// 3. Otherwise the `default` arm runs if there is one; without it the select blocks until a
///    case can proceed, then does 2.
///
/// # Values of the cases that lose
///
/// Exactly one case commits. Receives that lose take nothing from their channels; the values
/// of send cases that lose are dropped, never sent. A nil channel's case never fires; a closed
/// channel's receive is always ready (with the zero value / `ok == false`).
///
/// # Panics
///
/// A chosen send case on a closed channel panics with "send on closed channel", as in Go.
#[macro_export]
macro_rules! select {
    ($($tt:tt)*) => {
        $crate::__private::__select_impl!($crate; $($tt)*)
    };
}

/// Makes a channel: `make!(chan T)` (unbuffered) or `make!(chan T, n)` (buffered), Go's
/// `make(chan T, n)`.
///
/// ```
/// use gocsp::prelude::*;
/// let unbuffered: Chan<String> = make!(chan String);
/// let buffered = make!(chan i32, 16);
/// assert_eq!((unbuffered.cap(), buffered.cap()), (0, 16));
/// ```
#[macro_export]
macro_rules! make {
    ($($tt:tt)*) => {
        $crate::__private::__make_impl!($crate; $($tt)*)
    };
}

/// Runs a statement when the enclosing scope ends, also when it unwinds: Go's `defer`.
/// Several run last-in, first-out.
///
/// ```
/// use gocsp::prelude::*;
/// use std::cell::RefCell;
///
/// let log = RefCell::new(Vec::new());
/// {
///     defer!(log.borrow_mut().push("first deferred, runs last"));
///     defer! { log.borrow_mut().push("second deferred, runs first") }
///     log.borrow_mut().push("body");
/// }
/// assert_eq!(*log.borrow(), ["body", "second deferred, runs first", "first deferred, runs last"]);
/// ```
///
/// Unlike Go's (which runs at function exit), it runs at the end of the enclosing block, and
/// it borrows what it uses until then, like a scope guard.
#[macro_export]
macro_rules! defer {
    ($($tt:tt)*) => {
        $crate::__private::__defer_impl!($crate; $($tt)*)
    };
}

/// Go statements inside Rust items.
///
/// ```
/// use gocsp::prelude::*;
///
/// go_syntax! {
///     fn double(src: <-chan i32, dst: chan<- i32) {
///         for v := range src { dst <- v * 2 }
///         close(dst)
///     }
/// }
///
/// go_syntax! {
///     fn run() -> i32 {
///         src := make(chan i32, 3)
///         dst := make(chan i32, 3)
///         go double(src.receiver(), dst.sender())
///         src <- 1; src <- 2; src <- 3
///         close(src)
///         total := 0
///         for v := range dst { total += v }
///         total
///     }
/// }
/// assert_eq!(run(), 12);
/// ```
///
/// Accepted: `x := e`, `a, b := e`, `ch <- v`, `<-ch`, `v, ok := <-ch`, `go f(args)`,
/// `go func(params) { body }(args)`, `defer stmt`, `select { case ...: ... default: ... }`,
/// `for { }`, `for v := range ch { }`, `make(chan T[, n])`, `close(ch)`, `len(ch)`, `cap(ch)`, and
/// the types `chan T`, `chan<- T`, `<-chan T`. Everything else is Rust. A statement ends at
/// the end of its line (`;` optional), except before a line that starts with `.` or `?`.
#[macro_export]
macro_rules! go_syntax {
    ($($tt:tt)*) => {
        $crate::__private::__go_syntax_impl! { $crate; $($tt)* }
    };
}
