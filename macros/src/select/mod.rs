//! `select!` and Go's `select { }` in `go_syntax!`: parse (`ast`, `parse`), check
//! (`validate`), rewrite the arm bodies' Go statements, expand to the runtime's select engine
//! (`expand`).

mod ast;
mod breaks;
mod expand;
pub(crate) mod parse;
mod validate;

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::quote;

use self::ast::BodyKind;
use self::expand::{Case, ExpBind, ExpOp};
use self::validate::{Op, Select};
use crate::diag::Errors;
use crate::rewrite::{Mode, Rewriter};
use crate::tokens::{first_span, group, to_vec};

/// `select! { ... }`: `input` is everything after the `$crate;` prefix.
pub(crate) fn select_macro(krate: &TokenStream, input: TokenStream) -> TokenStream {
    let ts = to_vec(input);
    let mut rw = Rewriter::new(krate, Mode::Rust);
    // The macro cannot see whether its value is used: Go clauses stay statement lists.
    let out = rewrite(&mut rw, &ts, Span::call_site(), false);
    let errors = rw.finish();
    if errors.is_empty() {
        out
    } else {
        let errors = errors.to_compile_errors();
        quote!({ #errors #out })
    }
}

/// Parses, checks and expands a select body, rewriting arm bodies with `rw` (Rust mode for
/// `select!`, Go mode inside `go_syntax!`). Errors go to `rw`. `span` locates the select
/// (its blocking site); `value`: the select's value is used (see [`expand_checked`]).
pub(crate) fn rewrite(rw: &mut Rewriter, ts: &[TokenTree], span: Span, value: bool) -> TokenStream {
    let raw = parse::parse(ts, span, rw.errors());
    let sel = validate::validate(raw, rw.errors());
    expand_checked(rw, sel, span, value)
}

/// [`rewrite`] for a `select! { }` met inside `go_syntax!`: `None` (nothing reported) if
/// the body does not parse as a select, so a different crate's `select!` passes through to
/// its own macro.
pub(crate) fn rewrite_if_select(
    rw: &mut Rewriter,
    ts: &[TokenTree],
    span: Span,
    value: bool,
) -> Option<TokenStream> {
    let mut errors = Errors::default();
    let raw = parse::parse(ts, span, &mut errors);
    let sel = validate::validate(raw, &mut errors);
    errors
        .is_empty()
        .then(|| expand_checked(rw, sel, span, value))
}

/// Expands a checked select. With `value` (the select is a block's tail and its value is
/// used), Go clauses give the value of their last expression when every clause ends in one,
/// as `=>` arms give their bodies' values; otherwise (and without `value`) they are statement
/// lists of type `()`.
fn expand_checked(rw: &mut Rewriter, sel: Select, span: Span, value: bool) -> TokenStream {
    let clause_value = value
        && sel
            .arms
            .iter()
            .map(|a| (&a.body, a.kind))
            .chain(sel.default.iter().map(|d| (&d.body, d.kind)))
            .all(|(body, kind)| kind != BodyKind::Clause || rw.ends_in_expression(body));
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
        let body = body(rw, &arm.body, arm.kind, clause_value);
        cases.push(Case { op, body });
    }
    let default = sel.default.map(|d| body(rw, &d.body, d.kind, clause_value));
    let krate = rw.krate().clone();
    expand::expand(&krate, sel.biased, &cases, default.as_ref(), span)
}

/// An arm's body as a braced block; `clause_value`: a Go clause gives its last expression's
/// value.
fn body(rw: &mut Rewriter, ts: &[TokenTree], kind: BodyKind, clause_value: bool) -> TokenStream {
    let arm = match (kind, group(ts.first(), Delimiter::Brace)) {
        (BodyKind::Block, Some(g)) => rw.block_group(g, true).into(),
        // Go's rule: `break` leaves the select (`=>` arms keep Rust's).
        (BodyKind::Clause, _) => {
            let inner = rw.in_clause(|rw| rw.block(ts, clause_value));
            return breaks::scope(quote!({ #inner }), clause_value);
        }
        _ => {
            let inner = rw.block(ts, true);
            quote!({ #inner })
        }
    };
    // Inside a Go clause, the arm's loop `break` is marked for the clause to carry on.
    if rw.inside_clause() {
        breaks::mark_loop_breaks(arm, rw.krate())
    } else {
        arm
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
        let named = crate::krate::named_text("try_recv_now", "rx", Some("__gocsp_op"), &[]);
        assert!(out.contains(&named), "{out}");
        assert!(!out.contains("RecvCase"), "{out}");
        let out = expand("tx <- 1 => (), default => ()");
        assert!(
            out.contains(&crate::krate::named_text(
                "try_send_now",
                "tx",
                Some("__gocsp_op"),
                &["__gocsp_val"]
            )),
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
        let case0 = crate::krate::named_text("recv_case", "a", Some("__gocsp_op0"), &[]);
        assert!(pos("let __gocsp_op2 = & (c)") < pos(&case0));
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
        // Only a closed channel (`None`) disables the case; `v` binds with `let`.
        assert!(
            out.contains("if :: core :: option :: Option :: is_none (& __gocsp_r) { __gocsp_case0 . disable () ; continue ; }"),
            "{out}"
        );
        assert!(out.contains("let v = match"), "{out}");
    }

    #[test]
    fn bodies_get_go_statements() {
        let out = expand("<-a => { out <- 1 }");
        let send = crate::krate::named_text("send", "out", None, &["1"]);
        assert!(out.contains(&send), "{out}");
    }
}
