//! Checks shared by the integration tests: central finite differences (Jacobians, and
//! Hessians from an exact gradient), dense Jacobians from JVPs, and exact comparison of
//! sparse results.
#![allow(dead_code)]

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
