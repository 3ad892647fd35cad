//! `defer!(expr)` / `defer! { stmts }`: Go's `defer`, as a scope guard.
//!
//! Expands to `let _guard = Defer::new(|| { stmts; });` in the caller's scope: the guard
//! (a hygienic local) drops at the end of the enclosing block, also while unwinding, so
//! several `defer!`s run last-in first-out. The closure is not `move`: it borrows what it uses
//! until then.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

use crate::rewrite::{Mode, Rewriter};
use crate::tokens::{first_span, is_punct, local, to_vec};

/// `defer!(...)`: `input` is everything after the `$crate;` prefix.
pub(crate) fn defer_macro(krate: &TokenStream, input: TokenStream) -> TokenStream {
    let ts = to_vec(input);
    let span = first_span(&ts, Span::call_site());
    if ts.is_empty() {
        return syn::Error::new(
            span,
            "`defer!` needs something to run: `defer!(ch.close())` or `defer! { ... }`",
        )
        .to_compile_error();
    }
    let mut rw = Rewriter::new(krate, Mode::Rust);
    let mut body = rw.block(&ts, false);
    let ends_with_semi =
        matches!(body.clone().into_iter().last(), Some(t) if is_punct(Some(&t), ';'));
    let ends_with_block = matches!(body.clone().into_iter().last(), Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Brace);
    if !ends_with_semi && !ends_with_block {
        body.extend(quote_spanned!(span=> ;));
    }
    let guard = local("_gocsp_defer", span);
    let errors = rw.finish().to_compile_errors();
    quote! {
        #errors
        let #guard = #krate::__private::Defer::new(|| { #body });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_the_statement() {
        let out =
            defer_macro(&"::gocsp".parse().unwrap(), "ch.close()".parse().unwrap()).to_string();
        assert_eq!(
            out,
            "let _gocsp_defer = :: gocsp :: __private :: Defer :: new (|| { ch . close () ; }) ;"
        );
        let out = defer_macro(&"::gocsp".parse().unwrap(), "tx <- 1".parse().unwrap()).to_string();
        let send = crate::krate::named_text("send", "tx", None, &["1"]);
        assert!(out.contains(&format!("{send} ;")), "{out}");
    }
}
