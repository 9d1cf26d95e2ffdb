//! Second order: Hessian-vector products (the adjoint of the tangent code) against
//! central differences of the gradient and against the compressed Hessian; sparse
//! Hessians against finite differences, exactly symmetric, on the traced pattern, with
//! star and acyclic coloring.

mod common;
mod problems;

use asd::{sparse_diff, HessianMethod, HessianOptions};
use common::*;
use problems::*;

/// Checks `f_hvp`, `f_hessian` (star and acyclic) and their agreement; returns the number
/// of star colors.
#[track_caller]
fn check(
    x: &[f64],
    gradient: impl Fn(&[f64]) -> Vec<f64>,
    hvp: impl Fn(&[f64], &[f64]) -> Vec<f64>,
    prepare: impl Fn(&[f64], &HessianOptions) -> asd::HessianPrep,
    prepared: impl for<'p> Fn(&'p mut asd::HessianPrep, &[f64]) -> &'p asd::sprs::CsMat<f64>,
) -> usize {
    let n = x.len();
    // The dense Hessian: central differences of the exact gradient.
    let fd = fd_hessian(&gradient, x);
    // H v against the finite-difference Hessian times v.
    for seed in 0..3 {
        let v = randoms(n, 40 + seed);
        assert_close(&[hvp(x, &v)], &[matvec(&fd, &v)], 1e-5);
    }
    let mut star = prepare(x, &HessianOptions::default());
    assert_eq!(star.method(), HessianMethod::Star);
    let h = prepared(&mut star, x).clone();
    assert_sparse_matches(&h, star.pattern(), &fd, 1e-5);
    let d = dense(&h);
    assert_exactly_symmetric(&d, "star");
    // Every HVP equals the compressed Hessian times v (to rounding).
    let v = randoms(n, 7);
    assert_close(&[hvp(x, &v)], &[matvec(&d, &v)], 1e-12);
    // Acyclic coloring with substitution gives the same matrix.
    let mut acyclic = prepare(
        x,
        &HessianOptions::default().with_method(HessianMethod::Acyclic),
    );
    let da = dense(prepared(&mut acyclic, x));
    assert_close(&da, &d, 1e-10);
    assert_exactly_symmetric(&da, "acyclic");
    // A prepared evaluation is reusable.
    assert_eq!(prepared(&mut star, x), &h);
    star.ncolors()
}

/// `H[i][j] == H[j][i]` to the last bit.
#[track_caller]
fn assert_exactly_symmetric(d: &[Vec<f64>], method: &str) {
    for i in 0..d.len() {
        for j in 0..d.len() {
            assert_eq!(d[i][j], d[j][i], "{method}: H[{i}][{j}] != H[{j}][{i}]");
        }
    }
}

#[test]
fn hessian_problems_with_the_peers_color_counts() {
    let x = point(20);
    let colors = check(
        &x,
        |x| arwhead_gradient(x).1,
        arwhead_hvp,
        arwhead_hessian_prepare_with,
        arwhead_hessian_prepared,
    );
    assert_eq!(
        colors, 2,
        "arwhead: a star, two colors (column coloring needs n)"
    );

    let colors = check(
        &x,
        |x| bdqrtic_gradient(x).1,
        bdqrtic_hvp,
        bdqrtic_hessian_prepare_with,
        bdqrtic_hessian_prepared,
    );
    assert!(colors <= 8, "bdqrtic: {colors} colors");

    let u = point(36);
    let colors = check(
        &u,
        |u| bratu2d_gradient(u, 6).1,
        |u, v| bratu2d_hvp(u, 6, v),
        |u, o| bratu2d_hessian_prepare_with(u, 6, o),
        |p, u| bratu2d_hessian_prepared(p, u, 6),
    );
    assert!(colors <= 5, "bratu2d: {colors} colors");
}

