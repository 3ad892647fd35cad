//! Checking a parsed select: at most one `default`, and what each receive binds.

use proc_macro2::{Span, TokenTree};
use syn::Pat;
use syn::parse::Parser;

use super::ast::{BodyKind, CaseOp, Eq, RawSelect};
use crate::diag::Errors;
use crate::tokens::{Tokens, is_lone_colon, stream};

/// What a receive case does with the value.
#[derive(Debug)]
pub(crate) enum Bind {
    /// `<-rx` or `_ = <-rx`: drops it (no `Default` needed).
    Discard,
    /// `v = <-rx`: binds `T` (the zero value once closed).
    Value(Box<Pat>),
    /// `Some(v) = <-rx`, holding `v` (irrefutable: the pattern fails only on `None`): a
    /// closed channel disables the case for the rest of this select.
    Option(Box<Pat>),
    /// `v: Option<_> = <-rx`: binds the `Option<T>` itself (`None` once closed).
    Whole(Box<Pat>, Box<syn::Type>),
    /// `v, ok = <-rx`: binds `(T, bool)`.
    ValueOk(Box<Pat>, Box<Pat>),
    /// Go's `case x = <-rx:`: assigns to an existing place.
    Assign(Tokens),
    /// Go's `case x, ok = <-rx:`.
    AssignOk(Tokens, Tokens),
}

/// A checked case.
#[derive(Debug)]
pub(crate) enum Op {
    /// A receive.
    Recv {
        chan: Tokens,
        span: Span,
        bind: Bind,
    },
    /// A send.
    Send { chan: Tokens, value: Tokens },
}

/// A checked arm.
#[derive(Debug)]
pub(crate) struct Arm {
    pub(crate) op: Op,
    pub(crate) body: Tokens,
    pub(crate) kind: BodyKind,
}

/// A checked default arm.
#[derive(Debug)]
pub(crate) struct DefaultArm {
    pub(crate) body: Tokens,
    pub(crate) kind: BodyKind,
}

/// A checked select.
#[derive(Debug)]
pub(crate) struct Select {
    pub(crate) biased: bool,
    pub(crate) arms: Vec<Arm>,
    pub(crate) default: Option<DefaultArm>,
}

/// Checks `raw`; bad arms are reported and dropped.
pub(crate) fn validate(raw: RawSelect, errors: &mut Errors) -> Select {
    let mut defaults = raw.defaults.into_iter();
    let default = defaults.next().map(|d| DefaultArm {
        body: d.body,
        kind: d.kind,
    });
    for extra in defaults {
        errors.at(
            extra.span,
            "multiple defaults in select: a select has at most one `default` arm",
        );
    }
    let mut arms = Vec::new();
    for arm in raw.arms {
        let go_clause = arm.kind == BodyKind::Clause;
        let op = match arm.op {
            CaseOp::Send { chan, value } => Op::Send { chan, value },
            CaseOp::Recv {
                lhs,
                eq,
                chan,
                span,
            } => match bind(&lhs, eq, go_clause, span) {
                Ok(bind) => Op::Recv { chan, span, bind },
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            },
        };
        arms.push(Arm {
            op,
            body: arm.body,
            kind: arm.kind,
        });
    }
    Select {
        biased: raw.biased,
        arms,
        default,
    }
}

/// What a receive case's left side binds.
fn bind(lhs: &[Tokens], eq: Option<Eq>, go_clause: bool, span: Span) -> syn::Result<Bind> {
    let assign = go_clause && eq == Some(Eq::Assign);
    match lhs {
        [] => Ok(Bind::Discard),
        [one] if assign => Ok(Bind::Assign(one.clone())),
        [a, b] if assign => Ok(Bind::AssignOk(a.clone(), b.clone())),
        [one] => {
            if let Some(c) = (0..one.len()).find(|&i| is_lone_colon(one, i)) {
                return whole(&one[..c], &one[c + 1..], span);
            }
            let pat = pattern(one)?;
            Ok(match pat {
                Pat::Wild(_) => Bind::Discard,
                p if mentions_option(&p) => Bind::Option(Box::new(some_inner(p)?)),
                p => Bind::Value(Box::new(p)),
            })
        }
        [a, b] => Ok(Bind::ValueOk(Box::new(pattern(a)?), Box::new(pattern(b)?))),
        more => Err(syn::Error::new(
            more[2].first().map_or(span, TokenTree::span),
            format!(
                "assignment mismatch: {} variables but a receive gives 2 values at most: `v = <-rx` or `v, ok = <-rx`",
                more.len()
            ),
        )),
    }
}

