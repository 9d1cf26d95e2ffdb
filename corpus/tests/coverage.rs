//! The corpus exercises every rule of the derivative table: a rule added to
//! `asd-macros/src/rules.rs` without a way for the generator to write it fails here.

/// The syntax of each rule, read from the table: `Method("sin")` is `.sin(`,
/// `Function("erf")` is `erf(`, `Infix("+")` is ` + `.
fn rule_syntax() -> Vec<String> {
    let rules = include_str!("../../asd-macros/src/rules.rs");
    let table = &rules[rules.find("rules! {").expect("the table")..];
    let mut out = Vec::new();
    for line in table.lines() {
        let Some((_, rest)) = line.split_once(" = ") else {
            continue;
        };
        let quoted = |s: &str| s.split('"').nth(1).map(str::to_string);
        let syntax = if rest.starts_with("Method(") {
            quoted(rest).map(|m| format!(".{m}("))
        } else if rest.starts_with("Function(") {
            quoted(rest).map(|m| format!("{m}("))
        } else if rest.starts_with("Infix(") {
            quoted(rest).map(|m| format!(" {m} "))
        } else if rest.starts_with("Prefix(") {
            quoted(rest).map(|m| format!("({m}"))
        } else {
            None // an internal operation (the step of `max`), not written by users
        };
        out.extend(syntax);
    }
    out
}

#[test]
fn every_rule_of_the_table_is_in_the_corpus() {
    let corpus = [
        include_str!(concat!(env!("OUT_DIR"), "/batch_0.rs")),
        include_str!(concat!(env!("OUT_DIR"), "/batch_1.rs")),
        include_str!(concat!(env!("OUT_DIR"), "/batch_2.rs")),
        include_str!(concat!(env!("OUT_DIR"), "/batch_3.rs")),
    ]
    .concat();
    let rules = rule_syntax();
    assert!(rules.len() >= 40, "the table was read: {rules:?}");
    let missing: Vec<&String> = rules
        .iter()
        .filter(|r| !corpus.contains(r.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "rules no corpus program uses: {missing:?}"
    );
}
