//! Procedural macros behind `gocsp`. Depend on `gocsp`, which re-exports them through thin
//! `macro_rules!` wrappers that pass `$crate` first (`$crate; user tokens`).
//!
//! Each entry point here is a thin wrapper over a `proc_macro2` function, so the logic is
//! unit-tested on plain token streams:
//!
//! - `krate`: the `$crate;` prefix;
//! - `tokens`, `diag`: token helpers (Go's `<-` and `:=`, line numbers), error wording;
//! - `rewrite`: the Go-statement rewriter (`go_syntax!`, and the `<-` forms in `go!`
//!   blocks, `select!` bodies and `defer!`);
//! - `select`, `go`, `owner`, `make`, `defer`, `go_syntax`, `entry`
//!   (`#[gocsp::main]`, `#[gocsp::test]`): one private module per macro, each parse →
//!   validate → expand.
#![forbid(unsafe_code)]

mod defer;
mod diag;
mod entry;
mod go;
mod go_syntax;
mod krate;
mod make;
mod owner;
mod rewrite;
mod select;
mod tokens;

use proc_macro::TokenStream;

/// `go!`: see `gocsp::go!`.
#[doc(hidden)]
#[proc_macro]
pub fn __go_impl(input: TokenStream) -> TokenStream {
    krate::with_krate(input.into(), go::go_macro).into()
}

/// `select!`: see `gocsp::select!`.
#[doc(hidden)]
#[proc_macro]
pub fn __select_impl(input: TokenStream) -> TokenStream {
    krate::with_krate(input.into(), select::select_macro).into()
}

/// `make!`: see `gocsp::make!`.
#[doc(hidden)]
#[proc_macro]
pub fn __make_impl(input: TokenStream) -> TokenStream {
    krate::with_krate(input.into(), make::make_macro).into()
}

/// `defer!`: see `gocsp::defer!`.
#[doc(hidden)]
#[proc_macro]
pub fn __defer_impl(input: TokenStream) -> TokenStream {
    krate::with_krate(input.into(), defer::defer_macro).into()
}

/// `go_syntax!`: see `gocsp::go_syntax!`.
#[doc(hidden)]
#[proc_macro]
pub fn __go_syntax_impl(input: TokenStream) -> TokenStream {
    krate::with_krate(input.into(), go_syntax::go_syntax_macro).into()
}

/// `#[owner]`: see `gocsp::owner`.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn __owner_impl(args: TokenStream, item: TokenStream) -> TokenStream {
    owner::owner_attr(args.into(), item.into()).into()
}

/// `#[gocsp::main]`: see `gocsp::main`.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn __main_impl(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::main_attr(args.into(), item.into()).into()
}

/// `#[gocsp::test]`: see `gocsp::test`.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn __test_impl(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::test_attr(args.into(), item.into()).into()
}

#[cfg(test)]
mod tests {
    //! Every entry point on malformed input: errors, never a panic.

    use proc_macro2::{TokenStream, TokenTree};

    const SNIPPETS: &[&str] = &[
        "v = <-rx => f(v), v, ok = <-rx => { g() } tx <- 1 => h(), <-c => {}, default => ()",
        "biased; case v := <-a: f(v)\n g()\ncase out <- x: \ndefault: h()",
        "Some(v) = <-rx => v, None = <-rx => 0, _ = <-rx => 1",
        "fn f(a, b int, c chan<- i32) -> <-chan i32 {\n x := <-a\n go func(y int) { c <- y }(x)\n defer close(c)\n for v := range a { c <- v }\n select { case v := <-a: f(v) default: }\n}",
        "for i := 0; i < n; i++ { }\nswitch x { }\nvar y int = 3\ngoto end\nz++\nif a := b(); a { }\nf := func() {}",
        "go f(<-ch)\ngo obj.m(x)\ngo 5\ngo\ndefer\nmake(chan)\nmake(chan int, )\nclose()\nlen(a, b)",
        "chan<- chan <-chan Vec<chan i32>",
        "worker(1, jobs.receiver())",
        "move || { tx <- 1 }",
        "fn numbers(n: u32, out: Sender<u32>) { out.send(n) }",
        "a, b, c := 1, 2\n := 3\n<-\n<- <-\nx <-",
        "{ { ( [ ] ) } } , , ; ; => => : : := <- <-chan chan",
    ];

