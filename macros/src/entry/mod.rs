//! `#[gocsp::main]` and `#[gocsp::test]`: the body runs as a goroutine, as Go's `main` and
//! Go's tests do. Parse the options (`attr`), check the function (`validate`), rewrite it
//! (`expand`). After a mistake the function is emitted without the attribute beside the error
//! (`fn main` with an empty body), so one mistake doesn't cascade.

mod attr;
mod expand;
mod validate;

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::quote;

use self::attr::EntryArgs;
use crate::diag::Errors;
use crate::tokens::{stream, to_vec};

/// Which attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `#[gocsp::main]`.
    Main,
    /// `#[gocsp::test]`.
    Test,
}

impl Kind {
    /// The attribute as users write it.
    pub(crate) fn attr(self) -> &'static str {
        match self {
            Kind::Main => "#[gocsp::main]",
            Kind::Test => "#[gocsp::test]",
        }
    }

    fn example(self) -> &'static str {
        match self {
            Kind::Main => "`#[gocsp::main] fn main() { ... }`",
            Kind::Test => "`#[gocsp::test] fn pipeline_works() { ... }`",
        }
    }
}

/// `fn main` inside `go_syntax!`: runs as the main goroutine, as under `#[gocsp::main]`.
/// `head` is everything before the parameters (attributes, `fn main`), `ret` the return type.
pub(crate) fn go_syntax_main(
    krate: &TokenStream,
    head: TokenStream,
    ret: Option<&TokenStream>,
    body: &TokenStream,
    span: Span,
) -> TokenStream {
    expand::main(krate, &EntryArgs::default(), head, ret, body, span)
}

/// `#[gocsp::main(args)] item`.
pub(crate) fn main_attr(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(Kind::Main, args, item)
}

/// `#[gocsp::test(args)] item`.
pub(crate) fn test_attr(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(Kind::Test, args, item)
}

fn entry(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = EntryArgs::parse(kind, args).unwrap_or_else(|e| {
        errors.push(e);
        EntryArgs::default()
    });
    let krate = args.krate();
    let not_a_fn = || {
        let msg = format!("`{}` goes on a function: {}", kind.attr(), kind.example());
        let e = if item.is_empty() {
            syn::Error::new(Span::call_site(), msg)
        } else {
            syn::Error::new_spanned(&item, msg)
        };
        let e = e.to_compile_error();
        quote!(#e #item)
    };
    // Only the signature is parsed; the body is passed through as written.
    let ts = to_vec(item.clone());
    let Some((TokenTree::Group(body), head)) = ts.split_last() else {
        return not_a_fn();
    };
    if body.delimiter() != Delimiter::Brace {
        return not_a_fn();
    }
    let mut sig_only = stream(head);
    sig_only.extend(quote!({}));
    let Ok(f) = syn::parse2::<syn::ItemFn>(sig_only) else {
        return not_a_fn();
    };
    let body = TokenStream::from(TokenTree::Group(body.clone()));
    let out = match validate::validate(kind, &f) {
        Ok(()) => {
            let syn::ItemFn {
                attrs, vis, sig, ..
            } = &f;
            let ident = &sig.ident;
            let head = quote!(#(#attrs)* #vis fn #ident);
            let ret = expand::return_type(&sig.output);
            let ret = ret.as_ref();
            match kind {
                Kind::Main => expand::main(&krate, &args, head, ret, &body, ident.span()),
                Kind::Test => expand::test(&krate, &args, head, ret, &body, ident.span()),
            }
        }
        Err(e) => {
            errors.push_all(e);
            fallback(kind, f, body)
        }
    };
    let errors = errors.to_compile_errors();
    quote!(#errors #out)
}

/// The function without the attribute, after a mistake: `fn main() {}` for a main (anything
/// else would add rustc's own errors about `main`'s signature), else the function as written
/// minus `async` and `#[test]`.
fn fallback(kind: Kind, f: syn::ItemFn, body: TokenStream) -> TokenStream {
    let syn::ItemFn {
        mut attrs,
        vis,
        mut sig,
        ..
    } = f;
    if sig.ident == "main" {
        return quote!(#(#attrs)* #vis fn main() {});
    }
    sig.asyncness = None;
    if kind == Kind::Test {
        attrs.retain(|a| !a.path().is_ident("test"));
    }
    quote!(#(#attrs)* #[allow(dead_code)] #vis #sig #body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn main_out(args: &str, item: &str) -> String {
        main_attr(args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    fn test_out(args: &str, item: &str) -> String {
        test_attr(args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    #[test]
    fn main_runs_as_a_goroutine() {
        let out = main_out("", "fn main() { run() }");
        assert!(
            out.starts_with(
                "fn main () -> :: std :: process :: ExitCode { :: gocsp :: __private :: run_main"
            ),
            "{out}"
        );
        assert!(
            out.contains("workers : :: core :: option :: Option :: None"),
            "{out}"
        );
        assert!(out.contains("move || -> () { run () }"), "{out}");
        let out = main_out(
            "workers = 4, crate = my::rt",
            "fn main() -> Result<(), Error> { run()?; Ok(()) }",
        );
        assert!(out.contains("my :: rt :: __private :: run_main"), "{out}");
        assert!(out.contains("Some (4)"), "{out}");
        assert!(out.contains("move || -> Result < () , Error > {"), "{out}");
    }

    #[test]
    fn test_is_a_test() {
        let out = test_out("check_leaks", "#[should_panic] fn t() { f() }");
        assert!(
            out.starts_with("# [:: core :: prelude :: v1 :: test] # [should_panic] fn t ()"),
            "{out}"
        );
        assert!(out.contains("check_leaks : true"), "{out}");
    }

    #[test]
    fn mistakes() {
        assert!(main_out("", "async fn main() {}").contains("`async fn`"));
        assert!(main_out("", "fn main(x: u8) {}").contains("takes no parameters"));
        assert!(main_out("", "fn start() {}").contains("goes on `fn main`"));
        assert!(main_out("", "struct S;").contains("goes on a function"));
        assert!(
            main_out("check_leaks", "fn main() {}").contains("unknown `#[gocsp::main]` option")
        );
        assert!(
            test_out("stack_size = 1", "fn t() {}").contains("unknown `#[gocsp::test]` option")
        );
        assert!(test_out("", "#[test] fn t() {}").contains("remove this `#[test]`"));
        assert!(test_out("", "fn t<T>() {}").contains("generic"));
        // After a mistake: the function without the attribute.
        let out = main_out("", "async fn main() { body() }");
        assert!(out.ends_with("fn main () { }"), "{out}");
        let out = test_out("", "async fn t() { body() }");
        assert!(
            out.ends_with("# [allow (dead_code)] fn t () { body () }"),
            "{out}"
        );
    }
}
