//! Goroutine and defer statements: `go f(args)`, `go obj.method(args)`,
//! `go func(params) { body }(args)`, `defer stmt` and `defer func() { body }()`.
//!
//! As in Go, `go` and `defer` with a function literal evaluate the arguments where the
//! statement is; `go` then checks each one is `Send` on the user's token and moves them into
//! the goroutine, `defer` keeps them for the deferred call.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

use super::Rewriter;
use super::split::Stmt;
use super::types::chan_kind_of;
use crate::tokens::{
    first_span, group, is_group, is_ident, is_lone_colon, is_punct, local, split_commas, stream,
    to_vec, user_local,
};

/// A parameter of `go func(...)`, `defer func(...)` or a Go-style `fn` signature.
pub(super) struct Param {
    pub(super) pat: TokenStream,
    pub(super) ty: TokenStream,
    pub(super) kind: Option<super::ChanKind>,
    /// The pattern is a plain identifier (Go parameters are assignable: it gets `mut`).
    pub(super) simple: bool,
}

impl Rewriter {
    /// `go f(args)`, `go obj.method(args)`, `go func(params) { body }(args)`.
    pub(super) fn go_stmt(&mut self, ts: &[TokenTree]) -> TokenStream {
        let go_span = ts[0].span();
        let rest = &ts[1..];
        if rest.is_empty() {
            self.errors.at(
                go_span,
                format!(
                    "expression in go must be function call: {}",
                    crate::go::expand::GO_STMT_FORMS
                ),
            );
            return TokenStream::new();
        }
        if is_ident(rest.first(), "func") {
            return self.func_literal(rest, true, go_span);
        }
        let call = self.expr(rest, true);
        match syn::parse2::<syn::Expr>(call) {
            Ok(e) => {
                match crate::go::expand::call(
                    self.krate(),
                    &e,
                    go_span,
                    crate::go::expand::GO_STMT_FORMS,
                ) {
                    Ok(out) => out,
                    Err(err) => {
                        self.errors.push(err);
                        TokenStream::new()
                    }
                }
            }
            Err(_) => {
                self.errors.at(
                    rest[0].span(),
                    format!(
                        "expression in go must be function call: {}",
                        crate::go::expand::GO_STMT_FORMS
                    ),
                );
                TokenStream::new()
            }
        }
    }

