//! `go!`: parse the form (`ast`), rewrite Go's `<-` forms, expand (`expand`). The call-form
//! expansion is shared with Go's `go f(args)` statement in `go_syntax!`.

mod ast;
pub(crate) mod expand;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use self::ast::GoInput;
use crate::rewrite::{Mode, Rewriter};
use crate::tokens::first_span;

/// `go!(...)`: `input` is everything after the `$crate;` prefix.
pub(crate) fn go_macro(krate: &TokenStream, input: TokenStream) -> TokenStream {
    let form = match syn::parse2::<GoInput>(input) {
        Ok(f) => f,
        Err(e) => return e.to_compile_error(),
    };
    let mut rw = Rewriter::new(krate, Mode::Rust);
    let out = match form {
        GoInput::Call(ts) => {
            let call = rw.expr(&ts, true);
            match syn::parse2::<syn::Expr>(call)
                .and_then(|e| expand::call(krate, &e, Span::call_site(), expand::GO_MACRO_FORMS))
            {
                Ok(out) => out,
                Err(e) => {
                    rw.errors().push(e);
                    quote!(())
                }
            }
        }
        GoInput::Closure(ts) => {
            let span = first_span(&ts, Span::call_site());
            let closure = rw.expr(&ts, true);
            expand::closure(krate, closure, span)
        }
        GoInput::Block(ts) => {
            let span = first_span(&ts, Span::call_site());
            let body = rw.block(&ts, false);
            expand::block(krate, body, span)
        }
    };
    let errors = rw.finish().to_compile_errors();
    if errors.is_empty() {
        out
    } else {
        quote!({ #errors #out })
    }
}
