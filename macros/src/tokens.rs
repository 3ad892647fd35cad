//! Token-level helpers shared by every macro.
//!
//! Go's operators are not Rust tokens, so the parsers look at raw token trees: `<-` is a `<`
//! with `Joint` spacing followed by `-` (so `a < -b` stays a comparison), `:=` is a joint `:`
//! followed by `=`. Line numbers come from token spans (`proc_macro2`'s `span-locations`,
//! backed by `proc_macro::Span::line` since Rust 1.88).

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};

/// A token list the parsers index into.
pub(crate) type Tokens = Vec<TokenTree>;

/// Collects a stream into an indexable list.
pub(crate) fn to_vec(ts: TokenStream) -> Tokens {
    ts.into_iter().collect()
}

/// Turns a slice back into a stream.
pub(crate) fn stream(ts: &[TokenTree]) -> TokenStream {
    ts.iter().cloned().collect()
}

/// `tt` is the punctuation `ch`.
pub(crate) fn is_punct(tt: Option<&TokenTree>, ch: char) -> bool {
    matches!(tt, Some(TokenTree::Punct(p)) if p.as_char() == ch)
}

/// `tt` is the punctuation `ch` glued to the next token.
pub(crate) fn is_joint(tt: Option<&TokenTree>, ch: char) -> bool {
    matches!(tt, Some(TokenTree::Punct(p)) if p.as_char() == ch && p.spacing() == proc_macro2::Spacing::Joint)
}

/// `tt` is the identifier (or keyword) `name`.
pub(crate) fn is_ident(tt: Option<&TokenTree>, name: &str) -> bool {
    matches!(tt, Some(TokenTree::Ident(i)) if i == name)
}

/// The identifier's text, if `tt` is one.
pub(crate) fn ident_str(tt: Option<&TokenTree>) -> Option<String> {
    match tt {
        Some(TokenTree::Ident(i)) => Some(i.to_string()),
        _ => None,
    }
}

/// `tt` is a group with delimiter `d`.
pub(crate) fn is_group(tt: Option<&TokenTree>, d: Delimiter) -> bool {
    matches!(tt, Some(TokenTree::Group(g)) if g.delimiter() == d)
}

/// The group, if `tt` is one with delimiter `d`.
pub(crate) fn group(tt: Option<&TokenTree>, d: Delimiter) -> Option<&Group> {
    match tt {
        Some(TokenTree::Group(g)) if g.delimiter() == d => Some(g),
        _ => None,
    }
}

/// Go's receive/send operator `<-` starts at `i` (no space between `<` and `-`).
pub(crate) fn is_larrow(ts: &[TokenTree], i: usize) -> bool {
    is_joint(ts.get(i), '<') && is_punct(ts.get(i + 1), '-')
}

/// Go's short variable declaration `:=` starts at `i`.
pub(crate) fn is_colon_eq(ts: &[TokenTree], i: usize) -> bool {
    is_joint(ts.get(i), ':') && is_punct(ts.get(i + 1), '=')
}

/// `=>` starts at `i`.
pub(crate) fn is_fat_arrow(ts: &[TokenTree], i: usize) -> bool {
    is_joint(ts.get(i), '=') && is_punct(ts.get(i + 1), '>')
}

/// `->` starts at `i`.
pub(crate) fn is_thin_arrow(ts: &[TokenTree], i: usize) -> bool {
    is_joint(ts.get(i), '-') && is_punct(ts.get(i + 1), '>')
}

/// `::` starts at `i`.
pub(crate) fn is_path_sep(ts: &[TokenTree], i: usize) -> bool {
    is_joint(ts.get(i), ':') && is_punct(ts.get(i + 1), ':')
}

/// A `:` at `i` that is not part of `::` or `:=` (Go's `case ...:` terminator).
pub(crate) fn is_lone_colon(ts: &[TokenTree], i: usize) -> bool {
    is_punct(ts.get(i), ':')
        && !is_path_sep(ts, i)
        && !is_colon_eq(ts, i)
        && (i == 0 || !is_joint(ts.get(i - 1), ':'))
}

