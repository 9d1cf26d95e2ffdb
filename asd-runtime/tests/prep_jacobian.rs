//! Sparse Jacobians through `JacobianPrep` with hand-written lane kernels, checked
//! against analytic dense Jacobians.

mod common;

use asd_runtime::coloring::{color_columns_best, color_rows_best};
use asd_runtime::{
    Coloring, JacobianOptions, JacobianPrep, Jvp, Mode, ModeChoice, Order, SparsityPattern, Vjp,
    Workspace, LANES,
};
use common::Tridiagonal;

fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.3 + 0.7 * (i as f64 * 1.3).sin()).collect()
}

/// Every stored entry equals the dense reference, and every entry the pattern leaves out
/// is zero in the reference.
#[track_caller]
fn assert_matches(jac: &sprs::CsMat<f64>, dense: &[Vec<f64>], pattern: &SparsityPattern) {
    common::assert_matches(jac, dense, pattern, 1e-14);
}

#[test]
fn kernels_agree_with_finite_differences_and_each_other() {
    // Guards the hand-written kernels themselves before they judge the driver.
    let x = point(6);
    let dense = Tridiagonal::dense_jacobian(&x);
    let h = 1e-6;
    for j in 0..6 {
        let (mut xp, mut xm) = (x.clone(), x.clone());
        xp[j] += h;
        xm[j] -= h;
        let (yp, ym) = (Tridiagonal::eval(&xp), Tridiagonal::eval(&xm));
        for i in 0..6 {
            let fd = (yp[i] - ym[i]) / (2.0 * h);
            assert!(
                (fd - dense[i][j]).abs() < 1e-8,
                "J[{i}][{j}]: fd {fd}, analytic {}",
                dense[i][j]
            );
        }
    }
    let ws = Workspace::new();
    let dx: Vec<[f64; 1]> = (0..6).map(|j| [j as f64 - 2.5]).collect();
    let dy_in: Vec<[f64; 1]> = (0..6).map(|i| [(i as f64).cos()]).collect();
    let (mut jdx, mut jtdy) = (vec![[0.0]; 6], vec![[0.0]; 6]);
    Tridiagonal { x: &x }.jvp(&ws, &dx, &mut jdx);
    Tridiagonal { x: &x }.vjp(&ws, &dy_in, &mut jtdy);
    let lhs: f64 = dy_in.iter().zip(&jdx).map(|(a, b)| a[0] * b[0]).sum();
    let rhs: f64 = jtdy.iter().zip(&dx).map(|(a, b)| a[0] * b[0]).sum();
    assert!((lhs - rhs).abs() < 1e-12);
}

#[test]
fn tridiagonal_forward_every_lane_count() {
    let n = 50;
    let x = point(n);
    let dense = Tridiagonal::dense_jacobian(&x);
    let mut results = Vec::new();
    for lanes in LANES {
        let options = JacobianOptions::forward().with_lanes(lanes);
        let mut prep = JacobianPrep::new(Tridiagonal::pattern(n), &options);
        assert_eq!(prep.mode(), Mode::Forward);
        assert_eq!(prep.ncolors(), 3, "a band of 3 needs 3 colors");
        assert_eq!(prep.lanes(), lanes);
        assert_eq!(prep.nsweeps(), 3usize.div_ceil(lanes));
        prep.check_input_len(x.len());
        prep.check_output_len(n);
        let jac = prep.evaluate_forward(&mut Tridiagonal { x: &x });
        assert_matches(jac, &dense, &Tridiagonal::pattern(n));
        results.push(jac.clone());
    }
    assert!(
        results.windows(2).all(|w| w[0] == w[1]),
        "every L gives identical results"
    );
}

