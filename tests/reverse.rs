//! Reverse mode: adjoint code against tangent code (`<dy, J dx> = <Jᵀ dy, dx>`),
//! gradients against finite differences, row-compressed sparse Jacobians against
//! forward-mode ones, and the automatic choice of mode. The functions here stress the
//! tape: overwritten values, in-place sweeps, moves, branches, early returns, `while`.
// `t = t * x[i]` is written out on purpose: it is what overwrites `t`.
#![allow(clippy::assign_op_pattern)]

mod common;
mod problems;

use asd::{sparse_diff, JacobianOptions, Mode};
use common::*;
use problems::*;

/// The reverse-mode sparse Jacobian agrees with the forward one entry by entry, and
/// with finite differences.
#[track_caller]
fn assert_reverse_jacobian(
    x: &[f64],
    f: impl Fn(&[f64]) -> Vec<f64>,
    prepare: impl Fn(&[f64], &JacobianOptions) -> asd::JacobianPrep,
    prepared: impl for<'p> Fn(&'p mut asd::JacobianPrep, &[f64]) -> &'p asd::sprs::CsMat<f64>,
) {
    let mut fwd = prepare(x, &JacobianOptions::forward());
    let mut rev = prepare(x, &JacobianOptions::reverse());
    assert_eq!(fwd.mode(), Mode::Forward);
    assert_eq!(rev.mode(), Mode::Reverse);
    let jf = dense(prepared(&mut fwd, x));
    let jr = prepared(&mut rev, x).clone();
    assert_close(&dense(&jr), &jf, 1e-12);
    assert_sparse_matches(&jr, rev.pattern(), &fd_jacobian(f, x), 1e-6);
    // A second evaluation reuses the tape and buffers and gives the same result.
    let again = prepared(&mut rev, x).clone();
    assert_eq!(again, jr);
}

#[test]
fn problems_agree_in_both_modes() {
    let x = point(10);
    assert_adjoint(
        10,
        7,
        |dx| iter_diff_jvp(&x, 3, dx).1,
        |dy| iter_diff_vjp(&x, 3, dy).1,
    );
    assert_reverse_jacobian(
        &x,
        |x| iter_diff(x, 3),
        |x, o| iter_diff_jacobian_prepare_with(x, 3, o),
        |p, x| iter_diff_jacobian_prepared(p, x, 3),
    );

    let u = point(2 * 4 * 4);
    assert_adjoint(
        32,
        32,
        |d| brusselator_jvp(&u, 4, d).1,
        |d| brusselator_vjp(&u, 4, d).1,
    );
    assert_reverse_jacobian(
        &u,
        |u| brusselator(u, 4),
        |u, o| brusselator_jacobian_prepare_with(u, 4, o),
        |p, u| brusselator_jacobian_prepared(p, u, 4),
    );

    let x = point(28 * 28);
    let m = conv_tanh(&x).len();
    assert_adjoint(
        x.len(),
        m,
        |d| conv_tanh_jvp(&x, d).1,
        |d| conv_tanh_vjp(&x, d).1,
    );
}

#[test]
fn gradients_of_the_hessian_problems_match_finite_differences() {
    type Scalar = fn(&[f64]) -> f64;
    type Gradient = fn(&[f64]) -> (f64, Vec<f64>);
    let cases: [(Scalar, Gradient, usize); 3] = [
        (arwhead, arwhead_gradient, 12),
        (bdqrtic, bdqrtic_gradient, 12),
        (|u| bratu2d(u, 4), |u| bratu2d_gradient(u, 4), 16),
    ];
    for (f, gradient, n) in cases {
        let x = point(n);
        let (y, g) = gradient(&x);
        assert_eq!(y, f(&x), "the gradient's primal is the function's value");
        let fd = fd_jacobian(|x| vec![f(x)], &x);
        assert_close(&[g], &fd, 1e-6);
    }
}

/// A product accumulated in a loop: every step overwrites `t`.
#[sparse_diff]
fn running_product(x: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    let mut t = 1.0;
    for i in 0..x.len() {
        t = t * x[i];
        out[i] = t;
    }
    out
}

/// A vector updated in place over several sweeps, each reading what the last wrote.
#[sparse_diff]
fn in_place_sweeps(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut v = x.to_vec();
    for _it in 0..3 {
        for i in 1..n {
            v[i] = v[i] * v[i - 1].sin();
        }
    }
    v
}

/// Branches on reals inside a loop, an early return inside a loop, a `while` loop.
#[sparse_diff]
fn control_flow(x: &[f64], stop: f64) -> f64 {
    let mut s = 0.0;
    let mut i = 0;
    while i < x.len() {
        if x[i] > 0.0 {
            s += x[i].exp();
        } else {
            s = s * x[i].cos();
        }
        i += 2;
    }
    for j in 0..x.len() {
        s += x[j] * s.tanh();
        if s > stop {
            return s * s;
        }
    }
    s
}

#[sparse_diff]
fn inner(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = x[i].sin() * x[(i + 1) % x.len()];
    }
    y
}

#[sparse_diff]
fn inner_sum(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
    }
    s
}

