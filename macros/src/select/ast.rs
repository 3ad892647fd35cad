//! The `select!` syntax tree.
//!
//! ```text
//! select    := [ "biased" ";" ] ( arms | clauses )
//! arms      := ( case "=>" body [","] )*                 // Rust style
//! clauses   := ( "case" case ":" stmts | "default" ":" stmts )*   // Go style
//! case      := [ lhs ("=" | ":=") ] "<-" chan           // receive
//!            | chan "<-" value                           // send
//!            | "default"                                 // (Rust style only)
//! lhs       := pat | pat "," pat
//! ```

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};

use crate::diag::SELECT_FORMS;
use crate::tokens::{
    Tokens, find_larrow, is_assign, is_colon_eq, is_fat_arrow, split_commas, to_vec,
};

/// How the left side of a receive case is joined to `<-`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Eq {
    /// `v = <-rx`: binds in a `=>` arm, assigns in Go's `case v = <-rx:`.
    Assign,
    /// `v := <-rx`: declares.
    Declare,
}

/// One channel operation, as written.
#[derive(Debug)]
pub(crate) enum CaseOp {
    /// `[lhs =] <-chan`.
    Recv {
        /// The patterns (or places) on the left, split at top-level commas.
        lhs: Vec<Tokens>,
        /// `=` or `:=`, when there is a left side.
        eq: Option<Eq>,
        /// The channel operand.
        chan: Tokens,
        /// The `<-` token's span.
        span: Span,
    },
    /// `chan <- value`.
    Send {
        /// The channel operand.
        chan: Tokens,
        /// The value sent.
        value: Tokens,
    },
}

impl Parse for CaseOp {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let span = input.span();
        let ts = to_vec(input.parse::<TokenStream>()?);
        if ts.is_empty() {
            return Err(syn::Error::new(
                span,
                format!("expected a select case: {SELECT_FORMS}"),
            ));
        }
        if let Some(k) = (0..ts.len()).find(|&i| is_fat_arrow(&ts, i)) {
            return Err(syn::Error::new(
                ts[k].span(),
                "unexpected `=>` in a select case",
            ));
        }
        let Some(k) = find_larrow(&ts) else {
            return Err(syn::Error::new(
                ts[0].span(),
                format!("select case must be receive, send or assign recv: {SELECT_FORMS}"),
            ));
        };
        let arrow = ts[k].span();
        let left = &ts[..k];
        let right = &ts[k + 2..];
        let n = left.len();
        let (eq, lhs) = if left.is_empty() {
            (None, &left[..0])
        } else if n >= 2 && is_colon_eq(left, n - 2) {
            (Some(Eq::Declare), &left[..n - 2])
        } else if is_assign(left, n - 1) {
            (Some(Eq::Assign), &left[..n - 1])
        } else {
            // `chan <- value`: a send.
            if right.is_empty() {
                return Err(syn::Error::new(
                    arrow,
                    "expected the value to send after `<-`: `tx <- value`",
                ));
            }
            return Ok(CaseOp::Send {
                chan: left.to_vec(),
                value: right.to_vec(),
            });
        };
        if right.is_empty() {
            return Err(syn::Error::new(
                arrow,
                "expected a channel after `<-`: `v = <-rx`",
            ));
        }
        if eq.is_some() && lhs.is_empty() {
            return Err(syn::Error::new(
                ts[0].span(),
                "expected a pattern before `=`: `v = <-rx`",
            ));
        }
        Ok(CaseOp::Recv {
            lhs: split_commas(lhs, false)
                .into_iter()
                .map(<[TokenTree]>::to_vec)
                .collect(),
            eq,
            chan: right.to_vec(),
            span: arrow,
        })
    }
}

/// How an arm's body is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// `=> { ... }`.
    Block,
    /// `=> expr,`.
    Expr,
    /// Go's `case ...:` followed by statements up to the next clause.
    Clause,
}

/// An arm as parsed: its case and its body's tokens.
#[derive(Debug)]
pub(crate) struct RawArm {
    pub(crate) op: CaseOp,
    pub(crate) body: Tokens,
    pub(crate) kind: BodyKind,
}

/// The `default` arm as parsed.
#[derive(Debug)]
pub(crate) struct RawDefault {
    pub(crate) span: Span,
    pub(crate) body: Tokens,
    pub(crate) kind: BodyKind,
}

/// A whole `select` as parsed.
#[derive(Debug, Default)]
pub(crate) struct RawSelect {
    pub(crate) biased: bool,
    pub(crate) arms: Vec<RawArm>,
    pub(crate) defaults: Vec<RawDefault>,
}