    fn prefixes(src: &str) -> Vec<TokenStream> {
        let all: Vec<TokenTree> = src.parse::<TokenStream>().unwrap().into_iter().collect();
        (0..=all.len())
            .map(|n| all[..n].iter().cloned().collect())
            .collect()
    }

    #[test]
    fn malformed_input_never_panics() {
        let krate: TokenStream = "::gocsp".parse().unwrap();
        for src in SNIPPETS {
            for ts in prefixes(src) {
                let _ = crate::select::select_macro(&krate, ts.clone());
                let _ = crate::go::go_macro(&krate, ts.clone());
                let _ = crate::go_syntax::go_syntax_macro(&krate, ts.clone());
                let _ = crate::make::make_macro(&krate, ts.clone());
                let _ = crate::defer::defer_macro(&krate, ts.clone());
                let _ = crate::owner::owner_attr(TokenStream::new(), ts.clone());
                let _ =
                    crate::owner::owner_attr(ts.clone(), "fn f(o: Sender<u8>) {}".parse().unwrap());
                let _ = crate::entry::main_attr(TokenStream::new(), ts.clone());
                let _ = crate::entry::test_attr(ts.clone(), "fn t() {}".parse().unwrap());
            }
        }
    }
}

#[cfg(test)]
mod corpus {
    //! Prefixes and suffixes of every group in the ui-test sources, through every macro:
    //! errors, never a panic.

    use proc_macro2::{TokenStream, TokenTree};

    fn groups(ts: TokenStream, out: &mut Vec<Vec<TokenTree>>) {
        for t in ts {
            if let TokenTree::Group(g) = t {
                out.push(g.stream().into_iter().collect());
                groups(g.stream(), out);
            }
        }
    }

    #[test]
    fn ui_sources_never_panic() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui-tests/tests");
        let Ok(top) = std::fs::read_dir(dir) else {
            return; // not in the workspace (a packaged crate)
        };
        let mut files = Vec::new();
        let mut dirs: Vec<_> = top.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        while let Some(d) = dirs.pop() {
            if d.is_dir() {
                dirs.extend(
                    std::fs::read_dir(&d)
                        .unwrap()
                        .filter_map(|e| e.ok())
                        .map(|e| e.path()),
                );
            } else if d.extension().is_some_and(|x| x == "rs") {
                files.push(d);
            }
        }
        let krate: TokenStream = "::gocsp".parse().unwrap();
        for f in files {
            let ts: TokenStream = std::fs::read_to_string(&f).unwrap().parse().unwrap();
            let mut all = vec![ts.clone().into_iter().collect()];
            groups(ts, &mut all);
            for v in all {
                let step = (v.len() / 40).max(1);
                let cuts = (0..=v.len()).step_by(step).flat_map(|n| [&v[..n], &v[n..]]);
                for cut in cuts {
                    let ts: TokenStream = cut.iter().cloned().collect();
                    let _ = crate::select::select_macro(&krate, ts.clone());
                    let _ = crate::go::go_macro(&krate, ts.clone());
                    let _ = crate::go_syntax::go_syntax_macro(&krate, ts.clone());
                    let _ = crate::make::make_macro(&krate, ts.clone());
                    let _ = crate::defer::defer_macro(&krate, ts.clone());
                    let _ = crate::entry::main_attr(TokenStream::new(), ts.clone());
                    let _ = crate::entry::test_attr(TokenStream::new(), ts.clone());
                    let _ = crate::owner::owner_attr(TokenStream::new(), ts);
                }
            }
        }
    }
}
