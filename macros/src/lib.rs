//! Procedural macros behind `gocsp`. Depend on `gocsp`, which re-exports them.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

macro_rules! stub {
    ($($name:ident),*) => {$(
        #[doc(hidden)]
        #[proc_macro]
        pub fn $name(_input: TokenStream) -> TokenStream {
            concat!("compile_error!(\"", stringify!($name), " is not implemented yet\");").parse().unwrap()
        }
    )*};
}

stub!(
    __go_impl,
    __select_impl,
    __make_impl,
    __defer_impl,
    __go_syntax_impl
);

#[doc(hidden)]
#[proc_macro_attribute]
pub fn __owner_impl(_args: TokenStream, _item: TokenStream) -> TokenStream {
    "compile_error!(\"owner is not implemented yet\");"
        .parse()
        .unwrap()
}
