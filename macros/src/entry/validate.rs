//! What `#[gocsp::main]` and `#[gocsp::test]` accept: a plain, non-generic `fn` without
//! parameters (named `main` for `#[gocsp::main]`).

use syn::ItemFn;
use syn::spanned::Spanned;

use super::Kind;
use crate::diag::Errors;

/// Checks `f` for `kind`.
pub(crate) fn validate(kind: Kind, f: &ItemFn) -> Result<(), Errors> {
    let mut errors = Errors::default();
    let sig = &f.sig;
    let attr = kind.attr();
    if let Some(a) = &sig.asyncness {
        errors.at(
            a.span(),
            format!(
                "`{attr}` can't be used on an `async fn`: the body already runs as a goroutine, which blocks without `.await` (as Go's functions do); remove `async`"
            ),
        );
    }
    if let Some(c) = &sig.constness {
        errors.at(
            c.span(),
            format!("`{attr}` can't be used on a `const fn`: it starts a goroutine"),
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            format!("`{attr}` can't be used on a generic function"),
        ));
    }
    if !sig.inputs.is_empty() {
        let what = match kind {
            Kind::Main => {
                "`fn main` takes no parameters (read the command line with `std::env::args()`)"
            }
            Kind::Test => "a test function takes no parameters",
        };
        errors.push(syn::Error::new_spanned(
            &sig.inputs,
            format!("{what}; remove them"),
        ));
    }
    if kind == Kind::Main && sig.ident != "main" {
        errors.at(
            sig.ident.span(),
            format!(
                "`#[gocsp::main]` goes on `fn main`, not on `fn {}`: it decides how the process ends (exit codes 1 and 2); to run another function as a goroutine, call it with `go!({}())`, or wait for it with `gocsp::spawn({}).join()`",
                sig.ident, sig.ident, sig.ident
            ),
        );
    }
    if kind == Kind::Test
        && let Some(a) = f.attrs.iter().find(|a| a.path().is_ident("test"))
    {
        errors.push(syn::Error::new_spanned(
            a,
            "`#[gocsp::test]` already makes this a `#[test]`; remove this `#[test]` (it would run the test twice)",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