#[test]
fn tridiagonal_reverse_every_lane_count() {
    let n = 41;
    let x = point(n);
    let dense = Tridiagonal::dense_jacobian(&x);
    let mut results = Vec::new();
    for lanes in LANES {
        let options = JacobianOptions::reverse().with_lanes(lanes);
        let mut prep = JacobianPrep::new(Tridiagonal::pattern(n), &options);
        assert_eq!(prep.mode(), Mode::Reverse);
        assert_eq!(prep.ncolors(), 3);
        let jac = prep.evaluate_reverse(&mut Tridiagonal { x: &x });
        assert_matches(jac, &dense, &Tridiagonal::pattern(n));
        results.push(jac.clone());
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn forward_and_reverse_agree_and_preparations_are_reusable() {
    let n = 30;
    let pattern = Tridiagonal::pattern(n);
    let mut fwd = JacobianPrep::new(pattern.clone(), &JacobianOptions::forward());
    let mut rev = JacobianPrep::new(pattern.clone(), &JacobianOptions::reverse());
    let mut auto = JacobianPrep::new(pattern.clone(), &JacobianOptions::default());
    assert_eq!(auto.mode(), Mode::Forward, "ties go to forward mode");
    for shift in [0.0, 0.5, -1.25] {
        let x: Vec<f64> = point(n).iter().map(|v| v + shift).collect();
        let dense = Tridiagonal::dense_jacobian(&x);
        let a = fwd.evaluate_forward(&mut Tridiagonal { x: &x }).clone();
        let b = rev.evaluate_reverse(&mut Tridiagonal { x: &x }).clone();
        let c = auto.evaluate(&mut Tridiagonal { x: &x }).clone();
        assert_matches(&a, &dense, &pattern);
        assert_matches(&b, &dense, &pattern);
        assert_eq!(a, c);
        assert_eq!(fwd.jacobian(), &a, "jacobian() keeps the last result");
    }
}

#[test]
fn explicit_orders_work_too() {
    let n = 20;
    let x = point(n);
    for order in Order::ALL.into_iter().chain([Order::Random(7)]) {
        let mut prep = JacobianPrep::new(
            Tridiagonal::pattern(n),
            &JacobianOptions::forward().with_order(order),
        );
        let jac = prep.evaluate_forward(&mut Tridiagonal { x: &x });
        assert_matches(
            jac,
            &Tridiagonal::dense_jacobian(&x),
            &Tridiagonal::pattern(n),
        );
    }
}

#[test]
fn a_single_lane_run_of_many_colors_refills_the_seed_each_sweep() {
    // Give every column its own color: 12 sweeps of one lane, a dense-like evaluation.
    let n = 12;
    let x = point(n);
    let coloring = Coloring::from_colors((0..n).collect());
    let mut prep =
        JacobianPrep::with_coloring(Tridiagonal::pattern(n), Mode::Forward, coloring, Some(1));
    assert_eq!(prep.nsweeps(), 12);
    let jac = prep.evaluate_forward(&mut Tridiagonal { x: &x });
    assert_matches(
        jac,
        &Tridiagonal::dense_jacobian(&x),
        &Tridiagonal::pattern(n),
    );
}

/// `y[0] = sum x[i]^2`, `y[i] = x[i]^2`: one dense row.
struct DenseRow<'a>(&'a [f64]);

impl Jvp for DenseRow<'_> {
    fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
        for (i, &x) in self.0.iter().enumerate() {
            for l in 0..L {
                dy[0][l] += 2.0 * x * dx[i][l];
                if i > 0 {
                    dy[i][l] = 2.0 * x * dx[i][l];
                }
            }
        }
    }
}

impl Vjp for DenseRow<'_> {
    fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
        for (i, &x) in self.0.iter().enumerate() {
            for l in 0..L {
                dx[i][l] += 2.0 * x * dy[0][l];
                if i > 0 {
                    dx[i][l] += 2.0 * x * dy[i][l];
                }
            }
        }
    }
}