#[sparse_diff]
fn inner_in_place(y: &mut [f64], x: &[f64]) {
    for i in 0..y.len() {
        y[i] = y[i] * x[i] + x[(i + 1) % x.len()].exp();
    }
}

/// Calls of annotated functions, nested: values, scalars and output parameters, with
/// the callee's result reassigned.
#[sparse_diff]
fn nested_calls(x: &[f64]) -> Vec<f64> {
    let mut u = inner(x);
    let s = inner_sum(&u);
    u = inner(&u);
    let mut w = vec![1.0; x.len()];
    inner_in_place(&mut w, &u);
    inner_in_place(&mut w, x);
    for i in 0..w.len() {
        w[i] = w[i] * s;
    }
    w
}

/// An output parameter that is read as well as written.
#[sparse_diff]
fn out_param(y: &mut [f64], x: &[f64], c: f64) {
    for i in 0..y.len() {
        y[i] = c * x[i] * x[i];
    }
    for i in 1..y.len() {
        y[i] += y[i - 1] * x[i];
    }
}

#[test]
fn tape_stress_functions_agree_in_both_modes() {
    let x = [0.9, -1.3, 0.4, 1.7, -0.2, 0.6];
    let n = x.len();
    assert_adjoint(
        n,
        n,
        |d| running_product_jvp(&x, d).1,
        |d| running_product_vjp(&x, d).1,
    );
    assert_adjoint(
        n,
        n,
        |d| in_place_sweeps_jvp(&x, d).1,
        |d| in_place_sweeps_vjp(&x, d).1,
    );
    assert_adjoint(
        n,
        n,
        |d| nested_calls_jvp(&x, d).1,
        |d| nested_calls_vjp(&x, d).1,
    );
    for stop in [0.5, 2.0, 100.0] {
        assert_adjoint(
            n,
            1,
            |d| vec![control_flow_jvp(&x, stop, d).1],
            |d| control_flow_vjp(&x, stop, d[0]).1,
        );
        let (y, g) = control_flow_gradient(&x, stop);
        assert_eq!(y, control_flow(&x, stop));
        assert_close(
            &[g],
            &fd_jacobian(|x| vec![control_flow(x, stop)], &x),
            1e-6,
        );
    }
    assert_adjoint(
        n,
        n,
        |d| out_param_jvp(&mut vec![0.0; n], &x, 0.7, d),
        |d| out_param_vjp(&mut vec![0.0; n], &x, 0.7, d),
    );

    assert_reverse_jacobian(
        &x,
        running_product,
        running_product_jacobian_prepare_with,
        running_product_jacobian_prepared,
    );
    assert_reverse_jacobian(
        &x,
        in_place_sweeps,
        in_place_sweeps_jacobian_prepare_with,
        in_place_sweeps_jacobian_prepared,
    );
    assert_reverse_jacobian(
        &x,
        nested_calls,
        nested_calls_jacobian_prepare_with,
        nested_calls_jacobian_prepared,
    );
}

#[test]
fn vjp_returns_the_value_and_writes_the_output_parameter() {
    let x = [0.9, -1.3, 0.4];
    let mut y1 = vec![0.0; 3];
    let mut y2 = vec![0.0; 3];
    let dx = out_param_vjp(&mut y1, &x, 0.7, &[1.0, 0.0, 0.0]);
    out_param(&mut y2, &x, 0.7);
    assert_eq!(y1, y2);
    // Jᵀ e_0 is row 0 of J: y[0] = c x[0]^2 depends on x[0] alone.
    assert_close(&[dx], &[vec![2.0 * 0.7 * 0.9, 0.0, 0.0]], 1e-15);
    let (v, _) = nested_calls_vjp(&x, &[1.0, 2.0, 3.0]);
    assert_eq!(v, nested_calls(&x));
}

/// `y[0] = sum x[i]^2, y[i] = x[i]^2`: a dense row, two row colors.
#[sparse_diff]
fn dense_row(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[0] += x[i] * x[i];
    }
    for i in 1..x.len() {
        y[i] = x[i] * x[i];
    }
    y
}

/// `y[i] = x[0] * x[i]`: a dense column, two column colors.
#[sparse_diff]
fn dense_column(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = x[0] * x[i];
    }
    y
}

#[test]
fn automatic_mode_picks_the_cheaper_side() {
    let x = point(50);
    let mut prep = dense_row_jacobian_prepare(&x);
    assert_eq!((prep.mode(), prep.ncolors()), (Mode::Reverse, 2));
    let jac = dense_row_jacobian_prepared(&mut prep, &x).clone();
    assert_sparse_matches(&jac, prep.pattern(), &fd_jacobian(dense_row, &x), 1e-6);

    let mut prep = dense_column_jacobian_prepare(&x);
    assert_eq!((prep.mode(), prep.ncolors()), (Mode::Forward, 2));
    let jac = dense_column_jacobian_prepared(&mut prep, &x).clone();
    assert_sparse_matches(&jac, prep.pattern(), &fd_jacobian(dense_column, &x), 1e-6);
}

#[test]
#[should_panic(expected = "has length 2 but 3 was expected")]
fn vjp_checks_the_seed_length() {
    running_product_vjp(&[1.0, 2.0, 3.0], &[1.0, 1.0]);
}
