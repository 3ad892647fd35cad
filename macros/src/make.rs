//! `make!(chan T)` and `make!(chan T, n)`: Go's `make` for channels.

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::rewrite::{Mode, Rewriter};
use crate::tokens::{first_span, to_vec};

/// `make!(...)`: `input` is everything after the `$crate;` prefix.
pub(crate) fn make_macro(krate: &TokenStream, input: TokenStream) -> TokenStream {
    let ts = to_vec(input);
    // The expression is the macro call (rustc's notes underline all of `make!(...)`, and a
    // capacity panic is located there); errors about the arguments point into them.
    let args = first_span(&ts, Span::call_site());
    let mut rw = Rewriter::new(krate, Mode::Go);
    let out = rw.make_call(&ts, Span::call_site(), args);
    let errors = rw.finish();
    if errors.is_empty() {
        out
    } else {
        let errors = errors.to_compile_errors();
        quote!({ #errors #out })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(src: &str) -> String {
        make_macro(&"::gocsp".parse().unwrap(), src.parse().unwrap()).to_string()
    }

    #[test]
    fn makes_channels() {
        assert_eq!(
            make("chan i32"),
            "< :: gocsp :: __private :: Ops > :: make_chan :: < i32 > (0usize)"
        );
        assert_eq!(
            make("chan String, 16"),
            "< :: gocsp :: __private :: Ops > :: make_chan :: < String > (16)"
        );
        assert_eq!(
            make("chan (<-chan u8), n + 1"),
            "< :: gocsp :: __private :: Ops > :: make_chan :: < :: gocsp :: __private :: Receiver < u8 > > (n + 1)"
        );
    }

    #[test]
    fn rejects_non_channels() {
        assert!(make("Vec<i32>").contains("compile_error"));
        assert!(make("chan").contains("expected the element type"));
        assert!(make("chan i32 16").contains("expected `,` and a capacity"));
    }
}
