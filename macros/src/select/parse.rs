//! Cutting a `select` body into arms, in either syntax. Each malformed arm is reported and
//! left out; the others still expand.

use proc_macro2::{Delimiter, Span, TokenTree};

use super::ast::{BodyKind, CaseOp, RawArm, RawDefault, RawSelect};
use crate::diag::{Errors, SELECT_FORMS};
use crate::tokens::{
    ident_str, is_fat_arrow, is_group, is_ident, is_joint, is_lone_colon, is_punct, split_commas,
    stream,
};

/// Parses a select body (the tokens inside `select! { }` or Go's `select { }`).
pub(crate) fn parse(ts: &[TokenTree], span: Span, errors: &mut Errors) -> RawSelect {
    let mut sel = RawSelect::default();
    let mut start = 0;
    if is_ident(ts.first(), "biased") && is_punct(ts.get(1), ';') {
        sel.biased = true;
        start = 2;
    }
    let ts = &ts[start..];
    if ts.is_empty() {
        return sel;
    }
    if is_clause_start(ts, 0) {
        go_style(ts, &mut sel, errors);
    } else {
        rust_style(ts, &mut sel, span, errors);
    }
    sel
}

/// `case` or `default:` at `i`: the start of a Go clause.
fn is_clause_start(ts: &[TokenTree], i: usize) -> bool {
    is_ident(ts.get(i), "case") || (is_ident(ts.get(i), "default") && is_lone_colon(ts, i + 1))
}

/// Go's `case op: stmts` / `default: stmts`.
fn go_style(ts: &[TokenTree], sel: &mut RawSelect, errors: &mut Errors) {
    let starts: Vec<usize> = (0..ts.len()).filter(|&i| is_clause_start(ts, i)).collect();
    for (n, &s) in starts.iter().enumerate() {
        let e = starts.get(n + 1).copied().unwrap_or(ts.len());
        if is_ident(ts.get(s), "default") {
            sel.defaults.push(RawDefault {
                span: ts[s].span(),
                body: ts[s + 2..e].to_vec(),
                kind: BodyKind::Clause,
            });
            continue;
        }
        let Some(c) = (s + 1..e).find(|&i| is_lone_colon(ts, i)) else {
            let msg = if (s + 1..e).any(|i| is_fat_arrow(ts, i)) {
                "Go's `case ...:` clauses end with `:`, not `=>`: write `case v := <-rx:` (or use `v = <-rx => ...` arms throughout)"
            } else {
                "expected `:` after the select case: `case v := <-rx:`"
            };
            errors.at(ts[s].span(), msg);
            continue;
        };
        match syn::parse2::<CaseOp>(stream(&ts[s + 1..c])) {
            Ok(op) => sel.arms.push(RawArm {
                op,
                body: ts[c + 1..e].to_vec(),
                kind: BodyKind::Clause,
            }),
            Err(err) => errors.push(err),
        }
    }
}

/// `op => body,` arms.
fn rust_style(ts: &[TokenTree], sel: &mut RawSelect, span: Span, errors: &mut Errors) {
    let n = ts.len();
    let mut i = 0;
    while i < n {
        if is_punct(ts.get(i), ',') {
            i += 1;
            continue;
        }
        if is_ident(ts.get(i), "case")
            || (is_ident(ts.get(i), "default") && is_lone_colon(ts, i + 1))
        {
            errors.at(
                ts[i].span(),
                "this select! uses `=>` arms: Go's `case ...:` clauses can't be mixed in (write `v = <-rx => ...`, or use `case` clauses throughout)",
            );
            return;
        }
        if is_ident(ts.get(i), "biased") {
            errors.at(ts[i].span(), "`biased;` must come first in the select");
            i += 1;
            if is_punct(ts.get(i), ';') {
                i += 1;
            }
            continue;
        }
        // The case runs to `=>`; a brace group before it means the `=>` is missing.
        let mut j = i;
        let mut missing_at = None;
        while j < n && !is_fat_arrow(ts, j) {
            if is_group(ts.get(j), Delimiter::Brace) && !is_fat_arrow(ts, j + 1) && j > i {
                missing_at = Some(j);
                break;
            }
            j += 1;
        }
        if let Some(b) = missing_at {
            errors.at(
                ts[b].span(),
                "expected `=>` between the select case and its body: `v = <-rx => { ... }`",
            );
            i = b + 1;
            continue;
        }
        if j == n {
            errors.at(
                ts[n - 1].span(),
                format!("expected `=>` and a body after the select case: `v = <-rx => {{ ... }}`; {SELECT_FORMS}"),
            );
            return;
        }
        let op = &ts[i..j];
        let b = j + 2;
        let (body, kind, next) = if b >= n {
            errors.at(ts[j].span(), "expected the arm's body after `=>`");
            return;
        } else if is_group(ts.get(b), Delimiter::Brace) {
            (ts[b..b + 1].to_vec(), BodyKind::Block, b + 1)
        } else if let Some(e) = block_like_end(ts, b) {
            // As in `match`: a block-like body (`if`/`else`, `match`, a loop, `unsafe { }`)
            // ends at its last block; the comma after it is optional.
            (ts[b..e].to_vec(), BodyKind::Expr, e)
        } else {
            let len = split_commas(&ts[b..], false).first().map_or(0, |p| p.len());
            (ts[b..b + len].to_vec(), BodyKind::Expr, b + len)
        };
        i = next;
        if body.is_empty() {
            errors.at(ts[j].span(), "expected the arm's body after `=>`");
            continue;
        }
        if let [TokenTree::Ident(d)] = op
            && d == "default"
        {
            sel.defaults.push(RawDefault {
                span: d.span(),
                body,
                kind,
            });
            continue;
        }
        if op.is_empty() {
            errors.at(
                span,
                format!("expected a select case before `=>`: {SELECT_FORMS}"),
            );
            continue;
        }
        match syn::parse2::<CaseOp>(stream(op)) {
            Ok(op) => sel.arms.push(RawArm { op, body, kind }),
            Err(err) => errors.push(err),
        }
    }
}

