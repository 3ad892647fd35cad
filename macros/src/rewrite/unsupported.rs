//! Go constructs `go_syntax!` does not take, each reported with its name, what to write
//! instead and the list of supported forms; where a close Rust form exists the statement is
//! still expanded to it, so the one mistake does not cascade.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

use super::Rewriter;
use super::split::Stmt;
use crate::diag::GO_FORMS;
use crate::tokens::{ident_str, is_assign, is_group, is_ident, is_lone_colon, is_punct};

/// The error for a `func` literal anywhere but right after `go` or `defer`.
pub(super) const FUNC_LITERAL: &str = "a Go `func` literal is supported in go_syntax! only as \
     `go func(params) { body }(args)` or `defer func() { body }()`; elsewhere write a Rust \
     closure `|x| ...` or a `fn` item";

impl Rewriter {
    /// Reports an unsupported Go statement starting with `ts[0]`; `None` if it is not one.
    pub(super) fn unsupported_stmt(&mut self, ts: &[TokenTree]) -> Option<TokenStream> {
        let head = ident_str(ts.first())?;
        let span = ts[0].span();
        let (what, advice) = match head.as_str() {
            "switch" => {
                self.errors.at(
                    span,
                    format!("Go's `switch` is not supported in go_syntax!: use Rust's `match` (or `if`/`else if`). {GO_FORMS}"),
                );
                // Keep the tag evaluated, so what it uses does not look unused.
                let end = (1..ts.len())
                    .find(|&i| is_group(ts.get(i), Delimiter::Brace))
                    .unwrap_or(ts.len());
                if end > 1 {
                    let tag = self.expr(&ts[1..end], true);
                    return Some(quote_spanned!(span=> let _ = &(#tag);));
                }
                return Some(TokenStream::new());
            }
            "var" => return Some(self.var_decl(ts, span)),
            "goto" => (
                "`goto`",
                "use a labeled loop with `break 'label` or `continue 'label`",
            ),
            "fallthrough" => ("`fallthrough`", "join the cases of a `match` arm with `|`"),
            "func" => {
                self.errors.at(span, format!("{FUNC_LITERAL}. {GO_FORMS}"));
                return Some(TokenStream::new());
            }
            "import" | "package" => (
                "Go's `import` and `package`",
                "use Rust's `use` and modules",
            ),
            "case" => (
                "`case` outside a `select`",
                "write `select { case ...: ... }`",
            ),
            "default" if is_lone_colon(ts, 1) => (
                "`default:` outside a `select`",
                "write `select { case ...: ... default: ... }`",
            ),
            "range" => (
                "`range` outside a `for` header",
                "write `for v := range ch { }`",
            ),
            "select" => (
                "`select` without its `{ }` body",
                "write `select { case v := <-ch: ... }`",
            ),
            "type" if is_ident(ts.get(2), "struct") || is_ident(ts.get(2), "interface") => (
                "Go type declarations",
                "use Rust's `struct` and `trait` items",
            ),
            "const" if is_group(ts.get(1), Delimiter::Parenthesis) => (
                "Go's grouped `const ( ... )`",
                "declare each with Rust's `const NAME: T = value;`",
            ),
            "if" => {
                let header_end = (1..ts.len()).find(|&i| is_group(ts.get(i), Delimiter::Brace))?;
                let semi = (1..header_end).find(|&i| is_punct(ts.get(i), ';'))?;
                self.errors.at(
                    span,
                    format!(
                        "`if` with an init statement (`if x := f(); cond {{ }}`) is not supported in go_syntax!: declare first (`x := f()` on its own line), then `if cond {{ }}`. {GO_FORMS}"
                    ),
                );
                // Expand as Go scopes it: `{ init; if cond { ... } }`.
                let init = Stmt {
                    tokens: ts[1..semi].to_vec(),
                    semi: None,
                };
                let init = self.statement(&init, false, false, true);
                let mut rest = vec![ts[0].clone()];
                rest.extend(ts[semi + 1..].iter().cloned());
                let rest = self.expr(&rest, false);
                return Some(quote_spanned!(span=> { #init #rest }));
            }
            _ => return None,
        };
        self.errors.at(
            span,
            format!("{what} is not supported in go_syntax!: {advice}. {GO_FORMS}"),
        );
        Some(TokenStream::new())
    }

    /// Go's three-clause `for init; cond; post { }`: reported, and expanded as
    /// `{ init; while cond { body post } }` so the loop's names stay bound.
    pub(super) fn unsupported_three_clause(
        &mut self,
        span: Span,
        header: &[TokenTree],
        body: &TokenTree,
    ) -> TokenStream {
        self.errors.at(
            span,
            format!(
                "Go's three-clause `for init; cond; post {{ }}` loop is not supported in go_syntax!: write `for i in 0..n {{ }}`, `while cond {{ }}` or `loop {{ }}`. {GO_FORMS}"
            ),
        );
        let parts: Vec<&[TokenTree]> = header.split(|t| is_punct(Some(t), ';')).collect();
        let [init, cond, post] = parts[..] else {
            return TokenStream::new();
        };
        let init = self.statement(
            &Stmt {
                tokens: init.to_vec(),
                semi: None,
            },
            false,
            false,
            true,
        );
        let cond = if cond.is_empty() {
            quote!(true)
        } else {
            self.expr(cond, true)
        };
        let n = post.len();
        let post = if n >= 2 && is_punct(post.get(n - 1), '+') && is_punct(post.get(n - 2), '+') {
            let lhs = self.expr(&post[..n - 2], true);
            quote!(#lhs += 1;)
        } else if n >= 2 && is_punct(post.get(n - 1), '-') && is_punct(post.get(n - 2), '-') {
            let lhs = self.expr(&post[..n - 2], true);
            quote!(#lhs -= 1;)
        } else if n > 0 {
            let p = self.expr(post, true);
            quote!(#p;)
        } else {
            quote!()
        };
        quote_spanned!(span=> { #init while #cond { #body #post } })
    }

    /// `var x T = e`: reported, and expanded as `let mut x: T = e` (or `T::default()`).
    fn var_decl(&mut self, ts: &[TokenTree], span: Span) -> TokenStream {
        self.errors.at(
            span,
            format!(
                "Go's `var` declaration is not supported in go_syntax!: write `x := value` or Rust's `let mut x: T = value`. {GO_FORMS}"
            ),
        );
        let Some(TokenTree::Ident(name)) = ts.get(1) else {
            return TokenStream::new();
        };
        let eq = (2..ts.len()).find(|&i| is_assign(ts, i));
        let ty_toks = &ts[2..eq.unwrap_or(ts.len())];
        let ty = self.types(ty_toks);
        let ty = if ty_toks.is_empty() {
            quote!()
        } else {
            quote!(: #ty)
        };
        let value = match eq {
            Some(k) => self.expr(&ts[k + 1..], true),
            None => quote_spanned!(span=> ::core::default::Default::default()),
        };
        quote_spanned!(span=> #[allow(unused_mut)] let mut #name #ty = #value;)
    }
}
