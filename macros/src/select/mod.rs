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
