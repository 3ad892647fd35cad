//! Splitting a block's tokens into statements, the way Go's lexer does.
//!
//! A statement ends at `;`, at the end of a line whose last token could end a Go statement (an
//! identifier, a literal, a closing bracket, `?`, `++`, `--`, `return` ...) unless the next
//! line starts with `.` or `?` (Rust's method-chain style), and after the body of a block-like
//! statement (`if`/`else` chains, loops, `match`, `select`, blocks) or an item. Items and
//! attribute-only lines never end at a line break; a `for`/`if` header keeps its `;` (Go's
//! three-clause `for` and `if x := f(); c`, reported as unsupported later).
//!
//! In Rust mode (bodies of `go!` and `select!`) the same split is used, but only the Go forms
//! depend on it: Rust statements are emitted exactly as written.

use proc_macro2::{Delimiter, TokenTree};

use crate::tokens::{
    continues_line, end_line, ends_go_line, is_group, is_ident, is_joint, is_lone_colon, is_punct,
    start_line,
};

/// One statement: its tokens and the `;` that ended it, if any.
#[derive(Debug)]
pub(crate) struct Stmt {
    pub(crate) tokens: Vec<TokenTree>,
    pub(crate) semi: Option<TokenTree>,
}

/// How a statement ends, decided by its first tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Ends at `;` or a line break.
    Plain,
    /// An item: ends at its body (or `;`), never at a line break.
    Item,
    /// `if`: ends after its body unless `else` follows.
    If,
    /// `for`, `switch`: ends after the first top-level brace group; keeps `;` in its header.
    HeaderLoop,
    /// `while`, `loop`, `match`, `unsafe { }`, `select { }`, `{ }`: ends after its body.
    Block,
}

/// Index just past the outer attributes (`#[...]`) at the start of `ts`.
pub(crate) fn skip_attrs(ts: &[TokenTree]) -> usize {
    let mut i = 0;
    while is_punct(ts.get(i), '#') && is_group(ts.get(i + 1), Delimiter::Bracket) {
        i += 2;
    }
    i
}

/// Index just past a loop label (`'outer:`) at `i`, or `i`.
pub(crate) fn skip_label(ts: &[TokenTree], i: usize) -> usize {
    if is_joint(ts.get(i), '\'')
        && matches!(ts.get(i + 1), Some(TokenTree::Ident(_)))
        && is_lone_colon(ts, i + 2)
    {
        i + 3
    } else {
        i
    }
}

/// Go's labels made Rust's: `Outer:` at the start of a statement before `for` (or `loop`,
/// `while`) becomes `'Outer:`, and `break Outer` / `continue Outer` anywhere inside the block
/// become `break 'Outer` / `continue 'Outer`. `None` if the block declares no label.
pub(crate) fn go_labels(ts: &[TokenTree]) -> Option<Vec<TokenTree>> {
    let names: Vec<String> = (0..ts.len())
        .filter(|&i| is_go_label(ts, i))
        .map(|i| ts[i].to_string())
        .collect();
    (!names.is_empty()).then(|| relabel(ts, &names, true))
}

/// A Go label at `ts[i]`: a name at the start of a statement, then a lone `:`, then a loop.
fn is_go_label(ts: &[TokenTree], i: usize) -> bool {
    let TokenTree::Ident(id) = &ts[i] else {
        return false;
    };
    // A statement's start: the block's first token, or after `;`, or at the start of a line
    // that does not continue a list (a bound `F: for<'a> Fn(..)` in a `where` clause or in
    // `<...>` follows a `,`, `<` or `where`).
    let prev = i.checked_sub(1).and_then(|p| ts.get(p));
    let starts = i == 0
        || is_punct(prev, ';')
        || (start_line(&ts[i]) > end_line(&ts[i - 1])
            && !is_punct(prev, ',')
            && !is_punct(prev, '<')
            && !is_ident(prev, "where"));
    // `for<'a>` is a higher-ranked bound, never a loop.
    let hrtb = is_punct(ts.get(i + 3), '<');
    starts
        && !crate::tokens::is_keyword(&id.to_string())
        && is_lone_colon(ts, i + 1)
        && !hrtb
        && ["for", "loop", "while"]
            .iter()
            .any(|kw| is_ident(ts.get(i + 2), kw))
}

