//! Go expressions inside any statement: `<-ch` (receive), and in Go mode `make(chan T, n)`,
//! `close(ch)`, `len(ch)`, `cap(ch)`, channel types and calls to functions declared in the
//! block (with Go's implicit channel-direction conversion). Blocks nested in expressions
//! (`if`, `match` arms, closures, `loop`, ...) are rewritten as statement lists.

use proc_macro2::{Delimiter, Group, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote_spanned};

use super::Rewriter;
use super::types::{starts_chan_type, type_end};
use crate::tokens::{
    ends_operand, first_span, group, ident_str, is_fat_arrow, is_group, is_ident, is_joint,
    is_keyword, is_larrow, is_lone_colon, is_path_sep, is_punct, is_thin_arrow, split_commas,
    stream, to_vec, wrap,
};

/// Macros whose input is a DSL of their own: their tokens are left alone.
const DSL_MACROS: &[&str] = &["go", "select", "defer", "go_syntax", "make"];

/// The construct whose body the next top-level brace group is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Header {
    If,
    Loop,
    Match,
}

/// Closure-parsing state: after `|params|` come an optional `-> T` and the body.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Closure {
    None,
    Body,
}

impl Rewriter {
    /// Rewrites the Go expressions in `ts`. `value` says whether the expression's value is
    /// used, which decides how a nested block's trailing `<-ch` reads.
    pub(crate) fn expr(&mut self, ts: &[TokenTree], value: bool) -> TokenStream {
        self.expr_in(ts, value, false)
    }

