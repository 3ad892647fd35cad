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

/// A direction-checked channel operation (`send`, `recv`, `recv_option`, `recv_ok`,
/// `range`, `close`, `try_send_now`, `try_recv_now`, `send_case`, `recv_case`) on `chan`.
/// When the operand is a plain variable (see [`operand_name`]) it is
/// `<_ as krate::__private::SendTo<_, _, _>>::send({ mod .. { struct out; } Operand::operand::<out>(&out) }, args)`,
/// with a unit struct named after the variable declared in the operand's block, so that a
/// direction mistake reads as Go's does: "cannot send to receive-only channel `out`
/// (variable of type `Receiver<i32>`)", with no note pointing into gocsp (see
/// `runtime/src/__private/named.rs`). Any other operand goes through the unnamed twins
/// (`SendToValue`, ...): "(value of type `...`)". `evaluated`: a reference to the handle
/// `chan` evaluated beforehand (a `select!` case's), used instead of borrowing `chan` here.
/// Located at `span`, as [`op`] is.
pub(crate) fn chan_op(
    krate: &TokenStream,
    method: &str,
    chan: &TokenStream,
    evaluated: Option<&Ident>,
    args: &[TokenStream],
    span: Span,
) -> TokenStream {
    // A value: `recv_option`, read as Go's `v = <-ch` / `v, ok = <-ch` by a trait method, so
    // that a missing zero value (`Default`) is reported with no note on a function's bound.
    let zero = match method {
        "recv" => Some("or_zero"),
        "recv_ok" => Some("or_zero_ok"),
        _ => None,
    };
    if let Some(zero) = zero {
        let zero = Ident::new(zero, span);
        let got = chan_op(krate, "recv_option", chan, evaluated, args, span);
        return quote_spanned!(span=> <_ as #krate::__private::ZeroValue>::#zero(#got));
    }
    let name = operand_name(chan);
    let which = match method {
        "send" | "try_send_now" | "send_case" => "SendTo",
        "close" => "CloseOn",
        _ => "RecvFrom",
    };
    let which = if name.is_some() {
        Ident::new(which, span)
    } else {
        Ident::new(&format!("{which}Value"), span)
    };
    let method = Ident::new(method, span);
    let operand = match evaluated {
        Some(op) => quote_spanned!(span=> #op),
        None => quote_spanned!(span=> &(#chan)),
    };
    let Some(mut name) = name else {
        return quote_spanned! {span=>
            <_ as #krate::__private::#which<_, _, _>>::#method(
                <_ as #krate::__private::Operand>::operand::<()>(#operand)
                #(, #args)*
            )
        };
    };
    // The name's module is spanned inside the expansion, not at the user's tokens: rustc does
    // not lint items made by another crate's macro (a lowercase type name, a type never
    // constructed), so it carries no `allow`, which a crate that forbids those lints would
    // reject.
    let hygiene = Span::mixed_site().located_at(span);
    let module = Ident::new("__gocsp_name", hygiene);
    name.set_span(hygiene);
    let declare = quote_spanned! {hygiene=>
        mod #module {
            pub(super) struct #name;
        }
    };
    quote_spanned! {span=>
        <_ as #krate::__private::#which<_, _, _>>::#method(
            {
                #declare
                <_ as #krate::__private::Operand>::operand::<#module::#name>(#operand)
            }
            #(, #args)*
        )
    }
}

/// The variable a channel operand names, if it is one plain identifier (`out`, not
/// `self.out`, `chans[0]` or `self`): the name [`chan_op`] puts in a direction error.
pub(crate) fn operand_name(chan: &TokenStream) -> Option<Ident> {
    let mut it = chan.clone().into_iter();
    let first = it.next()?;
    if it.next().is_some() {
        return None;
    }
    match first {
        proc_macro2::TokenTree::Ident(id)
            if !matches!(
                id.to_string().as_str(),
                "self" | "Self" | "super" | "crate" | "_"
            ) =>
        {
            Some(id)
        }
        proc_macro2::TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::None => {
            operand_name(&g.stream())
        }
        _ => None,
    }
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

/// What [`chan_op`] expands to under `::gocsp`, as text, for the expansion tests: on the
/// operand `chan`, or on `evaluated` standing for it (a `select!` case's).
#[cfg(test)]
pub(crate) fn named_text(
    method: &str,
    chan: &str,
    evaluated: Option<&str>,
    args: &[&str],
) -> String {
    let krate: TokenStream = "::gocsp".parse().unwrap();
    let evaluated = evaluated.map(|e| Ident::new(e, Span::call_site()));
    let args: Vec<TokenStream> = args.iter().map(|a| a.parse().unwrap()).collect();
    let chan: TokenStream = chan.parse().unwrap();
    chan_op(
        &krate,
        method,
        &chan,
        evaluated.as_ref(),
        &args,
        Span::call_site(),
    )
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_variable_is_a_named_operand() {
        let name = |s: &str| operand_name(&s.parse().unwrap()).map(|i| i.to_string());
        assert_eq!(name("out").as_deref(), Some("out"));
        assert_eq!(name("self"), None);
        assert_eq!(name("self.out"), None);
        assert_eq!(name("chans[0]"), None);
        let text = named_text("send", "self.out", None, &["1"]);
        assert!(
            text.starts_with("< _ as :: gocsp :: __private :: SendToValue < _ , _ , _ >> :: send (< _ as :: gocsp :: __private :: Operand > :: operand :: < () > (& (self . out)) , 1)"),
            "{text}"
        );
        let text = named_text("send", "out", None, &["1"]);
        assert!(text.contains("struct out ;"), "{text}");
        assert!(
            text.contains("< _ as :: gocsp :: __private :: Operand > :: operand :: < __gocsp_name :: out > (& (out)) } , 1)"),
            "{text}"
        );
    }

    #[test]
    fn splits_prefix() {
        let (k, rest) = split("::gocsp; a b".parse().unwrap()).unwrap();
        assert_eq!(k.to_string(), ":: gocsp");
        assert_eq!(rest.to_string(), "a b");
        assert!(split("no prefix".parse().unwrap()).is_err());
    }
}
