//! Local sparsity (issue 17): `f_jacobian_sparsity_local` and local preparations. The
//! local pattern is a subset of the global one, strictly smaller where the function
//! branches on its input or takes `max`/`min` of it, and equal to the exact pattern
//! (finite differences) where that is exact; a prepared local Jacobian is right at every
//! input with the same decisions, and a switch of a decision is detected, as an error or
//! by preparing again.

mod common;

use asd::{sparse_diff, JacobianOptions, OnSwitch, SparsityPattern};
use common::*;

/// A real branch: `y[i]` reads its left neighbour where `x[i] > 0`, its right one
/// elsewhere. Global: three entries a row; local: two.
#[sparse_diff]
fn branchy(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; n];
    for i in 0..n {
        let l = x[(i + n - 1) % n];
        let r = x[(i + 1) % n];
        if x[i] > 0.0 {
            y[i] = x[i] * l;
        } else {
            y[i] = x[i].sin() * r;
        }
    }
    y
}

/// `max` and `min` of the input, nested in other operations, and `abs`, which keeps its
/// dependence (its derivative is nowhere zero at first order).
#[sparse_diff]
fn kinks(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; n - 1];
    for i in 0..n - 1 {
        y[i] = 2.0 * x[i].max(x[i + 1]) + x[i].min(0.25).exp() + x[i + 1].abs() * 0.5;
    }
    y
}

/// A return under a branch on a real: the global tracer joins both returns.
#[sparse_diff]
fn early(x: &[f64]) -> f64 {
    if x[0] > 0.0 {
        return x[1] * x[2];
    }
    let mut s = 0.0;
    for i in 3..x.len() {
        s += x[i].min(x[0]).powi(2);
    }
    s
}

/// No decision at all: local and global agree.
#[sparse_diff]
fn smooth(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 1..x.len() {
        y[i] = x[i] * x[i - 1].abs();
    }
    y
}

/// An output parameter and a constant.
#[sparse_diff]
fn clamp_into(x: &[f64], y: &mut [f64], hi: f64) {
    for i in 0..x.len() {
        y[i] = if x[i] > hi { hi * x[0] } else { x[i] };
    }
}

/// A scalar function with a real branch: the product where `x[i] > 0`, the square
/// elsewhere. Global Hessian: tridiagonal; local: the diagonal or the neighbours of
/// each `i`, as taken.
#[sparse_diff]
fn piecewise(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        if x[i] > 0.0 {
            s += x[i] * x[i + 1];
        } else {
            s += x[i].powi(2);
        }
    }
    s
}

fn subset(local: &SparsityPattern, global: &SparsityPattern) {
    assert_eq!(local.shape(), global.shape());
    for (i, j) in local.iter() {
        assert!(
            global.contains(i, j),
            "local entry ({i}, {j}) is not in the global pattern"
        );
    }
}

/// The local pattern at `x` against the global one and the exact one.
#[track_caller]
fn check_local(
    x: &[f64],
    f: impl Fn(&[f64]) -> Vec<f64>,
    local: &SparsityPattern,
    global: &SparsityPattern,
) {
    subset(local, global);
    assert_eq!(
        local,
        &pattern_of(&fd_jacobian_exact(&f, x)),
        "local pattern at {x:?}"
    );
}

/// Central differences with entries below `1e-7` taken as zero: the exact pattern of the
/// functions here, whose nonzero partials are far from zero at the points tested.
fn fd_jacobian_exact(f: impl Fn(&[f64]) -> Vec<f64>, x: &[f64]) -> Vec<Vec<f64>> {
    let mut d = fd_jacobian(f, x);
    for row in &mut d {
        for v in row.iter_mut() {
            if v.abs() < 1e-7 {
                *v = 0.0;
            }
        }
    }
    d
}

/// Points with no input near a kink (`|x| > 0.05`, no two neighbours within 0.05).
fn points(n: usize, seed: u64) -> Vec<f64> {
    let mut x = randoms(n, seed);
    for i in 0..n {
        if x[i].abs() < 0.05 {
            x[i] += 0.1f64.copysign(x[i]);
        }
        if i > 0 && (x[i] - x[i - 1]).abs() < 0.05 {
            x[i] += 0.1;
        }
        if (x[i] - 0.25).abs() < 0.05 {
            x[i] += 0.1;
        }
    }
    x
}

#[test]
fn a_branch_traces_only_the_arm_taken() {
    for seed in 1..6 {
        let x = points(12, seed);
        let local = branchy_jacobian_sparsity_local(&x);
        let global = branchy_jacobian_sparsity(&x);
        check_local(&x, branchy, &local, &global);
        assert_eq!(global.nnz(), 3 * 12);
        assert_eq!(local.nnz(), 2 * 12, "{local}");
    }
}

