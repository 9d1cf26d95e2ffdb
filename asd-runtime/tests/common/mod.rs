//! Shared by the runtime's integration tests: a hand-written tridiagonal kernel, the
//! vertex orders as a proptest strategy, and the comparison of a sparse result with a
//! dense reference.
#![allow(dead_code)]

use asd_runtime::{Jvp, Order, SparsityPattern, Vjp, Workspace};
use proptest::prelude::*;

/// `y[i] = a(i) * x[i] + sin(b(i))` with `a(i) = x[i-1]` (1 at the left end) and
/// `b(i) = x[i+1]` (the constant 1 at the right end): a tridiagonal Jacobian.
pub struct Tridiagonal<'a> {
    pub x: &'a [f64],
}

impl Tridiagonal<'_> {
    pub fn eval(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        (0..n)
            .map(|i| {
                let a = if i > 0 { x[i - 1] } else { 1.0 };
                let b = if i + 1 < n { x[i + 1] } else { 1.0 };
                a * x[i] + b.sin()
            })
            .collect()
    }

    /// The analytic Jacobian, dense: `J[i][i-1] = x[i]`, `J[i][i] = x[i-1]` (or 1),
    /// `J[i][i+1] = cos(x[i+1])`.
    pub fn dense_jacobian(x: &[f64]) -> Vec<Vec<f64>> {
        let n = x.len();
        let mut j = vec![vec![0.0; n]; n];
        for i in 0..n {
            if i > 0 {
                j[i][i - 1] = x[i];
            }
            j[i][i] = if i > 0 { x[i - 1] } else { 1.0 };
            if i + 1 < n {
                j[i][i + 1] = x[i + 1].cos();
            }
        }
        j
    }

    pub fn pattern(n: usize) -> SparsityPattern {
        SparsityPattern::from_coordinates(
            n,
            n,
            (0..n).flat_map(|i| (i.saturating_sub(1)..(i + 2).min(n)).map(move |j| (i, j))),
        )
    }
}

impl Jvp for Tridiagonal<'_> {
    fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
        let (x, n) = (self.x, self.x.len());
        for i in 0..n {
            for l in 0..L {
                // d(a x_i) = da x_i + a dx_i ; d sin(b) = cos(b) db
                let mut d = if i > 0 {
                    dx[i - 1][l] * x[i] + x[i - 1] * dx[i][l]
                } else {
                    dx[i][l]
                };
                if i + 1 < n {
                    d += x[i + 1].cos() * dx[i + 1][l];
                }
                dy[i][l] = d;
            }
        }
    }
}

impl Vjp for Tridiagonal<'_> {
    fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
        let (x, n) = (self.x, self.x.len());
        for i in 0..n {
            for l in 0..L {
                let w = dy[i][l];
                if i > 0 {
                    dx[i - 1][l] += w * x[i];
                    dx[i][l] += w * x[i - 1];
                } else {
                    dx[i][l] += w;
                }
                if i + 1 < n {
                    dx[i + 1][l] += w * x[i + 1].cos();
                }
            }
        }
    }
}

/// Every vertex order, `Random` with any seed.
pub fn any_order() -> impl Strategy<Value = Order> {
    prop_oneof![
        prop::sample::select(Order::ALL.to_vec()),
        any::<u64>().prop_map(Order::Random),
    ]
}

/// `a` stores exactly `pattern`'s entries, each equal to the dense reference to `tol`
/// (relative), and every entry the pattern leaves out is zero in the reference.
#[track_caller]
pub fn assert_matches(
    a: &sprs::CsMat<f64>,
    dense: &[Vec<f64>],
    pattern: &SparsityPattern,
    tol: f64,
) {
    assert_eq!(a.shape(), (dense.len(), dense.first().map_or(0, Vec::len)));
    assert_eq!(a.shape(), pattern.shape());
    assert_eq!(a.nnz(), pattern.nnz());
    for (_, (i, j)) in a.iter() {
        assert!(
            pattern.contains(i, j),
            "[{i}][{j}] is stored but not in the pattern"
        );
    }
    for (i, row) in dense.iter().enumerate() {
        for (j, &want) in row.iter().enumerate() {
            match a.get(i, j) {
                Some(&got) => assert!(
                    (got - want).abs() <= tol * (1.0 + want.abs()),
                    "[{i}][{j}] = {got}, want {want}"
                ),
                None => assert_eq!(want, 0.0, "[{i}][{j}] is missing from the pattern"),
            }
        }
    }
}
