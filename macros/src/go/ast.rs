//! The three forms of `go!`.
//!
//! The `macro_rules!` wrapper cannot tell `go!(...)` from `go! { ... }`, so the form is read
//! from the tokens: a lone call expression (`f(a)`, `obj.method(a)`, no trailing `;`) is the
//! call form; a lone closure (`move || ...`, `|| ...`) the closure form; anything else
//! (statements, a trailing `;`, a loop, Go's `<-` statements) the block form. A block that
//! holds just a call can be written with a trailing `;` to get block semantics.

use proc_macro2::{TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};

use crate::tokens::{Tokens, find_colon_eq, find_larrow, is_ident, is_punct, to_vec};

/// A `go!` invocation's form.
#[derive(Debug)]
pub(crate) enum GoInput {
    /// `go!(f(a, b))`: the callee's receiver and arguments are evaluated now.
    Call(Tokens),
    /// `go!(move || ...)`.
    Closure(Tokens),
    /// `go! { stmts }`: moves what it uses into the goroutine.
    Block(Tokens),
}

impl Parse for GoInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let span = input.span();
        let ts = to_vec(input.parse::<TokenStream>()?);
        if ts.is_empty() {
            return Err(syn::Error::new(
                span,
                "`go!` needs something to run: a call `go!(f(x))`, a closure `go!(move || ...)` or a block `go! { ... }`",
            ));
        }
        if is_ident(ts.first(), "move") || is_punct(ts.first(), '|') {
            return Ok(GoInput::Closure(ts));
        }
        if is_call(&ts) {
            return Ok(GoInput::Call(ts));
        }
        if let Some(e) = not_a_call(&ts) {
            return Err(e);
        }
        Ok(GoInput::Block(ts))
    }
}

/// Whether `ts` is one call expression: ends in `(...)`, no statement separators, no Go
/// statement forms, no leading keyword, and parses as a call or method call. (Go's `<-` inside
/// the arguments is fine: it is evaluated in the caller, as in Go.)
fn is_call(ts: &[TokenTree]) -> bool {
    let ends_in_args = matches!(ts.last(), Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis);
    if !ends_in_args || ts.iter().any(|t| is_punct(Some(t), ';')) {
        return false;
    }
    if find_colon_eq(ts).is_some() || find_larrow(ts).is_some() {
        return false;
    }
    if let Some(TokenTree::Ident(id)) = ts.first()
        && crate::tokens::is_keyword(&id.to_string())
        && id != "self"
        && id != "Self"
        && id != "crate"
        && id != "super"
    {
        return false;
    }
    // Receive expressions in the arguments are rewritten before the real parse; here only the
    // shape matters, so parse with every group's contents blanked out.
    let shape: TokenStream = ts
        .iter()
        .map(|t| match t {
            TokenTree::Group(g) if g.delimiter() != proc_macro2::Delimiter::None => {
                let mut blank = proc_macro2::Group::new(g.delimiter(), TokenStream::new());
                blank.set_span(g.span());
                TokenTree::Group(blank)
            }
            other => other.clone(),
        })
        .collect();
    matches!(
        syn::parse2::<syn::Expr>(shape),
        Ok(syn::Expr::Call(_) | syn::Expr::MethodCall(_))
    )
}

/// Go's "expression in go must be function call": `go!(f)` with a closure variable, a path
/// or a field would otherwise be a block that evaluates `f` and never calls it.
fn not_a_call(ts: &[TokenTree]) -> Option<syn::Error> {
    fn named(e: &syn::Expr) -> bool {
        match e {
            syn::Expr::Path(_) | syn::Expr::Field(_) | syn::Expr::Index(_) => true,
            syn::Expr::Paren(p) => named(&p.expr),
            syn::Expr::Reference(r) => named(&r.expr),
            _ => false,
        }
    }
    let e = syn::parse2::<syn::Expr>(ts.iter().cloned().collect()).ok()?;
    named(&e).then(|| {
        let text = quote::ToTokens::to_token_stream(&e).to_string();
        syn::Error::new_spanned(
            &e,
            format!(
                "expression in go must be function call: `go!({text})` would only evaluate `{text}`, never call it; write `go!({text}())`, or `go!(move || ...)` for a closure literal"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(src: &str) -> &'static str {
        match syn::parse_str::<GoInput>(src).unwrap() {
            GoInput::Call(_) => "call",
            GoInput::Closure(_) => "closure",
            GoInput::Block(_) => "block",
        }
    }

    #[test]
    fn forms() {
        assert_eq!(form("worker(1, jobs.receiver())"), "call");
        assert_eq!(form("obj.method(x)"), "call");
        assert_eq!(form("a::b::<T>(x)"), "call");
        assert_eq!(form("worker(<-ch)"), "call");
        assert_eq!(form("move || tx.send(1)"), "closure");
        assert_eq!(form("|| ()"), "closure");
        assert_eq!(form("tx.send(1);"), "block");
        assert_eq!(form("tx <- 1"), "block");
        assert_eq!(form("for i in 0..3 { f(i) }"), "block");
        assert_eq!(form("let x = 1; f(x)"), "block");
        assert_eq!(form("loop { f() }"), "block");
    }

    #[test]
    fn a_closure_variable_is_not_a_call() {
        for src in ["f", "self.f", "a::b", "(f)", "&f", "fs[0]"] {
            let e = syn::parse_str::<GoInput>(src).unwrap_err().to_string();
            assert!(
                e.contains("expression in go must be function call"),
                "{src}: {e}"
            );
        }
    }
}
