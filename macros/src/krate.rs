//! The `$crate ;` prefix the public `macro_rules!` wrappers put before the user's tokens.
//!
//! `gocsp::select!` expands to `$crate::__private::__select_impl!($crate; ...)`, so expanded
//! code names the runtime through whatever path the user reached it by (a renamed or
//! re-exported crate works). Attributes cannot receive `$crate`; `#[owner]`, `#[gocsp::main]`
//! and `#[gocsp::test]` use `::gocsp` or their `crate = path` option instead.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote_spanned;

use crate::tokens::is_punct;

/// Splits `$crate ; rest` into the crate path and the user's tokens.
pub(crate) fn split(input: TokenStream) -> syn::Result<(TokenStream, TokenStream)> {
    let mut krate = TokenStream::new();
    let mut iter = input.into_iter();
    for tt in iter.by_ref() {
        if is_punct(Some(&tt), ';') {
            return Ok((krate, iter.collect()));
        }
        krate.extend([tt]);
    }
    Err(syn::Error::new(
        Span::call_site(),
        "this hidden macro is called through the public gocsp macros (`go!`, `select!`, ...)",
    ))
}

/// Runs a `$crate`-taking macro: splits the prefix and hands both parts to `f`.
pub(crate) fn with_krate(
    input: TokenStream,
    f: impl FnOnce(&TokenStream, TokenStream) -> TokenStream,
) -> TokenStream {
    match split(input) {
        Ok((krate, rest)) => f(&krate, rest),
        Err(e) => e.to_compile_error(),
    }
}

/// `<krate::__private::Ops>::name`: a runtime call whose caller location the runtime records
/// (a spawn site, a blocking site, a panic location).
///
/// rustc locates a call at the call expression's span, and a span joined from tokens of
/// different macro contexts takes the macro's: a path that starts with `$crate` (a token of
/// the `macro_rules!` wrapper) is located at the macro call, whatever the rest is spanned at.
/// Here every token outside `krate` carries `span`, so with the call's parentheses spanned
/// at the user's tokens too, `Location::caller()` is the user's line (`go`, `<-`, the
/// operand), while `krate` keeps the context it resolves in.
pub(crate) fn op(krate: &TokenStream, name: &str, span: Span) -> TokenStream {
    let name = Ident::new(name, span);
    quote_spanned!(span=> <#krate::__private::Ops>::#name)
}

/// Parses an attribute's `crate = path` option if it comes next (`Ok(true)`), into `slot`;
/// a second one is an error. `#[owner]`, `#[gocsp::main]` and `#[gocsp::test]` share it.
pub(crate) fn parse_crate_option(
    input: syn::parse::ParseStream,
    slot: &mut Option<syn::Path>,
) -> syn::Result<bool> {
    if !input.peek(syn::Token![crate]) {
        return Ok(false);
    }
    let kw: syn::Token![crate] = input.parse()?;
    input.parse::<syn::Token![=]>()?;
    let path = input.call(syn::Path::parse_mod_style)?;
    if slot.replace(path).is_some() {
        return Err(syn::Error::new(kw.span, "`crate` is given twice"));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_prefix() {
        let (k, rest) = split("::gocsp; a b".parse().unwrap()).unwrap();
        assert_eq!(k.to_string(), ":: gocsp");
        assert_eq!(rest.to_string(), "a b");
        assert!(split("no prefix".parse().unwrap()).is_err());
    }
}
