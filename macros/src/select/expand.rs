//! Expanding a checked select to the runtime's select engine.
//!
//! ```text
//! {
//!     let op0 = &(rx);                          // every operand, in source order, once
//!     let op1 = &(tx); let val1 = value;
//!     let mut case0 = RecvCase::new(op0);       // cases live on the stack
//!     let mut case1 = SendCase::new(op1, val1);
//!     let i = select(&mut [&mut case0, &mut case1], biased);
//!     match i {
//!         0 => { let v = zero_value(case0.take()); body0 }
//!         1 => { body1 }
//!         _ => unreachable!(),
//!     }
//! }
//! ```
//!
//! Arm bodies run after the engine returns, outside any loop the expansion adds, so `break`,
//! `continue`, `return` and `?` in them mean what they mean around the `select!` (Go clauses
//! scope `break` to the select first, see `breaks`). With a
//! `Some(v) = <-rx` arm the selection runs in a loop: a closed channel fails the pattern, its
//! case is disabled and the engine runs again. One case plus `default` skips the engine: a
//! single non-blocking attempt.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Pat;

use super::validate::Bind;

/// What a case does, with its operands rewritten.
pub(crate) enum ExpOp {
    /// A receive from `chan`.
    Recv {
        chan: TokenStream,
        span: Span,
        bind: ExpBind,
    },
    /// A send of `value` on `chan`.
    Send {
        chan: TokenStream,
        value: TokenStream,
        span: Span,
    },
}

/// [`Bind`] with assignment targets rewritten.
pub(crate) enum ExpBind {
    Discard,
    Value(Box<Pat>),
    /// `Some(v) = <-rx`: the irrefutable `v`.
    Option(Box<Pat>),
    Whole(Box<Pat>, Box<syn::Type>),
    ValueOk(Box<Pat>, Box<Pat>),
    Assign(TokenStream),
    AssignOk(TokenStream, TokenStream),
}

impl ExpBind {
    /// From a checked bind, rewriting assignment targets with `f`.
    pub(crate) fn from(
        b: Bind,
        mut f: impl FnMut(&[proc_macro2::TokenTree]) -> TokenStream,
    ) -> Self {
        match b {
            Bind::Discard => ExpBind::Discard,
            Bind::Value(p) => ExpBind::Value(p),
            Bind::Option(p) => ExpBind::Option(p),
            Bind::Whole(p, t) => ExpBind::Whole(p, t),
            Bind::ValueOk(a, b) => ExpBind::ValueOk(a, b),
            Bind::Assign(e) => ExpBind::Assign(f(&e)),
            Bind::AssignOk(a, b) => ExpBind::AssignOk(f(&a), f(&b)),
        }
    }
}

/// One case ready to expand: its operation and its body (a braced block).
pub(crate) struct Case {
    pub(crate) op: ExpOp,
    pub(crate) body: TokenStream,
}

