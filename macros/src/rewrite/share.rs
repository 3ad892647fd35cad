//! Go's sharing closures for `go func(){...}()`: the goroutine shares the gocsp handles it
//! captures, and moves everything else.
//!
//! A Rust `move` closure moves every capture, so a channel or `WaitGroup` used after the `go`
//! line would be a "borrow of moved value". The macro cannot see types, so it reads the
//! declarations it can see in the enclosing function (its parameters, `x := e`, `let x = e`)
//! and counts a name as a handle when its declared type or initializer names one:
//! `make(chan T)`, a `chan` type, `Chan`, `Sender`, `Receiver`, `WaitGroup`, `Context` (and
//! `context::background`/`with_cancel`/...), `Arc`, `Semaphore`, `errgroup`, `Timer`,
//! `Ticker`. Each such name the literal's body uses is cloned into it
//! (`let wg = Clone::clone(&wg);` before the spawn); all clones share state with the
//! original, as Go's values do. Limits: a handle reached through an expression the macro
//! cannot classify (`x := make_pipeline()`) is moved, as in `go!`; clone it by hand
//! (`let x2 = x.clone();`) or pass it as an argument.

use std::collections::HashSet;

use proc_macro2::{Delimiter, Ident, TokenTree};

use crate::tokens::{is_colon_eq, is_ident, is_lone_colon, is_punct, split_commas, to_vec};

/// Words in a declared type or initializer that make the name a shared handle.
const HANDLE_WORDS: &[&str] = &[
    "chan",
    "Chan",
    "Sender",
    "Receiver",
    "WaitGroup",
    "Context",
    "Arc",
    "Semaphore",
    "errgroup",
    "Timer",
    "Ticker",
    "background",
    "with_cancel",
    "with_timeout",
    "with_deadline",
    "with_value",
];

fn names_handle(ts: &[TokenTree]) -> bool {
    ts.iter().enumerate().any(|(k, t)| match t {
        TokenTree::Ident(id) => {
            let s = id.to_string();
            HANDLE_WORDS.contains(&s.as_str())
                || (s == "make"
                    && matches!(ts.get(k + 1), Some(TokenTree::Group(g))
                        if g.delimiter() == Delimiter::Parenthesis
                            && is_ident(to_vec(g.stream()).first(), "chan")))
        }
        _ => false,
    })
}

fn line(t: &TokenTree) -> usize {
    t.span().start().line
}

/// The handle names declared by a function's parameters (`params`, Go or Rust style) and in
/// its body, at any depth.
pub(super) fn handles(params: &[TokenTree], body: &[TokenTree]) -> HashSet<String> {
    let mut out = HashSet::new();
    for (names, ty) in params_by_type(params) {
        if names_handle(ty) && !is_punct(ty.first(), '&') {
            out.extend(names);
        }
    }
    body_handles(body, &mut out);
    out
}

/// A function's parameters (Go or Rust style), grouped by the type they are declared with:
/// Go's `a, b chan int` gives `([a, b], chan int)`, Rust's `mut x: T` gives `([x], T)`.
pub(super) fn params_by_type(params: &[TokenTree]) -> Vec<(Vec<String>, &[TokenTree])> {
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for part in split_commas(params, true) {
        let (name, ty) = match (0..part.len()).find(|&i| is_lone_colon(part, i)) {
            Some(c) => (&part[..c], &part[c + 1..]),
            None if part.len() == 1 => {
                pending.push(part[0].to_string());
                continue;
            }
            None => part.split_at(1 + usize::from(is_ident(part.first(), "mut"))),
        };
        let names = pending
            .drain(..)
            .chain(name.last().map(ToString::to_string))
            .collect();
        out.push((names, ty));
    }
    out
}

fn body_handles(ts: &[TokenTree], out: &mut HashSet<String>) {
    for (i, t) in ts.iter().enumerate() {
        if let TokenTree::Group(g) = t {
            body_handles(&to_vec(g.stream()), out);
            continue;
        }
        // `a, b := e` (on one line).
        if is_colon_eq(ts, i) {
            let ln = line(t);
            let rhs: Vec<TokenTree> = ts[i + 2..]
                .iter()
                .take_while(|r| line(r) == ln && !is_punct(Some(r), ';'))
                .cloned()
                .collect();
            if names_handle(&rhs) {
                let mut k = i;
                while k > 0 {
                    match &ts[k - 1] {
                        TokenTree::Ident(id) if line(&ts[k - 1]) == ln => {
                            out.insert(id.to_string());
                        }
                        TokenTree::Punct(p) if p.as_char() == ',' => {}
                        _ => break,
                    }
                    k -= 1;
                }
            }
        }
        // `let [mut] x[: T] = e;`.
        if is_ident(Some(t), "let") {
            let mut k = i + 1;
            if is_ident(ts.get(k), "mut") {
                k += 1;
            }
            let Some(TokenTree::Ident(name)) = ts.get(k) else {
                continue;
            };
            let end = (k + 1..ts.len())
                .find(|&j| is_punct(ts.get(j), ';'))
                .unwrap_or(ts.len());
            if names_handle(&ts[k + 1..end]) {
                out.insert(name.to_string());
            }
        }
    }
}

