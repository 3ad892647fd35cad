//! The generated function: the `Sender<T>` parameter is dropped, the return type becomes
//! `Receiver<T>`, and the body runs in a goroutine that owns the send side:
//!
//! ```text
//! #[owner(buffer = 4)]
//! fn gen(n: u32, out: Sender<u32>) { body }
//! // becomes
//! fn gen(n: u32) -> Receiver<u32> {
//!     gocsp::__private::owner(4, move |out: Sender<u32>| body)
//! }
//! ```

use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, ReturnType};

use super::validate::SenderParam;

/// Rewrites `f` around its `Sender<T>` parameter `p`; `body` is the (rewritten) body block.
pub(crate) fn expand(
    mut f: ItemFn,
    p: SenderParam,
    krate: &TokenStream,
    buffer: TokenStream,
    body: TokenTree,
) -> TokenStream {
    let inputs = std::mem::take(&mut f.sig.inputs);
    f.sig.inputs = inputs
        .into_pairs()
        .enumerate()
        .filter(|(i, _)| *i != p.index)
        .map(|(_, pair)| pair)
        .collect();
    // `into_pairs` keeps each input's comma: drop a trailing one left by the removal.
    if let Some(last) = f.sig.inputs.pop() {
        f.sig.inputs.push(last.into_value());
    }
    let elem = &p.elem;
    let span = p.ty.span();
    f.sig.output = ReturnType::Type(
        Default::default(),
        Box::new(syn::parse_quote_spanned!(span=> #krate::__private::Receiver<#elem>)),
    );
    let (pat, ty) = (&p.pat, &p.ty);
    let owner = quote_spanned!(span=> #krate::__private::owner);
    // Each parameter moves into the goroutine: check it is `Send` on its own name.
    let asserts = f.sig.inputs.iter().filter_map(|input| match input {
        syn::FnArg::Typed(pt) => match &*pt.pat {
            syn::Pat::Ident(id) => {
                let id = &id.ident;
                Some(quote_spanned!(id.span()=> #krate::__private::assert_go_send(&#id);))
            }
            _ => None,
        },
        syn::FnArg::Receiver(_) => None,
    });
    let asserts: Vec<TokenStream> = asserts.collect();
    let ItemFn {
        attrs, vis, sig, ..
    } = f;
    quote! {
        #(#attrs)* #vis #sig {
            #(#asserts)*
            #owner(#buffer, move |#pat: #ty| #body)
        }
    }
}
