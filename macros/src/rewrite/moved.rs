//! A `go func(){...}()` capture that Go shares but gocsp must move, named before rustc's
//! "use of moved value" points into the expansion.
//!
//! `share` clones the gocsp handles a literal captures; everything else moves into the
//! goroutine, as in a Rust `move` closure. Where the macro can tell that the move fails, it
//! says so in Go's terms, on the capture: a variable
//! - declared once in the function, with a type the macro can read and that is neither a
//!   handle nor `Copy` (`s := String::from(..)`, `v := vec![..]`, `let m: HashMap<..> = ..`,
//!   a parameter `s String`; see [`OWNED`]), and
//! - used again after the `go` statement in the same block or an enclosing one, or captured
//!   inside a loop that it was declared outside of (each iteration's goroutine takes it).
//!
//! Only certain errors are reported: the later use must be one the tokens prove is a use
//! (`s.len()`, `f(s)`, `x = s`, `"{s}"` in a formatting macro, ...), not a pattern that
//! could bind a new `s`; a loop counts only if nothing in its body leaves it (`break`,
//! `return`, `?`). Anything else (a type the macro cannot see, `x := compute()`) is left
//! to rustc, whose message then points into the expansion.

use std::collections::HashMap;

use proc_macro2::{Delimiter, Ident, Span, TokenTree};

use crate::tokens::{is_colon_eq, is_ident, is_lone_colon, is_punct, to_vec};

/// Type names whose values are neither `Copy` nor shared handles, with the fix to suggest:
/// `true` for types that are `Clone`.
const OWNED: &[(&str, bool)] = &[
    ("String", true),
    ("Vec", true),
    ("HashMap", true),
    ("HashSet", true),
    ("BTreeMap", true),
    ("BTreeSet", true),
    ("VecDeque", true),
    ("Box", true),
    ("Mutex", false),
    ("RWMutex", false),
    ("RwLock", false),
    ("Cond", false),
    ("Once", false),
];

/// What a variable's declaration shows of its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Owned {
    /// The type's name (`String`, `Vec`, ...).
    pub(super) ty: &'static str,
    /// Whether it can be cloned (else it has to be put in an `Arc`).
    pub(super) clone: bool,
}

fn owned_word(s: &str) -> Option<Owned> {
    OWNED
        .iter()
        .find(|(w, _)| *w == s)
        .map(|&(ty, clone)| Owned { ty, clone })
}

/// The type a declared type names, by its outermost path's last segment (`Vec<T>`,
/// `std::collections::HashMap<K, V>`); references and everything else are unknown.
fn of_type(ty: &[TokenTree]) -> Option<Owned> {
    let mut last = None;
    for (i, t) in ty.iter().enumerate() {
        match t {
            TokenTree::Ident(id) => last = Some(id.to_string()),
            TokenTree::Punct(p) if p.as_char() == ':' && is_punct(ty.get(i + 1), ':') => {}
            TokenTree::Punct(p) if p.as_char() == ':' && i > 0 && is_punct(ty.get(i - 1), ':') => {}
            TokenTree::Punct(p) if p.as_char() == '<' => break,
            _ => return None,
        }
    }
    last.and_then(|s| owned_word(&s))
}

/// The type an initializer certainly has: `Type::f(args)` (`String::from("a")`,
/// `Vec::new()`, `sync::Mutex::new(0)`), `vec![..]`, `format!(..)`, `e.to_string()`.
fn of_init(rhs: &[TokenTree]) -> Option<Owned> {
    let n = rhs.len();
    if n >= 3
        && is_punct(rhs.get(n - 3), '.')
        && is_ident(rhs.get(n - 2), "to_string")
        && matches!(rhs.last(), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis && g.stream().is_empty())
    {
        return owned_word("String");
    }
    match rhs {
        [TokenTree::Ident(m), bang, TokenTree::Group(_)] if is_punct(Some(bang), '!') => {
            match m.to_string().as_str() {
                "vec" => owned_word("Vec"),
                "format" => owned_word("String"),
                _ => None,
            }
        }
        [path @ .., TokenTree::Ident(_), TokenTree::Group(g)]
            if g.delimiter() == Delimiter::Parenthesis && path.len() >= 3 =>
        {
            // `a::b::Type::f(..)`: the segment before the function names the type.
            let segs = &path[..path.len() - 2];
            if !(is_punct(path.get(path.len() - 2), ':') && is_punct(path.last(), ':')) {
                return None;
            }
            let mut ty = None;
            for (i, t) in segs.iter().enumerate() {
                match t {
                    TokenTree::Ident(id) => ty = Some(id.to_string()),
                    TokenTree::Punct(p) if p.as_char() == ':' && i + 1 < segs.len() => {}
                    TokenTree::Punct(p) if p.as_char() == ':' && i > 0 => {}
                    _ => return None,
                }
            }
            ty.and_then(|s| owned_word(&s))
        }
        _ => None,
    }
}

