//! `#[owner]`'s options: `buffer = n` (the channel's capacity) and `crate = path` (where
//! the runtime is, for re-exports; attributes cannot receive `$crate`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, Path, Token};

/// The parsed options.
#[derive(Default)]
pub(crate) struct OwnerArgs {
    /// `buffer = n`.
    pub(crate) buffer: Option<Expr>,
    /// `crate = path`.
    pub(crate) krate: Option<Path>,
}

impl OwnerArgs {
    /// The runtime's path.
    pub(crate) fn krate(&self) -> TokenStream {
        match &self.krate {
            Some(p) => quote!(#p),
            None => quote!(::gocsp),
        }
    }
}

impl Parse for OwnerArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = OwnerArgs::default();
        while !input.is_empty() {
            if !crate::krate::parse_crate_option(input, &mut args.krate)? {
                let key: Ident = input.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected an `#[owner]` option: `buffer = n` or `crate = path`",
                    )
                })?;
                if key != "buffer" {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown `#[owner]` option `{key}`: expected `buffer = n` or `crate = path`"
                        ),
                    ));
                }
                input.parse::<Token![=]>()?;
                let n: Expr = input.parse()?;
                if args.buffer.replace(n).is_some() {
                    return Err(syn::Error::new(key.span(), "`buffer` is given twice"));
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}