fn pattern(ts: &[TokenTree]) -> syn::Result<Pat> {
    Pat::parse_multi.parse2(stream(ts))
}

/// Why a refutable receive pattern may only be `Some(v)`, and the forms to use instead.
const REFUTABLE: &str = "a receive pattern may fail only on a closed channel: write \
     `Some(v)` with an irrefutable `v` (a name, `_`, a tuple of names). A pattern that can fail \
     on a received value would drop that value (Go never loses one): take the value and \
     match on it in the arm's body. Receive forms: `v = <-ch` (the zero value once `ch` is \
     closed), `v, ok = <-ch`, `Some(v) = <-ch` (the case is disabled once `ch` is closed), \
     `v: Option<_> = <-ch` (`None` once closed), `<-ch`";

/// `v: Option<_> = <-rx`: the pattern and its type, which must be `Option<..>`.
fn whole(pat: &[TokenTree], ty: &[TokenTree], span: Span) -> syn::Result<Bind> {
    let at = pat.first().map_or(span, TokenTree::span);
    let p = pattern(pat)?;
    let ty: syn::Type = syn::parse2(stream(ty))?;
    let is_option = matches!(&ty, syn::Type::Path(t) if t.qself.is_none()
        && t.path.segments.last().is_some_and(|s| s.ident == "Option"));
    if !is_option {
        return Err(syn::Error::new_spanned(
            &ty,
            "a receive's pattern takes one type, `Option<_>`, to bind the `Option<T>` itself \
             (`None` once the channel is closed): write `v: Option<_> = <-ch`, or `v = <-ch` \
             for the value (the zero value once closed)",
        ));
    }
    if mentions_option(&p) {
        return Err(syn::Error::new(at, REFUTABLE));
    }
    Ok(Bind::Whole(Box::new(p), Box::new(ty)))
}

/// The pattern names `Some` or `None` anywhere at its top (through `|` and parentheses):
/// the case receives `Option<T>`.
fn mentions_option(p: &Pat) -> bool {
    match p {
        Pat::TupleStruct(t) => last_is(&t.path, &["Some"]),
        Pat::Path(t) => last_is(&t.path, &["None"]),
        Pat::Ident(i) => i.ident == "None" && i.subpat.is_none(),
        Pat::Or(o) => o.cases.iter().any(mentions_option),
        Pat::Paren(p) => mentions_option(&p.pat),
        _ => false,
    }
}

fn last_is(path: &syn::Path, names: &[&str]) -> bool {
    path.segments
        .last()
        .is_some_and(|s| names.iter().any(|n| s.ident == n))
}

/// `Some(inner)` with `inner` free of refutable parts it can be told by (literals, ranges,
/// paths, `|`, the `Option`/`Result` variants): `inner`. The expansion binds it with `let`,
/// so rustc rejects any refutable pattern this cannot see (an enum's variant).
fn some_inner(p: Pat) -> syn::Result<Pat> {
    let at = syn::spanned::Spanned::span(&p);
    let Pat::TupleStruct(t) = p else {
        return Err(syn::Error::new(at, REFUTABLE));
    };
    if t.qself.is_some() || !last_is(&t.path, &["Some"]) || t.elems.len() != 1 {
        return Err(syn::Error::new(at, REFUTABLE));
    }
    let inner = t.elems.into_iter().next().expect("one element");
    if let Some(bad) = refutable_part(&inner) {
        return Err(syn::Error::new(bad, REFUTABLE));
    }
    Ok(inner)
}

