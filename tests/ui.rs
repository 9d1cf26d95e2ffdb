//! Compile-time errors: every unsupported construct is rejected at its own span with a
//! message that says what to write instead, and all mistakes of a function are
//! reported together.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/signature/*.rs");
    t.compile_fail("tests/ui/body/*.rs");
    t.compile_fail("tests/ui/rules/*.rs");
}