#[test]
fn max_and_min_trace_only_the_operand_chosen() {
    for seed in 1..6 {
        let x = points(10, seed);
        let local = kinks_jacobian_sparsity_local(&x);
        let global = kinks_jacobian_sparsity(&x);
        check_local(&x, kinks, &local, &global);
        assert_eq!(global.nnz(), 2 * 9);
        // `x[i + 1]` always stays (through `abs`), `x[i]` where `max` or `min` picks it.
        let expected = (0..9)
            .map(|i| 1 + usize::from(x[i] > x[i + 1] || x[i] < 0.25))
            .sum::<usize>();
        assert_eq!(local.nnz(), expected);
    }
    // All of `x[i]` below both its neighbour and 0.25 but none above: strictly smaller.
    let x: Vec<f64> = (0..10).map(|i| 0.3 + 0.1 * i as f64).collect();
    let local = kinks_jacobian_sparsity_local(&x);
    assert_eq!(local.nnz(), 9);
    assert!(local.nnz() < kinks_jacobian_sparsity(&x).nnz());
}

#[test]
fn a_tie_keeps_both_operands() {
    let x = vec![0.5, 0.5, 0.5];
    let local = kinks_jacobian_sparsity_local(&x);
    assert_eq!(local, kinks_jacobian_sparsity(&x));
}

#[test]
fn a_return_under_a_branch_returns() {
    let x = [1.0, 2.0, 3.0, 0.5, -0.7, 2.0];
    let row = |p: &SparsityPattern| p.row(0).to_vec();
    assert_eq!(row(&early_jacobian_sparsity_local(&x)), [1, 2]);
    assert_eq!(row(&early_jacobian_sparsity(&x)), [0, 1, 2, 3, 4, 5]);
    // `x[0] = -0.6`: `min(x[i], x[0])` picks `x[0]` but for `x[4] = -0.7`.
    let x = [-0.6, 2.0, 3.0, 0.5, -0.7, 2.0];
    let local = early_jacobian_sparsity_local(&x);
    assert_eq!(row(&local), [0, 4]);
    check_local(&x, |x| vec![early(x)], &local, &early_jacobian_sparsity(&x));
}

#[test]
fn without_decisions_local_is_global() {
    let x = points(8, 3);
    assert_eq!(
        smooth_jacobian_sparsity_local(&x),
        smooth_jacobian_sparsity(&x)
    );
    let prep = smooth_jacobian_prepare_with(&x, &JacobianOptions::local(OnSwitch::Error));
    assert!(prep.is_local());
    assert!(prep.decisions().expect("local").is_empty());
}

#[test]
fn an_output_parameter_and_a_constant() {
    let x = [0.2, 0.9, -0.3, 1.5];
    let mut y = [0.0; 4];
    let local = clamp_into_jacobian_sparsity_local(&x, &mut y, 1.0);
    assert_eq!(y, [0.2, 0.9, -0.3, 0.2]);
    assert_eq!(
        local.iter().collect::<Vec<_>>(),
        [(0, 0), (1, 1), (2, 2), (3, 0)]
    );
    let global = clamp_into_jacobian_sparsity(&x, &mut y, 1.0);
    subset(&local, &global);
    assert_eq!(global.nnz(), 7);
    let mut prep =
        clamp_into_jacobian_prepare_with(&x, &mut y, 1.0, &JacobianOptions::local(OnSwitch::Error));
    let x2 = [0.3, 0.8, -0.1, 2.5];
    let jac = clamp_into_jacobian_prepared(&mut prep, &x2, &mut y, 1.0);
    assert_eq!(
        dense(jac),
        dense(&clamp_into_jacobian(&x2, &mut [0.0; 4], 1.0))
    );
    let x3 = [1.3, 0.8, -0.1, 2.5];
    assert!(clamp_into_jacobian_prepared_checked(&mut prep, &x3, &mut y, 1.0).is_err());
}

#[test]
fn a_local_preparation_is_right_wherever_the_decisions_hold() {
    let x = points(16, 7);
    let options = JacobianOptions::local(OnSwitch::Error);
    let mut prep = branchy_jacobian_prepare_with(&x, &options);
    let global = branchy_jacobian_prepare(&x);
    assert!(prep.is_local() && !global.is_local());
    assert_eq!(prep.pattern().nnz(), 32);
    assert!(prep.ncolors() <= global.ncolors(), "{prep}\n{global}");
    assert!(
        prep.to_string().contains("local pattern, 16 decisions"),
        "{prep}"
    );
    for k in 0..5 {
        // The same signs, other values.
        let x2: Vec<f64> = x
            .iter()
            .zip(randoms(16, 100 + k))
            .map(|(a, r)| a * (1.0 + 0.5 * r))
            .collect();
        let pattern = prep.pattern().clone();
        let jac = branchy_jacobian_prepared(&mut prep, &x2);
        assert_sparse_matches(jac, &pattern, &fd_jacobian(branchy, &x2), 1e-6);
        assert_eq!(dense(jac), dense(&branchy_jacobian(&x2)));
    }
    let x = points(10, 4);
    let mut prep = kinks_jacobian_prepare_with(&x, &options);
    let x2: Vec<f64> = x.iter().map(|a| a + 0.01).collect();
    let pattern = prep.pattern().clone();
    let jac = kinks_jacobian_prepared(&mut prep, &x2);
    assert_sparse_matches(jac, &pattern, &fd_jacobian(kinks, &x2), 1e-6);
}