/// The span of a part of `p` that can fail on a value, where the syntax shows it.
fn refutable_part(p: &Pat) -> Option<Span> {
    use syn::spanned::Spanned;
    let variant = |path: &syn::Path| last_is(path, &["Some", "None", "Ok", "Err"]);
    match p {
        Pat::Lit(_) | Pat::Range(_) | Pat::Or(_) | Pat::Path(_) | Pat::Const(_) => Some(p.span()),
        Pat::Ident(i) if i.ident == "None" => Some(p.span()),
        Pat::Ident(i) => i.subpat.as_ref().and_then(|(_, s)| refutable_part(s)),
        Pat::TupleStruct(t) if variant(&t.path) => Some(p.span()),
        Pat::TupleStruct(t) => t.elems.iter().find_map(refutable_part),
        Pat::Struct(s) => s.fields.iter().find_map(|f| refutable_part(&f.pat)),
        Pat::Tuple(t) => t.elems.iter().find_map(refutable_part),
        Pat::Slice(s) => s.elems.iter().find_map(refutable_part),
        Pat::Paren(x) => refutable_part(&x.pat),
        Pat::Reference(r) => refutable_part(&r.pat),
        Pat::Type(t) => refutable_part(&t.pat),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::parse::parse;
    use crate::tokens::to_vec;

    fn check(src: &str) -> (Select, Option<String>) {
        let mut errors = Errors::default();
        let raw = parse(
            &to_vec(src.parse().unwrap()),
            Span::call_site(),
            &mut errors,
        );
        let sel = validate(raw, &mut errors);
        (sel, errors.into_error().map(|e| e.to_string()))
    }

    #[test]
    fn binds() {
        let (sel, err) = check(
            "v = <-a => (), Some(v) = <-b => (), v, ok = <-c => (), _ = <-d => (), <-e => ()",
        );
        assert!(err.is_none());
        let kinds: Vec<&str> = sel
            .arms
            .iter()
            .map(|a| match &a.op {
                Op::Recv {
                    bind: Bind::Value(_),
                    ..
                } => "value",
                Op::Recv {
                    bind: Bind::Option(_),
                    ..
                } => "option",
                Op::Recv {
                    bind: Bind::ValueOk(..),
                    ..
                } => "ok",
                Op::Recv {
                    bind: Bind::Discard,
                    ..
                } => "discard",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["value", "option", "ok", "discard", "discard"]);
    }

    #[test]
    fn go_clauses_assign_with_eq() {
        let (sel, _) = check("case v = <-a: f()\ncase w := <-b: g()");
        assert!(matches!(
            sel.arms[0].op,
            Op::Recv {
                bind: Bind::Assign(_),
                ..
            }
        ));
        assert!(matches!(
            sel.arms[1].op,
            Op::Recv {
                bind: Bind::Value(_),
                ..
            }
        ));
    }

    #[test]
    fn option_receives() {
        let (sel, err) = check(
            "Some(v) = <-a => (), Some((x, _)) = <-b => (), v: Option<_> = <-c => (), \
             w: ::core::option::Option<u8> = <-d => ()",
        );
        assert!(err.is_none(), "{err:?}");
        assert!(
            matches!(&sel.arms[0].op, Op::Recv { bind: Bind::Option(p), .. } if quote::quote!(#p).to_string() == "v")
        );
        assert!(matches!(
            &sel.arms[1].op,
            Op::Recv {
                bind: Bind::Option(_),
                ..
            }
        ));
        assert!(matches!(
            &sel.arms[2].op,
            Op::Recv {
                bind: Bind::Whole(..),
                ..
            }
        ));
        assert!(matches!(
            &sel.arms[3].op,
            Op::Recv {
                bind: Bind::Whole(..),
                ..
            }
        ));
    }

    #[test]
    fn patterns_that_could_drop_a_value_are_rejected() {
        for src in [
            "None = <-a => ()",
            "Some(0) = <-a => ()",
            "Some(1..=5) = <-a => ()",
            "Some(x @ 1..=5) = <-a => ()",
            "Some(Ok(x)) = <-a => ()",
            "Some(None) = <-a => ()",
            "Some((0, y)) = <-a => ()",
            "Some(A | B) = <-a => ()",
            "Some(v) | None = <-a => ()",
            "(Some(v)) | None = <-a => ()",
            "case None := <-a: ()",
            "Some(v): Option<_> = <-a => ()",
        ] {
            let (sel, err) = check(src);
            let err = err.unwrap_or_else(|| panic!("{src}: accepted"));
            assert!(
                err.contains("may fail only on a closed channel"),
                "{src}: {err}"
            );
            assert!(err.contains("`v: Option<_> = <-ch`"), "{src}: {err}");
            assert!(sel.arms.is_empty(), "{src}");
        }
        let (_, err) = check("v: i32 = <-a => ()");
        assert!(err.unwrap().contains("takes one type, `Option<_>`"));
    }

    #[test]
    fn mistakes() {
        let (_, err) = check("default => (), default => ()");
        assert!(err.unwrap().contains("multiple defaults in select"));
        let (_, err) = check("a, b, c = <-rx => ()");
        assert!(err.unwrap().contains("assignment mismatch: 3 variables"));
    }
}
