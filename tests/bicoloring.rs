//! Bidirectional mode end to end (issue 14): a function whose Jacobian is an arrowhead
//! (a dense row, a dense column and the diagonal) needs `n` colors with forward or
//! reverse mode alone; `ModeChoice::Auto` takes a star bicoloring of 3 products, whose
//! values match central finite differences and the one-sided preparations.
// `s = s + ..` is written out on purpose: it is the form the tape overwrites.
#![allow(clippy::assign_op_pattern)]

mod common;

use asd::coloring::is_bicoloring;
use asd::{sparse_diff, JacobianOptions, Mode, ModeChoice};
use common::*;

/// `y[0] = sum x[j]^2`, `y[i] = sin(x[0] x[i])`: an arrowhead Jacobian.
#[sparse_diff]
pub fn arrow(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; n];
    let mut s = 0.0;
    for j in 0..n {
        s = s + x[j] * x[j];
    }
    y[0] = s;
    for i in 1..n {
        y[i] = (x[0] * x[i]).sin();
    }
    y
}

fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.3 + 0.5 * ((i + 1) as f64).sin()).collect()
}

#[test]
fn auto_bicolors_an_arrowhead_and_matches_finite_differences() {
    let n = 200;
    let x = point(n);
    let mut prep = arrow_jacobian_prepare(&x);
    assert_eq!(prep.mode(), Mode::Bidirectional);
    assert_eq!((prep.njvps(), prep.nvjps()), (2, 1));
    let b = prep.bicoloring().expect("a bicoloring");
    assert!(is_bicoloring(
        prep.pattern(),
        b.column_colors(),
        b.row_colors()
    ));
    assert!(
        prep.to_string()
            .starts_with("Jacobian preparation, bidirectional mode: 2 JVPs and 1 VJP"),
        "{prep}"
    );

    let j = arrow_jacobian_prepared(&mut prep, &x).clone();
    assert_sparse_matches(&j, prep.pattern(), &fd_jacobian(arrow, &x), 1e-6);

    // One-sided preparations take n products and give the same values.
    let mut forward = arrow_jacobian_prepare_with(&x, &JacobianOptions::forward());
    let mut reverse = arrow_jacobian_prepare_with(&x, &JacobianOptions::reverse());
    assert_eq!((forward.ncolors(), reverse.ncolors()), (n, n));
    let jf = dense(arrow_jacobian_prepared(&mut forward, &x));
    assert_close(&dense(&j), &jf, 1e-12);
    assert_close(
        &dense(arrow_jacobian_prepared(&mut reverse, &x)),
        &jf,
        1e-12,
    );
    // So does the one-shot operator, which chooses as the preparation does.
    assert_close(&dense(&arrow_jacobian(&x)), &jf, 1e-12);

    // Reused at another point.
    let x2: Vec<f64> = x.iter().map(|v| 1.5 - v).collect();
    let j2 = arrow_jacobian_prepared(&mut prep, &x2).clone();
    assert_sparse_matches(&j2, prep.pattern(), &fd_jacobian(arrow, &x2), 1e-6);
    assert_close(
        &dense(&j2),
        &dense(arrow_jacobian_prepared(&mut forward, &x2)),
        1e-12,
    );
}

#[test]
fn bidirectional_mode_can_be_asked_for() {
    // Small: one sweep of 12 lanes one-sided, so Auto keeps forward mode.
    let x = point(12);
    let auto = arrow_jacobian_prepare(&x);
    assert_eq!(auto.mode(), Mode::Forward);
    let options = JacobianOptions::default().with_mode(ModeChoice::Bidirectional);
    let mut prep = arrow_jacobian_prepare_with(&x, &options);
    assert_eq!((prep.mode(), prep.ncolors()), (Mode::Bidirectional, 3));
    let j = arrow_jacobian_prepared(&mut prep, &x).clone();
    assert_sparse_matches(&j, prep.pattern(), &fd_jacobian(arrow, &x), 1e-6);
}

/// Two coupled fields: a bicoloring of it needs no JVP at all.
#[sparse_diff]
fn coupled(x: &[f64]) -> Vec<f64> {
    let nn = x.len() / 2;
    let mut y = vec![0.0; 2 * nn];
    for c in 0..nn {
        y[c] = x[c] * x[c] - x[c + nn];
        y[c + nn] = x[c] * x[c + nn];
    }
    y
}

#[test]
fn a_bicoloring_without_jvps_runs_only_its_vjps() {
    let options = JacobianOptions::default().with_mode(ModeChoice::Bidirectional);
    let mut prep = coupled_jacobian_prepare_with(&point(4), &options);
    assert_eq!(prep.mode(), Mode::Bidirectional);
    for seed in 1..4 {
        let x = randoms(4, seed);
        let j = coupled_jacobian_prepared(&mut prep, &x).clone();
        assert_sparse_matches(&j, prep.pattern(), &fd_jacobian(coupled, &x), 1e-6);
    }
}
