//! `go_syntax! { ... }`: Go statements inside Rust items.
//!
//! The input is read as one statement list (items are statements too), so it works at
//! module level (items) and in statement position (Go statements run in place). Functions
//! declared anywhere in it are collected first, for Go's implicit channel-direction
//! conversion at their call sites.

use proc_macro2::{Delimiter, Group, Ident, TokenStream, TokenTree};

use crate::rewrite::{Mode, Rewriter};
use crate::tokens::to_vec;

/// `go_syntax!(...)`: `input` is everything after the `$crate;` prefix.
pub(crate) fn go_syntax_macro(krate: &TokenStream, input: TokenStream) -> TokenStream {
    let ts = to_vec(raw_in(input));
    let mut rw = Rewriter::new(krate, Mode::Go);
    rw.collect_fns(&ts);
    rw.share_top_level(&ts);
    rw.main_goroutine();
    let mut out = rw.block(&ts, false);
    out.extend(rw.finish().to_compile_errors());
    out
}

/// Go's `in` is a name (`func relay(in <-chan int)`), Rust's a keyword: every `in` that is
/// not the one of a Rust `for pat in e` loop (or `pub(in path)`) becomes `r#in`.
fn raw_in(ts: TokenStream) -> TokenStream {
    let mut out = Vec::new();
    // A Rust `for` whose `in` has not come yet.
    let mut pending_for = false;
    let mut prev: Option<TokenTree> = None;
    for tt in ts {
        let next = match &tt {
            TokenTree::Group(g) => {
                let vis = g.delimiter() == Delimiter::Parenthesis
                    && matches!(&prev, Some(TokenTree::Ident(p)) if p == "pub");
                let stream = if vis { g.stream() } else { raw_in(g.stream()) };
                let mut new = Group::new(g.delimiter(), stream);
                new.set_span(g.span());
                // `for { }`: Go's endless loop has no `in`.
                if g.delimiter() == Delimiter::Brace
                    && matches!(&prev, Some(TokenTree::Ident(p)) if p == "for")
                {
                    pending_for = false;
                }
                TokenTree::Group(new)
            }
            TokenTree::Ident(id) if id == "in" => {
                if pending_for {
                    pending_for = false;
                    tt
                } else {
                    TokenTree::Ident(Ident::new_raw("in", id.span()))
                }
            }
            TokenTree::Ident(id) => {
                if id == "for" {
                    pending_for = true;
                } else if id == "range" || id == "fn" || id == "impl" || id == "let" {
                    // `for v := range in`: Go's loop; `impl T for U`: no `in` follows.
                    pending_for = false;
                }
                tt
            }
            TokenTree::Punct(p) => {
                if p.as_char() == ';' {
                    pending_for = false;
                }
                tt
            }
            TokenTree::Literal(_) => tt,
        };
        prev = Some(next.clone());
        out.push(next);
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn in_is_a_name_except_in_a_rust_for() {
        let out = super::raw_in(
            "fn f(in <-chan i32) { for v := range in { } for x in in.iter() { } for { in } }"
                .parse()
                .unwrap(),
        )
        .to_string();
        assert_eq!(
            out,
            "fn f (r#in <- chan i32) { for v := range r#in { } for x in r#in . iter () { } for { r#in } }"
        );
    }

    use super::*;

    fn expand(src: &str) -> String {
        go_syntax_macro(&"::gocsp".parse().unwrap(), src.parse().unwrap()).to_string()
    }

    #[test]
    fn functions_with_go_bodies() {
        let out = expand(
            "fn double(src: <-chan i32, dst: chan<- i32) {\n for v := range src { dst <- v * 2 }\n close(dst)\n}",
        );
        assert!(out.starts_with("fn double (src : :: gocsp :: __private :: Receiver < i32 > , dst : :: gocsp :: __private :: Sender < i32 >)"), "{out}");
        assert!(
            out.contains(&format!(
                "for v in {}",
                crate::krate::named_text("range", "src", None, &[])
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "{} ;",
                crate::krate::named_text("close", "dst", None, &[])
            )),
            "{out}"
        );
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn main_is_a_goroutine() {
        let out = expand("fn main() {\n ch := make(chan i32, 1)\n ch <- 1\n}");
        assert!(
            out.starts_with(
                "fn main () -> :: std :: process :: ExitCode { :: gocsp :: __private :: run_main"
            ),
            "{out}"
        );
        let out = expand("fn main() -> Result<(), String> {\n Ok(())\n}");
        assert!(out.contains("move || -> Result < () , String > {"), "{out}");
        // Not at the top level, or with parameters: an ordinary function.
        let out = expand("mod m {\n fn main() {}\n}");
        assert!(!out.contains("run_main"), "{out}");
        let out = expand("fn f() {\n fn main() {}\n}");
        assert!(!out.contains("run_main"), "{out}");
    }

    #[test]
    fn calls_convert_channel_direction() {
        let out = expand(
            "fn pump(src <-chan i32) {}\nfn run() {\n ch := make(chan i32)\n go pump(ch)\n}",
        );
        assert!(
            out.contains("fn pump (src : :: gocsp :: __private :: Receiver < i32 >)"),
            "{out}"
        );
        assert!(
            out.contains("chan_arg :: < :: gocsp :: __private :: Receiver < _ > , _ > (& (ch))"),
            "{out}"
        );
    }

    #[test]
    fn returns_keep_their_value() {
        let out = expand("fn get(ch: <-chan i32) -> i32 {\n <-ch\n}");
        assert!(
            out.ends_with(&format!(
                "{{ {} }}",
                crate::krate::named_text("recv", "ch", None, &[])
            )),
            "{out}"
        );
    }

    #[test]
    fn select_clauses_give_the_tail_value() {
        let out = expand(
            "fn f(a: <-chan i32) -> i32 {\n select {\n case v := <-a:\n v\n default:\n 0\n }\n}",
        );
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("{ 0 }"), "{out}");
        assert!(!out.contains("0 ;"), "{out}");
        // Not the tail: statement lists.
        let out =
            expand("fn f(a: <-chan i32) {\n select {\n case v := <-a:\n v\n default:\n 0\n }\n}");
        assert!(out.contains("{ 0 ; }"), "{out}");
        // One clause ends in a statement: all are statement lists.
        let out = expand(
            "fn f(a: <-chan i32) -> () {\n select {\n case v := <-a:\n x := v\n default:\n 0\n }\n}",
        );
        assert!(out.contains("{ 0 ; }"), "{out}");
    }

    #[test]
    fn select_macro_is_expanded_with_go_bodies() {
        let out = expand(
            "fn f(a: <-chan i32, out: chan<- i32) {\n select! {\n v = <-a => {\n close(out)\n }\n }\n}",
        );
        assert!(!out.contains("compile_error"), "{out}");
        assert!(!out.contains("select !"), "{out}");
        assert!(
            out.contains(&crate::krate::named_text("close", "out", None, &[])),
            "{out}"
        );
        // A body that is not a gocsp select is left to its own macro.
        let out = expand("fn f() {\n select! { recv(r) -> m => g(m) }\n}");
        assert!(out.contains("select ! { recv (r) -> m => g (m) }"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
        let out = expand("fn f() {\n crossbeam::select! { v = <-a => v }\n}");
        assert!(out.contains("crossbeam :: select ! {"), "{out}");
    }

    #[test]
    fn unsupported_constructs_are_named() {
        for (src, what) in [
            ("fn f() { switch x { } }", "Go's `switch`"),
            ("fn f() { var x int }", "Go's `var`"),
            ("fn f() {\n goto end\n}", "`goto`"),
            ("fn f() {\n g := func() {}\n}", "Go `func` literal"),
            (
                "fn f() {\n if x := g(); x { }\n}",
                "`if` with an init statement",
            ),
        ] {
            let out = expand(src);
            assert!(out.contains(what), "{src}: {out}");
            assert!(
                out.contains("go_syntax! accepts") || what.contains("func"),
                "{src}: {out}"
            );
        }
    }
}
