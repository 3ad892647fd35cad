//! The expansions. `#[gocsp::main] fn main() -> R { body }` becomes
//!
//! ```text
//! fn main() -> ExitCode { krate::__private::run_main(options, move || -> R { body }) }
//! ```
//!
//! and `#[gocsp::test] fn name() -> R { body }` becomes a `#[test]` that calls
//! `krate::__private::run_test(options, move || -> R { body })`. The call is spanned at the
//! function's name, so the goroutine's spawn site (in dumps, panics and deadlock reports) is
//! the user's `fn main` line.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{ReturnType, Type};

use super::attr::EntryArgs;

fn option(v: &Option<syn::Expr>) -> TokenStream {
    match v {
        Some(e) => quote!(::core::option::Option::Some(#e)),
        None => quote!(::core::option::Option::None),
    }
}

/// The return type of a signature, if any.
pub(crate) fn return_type(output: &ReturnType) -> Option<TokenStream> {
    match output {
        ReturnType::Type(_, ty) => Some(quote!(#ty)),
        ReturnType::Default => None,
    }
}

/// The body as a closure that returns what the function returned (`()` when it names no
/// type, so that a body that only panics is not inferred as `!`). An `impl Trait` return type
/// can't be a closure's; there the closure's type is inferred.
fn closure(ret: Option<&TokenStream>, body: &TokenStream) -> TokenStream {
    match ret {
        Some(ty) if matches!(syn::parse2::<Type>(ty.clone()), Ok(Type::ImplTrait(_))) => {
            quote!(move || #body)
        }
        Some(ty) => quote!(move || -> #ty #body),
        None => quote!(move || -> () #body),
    }
}

/// `fn main`'s replacement body and signature.
pub(crate) fn main(
    krate: &TokenStream,
    args: &EntryArgs,
    head: TokenStream,
    ret: Option<&TokenStream>,
    body: &TokenStream,
    span: Span,
) -> TokenStream {
    let workers = option(&args.workers);
    let stack_size = option(&args.stack_size);
    let f = closure(ret, body);
    let call = quote_spanned!(span=> #krate::__private::run_main);
    quote! {
        #head () -> ::std::process::ExitCode {
            #call(
                #krate::__private::MainOptions {
                    workers: #workers,
                    stack_size: #stack_size,
                },
                #f,
            )
        }
    }
}

/// A `#[test]` whose body runs as a goroutine.
pub(crate) fn test(
    krate: &TokenStream,
    args: &EntryArgs,
    head: TokenStream,
    ret: Option<&TokenStream>,
    body: &TokenStream,
    span: Span,
) -> TokenStream {
    let workers = option(&args.workers);
    let check_leaks = args.check_leaks;
    let f = closure(ret, body);
    let call = quote_spanned!(span=> #krate::__private::run_test);
    quote! {
        #[::core::prelude::v1::test]
        #head() {
            #call(
                #krate::__private::TestOptions {
                    workers: #workers,
                    check_leaks: #check_leaks,
                },
                #f,
            )
        }
    }
}