/// A plain assignment `=` at `i` (not `==`, `=>`, `<=`, `+=`, `:=`, ...).
pub(crate) fn is_assign(ts: &[TokenTree], i: usize) -> bool {
    if !is_punct(ts.get(i), '=') {
        return false;
    }
    if is_joint(ts.get(i), '=') && (is_punct(ts.get(i + 1), '=') || is_punct(ts.get(i + 1), '>')) {
        return false;
    }
    !(i > 0
        && matches!(ts.get(i - 1), Some(TokenTree::Punct(p)) if p.spacing() == proc_macro2::Spacing::Joint))
}

/// A compound assignment operator (`+=`, `<<=`, ...) ends at `ts[i]`.
pub(crate) fn is_compound_assign(ts: &[TokenTree], i: usize) -> bool {
    if !is_punct(ts.get(i), '=') || i == 0 {
        return false;
    }
    if is_punct(ts.get(i + 1), '=') || is_punct(ts.get(i + 1), '>') {
        return false;
    }
    let op = |k: usize, set: &str| matches!(ts.get(k), Some(TokenTree::Punct(p)) if p.spacing() == proc_macro2::Spacing::Joint && set.contains(p.as_char()));
    op(i - 1, "+-*/%^&|")
        || (i >= 2 && (op(i - 1, "<") && op(i - 2, "<") || op(i - 1, ">") && op(i - 2, ">")))
}

/// The position of the first top-level `<-` in `ts`.
pub(crate) fn find_larrow(ts: &[TokenTree]) -> Option<usize> {
    (0..ts.len()).find(|&i| is_larrow(ts, i))
}

/// The position of the first top-level `:=` in `ts`.
pub(crate) fn find_colon_eq(ts: &[TokenTree]) -> Option<usize> {
    (0..ts.len()).find(|&i| is_colon_eq(ts, i))
}

/// Line where `tt` starts.
pub(crate) fn start_line(tt: &TokenTree) -> usize {
    tt.span().start().line
}

/// Line where `tt` ends (a group ends at its closing delimiter).
pub(crate) fn end_line(tt: &TokenTree) -> usize {
    match tt {
        TokenTree::Group(g) => g.span_close().end().line,
        other => other.span().end().line,
    }
}

/// Keywords after which Go's lexer would not end a statement at a line break. (Go ends a
/// line after an identifier, a literal, `)`, `]`, `}`, `++`, `--` and `return`, `break`,
/// `continue`; Rust keywords that cannot end an expression are listed here.)
const NO_SEMI_AFTER: &[&str] = &[
    "as", "async", "const", "crate", "dyn", "else", "enum", "extern", "fn", "for", "if", "impl",
    "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "static", "struct", "trait",
    "type", "union", "unsafe", "use", "where", "while", "go", "defer", "chan", "func", "select",
    "case", "range", "var", "switch",
];

/// Whether Go's lexer ends a statement after `ts[i]` when a line break follows.
pub(crate) fn ends_go_line(ts: &[TokenTree], i: usize) -> bool {
    match &ts[i] {
        TokenTree::Ident(id) => !NO_SEMI_AFTER.contains(&id.to_string().as_str()),
        TokenTree::Literal(_) | TokenTree::Group(_) => true,
        TokenTree::Punct(p) => match p.as_char() {
            '?' => true,
            // `x++` and `x--` (reported as unsupported, but they end a line as in Go).
            '+' | '-' => i > 0 && is_joint(ts.get(i - 1), p.as_char()),
            _ => false,
        },
    }
}

/// The line break before `ts[i]` continues the previous line: Rust's method-chain style
/// (`.method()` or `?` at the start of a line).
pub(crate) fn continues_line(ts: &[TokenTree], i: usize) -> bool {
    is_punct(ts.get(i), '.') || is_punct(ts.get(i), '?')
}

/// A token that ends an operand: an identifier that is not a keyword, a literal, a group, or
/// `?`. Used to tell a binary `<-` (send) from a unary one (receive).
pub(crate) fn ends_operand(tt: Option<&TokenTree>) -> bool {
    match tt {
        Some(TokenTree::Ident(id)) => {
            let s = id.to_string();
            !is_keyword(&s) || matches!(s.as_str(), "self" | "Self" | "super" | "crate")
        }
        Some(TokenTree::Literal(_)) | Some(TokenTree::Group(_)) => true,
        Some(TokenTree::Punct(p)) => p.as_char() == '?',
        None => false,
    }
}

/// Rust's strict and reserved keywords, plus the Go keywords `go_syntax!` reserves.
pub(crate) fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "async"
            | "await"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "yield"
    )
}

