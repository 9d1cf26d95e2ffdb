//! `f_explain(x, c.., i, j)`: why output `i` depends on input `j`. Its answer must agree
//! with the pattern entry by entry, and name the statements (by their source line here)
//! through which the input reaches the output.

use asd::sparse_diff;

/// The line of this file holding `text` (once, outside the calls of this function).
fn line_of(text: &str) -> u32 {
    let lines: Vec<usize> = include_str!("explain.rs")
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(text) && !l.contains("line_of"))
        .map(|(k, _)| k + 1)
        .collect();
    assert_eq!(lines.len(), 1, "`{text}` is on lines {lines:?}");
    lines[0] as u32
}

#[sparse_diff]
fn iter_diff(x: &[f64], k: usize) -> Vec<f64> {
    let mut y = x.to_vec();
    for _ in 0..k {
        let mut z = vec![0.0; y.len() - 1];
        for i in 0..y.len() - 1 {
            z[i] = y[i + 1] - y[i]; // DIFFERENCE
        }
        y = z;
    }
    y
}

#[sparse_diff]
fn squash(u: &[f64]) -> Vec<f64> {
    let mut v = vec![0.0; u.len()];
    for i in 0..u.len() {
        v[i] = u[i].tanh(); // SQUASH
    }
    v
}

/// A helper call, a branch on a real, an accumulation and an output parameter.
#[sparse_diff]
fn mixed(x: &[f64], y: &mut [f64]) {
    let s = squash(x); // CALL
    let mut total = 0.0;
    for i in 0..x.len() {
        total += s[i] * x[0]; // ACCUMULATE
    }
    for i in 0..y.len() {
        if x[i] > 0.0 {
            y[i] = s[i] * 2.0; // POSITIVE
        } else {
            y[i] = total; // OTHERWISE
        }
    }
}

#[sparse_diff]
fn energy(x: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 1..x.len() {
        let d = x[i] - x[i - 1]; // DELTA
        e += d * d; // SQUARE
    }
    e
}

fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| (i as f64 * 0.7).sin()).collect()
}

#[test]
fn an_explanation_exists_exactly_for_the_entries_of_the_pattern() {
    let x = point(7);
    let p = iter_diff_jacobian_sparsity(&x, 2);
    for i in 0..5 {
        for j in 0..7 {
            let e = iter_diff_explain(&x, 2, i, j);
            assert_eq!(e.entry(), (i, j));
            assert_eq!(e.depends(), p.contains(i, j), "({i}, {j})");
        }
    }
    let p = mixed_jacobian_sparsity(&x, &mut [0.0; 7]);
    let q = energy_jacobian_sparsity(&x);
    for j in 0..7 {
        for i in 0..7 {
            assert_eq!(
                mixed_explain(&x, &mut [0.0; 7], i, j).depends(),
                p.contains(i, j)
            );
        }
        assert_eq!(energy_explain(&x, 0, j).depends(), q.contains(0, j));
    }
}

#[test]
fn the_chain_names_the_statements_through_which_the_input_reaches_the_output() {
    let x = point(7);
    let e = iter_diff_explain(&x, 2, 1, 2);
    let sites = e.statements();
    // y[1] = z[2] - z[1] of the second pass, each a difference of the first.
    assert_eq!(sites.len(), 1, "{e}");
    assert_eq!(sites[0].line, line_of("// DIFFERENCE"), "{e}");
    assert_eq!(sites[0].function, "iter_diff");
    assert_eq!(sites[0].text, "z[i] = y[i + 1] - y[i]");
    assert!(sites[0].file.ends_with("explain.rs"), "{}", sites[0].file);

    // Through the helper, then the branch's arm.
    let e = mixed_explain(&x, &mut [0.0; 7], 3, 3);
    let lines: Vec<(&str, u32)> = e
        .statements()
        .iter()
        .map(|s| (s.function, s.line))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("squash", line_of("// SQUASH")),
            ("mixed", line_of("// CALL")),
            ("mixed", line_of("// POSITIVE")),
        ],
        "{e}"
    );
    // Only through the accumulation: the shortest chain is the one given.
    let e = mixed_explain(&x, &mut [0.0; 7], 3, 0);
    let last = e.statements().last().expect("a chain");
    assert_eq!(last.line, line_of("// OTHERWISE"), "{e}");
    assert!(
        e.statements()
            .iter()
            .any(|s| s.line == line_of("// ACCUMULATE")),
        "{e}"
    );
    // The accumulation in a loop is named once.
    let e = energy_explain(&x, 0, 3);
    let lines: Vec<u32> = e.statements().iter().map(|s| s.line).collect();
    assert_eq!(
        lines,
        vec![line_of("// DELTA"), line_of("// SQUARE")],
        "{e}"
    );
}

#[test]
fn an_explanation_prints_its_chain() {
    let x = point(7);
    let shown = iter_diff_explain(&x, 2, 1, 2).to_string();
    let line = line_of("// DIFFERENCE");
    assert!(
        shown.starts_with("y[1] of iter_diff depends on x[2]:\n  "),
        "{shown}"
    );
    assert!(
        shown.ends_with(&format!(
            "explain.rs:{line} (iter_diff): z[i] = y[i + 1] - y[i]"
        )),
        "{shown}"
    );
    let shown = iter_diff_explain(&x, 2, 0, 6).to_string();
    assert_eq!(
        shown,
        "y[0] of iter_diff does not depend on x[6]: (0, 6) is not in the pattern"
    );
}

#[test]
#[should_panic(expected = "asd: the input index j = 7 is out of range for an input of length 7")]
fn an_input_index_out_of_range_is_refused() {
    iter_diff_explain(&point(7), 2, 0, 7);
}

#[test]
#[should_panic(expected = "asd: the output index i = 5 is out of range for an output of length 5")]
fn an_output_index_out_of_range_is_refused() {
    iter_diff_explain(&point(7), 2, 5, 0);
}

#[test]
fn a_local_explanation_follows_the_branches_taken_at_x() {
    // x[3] > 0: y[3] takes the first arm, which reads s[3] only.
    let x = [-0.5, 0.3, -0.2, 0.8, -0.1, 0.4, 0.6];
    let e = mixed_explain_local(&x, &mut [0.0; 7], 3, 3);
    let last = e.statements().last().expect("a chain");
    assert_eq!(last.line, line_of("// POSITIVE"), "{e}");
    assert!(!mixed_explain_local(&x, &mut [0.0; 7], 3, 0).depends());
    assert!(mixed_explain(&x, &mut [0.0; 7], 3, 0).depends());
    // x[2] <= 0: y[2] takes the other arm, through the accumulation.
    let e = mixed_explain_local(&x, &mut [0.0; 7], 2, 0);
    assert_eq!(
        e.statements().last().expect("a chain").line,
        line_of("// OTHERWISE"),
        "{e}"
    );
    // Entry by entry, the local explanations are the local pattern.
    let p = mixed_jacobian_sparsity_local(&x, &mut [0.0; 7]);
    for i in 0..7 {
        for j in 0..7 {
            let e = mixed_explain_local(&x, &mut [0.0; 7], i, j);
            assert_eq!(e.depends(), p.contains(i, j), "({i}, {j})");
        }
    }
}