/// The handles in `shared` that `body` uses (not as a field or path segment), minus the
/// literal's own parameter names, in order of first use, spelled as in the body.
pub(super) fn captures(
    shared: &HashSet<String>,
    body: &[TokenTree],
    params: &HashSet<String>,
) -> Vec<Ident> {
    // A name the body declares again is left alone (its clone could go unused).
    let mut own = params.clone();
    declared(body, &mut own);
    let mut out: Vec<Ident> = Vec::new();
    uses(shared, body, &own, &mut out);
    out
}

/// Every name `ts` declares with `x := e`, `a, b := e` or `let [mut] x`.
pub(super) fn declared(ts: &[TokenTree], out: &mut HashSet<String>) {
    for (i, t) in ts.iter().enumerate() {
        if let TokenTree::Group(g) = t {
            declared(&to_vec(g.stream()), out);
        } else if is_colon_eq(ts, i) {
            let mut k = i;
            while k > 0 {
                match &ts[k - 1] {
                    TokenTree::Ident(id) => {
                        out.insert(id.to_string());
                    }
                    TokenTree::Punct(p) if p.as_char() == ',' => {}
                    _ => break,
                }
                k -= 1;
            }
        } else if is_ident(Some(t), "let") {
            let k = i + 1 + usize::from(is_ident(ts.get(i + 1), "mut"));
            if let Some(TokenTree::Ident(id)) = ts.get(k) {
                out.insert(id.to_string());
            }
        }
    }
}

fn uses(
    shared: &HashSet<String>,
    ts: &[TokenTree],
    params: &HashSet<String>,
    out: &mut Vec<Ident>,
) {
    for (i, t) in ts.iter().enumerate() {
        match t {
            TokenTree::Group(g) => uses(shared, &to_vec(g.stream()), params, out),
            TokenTree::Ident(id) => {
                let s = id.to_string();
                let prev = i.checked_sub(1).and_then(|p| ts.get(p));
                // After `.` or after a path's `::` it is a field or an item, not the variable;
                // after a lone `:` (a `case ...:` clause, a type ascription) it still is.
                let after_path =
                    is_punct(prev, ':') && is_punct(i.checked_sub(2).and_then(|p| ts.get(p)), ':');
                let field = is_punct(prev, '.') || after_path;
                let path = is_punct(ts.get(i + 1), ':') && is_punct(ts.get(i + 2), ':');
                if shared.contains(&s)
                    && !params.contains(&s)
                    && !field
                    && !path
                    && !out.iter().any(|o| *o == s)
                {
                    out.push(id.clone());
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<TokenTree> {
        to_vec(src.parse().unwrap())
    }

    fn sorted(set: HashSet<String>) -> Vec<String> {
        let mut v: Vec<String> = set.into_iter().collect();
        v.sort();
        v
    }

    #[test]
    fn declarations_that_name_a_handle() {
        let params = toks("a, b chan<- i32, n usize, ctx: Context, r &Receiver<i32>");
        let body = toks(
            "wg := WaitGroup::new()\nc := make(chan i32, 1)\nv := make(chan i32)\nx := compute()\n\
             let s = Arc::new(1);\nlet mut t: Timer = f();\nlet q = 5;\n\
             cx, cancel := context::with_cancel(&ctx)\nif true { inner := make(chan u8) }",
        );
        assert_eq!(
            sorted(handles(&params, &body)),
            [
                "a", "b", "c", "cancel", "ctx", "cx", "inner", "s", "t", "v", "wg"
            ]
        );
    }

    #[test]
    fn captures_skip_fields_paths_and_own_parameters() {
        let shared: HashSet<String> = ["wg", "ch", "out", "q"].map(String::from).into();
        let own: HashSet<String> = ["out".to_string()].into();
        let body = toks(
            "defer wg.done()\n self.ch <- 1\n ch::f()\n out <- 2\n ch <- 3\n wg.add(1)\n if c { q := 1 }",
        );
        let got: Vec<String> = captures(&shared, &body, &own)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(got, ["wg", "ch"]);
    }

    #[test]
    fn a_capture_right_after_a_case_colon_is_shared() {
        let shared: HashSet<String> = ["done", "ticks"].map(String::from).into();
        let body = toks(
            "select {
 case <-done:
 ticks <- 1
 }",
        );
        let got: Vec<String> = captures(&shared, &body, &HashSet::new())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(got, ["done", "ticks"]);
    }
}