    /// `go func(params) { body }(args)` (`spawn`) or `defer func(params) { body }(args)`.
    /// The arguments are evaluated now; the body runs later with the parameters bound. `kw` is
    /// the `go` or `defer` keyword: the goroutine's spawn site.
    fn func_literal(&mut self, ts: &[TokenTree], spawn: bool, kw: Span) -> TokenStream {
        let func_span = ts[0].span();
        let what = if spawn { "go" } else { "defer" };
        let form = format!("expected `{what} func(params) {{ body }}(args)`");
        let Some(params) = group(ts.get(1), Delimiter::Parenthesis) else {
            self.errors.at(func_span, &form);
            return TokenStream::new();
        };
        let Some(b) = (2..ts.len()).find(|&i| is_group(ts.get(i), Delimiter::Brace)) else {
            self.errors.at(func_span, &form);
            return TokenStream::new();
        };
        if b != 2 {
            self.errors.at(
                ts[2].span(),
                format!("a function literal run by `{what}` has its results discarded: remove the result type"),
            );
        }
        let body = group(ts.get(b), Delimiter::Brace).unwrap();
        let Some(args) = group(ts.get(b + 1), Delimiter::Parenthesis) else {
            self.errors.at(
                body.span_close(),
                format!("function literal must be called: `{what} func(params) {{ body }}(args)` (Go's \"function must be invoked in {what} statement\")"),
            );
            return TokenStream::new();
        };
        if let Some(extra) = ts.get(b + 2) {
            self.errors.at(
                extra.span(),
                format!("unexpected tokens after the `{what} func` call"),
            );
        }
        let params = self.func_params(&to_vec(params.stream()));
        let arg_toks = to_vec(args.stream());
        let arg_parts = split_commas(&arg_toks, false);
        if arg_parts.len() != params.len() {
            let msg = if arg_parts.len() < params.len() {
                "not enough arguments in call to func literal"
            } else {
                "too many arguments in call to func literal"
            };
            self.errors.at(
                args.span(),
                format!("{msg}: have {}, want {}", arg_parts.len(), params.len()),
            );
            // Still evaluate the arguments, so nothing they use looks unused.
            let args = arg_parts.iter().map(|a| self.expr(a, true));
            return quote!(#(let _ = &(#args);)*);
        }
        let mut lets = TokenStream::new();
        let mut binds = TokenStream::new();
        for (k, (p, a)) in params.iter().zip(&arg_parts).enumerate() {
            let span = first_span(a, args.span());
            let tmp = user_local(&format!("__gocsp_arg{k}"), span);
            let arg = self.expr(a, true);
            let ty = &p.ty;
            let value = match p.kind {
                Some(_) => {
                    let conv = self.private("chan_arg", span);
                    quote_spanned!(span=> #conv::<#ty, _>(&(#arg)))
                }
                None => arg,
            };
            lets.extend(quote_spanned!(span=> let #tmp: #ty = #value;));
            if spawn {
                let assert = self.private("assert_go_send", span);
                lets.extend(quote_spanned!(span=> #assert(&#tmp);));
            }
            let pat = &p.pat;
            let m = if p.simple { quote!(mut) } else { quote!() };
            binds.extend(quote_spanned!(span=> #[allow(unused_mut)] let #m #pat: #ty = #tmp;));
        }
        let body_toks = to_vec(body.stream());
        // A capture that cannot move: reported, and the goroutine not started, so rustc
        // does not report the move again.
        let unmovable =
            spawn && self.go_mode() && self.moved_captures(&body_toks, &params, func_span);
        if spawn && self.go_mode() {
            self.assigned_captures(&body_toks, &params, func_span);
        }
        let frames = self.enter_body();
        let body = self.block(&body_toks, false);
        self.leave_body(frames);
        if spawn {
            // Go's closure shares what it captures: the handles it uses are cloned in.
            if self.go_mode()
                && let Some(shared) = self.shared.last()
            {
                let own: std::collections::HashSet<String> = params
                    .iter()
                    .filter(|p| p.simple)
                    .map(|p| p.pat.to_string())
                    .collect();
                for name in super::share::captures(shared, &body_toks, &own) {
                    let span = name.span();
                    lets.extend(
                        quote_spanned!(span=> let #name = ::core::clone::Clone::clone(&#name);),
                    );
                }
            }
            if unmovable {
                return quote_spanned!(kw=> { #lets let _ = || { #binds #body }; });
            }
            let go = self.op("go", kw);
            quote_spanned!(kw=> { #lets #go(move || { #binds #body }); })
        } else {
            let guard = local("_gocsp_defer", func_span);
            let defer = self.private("Defer", func_span);
            quote_spanned!(func_span=> #lets let #guard = #defer::new(|| { #binds #body });)
        }
    }

    /// Reports each capture of `go func` (its `body`) that Go shares but the goroutine must
    /// move, where the move certainly fails (see `moved`): used after the `go` statement,
    /// or taken by every iteration of a loop. Whether it reported any.
    fn moved_captures(&mut self, body: &[TokenTree], params: &[Param], func_span: Span) -> bool {
        let Some(owned) = self.owned.last() else {
            return false;
        };
        let mut reported = false;
        let names: std::collections::HashSet<String> = owned.keys().cloned().collect();
        let own: std::collections::HashSet<String> = params
            .iter()
            .filter(|p| p.simple)
            .map(|p| p.pat.to_string())
            .collect();
        let line = func_span.start().line;
        for name in super::share::captures(&names, body, &own) {
            let s = name.to_string();
            let kind = owned[&s];
            let fix = if kind.clone {
                format!(
                    "clone it for the goroutine (`{s}2 := {s}.clone()` before the `go` line, and `{s}2` inside; or pass `{s}.clone()` as an argument of the `go func`), or share one `{ty}` as `Arc<Mutex<_>>`",
                    ty = kind.ty
                )
            } else {
                format!(
                    "declare it as an `Arc` (`{s} := Arc::new(...)`): a `go func` shares the `Arc`s it captures",
                )
            };
            let levels: Vec<Vec<TokenTree>> = self.frames.iter().map(super::Frame::after).collect();
            if let Some(at) = super::moved::used_after(&s, &levels) {
                let again = at.start().line;
                self.errors.at(
                    name.span(),
                    format!(
                        "`{s}` is captured by the `go func` on line {line} and used again after it (line {again}): Go's closure shares it, but a goroutine takes a `{ty}` by move; {fix}",
                        ty = kind.ty
                    ),
                );
                reported = true;
                continue;
            }
            let Some(lp) = self.frames.iter().rev().find(|f| f.is_loop) else {
                continue;
            };
            let lp = lp.all();
            if !super::moved::declares(&s, &lp) && !super::moved::may_leave(&lp) {
                self.errors.at(
                    name.span(),
                    format!(
                        "`{s}` is captured by a `go func` in a loop it is declared outside of: Go's closure shares it, but each goroutine takes a `{ty}` by move, so the next iteration has none; {fix}",
                        ty = kind.ty
                    ),
                );
                reported = true;
            }
        }
        reported
    }

    /// Reports each variable of the enclosing function that the `go func` (its `body`)
    /// assigns and the function uses again after the `go` statement: Go's closure shares the
    /// variable, so the caller would see the write; here the goroutine assigns its own copy
    /// (a `Copy` value is copied in; an owned one, which `moved_captures` reports, moves), and
    /// the caller silently keeps the old value. A variable only the goroutine uses after its
    /// capture is fine, and not reported.
    fn assigned_captures(&mut self, body: &[TokenTree], params: &[Param], func_span: Span) {
        let mut own: std::collections::HashSet<String> = params
            .iter()
            .filter(|p| p.simple)
            .map(|p| p.pat.to_string())
            .collect();
        super::share::declared(body, &mut own);
        bound(body, &mut own);
        let owned: std::collections::HashSet<String> = self
            .owned
            .last()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        let mut assigned = Vec::new();
        assignments(body, &mut assigned);
        let line = func_span.start().line;
        let levels: Vec<Vec<TokenTree>> = self.frames.iter().map(super::Frame::after).collect();
        // A name declared or bound again after the `go` line may be mentioned as the new
        // variable: not judged.
        let mut again = std::collections::HashSet::new();
        for l in &levels {
            super::share::declared(l, &mut again);
            bound(l, &mut again);
        }
        let mut seen = std::collections::HashSet::new();
        for name in assigned {
            let s = name.to_string();
            if own.contains(&s)
                || owned.contains(&s)
                || again.contains(&s)
                || !seen.insert(s.clone())
            {
                continue;
            }
            if let Some(at) = levels.iter().rev().find_map(|ts| mention(&s, ts)) {
                self.errors.at(
                    name.span(),
                    format!(
                        "`{s}` is assigned by the `go func` on line {line} and used again after it (line {again}): Go's closure shares it, so the caller would see the new value, but the goroutine assigns its own copy; send the value back on a channel, or share it as an atomic or an `Arc<Mutex<_>>`",
                        again = at.start().line
                    ),
                );
            }
        }
    }

    /// Parameters written Go's way (`a, b int`, `ch chan<- T`) or Rust's (`a: i32`).
    pub(super) fn func_params(&mut self, ts: &[TokenTree]) -> Vec<Param> {
        let mut out = Vec::new();
        let mut pending: Vec<&[TokenTree]> = Vec::new();
        for part in split_commas(ts, true) {
            let (pat, ty) = if let Some(c) = (0..part.len()).find(|&i| is_lone_colon(part, i)) {
                (&part[..c], &part[c + 1..])
            } else if part.len() == 1 {
                pending.push(part);
                continue;
            } else if is_ident(part.first(), "mut") {
                (&part[..2], &part[2..])
            } else {
                (&part[..1], &part[1..])
            };
            let kind = chan_kind_of(ty);
            let ty = self.types(ty);
            for p in pending.drain(..).chain([pat]) {
                let simple = matches!(p, [TokenTree::Ident(id)] if id != "_" && id != "self");
                out.push(Param {
                    pat: stream(p),
                    ty: ty.clone(),
                    kind,
                    simple,
                });
            }
        }
        for p in pending {
            self.errors.at(
                p[0].span(),
                "missing parameter type: write `name Type` (Go) or `name: Type` (Rust)",
            );
        }
        out
    }

    /// `defer stmt`: the statement runs when the enclosing block ends (LIFO, also on panic),
    /// borrowing what it uses until then.
    pub(super) fn defer_stmt(&mut self, ts: &[TokenTree]) -> TokenStream {
        let span = ts[0].span();
        let rest = &ts[1..];
        if rest.is_empty() {
            self.errors
                .at(span, "`defer` needs a statement: `defer close(ch)`");
            return TokenStream::new();
        }
        if is_ident(rest.first(), "func") && is_group(rest.get(1), Delimiter::Parenthesis) {
            return self.func_literal(rest, false, span);
        }
        let st = Stmt {
            tokens: rest.to_vec(),
            semi: None,
        };
        let body = self.statement(&st, false, false, false);
        let guard = local("_gocsp_defer", span);
        let defer = self.private("Defer", span);
        quote_spanned!(span=> let #guard = #defer::new(|| { #body });)
    }
}

/// Every name `ts` may bind other than by `:=` or `let x`: closure parameters (`|mut acc, x|`),
/// `for x in`, names in `let`/`if let`/`while let` patterns and in match arms, and any name
/// after `mut`. Over-approximated on purpose: a name bound anywhere in the body is not taken
/// for the caller's.
fn bound(ts: &[TokenTree], out: &mut std::collections::HashSet<String>) {
    let mut i = 0;
    while i < ts.len() {
        match &ts[i] {
            TokenTree::Group(g) => bound(&to_vec(g.stream()), out),
            TokenTree::Ident(id) if id == "mut" || id == "for" => {
                if let Some(TokenTree::Ident(name)) = ts.get(i + 1) {
                    out.insert(name.to_string());
                }
            }
            // A pattern: `let PAT =`, `if let PAT =`, `while let PAT =`.
            TokenTree::Ident(id) if id == "let" => {
                let mut k = i + 1;
                while k < ts.len() && !crate::tokens::is_assign(ts, k) {
                    names_in(&ts[k], out);
                    k += 1;
                }
            }
            // Closure parameters: `|a, b|` (not `||`).
            TokenTree::Punct(p)
                if p.as_char() == '|' && p.spacing() == proc_macro2::Spacing::Alone =>
            {
                let mut k = i + 1;
                while k < ts.len() && !is_punct(ts.get(k), '|') {
                    names_in(&ts[k], out);
                    k += 1;
                }
                i = k;
            }
            // A match arm's pattern: the names before `=>`, back to the previous arm.
            TokenTree::Punct(p) if p.as_char() == '=' && is_punct(ts.get(i + 1), '>') => {
                let mut k = i;
                while k > 0
                    && !is_punct(ts.get(k - 1), ',')
                    && !is_group(ts.get(k - 1), Delimiter::Brace)
                {
                    k -= 1;
                    names_in(&ts[k], out);
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// The names in a pattern token (a group's too).
fn names_in(t: &TokenTree, out: &mut std::collections::HashSet<String>) {
    match t {
        TokenTree::Ident(id) => {
            out.insert(id.to_string());
        }
        TokenTree::Group(g) => {
            for t in to_vec(g.stream()) {
                names_in(&t, out);
            }
        }
        _ => {}
    }
}

/// The names `ts` assigns to as a whole variable (`x = e`, `x += e`, ...), in nested blocks
/// too; not fields (`s.x = e`), paths, declarations, or a macro's input (`println!("{n}",
/// n = 7)` names a format argument).
fn assignments(ts: &[TokenTree], out: &mut Vec<proc_macro2::Ident>) {
    for (i, t) in ts.iter().enumerate() {
        match t {
            TokenTree::Group(_) if i > 0 && is_punct(ts.get(i - 1), '!') => {}
            TokenTree::Group(g) => assignments(&to_vec(g.stream()), out),
            TokenTree::Ident(id) => {
                let prev = i.checked_sub(1).and_then(|p| ts.get(p));
                let qualified = is_punct(prev, '.')
                    || is_punct(prev, ':')
                    || is_ident(prev, "let")
                    || is_ident(prev, "mut");
                if !qualified && assigns(ts, i + 1) {
                    out.push(id.clone());
                }
            }
            _ => {}
        }
    }
}

/// The first mention of the variable `name` in `ts` (nested groups included): not a field or
/// a path segment of that name, nor a new declaration (`name :=`, `let name`).
fn mention(name: &str, ts: &[TokenTree]) -> Option<Span> {
    for (i, t) in ts.iter().enumerate() {
        match t {
            TokenTree::Group(g) => {
                if let Some(s) = mention(name, &to_vec(g.stream())) {
                    return Some(s);
                }
            }
            TokenTree::Ident(id) if id == name => {
                let prev = i.checked_sub(1).and_then(|p| ts.get(p));
                let other = is_punct(prev, '.')
                    || is_punct(prev, ':')
                    || is_ident(prev, "let")
                    || is_ident(prev, "mut")
                    || is_ident(prev, "for")
                    || is_punct(ts.get(i + 1), ':');
                if !other {
                    return Some(id.span());
                }
            }
            _ => {}
        }
    }
    None
}

/// An assignment operator starts at `ts[i]`: `=`, or `op=` for Go's and Rust's compound
/// operators (`+=` ends one token on, `<<=` two).
fn assigns(ts: &[TokenTree], i: usize) -> bool {
    use crate::tokens::{is_assign, is_compound_assign};
    is_assign(ts, i)
        || is_compound_assign(ts, i + 1)
        || ((is_punct(ts.get(i), '<') || is_punct(ts.get(i), '>')) && is_compound_assign(ts, i + 2))
}

#[cfg(test)]
mod tests {
    use super::super::Mode;
    use super::*;

    fn rw(src: &str) -> String {
        let mut r = Rewriter::new(&"::gocsp".parse().unwrap(), Mode::Go);
        let out = r.block(&to_vec(src.parse().unwrap()), false).to_string();
        if let Some(e) = r.finish().into_error() {
            panic!("{e}");
        }
        out
    }

    #[test]
    fn go_statements() {
        let out = rw("go worker(1, <-jobs)");
        assert!(
            out.contains("let __gocsp_arg1 = < _ as :: gocsp :: __private :: ZeroValue > :: or_zero (< _ as :: gocsp :: __private :: RecvFrom")
                && out.contains("operand :: < __gocsp_name :: jobs > (& (jobs)) })) ;"),
            "{out}"
        );
        assert!(
            out.contains("< :: gocsp :: __private :: Ops > :: go (move ||"),
            "{out}"
        );
        let out = rw("go func(id int, out chan<- int) { out <- id }(1, ch)");
        assert!(
            out.contains("chan_arg :: < :: gocsp :: __private :: Sender < int > , _ > (& (ch))"),
            "{out}"
        );
        assert!(out.contains("let mut id : int = __gocsp_arg0 ;"), "{out}");
    }

    #[test]
    fn defer_statements() {
        let out = rw("defer close(ch)");
        assert_eq!(
            out,
            format!(
                "let _gocsp_defer = :: gocsp :: __private :: Defer :: new (|| {{ {} ; }}) ;",
                crate::krate::named_text("close", "ch", None, &[])
            )
        );
    }
}