#[test]
fn a_switched_branch_is_an_error() {
    let x = points(12, 2);
    let mut prep = branchy_jacobian_prepare_with(&x, &JacobianOptions::local(OnSwitch::Error));
    let mut x2 = x.clone();
    x2[3] = -x2[3];
    x2[7] = -x2[7];
    let switch =
        branchy_jacobian_prepared_checked(&mut prep, &x2).expect_err("two branches switched");
    assert_eq!((switch.changed, switch.first), (2, 3));
    let text = switch.to_string();
    assert!(text.contains("2 of 12 decisions"), "{text}");
    // The line of `if x[i] > 0.0` above.
    assert!(text.contains("the branch at line 22"), "{text}");
    // The preparation is unchanged and still right where the decisions hold.
    assert!(branchy_jacobian_prepared_checked(&mut prep, &x).is_ok());
}

#[test]
#[should_panic(expected = "asd: the local sparsity pattern does not hold at this input: 1 of 12")]
fn a_switched_branch_panics_in_the_plain_prepared_form() {
    let x = points(12, 2);
    let mut prep = branchy_jacobian_prepare_with(&x, &JacobianOptions::local(OnSwitch::Error));
    let mut x2 = x.clone();
    x2[5] = -x2[5];
    branchy_jacobian_prepared(&mut prep, &x2);
}

#[test]
fn a_switched_max_is_detected() {
    let x = points(10, 5);
    let mut prep = kinks_jacobian_prepare_with(&x, &JacobianOptions::local(OnSwitch::Error));
    let mut x2 = x.clone();
    x2.swap(2, 3);
    let switch = kinks_jacobian_prepared_checked(&mut prep, &x2).expect_err("max switched");
    assert!(switch.to_string().contains("a `max`/`min`"), "{switch}");
}

#[test]
fn a_switch_prepares_again_when_asked() {
    let x = points(12, 2);
    let mut prep = branchy_jacobian_prepare_with(&x, &JacobianOptions::local(OnSwitch::Reprepare));
    let before = prep.decisions().cloned();
    let x2: Vec<f64> = x.iter().map(|a| -a).collect();
    let pattern = branchy_jacobian_sparsity_local(&x2);
    let jac = branchy_jacobian_prepared_checked(&mut prep, &x2).expect("prepared again");
    assert_sparse_matches(jac, &pattern, &fd_jacobian(branchy, &x2), 1e-6);
    assert_eq!(prep.pattern(), &pattern);
    assert_ne!(prep.decisions().cloned(), before);
    assert_eq!(prep.on_switch(), Some(OnSwitch::Reprepare));
    // The plain form prepares again too.
    let jac = branchy_jacobian_prepared(&mut prep, &x);
    assert_eq!(dense(jac), dense(&branchy_jacobian(&x)));
    // `value_and_` and `_into` go through it.
    let (y, jac) = branchy_value_and_jacobian_prepared(&mut prep, &x2);
    assert_eq!(y, branchy(&x2));
    assert_eq!(dense(jac), dense(&branchy_jacobian(&x2)));
}

#[test]
fn a_local_hessian_pattern_follows_the_branches_taken() {
    for seed in 1..6 {
        let x = points(10, seed);
        let local = piecewise_hessian_sparsity_local(&x);
        let global = piecewise_hessian_sparsity(&x);
        subset(&local, &global);
        assert_eq!(global.nnz(), 10 - 1 + 2 * 9);
        let mut exact = fd_hessian(|x| piecewise_gradient(x).1, &x);
        for row in &mut exact {
            for v in row.iter_mut() {
                if v.abs() < 1e-6 {
                    *v = 0.0;
                }
            }
        }
        assert_eq!(local, pattern_of(&exact), "at {x:?}");
        let positive = x[..9].iter().filter(|v| **v > 0.0).count();
        assert_eq!(local.nnz(), 2 * positive + (9 - positive));
    }
    // The return under a branch: only `x[1] * x[2]` where `x[0] > 0`.
    let x = [1.0, 2.0, 3.0, 0.5, -0.7, 2.0];
    let local = early_hessian_sparsity_local(&x);
    assert_eq!(local.iter().collect::<Vec<_>>(), [(1, 2), (2, 1)]);
    // `max`/`min` keep both operands in a Hessian pattern: `min(x[i], x[0])^2`.
    let x = [-0.6, 2.0, 3.0, 0.5, -0.7, 2.0];
    let local = early_hessian_sparsity_local(&x);
    subset(&local, &early_hessian_sparsity(&x));
    assert!(local.contains(3, 3) && local.contains(0, 0));
}
