//! The macros' contract, checked by compiling: `tests/pass/*.rs` must build and run to
//! success (each asserts its results), `tests/ui/<macro>/<mistake>.rs` must fail with the
//! `.stderr` beside it. Regenerate with `TRYBUILD=overwrite` and review every diff.
#![forbid(unsafe_code)]

#[test]
fn macros() {
    let t = trybuild::TestCases::new();
    t.pass("tests/pass/*.rs");
    t.compile_fail("tests/ui/*/*.rs");
}
