//! The benchmark functions of `shared/bench/PROBLEMS.md`, written once as `#[sparse_diff]`
//! functions and shared by the tests, the benches and the examples (`#[path]` includes).
#![allow(dead_code)]

use asd::sparse_diff;

/// The evaluation point of every problem: `x[i] = 1 + 0.5 sin(i + 1)`.
pub fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| 1.0 + 0.5 * ((i + 1) as f64).sin()).collect()
}

/// J1: the k-fold forward difference.
#[sparse_diff]
pub fn iter_diff(x: &[f64], k: usize) -> Vec<f64> {
    let mut y = x.to_vec();
    for _ in 0..k {
        let mut z = vec![0.0; y.len() - 1];
        for i in 0..y.len() - 1 {
            z[i] = y[i + 1] - y[i];
        }
        y = z;
    }
    y
}

/// J2: the 2-D Brusselator right-hand side on an `n x n` periodic grid, two species.
#[sparse_diff]
pub fn brusselator(u: &[f64], n: usize) -> Vec<f64> {
    let a = 3.4;
    let b = 1.0;
    let dx = 1.0 / (n as f64 - 1.0);
    let alpha = 10.0 / (dx * dx);
    let nn = n * n;
    let mut du = vec![0.0; 2 * nn];
    for j in 0..n {
        for i in 0..n {
            let ip1 = (i + 1) % n;
            let im1 = (i + n - 1) % n;
            let jp1 = (j + 1) % n;
            let jm1 = (j + n - 1) % n;
            let c = i + n * j;
            let u0 = u[c];
            let v0 = u[c + nn];
            let lap_u =
                u[im1 + n * j] + u[ip1 + n * j] + u[i + n * jp1] + u[i + n * jm1] - 4.0 * u0;
            let lap_v = u[im1 + n * j + nn]
                + u[ip1 + n * j + nn]
                + u[i + n * jp1 + nn]
                + u[i + n * jm1 + nn]
                - 4.0 * v0;
            du[c] = alpha * lap_u + b + u0 * u0 * v0 - (a + 1.0) * u0;
            du[c + nn] = alpha * lap_v + a * u0 - u0 * u0 * v0;
        }
    }
    du
}

/// J3: a 5 x 5 valid correlation of a 28 x 28 image, then `tanh`.
#[sparse_diff]
pub fn conv_tanh(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; 576];
    for p in 0..24 {
        for q in 0..24 {
            let mut s = 0.1;
            for a in 0..5 {
                for b in 0..5 {
                    let w = 0.1 * (a as f64 - 2.0) + 0.05 * (b as f64 + 1.0);
                    s += w * x[(p + a) * 28 + (q + b)];
                }
            }
            y[p * 24 + q] = s.tanh();
        }
    }
    y
}

/// H1: CUTEst ARWHEAD.
#[sparse_diff]
pub fn arwhead(x: &[f64]) -> f64 {
    let n = x.len();
    let mut f = 0.0;
    for i in 0..n - 1 {
        let t = x[i] * x[i] + x[n - 1] * x[n - 1];
        f += t * t - 4.0 * x[i] + 3.0;
    }
    f
}

/// H2: CUTEst BDQRTIC.
#[sparse_diff]
pub fn bdqrtic(x: &[f64]) -> f64 {
    let n = x.len();
    let mut f = 0.0;
    for i in 0..n - 4 {
        let a = -4.0 * x[i] + 3.0;
        let b = x[i] * x[i]
            + 2.0 * x[i + 1] * x[i + 1]
            + 3.0 * x[i + 2] * x[i + 2]
            + 4.0 * x[i + 3] * x[i + 3]
            + 5.0 * x[n - 1] * x[n - 1];
        f += a * a + b * b;
    }
    f
}

/// H3: the 2-D Bratu energy on an `n x n` grid, zero boundary, `lambda = 1`.
#[sparse_diff]
pub fn bratu2d(u: &[f64], n: usize) -> f64 {
    let lambda = 1.0;
    let mut f = 0.0;
    for j in 0..n {
        for i in 0..n {
            let c = u[i + n * j];
            if i + 1 < n {
                let d = u[i + 1 + n * j] - c;
                f += 0.5 * d * d;
            }
            if j + 1 < n {
                let d = u[i + n * (j + 1)] - c;
                f += 0.5 * d * d;
            }
            f -= lambda * c.exp();
        }
    }
    f
}

/// Issue 5's exactness case: products two apart, a coupling of the ends, `abs` (no
/// interaction of its own) and squares. Hessian pattern: the diagonal, `(i, i + 2)`,
/// `(0, n - 1)`.
#[sparse_diff]
pub fn mixed(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n - 2 {
        s += x[i] * x[i + 2];
    }
    s += x[0].exp() * x[n - 1].sin();
    for i in 0..n {
        s += x[i].abs();
    }
    for i in 0..n {
        s += (x[i] - 1.0).powi(2);
    }
    s
}
