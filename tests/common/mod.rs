//! Checks shared by the integration tests: central finite differences (Jacobians, and
//! Hessians from an exact gradient), dense Jacobians from JVPs, and exact comparison of
//! sparse results.
#![allow(dead_code, unused_macros, unused_imports)]

/// `vector!(name at (x, constants..), pub fn f(..) -> Vec<f64> { .. })`: the function,
/// annotated, in a module `name`, and a test `name` of every first-order operator at
/// `x` ([`check_vector`]). `scalar!` is the same for a scalar function, through every
/// operator up to Hessians ([`check_scalar`]).
///
/// `vector!(name with (rules(g = G)) at (x), ..)` passes the attribute its arguments.
macro_rules! vector {
    ($name:ident at ($x:expr $(, $c:expr)*), $item:item) => {
        vector!($name with () at ($x $(, $c)*), $item);
    };
    ($name:ident with ($($attr:tt)*) at ($x:expr $(, $c:expr)*), $item:item) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[asd::sparse_diff($($attr)*)]
            $item
        }
        #[test]
        fn $name() {
            let x: Vec<f64> = $x;
            common::check_vector(
                &x,
                |x| $name::f(x $(, $c)*),
                |x| $name::f_jacobian_sparsity(x $(, $c)*),
                |x| $name::f_jacobian(x $(, $c)*),
                |x, d| $name::f_jvp(x $(, $c)*, d).1,
                |x, d| $name::f_vjp(x $(, $c)*, d).1,
            );
        }
    };
}

macro_rules! scalar {
    ($name:ident at ($x:expr $(, $c:expr)*), $item:item) => {
        scalar!($name with () at ($x $(, $c)*), $item);
    };
    ($name:ident with ($($attr:tt)*) at ($x:expr $(, $c:expr)*), $item:item) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[asd::sparse_diff($($attr)*)]
            $item
        }
        #[test]
        fn $name() {
            let x: Vec<f64> = $x;
            common::check_scalar(
                &x,
                |x| $name::f(x $(, $c)*),
                |x| $name::f_gradient(x $(, $c)*).1,
                |x, d| $name::f_jvp(x $(, $c)*, d).1,
                |x| $name::f_hessian_sparsity(x $(, $c)*),
                |x| $name::f_hessian(x $(, $c)*),
                |x, v| $name::f_hvp(x $(, $c)*, v),
            );
        }
    };
}

/// `in_place!(name at (x), pub fn f(x: &mut [f64]) { .. })`: a function that updates
/// its input in place, checked as the map from the input to its new value.
macro_rules! in_place {
    ($name:ident at ($x:expr), $item:item) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[asd::sparse_diff]
            $item
        }
        #[test]
        fn $name() {
            let x: Vec<f64> = $x;
            common::check_vector(
                &x,
                |x| {
                    let mut y = x.to_vec();
                    $name::f(&mut y);
                    y
                },
                $name::f_jacobian_sparsity,
                $name::f_jacobian,
                |x, d| $name::f_jvp(x, d).1,
                |x, d| $name::f_vjp(x, d).1,
            );
        }
    };
}

pub(crate) use {in_place, scalar, vector};

use asd::sprs::CsMat;
use asd::SparsityPattern;

/// Central finite differences of `f` at `x`, column by column (`m x n`, dense rows).
pub fn fd_jacobian(f: impl Fn(&[f64]) -> Vec<f64>, x: &[f64]) -> Vec<Vec<f64>> {
    central_differences(f, x, 1e-6)
}

/// The dense Hessian: central differences of an exact `gradient` at `x`, with a step
/// (`1e-5`, relative) suited to differencing first derivatives.
pub fn fd_hessian(gradient: impl Fn(&[f64]) -> Vec<f64>, x: &[f64]) -> Vec<Vec<f64>> {
    central_differences(gradient, x, 1e-5)
}

/// Central differences with the step `rel_step * (1 + |x[j]|)` in input `j`.
fn central_differences(f: impl Fn(&[f64]) -> Vec<f64>, x: &[f64], rel_step: f64) -> Vec<Vec<f64>> {
    let m = f(x).len();
    let mut jac = vec![vec![0.0; x.len()]; m];
    let mut xp = x.to_vec();
    for j in 0..x.len() {
        let h = rel_step * (1.0 + x[j].abs());
        xp[j] = x[j] + h;
        let fp = f(&xp);
        xp[j] = x[j] - h;
        let fm = f(&xp);
        xp[j] = x[j];
        for i in 0..m {
            jac[i][j] = (fp[i] - fm[i]) / (2.0 * h);
        }
    }
    jac
}

