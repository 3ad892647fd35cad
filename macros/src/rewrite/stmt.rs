//! Statements: each statement of a block is classified (a Go form, an unsupported Go
//! construct, an item, or Rust) and expanded.
//!
//! | Go                       | Rust                                                      |
//! |--------------------------|-----------------------------------------------------------|
//! | `x := e`                 | `let mut x = e;`                                          |
//! | `a, b := e1, e2`         | `let (mut a, mut b) = (e1, e2);`                          |
//! | `v, ok := <-ch`          | `let (mut v, mut ok) = recv_ok(&ch);`                     |
//! | `ch <- v`                | `send(&ch, v);`                                           |
//! | `<-ch` (statement)       | `let _ = recv_option(&ch);` (no `Default` needed)         |
//! | `go f(a)`                | `a` evaluated now, `go(move \|\| f(a))`                   |
//! | `go func(x T) {..}(a)`   | `a` evaluated now, `go(move \|\| { let x: T = a; .. })`   |
//! | `defer stmt`             | `let _guard = Defer::new(\|\| { stmt; });`                |
//! | `for { }`                | `loop { }`                                                |
//! | `for v := range ch { }`  | `for v in range(&ch) { }`                                 |
//! | `select { case ... }`    | the `select!` expansion                                   |

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

use super::Rewriter;
use super::expr::operand_end;
use super::split::{self, Shape, Stmt, item_keyword, skip_attrs, skip_label};
use crate::tokens::{
    ends_operand, find_colon_eq, first_span, group, ident_str, is_assign, is_compound_assign,
    is_group, is_ident, is_joint, is_larrow, is_punct, split_commas, stream, to_vec,
};

impl Rewriter {
    /// Rewrites a block's statements. `value`: whether the block's trailing expression is
    /// used (a trailing `<-ch` is then the received value, else a discarding receive).
    pub(crate) fn block(&mut self, ts: &[TokenTree], value: bool) -> TokenStream {
        let relabeled = if self.go_mode() {
            split::go_labels(ts)
        } else {
            None
        };
        let ts = relabeled.as_deref().unwrap_or(ts);
        let stmts = split::split(ts);
        let go_forms: Vec<bool> = stmts.iter().map(|s| self.is_go_form(&s.tokens)).collect();
        let mut out = TokenStream::new();
        let n = stmts.len();
        let is_loop = std::mem::take(&mut self.loop_body);
        // What follows each statement, for `go func` captures used after it (`moved`).
        let all = self.go_mode().then(|| {
            std::rc::Rc::new(
                stmts
                    .iter()
                    .map(|s| {
                        let mut t = s.tokens.clone();
                        t.extend(s.semi.iter().cloned());
                        t
                    })
                    .collect::<Vec<_>>(),
            )
        });
        for (k, st) in stmts.iter().enumerate() {
            let tail = k + 1 == n && st.semi.is_none();
            let next_go = go_forms.get(k + 1).copied().unwrap_or(false);
            if let Some(stmts) = &all {
                self.frames.push(super::Frame {
                    stmts: stmts.clone(),
                    at: k,
                    is_loop,
                });
            }
            out.extend(self.statement(st, tail, value, next_go));
            if all.is_some() {
                self.frames.pop();
            }
        }
        out
    }

