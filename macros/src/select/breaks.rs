//! Go's `break` in a select clause: it leaves the select, not the enclosing loop.
//!
//! A Go clause's body (`case ...:` or `default:`), already rewritten to Rust, becomes a
//! labeled block, and every `break` that would otherwise reach past it (one not inside a loop,
//! closure, `async` block or item of the body) is labeled with it:
//!
//! ```text
//! case v := <-rx: if v == 0 { break }; use(v)
//! // becomes
//! '__gocsp_select0: { if v == 0 { break '__gocsp_select0; }; use(v) }
//! ```
//!
//! An unlabeled `continue` inside a labeled block is an error in Rust (E0695), and the loop it
//! means has no label the macro could name, so such a `continue` sets a flag and leaves the
//! block; the `continue` after the block then acts on the loop around the select, as in Go:
//!
//! ```text
//! { let mut __gocsp_continue0 = false;
//!   '__gocsp_select0: { ... { __gocsp_continue0 = true; break '__gocsp_select0; } ... }
//!   if __gocsp_continue0 { continue; } }
//! ```
//!
//! Labeled `break 'l` / `continue 'l` are left alone. Nested selects get their own depth
//! number, so neither labels nor flags shadow each other. A body with no such `break` or
//! `continue` is returned as it was (no unused label).

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Lifetime};

const LABEL: &str = "__gocsp_select";
const FLAG: &str = "__gocsp_continue";

/// Scopes `break` in a Go clause body (`{ ... }`) to the select; `value`: the body's value
/// is used.
pub(crate) fn scope(body: TokenStream, value: bool) -> TokenStream {
    let Ok(mut block) = syn::parse2::<syn::Block>(body.clone()) else {
        return body;
    };
    let depth = depth(body.clone()).map_or(0, |d| d + 1);
    let mut v = Scoper {
        label: Lifetime {
            apostrophe: Span::mixed_site(),
            ident: Ident::new(&format!("{LABEL}{depth}"), Span::mixed_site()),
        },
        flag: Ident::new(&format!("{FLAG}{depth}"), Span::mixed_site()),
        breaks: false,
        continue_at: None,
    };
    v.visit_block_mut(&mut block);
    let label = &v.label;
    let flag = &v.flag;
    match v.continue_at {
        None if !v.breaks => body,
        None => quote!({ #label: #block }),
        Some(at) => {
            let again = quote_spanned!(at=> continue;);
            if value {
                let out = Ident::new(&format!("__gocsp_value{depth}"), Span::mixed_site());
                quote!({
                    let mut #flag = false;
                    let #out = #label: #block;
                    if #flag { #again }
                    #out
                })
            } else {
                quote!({
                    let mut #flag = false;
                    #label: #block
                    if #flag { #again }
                })
            }
        }
    }
}

/// The deepest select label already in `ts` (from selects nested in the body).
fn depth(ts: TokenStream) -> Option<u32> {
    let mut max = None;
    for tt in ts {
        let d = match tt {
            TokenTree::Group(g) => depth(g.stream()),
            TokenTree::Ident(i) => i
                .to_string()
                .strip_prefix(LABEL)
                .and_then(|n| n.parse().ok()),
            _ => None,
        };
        max = max.max(d);
    }
    max
}

struct Scoper {
    label: Lifetime,
    flag: Ident,
    breaks: bool,
    continue_at: Option<Span>,
}

impl VisitMut for Scoper {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            Expr::Break(b) if b.label.is_none() => {
                self.breaks = true;
                b.label = Some(self.label.clone());
                if let Some(v) = &mut b.expr {
                    self.visit_expr_mut(v);
                }
            }
            Expr::Continue(c) if c.label.is_none() => {
                let at = c.continue_token.span;
                self.continue_at.get_or_insert(at);
                let (flag, label) = (&self.flag, &self.label);
                *e = syn::parse_quote_spanned!(at=> { #flag = true; break #label; });
            }
            // Their own `break`/`continue` target, or none reachable from here.
            Expr::Loop(_)
            | Expr::While(_)
            | Expr::ForLoop(_)
            | Expr::Closure(_)
            | Expr::Async(_)
            | Expr::Const(_) => {}
            _ => visit_mut::visit_expr_mut(self, e),
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scoped(src: &str) -> String {
        scope(src.parse().unwrap(), false).to_string()
    }

    #[test]
    fn break_leaves_the_clause() {
        let out = scoped("{ if v == 0 { break; } f(v); }");
        assert!(out.starts_with("{ '__gocsp_select0 : {"), "{out}");
        assert!(out.contains("break '__gocsp_select0 ;"), "{out}");
    }

    #[test]
    fn loops_closures_and_labels_keep_their_break() {
        for src in [
            "{ for x in y { break; } }",
            "{ loop { break 1; } }",
            "{ while c { continue; } }",
            "{ let f = || loop { break }; }",
            "{ break 'outer; }",
            "{ continue 'outer; }",
            "{ f(); }",
        ] {
            assert_eq!(scoped(src), src.parse::<TokenStream>().unwrap().to_string());
        }
    }

    #[test]
    fn continue_acts_on_the_loop_around_the_select() {
        let out = scoped("{ if v == 0 { continue; } f(v); }");
        assert!(
            out.contains("{ __gocsp_continue0 = true ; break '__gocsp_select0 ; }"),
            "{out}"
        );
        assert!(
            out.ends_with("if __gocsp_continue0 { continue ; } }"),
            "{out}"
        );
    }

    #[test]
    fn nested_selects_get_deeper_labels() {
        let out = scoped("{ '__gocsp_select0 : { break '__gocsp_select0; } break; }");
        assert!(out.contains("break '__gocsp_select1"), "{out}");
    }
}
