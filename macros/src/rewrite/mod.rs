//! The Go-statement rewriter behind `go_syntax!`, and behind the `<-` forms in `go!` blocks,
//! `select!` arm bodies and `defer!`.
//!
//! Go statements are not Rust syntax, so this works on token trees: [`split`] cuts a block
//! into statements the way Go's lexer does, [`stmt`] classifies each statement (a Go form, an
//! unsupported Go construct, or plain Rust) and expands it ([`go_defer`] has the goroutine
//! and defer statements), [`expr`] rewrites Go expressions
//! (`<-ch`, `make(chan T)`, `close(ch)`, ...) inside any statement, [`types`] turns `chan T`,
//! `chan<- T` and `<-chan T` into the runtime's handle types, and [`items`] handles `fn`
//! items (Go-typed signatures, Go bodies). [`unsupported`] words the errors for Go constructs
//! the DSL does not take.
//!
//! Everything else passes through untouched, with its spans, so rustc reports Rust mistakes
//! on the user's own tokens.

mod expr;
mod go_defer;
mod items;
mod moved;
mod share;
pub(crate) mod split;
mod stmt;
mod types;
mod unsupported;

use std::collections::HashMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote_spanned;

use crate::diag::Errors;

/// Which language a block is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `go_syntax!`: every Go form of DESIGN section 2; statements end at line ends.
    Go,
    /// `go!` blocks, `select!` bodies, `defer!`: Rust, plus Go's `<-` forms and `:=`.
    Rust,
}

/// The channel handle a parameter type names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChanKind {
    /// `chan T` / `Chan<T>`.
    Chan,
    /// `chan<- T` / `Sender<T>`.
    Sender,
    /// `<-chan T` / `Receiver<T>`.
    Receiver,
}

impl ChanKind {
    /// The runtime type's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ChanKind::Chan => "Chan",
            ChanKind::Sender => "Sender",
            ChanKind::Receiver => "Receiver",
        }
    }

    /// The kind a type's last path segment names, if any.
    pub(crate) fn of_name(s: &str) -> Option<Self> {
        match s {
            "Chan" => Some(ChanKind::Chan),
            "Sender" => Some(ChanKind::Sender),
            "Receiver" => Some(ChanKind::Receiver),
            _ => None,
        }
    }
}

/// A block being rewritten, at one of its statements (see `moved`).
pub(crate) struct Frame {
    /// The block's statements.
    stmts: std::rc::Rc<Vec<Vec<proc_macro2::TokenTree>>>,
    /// The statement being rewritten.
    at: usize,
    /// The block is a loop's body.
    is_loop: bool,
}

impl Frame {
    /// The statements after the one being rewritten, as one token list.
    fn after(&self) -> Vec<proc_macro2::TokenTree> {
        self.stmts[self.at + 1..]
            .iter()
            .flatten()
            .cloned()
            .collect()
    }

    /// The whole block.
    fn all(&self) -> Vec<proc_macro2::TokenTree> {
        self.stmts.iter().flatten().cloned().collect()
    }
}

/// Rewrites Go statements into Rust that calls `gocsp::__private`.
pub(crate) struct Rewriter {
    krate: TokenStream,
    mode: Mode,
    /// Functions declared in a `go_syntax!` block: for each parameter, the channel kind it
    /// expects (for Go's implicit `chan T` to `chan<- T` / `<-chan T` conversion).
    fns: HashMap<String, Vec<Option<ChanKind>>>,
    /// A `fn main()` met at this level runs as the main goroutine (`go_syntax!`'s top level).
    main_goroutine: bool,
    /// The gocsp handles declared in the function being rewritten (see `share`).
    shared: Vec<std::collections::HashSet<String>>,
    /// The variables of owned types declared in the function being rewritten (see `moved`).
    owned: Vec<HashMap<String, moved::Owned>>,
    /// The blocks around the statement being rewritten, innermost last, up to the function
    /// or function literal: what follows it (see `moved`).
    frames: Vec<Frame>,
    /// The next block rewritten is a loop's body.
    loop_body: bool,
    /// How many Go select clauses (`case ...:`) enclose what is being rewritten: inside one,
    /// a nested `select!` is expanded here, so that the clause sees its `break`s.
    clauses: u32,
    errors: Errors,
}