fn relabel(ts: &[TokenTree], names: &[String], top: bool) -> Vec<TokenTree> {
    use proc_macro2::{Group, Punct, Spacing};
    let lifetime = |id: &TokenTree| {
        let mut tick = Punct::new('\'', Spacing::Joint);
        tick.set_span(id.span());
        [TokenTree::Punct(tick), id.clone()]
    };
    let named = |t: Option<&TokenTree>| match t {
        Some(TokenTree::Ident(id)) => names.iter().any(|n| id == n),
        _ => false,
    };
    let mut out = Vec::with_capacity(ts.len() + 2);
    let mut i = 0;
    while i < ts.len() {
        match &ts[i] {
            t if top && is_go_label(ts, i) && named(Some(t)) => out.extend(lifetime(t)),
            TokenTree::Ident(kw) if (kw == "break" || kw == "continue") && named(ts.get(i + 1)) => {
                out.push(ts[i].clone());
                out.extend(lifetime(&ts[i + 1]));
                i += 1;
            }
            TokenTree::Group(g) => {
                let inner = relabel(&crate::tokens::to_vec(g.stream()), names, false);
                let mut group = Group::new(g.delimiter(), inner.into_iter().collect());
                group.set_span(g.span());
                out.push(TokenTree::Group(group));
            }
            t => out.push(t.clone()),
        }
        i += 1;
    }
    out
}

/// Index of the item keyword if `ts` (after attributes) starts an item: visibility and
/// qualifiers, then `fn`, `impl`, `struct`, ... Returns the keyword's index.
pub(crate) fn item_keyword(ts: &[TokenTree]) -> Option<usize> {
    let mut i = skip_attrs(ts);
    if is_ident(ts.get(i), "pub") {
        i += 1;
        if is_group(ts.get(i), Delimiter::Parenthesis) {
            i += 1;
        }
    }
    loop {
        let q = ts.get(i);
        if is_ident(q, "const") || is_ident(q, "async") || is_ident(q, "default") {
            // `const {` / `async {` / `async move {` are block expressions, `const X` an item.
            if is_group(ts.get(i + 1), Delimiter::Brace) || is_ident(ts.get(i + 1), "move") {
                return None;
            }
            if is_ident(q, "const")
                && !is_ident(ts.get(i + 1), "fn")
                && !is_ident(ts.get(i + 1), "unsafe")
            {
                return None; // `const X: T = ...;` is a plain statement
            }
            i += 1;
        } else if is_ident(q, "unsafe") {
            if is_group(ts.get(i + 1), Delimiter::Brace) {
                return None;
            }
            i += 1;
        } else if is_ident(q, "extern") {
            i += 1;
            if matches!(ts.get(i), Some(TokenTree::Literal(_))) {
                i += 1;
            }
            if is_group(ts.get(i), Delimiter::Brace) {
                return Some(i - 1);
            }
            if is_ident(ts.get(i), "crate") {
                return None;
            }
        } else {
            break;
        }
    }
    let kw = ts.get(i)?;
    let is_item = ["fn", "impl", "struct", "enum", "trait", "mod", "union"]
        .iter()
        .any(|k| is_ident(Some(kw), k))
        || (is_ident(Some(kw), "macro_rules") && is_punct(ts.get(i + 1), '!'));
    is_item.then_some(i)
}

/// The shape of a statement starting with `ts`.
pub(crate) fn shape(ts: &[TokenTree]) -> Shape {
    if item_keyword(ts).is_some() {
        return Shape::Item;
    }
    let i = skip_label(ts, skip_attrs(ts));
    let head = ts.get(i);
    if is_ident(head, "if") {
        Shape::If
    } else if is_ident(head, "for") || is_ident(head, "switch") {
        Shape::HeaderLoop
    } else if is_ident(head, "while")
        || is_ident(head, "loop")
        || is_ident(head, "match")
        || (is_ident(head, "unsafe") && is_group(ts.get(i + 1), Delimiter::Brace))
        || (is_ident(head, "select") && is_group(ts.get(i + 1), Delimiter::Brace))
        || (i == ts.len().saturating_sub(1) && is_group(head, Delimiter::Brace))
    {
        Shape::Block
    } else {
        Shape::Plain
    }
}

/// Whether `ts` is nothing but outer attributes.
fn only_attrs(ts: &[TokenTree]) -> bool {
    !ts.is_empty() && skip_attrs(ts) == ts.len()
}