    /// One statement. `tail`: last in its block with no `;`; `value`: the block's value is
    /// used; `next_go`: the next statement is a Go form (Rust mode then ends this one).
    pub(super) fn statement(
        &mut self,
        st: &Stmt,
        tail: bool,
        value: bool,
        next_go: bool,
    ) -> TokenStream {
        let ts = &st.tokens[..];
        let semi: TokenStream = st.semi.iter().cloned().collect();
        if ts.is_empty() {
            return semi;
        }
        let used = tail && value;
        if item_keyword(ts).is_some() {
            let mut out = self.item(ts);
            out.extend(semi);
            return out;
        }
        let at = skip_label(ts, skip_attrs(ts));
        // (A block's last expression may be a negation or a closure: `-1`, `|a| a + 1`.)
        if self.go_mode()
            && let Some(op) = leading_binary_operator(&ts[at..])
                .filter(|op| !(tail && matches!(op.as_str(), "-" | "|" | "||")))
        {
            self.errors.at(
                ts[at].span(),
                format!(
                    "a statement cannot start with `{op}`: Go ends a statement at a line break \
                     that follows a name, a literal or a closing bracket, so the line above is a \
                     statement of its own. Put `{op}` at the end of the line above to continue it"
                ),
            );
            return TokenStream::new();
        }
        if self.go_mode()
            && let Some(out) = self.go_statement(ts, at, used)
        {
            return out;
        }
        let a = skip_attrs(ts);
        let attrs = stream(&ts[..a]);
        let body = &ts[a..];
        if let Some(out) = self.go_form(body, used) {
            let mut all = attrs;
            all.extend(out);
            return all;
        }
        if self.go_mode()
            && let Some(out) = self.inc_dec(body)
        {
            return out;
        }
        let mut out = self.expr(ts, used);
        if !semi.is_empty() {
            out.extend(semi);
        } else if split::shape(ts) == Shape::Plain
            && if self.go_mode() {
                !used
            } else {
                (tail && !used) || (!tail && next_go)
            }
        {
            out.extend(quote!(;));
        }
        out
    }

