//! The public macros: thin `macro_rules!` wrappers that hand `$crate` to the hidden proc
//! macros in `gocsp-macros`, so expanded code names this crate correctly even when it is
//! renamed or re-exported.

/// Starts a goroutine: Go's `go` statement.
///
/// # Syntax
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
/// // Block form: moves what it uses, like `move ||`; Go's `<-` statements work inside.
/// let tx = results.sender();
/// go! { tx <- 30 }
///
/// let mut got: Vec<u32> = (0..3).map(|_| results.recv().unwrap()).collect();
/// got.sort();
/// assert_eq!(got, [10, 20, 30]);
/// ```
///
/// The form is read from the tokens: a lone call (`f(a)`, `obj.method(a)`, no trailing `;`)
/// is the call form; a lone closure (`move || ...`) the closure form; anything else the block
/// form. Write `go! { f(a); }` (with the `;`) to run a single call entirely in the goroutine.
///
/// # Lifecycle
///
/// - **Call form**: the function value, the method receiver and every argument are evaluated
///   in the caller, left to right, before `go!` returns, as Go does; a receive in an argument
///   (`go!(handle(<-jobs))`) happens in the caller too. The receiver and the arguments are
///   moved into the goroutine (pass `x.clone()` to keep `x`).
/// - **Closure and block forms**: nothing is evaluated in the caller; the closure moves what
///   it captures.
///
/// `go!` never blocks and returns nothing; use [`spawn`](crate::spawn) for a handle to join.
///
/// # Captures
///
/// What moves into the goroutine must be `Send + 'static`: a goroutine that has not started
/// yet may be stolen by another worker thread. A call-form argument that is not `Send` gets
/// the error on that argument ("`Rc<i32>` cannot be sent to another goroutine"); a block or
/// closure capture gets rustc's error naming the type and the closure. Borrowed locals are
/// rejected with "argument requires that `x` is borrowed for `'static`".
///
/// # Panics
///
/// A panic inside the goroutine ends the process, as in Go (see [`PanicPolicy`]), after
/// printing the panic, the goroutine and this `go!`'s location. `go!` itself panics only if
/// no goroutine can be started (see [`SpawnError`]).
///
/// [`PanicPolicy`]: crate::PanicPolicy
/// [`SpawnError`]: crate::SpawnError
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
/// let quit: Chan<()> = make! { chan (), 1 };
/// data.send(1);
/// select! {
///     v = <-data => println!("got {v}"),             // receive (the zero value once closed)
///     v, ok = <-data => println!("got {v} {ok}"),    // receive with ok
///     <-quit => println!("quit"),                    // receive, value discarded
///     out <- 2 => println!("sent"),                  // send
///     default => println!("nothing ready"),          // none ready now
/// }
/// ```
///
/// Go's own clause syntax is accepted too, with statements up to the next clause:
///
/// ```
/// use gocsp::prelude::*;
///
/// let jobs: Chan<i32> = make!(chan i32, 1);
/// let results: Chan<i32> = make!(chan i32, 1);
/// jobs.send(21);
/// select! {
/// case j := <-jobs:
///     let doubled = j * 2;
///     results <- doubled
/// default:
///     println!("idle")
/// }
/// assert_eq!(results.recv(), Some(42));
/// ```
///
/// - `v = <-rx` binds `T`; once `rx` is closed it is `T::default()` (Go's zero value), so
///   `T: Default` (the error says so when it is not). `v, ok = <-rx` binds `(T, bool)`.
///   `<-rx` and `_ = <-rx` need no `Default`. In Go's clause syntax `case v := <-rx:` declares
///   and `case v = <-rx:` assigns to an existing variable, as in Go.
/// - For element types without a zero value, two receives give `Option<T>` instead:
///   - `Some(v) = <-rx` takes a value; once `rx` is closed that case is disabled for the rest
///     of this select, and the select goes on with the others (tokio's rule). Inside
///     `Some(..)` goes an irrefutable pattern (a name, `_`, a tuple of names): a pattern that
///     can fail on a received value (`None`, `Some(0)`, `Some(Ok(v))`) is rejected at compile
///     time, since the value it failed on would be lost, and Go never loses one;
///   - `v: Option<_> = <-rx` (in `=>` arms) binds the `Option<T>` itself: `None` once `rx`
///     is closed (and the case stays ready, as a closed channel's is in Go). It lets a loop take values and
///     notice the close in one select. Outside a select, `rx.recv()` is the same `Option`,
///     and `for v in &rx { }` takes values until the close.
///
///   ```
///   use gocsp::prelude::*;
///
///   struct Job(u32);
///
///   let jobs: Chan<Job> = make!(chan Job, 3);
///   let quit: Chan<()> = make! { chan () };
///   for i in 1..=3 {
///       jobs.send(Job(i));
///   }
///   jobs.close();
///   let mut sum = 0;
///   loop {
///       select! {
///           job: Option<_> = <-jobs => match job {
///               Some(Job(n)) => sum += n,
///               None => break, // closed and drained
///           },
///           <-quit => return,
///       }
///   }
///   assert_eq!(sum, 6);
///   ```
/// - Arms are separated by commas, as in `match`: the comma is optional after a block body
///   (`=> { ... }`) or a block-like one (`=> if c { .. } else { .. }`, `match`, `loop`,
///   `while`, `for`, `unsafe { .. }`).
/// - `biased;` as the first token takes the first ready case in source order instead of a
///   random one.
/// - Arm bodies may use Go's `<-` statements (`tx <- v`, `<-rx`, `v := <-rx`), also in nested
///   blocks. `continue`, `return` and `?` in a body act on the code around the `select!`.
///   `break` follows the syntax the arm is written in:
///
///   | arm written as       | `break`                          | `break 'l` / `continue`     |
///   |----------------------|----------------------------------|-----------------------------|
///   | `case v := <-rx:`    | leaves the select (Go's rule)    | act on the loops around it  |
///   | `v = <-rx => { .. }` | leaves the loop around (Rust's)  | act on the loops around it  |
///
///   A `break` inside a loop or closure of the body acts on that loop, as everywhere, and a
///   `select!` nested in a body keeps its own arms' rule (a `=>` arm's `break` inside a
///   `case` clause still leaves the loop around both). Go's `select { }` in
///   [`go_syntax!`](crate::go_syntax!) follows Go's rule.
///
///   ```
///   use gocsp::prelude::*;
///
///   let ch: Chan<i32> = make!(chan i32, 3);
///   for v in [1, 0, 2] {
///       ch.send(v);
///   }
///   let mut runs = 0;
///   for _ in 0..3 {
///       runs += 1;
///       select! {
///       case v := <-ch:
///           if v == 0 {
///               break; // leaves the select: the loop runs 3 times, as in Go
///           }
///       }
///   }
///   assert_eq!(runs, 3);
///   ```
///
///   The select is an expression: its value is the chosen arm's. (Go clauses are
///   statement lists here, of type `()`; inside [`go_syntax!`](crate::go_syntax!), where the
///   macro sees whether the select is a block's value, they give their last expression.)
/// - `select! {}` blocks forever (its type is `!`), as Go's `select {}`.
/// - There is no limit on the number of cases.
///
/// # Lifecycle
///
/// 1. Every channel operand and every send value is evaluated once, in source order, on
///    entry. Channel operands are borrowed (`<-rx` does not move `rx`); send values are moved.
/// 2. If one or more cases can proceed, one of them commits and its arm runs.
/// 3. Otherwise the `default` arm runs if there is one; without it the select blocks until a
///    case can proceed, then does 2.
///
/// The cases live on the caller's stack: a select allocates nothing. A select with one case
/// and `default` makes a single non-blocking attempt without the select engine.
///
/// # Fairness
///
/// When several cases are ready, each is chosen with equal probability (the engine visits the
/// cases in a fresh random order every time); `biased;` picks the first ready one in source
/// order, which can starve the others. A nil channel's case ([`Chan::nil`](crate::Chan::nil))
/// never fires, Go's way to switch a case off; a closed channel's receive case is always
/// ready.
///
/// # Panics
///
/// A chosen send case on a closed channel panics with "send on closed channel", as in Go.
/// If every case is a nil channel (or a `Some(v)` case over a closed channel) and there is no
/// `default`, the select blocks forever, as Go's does.
///
/// # Values of the cases that lose
///
/// Exactly one case commits. Receives that lose take nothing from their channels, and the
/// chosen receive's value always reaches its arm (no pattern can refuse it). The value
/// of a send case that loses is never sent: it is dropped before the chosen arm runs (and
/// before `default` runs). Operand temporaries (like the receiver of
/// `<-time::after(d)`) are dropped before the arm runs too, so arm bodies may move the
/// channels they selected on.
///
/// ```
/// use gocsp::prelude::*;
/// use std::time::Duration;
///
/// let never: Chan<String> = make!(chan String);
/// let result = select! {
///     v = <-never => v,
///     never <- String::from("dropped, never sent") => unreachable!("no receiver"),
///     <-time::after(Duration::from_millis(5)) => String::from("timeout"),
/// };
/// assert_eq!(result, "timeout");
/// ```
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
/// let n: u8 = 4;
/// let of_receivers: Chan<Receiver<i32>> = make!(chan (<-chan i32), n);
/// assert_eq!((unbuffered.cap(), buffered.cap(), of_receivers.cap()), (0, 16, 4));
/// ```
///
/// The capacity may be any integer type, as in Go; a negative one panics with Go's
/// "makechan: size out of range". The element type may be written with Go's channel types
/// (`chan T`, `chan<- T`, `<-chan T`).
///
/// # rustfmt
///
/// rustfmt formats the arguments of a `make!(..)` call when they happen to parse as a Rust
/// expression: `make!(chan (u32, u32))` becomes `make!(chan(u32, u32))`, `make!(chan &str)`
/// becomes `make!(chan & str)`, `make!(chan (), 1)` becomes `make!(chan(), 1)`. The tokens
/// are the same, so the channel is too; only the look suffers. It does the same inside
/// `make![..]`, but it leaves braced macro calls alone, so write those element types with
/// braces (or name the type with a `type` alias):
///
/// ```
/// use gocsp::prelude::*;
/// let pairs: Chan<(u32, u32)> = make! { chan (u32, u32) };
/// let names: Chan<&str> = make! { chan &str, 4 };
/// let done: Chan<()> = make! { chan (), 1 };
/// assert_eq!((pairs.cap(), names.cap(), done.cap()), (0, 4, 1));
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
/// Unlike Go's (which runs at function exit and evaluates the call's arguments at once), it
/// runs at the end of the enclosing block, and it borrows what it uses until then, like a
/// scope guard. Go's `<-` statements work inside (`defer! { done <- true }`).
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
///
///     fn run() -> i32 {
///         src := make(chan i32, 3)
///         dst := make(chan i32, 3)
///         go double(src, dst)           // `chan i32` converts to the parameters' directions
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
/// # What it accepts
///
/// Inside ordinary Rust items (and in statement position, where the statements run in
/// place):
///
/// | Go                                   | means                                            |
/// |--------------------------------------|--------------------------------------------------|
/// | `x := e`, `a, b := e1, e2`           | `let mut x = e;` (assignable, as in Go)          |
/// | `ch <- v`                            | send                                             |
/// | `<-ch` as a value                    | receive: `T`, the zero value once closed         |
/// | `<-ch` as a statement                | receive and discard (no `Default` needed)        |
/// | `v, ok := <-ch`                      | receive with ok                                  |
/// | `go f(args)`, `go obj.m(args)`       | as [`go!`](crate::go!)'s call form               |
/// | `go func(params) { body }(args)`     | arguments evaluated now; parameters `name Type` or `name: Type`; shares the gocsp handles it captures (below) |
/// | `defer stmt`, `defer func() { }()`   | as [`defer!`](crate::defer!): at the end of the block (below) |
/// | `select { case ...: ... default: }`  | as [`select!`](crate::select!); see below        |
/// | `for { }`                            | `loop { }`                                       |
/// | `Outer:` before a loop, `break Outer`, `continue Outer` | Rust's `'Outer:`, `break 'Outer`, `continue 'Outer` (also from a `select` clause) |
/// | `for v := range ch { }`              | until `ch` is closed and drained (`for v = range ch` assigns to an existing `v`) |
/// | `make(chan T[, n])`                  | a `Chan<T>`                                      |
/// | `close(ch)`                          | closes a `Chan` or `Sender`                      |
/// | `len(x)`, `cap(x)`                   | `x.len()` (channels, slices, strings, maps, ...); the capacity of a channel, `Vec`, `String`, `VecDeque`, array or slice |
/// | `s[a:b]`, `s[:n]`, `s[n:]`, `s[:]`   | `&s[a..b]`: a slice of `s`; as a `go` argument, a copy the goroutine owns |
/// | `chan T`, `chan<- T`, `<-chan T`     | `Chan<T>`, `Sender<T>`, `Receiver<T>`, wherever a type goes |
/// | `fn m(&self, key &str)`              | Go-style parameters after a method's receiver    |
/// | `in` as a name                       | `r#in` (Rust's `for x in e` keeps its `in`)      |
///
/// Everything else is Rust (the [`go!`](crate::go!) and [`select!`](crate::select!) macros
/// included).
///
/// A `go func` literal shares what it captures, as Go's closure does, where the macro can
/// tell a capture is a gocsp handle: a name whose declaration in the enclosing function (a
/// parameter's type, or the initializer of `x := e` / `let x = e`) names `chan`,
/// `make(chan ..)`, `Chan`, `Sender`, `Receiver`, `WaitGroup`, `Context` (or
/// `context::background`, `with_cancel`, ...), `Arc`, `Semaphore`, `errgroup`, `Timer` or
/// `Ticker` is cloned into the goroutine (clones share state), so it can still be used after
/// the `go` line. Every other capture moves, as with [`go!`](crate::go!); a handle whose
/// declaration does not show it (`x := new_pipeline()`) moves too: clone it by hand or pass
/// it as an argument. `<-` written without a space is Go's operator; `a < -b` stays a
/// comparison.
///
/// Where Go shares a capture that a goroutine can only take by move, the macro says so, on
/// the capture, if the move certainly fails: a variable declared once in the function with a
/// type the declaration shows and that is neither a handle nor `Copy` (`String`, `Vec`,
/// `HashMap`, `HashSet`, `BTreeMap`, `BTreeSet`, `VecDeque`, `Box`, the sync types: `s :=
/// String::from(..)`, `v := vec![..]`, `let m: HashMap<..> = ..`, a parameter `s String`),
/// and used again after the `go` statement, or captured in a loop it was declared outside
/// of:
///
/// ```text
/// error: `label` is captured by the `go func` on line 7 and used again after it (line 10):
///        Go's closure shares it, but a goroutine takes a `String` by move; clone it for the
///        goroutine (`label2 := label.clone()` before the `go` line, and `label2` inside; or
///        pass `label.clone()` as an argument of the `go func`), or share one `String` as
///        `Arc<Mutex<_>>`
/// ```
///
/// Only certain mistakes are reported, so no program that compiles is rejected: a `Copy`
/// value is copied in, a variable assigned anew after the move or used in another branch
/// only is fine, a loop that may leave (`break`, `return`, `?`) moves once, and a later
/// mention the tokens cannot prove is a use (a pattern that may bind the name again, a field
/// of the same name, another macro's input) ends the search. Where the macro cannot see the
/// type (`x := compute()`) or the use, rustc's "use of moved value" still reports it, pointing
/// into the expansion.
///
/// # `select`
///
/// Go's `select { case ...: ... default: ... }` is an expression, as a Rust `match` is: where
/// it is a block's value (a function's last expression, a closure's, a `{ }`'s), its value
/// is the chosen clause's last expression, provided every clause ends in an expression;
/// otherwise (a clause ending in a declaration, an assignment, a send, ...) it is `()`.
///
/// ```
/// use gocsp::prelude::*;
///
/// go_syntax! {
///     fn first_or_zero(a <-chan i32) -> i32 {
///         select {
///         case v := <-a:
///             v
///         default:
///             0
///         }
///     }
/// }
/// let ch = make!(chan i32, 1);
/// assert_eq!(first_or_zero(ch.receiver()), 0);
/// ch.send(7);
/// assert_eq!(first_or_zero(ch.receiver()), 7);
/// ```
///
/// As in Go, `break` in a clause leaves the select, and `break 'label` / `continue` act on
/// the loops around it. The [`select!`](crate::select!) macro works here too, in either arm
/// style (its `=>` arms keep Rust's `break`, which leaves the loop), and its arm bodies take
/// every Go form of the block (`close(ch)`, `x := e`, `go f()`, ...).
///
/// # Statements end at the end of a line
///
/// As in Go, `;` is optional: a statement ends at the end of a line whose last token could
/// end it (an identifier, a literal, a closing bracket, `?`, `return`, ...). A line that
/// starts with `.` or `?` continues the previous one (Rust's method-chain style), a line that
/// ends with an operator continues on the next, and a function body's last expression is
/// still its value. Line numbers come from token spans, so code generated by other macros
/// with every token on one line needs explicit `;`.
///
/// # Channel directions
///
/// A channel converts implicitly to the direction a parameter expects where the macro sees
/// the parameter: the arguments of `go func(...)(...)` and of calls to functions declared
/// in the same `go_syntax!` block. The argument is borrowed and the handle cloned, as Go
/// copies a channel value, so the caller keeps using it. Widening a direction is an error:
/// "cannot use `Sender<i32>` as `Receiver<_>` value in argument". Every channel operation
/// checks its direction with Go's words ("invalid operation: cannot send to receive-only
/// channel", "cannot receive from send-only channel", "cannot close receive-only channel"),
/// and names the variable when the operand is one, as Go does: "invalid operation: cannot
/// send to receive-only channel `out` (variable of type `gocsp::Receiver<i32>`)".
///
/// A line that starts with a binary operator (`|| q`, `+ b`) is an error: Go ended the
/// statement on the line above, and Rust would take the rest as a statement of its own.
///
/// # Where the meaning differs from Go
///
/// These compile and run with Rust's meaning, which differs from Go's:
///
/// - **Captures of `Copy` values are copies.** A `go func` that writes `count += 1` to a
///   variable of the enclosing function changes its own copy, and a write by the caller after
///   the `go` line is not seen by the goroutine. Share such state as an atomic or an
///   `Arc<Mutex<_>>`, or send results back on a channel. A `go func` that assigns a variable
///   the function uses again after the `go` line is reported: "`x` is assigned by the
///   `go func` on line 7 and used again after it (line 12) ...".
/// - **`defer` runs when its block ends**, not when the function returns, and the deferred
///   statement's arguments are evaluated then, not at the `defer` line (see
///   [`defer!`](crate::defer!)). A `defer` inside a loop or an `if` runs at the end of that
///   block.
/// - **`:=` always declares.** `n, err := f()` where `err` already exists in the same scope
///   reuses it in Go; here it declares a new `err` that shadows the old one (a deferred
///   closure that captured the old one does not see the new value). Assign with `=` instead.
/// - **`a, x[i] = e1, e2`** evaluates the right side first, then assigns left to right, each
///   index expression as its assignment comes (Go evaluates the index operands first).
/// - **Untyped constants.** `x := 0` is an `i32` unless its uses say otherwise (Go's `int` is
///   64-bit): write `0i64` or `0usize` where it matters.
///
/// # Go that is not accepted
///
/// `switch`, `var`, `goto`, `fallthrough`, `x++`/`x--`, three-clause `for`, `for cond { }`,
/// `if x := f(); cond { }`, a `func` literal anywhere but right after `go`/`defer`, Go type
/// declarations: each is reported by name, with what to write instead and the list above.
#[macro_export]
macro_rules! go_syntax {
    ($($tt:tt)*) => {
        $crate::__private::__go_syntax_impl! { $crate; $($tt)* }
    };
}
