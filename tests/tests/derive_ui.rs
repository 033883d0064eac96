//! The compile errors of `#[derive(Entity)]`, pinned: each points at the mistake.

#[test]
fn compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
