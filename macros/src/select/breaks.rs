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
//!
//! A `select!` with `=>` arms nested in a clause keeps Rust's rule: its `break` leaves the
//! loop around both selects. [`mark_loop_breaks`] writes such a `break` as the marker
//! `$crate::__private::loop_break!(..)` (a plain `break` where nothing takes it), and the
//! clause carries it past its block with a flag, as it does a `continue`:
//!
//! ```text
//! { let mut __gocsp_break0 = false;
//!   '__gocsp_select0: { ... { __gocsp_break0 = true; break '__gocsp_select0; } ... }
//!   if __gocsp_break0 { $crate::__private::loop_break!() } }
//! ```
//!
//! The carried marker is again a marker, so a clause further out carries it on too. A `break`
//! with a value keeps it in an `Option` flag.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Lifetime, Macro, Stmt};

const LABEL: &str = "__gocsp_select";
const FLAG: &str = "__gocsp_continue";
const BREAK_FLAG: &str = "__gocsp_break";
const VALUE_FLAG: &str = "__gocsp_break_value";
const MARKER: &str = "loop_break";

/// Scopes `break` in a Go clause body (`{ ... }`) to the select; `value`: the body's value
/// is used.
pub(crate) fn scope(body: TokenStream, value: bool) -> TokenStream {
    let Ok(mut block) = syn::parse2::<syn::Block>(body.clone()) else {
        return body;
    };
    let depth = depth(body.clone()).map_or(0, |d| d + 1);
    let named = |prefix: &str| Ident::new(&format!("{prefix}{depth}"), Span::mixed_site());
    let mut v = Scoper {
        label: Lifetime {
            apostrophe: Span::mixed_site(),
            ident: named(LABEL),
        },
        flag: named(FLAG),
        break_flag: named(BREAK_FLAG),
        value_flag: named(VALUE_FLAG),
        breaks: false,
        continue_at: None,
        loop_break: None,
        loop_value: None,
    };
    v.visit_block_mut(&mut block);
    let label = &v.label;
    // The flags a `continue` or a carried loop `break` set, and what each does past the block.
    let mut flags = TokenStream::new();
    let mut after = TokenStream::new();
    if let Some(at) = v.continue_at {
        let flag = &v.flag;
        flags.extend(quote!(let mut #flag = false;));
        after.extend(quote_spanned!(at=> if #flag { continue; }));
    }
    if let Some(marker) = &v.loop_break {
        let flag = &v.break_flag;
        flags.extend(quote!(let mut #flag = false;));
        after.extend(quote!(if #flag { #marker!() }));
    }
    if let Some(marker) = &v.loop_value {
        let flag = &v.value_flag;
        let broke = Ident::new("__gocsp_broke", Span::mixed_site());
        flags.extend(quote!(let mut #flag = ::core::option::Option::None;));
        after.extend(quote!(
            if let ::core::option::Option::Some(#broke) = #flag { #marker!(#broke) }
        ));
    }
    if after.is_empty() {
        return if v.breaks {
            quote!({ #label: #block })
        } else {
            body
        };
    }
    if value {
        let out = named("__gocsp_value");
        quote!({
            #flags
            let #out = #label: #block;
            #after
            #out
        })
    } else {
        quote!({
            #flags
            #label: #block
            #after
        })
    }
}

/// Writes each `break` of a `=>` arm's body that would leave the body (one not inside a loop,
/// closure, `async` block or item of it) as the marker `krate::__private::loop_break!(..)`,
/// for a Go clause around the select to carry past its block (see the module's doc).
pub(crate) fn mark_loop_breaks(body: TokenStream, krate: &TokenStream) -> TokenStream {
    let Ok(mut block) = syn::parse2::<syn::Block>(body.clone()) else {
        return body;
    };
    let mut m = Marker {
        krate,
        marked: false,
    };
    m.visit_block_mut(&mut block);
    if m.marked { quote!(#block) } else { body }
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

/// Whether `mac` is the loop-`break` marker.
fn is_marker(mac: &Macro) -> bool {
    let mut names = mac.path.segments.iter().rev().map(|s| s.ident.to_string());
    names.next().is_some_and(|n| n == MARKER) && names.next().is_some_and(|n| n == "__private")
}

/// Whether `e` is its own target for `break`/`continue`, or reaches none past itself.
fn stops_breaks(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Loop(_)
            | Expr::While(_)
            | Expr::ForLoop(_)
            | Expr::Closure(_)
            | Expr::Async(_)
            | Expr::Const(_)
    )
}

struct Scoper {
    label: Lifetime,
    flag: Ident,
    break_flag: Ident,
    value_flag: Ident,
    breaks: bool,
    continue_at: Option<Span>,
    /// The marker path of a carried loop `break` without a value, and of one with a value.
    loop_break: Option<syn::Path>,
    loop_value: Option<syn::Path>,
}

impl Scoper {
    /// A loop-`break` marker met in the block: sets its flag and leaves the block.
    fn carry(&mut self, mac: &Macro) -> Expr {
        let label = &self.label;
        let at = mac
            .path
            .segments
            .last()
            .map_or_else(Span::call_site, |s| s.ident.span());
        if mac.tokens.is_empty() {
            self.loop_break.get_or_insert_with(|| mac.path.clone());
            let flag = &self.break_flag;
            syn::parse_quote_spanned!(at=> { #flag = true; break #label; })
        } else {
            self.loop_value.get_or_insert_with(|| mac.path.clone());
            let (flag, value) = (&self.value_flag, &mac.tokens);
            syn::parse_quote_spanned!(at=> {
                #flag = ::core::option::Option::Some(#value);
                break #label;
            })
        }
    }
}

impl VisitMut for Scoper {
    fn visit_stmt_mut(&mut self, s: &mut Stmt) {
        match s {
            Stmt::Macro(m) if is_marker(&m.mac) => {
                let e = self.carry(&m.mac);
                *s = Stmt::Expr(e, m.semi_token);
            }
            _ => visit_mut::visit_stmt_mut(self, s),
        }
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            Expr::Macro(m) if is_marker(&m.mac) => *e = self.carry(&m.mac),
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
            e if stops_breaks(e) => {}
            _ => visit_mut::visit_expr_mut(self, e),
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

struct Marker<'k> {
    krate: &'k TokenStream,
    marked: bool,
}

impl VisitMut for Marker<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            Expr::Break(b) if b.label.is_none() => {
                self.marked = true;
                let (krate, at) = (self.krate, b.break_token.span);
                *e = match b.expr.take() {
                    Some(value) => {
                        syn::parse_quote_spanned!(at=> #krate::__private::loop_break!(#value))
                    }
                    None => syn::parse_quote_spanned!(at=> #krate::__private::loop_break!()),
                };
            }
            e if stops_breaks(e) => {}
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
    fn a_marked_loop_break_is_carried_past_the_clause() {
        let arm = mark_loop_breaks(
            "{ if w == 0 { break; } for x in y { break; } break w; }"
                .parse()
                .unwrap(),
            &"::gocsp".parse().unwrap(),
        )
        .to_string();
        assert_eq!(arm.matches("loop_break !").count(), 2, "{arm}");
        assert!(arm.contains("for x in y { break ; }"), "{arm}");
        let out = scoped(&format!("{{ {arm}; }}"));
        assert!(
            out.contains("{ __gocsp_break0 = true ; break '__gocsp_select0 ; }"),
            "{out}"
        );
        assert!(
            out.contains("if __gocsp_break0 { :: gocsp :: __private :: loop_break ! () }"),
            "{out}"
        );
        assert!(
            out.contains("__gocsp_break_value0 = :: core :: option :: Option :: Some (w)"),
            "{out}"
        );
        assert!(out.contains("loop_break ! (__gocsp_broke)"), "{out}");
    }

    #[test]
    fn nested_selects_get_deeper_labels() {
        let out = scoped("{ '__gocsp_select0 : { break '__gocsp_select0; } break; }");
        assert!(out.contains("break '__gocsp_select1"), "{out}");
    }
}