/// The dense `m x n` Jacobian from one JVP per input (plain forward mode, no sparsity):
/// `jvp(e_j)` is column `j`.
pub fn jacobian_by_jvp(jvp: impl Fn(&[f64]) -> Vec<f64>, n: usize) -> Vec<Vec<f64>> {
    let mut e = vec![0.0; n];
    let cols: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            e[j] = 1.0;
            let col = jvp(&e);
            e[j] = 0.0;
            col
        })
        .collect();
    let m = cols.first().map_or(0, Vec::len);
    (0..m)
        .map(|i| (0..n).map(|j| cols[j][i]).collect())
        .collect()
}

/// The gradient of a scalar function from its JVP, one exact JVP per input.
pub fn gradient_by_jvp(jvp: impl Fn(&[f64], &[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    jacobian_by_jvp(|e| vec![jvp(x, e)], x.len())
        .pop()
        .unwrap_or_default()
}

/// The product `A v` of dense rows and a vector.
pub fn matvec(a: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    a.iter()
        .map(|row| row.iter().zip(v).map(|(a, b)| a * b).sum())
        .collect()
}

/// A sparse matrix as dense rows.
pub fn dense(a: &CsMat<f64>) -> Vec<Vec<f64>> {
    let mut d = vec![vec![0.0; a.cols()]; a.rows()];
    for (v, (i, j)) in a.iter() {
        d[i][j] += *v;
    }
    d
}

/// Asserts `a` and `b` agree entry by entry within `tol`, relative to the entry's size.
#[track_caller]
pub fn assert_close(a: &[Vec<f64>], b: &[Vec<f64>], tol: f64) {
    assert_eq!(a.len(), b.len(), "row counts differ");
    for (i, (ra, rb)) in a.iter().zip(b).enumerate() {
        assert_eq!(ra.len(), rb.len(), "column counts differ in row {i}");
        for (j, (va, vb)) in ra.iter().zip(rb).enumerate() {
            let scale = 1.0 + va.abs().max(vb.abs());
            assert!(
                (va - vb).abs() <= tol * scale,
                "entry ({i}, {j}): {va} vs {vb}"
            );
        }
    }
}

/// The pattern of a dense matrix's nonzeros (exactly zero entries left out).
pub fn pattern_of(d: &[Vec<f64>]) -> SparsityPattern {
    let ncols = d.first().map_or(0, Vec::len);
    SparsityPattern::from_rows(
        ncols,
        d.iter()
            .map(|r| (0..r.len()).filter(|&j| r[j] != 0.0).collect())
            .collect(),
    )
}

/// A sparse result's structure must be the pattern, its values the reference's.
#[track_caller]
pub fn assert_sparse_matches(
    jac: &CsMat<f64>,
    pattern: &SparsityPattern,
    reference: &[Vec<f64>],
    tol: f64,
) {
    assert_eq!((jac.rows(), jac.cols()), pattern.shape());
    assert_eq!(
        jac.nnz(),
        pattern.nnz(),
        "the result must store exactly the pattern's entries"
    );
    for (_, (i, j)) in jac.iter() {
        assert!(
            pattern.contains(i, j),
            "stored entry ({i}, {j}) is not in the pattern"
        );
    }
    assert_close(&dense(jac), reference, tol);
    // Nothing outside the pattern may be nonzero in the reference.
    for (i, row) in reference.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            if !pattern.contains(i, j) {
                assert!(
                    v.abs() <= tol,
                    "reference entry ({i}, {j}) = {v} lies outside the pattern"
                );
            }
        }
    }
}

