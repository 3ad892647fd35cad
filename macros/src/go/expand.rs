//! Expanding `go!` and Go's `go` statement.
//!
//! The call form evaluates the function value, the method receiver and the arguments now, in
//! the caller (each bound to a hygienic local and checked `Send` on the user's token), then
//! moves them into the goroutine that makes the call:
//!
//! ```text
//! go!(worker(id, jobs.receiver()))
//! // becomes
//! {
//!     let arg0 = id;                  assert_go_send(&arg0);
//!     let arg1 = jobs.receiver();     assert_go_send(&arg1);
//!     go(move || { worker(arg0, arg1); });
//! }
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ExprCall, ExprMethodCall};

use crate::tokens::user_local;

/// The call form: `f(args)` or `recv.method(args)`; `at` is the spawn site (the `go` keyword
/// in `go_syntax!`, the macro call for `go!`); `forms` lists the valid forms for the error
/// when `e` is not a call.
pub(crate) fn call(
    krate: &TokenStream,
    e: &Expr,
    at: Span,
    forms: &str,
) -> syn::Result<TokenStream> {
    let mut e = e;
    while let Expr::Paren(p) = e {
        e = &p.expr;
    }
    match e {
        Expr::Call(c) => Ok(fn_call(krate, c, at)),
        Expr::MethodCall(m) => Ok(method_call(krate, m, at)),
        other => Err(syn::Error::new(
            other.span(),
            format!("expression in go must be function call: {forms}"),
        )),
    }
}

/// Binds `value` to a local located at the value, asserted `Send`.
fn eval(
    krate: &TokenStream,
    name: &str,
    value: &Expr,
    lets: &mut TokenStream,
) -> proc_macro2::Ident {
    let span = value.span();
    let tmp = user_local(name, span);
    lets.extend(quote_spanned! {span=>
        let #tmp = #value;
        #krate::__private::assert_go_send(&#tmp);
    });
    tmp
}

fn args(
    krate: &TokenStream,
    args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
    lets: &mut TokenStream,
) -> Vec<TokenStream> {
    args.iter()
        .enumerate()
        .map(|(k, a)| {
            let name = format!("__gocsp_arg{k}");
            match go_slice(a) {
                // Go's `go sum(s[:n], c)`: the goroutine gets its own copy of the slice's
                // elements (a borrow of `s` cannot outlive the caller's frame), passed as a
                // slice. What the goroutine reads is what Go's would read; its writes stay in
                // its copy.
                Some(sliced) => {
                    let span = a.span();
                    let owned = syn::parse_quote_spanned!(span=> <[_]>::to_vec(#sliced));
                    let tmp = eval(krate, &name, &owned, lets);
                    quote_spanned!(span=> &#tmp[..])
                }
                None => eval(krate, &name, a, lets).to_token_stream(),
            }
        })
        .collect()
}

/// `(&s[a..b])`, what `go_syntax!` makes of Go's `s[a:b]`: the `&s[a..b]` inside.
fn go_slice(e: &Expr) -> Option<&Expr> {
    let Expr::Paren(p) = e else { return None };
    let Expr::Reference(r) = &*p.expr else {
        return None;
    };
    let Expr::Index(ix) = &*r.expr else {
        return None;
    };
    (r.mutability.is_none() && matches!(&*ix.index, Expr::Range(_))).then_some(&*p.expr)
}

fn fn_call(krate: &TokenStream, c: &ExprCall, at: Span) -> TokenStream {
    let mut lets = TokenStream::new();
    // `(f)(args)`: the parentheses go, or `let f = (f);` is linted on the user's code.
    let mut func = &*c.func;
    while let Expr::Paren(p) = func {
        func = &p.expr;
    }
    let func = if matches!(func, Expr::Path(_)) {
        func.to_token_stream()
    } else {
        eval(krate, "__gocsp_func", func, &mut lets).to_token_stream()
    };
    let args = args(krate, &c.args, &mut lets);
    let span = c.span();
    spawn(krate, lets, quote_spanned!(span=> #func(#(#args),*);), at)
}

fn method_call(krate: &TokenStream, m: &ExprMethodCall, at: Span) -> TokenStream {
    let mut lets = TokenStream::new();
    let mut receiver = &*m.receiver;
    while let Expr::Paren(p) = receiver {
        receiver = &p.expr;
    }
    let recv = eval(krate, "__gocsp_recv", receiver, &mut lets);
    let args = args(krate, &m.args, &mut lets);
    let method = &m.method;
    let turbofish = &m.turbofish;
    let span = m.method.span();
    spawn(
        krate,
        lets,
        quote_spanned!(span=> #recv.#method #turbofish(#(#args),*);),
        at,
    )
}

/// `go(move || call)` after the evaluations, located at `at`.
fn spawn(krate: &TokenStream, lets: TokenStream, call: TokenStream, at: Span) -> TokenStream {
    let go = crate::krate::op(krate, "go", at);
    let spawn = quote_spanned!(at=> #go(move || { #call }););
    quote! {{
        #lets
        #spawn
    }}
}

/// The closure form: the closure is handed to the runtime as written. The spawn site is the
/// `go!` call; `span` (the closure's first token) is where rustc reports errors.
pub(crate) fn closure(krate: &TokenStream, closure: TokenStream, span: Span) -> TokenStream {
    let go = crate::krate::op(krate, "go", Span::call_site());
    quote_spanned!(span=> #go(#closure))
}

/// The block form: a `move` closure around the (rewritten) statements. The spawn site is the
/// `go!` call; `span` (the block's first token) is where rustc reports errors.
pub(crate) fn block(krate: &TokenStream, body: TokenStream, span: Span) -> TokenStream {
    let go = crate::krate::op(krate, "go", Span::call_site());
    quote_spanned!(span=> #go(move || { #body }))
}

/// The forms `go!` takes, for errors.
pub(crate) const GO_MACRO_FORMS: &str =
    "`go!(f(args))`, `go!(obj.method(args))`, `go!(move || ...)` or `go! { ... }`";

/// The forms Go's `go` statement takes in `go_syntax!`, for errors.
pub(crate) const GO_STMT_FORMS: &str =
    "`go f(args)`, `go obj.method(args)` or `go func(params) { body }(args)`";
