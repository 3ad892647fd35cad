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
            errors: Errors::default(),
        }
    }

    /// Records the handles declared by statements at `go_syntax!`'s top level (statement
    /// position), for `go func` literals there (see `share`).
    pub(crate) fn share_top_level(&mut self, ts: &[proc_macro2::TokenTree]) {
        self.shared = vec![share::handles(&[], ts)];
    }

    /// Makes a top-level `fn main()` run as the main goroutine (`go_syntax!`).
    pub(crate) fn main_goroutine(&mut self) {
        self.main_goroutine = true;
    }

    /// Whether Go-only forms (types, builtins, `go`, `defer`, `select`, `for range`) apply.
    pub(crate) fn go_mode(&self) -> bool {
        self.mode == Mode::Go
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
        match crate::krate::operand_name(chan) {
            Some(var) => crate::krate::named_op(&self.krate, name, &var, chan, false, args, span),
            None => {
                let f = self.op(name, span);
                quote_spanned!(span=> #f(&(#chan) #(, #args)*))
            }
        }
    }

    /// The crate path.
    pub(crate) fn krate(&self) -> &TokenStream {
        &self.krate
    }
}
