//! Error collection and the wording shared by several macros.
//!
//! Macros report every mistake they find (combined with [`syn::Error::combine`]) and still
//! expand to something close to the intended code, so one mistake does not cascade into
//! unrelated errors.

use proc_macro2::TokenStream;

/// What `go_syntax!` accepts, listed in error messages about unsupported Go.
pub(crate) const GO_FORMS: &str = "go_syntax! accepts these Go forms: `x := e`, `a, b := e`, \
     `ch <- v`, `<-ch`, `v, ok := <-ch`, `go f(args)`, `go func(params) { body }(args)`, \
     `defer stmt`, `select { case ...: ... default: ... }`, `for { }`, `for v := range ch { }`, \
     `make(chan T[, n])`, `close(ch)`, `len(ch)`, `cap(ch)`, and the types `chan T`, \
     `chan<- T`, `<-chan T`; everything else is Rust";

/// The forms of a `select!` case, listed in error messages.
pub(crate) const SELECT_FORMS: &str = "a select case is one of: `v = <-rx`, `v, ok = <-rx`, \
     `Some(v) = <-rx`, `v: Option<_> = <-rx`, `<-rx`, `tx <- value`, `default` (or Go's \
     `case v := <-rx:`, `case tx <- value:`, `default:`)";

/// Errors found while expanding, reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    /// Records `e`.
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    /// Records everything `other` holds.
    pub(crate) fn push_all(&mut self, other: Errors) {
        if let Some(e) = other.0 {
            self.push(e);
        }
    }

    /// Records an error at `span`.
    pub(crate) fn at(&mut self, span: proc_macro2::Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }

    /// Whether nothing was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// `compile_error!` invocations for everything recorded (empty if nothing was).
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.0
            .as_ref()
            .map(syn::Error::to_compile_error)
            .unwrap_or_default()
    }

    /// The recorded errors as one `syn::Error`, if any (for tests).
    #[cfg(test)]
    pub(crate) fn into_error(self) -> Option<syn::Error> {
        self.0
    }
}
