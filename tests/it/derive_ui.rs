//! Compile-fail tests: each mistake in `#[autogen(...)]` attributes, and a field type with no
//! Postgres type, is a compile error pointing at the attribute or type, with the message in
//! `tests/ui/*.stderr`.

#[test]
fn attribute_mistakes_are_compile_errors_at_the_attribute() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
