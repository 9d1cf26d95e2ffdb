//! Every public operator `#[sparse_diff]` generates carries a doc comment, so that a
//! crate that denies `missing_docs` can differentiate its public functions. This test
//! crate denies it; its public functions are the generated ones, for each kind of
//! signature: a vector map, a scalar function, a function of one real and an in-place
//! map with a constant.
#![deny(missing_docs)]

use asd::sparse_diff;

/// `y[i] = x[i] * x[i + 1]`.
#[sparse_diff]
pub fn products(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len() - 1];
    for i in 0..y.len() {
        y[i] = x[i] * x[i + 1];
    }
    y
}

/// `sum x[i]^2 x[i + 1]`.
#[sparse_diff]
pub fn energy(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += x[i] * x[i] * x[i + 1];
    }
    s
}

/// A curve of one real.
#[sparse_diff]
pub fn curve(t: f64) -> Vec<f64> {
    vec![t.cos(), t.sin()]
}

/// `y[i] = c x[i]^2`, written in place.
#[sparse_diff]
pub fn scaled(x: &[f64], c: f64, y: &mut [f64]) {
    for i in 0..x.len() {
        y[i] = c * x[i] * x[i];
    }
}

#[test]
fn documented_operators_work() {
    let x = [1.0, 2.0, 3.0];
    assert_eq!(products_jacobian(&x).nnz(), 4);
    assert_eq!(energy_hessian(&x).nnz(), 6); // f is linear in x[2]
    assert_eq!(curve_derivative(0.0), [0.0, 1.0]);
    let mut y = [0.0; 3];
    assert_eq!(scaled_jacobian(&x, 2.0, &mut y).get(2, 2), Some(&12.0));
}
