//! Checking a parsed select: at most one `default`, and what each receive binds.

use proc_macro2::{Span, TokenTree};
use syn::Pat;
use syn::parse::Parser;

use super::ast::{BodyKind, CaseOp, Eq, RawSelect};
use crate::diag::Errors;
use crate::tokens::{Tokens, stream};

/// What a receive case does with the value.
#[derive(Debug)]
pub(crate) enum Bind {
    /// `<-rx` or `_ = <-rx`: drops it (no `Default` needed).
    Discard,
    /// `v = <-rx`: binds `T` (the zero value once closed).
    Value(Box<Pat>),
    /// `Some(v) = <-rx`: matches `Option<T>`; a closed channel fails the pattern and the
    /// case is disabled for the rest of this select.
    Option(Box<Pat>),
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
            let pat = Box::new(pattern(one)?);
            Ok(match &*pat {
                Pat::Wild(_) => Bind::Discard,
                p if is_option_pattern(p) => Bind::Option(pat),
                _ => Bind::Value(pat),
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

/// `Some(..)`, `None`, or an or-pattern of them: the case receives `Option<T>`.
pub(crate) fn is_option_pattern(p: &Pat) -> bool {
    let last_is = |path: &syn::Path, names: &[&str]| {
        path.segments
            .last()
            .is_some_and(|s| names.iter().any(|n| s.ident == n))
    };
    match p {
        Pat::TupleStruct(t) => last_is(&t.path, &["Some"]),
        Pat::Path(t) => last_is(&t.path, &["None"]),
        Pat::Ident(i) => i.ident == "None" && i.subpat.is_none(),
        Pat::Or(o) => o.cases.iter().any(is_option_pattern),
        Pat::Paren(p) => is_option_pattern(&p.pat),
        _ => false,
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
    fn mistakes() {
        let (_, err) = check("default => (), default => ()");
        assert!(err.unwrap().contains("multiple defaults in select"));
        let (_, err) = check("a, b, c = <-rx => ()");
        assert!(err.unwrap().contains("assignment mismatch: 3 variables"));
    }
}
