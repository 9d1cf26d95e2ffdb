//! Every `f64` method of the table of rules: derivative against central finite
//! differences, and the pattern (step functions contribute nothing).

mod common;

use asd::sparse_diff;
use common::*;

/// Each output applies one method (or operator) to inputs chosen inside its domain.
#[sparse_diff]
fn all_methods(x: &[f64]) -> Vec<f64> {
    // x[0] in (0, 1), x[1] > 1, x[2] any, x[3] > 0
    let a = x[0];
    let b = x[1];
    let c = x[2];
    let d = x[3];
    vec![
        a.sin(),
        a.cos(),
        a.tan(),
        a.asin(),
        a.acos(),
        a.atan(),
        c.sinh(),
        c.cosh(),
        c.tanh(),
        c.asinh(),
        b.acosh(),
        a.atanh(),
        c.exp(),
        c.exp2(),
        c.exp_m1(),
        d.ln(),
        d.ln_1p(),
        d.log10(),
        d.log2(),
        d.sqrt(),
        c.cbrt(),
        d.recip(),
        c.abs(),
        d.powi(3),
        d.powf(a),
        b.powf(2.5),
        c.max(a),
        c.min(a),
        a.hypot(c),
        a.atan2(c),
        a.mul_add(b, c),
        a + b,
        a - b,
        a * b,
        a / b,
        -c,
        c.signum() * a,
        c.floor() + b,
        c.ceil() * d,
        c.round() - a,
        c.trunc() + d,
        f64::sin(a) + f64::max(b, d),
        std::f64::consts::FRAC_PI_2 * a,
        (2.0 * a).sin(),
    ]
}

#[test]
fn every_method_matches_finite_differences() {
    let x = [0.3, 1.7, -1.45, 2.2];
    let jac = all_methods_jacobian(&x);
    let fd = fd_jacobian(all_methods, &x);
    assert_close(&dense(&jac), &fd, 1e-6);
    let (y, _) = all_methods_jvp(&x, &[0.0; 4]);
    assert_eq!(
        y,
        all_methods(&x),
        "the tangent code computes the same values"
    );
}

#[test]
fn step_functions_contribute_nothing_to_the_pattern() {
    let x = [0.3, 1.7, -1.45, 2.2];
    let p = all_methods_jacobian_sparsity(&x);
    let n = p.nrows();
    // `c.signum() * a` depends on a only; `c.floor() + b` on b only; and so on.
    assert_eq!(p.row(n - 8), &[0]);
    assert_eq!(p.row(n - 7), &[1]);
    assert_eq!(p.row(n - 6), &[3]);
    assert_eq!(p.row(n - 5), &[0]);
    assert_eq!(p.row(n - 4), &[3]);
    // `c.max(a)`, `c.min(a)` and `f64::max(b, d)` depend on both arguments, whichever
    // is the larger here (FD sees only one of them, hence the exceptions below).
    assert_eq!(p.row(26), &[0, 2]);
    assert_eq!(p.row(27), &[0, 2]);
    assert_eq!(p.row(41), &[0, 1, 3]);
    // The pattern is exactly the finite-difference one everywhere else.
    let fd = fd_jacobian(all_methods, &x);
    for i in 0..n {
        let nonzero: Vec<usize> = (0..4).filter(|&j| fd[i][j].abs() > 1e-9).collect();
        // max and min depend on both arguments globally, on one of them here.
        if ![26, 27, 41].contains(&i) {
            assert_eq!(p.row(i), nonzero.as_slice(), "row {i}");
        }
    }
}

/// The table's functions that `f64` has no method for, from `asd::math`.
#[sparse_diff]
fn error_functions(x: &[f64]) -> f64 {
    use asd::math::erfc;
    asd::math::erf(x[0] * x[1]) + erfc(x[2]) * x[0]
}

#[test]
fn runtime_functions_of_the_table_differentiate_to_second_order() {
    check_scalar(
        &[0.3, -0.7, 1.2],
        error_functions,
        |x| error_functions_gradient(x).1,
        |x, d| error_functions_jvp(x, d).1,
        error_functions_hessian_sparsity,
        error_functions_hessian,
        error_functions_hvp,
    );
}
