//! Items inside `go_syntax!` (and nested in any rewritten block): `fn` items get Go-typed
//! signatures (`src <-chan i32` or `src: <-chan i32`) and Go bodies; `impl`, `trait` and
//! `mod` bodies are item lists; `struct`/`enum` fields may use channel types.
//!
//! Before rewriting, [`Rewriter::collect_fns`] records which parameters of each free
//! function are channels, so calls to them get Go's implicit direction conversion.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote;

use super::Rewriter;
use super::split::item_keyword;
use super::types::{chan_kind_of, skip_angle};
use crate::tokens::{
    group, ident_str, is_ident, is_lone_colon, is_punct, is_thin_arrow, split_commas, stream,
    to_vec, wrap,
};

impl Rewriter {
    /// An item statement.
    pub(super) fn item(&mut self, ts: &[TokenTree]) -> TokenStream {
        let Some(kw) = item_keyword(ts) else {
            return stream(ts);
        };
        match ident_str(ts.get(kw)).as_deref() {
            Some("fn") => self.fn_item(ts, kw),
            Some("impl" | "trait" | "mod" | "extern") => match group(ts.last(), Delimiter::Brace) {
                Some(body) => {
                    let mut out = self.types_if_go(&ts[..ts.len() - 1]);
                    let outer = std::mem::replace(&mut self.main_goroutine, false);
                    out.extend([self.block_group(body, false)]);
                    self.main_goroutine = outer;
                    out
                }
                None => self.types_if_go(ts),
            },
            Some("macro_rules") => stream(ts),
            _ => self.types_if_go(ts),
        }
    }

    /// `fn name<G>(params) -> R where ... { body }`.
    fn fn_item(&mut self, ts: &[TokenTree], kw: usize) -> TokenStream {
        let mut p = kw + 2;
        if is_punct(ts.get(p), '<') {
            p = skip_angle(ts, p);
        }
        let Some(params) = group(ts.get(p), Delimiter::Parenthesis) else {
            return stream(ts);
        };
        let body = group(ts.last(), Delimiter::Brace).filter(|_| ts.len() > p + 1);
        let sig_end = if body.is_some() {
            ts.len() - 1
        } else {
            ts.len()
        };
        // Only a top-level, plain `fn main()` is the main goroutine; nested items are not.
        let is_main = self.main_goroutine
            && is_ident(ts.get(kw + 1), "main")
            && p == kw + 2
            && params.stream().is_empty()
            && body.is_some()
            && !ts[..kw]
                .iter()
                .any(|t| is_ident(Some(t), "async") || is_ident(Some(t), "const"));
        let outer = std::mem::replace(&mut self.main_goroutine, false);
        let mut out = self.types_if_go(&ts[..p]);
        let ret = self.types_if_go(&ts[p + 1..sig_end]);
        let shared =
            body.map(|b| super::share::handles(&to_vec(params.stream()), &to_vec(b.stream())));
        self.shared.extend(shared.clone());
        if let Some(b) = body {
            let owned = super::moved::owned(&to_vec(params.stream()), &to_vec(b.stream()));
            self.owned.push(owned);
        }
        let frames = self.enter_body();
        let body = body.map(|body| {
            let returns = is_thin_arrow(ts, p + 1);
            self.block_group(body, returns)
        });
        self.leave_body(frames);
        if shared.is_some() {
            self.shared.pop();
            self.owned.pop();
        }
        self.main_goroutine = outer;
        if is_main && let Some(body) = body {
            let ret = to_vec(ret);
            let ret = (ret.len() > 2 && is_thin_arrow(&ret, 0)).then(|| stream(&ret[2..]));
            let span = ts[kw + 1].span();
            return crate::entry::go_syntax_main(
                &self.krate,
                out,
                ret.as_ref(),
                &TokenStream::from(body),
                span,
            );
        }
        out.extend([wrap(
            Delimiter::Parenthesis,
            self.fn_params(&to_vec(params.stream())),
            params.span(),
        )]);
        out.extend(ret);
        out.extend(body);
        out
    }

    /// A `fn` item's parameters: Go-style ones (`a, b int`) become Rust's (`a: int, b: int`).
    fn fn_params(&mut self, ts: &[TokenTree]) -> TokenStream {
        if !self.go_mode() {
            return stream(ts);
        }
        let rust_style = split_commas(ts, true).iter().all(|p| {
            (0..p.len()).any(|i| is_lone_colon(p, i)) || p.iter().any(|t| is_ident(Some(t), "self"))
        });
        if rust_style {
            return self.types(ts);
        }
        // A method's receiver (`&self`, `mut self`, `self: Box<Self>`) stays as written; the
        // parameters after it may be Go's (`fn inc(&self, key &str)`).
        let parts = split_commas(ts, true);
        let receiver = parts
            .first()
            .filter(|p| p.iter().any(|t| is_ident(Some(t), "self")))
            .map(|p| self.types(p));
        let rest = match &receiver {
            Some(_) => {
                let skip = parts[0].len() + usize::from(ts.len() > parts[0].len());
                &ts[skip..]
            }
            None => ts,
        };
        let params = self.func_params(rest);
        let parts = params.iter().map(|p| {
            let (pat, ty) = (&p.pat, &p.ty);
            quote!(#pat: #ty)
        });
        match receiver {
            Some(r) => quote!(#r, #(#parts),*),
            None => quote!(#(#parts),*),
        }
    }

    /// Records the channel parameters of every free function declared in `ts` (at any
    /// depth), for Go's implicit conversion at call sites.
    pub(crate) fn collect_fns(&mut self, ts: &[TokenTree]) {
        let mut ambiguous = Vec::new();
        self.collect_fns_in(ts, &mut ambiguous);
        for name in ambiguous {
            self.fns.remove(&name);
        }
    }

    fn collect_fns_in(&mut self, ts: &[TokenTree], ambiguous: &mut Vec<String>) {
        for (i, tt) in ts.iter().enumerate() {
            if let TokenTree::Group(g) = tt {
                self.collect_fns_in(&to_vec(g.stream()), ambiguous);
                continue;
            }
            if !is_ident(Some(tt), "fn") {
                continue;
            }
            let Some(name) = ident_str(ts.get(i + 1)) else {
                continue;
            };
            let mut p = i + 2;
            if is_punct(ts.get(p), '<') {
                p = skip_angle(ts, p);
            }
            let Some(params) = group(ts.get(p), Delimiter::Parenthesis) else {
                continue;
            };
            let toks = to_vec(params.stream());
            let parts = split_commas(&toks, true);
            if parts
                .iter()
                .any(|p| p.iter().any(|t| is_ident(Some(t), "self")))
            {
                continue;
            }
            let mut kinds = Vec::new();
            let mut pending = 0;
            for part in &parts {
                let ty = if let Some(c) = (0..part.len()).find(|&k| is_lone_colon(part, k)) {
                    &part[c + 1..]
                } else if part.len() == 1 {
                    pending += 1;
                    continue;
                } else if is_ident(part.first(), "mut") {
                    &part[2..]
                } else {
                    &part[1..]
                };
                let kind = chan_kind_of(ty);
                kinds.extend(std::iter::repeat_n(kind, pending + 1));
                pending = 0;
            }
            if kinds.iter().all(Option::is_none) {
                continue;
            }
            match self.fns.get(&name) {
                Some(prev) if *prev != kinds => ambiguous.push(name),
                _ => {
                    self.fns.insert(name, kinds);
                }
            }
        }
    }
}