/// Splits `ts` at top-level commas. Angle brackets count as nesting when `types` is set (in
/// parameter lists: `HashMap<K, V>`), and after `::` in any case (turbofish); `|a, b|` closure
/// parameters stay whole.
pub(crate) fn split_commas(ts: &[TokenTree], types: bool) -> Vec<&[TokenTree]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut angle = 0usize;
    let mut in_closure = false;
    let mut i = 0;
    while i < ts.len() {
        let tt = &ts[i];
        if let TokenTree::Punct(p) = tt {
            match p.as_char() {
                '<' if !is_larrow(ts, i)
                    && (types || angle > 0 || (i >= 2 && is_path_sep(ts, i - 2))) =>
                {
                    angle += 1
                }
                '>' if angle > 0
                    && !(i > 0
                        && (is_joint(ts.get(i - 1), '-') || is_joint(ts.get(i - 1), '='))) =>
                {
                    angle -= 1
                }
                '|' if angle == 0 => {
                    if in_closure {
                        in_closure = false;
                    } else if i == start
                        || is_punct(ts.get(i - 1), '=')
                        || is_ident(ts.get(i - 1), "move")
                    {
                        if is_joint(ts.get(i), '|') && is_punct(ts.get(i + 1), '|') {
                            i += 1; // `||`: a closure with no parameters
                        } else {
                            in_closure = true;
                        }
                    }
                }
                ',' if angle == 0 && !in_closure => {
                    out.push(&ts[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    if start < ts.len() {
        out.push(&ts[start..]);
    }
    out
}

/// A span for a generated local: resolved at the macro's definition (so it never clashes with
/// the user's names) but located at `at`, so errors about it point at the user's token.
pub(crate) fn local(name: &str, at: Span) -> Ident {
    Ident::new(name, Span::mixed_site().located_at(at))
}

/// A generated local that errors are reported on: it must carry the user's span (rustc moves
/// errors on spans from an external macro's context to the macro call), so it is resolved at
/// the call site too. The `__gocsp_` prefix keeps it out of the way of user names; it is only
/// in scope inside the macro's own block.
pub(crate) fn user_local(name: &str, at: Span) -> Ident {
    Ident::new(name, at)
}

/// The span of the first token of `ts`, or `fallback`.
pub(crate) fn first_span(ts: &[TokenTree], fallback: Span) -> Span {
    ts.first().map_or(fallback, TokenTree::span)
}

/// Wraps `ts` in a group with delimiter `d`, spanned at `span`.
pub(crate) fn wrap(d: Delimiter, ts: TokenStream, span: Span) -> TokenTree {
    let mut g = Group::new(d, ts);
    g.set_span(span);
    TokenTree::Group(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Tokens {
        to_vec(s.parse().unwrap())
    }

    #[test]
    fn larrow_needs_joint_spacing() {
        let t = toks("ch <- v");
        assert_eq!(find_larrow(&t), Some(1));
        let t = toks("a < -b");
        assert_eq!(find_larrow(&t), None);
    }

    #[test]
    fn colon_eq_and_lone_colon() {
        let t = toks("v := <-rx");
        assert_eq!(find_colon_eq(&t), Some(1));
        let t = toks("a::b: c");
        assert!(!is_lone_colon(&t, 1));
        assert!(!is_lone_colon(&t, 2));
        assert!(is_lone_colon(&t, 4));
    }

    #[test]
    fn assign_is_not_comparison() {
        let t = toks("a = b == c => d <= e");
        let assigns: Vec<usize> = (0..t.len()).filter(|&i| is_assign(&t, i)).collect();
        assert_eq!(assigns, [1]);
    }

    #[test]
    fn commas_respect_generics_and_closures() {
        let t = toks("a: HashMap<K, V>, b: i32");
        assert_eq!(split_commas(&t, true).len(), 2);
        let t = toks("f::<A, B>(x), |a, b| a + b, c");
        assert_eq!(split_commas(&t, false).len(), 3);
        let t = toks("a < b, c > d");
        assert_eq!(split_commas(&t, false).len(), 2);
    }

    #[test]
    fn go_line_endings() {
        let t = toks("x++");
        assert!(ends_go_line(&t, 2));
        let t = toks("a +");
        assert!(!ends_go_line(&t, 1));
        let t = toks("return");
        assert!(ends_go_line(&t, 0));
        let t = toks("else");
        assert!(!ends_go_line(&t, 0));
    }
}