/// Deterministic pseudo-random numbers in [-1, 1) (no dependency needed for test data).
pub fn randoms(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

/// The adjoint identity `<dy, J dx> = <Jᵀ dy, dx>` for three random pairs of directions,
/// to 1e-12 relative to the size of the terms: tangent and adjoint code agree.
#[track_caller]
pub fn assert_adjoint(
    n: usize,
    m: usize,
    jvp: impl Fn(&[f64]) -> Vec<f64>,
    vjp: impl Fn(&[f64]) -> Vec<f64>,
) {
    for seed in 0..3 {
        let dx = randoms(n, 100 + seed);
        let dy = randoms(m, 200 + seed);
        let jdx = jvp(&dx);
        let jtdy = vjp(&dy);
        assert_eq!(jdx.len(), m, "J dx has the output's length");
        assert_eq!(jtdy.len(), n, "Jᵀ dy has the input's length");
        let a: f64 = dy.iter().zip(&jdx).map(|(a, b)| a * b).sum();
        let b: f64 = jtdy.iter().zip(&dx).map(|(a, b)| a * b).sum();
        let scale: f64 = dy.iter().zip(&jdx).map(|(a, b)| (a * b).abs()).sum::<f64>()
            + jtdy
                .iter()
                .zip(&dx)
                .map(|(a, b)| (a * b).abs())
                .sum::<f64>();
        assert!(
            (a - b).abs() <= 1e-12 * scale.max(1e-300),
            "<dy, J dx> = {a} but <Jᵀ dy, dx> = {b}"
        );
    }
}

/// The input points a function is checked at: `x` and two perturbations of it, so that
/// an entry that vanishes at one point by chance does not hide from the exact pattern.
fn points(x: &[f64]) -> Vec<Vec<f64>> {
    let mut out = vec![x.to_vec()];
    for seed in [7, 11] {
        let d = randoms(x.len(), seed);
        out.push(x.iter().zip(&d).map(|(a, b)| a + 0.1 * b).collect());
    }
    out
}

/// The union of the patterns of dense matrices: entries above `tol` at any of them.
fn union_pattern(ms: &[Vec<Vec<f64>>], tol: f64) -> SparsityPattern {
    let (m, n) = (ms[0].len(), ms[0].first().map_or(0, Vec::len));
    let rows = (0..m)
        .map(|i| {
            (0..n)
                .filter(|&j| ms.iter().any(|d| d[i][j].abs() > tol))
                .collect()
        })
        .collect();
    SparsityPattern::from_rows(n, rows)
}

/// Every first-order operator of a vector function, at `x` and two nearby points: the
/// pattern is exactly the entries finite differences find nonzero; the sparse Jacobian
/// matches finite differences; the JVP is the Jacobian times a direction; JVP and VJP
/// satisfy the adjoint identity.
#[track_caller]
pub fn check_vector(
    x: &[f64],
    f: impl Fn(&[f64]) -> Vec<f64>,
    sparsity: impl Fn(&[f64]) -> SparsityPattern,
    jacobian: impl Fn(&[f64]) -> CsMat<f64>,
    jvp: impl Fn(&[f64], &[f64]) -> Vec<f64>,
    vjp: impl Fn(&[f64], &[f64]) -> Vec<f64>,
) {
    let pts = points(x);
    let fds: Vec<Vec<Vec<f64>>> = pts.iter().map(|p| fd_jacobian(&f, p)).collect();
    let pattern = sparsity(x);
    assert_eq!(
        pattern,
        union_pattern(&fds, 1e-7),
        "the pattern is not exact"
    );
    for (p, fd) in pts.iter().zip(&fds) {
        assert_eq!(
            sparsity(p),
            pattern,
            "the global pattern changed with the input"
        );
        assert_sparse_matches(&jacobian(p), &pattern, fd, 1e-6);
        let dx = randoms(x.len(), 3);
        assert_close(&[jvp(p, &dx)], &[matvec(fd, &dx)], 1e-6);
        let m = fd.len();
        assert_adjoint(x.len(), m, |d| jvp(p, d), |d| vjp(p, d));
    }
}

/// Every operator of a scalar function, at `x` and two nearby points: the gradient
/// matches finite differences and the JVP; the Hessian pattern is exactly the entries
/// finite differences of the gradient find nonzero; the sparse Hessian matches them; the
/// HVP is the Hessian times a direction.
#[track_caller]
pub fn check_scalar(
    x: &[f64],
    f: impl Fn(&[f64]) -> f64,
    gradient: impl Fn(&[f64]) -> Vec<f64>,
    jvp: impl Fn(&[f64], &[f64]) -> f64,
    hessian_sparsity: impl Fn(&[f64]) -> SparsityPattern,
    hessian: impl Fn(&[f64]) -> CsMat<f64>,
    hvp: impl Fn(&[f64], &[f64]) -> Vec<f64>,
) {
    let pts = points(x);
    let hs: Vec<Vec<Vec<f64>>> = pts.iter().map(|p| fd_hessian(&gradient, p)).collect();
    let pattern = hessian_sparsity(x);
    assert_eq!(
        pattern,
        union_pattern(&hs, 1e-6),
        "the Hessian pattern is not exact"
    );
    for (p, h) in pts.iter().zip(&hs) {
        let g = gradient(p);
        assert_close(
            std::slice::from_ref(&g),
            &fd_jacobian(|x| vec![f(x)], p),
            1e-6,
        );
        assert_close(&[gradient_by_jvp(&jvp, p)], &[g], 1e-10);
        assert_sparse_matches(&hessian(p), &pattern, h, 1e-5);
        let v = randoms(x.len(), 5);
        assert_close(&[hvp(p, &v)], &[matvec(h, &v)], 1e-5);
    }
}
