//! The options of `#[gocsp::main(...)]` and `#[gocsp::test(...)]`: `workers = n`,
//! `stack_size = bytes` (main only), `check_leaks` (test only), and `crate = path` (where the
//! runtime is, for re-exports; attributes cannot receive `$crate`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Ident, Path, Token};

use super::Kind;

/// The parsed options.
#[derive(Default)]
pub(crate) struct EntryArgs {
    /// `workers = n`.
    pub(crate) workers: Option<Expr>,
    /// `stack_size = bytes`.
    pub(crate) stack_size: Option<Expr>,
    /// `check_leaks`.
    pub(crate) check_leaks: bool,
    /// `crate = path`.
    pub(crate) krate: Option<Path>,
}

impl EntryArgs {
    /// The runtime's path.
    pub(crate) fn krate(&self) -> TokenStream {
        match &self.krate {
            Some(p) => quote!(#p),
            None => quote!(::gocsp),
        }
    }

    /// Parses the options of `kind`.
    pub(crate) fn parse(kind: Kind, args: TokenStream) -> syn::Result<EntryArgs> {
        (|input: ParseStream| parse_args(kind, input)).parse2(args)
    }
}

fn valid_forms(kind: Kind) -> &'static str {
    match kind {
        Kind::Main => "`workers = n`, `stack_size = bytes` or `crate = path`",
        Kind::Test => "`check_leaks`, `workers = n` or `crate = path`",
    }
}

fn parse_args(kind: Kind, input: ParseStream) -> syn::Result<EntryArgs> {
    let mut args = EntryArgs::default();
    let attr = kind.attr();
    while !input.is_empty() {
        if !crate::krate::parse_crate_option(input, &mut args.krate)? {
            let key: Ident = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    format!("expected a `{attr}` option: {}", valid_forms(kind)),
                )
            })?;
            let twice = || syn::Error::new(key.span(), format!("`{key}` is given twice"));
            match (kind, key.to_string().as_str()) {
                (_, "workers") => {
                    input.parse::<Token![=]>()?;
                    if args.workers.replace(input.parse()?).is_some() {
                        return Err(twice());
                    }
                }
                (Kind::Main, "stack_size") => {
                    input.parse::<Token![=]>()?;
                    if args.stack_size.replace(input.parse()?).is_some() {
                        return Err(twice());
                    }
                }
                (Kind::Test, "check_leaks") => {
                    if std::mem::replace(&mut args.check_leaks, true) {
                        return Err(twice());
                    }
                }
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown `{attr}` option `{key}`: expected {}",
                            valid_forms(kind)
                        ),
                    ));
                }
            }
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(args)
}