/// If `ts[b..]` starts with a block-like expression that Rust's `match` lets end an arm
/// without a comma (`if`/`else` chains, `match`, `loop`, `while`, `for`, labeled blocks,
/// `unsafe`/`async`/`const` blocks), the index just past its last block; `None` otherwise,
/// and also when a method call or `?` continues it (`match x { .. }.len()` runs to the
/// comma like any expression).
fn block_like_end(ts: &[TokenTree], b: usize) -> Option<usize> {
    let body = |from: usize| {
        (from..ts.len())
            .find(|&k| is_group(ts.get(k), Delimiter::Brace))
            .map(|k| k + 1)
    };
    let mut i = b;
    // A label: `'outer: loop { }`.
    if is_joint(ts.get(i), '\'') && is_lone_colon(ts, i + 2) {
        i += 3;
        if is_group(ts.get(i), Delimiter::Brace) {
            return continued(ts, i + 1);
        }
    }
    let end = match ident_str(ts.get(i)).as_deref() {
        Some("if") => {
            let mut e = body(i + 1)?;
            while is_ident(ts.get(e), "else") {
                e = if is_ident(ts.get(e + 1), "if") {
                    body(e + 2)?
                } else if is_group(ts.get(e + 1), Delimiter::Brace) {
                    e + 2
                } else {
                    return None;
                };
            }
            e
        }
        Some("match" | "while" | "for") => body(i + 1)?,
        Some("loop" | "unsafe" | "const") if is_group(ts.get(i + 1), Delimiter::Brace) => i + 2,
        Some("async") if is_group(ts.get(i + 1), Delimiter::Brace) => i + 2,
        Some("async") if is_ident(ts.get(i + 1), "move") => {
            is_group(ts.get(i + 2), Delimiter::Brace).then_some(i + 3)?
        }
        _ => return None,
    };
    continued(ts, end)
}

/// `Some(end)` unless a method call, field access or `?` continues the expression there.
fn continued(ts: &[TokenTree], end: usize) -> Option<usize> {
    let goes_on =
        (is_punct(ts.get(end), '.') && !is_joint(ts.get(end), '.')) || is_punct(ts.get(end), '?');
    (!goes_on).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::to_vec;

    fn parse_ok(src: &str) -> RawSelect {
        let mut errors = Errors::default();
        let sel = parse(
            &to_vec(src.parse().unwrap()),
            Span::call_site(),
            &mut errors,
        );
        if let Some(e) = errors.into_error() {
            panic!("{e}");
        }
        sel
    }

    fn parse_err(src: &str) -> String {
        let mut errors = Errors::default();
        let _ = parse(
            &to_vec(src.parse().unwrap()),
            Span::call_site(),
            &mut errors,
        );
        errors.into_error().expect("an error").to_string()
    }

    #[test]
    fn rust_style_arms() {
        let sel = parse_ok(
            "biased; v = <-a => f(v), v, ok = <-b => { g() } tx <- 1 => h(), <-c => {}, default => ()",
        );
        assert!(sel.biased);
        assert_eq!(sel.arms.len(), 4);
        assert_eq!(sel.defaults.len(), 1);
        assert!(matches!(&sel.arms[1].op, CaseOp::Recv { lhs, .. } if lhs.len() == 2));
        assert!(matches!(&sel.arms[2].op, CaseOp::Send { .. }));
        assert_eq!(sel.arms[1].kind, BodyKind::Block);
        assert_eq!(sel.arms[0].kind, BodyKind::Expr);
    }

    #[test]
    fn block_like_bodies_need_no_comma() {
        let sel = parse_ok(
            "v = <-a => if v > 0 { f() } else if v < 0 { g() } else { h() }
             <-b => match x { _ => {} }
             <-c => loop { break }
             <-d => 'l: for x in xs { continue 'l }
             <-e => while x { }
             <-f => unsafe { g() }
             <-g => async move { }
             <-h => 'b: { 1 }
             <-i => if a { 1 } else { 2 }.max(3),
             default => i(),",
        );
        let bodies: Vec<String> = sel
            .arms
            .iter()
            .map(|a| stream(&a.body).to_string())
            .collect();
        assert_eq!(
            bodies,
            [
                "if v > 0 { f () } else if v < 0 { g () } else { h () }",
                "match x { _ => { } }",
                "loop { break }",
                "'l : for x in xs { continue 'l }",
                "while x { }",
                "unsafe { g () }",
                "async move { }",
                "'b : { 1 }",
                "if a { 1 } else { 2 } . max (3)",
            ]
        );
        assert_eq!(sel.defaults.len(), 1);
    }

    #[test]
    fn go_style_clauses() {
        let sel = parse_ok("case v := <-time::after(d): f(v)\n g()\ncase out <- x: \ndefault: h()");
        assert_eq!(sel.arms.len(), 2);
        assert_eq!(sel.defaults.len(), 1);
        assert_eq!(sel.arms[0].body.len(), 4);
    }

    #[test]
    fn malformed_arms() {
        assert!(parse_err("v = <-a { f() }").contains("expected `=>`"));
        assert!(parse_err("x => f()").contains("select case must be receive, send or assign recv"));
        assert!(parse_err("v = <-a => f(), case <-b: g()").contains("can't be mixed"));
        assert!(parse_err("case <-a => f()").contains("end with `:`"));
        assert!(parse_err("v = <- => f()").contains("expected a channel after `<-`"));
    }
}