    /// [`expr`](Self::expr) for the inside of a `match` body, whose arms' blocks carry the
    /// match's value.
    fn expr_in(&mut self, ts: &[TokenTree], value: bool, match_body: bool) -> TokenStream {
        let sliced;
        let ts = if self.go_mode()
            && let Some(new) = self.go_slices(ts)
        {
            sliced = new;
            &sliced[..]
        } else {
            ts
        };
        let mut out = TokenStream::new();
        let mut header: Option<(Header, bool)> = None;
        let mut if_value = value;
        let mut closure = Closure::None;
        let mut i = 0;
        while i < ts.len() {
            let tt = &ts[i];
            let prev = i.checked_sub(1).and_then(|p| ts.get(p));
            let pos_value = if i == 0 { value } else { true };

            // Closures: parameters pass through; the body is a block.
            match closure {
                Closure::Body => {
                    if is_thin_arrow(ts, i) {
                        let end = type_end(ts, i + 2);
                        out.extend(ts[i..i + 2].iter().cloned());
                        out.extend(self.types_if_go(&ts[i + 2..end]));
                        i = end;
                        continue;
                    }
                    closure = Closure::None;
                    if let Some(g) = group(Some(tt), Delimiter::Brace) {
                        out.extend([self.block_group(g, true)]);
                        i += 1;
                        continue;
                    }
                }
                Closure::None => {}
            }
            if is_punct(Some(tt), '|') && !ends_operand(prev) && !is_punct(prev, '|') {
                if is_joint(Some(tt), '|') && is_punct(ts.get(i + 1), '|') {
                    out.extend(ts[i..i + 2].iter().cloned());
                    closure = Closure::Body;
                    i += 2;
                } else {
                    let close = (i + 1..ts.len())
                        .find(|&k| is_punct(ts.get(k), '|'))
                        .unwrap_or(ts.len());
                    out.extend([tt.clone()]);
                    out.extend(self.types_if_go(&ts[i + 1..close]));
                    out.extend(ts.get(close).cloned());
                    closure = Closure::Body;
                    i = close + 1;
                }
                continue;
            }

            if self.go_mode() {
                if starts_chan_type(ts, i) {
                    let (ty, next) = self.chan_type(ts, i);
                    out.extend(ty);
                    i = next;
                    continue;
                }
                if let Some((toks, next)) = self.go_call(ts, i) {
                    out.extend(toks);
                    i = next;
                    continue;
                }
            }
            // In Rust mode too inside a Go clause, whose `break` scoping must see the nested
            // select's arms (see `select::breaks`). Its value is used only in Go mode: a
            // `select!` alone cannot see whether it is, so its Go clauses stay statement lists.
            if (self.go_mode() || self.inside_clause())
                && let Some(toks) = self.select_macro(ts, i, pos_value && self.go_mode())
            {
                out.extend(toks);
                i += 3;
                continue;
            }

            if is_larrow(ts, i) {
                if ends_operand(prev) {
                    self.errors.at(
                        tt.span(),
                        "send statement used as a value: in Go, `ch <- v` is a statement of its own (write it on its own line, or end the previous one with `;`)",
                    );
                    return out;
                }
                let start = i + 2;
                let end = operand_end(ts, start);
                if end == start {
                    self.errors.at(
                        tt.span(),
                        "expected a channel after `<-` (Go's receive: `<-ch`)",
                    );
                    i = start;
                    continue;
                }
                let span = ts[start].span();
                let op = self.expr(&ts[start..end], true);
                out.extend(self.recv_value(op, span));
                i = end;
                continue;
            }

            if is_fat_arrow(ts, i) || is_punct(Some(tt), ',') || is_punct(Some(tt), ';') {
                header = None;
            }

            match tt {
                TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                    let new = if let Some((h, hv)) = header.take() {
                        match h {
                            Header::If => self.block_group(g, hv),
                            Header::Loop => {
                                self.loop_body = true;
                                self.block_group(g, false)
                            }
                            Header::Match => {
                                let inner = to_vec(g.stream());
                                wrap(Delimiter::Brace, self.expr_in(&inner, hv, true), g.span())
                            }
                        }
                    } else if is_ident(prev, "else") {
                        self.block_group(g, if_value)
                    } else if is_ident(prev, "loop") {
                        self.loop_body = true;
                        self.block_group(g, false)
                    } else if ["unsafe", "async", "move", "const", "try"]
                        .iter()
                        .any(|k| is_ident(prev, k))
                    {
                        self.block_group(g, if i == 1 { value } else { true })
                    } else if is_macro_call(ts, i) {
                        tt.clone()
                    } else if match_body && i >= 2 && is_fat_arrow(ts, i - 2) {
                        self.block_group(g, value)
                    } else if is_struct_path_end(prev) {
                        let inner = to_vec(g.stream());
                        wrap(Delimiter::Brace, self.expr(&inner, true), g.span())
                    } else {
                        self.block_group(g, pos_value)
                    };
                    out.extend([new]);
                }
                TokenTree::Group(g) => {
                    if is_macro_call(ts, i) {
                        let name = ident_str(ts.get(i - 2)).unwrap_or_default();
                        if DSL_MACROS.contains(&name.as_str()) {
                            out.extend([tt.clone()]);
                        } else {
                            out.extend([self.expr_group(g)]);
                        }
                    } else {
                        out.extend([self.expr_group(g)]);
                    }
                }
                TokenTree::Ident(id) => {
                    let s = id.to_string();
                    match s.as_str() {
                        "if" => {
                            let v = if is_ident(prev, "else") {
                                if_value
                            } else {
                                pos_value
                            };
                            if_value = v;
                            header = Some((Header::If, v));
                        }
                        "while" | "for" => header = Some((Header::Loop, false)),
                        "match" => header = Some((Header::Match, pos_value)),
                        _ => {}
                    }
                    out.extend([tt.clone()]);
                }
                _ => out.extend([tt.clone()]),
            }
            i += 1;
        }
        out
    }

    /// `select! { ... }` at `ts[i]` in `go_syntax!`: the same select as Go's `select { }`,
    /// its arm bodies in Go mode too. A body that does not parse as a select (another
    /// crate's `select!`) is left to its own macro.
    fn select_macro(&mut self, ts: &[TokenTree], i: usize, value: bool) -> Option<TokenStream> {
        let prev = i.checked_sub(1).and_then(|p| ts.get(p));
        if !is_ident(ts.get(i), "select")
            || !is_macro_call(ts, i + 2)
            || is_punct(prev, '.')
            || (i >= 2 && is_path_sep(ts, i - 2))
        {
            return None;
        }
        let g = group(ts.get(i + 2), Delimiter::Brace)
            .or_else(|| group(ts.get(i + 2), Delimiter::Parenthesis))
            .or_else(|| group(ts.get(i + 2), Delimiter::Bracket))?;
        let inner = to_vec(g.stream());
        crate::select::rewrite_if_select(self, &inner, ts[i].span(), value)
    }

    /// `{ ... }` rewritten as a statement list.
    pub(crate) fn block_group(&mut self, g: &Group, value: bool) -> TokenTree {
        let inner = to_vec(g.stream());
        wrap(Delimiter::Brace, self.block(&inner, value), g.span())
    }

    /// `( ... )` or `[ ... ]` rewritten as expressions.
    fn expr_group(&mut self, g: &Group) -> TokenTree {
        let inner = to_vec(g.stream());
        wrap(g.delimiter(), self.expr(&inner, true), g.span())
    }

    /// `ts`, with Go channel types rewritten in Go mode.
    pub(crate) fn types_if_go(&mut self, ts: &[TokenTree]) -> TokenStream {
        if self.go_mode() {
            self.types(ts)
        } else {
            ts.iter().cloned().collect()
        }
    }

    /// `<-op` used as a value: the received value, or the zero value once closed.
    pub(crate) fn recv_value(&self, op: TokenStream, span: Span) -> TokenStream {
        self.chan_op("recv", &op, &[], span)
    }

    /// Go's builtins and calls to functions declared in the block, at `ts[i]`.
    fn go_call(&mut self, ts: &[TokenTree], i: usize) -> Option<(TokenStream, usize)> {
        let TokenTree::Ident(id) = &ts[i] else {
            return None;
        };
        let args = group(ts.get(i + 1), Delimiter::Parenthesis)?;
        let prev = i.checked_sub(1).and_then(|p| ts.get(p));
        // `x.len(..)` is a method; `0..len(s)` is Go's `len` after a range.
        let method = is_punct(prev, '.') && !(i >= 2 && is_joint(ts.get(i - 2), '.'));
        if method || (i >= 2 && is_path_sep(ts, i - 2)) || is_ident(prev, "fn") {
            return None;
        }
        let name = id.to_string();
        let inner = to_vec(args.stream());
        let span = id.span();
        match name.as_str() {
            "make" => Some((self.make_call(&inner, span, args.span()), i + 2)),
            "close" | "len" | "cap" => Some((self.builtin(&name, &inner, span, args), i + 2)),
            "func" => {
                self.errors.at(
                    span,
                    format!(
                        "{}. {}",
                        super::unsupported::FUNC_LITERAL,
                        crate::diag::GO_FORMS
                    ),
                );
                // Skip the literal (and an immediate call) and stand in a unit value.
                let mut j = i + 2;
                while j < ts.len() && !is_group(ts.get(j), Delimiter::Brace) {
                    j += 1;
                }
                j += 1;
                if is_group(ts.get(j), Delimiter::Parenthesis) {
                    j += 1;
                }
                Some((quote_spanned!(span=> ()), j.min(ts.len())))
            }
            _ => {
                let kinds = self.fns.get(&name)?.clone();
                let parts = split_commas(&inner, false);
                if parts.len() != kinds.len() {
                    return None;
                }
                let mut new_args = TokenStream::new();
                for (k, (part, kind)) in parts.iter().zip(&kinds).enumerate() {
                    if k > 0 {
                        new_args.extend(quote_spanned!(args.span()=> ,));
                    }
                    let arg = self.expr(part, true);
                    match kind {
                        Some(kind) => {
                            new_args.extend(self.chan_arg(arg, *kind, first_span(part, span)))
                        }
                        None => new_args.extend(arg),
                    }
                }
                let mut out = id.to_token_stream();
                out.extend([wrap(Delimiter::Parenthesis, new_args, args.span())]);
                Some((out, i + 2))
            }
        }
    }

    /// Go's implicit conversion of a channel argument to the direction a parameter expects:
    /// `chan T` to `chan<- T` or `<-chan T`. The argument is borrowed and the handle cloned,
    /// as Go copies a channel value.
    pub(crate) fn chan_arg(
        &self,
        arg: TokenStream,
        kind: super::ChanKind,
        span: Span,
    ) -> TokenStream {
        let conv = self.private("chan_arg", span);
        let ty = self.private(kind.name(), span);
        quote_spanned!(span=> #conv::<#ty<_>, _>(&(#arg)))
    }

    /// `make(chan T)` / `make(chan T, n)`.
    pub(crate) fn make_call(
        &mut self,
        inner: &[TokenTree],
        span: Span,
        args_span: Span,
    ) -> TokenStream {
        if !is_ident(inner.first(), "chan") || is_larrow(inner, 1) {
            let at = first_span(inner, args_span);
            self.errors.at(
                at,
                "`make` makes channels here: `make(chan T)` or `make(chan T, n)` (a bidirectional `chan T`; use `Vec`/`HashMap` constructors for slices and maps)",
            );
            return quote_spanned!(span=> ());
        }
        let end = type_end(inner, 1);
        if end == 1 {
            self.errors.at(
                inner[0].span(),
                "expected the element type: `make(chan T)` or `make(chan T, n)`",
            );
            return quote_spanned!(span=> ());
        }
        let elem = self.elem_type(&inner[1..end]);
        let rest = &inner[end..];
        let cap = if rest.is_empty() {
            quote_spanned!(span=> 0usize)
        } else if is_punct(rest.first(), ',') && rest.len() > 1 {
            self.expr(&rest[1..], true)
        } else {
            self.errors.at(
                rest[0].span(),
                "expected `,` and a capacity: `make(chan T)` or `make(chan T, n)`",
            );
            quote_spanned!(span=> 0usize)
        };
        let f = self.op("make_chan", span);
        quote_spanned!(span=> #f::<#elem>(#cap))
    }

    /// `close(ch)`, `len(ch)`, `cap(ch)`.
    fn builtin(
        &mut self,
        name: &str,
        inner: &[TokenTree],
        span: Span,
        args: &Group,
    ) -> TokenStream {
        let parts = split_commas(inner, false);
        if parts.len() != 1 {
            let (msg, at) = if parts.is_empty() {
                ("not enough arguments in call to", args.span())
            } else {
                (
                    "too many arguments in call to",
                    first_span(parts[1], args.span()),
                )
            };
            self.errors
                .at(at, format!("{msg} {name}: `{name}(x)` takes one argument"));
            return quote_spanned!(span=> ());
        }
        let at = first_span(parts[0], span);
        let arg = self.expr(parts[0], true);
        if name == "len" {
            // Every handle and container has `len()`: channels, slices, strings, maps, ...
            let recv = quote::quote!((#arg));
            return quote_spanned!(at=> #recv.len());
        }
        if name == "close" {
            return self.chan_op(name, &arg, &[], at);
        }
        let f = self.private(name, span);
        quote_spanned!(at=> #f(&(#arg)))
    }
}

impl Rewriter {
    /// Go's slice expressions `s[a:b]`, `s[:n]`, `s[n:]`, `s[:]`: `(&s[a..b])`, a slice
    /// borrowed from `s`, as Go's shares `s`'s array. `None` when `ts` has none.
    fn go_slices(&mut self, ts: &[TokenTree]) -> Option<Vec<TokenTree>> {
        let is_slice = |t: &TokenTree| match t {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket => {
                let inner = to_vec(g.stream());
                (0..inner.len()).any(|k| is_lone_colon(&inner, k))
            }
            _ => false,
        };
        if !ts.iter().any(is_slice) {
            return None;
        }
        let mut out: Vec<TokenTree> = Vec::new();
        for tt in ts {
            let TokenTree::Group(g) = tt else {
                out.push(tt.clone());
                continue;
            };
            let operand = out.last().is_some_and(|t| {
                !matches!(t, TokenTree::Group(g) if g.delimiter() == Delimiter::Brace)
                    && ends_operand(Some(t))
            });
            if !is_slice(tt) || !operand {
                out.push(tt.clone());
                continue;
            }
            let start = chain_start(&out);
            let chain: Vec<TokenTree> = out.drain(start..).collect();
            let inner = to_vec(g.stream());
            let colons: Vec<usize> = (0..inner.len())
                .filter(|&k| is_lone_colon(&inner, k))
                .collect();
            if colons.len() > 1 {
                self.errors.at(
                    inner[colons[1]].span(),
                    "full slice expressions `s[a:b:max]` have no Rust counterpart: write `&s[a..b]` (a slice cannot grow in place; use a `Vec` for an owned copy)",
                );
            }
            let c = colons[0];
            let at = inner[c].span();
            let mut range: Vec<TokenTree> = inner[..c].to_vec();
            let mut d1 = Punct::new('.', Spacing::Joint);
            d1.set_span(at);
            let mut d2 = Punct::new('.', Spacing::Alone);
            d2.set_span(at);
            range.extend([TokenTree::Punct(d1), TokenTree::Punct(d2)]);
            range.extend(
                inner[c + 1..colons.get(1).copied().unwrap_or(inner.len())]
                    .iter()
                    .cloned(),
            );
            let mut amp = Punct::new('&', Spacing::Alone);
            amp.set_span(chain.first().map_or(g.span(), TokenTree::span));
            let mut sliced = vec![TokenTree::Punct(amp)];
            sliced.extend(chain);
            sliced.push(wrap(Delimiter::Bracket, stream(&range), g.span()));
            // Parenthesized so that a method call after it applies to the slice; the
            // parentheses are the macro's (Span::call_site), not linted as the user's.
            out.push(TokenTree::Group(Group::new(
                Delimiter::Parenthesis,
                stream(&sliced),
            )));
        }
        Some(out)
    }
}

/// Where the postfix chain ending `out` starts (`a.b(c)[1]` in `x + a.b(c)[1]`): back over
/// fields, method and function calls, indexes, paths and `?`.
fn chain_start(out: &[TokenTree]) -> usize {
    let mut j = out.len() - 1;
    while j > 0 {
        let cur = &out[j];
        let prev = &out[j - 1];
        let cur_is_group = matches!(cur, TokenTree::Group(g) if g.delimiter() != Delimiter::Brace);
        j = match (cur, prev) {
            // `f()?`: back to what `?` applies to.
            (TokenTree::Punct(p), _) if p.as_char() == '?' => j - 1,
            // `x.f`, `x.0`, `x.f()`.
            (_, TokenTree::Punct(p)) if p.as_char() == '.' && j >= 2 => j - 2,
            // `a::b`.
            (_, TokenTree::Punct(p))
                if p.as_char() == ':' && j >= 3 && is_punct(out.get(j - 2), ':') =>
            {
                j - 3
            }
            // `f(x)`, `a[i][k]`, `f()?(x)`.
            (_, TokenTree::Group(g)) if cur_is_group && g.delimiter() != Delimiter::Brace => j - 1,
            (_, TokenTree::Ident(_) | TokenTree::Punct(_))
                if cur_is_group && ends_operand(Some(prev)) =>
            {
                j - 1
            }
            _ => return j,
        };
    }
    0
}

/// `ts[i]` is the group of a macro call `name!(...)`.
fn is_macro_call(ts: &[TokenTree], i: usize) -> bool {
    i >= 2
        && is_punct(ts.get(i - 1), '!')
        && matches!(ts.get(i - 2), Some(TokenTree::Ident(_)))
        && !is_joint(ts.get(i - 1), '!')
}

/// A brace group after `prev` opens a struct literal (`Point { x: 1 }`, `S::<T> { .. }`).
fn is_struct_path_end(prev: Option<&TokenTree>) -> bool {
    match prev {
        Some(TokenTree::Ident(id)) => !is_keyword(&id.to_string()) || id == "Self",
        Some(TokenTree::Punct(p)) => p.as_char() == '>',
        _ => false,
    }
}

/// Index past the operand of a unary `<-` starting at `ts[i]`: Go's unary expression, i.e.
/// prefix operators, then a primary (path, literal, group, macro call), then postfix
/// selectors, calls, indexes and `?`. So `<-ctx.done()` receives from `ctx.done()`.
pub(crate) fn operand_end(ts: &[TokenTree], i: usize) -> usize {
    let mut j = i;
    loop {
        if is_punct(ts.get(j), '&') || is_punct(ts.get(j), '*') {
            j += 1;
            if is_ident(ts.get(j), "mut") {
                j += 1;
            }
        } else if is_larrow(ts, j) {
            j += 2;
        } else {
            break;
        }
    }
    match ts.get(j) {
        Some(TokenTree::Literal(_)) | Some(TokenTree::Group(_)) => j += 1,
        Some(TokenTree::Ident(_)) => j += 1,
        Some(TokenTree::Punct(_)) if is_path_sep(ts, j) => {}
        _ => return j,
    }
    // Path continuation, turbofish, macro call.
    while is_path_sep(ts, j) {
        j += 2;
        if is_punct(ts.get(j), '<') {
            j = super::types::skip_angle(ts, j);
        } else if matches!(ts.get(j), Some(TokenTree::Ident(_))) {
            j += 1;
        }
    }
    if is_punct(ts.get(j), '!') && matches!(ts.get(j + 1), Some(TokenTree::Group(_))) {
        j += 2;
    }
    // Postfix.
    loop {
        if is_punct(ts.get(j), '.') && !is_joint(ts.get(j), '.') {
            match ts.get(j + 1) {
                Some(TokenTree::Ident(_)) | Some(TokenTree::Literal(_)) => j += 2,
                _ => return j,
            }
            if is_path_sep(ts, j) && is_punct(ts.get(j + 2), '<') {
                j = super::types::skip_angle(ts, j + 2);
            }
        } else if is_punct(ts.get(j), '?')
            || is_group(ts.get(j), Delimiter::Parenthesis)
            || is_group(ts.get(j), Delimiter::Bracket)
        {
            j += 1;
        } else {
            return j;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Mode;
    use super::*;

    fn rw(mode: Mode, src: &str) -> String {
        let mut r = Rewriter::new(&"::gocsp".parse().unwrap(), mode);
        let out = r.expr(&to_vec(src.parse().unwrap()), true).to_string();
        if let Some(e) = r.finish().into_error() {
            panic!("{e}");
        }
        out
    }

    #[test]
    fn receive_operand_extent() {
        let t = to_vec("ctx.done() + 1".parse().unwrap());
        assert_eq!(operand_end(&t, 0), 4);
        let t = to_vec("time::after(d)".parse().unwrap());
        assert_eq!(operand_end(&t, 0), t.len());
        let t = to_vec("chans[i]?.x, y".parse().unwrap());
        assert_eq!(operand_end(&t, 0), t.len() - 2);
    }

    #[test]
    fn receive_in_expressions() {
        assert_eq!(
            rw(Mode::Rust, "<-rx + 1"),
            format!("{} + 1", crate::krate::named_text("recv", "rx", None, &[]))
        );
        assert_eq!(
            rw(Mode::Rust, "f(<-a, <-b.c())"),
            format!(
                "f ({} , {})",
                crate::krate::named_text("recv", "a", None, &[]),
                crate::krate::named_text("recv", "b.c()", None, &[])
            )
        );
        // A comparison with a negative number is not a receive.
        assert_eq!(rw(Mode::Rust, "a < -b"), "a < - b");
    }

    #[test]
    fn go_builtins() {
        assert_eq!(
            rw(Mode::Go, "make(chan i32, 4)"),
            "< :: gocsp :: __private :: Ops > :: make_chan :: < i32 > (4)"
        );
        assert_eq!(
            rw(Mode::Go, "close(ch)"),
            crate::krate::named_text("close", "ch", None, &[])
        );
        assert_eq!(rw(Mode::Go, "x.close()"), "x . close ()");
        assert_eq!(rw(Mode::Rust, "close(ch)"), "close (ch)");
    }

    #[test]
    fn nested_blocks_are_statement_lists() {
        let out = rw(Mode::Rust, "if a { tx <- 1 } else { <-rx }");
        let send = crate::krate::named_text("send", "tx", None, &["1"]);
        assert!(out.contains(&format!("{send} ;")), "{out}");
        assert!(
            out.contains(&crate::krate::named_text("recv", "rx", None, &[])),
            "{out}"
        );
        let out = rw(Mode::Rust, "move || { tx <- 1 }");
        assert!(out.contains(&send), "{out}");
        let out = rw(Mode::Rust, "Point { x: <-rx }");
        assert_eq!(
            out,
            format!(
                "Point {{ x : {} }}",
                crate::krate::named_text("recv", "rx", None, &[])
            )
        );
    }

    #[test]
    fn macro_arguments_are_expressions_but_dsl_macros_are_left_alone() {
        let out = rw(Mode::Rust, r#"println!("{}", <-rx)"#);
        assert!(
            out.contains(&crate::krate::named_text("recv", "rx", None, &[])),
            "{out}"
        );
        let out = rw(Mode::Rust, "select!(v = <-rx => ())");
        assert!(!out.contains("recv"), "{out}");
    }
}