/// Expands a select.
pub(crate) fn expand(
    krate: &TokenStream,
    biased: bool,
    cases: &[Case],
    default: Option<&TokenStream>,
    span: Span,
) -> TokenStream {
    // Types and untracked helpers by path; the calls whose location the runtime records
    // (blocking sites, panics) through `Ops`, located at the user's token.
    let p = |name: &str, at: Span| match name {
        "block_forever" | "select" | "try_select" => crate::krate::op(krate, name, at),
        _ => {
            let name = proc_macro2::Ident::new(name, at);
            quote_spanned!(at=> #krate::__private::#name)
        }
    };
    match (cases, default) {
        ([], None) => {
            let f = p("block_forever", span);
            quote_spanned!(span=> #f())
        }
        ([], Some(d)) => d.clone(),
        ([one], Some(d)) => fast_path(krate, &p, one, d),
        _ => general(krate, &p, biased, cases, default, span),
    }
}

type PathFn<'a> = dyn Fn(&str, Span) -> TokenStream + 'a;

/// One case and `default`: a single non-blocking attempt, without the engine. The attempt
/// runs in its own block, so operand temporaries are gone before the arm's body runs.
fn fast_path(
    krate: &TokenStream,
    p: &PathFn<'_>,
    case: &Case,
    default: &TokenStream,
) -> TokenStream {
    let body = &case.body;
    let body_tail = tail(body);
    match &case.op {
        ExpOp::Recv { chan, span, bind } => {
            let span = *span;
            let op = user_local("__gocsp_op", span);
            let got = user_local("__gocsp_got", span);
            let try_recv = crate::krate::chan_op(krate, "try_recv_now", chan, Some(&op), &[], span);
            let (pat, bind) = match bind {
                // Closed (`Some(None)`): the case is disabled, so `default` runs.
                ExpBind::Option(inner) => {
                    let v = local("__gocsp_v", span);
                    (
                        quote_spanned!(span=> ::core::option::Option::Some(#v)),
                        quote_spanned!(span=> let #inner = #v;),
                    )
                }
                other => (quote!(#got), bind_value(p, other, quote!(#got), span)),
            };
            quote_spanned! {span=> {
                let #got = {
                    let #op = &(#chan);
                    #try_recv
                };
                match #got {
                    ::core::option::Option::Some(#pat) => { #bind #body_tail }
                    _ => #default,
                }
            }}
        }
        ExpOp::Send { chan, value, span } => {
            let span = *span;
            let op = user_local("__gocsp_op", span);
            let val = user_local("__gocsp_val", span);
            let sent = local("__gocsp_sent", span);
            let rejected = local("__gocsp_rejected", span);
            let dropped = local("_gocsp_dropped", span);
            let try_send = crate::krate::chan_op(
                krate,
                "try_send_now",
                chan,
                Some(&op),
                &[quote!(#val)],
                span,
            );
            let default_tail = tail(default);
            quote_spanned! {span=> {
                let #sent = {
                    let #op = &(#chan);
                    let #val = #value;
                    #try_send
                };
                match #sent {
                    ::core::result::Result::Ok(()) => #body,
                    ::core::result::Result::Err(#rejected) => {
                        // The value was not sent: it is dropped before `default` runs.
                        {
                            let #dropped = #rejected;
                        }
                        #default_tail
                    }
                }
            }}
        }
    }
}

/// Binds a received `Option<T>` (`got`) as the case says.
fn bind_value(p: &PathFn<'_>, bind: &ExpBind, got: TokenStream, span: Span) -> TokenStream {
    let zero = p("zero_value", span);
    let zero_ok = p("zero_ok", span);
    match bind {
        ExpBind::Discard => quote_spanned!(span=> let _ = #got;),
        ExpBind::Value(pat) => quote_spanned!(span=> let #pat = #zero(#got);),
        ExpBind::ValueOk(a, b) => quote_spanned!(span=> let (#a, #b) = #zero_ok(#got);),
        ExpBind::Assign(e) => quote_spanned!(span=> #e = #zero(#got);),
        ExpBind::AssignOk(a, b) => quote_spanned!(span=> (#a, #b) = #zero_ok(#got);),
        ExpBind::Whole(pat, ty) => quote_spanned!(span=> let #pat: #ty = #got;),
        // `got` is `Some`: a closed channel disabled the case before.
        ExpBind::Option(inner) => {
            let v = local("__gocsp_v", span);
            quote_spanned! {span=>
                let #inner = match #got {
                    ::core::option::Option::Some(#v) => #v,
                    ::core::option::Option::None => ::core::unreachable!(),
                };
            }
        }
    }
}

/// Any number of cases, through the engine. Selection happens in an inner block that owns
/// the operands and the cases and hands out the chosen index (and what a receive got); the
/// losing cases, their send values and the operands' temporaries are dropped there, before
/// the chosen arm's body runs outside it.
fn general(
    krate: &TokenStream,
    p: &PathFn<'_>,
    biased: bool,
    cases: &[Case],
    default: Option<&TokenStream>,
    span: Span,
) -> TokenStream {
    let mut slots = TokenStream::new();
    let mut evals = TokenStream::new();
    let mut news = TokenStream::new();
    let mut refs = Vec::new();
    let mut takes = TokenStream::new();
    let mut arms = TokenStream::new();
    let i = local("__gocsp_i", span);
    let idx = local("__gocsp_index", span);
    let mut retry = false;
    for (k, case) in cases.iter().enumerate() {
        let cspan = match &case.op {
            ExpOp::Recv { span, .. } | ExpOp::Send { span, .. } => *span,
        };
        let op = user_local(&format!("__gocsp_op{k}"), cspan);
        let c = user_local(&format!("__gocsp_case{k}"), cspan);
        let lit = Literal::usize_unsuffixed(k);
        let pat = if default.is_some() {
            quote!(::core::option::Option::Some(#lit))
        } else {
            quote!(#lit)
        };
        let body = &case.body;
        match &case.op {
            ExpOp::Recv { chan, bind, .. } => {
                let new = crate::krate::chan_op(krate, "recv_case", chan, Some(&op), &[], cspan);
                evals.extend(quote_spanned!(cspan=> let #op = &(#chan);));
                news.extend(quote_spanned!(cspan=> let mut #c = #new;));
                // What the chosen receive got: `Some(Some(v))`, `Some(None)` if closed.
                let got = user_local(&format!("__gocsp_got{k}"), cspan);
                slots.extend(quote_spanned!(cspan=> let mut #got = ::core::option::Option::None;));
                let r = local("__gocsp_r", cspan);
                let check = match bind {
                    // Closed: the case is disabled and the engine runs again. The pattern
                    // fails on nothing else, so no received value is dropped here.
                    ExpBind::Option(_) => {
                        retry = true;
                        quote_spanned! {cspan=>
                            if ::core::option::Option::is_none(&#r) {
                                #c.disable();
                                continue;
                            }
                        }
                    }
                    _ => quote!(),
                };
                takes.extend(quote_spanned! {cspan=>
                    if #i == #lit {
                        let #r = #c.take();
                        #check
                        #got = ::core::option::Option::Some(#r);
                    }
                });
                let value = quote_spanned!(cspan=> ::core::option::Option::unwrap_or_default(#got));
                let b = bind_value(p, bind, value, cspan);
                let body = tail(body);
                arms.extend(quote!(#pat => { #b #body }));
            }
            ExpOp::Send { chan, value, .. } => {
                let val = user_local(&format!("__gocsp_val{k}"), cspan);
                let new = crate::krate::chan_op(
                    krate,
                    "send_case",
                    chan,
                    Some(&op),
                    &[quote!(#val)],
                    cspan,
                );
                evals.extend(quote_spanned!(cspan=> let #op = &(#chan); let #val = #value;));
                news.extend(quote_spanned!(cspan=> let mut #c = #new;));
                arms.extend(quote!(#pat => #body,));
            }
        }
        refs.push(quote!(&mut #c));
    }
    let n = Literal::usize_unsuffixed(cases.len());
    let cases_local = local("__gocsp_cases", span);
    let select_case = p("SelectCase", span);
    let engine = if default.is_some() {
        p("try_select", span)
    } else {
        p("select", span)
    };
    // The engine call is the select's blocking site: spanned at `span` as a whole (a call
    // is located at its span, joined from its first and last tokens).
    let call = quote_spanned!(span=> #engine(&mut #cases_local, #biased));
    let run = quote! {{
        let mut #cases_local: [&mut dyn #select_case; #n] = [#(#refs),*];
        #call
    }};
    let selection = match (retry, default.is_some()) {
        (false, false) => quote! {
            let #i = #run;
            #takes
            #i
        },
        (false, true) => quote! {
            match #run {
                ::core::option::Option::Some(#i) => {
                    #takes
                    ::core::option::Option::Some(#i)
                }
                ::core::option::Option::None => ::core::option::Option::None,
            }
        },
        (true, false) => quote! {
            loop {
                let #i = #run;
                #takes
                break #i;
            }
        },
        (true, true) => quote! {
            loop {
                let #i = match #run {
                    ::core::option::Option::Some(#i) => #i,
                    ::core::option::Option::None => break ::core::option::Option::None,
                };
                #takes
                break ::core::option::Option::Some(#i);
            }
        },
    };
    let none = default.map(|d| quote!(::core::option::Option::None => #d,));
    quote_spanned! {span=> {
        #slots
        let #idx = {
            #evals
            #news
            #selection
        };
        match #idx {
            #arms
            #none
            _ => ::core::unreachable!(),
        }
    }}
}

/// The statements of a braced body, to end a block the expansion opens (`{ let v = ..;
/// stmts }`): the user's braces kept there would be the block's tail, linted as
/// unnecessary braces on the user's code.
fn tail(body: &TokenStream) -> TokenStream {
    let mut it = body.clone().into_iter();
    match (it.next(), it.next()) {
        (Some(proc_macro2::TokenTree::Group(g)), None)
            if g.delimiter() == proc_macro2::Delimiter::Brace =>
        {
            g.stream()
        }
        _ => body.clone(),
    }
}

/// A generated local, hygienic but located at the user's token.
fn local(name: &str, at: Span) -> proc_macro2::Ident {
    crate::tokens::local(name, at)
}

/// A generated local errors are reported on (see [`crate::tokens::user_local`]).
fn user_local(name: &str, at: Span) -> proc_macro2::Ident {
    crate::tokens::user_local(name, at)
}
