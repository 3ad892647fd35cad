//! What `#[owner]` accepts: a plain `fn` with exactly one `Sender<T>` parameter and no return
//! type.

use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, ItemFn, Pat, PathArguments, ReturnType, Type};

use crate::diag::Errors;

/// The `Sender<T>` parameter the body sends on.
pub(crate) struct SenderParam {
    /// Its position among the inputs.
    pub(crate) index: usize,
    /// Its pattern (`out`, `mut out`, `_`).
    pub(crate) pat: Box<Pat>,
    /// Its type as written (`Sender<T>`, `gocsp::Sender<T>`).
    pub(crate) ty: Box<Type>,
    /// `T`.
    pub(crate) elem: Type,
}

/// Checks `f`; returns its `Sender<T>` parameter or the errors.
pub(crate) fn validate(f: &ItemFn) -> Result<SenderParam, Errors> {
    let mut errors = Errors::default();
    let sig = &f.sig;
    if let Some(a) = &sig.asyncness {
        errors.at(
            a.span(),
            "`#[owner]` can't be used on an `async fn`: its body already runs as a goroutine; remove `async`",
        );
    }
    if let Some(c) = &sig.constness {
        errors.at(
            c.span(),
            "`#[owner]` can't be used on a `const fn`: it starts a goroutine",
        );
    }
    if let ReturnType::Type(_, ty) = &sig.output
        && !matches!(&**ty, Type::Tuple(t) if t.elems.is_empty())
    {
        errors.at(
            ty.span(),
            format!(
                "an `#[owner]` function returns nothing: the generated function returns the `Receiver<T>` for its `Sender<T>` parameter; remove `-> {}`",
                quote::ToTokens::to_token_stream(ty)
            ),
        );
    }
    let mut senders = Vec::new();
    for (index, input) in sig.inputs.iter().enumerate() {
        let FnArg::Typed(pt) = input else { continue };
        if let Some(elem) = sender_elem(&pt.ty) {
            senders.push(SenderParam {
                index,
                pat: pt.pat.clone(),
                ty: pt.ty.clone(),
                elem,
            });
        }
    }
    if senders.len() > 1 {
        for extra in &senders[1..] {
            errors.at(
                extra.ty.span(),
                "`#[owner]` takes exactly one `Sender<T>` parameter (the channel it owns and returns); this is a second one",
            );
        }
    }
    let first = senders.into_iter().next();
    if first.is_none() {
        errors.at(
            sig.paren_token.span.join(),
            format!(
                "`#[owner]` needs a `Sender<T>` parameter to send on: `fn {}(..., out: Sender<T>)`; callers get the matching `Receiver<T>`",
                sig.ident
            ),
        );
    }
    match first {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err(errors),
    }
}

/// `T` if `ty` is `Sender<T>` (any path ending in `Sender` with one type argument).
fn sender_elem(ty: &Type) -> Option<Type> {
    let Type::Path(tp) = ty else { return None };
    let last = tp.path.segments.last()?;
    if last.ident != "Sender" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    });
    let t = types.next()?;
    types.next().is_none().then_some(t)
}
