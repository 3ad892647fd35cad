//! Go's channel types: `chan T` → `Chan<T>`, `chan<- T` → `Sender<T>`, `<-chan T` →
//! `Receiver<T>`, wherever a type goes. As in Go, `chan<-` binds to the leftmost `chan`:
//! `chan<- chan int` is a send-only channel of channels.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote_spanned;

use super::{ChanKind, Rewriter};
use crate::tokens::{
    is_group, is_ident, is_joint, is_larrow, is_path_sep, is_punct, is_thin_arrow, wrap,
};

impl Rewriter {
    /// At `ts[i]` starts `chan T`, `chan<- T` or `<-chan T`: returns the Rust type and the
    /// index just past it.
    pub(super) fn chan_type(&mut self, ts: &[TokenTree], i: usize) -> (TokenStream, usize) {
        let (kind, span, elem_at) = if is_larrow(ts, i) {
            (ChanKind::Receiver, ts[i + 2].span(), i + 3)
        } else if is_larrow(ts, i + 1) {
            (ChanKind::Sender, ts[i].span(), i + 3)
        } else {
            (ChanKind::Chan, ts[i].span(), i + 1)
        };
        let elem_at = elem_at.min(ts.len());
        let end = type_end(ts, elem_at);
        let elem = if end == elem_at {
            self.errors.at(
                ts.get(elem_at).map_or(span, TokenTree::span),
                "expected the element type after `chan` (Go's `chan T`, `chan<- T`, `<-chan T`)",
            );
            quote_spanned!(span=> ())
        } else {
            self.elem_type(&ts[elem_at..end])
        };
        let path = self.private(kind.name(), span);
        (quote_spanned!(span=> #path<#elem>), end)
    }

    /// A channel's element type. Go's `chan (<-chan T)` parentheses only group: Rust needs
    /// none (and would warn about them).
    pub(super) fn elem_type(&mut self, ts: &[TokenTree]) -> TokenStream {
        if let [TokenTree::Group(g)] = ts {
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            if g.delimiter() == Delimiter::Parenthesis
                && !inner.is_empty()
                && crate::tokens::split_commas(&inner, true).len() == 1
                && !is_punct(inner.last(), ',')
            {
                return self.types(&inner);
            }
        }
        self.types(ts)
    }

    /// Rewrites every Go channel type in `ts` (recursing into groups) and nothing else.
    pub(crate) fn types(&mut self, ts: &[TokenTree]) -> TokenStream {
        let mut out = TokenStream::new();
        let mut i = 0;
        while i < ts.len() {
            if starts_chan_type(ts, i) {
                let (ty, next) = self.chan_type(ts, i);
                out.extend(ty);
                i = next;
                continue;
            }
            match &ts[i] {
                TokenTree::Group(g) => {
                    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                    out.extend([wrap(g.delimiter(), self.types(&inner), g.span())]);
                }
                other => out.extend([other.clone()]),
            }
            i += 1;
        }
        out
    }
}

/// A Go channel type starts at `ts[i]`.
pub(super) fn starts_chan_type(ts: &[TokenTree], i: usize) -> bool {
    is_ident(ts.get(i), "chan") || (is_larrow(ts, i) && is_ident(ts.get(i + 2), "chan"))
}

/// The channel handle a parameter type names: `chan T`, `chan<- T`, `<-chan T`, or a path
/// ending in `Chan`, `Sender` or `Receiver`.
pub(crate) fn chan_kind_of(ts: &[TokenTree]) -> Option<ChanKind> {
    if is_larrow(ts, 0) && is_ident(ts.get(2), "chan") {
        return Some(ChanKind::Receiver);
    }
    if is_ident(ts.first(), "chan") {
        return Some(if is_larrow(ts, 1) {
            ChanKind::Sender
        } else {
            ChanKind::Chan
        });
    }
    let mut last = None;
    let mut i = if is_path_sep(ts, 0) { 2 } else { 0 };
    while let Some(TokenTree::Ident(id)) = ts.get(i) {
        last = Some(id.to_string());
        if is_path_sep(ts, i + 1) {
            i += 3;
        } else {
            break;
        }
    }
    ChanKind::of_name(&last?)
}

/// Index just past the Rust or Go type starting at `ts[i]` (`i` itself if none starts there),
/// never past the end of `ts`.
pub(crate) fn type_end(ts: &[TokenTree], i: usize) -> usize {
    let i = i.min(ts.len());
    type_end_in(ts, i).clamp(i, ts.len())
}

fn type_end_in(ts: &[TokenTree], i: usize) -> usize {
    let Some(tt) = ts.get(i) else { return i };
    if is_punct(Some(tt), '&') {
        let mut j = i + 1;
        if is_joint(ts.get(j), '\'') {
            j += 2;
        }
        if is_ident(ts.get(j), "mut") {
            j += 1;
        }
        return type_end(ts, j);
    }
    if is_punct(Some(tt), '*') {
        let mut j = i + 1;
        if is_ident(ts.get(j), "const") || is_ident(ts.get(j), "mut") {
            j += 1;
        }
        return type_end(ts, j);
    }
    if is_larrow(ts, i) && is_ident(ts.get(i + 2), "chan") {
        return type_end(ts, i + 3);
    }
    if is_ident(Some(tt), "chan") {
        return if is_larrow(ts, i + 1) {
            type_end(ts, i + 3)
        } else {
            type_end(ts, i + 1)
        };
    }
    if is_group(Some(tt), Delimiter::Parenthesis) || is_group(Some(tt), Delimiter::Bracket) {
        return i + 1;
    }
    if is_punct(Some(tt), '!') || is_ident(Some(tt), "_") {
        return i + 1;
    }
    if is_ident(Some(tt), "fn") || is_ident(Some(tt), "unsafe") || is_ident(Some(tt), "extern") {
        let Some(f) = (i..ts.len()).find(|&j| is_ident(ts.get(j), "fn")) else {
            return i;
        };
        let mut j = f + 1;
        if is_group(ts.get(j), Delimiter::Parenthesis) {
            j += 1;
        }
        if is_thin_arrow(ts, j) {
            j = type_end(ts, j + 2);
        }
        return j;
    }
    if is_ident(Some(tt), "dyn") || is_ident(Some(tt), "impl") {
        let mut j = i + 1;
        loop {
            if is_punct(ts.get(j), '?') {
                j += 1;
            }
            if is_joint(ts.get(j), '\'') {
                j += 2;
            } else {
                j = path_end(ts, j);
            }
            if is_punct(ts.get(j), '+') {
                j += 1;
                continue;
            }
            return j;
        }
    }
    if is_punct(Some(tt), '<') {
        // Qualified path: `<T as Trait>::Assoc`.
        let j = skip_angle(ts, i);
        return if is_path_sep(ts, j) {
            path_end(ts, j)
        } else {
            j
        };
    }
    if matches!(tt, TokenTree::Ident(_)) || is_path_sep(ts, i) {
        return path_end(ts, i);
    }
    i
}

/// Index past a path type (`a::B<C>::D`, `Fn(A) -> B`) starting at `i`.
fn path_end(ts: &[TokenTree], i: usize) -> usize {
    let mut j = i;
    if is_path_sep(ts, j) {
        j += 2;
    }
    loop {
        if !matches!(ts.get(j), Some(TokenTree::Ident(_))) {
            return j;
        }
        j += 1;
        if is_path_sep(ts, j) && is_punct(ts.get(j + 2), '<') {
            j += 2;
        }
        if is_punct(ts.get(j), '<') && !is_larrow(ts, j) {
            j = skip_angle(ts, j);
        } else if is_group(ts.get(j), Delimiter::Parenthesis) {
            j += 1;
            if is_thin_arrow(ts, j) {
                j = type_end(ts, j + 2);
            }
        }
        if is_path_sep(ts, j) {
            j += 2;
            continue;
        }
        return j;
    }
}

/// Index past the `<...>` starting at `ts[i]` (Go's `<-chan` and `chan<-` inside count as
/// types, `->` as an arrow).
pub(crate) fn skip_angle(ts: &[TokenTree], i: usize) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j < ts.len() {
        if is_larrow(ts, j) {
            j += 2;
            continue;
        }
        if is_thin_arrow(ts, j) {
            j += 2;
            continue;
        }
        if is_punct(ts.get(j), '<') {
            depth += 1;
        } else if is_punct(ts.get(j), '>') {
            depth -= 1;
            if depth == 0 {
                return j + 1;
            }
        }
        j += 1;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::super::Mode;
    use super::*;
    use crate::tokens::to_vec;

    fn rw(src: &str) -> String {
        let mut r = Rewriter::new(&"::gocsp".parse().unwrap(), Mode::Go);
        let out = r.types(&to_vec(src.parse().unwrap())).to_string();
        assert!(r.finish().is_empty());
        out
    }

    #[test]
    fn channel_types() {
        assert_eq!(rw("chan i32"), ":: gocsp :: __private :: Chan < i32 >");
        assert_eq!(rw("chan<- i32"), ":: gocsp :: __private :: Sender < i32 >");
        assert_eq!(
            rw("<-chan i32"),
            ":: gocsp :: __private :: Receiver < i32 >"
        );
        assert_eq!(
            rw("chan<- chan Vec<u8>"),
            ":: gocsp :: __private :: Sender < :: gocsp :: __private :: Chan < Vec < u8 > > >"
        );
        assert_eq!(
            rw("(a: <-chan T, b: chan<- (i32, String))"),
            "(a : :: gocsp :: __private :: Receiver < T > , b : :: gocsp :: __private :: Sender < (i32 , String) >)"
        );
    }

    #[test]
    fn type_extent() {
        let t = to_vec("Vec<HashMap<K, V>> , x".parse().unwrap());
        assert_eq!(type_end(&t, 0), t.len() - 2);
        let t = to_vec("&'a mut [u8] x".parse().unwrap());
        assert_eq!(type_end(&t, 0), t.len() - 1);
        let t = to_vec("Box<dyn Fn(i32) -> i32 + Send> x".parse().unwrap());
        assert_eq!(type_end(&t, 0), t.len() - 1);
    }
}
