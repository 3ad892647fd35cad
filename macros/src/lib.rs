//! Procedural macros behind `gocsp`. Depend on `gocsp`, which re-exports them through thin
//! `macro_rules!` wrappers that pass `$crate` first (`$crate; user tokens`).
//!
//! Each entry point here is a thin wrapper over a `proc_macro2` function, so the logic is
//! unit-tested on plain token streams:
//!
//! - [`krate`]: the `$crate;` prefix;
//! - [`tokens`], [`diag`]: token helpers (Go's `<-` and `:=`, line numbers), error wording;
//! - [`rewrite`]: the Go-statement rewriter (`go_syntax!`, and the `<-` forms in `go!`
//!   blocks, `select!` bodies and `defer!`);
//! - [`select`], [`go`], [`owner`], [`make`], [`defer`], [`go_syntax`]: one module per
//!   macro, each parse → validate → expand.
#![forbid(unsafe_code)]

mod defer;
mod diag;
mod go;
mod go_syntax;
mod krate;
mod make;
mod owner;
mod rewrite;
mod select;
mod tokens;

use proc_macro::TokenStream;

/// `go!`: see `gocsp::go!`.
#[doc(hidden)]
#[proc_macro]
pub fn __go_impl(input: TokenStream) -> TokenStream {
    krate::with_krate(input.into(), go::go_macro).into()
}

/// `select!`: see `gocsp::select!`.
#[doc(hidden)]
#[proc_macro]
pub fn __select_impl(input: TokenStream) -> TokenStream {
    krate::with_krate(input.into(), select::select_macro).into()
}

/// `make!`: see `gocsp::make!`.
#[doc(hidden)]
#[proc_macro]
pub fn __make_impl(input: TokenStream) -> TokenStream {
    krate::with_krate(input.into(), make::make_macro).into()
}

/// `defer!`: see `gocsp::defer!`.
#[doc(hidden)]
#[proc_macro]
pub fn __defer_impl(input: TokenStream) -> TokenStream {
    krate::with_krate(input.into(), defer::defer_macro).into()
}

/// `go_syntax!`: see `gocsp::go_syntax!`.
#[doc(hidden)]
#[proc_macro]
pub fn __go_syntax_impl(input: TokenStream) -> TokenStream {
    krate::with_krate(input.into(), go_syntax::go_syntax_macro).into()
}

/// `#[owner]`: see `gocsp::owner`.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn __owner_impl(args: TokenStream, item: TokenStream) -> TokenStream {
    owner::owner_attr(args.into(), item.into()).into()
}