/// Control flow in tangent code, reversed: branches on reals, a `while`, an in-place
/// vector, an early return, divisions and powers.
#[sparse_diff]
fn control_flow(x: &[f64], stop: f64) -> f64 {
    let n = x.len();
    let mut v = x.to_vec();
    for _sweep in 0..2 {
        for i in 1..n {
            v[i] = v[i] * v[i - 1].sin() + v[i].powi(2) / (1.0 + v[i - 1] * v[i - 1]);
        }
    }
    let mut s = 0.0;
    let mut i = 0;
    while i < n {
        if v[i] > 0.0 {
            s += v[i].exp() * x[i];
        } else {
            s *= v[i].cos();
        }
        i += 1;
    }
    for j in 0..n {
        s += x[j] * s.tanh();
        if s > stop {
            return s * s;
        }
    }
    s.powf(1.5)
}

#[test]
fn mixed_and_control_flow() {
    let x = [0.9, -1.3, 0.4, 1.7, -0.2, 0.6, 1.1];
    check(
        &x,
        |x| mixed_gradient(x).1,
        mixed_hvp,
        mixed_hessian_prepare_with,
        mixed_hessian_prepared,
    );
    for stop in [0.5, 3.0, 1e9] {
        let y = [0.3, 0.5, 0.4, 0.7, 0.2, 0.6];
        check(
            &y,
            |x| control_flow_gradient(x, stop).1,
            |x, v| control_flow_hvp(x, stop, v),
            |x, o| control_flow_hessian_prepare_with(x, stop, o),
            |p, x| control_flow_hessian_prepared(p, x, stop),
        );
    }
}

#[test]
fn one_shot_hessian_and_lane_counts() {
    let x = point(30);
    let h = arwhead_hessian(&x);
    assert_eq!(h.nnz(), 3 * 30 - 2);
    for lanes in asd::LANES {
        let mut prep =
            bdqrtic_hessian_prepare_with(&x, &HessianOptions::default().with_lanes(lanes));
        assert_close(
            &dense(bdqrtic_hessian_prepared(&mut prep, &x)),
            &dense(&bdqrtic_hessian(&x)),
            1e-12,
        );
    }
}

#[test]
#[should_panic(expected = "has length 3 but 4 was expected")]
fn hvp_checks_the_direction_length() {
    arwhead_hvp(&[1.0, 2.0, 3.0, 4.0], &[1.0, 0.0, 0.0]);
}

#[sparse_diff]
fn squares(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = x[i] * x[(i + 1) % x.len()].sin();
    }
    y
}

#[sparse_diff]
fn energy(u: &[f64], c: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..u.len() {
        s += c * u[i] * u[i] * u[i];
    }
    s
}

/// Second order through calls: a vector function, then a scalar one, the result
/// reassigned, and the input passed straight on.
#[sparse_diff]
fn composed(x: &[f64]) -> f64 {
    let mut u = squares(x);
    u = squares(&u);
    let a = energy(&u, 0.5);
    let b = energy(x, 2.0);
    a * b + x[0].exp()
}

#[test]
fn hessians_through_calls() {
    let x = [0.9, -1.3, 0.4, 1.7, -0.2];
    check(
        &x,
        |x| composed_gradient(x).1,
        composed_hvp,
        composed_hessian_prepare_with,
        composed_hessian_prepared,
    );
    assert_eq!(
        composed_hessian_sparsity(&x).nnz(),
        25,
        "everything couples through a * b"
    );
}

/// Wide Hessian sweeps (4 lanes or more) with AVX2 and FMA, and with the baseline two
/// lanes at a time: the same Hessians up to FMA's rounding.
#[test]
fn wide_and_baseline_sweeps_give_the_same_hessians() {
    let x = point(200);
    for options in [
        HessianOptions::default(),
        HessianOptions::default().with_lanes(4),
        HessianOptions::default().with_lanes(16),
    ] {
        let mut prep = bdqrtic_hessian_prepare_with(&x, &options);
        assert!(prep.lanes() >= 4);
        let wide = bdqrtic_hessian_prepared(&mut prep, &x).clone();
        prep.set_wide_vectors(false);
        let baseline = bdqrtic_hessian_prepared(&mut prep, &x);
        assert_eq!(
            (wide.indptr(), wide.indices()),
            (baseline.indptr(), baseline.indices())
        );
        for (u, v) in wide.data().iter().zip(baseline.data()) {
            assert!((u - v).abs() <= 1e-12 * (1.0 + u.abs()), "{u} vs {v}");
        }
    }
}