/// The variables of a function (`params`, Go or Rust style, and `body`) that are declared
/// exactly once, where the declaration shows an owned type. A name bound more than once
/// anywhere (another `:=`, `let`, a `for` variable, a closure parameter, a pattern) is left
/// out: the macro could not tell which one a use means.
pub(super) fn owned(params: &[TokenTree], body: &[TokenTree]) -> HashMap<String, Owned> {
    let mut count: HashMap<String, usize> = HashMap::new();
    let mut found: HashMap<String, Owned> = HashMap::new();
    for (names, ty) in super::share::params_by_type(params) {
        let kind = of_type(ty);
        for n in names {
            *count.entry(n.clone()).or_default() += 1;
            if let Some(k) = kind {
                found.insert(n, k);
            }
        }
    }
    declarations(body, &mut count, &mut found);
    found.retain(|n, _| count.get(n) == Some(&1));
    found
}

fn declarations(
    ts: &[TokenTree],
    count: &mut HashMap<String, usize>,
    found: &mut HashMap<String, Owned>,
) {
    let line = |t: &TokenTree| t.span().start().line;
    let bump = |count: &mut HashMap<String, usize>,
                found: &mut HashMap<String, Owned>,
                id: &Ident,
                kind: Option<Owned>| {
        let n = id.to_string();
        *count.entry(n.clone()).or_default() += 1;
        if let Some(k) = kind {
            found.insert(n, k);
        }
    };
    for (i, t) in ts.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| ts.get(p));
        match t {
            TokenTree::Group(g) => {
                let inner = to_vec(g.stream());
                // `Some(x)`, `Point(a, b)`: a pattern may bind these (or an expression
                // builds a value from them: counted all the same, which only leaves more out).
                let tuple_pattern = matches!(prev, Some(TokenTree::Ident(p))
                    if p.to_string().starts_with(|c: char| c.is_ascii_uppercase()));
                let next = ts.get(i + 1);
                let pattern = tuple_pattern
                    || ["let", "mut", "for"].iter().any(|k| is_ident(prev, k))
                    || is_punct(prev, '|')
                    || is_punct(prev, '&')
                    || is_punct(next, '=')
                    || is_punct(next, '@')
                    || is_punct(next, '|')
                    || is_ident(next, "in");
                if pattern {
                    for x in &inner {
                        if let TokenTree::Ident(id) = x {
                            bump(count, found, id, None);
                        }
                    }
                }
                declarations(&inner, count, found);
            }
            TokenTree::Ident(id) => {
                let next = ts.get(i + 1);
                if is_colon_eq(ts, i + 1) {
                    // `x := e` (one variable: its initializer is the rest of the line).
                    let ln = line(t);
                    let rhs: Vec<TokenTree> = ts[i + 3..]
                        .iter()
                        .take_while(|r| line(r) == ln && !is_punct(Some(r), ';'))
                        .cloned()
                        .collect();
                    let single = !is_punct(prev, ',');
                    bump(count, found, id, single.then(|| of_init(&rhs)).flatten());
                } else if is_punct(next, ',') {
                    // `a, b := e`: each name before `:=` on the line.
                    let ln = line(t);
                    let mut k = i + 1;
                    while k < ts.len() && line(&ts[k]) == ln {
                        if is_colon_eq(ts, k) {
                            bump(count, found, id, None);
                            break;
                        }
                        if !matches!(&ts[k], TokenTree::Ident(_)) && !is_punct(ts.get(k), ',') {
                            break;
                        }
                        k += 1;
                    }
                } else if is_ident(prev, "let")
                    || (is_ident(prev, "mut") && i >= 2 && is_ident(ts.get(i - 2), "let"))
                {
                    // `let [mut] x[: T] = e;`.
                    let end = (i + 1..ts.len())
                        .find(|&j| is_punct(ts.get(j), ';'))
                        .unwrap_or(ts.len());
                    let rest = &ts[i + 1..end];
                    let kind = if is_lone_colon(rest, 0) {
                        let eq = rest.iter().position(|r| is_punct(Some(r), '='));
                        of_type(&rest[1..eq.unwrap_or(rest.len())])
                    } else if is_punct(rest.first(), '=') {
                        of_init(&rest[1..])
                    } else {
                        None
                    };
                    bump(count, found, id, kind);
                } else if is_ident(prev, "for")
                    || is_punct(prev, '|')
                    || is_punct(next, '@')
                    || (is_punct(next, '=') && is_punct(ts.get(i + 2), '>'))
                    || (is_punct(prev, ',') && is_closure_params(ts, i))
                {
                    // `for x`, `|x|`, `|a, x|`, `x @ ..`, `x =>`: bindings.
                    bump(count, found, id, None);
                }
            }
            _ => {}
        }
    }
}