    /// The forms both modes take: `<-ch`, `:=`, `ch <- v`, `a, b = e`.
    fn go_form(&mut self, ts: &[TokenTree], used: bool) -> Option<TokenStream> {
        if is_larrow(ts, 0)
            && !self.is_chan_type(ts, 0)
            && operand_end(ts, 2) == ts.len()
            && ts.len() > 2
        {
            let span = ts[2].span();
            let op = self.expr(&ts[2..], true);
            return Some(if used {
                self.recv_value(op, span)
            } else {
                let recv = self.chan_op("recv_option", &op, &[], span);
                quote_spanned!(span=> let _ = #recv;)
            });
        }
        if let Some(k) = find_colon_eq(ts) {
            return Some(self.declare(&ts[..k], &ts[k + 2..], ts[k].span()));
        }
        if let Some(k) = self.find_send(ts) {
            let span = ts[0].span();
            let rhs = &ts[k + 2..];
            if rhs.is_empty() {
                self.errors.at(
                    ts[k].span(),
                    "expected a value after `<-`: Go's send is `ch <- v`",
                );
                return Some(TokenStream::new());
            }
            let ch = self.expr(&ts[..k], true);
            let v = self.expr(rhs, true);
            let send = self.chan_op("send", &ch, &[v], span);
            return Some(quote_spanned!(span=> #send;));
        }
        if !is_ident(ts.first(), "let")
            && let Some(eq) = (0..ts.len()).find(|&i| is_assign(ts, i))
        {
            let lhs = split_commas(&ts[..eq], false);
            if lhs.len() > 1 {
                let rhs = self.multi_value(&ts[eq + 1..], lhs.len(), ts[eq].span());
                let lhs = lhs.iter().map(|p| self.expr(p, true));
                let span = ts[0].span();
                return Some(quote_spanned!(span=> (#(#lhs),*) = #rhs;));
            }
        }
        None
    }

    /// `x := e`, `a, b := e`, `v, ok := <-ch`.
    fn declare(
        &mut self,
        lhs: &[TokenTree],
        rhs: &[TokenTree],
        at: proc_macro2::Span,
    ) -> TokenStream {
        let names = split_commas(lhs, false);
        let mut pats = Vec::new();
        for n in &names {
            match n {
                [TokenTree::Ident(id)] => {
                    if id == "_" {
                        pats.push(quote!(_));
                    } else {
                        pats.push(quote!(mut #id));
                    }
                }
                _ => {
                    self.errors.at(
                        first_span(n, at),
                        "`:=` declares variables by name: `x := e` or `a, b := e` (use `let` for patterns)",
                    );
                    return TokenStream::new();
                }
            }
        }
        if names.is_empty() {
            self.errors.at(at, "expected a variable name before `:=`");
            return TokenStream::new();
        }
        if rhs.is_empty() {
            self.errors.at(at, "expected a value after `:=`");
            return TokenStream::new();
        }
        let value = if pats.len() == 1 {
            self.expr(rhs, true)
        } else {
            self.multi_value(rhs, pats.len(), at)
        };
        let pat = if pats.len() == 1 {
            pats.remove(0)
        } else {
            quote!((#(#pats),*))
        };
        quote_spanned!(at=> #[allow(unused_mut)] let #pat = #value;)
    }

    /// The right side of a multi-variable `:=` or `=`: `<-ch` (value and ok), `e1, e2`
    /// (a tuple), or one tuple-valued expression.
    fn multi_value(&mut self, rhs: &[TokenTree], n: usize, at: proc_macro2::Span) -> TokenStream {
        if n == 2 && is_larrow(rhs, 0) && rhs.len() > 2 && operand_end(rhs, 2) == rhs.len() {
            let span = rhs[2].span();
            let op = self.expr(&rhs[2..], true);
            return self.chan_op("recv_ok", &op, &[], span);
        }
        let parts = split_commas(rhs, false);
        if parts.len() == 1 {
            // One expression may be a tuple (`a, b := pair()`); a lone literal cannot be.
            if let [TokenTree::Literal(lit)] = rhs {
                self.errors.at(
                    lit.span(),
                    format!("assignment mismatch: {n} variables but 1 value"),
                );
                // The names still get values of the literal's type, so no second error
                // follows from this one.
                let values = (0..n).map(|_| stream(rhs));
                return quote!((#(#values),*));
            }
            return self.expr(rhs, true);
        }
        if parts.len() != n {
            self.errors.at(
                first_span(rhs, at),
                format!(
                    "assignment mismatch: {n} variables but {} values",
                    parts.len()
                ),
            );
        }
        let parts = parts.iter().map(|p| self.expr(p, true));
        quote!((#(#parts),*))
    }

    /// Go's `x++` / `x--`: unsupported, expanded as `x += 1` / `x -= 1`.
    fn inc_dec(&mut self, ts: &[TokenTree]) -> Option<TokenStream> {
        let n = ts.len();
        if n < 3 {
            return None;
        }
        let op = match (&ts[n - 2], &ts[n - 1]) {
            (TokenTree::Punct(a), TokenTree::Punct(b))
                if a.as_char() == b.as_char()
                    && matches!(a.as_char(), '+' | '-')
                    && a.spacing() == proc_macro2::Spacing::Joint =>
            {
                a.clone()
            }
            _ => return None,
        };
        let c = op.as_char();
        self.errors.at(
            op.span(),
            format!(
                "Go's `x{c}{c}` is not supported in go_syntax!: write `x {c}= 1`. {}",
                crate::diag::GO_FORMS
            ),
        );
        let lhs = self.expr(&ts[..n - 2], true);
        let span = op.span();
        Some(quote_spanned!(span=> #lhs #op= 1;))
    }

    /// Go-mode statements: `for`, `go`, `defer`, `select`, and unsupported Go constructs.
    /// `at` is the index past attributes and label; `used`: the statement is its block's
    /// value (a `select`'s clauses then give theirs).
    fn go_statement(&mut self, ts: &[TokenTree], at: usize, used: bool) -> Option<TokenStream> {
        let head = ident_str(ts.get(at))?;
        let prefix = stream(&ts[..at]);
        let rest = &ts[at..];
        match head.as_str() {
            "for" => Some(self.for_stmt(prefix, rest)),
            // The `go!` macro is Rust: an expression (see `expr`).
            "go" if is_punct(rest.get(1), '!') => None,
            "go" => Some(self.go_stmt(rest)),
            "defer" => Some(self.defer_stmt(rest)),
            "select" if is_group(rest.get(1), Delimiter::Brace) && rest.len() == 2 => {
                let g = group(rest.get(1), Delimiter::Brace).unwrap();
                let inner = to_vec(g.stream());
                let mut out = prefix;
                // Located at the `select` keyword: the select's blocking site.
                out.extend(crate::select::rewrite(self, &inner, rest[0].span(), used));
                Some(out)
            }
            // The `select!` macro is Rust: an expression (see `expr`).
            "select" if is_punct(rest.get(1), '!') => None,
            _ => self.unsupported_stmt(rest),
        }
    }

    /// `for { }`, `for v := range ch { }`, `for range ch { }`, and Rust's `for pat in e { }`.
    fn for_stmt(&mut self, prefix: TokenStream, ts: &[TokenTree]) -> TokenStream {
        let for_span = ts[0].span();
        let Some(body) = group(ts.last(), Delimiter::Brace).filter(|_| ts.len() >= 2) else {
            self.errors
                .at(for_span, "expected a loop body `{ ... }` after `for`");
            return TokenStream::new();
        };
        self.loop_body = true;
        let body_tt = self.block_group(body, false);
        let header = &ts[1..ts.len() - 1];
        if header.is_empty() {
            let kw = proc_macro2::Ident::new("loop", for_span);
            return quote!(#prefix #kw #body_tt);
        }
        if header.iter().any(|t| is_punct(Some(t), ';')) {
            return self.unsupported_three_clause(for_span, header, &body_tt);
        }
        // `assigns`: Go's `for v = range ch`, which assigns each value to an existing `v`
        // (so `v` holds the last value after the loop), where `:=` declares a new one.
        let (vars, range_at, assigns) = if is_ident(header.first(), "range") {
            (None, Some(0), false)
        } else if let Some(k) = find_colon_eq(header) {
            (Some(&header[..k]), Some(k + 2), false)
        } else if let Some(k) = (0..header.len()).find(|&i| is_assign(header, i)) {
            (Some(&header[..k]), Some(k + 1), true)
        } else {
            (None, None, false)
        };
        if let Some(r) = range_at {
            if !is_ident(header.get(r), "range") {
                return self.unsupported_three_clause(for_span, header, &body_tt);
            }
            let ch_toks = &header[r + 1..];
            if ch_toks.is_empty() {
                self.errors.at(
                    header[r].span(),
                    "expected a channel after `range`: `for v := range ch { }`",
                );
                return TokenStream::new();
            }
            let pat = match vars.map(|v| split_commas(v, false)) {
                None => quote!(_),
                Some(v) if v.len() == 1 => stream(v[0]),
                Some(v) => {
                    self.errors.at(
                        first_span(v[1], for_span),
                        "a channel gives one value per iteration: `for v := range ch { }` (ranging with two variables is for slices and maps, which go_syntax! leaves to Rust's `for (i, v) in xs.iter().enumerate()`)",
                    );
                    // Recover as an enumerated range, so the names are still bound.
                    let pats = v.iter().map(|p| stream(p));
                    let span = ch_toks[0].span();
                    let ch = self.expr(ch_toks, true);
                    let range = self.op("range", span);
                    let kw = proc_macro2::Ident::new("for", for_span);
                    return quote!(#prefix #kw (#(#pats),*) in #range(&(#ch)).enumerate() #body_tt);
                }
            };
            let span = ch_toks[0].span();
            let ch = self.expr(ch_toks, true);
            let kw = proc_macro2::Ident::new("for", for_span);
            let iter = self.chan_op("range", &ch, &[], span);
            if assigns {
                let value =
                    proc_macro2::Ident::new("__gocsp_range_value", proc_macro2::Span::mixed_site());
                return quote!(#prefix #kw #value in #iter { #pat = #value; #body_tt });
            }
            return quote!(#prefix #kw #pat in #iter #body_tt);
        }
        if header.iter().any(|t| is_ident(Some(t), "in")) {
            let h = self.expr(header, true);
            let kw = &ts[0];
            return quote!(#prefix #kw #h #body_tt);
        }
        // Go's `for cond { }`: unsupported, expanded as `while`.
        self.errors.at(
            for_span,
            format!(
                "Go's `for condition {{ }}` loop is not supported in go_syntax!: write `while condition {{ }}`. {}",
                crate::diag::GO_FORMS
            ),
        );
        let cond = self.expr(header, true);
        let kw = proc_macro2::Ident::new("while", for_span);
        quote!(#prefix #kw #cond #body_tt)
    }
}

impl Rewriter {
    /// `<-chan` at `i` is a type (Go mode only: in Rust, `chan` is just a name).
    fn is_chan_type(&self, ts: &[TokenTree], i: usize) -> bool {
        self.go_mode() && is_ident(ts.get(i + 2), "chan")
    }

    /// The first top-level `<-` that is a send (`ch <- v`: an operand before it).
    fn find_send(&self, ts: &[TokenTree]) -> Option<usize> {
        (1..ts.len()).find(|&i| {
            is_larrow(ts, i)
                && !self.is_chan_type(ts, i)
                && ends_operand(ts.get(i - 1))
                && !is_joint(ts.get(i - 1), '<')
        })
    }

    /// Whether a statement list ends in an expression (a value, as Rust's block tail): its
    /// last statement has no `;` and is not a declaration, an item, an assignment, a send, a
    /// loop, or a `go`/`defer` statement.
    pub(crate) fn ends_in_expression(&self, ts: &[TokenTree]) -> bool {
        let stmts = split::split(ts);
        let Some(last) = stmts.last() else {
            return false;
        };
        let body = &last.tokens[skip_attrs(&last.tokens)..];
        let head = ident_str(body.first());
        let statement_head = matches!(
            head.as_deref(),
            Some("let" | "for" | "while" | "go" | "defer" | "var" | "switch")
        );
        last.semi.is_none()
            && !body.is_empty()
            && !statement_head
            && item_keyword(&last.tokens).is_none()
            && find_colon_eq(body).is_none()
            && self.find_send(body).is_none()
            && !(0..body.len()).any(|i| is_assign(body, i) || is_compound_assign(body, i))
    }

    /// Whether a statement is one of the Go forms both modes take (Rust mode ends the
    /// statement before it with `;` if the user wrote none).
    fn is_go_form(&self, ts: &[TokenTree]) -> bool {
        let body = &ts[skip_attrs(ts)..];
        (is_larrow(body, 0) && !self.is_chan_type(body, 0))
            || find_colon_eq(body).is_some()
            || self.find_send(body).is_some()
    }
}

/// The binary operator a statement starts with, if any: in Go such a line is the rest of an
/// expression cut off by the line break before it (`x := a` ⏎ `- b`), which Go rejects and
/// Rust would take as a statement of its own (`|| q` even as a closure). Not `<` (a receive
/// `<-ch`, or a qualified path `<T as Trait>::f()`), `*` (an assignment through a pointer) or
/// `&`/`!` (operands); the caller also lets a block's last expression start with `-` or `|`
/// (a negation, a closure returned as the block's value).
fn leading_binary_operator(ts: &[TokenTree]) -> Option<String> {
    let TokenTree::Punct(p) = ts.first()? else {
        return None;
    };
    let c = p.as_char();
    if !"+-/%=>|^&".contains(c) {
        return None;
    }
    let next = match ts.get(1) {
        Some(TokenTree::Punct(q)) if p.spacing() == proc_macro2::Spacing::Joint => {
            Some(q.as_char())
        }
        _ => None,
    };
    match (c, next) {
        // `&x` alone is an operand; `&&` is the operator.
        ('&', Some('&')) => Some("&&".to_string()),
        ('&', _) => None,
        // `=>` belongs to a match arm or a select arm, never to a statement's start.
        ('=', Some('>')) => None,
        ('=', Some('=')) => Some("==".to_string()),
        ('=', _) => Some("=".to_string()),
        (c, Some(d)) if d == '=' || (d == c && "|>".contains(c)) => Some(format!("{c}{d}")),
        (c, _) => Some(c.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Mode;
    use super::*;

    fn rw(mode: Mode, src: &str, value: bool) -> String {
        let mut r = Rewriter::new(&"::gocsp".parse().unwrap(), mode);
        let out = r.block(&to_vec(src.parse().unwrap()), value).to_string();
        if let Some(e) = r.finish().into_error() {
            panic!("{e}");
        }
        out
    }

    fn err(mode: Mode, src: &str) -> String {
        let mut r = Rewriter::new(&"::gocsp".parse().unwrap(), mode);
        let _ = r.block(&to_vec(src.parse().unwrap()), false);
        r.finish().into_error().expect("an error").to_string()
    }

    #[test]
    fn declarations() {
        assert_eq!(
            rw(Mode::Go, "x := 1", false),
            "# [allow (unused_mut)] let mut x = 1 ;"
        );
        assert_eq!(
            rw(Mode::Go, "a, b := 1, 2", false),
            "# [allow (unused_mut)] let (mut a , mut b) = (1 , 2) ;"
        );
        assert_eq!(
            rw(Mode::Rust, "v, ok := <-ch", false),
            format!(
                "# [allow (unused_mut)] let (mut v , mut ok) = {} ;",
                crate::krate::named_text("recv_ok", "ch", None, &[])
            )
        );
    }

    #[test]
    fn send_and_receive_statements() {
        assert_eq!(
            rw(Mode::Go, "ch <- v + 1\n<-done", false),
            format!(
                "{} ; let _ = {} ;",
                crate::krate::named_text("send", "ch", None, &["v + 1"]),
                crate::krate::named_text("recv_option", "done", None, &[])
            )
        );
        // A trailing receive in a block whose value is used is the received value.
        assert_eq!(
            rw(Mode::Go, "<-ch", true),
            crate::krate::named_text("recv", "ch", None, &[])
        );
    }

    #[test]
    fn rust_mode_leaves_rust_alone() {
        let src = "let x = a\n    + b;\nfoo(x)";
        assert_eq!(rw(Mode::Rust, src, true), "let x = a + b ; foo (x)");
        // ... but ends a Rust statement before a Go form.
        assert_eq!(
            rw(Mode::Rust, "let x = f()\ntx <- x", false),
            format!(
                "let x = f () ; {} ;",
                crate::krate::named_text("send", "tx", None, &["x"])
            )
        );
    }

    #[test]
    fn go_mode_inserts_semicolons() {
        assert_eq!(rw(Mode::Go, "f()\ng()", true), "f () ; g ()");
        assert_eq!(rw(Mode::Go, "f()\ng()", false), "f () ; g () ;");
        assert_eq!(
            rw(Mode::Go, "if a { f() }\ng()", true),
            "if a { f () ; } g ()"
        );
    }

    #[test]
    fn loops() {
        assert_eq!(rw(Mode::Go, "for { f() }", false), "loop { f () ; }");
        assert_eq!(
            rw(Mode::Go, "for v := range ch { f(v) }", false),
            format!(
                "for v in {} {{ f (v) ; }}",
                crate::krate::named_text("range", "ch", None, &[])
            )
        );
        assert_eq!(
            rw(Mode::Go, "'outer: for range ch { break 'outer }", false),
            format!(
                "'outer : for _ in {} {{ break 'outer ; }}",
                crate::krate::named_text("range", "ch", None, &[])
            )
        );
        assert_eq!(
            rw(Mode::Go, "for x in xs { f(x) }", false),
            "for x in xs { f (x) ; }"
        );
    }

    #[test]
    fn errors_name_the_construct() {
        assert!(err(Mode::Go, "x++").contains("Go's `x++` is not supported"));
        assert!(err(Mode::Go, "for i := 0; i < n; i++ { }").contains("three-clause"));
        assert!(err(Mode::Go, "for x < 3 { }").contains("write `while condition"));
        assert!(err(Mode::Go, "go 5").contains("expression in go must be function call"));
        assert!(
            err(Mode::Go, "a, b := 1, 2, 3")
                .contains("assignment mismatch: 2 variables but 3 values")
        );
        assert!(
            err(Mode::Go, "go func(a int) { }()")
                .contains("not enough arguments in call to func literal")
        );
    }
}