/// Splits a block's tokens into statements.
pub(crate) fn split(ts: &[TokenTree]) -> Vec<Stmt> {
    let mut out = Vec::new();
    let mut cur: Vec<TokenTree> = Vec::new();
    let mut i = 0;
    while i < ts.len() {
        let tt = &ts[i];
        if is_punct(Some(tt), ';') {
            let in_header = !cur.is_empty() && matches!(shape(&cur), Shape::HeaderLoop | Shape::If);
            if !in_header {
                out.push(Stmt {
                    tokens: std::mem::take(&mut cur),
                    semi: Some(tt.clone()),
                });
                i += 1;
                continue;
            }
        }
        cur.push(tt.clone());
        let sh = shape(&cur);
        let mut end = false;
        if is_group(Some(tt), Delimiter::Brace) && !is_block_in_header(&cur) {
            end = match sh {
                Shape::Item | Shape::Block | Shape::HeaderLoop => true,
                Shape::If => !is_ident(ts.get(i + 1), "else"),
                Shape::Plain => false,
            };
        }
        if !end && let Some(next) = ts.get(i + 1) {
            let newline = start_line(next) > end_line(tt);
            end = newline
                && sh == Shape::Plain
                && !only_attrs(&cur)
                && ends_go_line(ts, i)
                && !continues_line(ts, i + 1);
        }
        if end {
            out.push(Stmt {
                tokens: std::mem::take(&mut cur),
                semi: None,
            });
        }
        i += 1;
    }
    if !cur.is_empty() {
        out.push(Stmt {
            tokens: cur,
            semi: None,
        });
    }
    out
}

/// A brace group just pushed onto `cur` that belongs to the header rather than ending the
/// statement: a closure body inside a header (`for x in it.map(|v| { v })` has it inside the
/// parentheses, so only a closure written directly in the header counts).
fn is_block_in_header(cur: &[TokenTree]) -> bool {
    let n = cur.len();
    n >= 2 && is_punct(cur.get(n - 2), '|')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::to_vec;

    fn stmts(src: &str) -> Vec<String> {
        split(&to_vec(src.parse().unwrap()))
            .into_iter()
            .map(|s| {
                let mut t: proc_macro2::TokenStream = s.tokens.into_iter().collect();
                t.extend(s.semi);
                t.to_string()
            })
            .collect()
    }

    #[test]
    fn lines_end_statements() {
        assert_eq!(stmts("x := 1\ny := 2"), ["x := 1", "y := 2"]);
        assert_eq!(stmts("a; b"), ["a ;", "b"]);
        assert_eq!(stmts("ch <- v\n<-done"), ["ch <- v", "<- done"]);
    }

    #[test]
    fn operators_and_method_chains_continue() {
        assert_eq!(stmts("x := a +\n b\nc"), ["x := a + b", "c"]);
        assert_eq!(
            stmts("v.iter()\n .map(f)\n .count()"),
            ["v . iter () . map (f) . count ()"]
        );
        assert_eq!(stmts("f()\n?\nx"), ["f () ?", "x"]);
    }

    #[test]
    fn block_statements_end_at_body() {
        assert_eq!(
            stmts("if a { b } else { c } d"),
            ["if a { b } else { c }", "d"]
        );
        assert_eq!(stmts("for { x } y"), ["for { x }", "y"]);
        assert_eq!(
            stmts("for i := 0; i < n; i++ { }"),
            ["for i := 0 ; i < n ; i ++ { }"]
        );
        assert_eq!(
            stmts("select { case <-a: }\nz"),
            ["select { case <- a : }", "z"]
        );
    }

    #[test]
    fn items_ignore_line_breaks() {
        assert_eq!(
            stmts("fn f<T>(x: T)\nwhere T: Send\n{ x }\ng()"),
            ["fn f < T > (x : T) where T : Send { x }", "g ()"]
        );
        assert_eq!(stmts("#[inline]\nfn f() {}"), ["# [inline] fn f () { }"]);
    }

    #[test]
    fn go_func_call_is_one_statement() {
        assert_eq!(
            stmts("go func(x int) {\n  y(x)\n}(1)\nz"),
            ["go func (x int) { y (x) } (1)", "z"]
        );
    }

    #[test]
    fn increments_end_lines() {
        assert_eq!(stmts("x++\ny"), ["x ++", "y"]);
    }
}