/// Whether `ts[i]` (after a `,`) is inside closure parameters `|a, b|`.
fn is_closure_params(ts: &[TokenTree], i: usize) -> bool {
    let mut k = i;
    while k > 0 {
        k -= 1;
        match &ts[k] {
            TokenTree::Punct(p) if p.as_char() == '|' => return true,
            TokenTree::Punct(p) if p.as_char() == ',' => {}
            TokenTree::Ident(_) => {}
            _ => return false,
        }
    }
    false
}

/// Formatting macros whose string may name a variable (`"{s}"`) and whose arguments are
/// expressions.
const EXPR_MACROS: &[&str] = &[
    "println",
    "print",
    "eprintln",
    "eprint",
    "format",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "write",
    "writeln",
    "dbg",
    "vec",
];

/// What the first mention of a name in the code after a `go` statement is.
enum Mention {
    /// Certainly a use of the variable, here.
    Use(Span),
    /// Something else (a binding, a field name, an item that may shadow it): stop looking.
    Unsure,
}

/// The first place in `levels` (the code after the `go` statement, innermost block first)
/// where `name` is certainly used; `None` if it is not mentioned, or first mentioned in a
/// way the tokens cannot prove is a use.
pub(super) fn used_after(name: &str, levels: &[Vec<TokenTree>]) -> Option<Span> {
    for ts in levels.iter().rev() {
        match first_mention(name, ts, None) {
            Some(Mention::Use(s)) => return Some(s),
            Some(Mention::Unsure) => return None,
            None => {}
        }
    }
    None
}

/// `ctx`: the tokens before the group `ts` is the inside of (`f`, `println !`), if any.
fn first_mention(name: &str, ts: &[TokenTree], ctx: Option<(&TokenTree, bool)>) -> Option<Mention> {
    for (i, t) in ts.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| ts.get(p));
        match t {
            TokenTree::Ident(id) if id == "fn" || id == "impl" || id == "macro_rules" => {
                return Some(Mention::Unsure);
            }
            TokenTree::Ident(id) if id == name => {
                let field = is_punct(prev, '.')
                    || (is_punct(prev, ':')
                        && is_punct(i.checked_sub(2).and_then(|p| ts.get(p)), ':'));
                let path = is_punct(ts.get(i + 1), ':') && is_punct(ts.get(i + 2), ':');
                if field || path {
                    continue;
                }
                return Some(if is_use(ts, i, ctx) {
                    Mention::Use(id.span())
                } else {
                    Mention::Unsure
                });
            }
            TokenTree::Literal(lit) => {
                // `println!("{s}")`: a formatting macro's string names the variable, unless
                // an argument `s = ..` does.
                if let Some((_, true)) = ctx {
                    let text = lit.to_string();
                    let named = text.contains(&format!("{{{name}}}"))
                        || text.contains(&format!("{{{name}:"));
                    let shadowed = (0..ts.len()).any(|k| {
                        is_ident(ts.get(k), name)
                            && is_punct(ts.get(k + 1), '=')
                            && !is_punct(ts.get(k + 2), '=')
                    });
                    if named && !shadowed {
                        return Some(Mention::Use(lit.span()));
                    }
                }
            }
            TokenTree::Group(g) => {
                let macro_name = match (i.checked_sub(2).and_then(|p| ts.get(p)), prev) {
                    (Some(TokenTree::Ident(m)), Some(b)) if is_punct(Some(b), '!') => {
                        EXPR_MACROS.contains(&m.to_string().as_str())
                    }
                    _ => false,
                };
                let inner = to_vec(g.stream());
                let inner_ctx = if macro_name {
                    Some((&ts[i - 2], true))
                } else if g.delimiter() == Delimiter::Parenthesis {
                    prev.map(|p| (p, false))
                } else {
                    None
                };
                if is_punct(prev, '!') && !macro_name {
                    // Another macro: its input may be anything.
                    if inner.iter().any(|x| mentions(name, x)) {
                        return Some(Mention::Unsure);
                    }
                    continue;
                }
                if let Some(m) = first_mention(name, &inner, inner_ctx) {
                    return Some(m);
                }
            }
            _ => {}
        }
    }
    None
}

