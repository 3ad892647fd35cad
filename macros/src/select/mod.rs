//! `select!` and Go's `select { }` in `go_syntax!`: parse (`ast`, `parse`), check
//! (`validate`), rewrite the arm bodies' Go statements, expand to the runtime's select engine
//! (`expand`).

mod ast;
mod expand;
pub(crate) mod parse;
mod validate;

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::quote;

use self::ast::BodyKind;
use self::expand::{Case, ExpBind, ExpOp};
use self::validate::Op;
use crate::rewrite::{Mode, Rewriter};
use crate::tokens::{first_span, group, to_vec};

/// `select! { ... }`: `input` is everything after the `$crate;` prefix.
pub(crate) fn select_macro(krate: &TokenStream, input: TokenStream) -> TokenStream {
    let ts = to_vec(input);
    let mut rw = Rewriter::new(krate, Mode::Rust);
    let out = rewrite(&mut rw, &ts, Span::call_site());
    let errors = rw.finish();
    if errors.is_empty() {
        out
    } else {
        let errors = errors.to_compile_errors();
        quote!({ #errors #out })
    }
}

/// Parses, checks and expands a select body, rewriting arm bodies with `rw` (Rust mode for
/// `select!`, Go mode inside `go_syntax!`). Errors go to `rw`.
pub(crate) fn rewrite(rw: &mut Rewriter, ts: &[TokenTree], span: Span) -> TokenStream {
    let raw = parse::parse(ts, span, rw.errors());
    let sel = validate::validate(raw, rw.errors());
    let mut cases = Vec::new();
    for arm in sel.arms {
        let op = match arm.op {
            Op::Recv { chan, span, bind } => ExpOp::Recv {
                span: first_span(&chan, span),
                chan: rw.expr(&chan, true),
                bind: ExpBind::from(bind, |e| rw.expr(e, true)),
            },
            Op::Send { chan, value } => ExpOp::Send {
                span: first_span(&chan, span),
                chan: rw.expr(&chan, true),
                value: rw.expr(&value, true),
            },
        };
        let body = body(rw, &arm.body, arm.kind);
        cases.push(Case { op, body });
    }
    let default = sel.default.map(|d| body(rw, &d.body, d.kind));
    let krate = rw.krate().clone();
    expand::expand(&krate, sel.biased, &cases, default.as_ref(), span)
}

/// An arm's body as a braced block.
fn body(rw: &mut Rewriter, ts: &[TokenTree], kind: BodyKind) -> TokenStream {
    match (kind, group(ts.first(), Delimiter::Brace)) {
        (BodyKind::Block, Some(g)) => rw.block_group(g, true).into(),
        (BodyKind::Clause, _) => {
            let inner = rw.block(ts, false);
            quote!({ #inner })
        }
        _ => {
            let inner = rw.block(ts, true);
            quote!({ #inner })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(src: &str) -> String {
        select_macro(&"::gocsp".parse().unwrap(), src.parse().unwrap()).to_string()
    }

    #[test]
    fn empty_select_blocks_forever() {
        assert_eq!(
            expand(""),
            "< :: gocsp :: __private :: Ops > :: block_forever ()"
        );
        assert_eq!(expand("default => 5"), "{ 5 }");
    }

    #[test]
    fn one_case_and_default_skip_the_engine() {
        let out = expand("v = <-rx => v, default => 0");
        assert!(out.contains("try_recv_now (__gocsp_op)"), "{out}");
        assert!(!out.contains("RecvCase"), "{out}");
        let out = expand("tx <- 1 => (), default => ()");
        assert!(
            out.contains("try_send_now (__gocsp_op , __gocsp_val)"),
            "{out}"
        );
    }

    #[test]
    fn operands_are_evaluated_in_source_order_then_cases_built() {
        let out = expand("v = <-a => v, b <- x => 0, <-c => 1");
        let pos = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s} in {out}"));
        assert!(pos("let __gocsp_op0 = & (a)") < pos("let __gocsp_op1 = & (b)"));
        assert!(pos("let __gocsp_op1 = & (b)") < pos("let __gocsp_val1 = x"));
        assert!(pos("let __gocsp_val1 = x") < pos("let __gocsp_op2 = & (c)"));
        assert!(pos("let __gocsp_op2 = & (c)") < pos("RecvCase :: new (__gocsp_op0)"));
        assert!(
            out.contains(
                "< :: gocsp :: __private :: Ops > :: select (& mut __gocsp_cases , false)"
            ),
            "{out}"
        );
        assert!(!out.contains("loop"), "{out}");
    }

    #[test]
    fn option_patterns_retry_with_the_case_disabled() {
        let out = expand("biased; Some(v) = <-a => v, v = <-b => v, default => 0");
        assert!(out.contains("loop"), "{out}");
        assert!(
            out.contains("__gocsp_case0 . disable () ; continue ;"),
            "{out}"
        );
        assert!(
            out.contains("try_select (& mut __gocsp_cases , true)"),
            "{out}"
        );
        assert!(out.contains("Some (v) => { v }"), "{out}");
    }

    #[test]
    fn bodies_get_go_statements() {
        let out = expand("<-a => { out <- 1 }");
        assert!(out.contains("send (& (out) , 1)"), "{out}");
    }
}