impl Rewriter {
    /// A rewriter emitting paths under `krate` (the `$crate` token, or `::gocsp`).
    pub(crate) fn new(krate: &TokenStream, mode: Mode) -> Self {
        Rewriter {
            krate: krate.clone(),
            mode,
            fns: HashMap::new(),
            main_goroutine: false,
            shared: Vec::new(),
            owned: Vec::new(),
            frames: Vec::new(),
            loop_body: false,
            clauses: 0,
            errors: Errors::default(),
        }
    }

    /// Records the handles declared by statements at `go_syntax!`'s top level (statement
    /// position), for `go func` literals there (see `share`).
    pub(crate) fn share_top_level(&mut self, ts: &[proc_macro2::TokenTree]) {
        self.shared = vec![share::handles(&[], ts)];
        self.owned = vec![moved::owned(&[], ts)];
    }

    /// Enters a function or function literal body: the code around it is another function's
    /// (see `moved`). Hands back the frames to restore with [`Rewriter::leave_body`].
    pub(crate) fn enter_body(&mut self) -> Vec<Frame> {
        std::mem::take(&mut self.frames)
    }

    /// Leaves a body entered with [`Rewriter::enter_body`].
    pub(crate) fn leave_body(&mut self, frames: Vec<Frame>) {
        self.frames = frames;
    }

    /// Makes a top-level `fn main()` run as the main goroutine (`go_syntax!`).
    pub(crate) fn main_goroutine(&mut self) {
        self.main_goroutine = true;
    }

    /// Whether Go-only forms (types, builtins, `go`, `defer`, `select`, `for range`) apply.
    pub(crate) fn go_mode(&self) -> bool {
        self.mode == Mode::Go
    }

    /// Rewrites `f`'s statements as a Go select clause's body.
    pub(crate) fn in_clause<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        self.clauses += 1;
        let out = f(self);
        self.clauses -= 1;
        out
    }

    /// Whether a Go select clause encloses what is being rewritten.
    pub(crate) fn inside_clause(&self) -> bool {
        self.clauses > 0
    }

    /// The errors found so far.
    pub(crate) fn errors(&mut self) -> &mut Errors {
        &mut self.errors
    }

    /// Hands back the errors found.
    pub(crate) fn finish(self) -> Errors {
        self.errors
    }

    /// `$crate::__private::name`, spanned at `span`.
    pub(crate) fn private(&self, name: &str, span: Span) -> TokenStream {
        let krate = &self.krate;
        let name = Ident::new(name, span);
        quote_spanned!(span=> #krate::__private::#name)
    }

    /// `<$crate::__private::Ops>::name`, located at `span` (see [`crate::krate::op`]): for
    /// the runtime calls that record where they were called from.
    pub(crate) fn op(&self, name: &str, span: Span) -> TokenStream {
        crate::krate::op(&self.krate, name, span)
    }

    /// A channel operation on `chan` (`send`, `recv`, `recv_option`, `recv_ok`, `range`,
    /// `close`), located at `span`: direction-checked by name when `chan` is a plain variable
    /// (see [`crate::krate::named_op`]), else through `Ops`.
    pub(crate) fn chan_op(
        &self,
        name: &str,
        chan: &TokenStream,
        args: &[TokenStream],
        span: Span,
    ) -> TokenStream {
        crate::krate::chan_op(&self.krate, name, chan, None, args, span)
    }

    /// The crate path.
    pub(crate) fn krate(&self) -> &TokenStream {
        &self.krate
    }
}