fn mentions(name: &str, t: &TokenTree) -> bool {
    match t {
        TokenTree::Ident(id) => id == name,
        TokenTree::Group(g) => g.stream().into_iter().any(|x| mentions(name, &x)),
        TokenTree::Literal(l) => l.to_string().contains(name),
        TokenTree::Punct(_) => false,
    }
}

/// Whether `ts[i]`, the variable's name, is certainly a use (an expression), not a binding.
fn is_use(ts: &[TokenTree], i: usize, ctx: Option<(&TokenTree, bool)>) -> bool {
    let next = ts.get(i + 1);
    // `&s` and `&mut s` are uses where `s` would be: judge by what comes before the `&`.
    let mut b = i;
    if is_ident(b.checked_sub(1).and_then(|p| ts.get(p)), "mut")
        && is_punct(b.checked_sub(2).and_then(|p| ts.get(p)), '&')
    {
        b -= 2;
    } else if is_punct(b.checked_sub(1).and_then(|p| ts.get(p)), '&') {
        b -= 1;
    }
    let prev = b.checked_sub(1).and_then(|p| ts.get(p));
    // `s.len()`, `s.0` (not `s..`): a method call or a field.
    if is_punct(next, '.') && !is_punct(ts.get(i + 2), '.') {
        return true;
    }
    // `s[i]`.
    if matches!(next, Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket) {
        return true;
    }
    // `x = s`, `x := s`, `a == s`, `=> s`, `-s`, `a + s`, `ch <- s`, `!s`, `return s`.
    if prev.is_some_and(|p| {
        ['=', '+', '-', '*', '/', '%', '<', '>', '!']
            .iter()
            .any(|&c| is_punct(Some(p), c))
    }) || is_ident(prev, "return")
    {
        return true;
    }
    // `s + 1`, `s == t`, `s as T`.
    if ['+', '*', '/', '%'].iter().any(|&c| is_punct(next, c))
        || (is_punct(next, '=') && is_punct(ts.get(i + 2), '='))
        || (is_punct(next, '!') && is_punct(ts.get(i + 2), '='))
        || is_ident(next, "as")
    {
        return true;
    }
    // A whole argument of a function, method or formatting macro: `f(s)`, `x.push(&s)`.
    let call = match ctx {
        Some((_, true)) => true,
        Some((TokenTree::Ident(f), false)) => {
            f.to_string()
                .starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && !crate::tokens::is_keyword(&f.to_string())
        }
        _ => false,
    };
    if call {
        let mut k = i;
        while k > 0 && (is_punct(ts.get(k - 1), '&') || is_ident(ts.get(k - 1), "mut")) {
            k -= 1;
        }
        let starts = k == 0 || is_punct(ts.get(k - 1), ',');
        let ends = next.is_none() || is_punct(next, ',');
        return starts && ends;
    }
    false
}

/// Whether a loop body lets control leave it (then a move inside may happen only once).
pub(super) fn may_leave(ts: &[TokenTree]) -> bool {
    ts.iter().any(|t| match t {
        TokenTree::Ident(id) => id == "break" || id == "return",
        TokenTree::Punct(p) => p.as_char() == '?',
        TokenTree::Group(g) => may_leave(&to_vec(g.stream())),
        TokenTree::Literal(_) => false,
    })
}

