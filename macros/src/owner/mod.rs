//! `#[owner]`: Go's owner pattern. Parse the options (`attr`), check the function
//! (`validate`), rewrite it (`expand`). After a mistake the function is emitted unchanged
//! beside the error, so callers see what they wrote. (rustc parses an attribute's item before
//! the attribute runs, so the body is plain Rust; inside `go_syntax!` it may use Go forms.)

mod attr;
mod expand;
mod validate;

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::quote;

use self::attr::OwnerArgs;
use crate::diag::Errors;
use crate::tokens::{stream, to_vec};

/// `#[owner(args)] item`.
pub(crate) fn owner_attr(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = syn::parse2::<OwnerArgs>(args).unwrap_or_else(|e| {
        errors.push(e);
        OwnerArgs::default()
    });
    let krate = args.krate();
    // Only the signature is parsed; the body is passed through as written.
    let ts = to_vec(item.clone());
    let (head, body) = match ts.split_last() {
        Some((TokenTree::Group(g), head)) if g.delimiter() == Delimiter::Brace => (head, g),
        _ => {
            let e = syn::Error::new(
                Span::call_site(),
                "`#[owner]` goes on a function: `#[owner] fn numbers(out: Sender<i32>) { ... }`",
            )
            .to_compile_error();
            return quote!(#e #item);
        }
    };
    let mut sig_only = stream(head);
    sig_only.extend(quote!({}));
    let f = match syn::parse2::<syn::ItemFn>(sig_only) {
        Ok(f) => f,
        Err(e) => {
            let e = syn::Error::new(
                e.span(),
                "`#[owner]` goes on a function: `#[owner] fn numbers(out: Sender<i32>) { ... }`",
            )
            .to_compile_error();
            return quote!(#e #item);
        }
    };
    let body = TokenTree::Group(body.clone());
    let out = match validate::validate(&f) {
        Ok(p) => {
            let buffer = match &args.buffer {
                Some(n) => quote!(#n),
                None => quote!(0),
            };
            expand::expand(f, p, &krate, buffer, body)
        }
        Err(e) => {
            errors.push_all(e);
            let syn::ItemFn {
                attrs, vis, sig, ..
            } = f;
            quote!(#(#attrs)* #vis #sig #body)
        }
    };
    let errors = errors.to_compile_errors();
    quote!(#errors #out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(args: &str, item: &str) -> String {
        owner_attr(args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    #[test]
    fn rewrites_the_signature() {
        let out = owner(
            "buffer = 2",
            "fn gen<T: Send + 'static>(n: u32, out: Sender<T>, x: impl Fn()) { body() }",
        );
        assert!(out.contains("fn gen < T : Send + 'static > (n : u32 , x : impl Fn ()) -> :: gocsp :: __private :: Receiver < T >"), "{out}");
        assert!(
            out.contains(
                ":: gocsp :: __private :: owner (2 , move | out : Sender < T > | { body () })"
            ),
            "{out}"
        );
        let out = owner("crate = my::rt", "fn gen(out: Sender<u8>) {}");
        assert!(
            out.contains("my :: rt :: __private :: Receiver < u8 >"),
            "{out}"
        );
        assert!(out.contains("(0 , move"), "{out}");
    }

    #[test]
    fn mistakes() {
        assert!(owner("", "fn gen(n: u32) {}").contains("needs a `Sender<T>` parameter"));
        assert!(owner("", "fn gen(a: Sender<u8>, b: Sender<u8>) {}").contains("exactly one"));
        assert!(owner("", "fn gen(a: Sender<u8>) -> u8 { 1 }").contains("returns nothing"));
        assert!(owner("", "async fn gen(a: Sender<u8>) {}").contains("async fn"));
        assert!(
            owner("size = 3", "fn gen(a: Sender<u8>) {}")
                .contains("unknown `#[owner]` option `size`")
        );
    }
}