#[test]
fn auto_mode_picks_reverse_for_a_dense_row() {
    let n = 40;
    let pattern = SparsityPattern::from_coordinates(
        n,
        n,
        (0..n).map(|j| (0, j)).chain((1..n).map(|i| (i, i))),
    );
    assert_eq!(color_rows_best(&pattern).ncolors(), 2);
    assert_eq!(color_columns_best(&pattern).ncolors(), n);
    let mut prep = JacobianPrep::new(pattern, &JacobianOptions::default());
    assert_eq!(prep.mode(), Mode::Reverse);
    assert_eq!(prep.ncolors(), 2);
    // Reverse sweeps are compiled for fewer lane counts than forward ones.
    assert_eq!(prep.lanes(), 4);
    let x = point(n);
    let jac = prep.evaluate(&mut DenseRow(&x));
    for j in 0..n {
        assert_eq!(jac.get(0, j), Some(&(2.0 * x[j])));
    }
    for i in 1..n {
        assert_eq!(jac.get(i, i), Some(&(2.0 * x[i])));
    }
}

/// `y[i] = x[0] * x[i]`: one dense column.
struct DenseColumn<'a>(&'a [f64]);

impl Jvp for DenseColumn<'_> {
    fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
        let x = self.0;
        for i in 0..x.len() {
            for l in 0..L {
                dy[i][l] = dx[0][l] * x[i] + x[0] * dx[i][l];
            }
        }
    }
}

impl Vjp for DenseColumn<'_> {
    fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
        let x = self.0;
        for i in 0..x.len() {
            for l in 0..L {
                dx[0][l] += dy[i][l] * x[i];
                dx[i][l] += dy[i][l] * x[0];
            }
        }
    }
}

#[test]
fn auto_mode_picks_forward_for_a_dense_column() {
    let n = 40;
    let pattern = SparsityPattern::from_coordinates(
        n,
        n,
        (0..n).map(|i| (i, 0)).chain((1..n).map(|i| (i, i))),
    );
    let mut prep = JacobianPrep::new(pattern, &JacobianOptions::default());
    assert_eq!(prep.mode(), Mode::Forward);
    assert_eq!(prep.ncolors(), 2);
    let x = point(n);
    let jac = prep.evaluate(&mut DenseColumn(&x)).clone();
    assert_eq!(jac.get(0, 0), Some(&(2.0 * x[0])));
    for i in 1..n {
        assert_eq!(jac.get(i, 0), Some(&x[i]));
        assert_eq!(jac.get(i, i), Some(&x[0]));
    }
    // forcing the other mode still gives the same matrix, with n colors
    let mut rev = JacobianPrep::new(
        prep.pattern().clone(),
        &JacobianOptions::default().with_mode(ModeChoice::Reverse),
    );
    assert_eq!(rev.ncolors(), n);
    assert_eq!(rev.evaluate(&mut DenseColumn(&x)), &jac);
}

#[test]
#[should_panic(expected = "asd: the input has length 5 but the preparation was made for length 7")]
fn wrong_input_length_panics_with_both_sizes() {
    let prep = JacobianPrep::new(Tridiagonal::pattern(7), &JacobianOptions::default());
    prep.check_input_len(5);
}

#[test]
fn display_says_how_many_products_replace_how_many() {
    let prep = JacobianPrep::new(Tridiagonal::pattern(1000), &JacobianOptions::forward());
    let shown = prep.to_string();
    let header = shown.lines().next().unwrap();
    assert_eq!(
        header,
        "Jacobian preparation, forward mode: 3 JVPs in 1 sweep of 4 lanes (instead of 1000 JVPs)"
    );
    assert!(shown.lines().count() > 1, "the spy plot follows the header");

    let prep = JacobianPrep::new(
        Tridiagonal::pattern(9),
        &JacobianOptions::reverse().with_lanes(1),
    );
    assert!(prep.to_string().starts_with(
        "Jacobian preparation, reverse mode: 3 VJPs in 3 sweeps of 1 lane (instead of 9 VJPs)"
    ));
}