/// Whether `ts` declares `name` (`name :=`, `name, b :=`, `let [mut] name`, `for name`), at
/// any depth.
pub(super) fn declares(name: &str, ts: &[TokenTree]) -> bool {
    ts.iter().enumerate().any(|(i, t)| match t {
        TokenTree::Group(g) => declares(name, &to_vec(g.stream())),
        TokenTree::Ident(id) if id == name => {
            let prev = i.checked_sub(1).and_then(|p| ts.get(p));
            // Past `, b, c` to a `:=`.
            let mut k = i + 1;
            while is_punct(ts.get(k), ',') && matches!(ts.get(k + 1), Some(TokenTree::Ident(_))) {
                k += 2;
            }
            is_colon_eq(ts, k)
                || is_ident(prev, "let")
                || is_ident(prev, "mut")
                || is_ident(prev, "for")
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<TokenTree> {
        to_vec(src.parse().unwrap())
    }

    fn names(m: &HashMap<String, Owned>) -> Vec<(String, &'static str)> {
        let mut v: Vec<_> = m.iter().map(|(k, o)| (k.clone(), o.ty)).collect();
        v.sort();
        v
    }

    #[test]
    fn declarations_that_show_an_owned_type() {
        let params = toks("a, b String, n usize, m: HashMap<u8, u8>, r &Vec<i32>");
        let body = toks(
            "s := String::from(\"x\")\nv := vec![1]\nf := format!(\"{}\", 1)\n\
             t := n.to_string()\nmu := sync::Mutex::new(0)\nx := compute()\n\
             let w: Vec<u8> = Vec::new();\nlet mut q = std::collections::VecDeque::new();\n\
             k := 5\nl := String::from(\"a\").len()",
        );
        assert_eq!(
            names(&owned(&params, &body)),
            [
                ("a".into(), "String"),
                ("b".into(), "String"),
                ("f".into(), "String"),
                ("m".into(), "HashMap"),
                ("mu".into(), "Mutex"),
                ("q".into(), "VecDeque"),
                ("s".into(), "String"),
                ("t".into(), "String"),
                ("v".into(), "Vec"),
                ("w".into(), "Vec"),
            ]
        );
    }

    #[test]
    fn a_name_bound_twice_is_left_out() {
        let body = toks(
            "s := String::new()\nv := vec![1]\nt := vec![2]\nu := vec![3]\nw := vec![4]\n\
             if true { s := 1 }\nfor v in xs {}\nf(|t| t)\nmatch o { Some(u) => {} }",
        );
        assert_eq!(names(&owned(&[], &body)), [("w".into(), "Vec")]);
    }

    #[test]
    fn certain_uses_after_the_go_statement() {
        let at = |src: &str| used_after("s", &[toks(src)]).is_some();
        assert!(at("println!(\"{}\", s.len())"));
        assert!(at("f(s)"));
        assert!(at("x.push(&s)"));
        assert!(at("t := s"));
        assert!(at("println!(\"{s}\")"));
        assert!(at("println!(\"{s:?}\")"));
        assert!(at("if a == s { }"));
        assert!(at("x + &s"));
        assert!(at("t := &mut s"));
        assert!(at("go func() { g(s) }()"));
        // Not certain: bindings, shadowing, field names, other macros, inner items.
        assert!(!at("s := 1\n f(s)"));
        assert!(!at("for s in xs { f(s) }"));
        assert!(!at("match o { Some(s) => f(s) }"));
        assert!(!at("h(|s| f(s))"));
        assert!(!at("p.s.len()"));
        assert!(!at("P { s: 1 }"));
        assert!(!at("println!(\"{s}\", s = 1)"));
        assert!(!at("my_macro!(s)"));
        assert!(!at("fn g(s: u8) { f(s) }"));
        assert!(!at("Some(s)"));
        assert!(!at("Some(&s)"));
        assert!(!at("h(|&s| f(s))"));
        assert!(!at("f(x)"));
    }

    #[test]
    fn the_innermost_block_comes_first() {
        let levels = [toks("f(s)"), toks("s := 2\n g(s)")];
        assert!(used_after("s", &levels).is_none());
        let levels = [toks("f(s)"), toks("h()")];
        assert!(used_after("s", &levels).is_some());
    }

    #[test]
    fn declarations_in_a_loop_body() {
        assert!(declares("s", &toks("s := 1")));
        assert!(declares("s", &toks("a, s := 1, 2")));
        assert!(declares("s", &toks("s, a := 1, 2")));
        assert!(declares("s", &toks("if c { let mut s = 1; }")));
        assert!(!declares("s", &toks("f(a, s)")));
        assert!(!declares("s", &toks("out <- format!(\"{}\", s)")));
    }

    #[test]
    fn loops_that_may_be_left() {
        assert!(may_leave(&toks("if a { break }")));
        assert!(may_leave(&toks("f()?")));
        assert!(!may_leave(&toks("go func() { f(s) }()")));
    }
}
