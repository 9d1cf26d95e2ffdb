//! The numeric Rust people write, as they write it: iterator chains, generic float
//! types, tuples, closures, `match`, `loop`/`break`, asserts. Every function is checked
//! through every operator: exact patterns, sparse Jacobians and Hessians against finite
//! differences, JVP against VJP, gradient against JVP, HVP against the Hessian.
#![allow(
    clippy::needless_range_loop,
    clippy::useless_vec,
    clippy::needless_return,
    clippy::redundant_closure
)]

mod common;

use common::{in_place, scalar, vector};

use std::f64::consts::PI;
use std::iter::Sum;

use num_traits::{Float, FloatConst, FromPrimitive};

fn points(n: usize, seed: u64) -> Vec<f64> {
    common::randoms(n, seed)
        .iter()
        .map(|r| 0.5 + 0.4 * r)
        .collect()
}

// ---- iterator chains ------------------------------------------------------------------

scalar!(rosenbrock_windows at (points(6, 1)),
    pub fn f(x: &[f64]) -> f64 {
        x.windows(2)
            .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
            .sum()
    }
);

scalar!(rosenbrock_zip_skip at (points(5, 2)),
    pub fn f(x: &[f64]) -> f64 {
        x.iter()
            .zip(x.iter().skip(1))
            .map(|(&xi, &xj)| (1.0 - xi).powi(2) + 100.0 * (xj - xi.powi(2)).powi(2))
            .fold(0.0, |acc, t| acc + t)
    }
);

vector!(softmax at (points(5, 3)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = x.iter().map(|v| (v - m).exp()).collect();
        let s: f64 = e.iter().sum();
        e.iter().map(|v| v / s).collect()
    }
);

vector!(softmax_max_by at (points(4, 4)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let m = *x.iter().max_by(|a, b| a.partial_cmp(b).unwrap()).unwrap();
        let s = x.iter().map(|v| (v - m).exp()).sum::<f64>();
        x.iter().map(|v| (v - m).exp() / s).collect::<Vec<f64>>()
    }
);

vector!(rmsnorm at (points(6, 5), &[0.5, 1.0, 1.5, 2.0, 2.5, 3.0]),
    pub fn f(x: &[f64], w: &[f64]) -> Vec<f64> {
        let ss = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
        let r = 1.0 / (ss + 1e-5).sqrt();
        x.iter().zip(w).map(|(xi, wi)| xi * r * wi).collect()
    }
);

vector!(matvec_rows at (points(3, 6), &[1.0, 2.0, 0.25, -1.0, 0.5, 3.0]),
    pub fn f(x: &[f64], w: &[f64]) -> Vec<f64> {
        let n = x.len();
        w.chunks_exact(n)
            .map(|row| row.iter().zip(x).map(|(a, b)| a * b.tanh()).sum())
            .collect()
    }
);

vector!(for_over_elements at (points(5, 7)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; x.len()];
        let mut s = 0.0;
        for &xi in x {
            s += xi * xi;
        }
        for (i, xi) in x.iter().enumerate() {
            y[i] = s * xi.sin() + i as f64;
        }
        for (yi, xi) in y.iter_mut().zip(x) {
            *yi += xi.exp();
        }
        y
    }
);

scalar!(reversed_strided_filtered at (points(9, 8)),
    pub fn f(x: &[f64]) -> f64 {
        let a: f64 = (0..x.len()).rev().step_by(2).map(|i| x[i] * x[i]).sum();
        let b: f64 = x.iter().skip(1).take(4).map(|v| v.sin()).product();
        let c: f64 = x.iter().filter(|v| **v > 0.0).map(|v| v.exp()).sum();
        a + b + c
    }
);

vector!(sub_slices at (points(6, 9)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        let inner = &x[1..n - 1];
        let mut y = Vec::with_capacity(inner.len());
        for i in 0..inner.len() {
            y.push(inner[i] * x[0] + inner.iter().sum::<f64>());
        }
        y
    }
);

scalar!(continue_on_real_and_chunks at (points(6, 21)),
    pub fn f(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for v in x.iter() {
            if *v < 0.0 {
                continue;
            }
            s += v.sqrt() * v;
        }
        s + x.chunks(4).map(|c| c.iter().product::<f64>()).sum::<f64>()
    }
);

vector!(slice_and_f64_methods at (points(5, 22)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        assert!(!x.is_empty());
        let mut y = vec![0.0; x.len()];
        y.copy_from_slice(x);
        y.swap(0, 1);
        let mut z = vec![0.0; 2];
        z.fill(*x.last().unwrap());
        let e: Vec<f64> = y.iter().copied().map(f64::exp).collect();
        vec![e[0] * x.first().copied().unwrap(), (x[2] * 3.0).clamp(-5.0, 5.0), z[1] * y[0], e[4]]
    }
);

// ---- generic float types ------------------------------------------------------------------

scalar!(generic_rosenbrock at (points(4, 10)),
    pub fn f<T: Float + FromPrimitive>(param: &[T]) -> T {
        let a = T::from_f64(1.0).unwrap();
        let b = T::from_f64(100.0).unwrap();
        param
            .iter()
            .zip(param.iter().skip(1))
            .map(|(&xi, &xi1)| (a - xi).powi(2) + b * (xi1 - xi.powi(2)).powi(2))
            .fold(T::zero(), |acc, x| acc + x)
    }
);

scalar!(generic_constants at (points(5, 11), 0.7),
    pub fn f<T>(x: &[T], a: T) -> T
    where
        T: Float + FloatConst + FromPrimitive,
    {
        let n = T::from_usize(x.len()).unwrap();
        let mut s = T::zero();
        for i in 0..x.len() {
            s = s + (x[i] * a * T::PI()).cos() / n + T::epsilon();
        }
        s * T::one()
    }
);

vector!(generic_vectors_of_the_float_type at (points(3, 46)),
    pub fn f<T: Float + FromPrimitive>(x: &[T]) -> Vec<T> {
        let mut y = vec![T::zero(); x.len()];
        let w = vec![T::one(), T::from_f64(0.5).unwrap(), T::one()];
        for i in 0..x.len() {
            y[i] = w[i] * x[i] * x[(i + 1) % x.len()];
        }
        y
    }
);

// ---- tuples, closures, match, loops ---------------------------------------------------------

vector!(robertson_tuples at (vec![1.0, 2e-5, 0.01]),
    pub fn f(y: &[f64]) -> Vec<f64> {
        let (y1, y2, y3) = (y[0], y[1], y[2]);
        let (k1, k2, k3) = (0.04, 3e7, 1e4);
        vec![-k1 * y1 + k3 * y2 * y3, k1 * y1 - k3 * y2 * y3 - k2 * y2 * y2, k2 * y2 * y2]
    }
);

vector!(stencil_closures at (points(12, 12), 4),
    pub fn f(u: &[f64], n: usize) -> Vec<f64> {
        let id = |i, j| i + n * j;
        let react = |t: f64| t * t * (1.0 - t);
        let mut out = vec![0.0; u.len()];
        for j in 1..u.len() / n - 1 {
            for i in 1..n - 1 {
                out[id(i, j)] = u[id(i - 1, j)] + u[id(i + 1, j)] + u[id(i, j - 1)]
                    + u[id(i, j + 1)] - 4.0 * u[id(i, j)] + react(u[id(i, j)]);
            }
        }
        out
    }
);

scalar!(levy_closure at (points(4, 13)),
    pub fn f(x: &[f64]) -> f64 {
        let w = |t: f64| 1.0 + (t - 1.0) / 4.0;
        let pi = std::f64::consts::PI;
        let n = x.len();
        let mut s = (pi * w(x[0])).sin().powi(2);
        for i in 0..n - 1 {
            let wi = w(x[i]);
            s += (wi - 1.0).powi(2) * (1.0 + 10.0 * (pi * wi + 1.0).sin().powi(2));
        }
        s + (w(x[n - 1]) - 1.0).powi(2)
    }
);

vector!(match_on_index at (points(6, 14)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; x.len()];
        for i in 0..x.len() {
            y[i] = match i % 3 {
                0 => x[i] * 2.0,
                1 | 2 if i > 3 => x[i].sin(),
                _ => x[i] * x[0],
            };
        }
        y
    }
);

// A function that validates its arguments: the generated code panics where it does,
// with its message. A panic under a condition on a real, or formatting one, is the
// function's own, as assertions and printing are.
scalar!(validating_panics at (points(6, 16), 3),
    pub fn f(x: &[f64], k: usize) -> f64 {
        let n = x.len();
        if n < 2 {
            panic!("need two values, got {n}");
        }
        if k == 0 || k > n + 1 {
            panic!("k = {} is out of 1..={}", k, n + 1);
        }
        let n = n - 1; // a shadowed local, renamed in the generated code
        if k > 1000 {
            eprintln!("k = {k} is large"); // the function's own, as assertions are
        }
        if x[0] < -1e6 {
            panic!("x[0] = {} is too small", x[0]);
        }
        let mut s = 0.0;
        for i in 0..n {
            let w = match i % 2 {
                0 => 1.0,
                1 => 2.0,
                _ => unreachable!(),
            };
            if i > n {
                unreachable!("i = {i} > {n}");
            }
            s += w * x[i] * x[i + 1];
        }
        let last = if k <= n { x[k] } else { panic!("k = {k} has no successor in 0..={n}") };
        s * last
    }
);

#[test]
fn operators_panic_where_the_function_does() {
    use validating_panics::*;
    let x = points(6, 17);
    let message = |r: std::thread::Result<()>| {
        let e = r.expect_err("the operator did not panic");
        e.downcast_ref::<String>().cloned().unwrap_or_default()
    };
    for (k, expected) in [
        (0, "k = 0 is out of 1..=7"),
        (7, "k = 7 has no successor in 0..=5"),
    ] {
        let prim = message(std::panic::catch_unwind(|| {
            f(&x, k);
        }));
        assert_eq!(prim, expected);
        let grad = message(std::panic::catch_unwind(|| {
            f_gradient(&x, k);
        }));
        let hess = message(std::panic::catch_unwind(|| {
            f_hessian(&x, k);
        }));
        let jvp = message(std::panic::catch_unwind(|| {
            f_jvp(&x, k, &x);
        }));
        assert_eq!((grad, hess, jvp), (prim.clone(), prim.clone(), prim));
    }
    let short = message(std::panic::catch_unwind(|| {
        f_hessian_sparsity(&x[..1], 1);
    }));
    assert_eq!(short, "need two values, got 1");
}

// ---- fallible functions ---------------------------------------------------------------

/// A negative log-likelihood that validates its data, as statistics code returns errors.
mod fallible {
    /// No `Debug`: the operators need nothing of the error type.
    pub enum NllError {
        Empty,
        NotFinite(usize),
    }

    fn finite(d: &[f64]) -> Result<(), NllError> {
        match d.iter().position(|v| !v.is_finite()) {
            Some(i) => Err(NllError::NotFinite(i)),
            None => Ok(()),
        }
    }

    fn count(d: &[f64]) -> Result<usize, NllError> {
        if d.is_empty() {
            Err(NllError::Empty)
        } else {
            Ok(d.len())
        }
    }

    #[asd::sparse_diff]
    pub fn nll(x: &[f64], d: &[f64]) -> Result<f64, NllError> {
        if d.len() > 1000 {
            return Err(NllError::NotFinite(1000));
        }
        finite(d)?;
        let k = count(d)?;
        let (mu, sigma) = (x[0], x[1]);
        let mut s = 0.0;
        for v in d {
            let r = (v - mu) / sigma;
            s += 0.5 * r * r + sigma.ln();
        }
        if s.is_nan() {
            Err(NllError::NotFinite(0))
        } else {
            Ok(s / k as f64 + 0.1 * x[2] * x[2])
        }
    }

    /// Residuals of an exponential model, `Err` for too few data.
    #[asd::sparse_diff]
    pub fn residuals(x: &[f64], t: &[f64]) -> Result<Vec<f64>, String> {
        if t.len() < 2 {
            return Err(format!("{} points", t.len()));
        }
        let r: Vec<f64> = t.iter().map(|ti| x[0] * (x[1] * ti).exp() - x[2]).collect();
        Ok(r)
    }

    /// An ODE right-hand side that writes its output and returns `Result<(), E>`.
    #[asd::sparse_diff]
    pub fn rhs(u: &[f64], du: &mut [f64], k: f64) -> Result<(), String> {
        let n = u.len();
        if du.len() != n {
            return Err(format!("{} outputs for {n} unknowns", du.len()));
        }
        for i in 0..n {
            let l = if i > 0 { u[i - 1] } else { 0.0 };
            let r = if i + 1 < n { u[i + 1] } else { 0.0 };
            du[i] = k * (l - 2.0 * u[i] + r) + u[i] * u[i].sin();
        }
        Ok(())
    }
}

#[test]
fn fallible_functions_differentiate_their_ok_value() {
    use fallible::*;
    let x = points(3, 18);
    let d = [0.3, 0.9, 0.4, 0.75];
    common::check_scalar(
        &x,
        |x| nll(x, &d).ok().expect("Ok"),
        |x| nll_gradient(x, &d).1,
        |x, v| nll_jvp(x, &d, v).1,
        |x| nll_hessian_sparsity(x, &d),
        |x| nll_hessian(x, &d),
        |x, v| nll_hvp(x, &d, v),
    );
    let t = [0.25, 0.5, 1.0];
    common::check_vector(
        &x,
        |x| residuals(x, &t).unwrap(),
        |x| residuals_jacobian_sparsity(x, &t),
        |x| residuals_jacobian(x, &t),
        |x, v| residuals_jvp(x, &t, v).1,
        |x, w| residuals_vjp(x, &t, w).1,
    );
    assert_eq!(
        residuals_value_and_jacobian(&x, &t).0,
        residuals(&x, &t).unwrap()
    );
    let u = points(5, 19);
    let mut du = vec![0.0; 5];
    let jac = common::dense(&rhs_jacobian(&u, &mut du, 0.7));
    let value = |u: &[f64]| {
        let mut du = vec![0.0; u.len()];
        rhs(u, &mut du, 0.7).expect("Ok");
        du
    };
    assert_eq!(du, value(&u));
    common::assert_close(&jac, &common::fd_jacobian(value, &u), 1e-6);
    // Where the function returns an error, the operators panic saying so.
    assert!(matches!(nll(&x, &[]), Err(NllError::Empty)));
    assert!(matches!(
        nll(&x, &[0.5, f64::NAN]),
        Err(NllError::NotFinite(1))
    ));
    for d in [&[][..], &[0.5, f64::NAN][..]] {
        let panic = std::panic::catch_unwind(|| nll_gradient(&x, d)).expect_err("no panic");
        let message = (panic.downcast_ref::<String>().map(String::as_str))
            .or(panic.downcast_ref::<&str>().copied());
        assert_eq!(message, Some("`nll` returned an error"));
    }
}

/// Functions that return a fixed-size array, as small ODE right-hand sides and residuals
/// do: differentiated as returning the same values in a `Vec<f64>`.
mod arrays {
    use num_traits::Float;

    #[asd::sparse_diff]
    pub fn lorenz(u: &[f64; 3], p: &[f64; 3]) -> [f64; 3] {
        let [x, y, z] = *u;
        [p[0] * (y - x), x * (p[1] - z) - y, x * y - p[2] * z]
    }

    /// A state taken apart through its reference.
    #[asd::sparse_diff]
    pub fn pendulum(state: &[f64; 2], g: f64) -> [f64; 2] {
        let &[theta, omega] = state;
        [omega, -g * theta.sin() - 0.1 * omega]
    }

    /// A returned local array, an early `return` of a repeat, and arms of an `if`.
    #[asd::sparse_diff]
    pub fn clipped(u: &[f64], cap: f64) -> [f64; 2] {
        if u[0] > cap {
            return [0.0; 2];
        }
        let mut du = [0.0; 2];
        du[0] = u[0] * u[1];
        du[1] = u[1].sin() + u[2];
        if du[0] > cap {
            [du[1], 0.5 * du[0]]
        } else {
            du
        }
    }

    /// A `match` arm that returns from its block (its value's type came from nowhere).
    #[asd::sparse_diff]
    pub fn arms(u: &[f64], k: usize) -> [f64; 2] {
        match k {
            0 => [u[0], u[1]],
            _ => {
                let mut r = vec![u[1]; 2];
                r[1] *= u[0];
                return r.try_into().unwrap();
            }
        }
    }

    /// A vector converted into the array: the function panics where its length is
    /// another, and so do its operators.
    #[asd::sparse_diff]
    pub fn squares(u: &[f64]) -> [f64; 2] {
        let r: Vec<f64> = u.iter().map(|v| v * v).collect();
        r.try_into().unwrap()
    }

    /// Calls of a function that returns an array: returned, and indexed.
    #[asd::sparse_diff]
    pub fn delegated(u: &[f64]) -> [f64; 2] {
        arms(u, 1)
    }

    #[asd::sparse_diff]
    pub fn product(u: &[f64]) -> f64 {
        let d = arms(u, 1);
        d[0] * d[1] + u[2] * d[0]
    }

    #[asd::sparse_diff]
    pub fn polar<T: Float>(u: &[T]) -> Result<[T; 2], String> {
        if u.len() != 2 {
            return Err(format!("{} coordinates", u.len()));
        }
        Ok([u[0].hypot(u[1]), u[1].atan2(u[0])])
    }
}

#[test]
fn array_returns_differentiate_as_vectors() {
    use arrays::*;
    let p = [10.0, 28.0, 8.0 / 3.0];
    let fixed = |u: &[f64]| -> [f64; 3] { u.try_into().expect("3 unknowns") };
    common::check_vector(
        &points(3, 20),
        |u| Vec::from(lorenz(&fixed(u), &p)),
        |u| lorenz_jacobian_sparsity(&fixed(u), &p),
        |u| lorenz_jacobian(&fixed(u), &p),
        |u, v| lorenz_jvp(&fixed(u), &p, v).1,
        |u, w| lorenz_vjp(&fixed(u), &p, w).1,
    );
    let pair = |u: &[f64]| -> [f64; 2] { u.try_into().expect("2 unknowns") };
    common::check_vector(
        &points(2, 26),
        |u| Vec::from(pendulum(&pair(u), 9.8)),
        |u| pendulum_jacobian_sparsity(&pair(u), 9.8),
        |u| pendulum_jacobian(&pair(u), 9.8),
        |u, v| pendulum_jvp(&pair(u), 9.8, v).1,
        |u, w| pendulum_vjp(&pair(u), 9.8, w).1,
    );
    let u = points(3, 21);
    let (y, jac) = lorenz_value_and_jacobian(&fixed(&u), &p);
    assert_eq!((y, jac.nnz()), (Vec::from(lorenz(&fixed(&u), &p)), 8));
    // Each branch: the early return, the swapped arm, the local array (the global
    // pattern holds all three, so each is checked on its own).
    let u = [0.5, 1.8, 0.3];
    for (cap, nnz) in [(0.2, 0), (0.65, 4), (2.0, 4)] {
        let value = |u: &[f64]| Vec::from(clipped(u, cap));
        let jac = common::dense(&clipped_jacobian(&u, cap));
        common::assert_close(&jac, &common::fd_jacobian(value, &u), 1e-6);
        common::assert_close(
            &jac,
            &common::jacobian_by_jvp(|v| clipped_jvp(&u, cap, v).1, 3),
            1e-14,
        );
        common::assert_adjoint(
            3,
            2,
            |v| clipped_jvp(&u, cap, v).1,
            |w| clipped_vjp(&u, cap, w).1,
        );
        assert_eq!(clipped_jacobian_sparsity_local(&u, cap).nnz(), nnz);
        assert_eq!(clipped_jvp(&u, cap, &[0.0; 3]).0, value(&u));
    }
    let u = points(2, 28);
    common::check_vector(
        &u,
        |u| Vec::from(squares(u)),
        |u| squares_jacobian_sparsity(u),
        |u| squares_jacobian(u),
        |u, v| squares_jvp(u, v).1,
        |u, w| squares_vjp(u, w).1,
    );
    let panic =
        std::panic::catch_unwind(|| squares_jacobian(&[1.0, 2.0, 3.0])).expect_err("3 values");
    assert_eq!(
        panic.downcast_ref::<&str>().copied(),
        Some("`squares` converted a vector of another length into its array")
    );
    let x = points(3, 23);
    common::check_scalar(
        &x,
        |x| product(x),
        |x| product_gradient(x).1,
        |x, v| product_jvp(x, v).1,
        |x| product_hessian_sparsity(x),
        |x| product_hessian(x),
        |x, v| product_hvp(x, v),
    );
    let u = points(2, 22);
    common::check_vector(
        &u,
        |u| Vec::from(delegated(u)),
        |u| delegated_jacobian_sparsity(u),
        |u| delegated_jacobian(u),
        |u, v| delegated_jvp(u, v).1,
        |u, w| delegated_vjp(u, w).1,
    );
    for k in [0, 1] {
        common::check_vector(
            &u,
            |u| Vec::from(arms(u, k)),
            |u| arms_jacobian_sparsity(u, k),
            |u| arms_jacobian(u, k),
            |u, v| arms_jvp(u, k, v).1,
            |u, w| arms_vjp(u, k, w).1,
        );
    }
    common::check_vector(
        &u,
        |u| Vec::from(polar(u).unwrap()),
        |u| polar_jacobian_sparsity(u),
        |u| polar_jacobian(u),
        |u, v| polar_jvp(u, v).1,
        |u, w| polar_vjp(u, w).1,
    );
    assert_eq!(
        polar_value_and_jacobian(&u).0,
        Vec::from(polar(&u).unwrap())
    );
}

/// Enums whose variants carry constants, matched and taken apart as models write them:
/// boundary conditions, and reactions iterated by reference.
mod variants {
    #[derive(Clone, Copy)]
    pub enum Bc {
        Dirichlet(f64),
        Robin(f64, f64),
        Periodic,
    }

    pub enum Reaction {
        Decay {
            from: usize,
            k: f64,
        },
        Bind {
            a: usize,
            b: usize,
            to: usize,
            k: f64,
        },
    }

    #[asd::sparse_diff]
    pub fn heat(u: &[f64], left: &Bc, right: &Bc) -> Vec<f64> {
        let n = u.len();
        let mut r = vec![0.0; n];
        for i in 1..n - 1 {
            r[i] = u[i - 1] - 2.0 * u[i] + u[i + 1] + 0.1 * u[i] * u[i];
        }
        r[0] = match *left {
            Bc::Dirichlet(g) => u[0] - g,
            Bc::Robin(a, g) => u[1] - u[0] + a * u[0] * u[0] - g,
            Bc::Periodic => u[0] - u[n - 1],
        };
        if let Bc::Dirichlet(g) = right {
            r[n - 1] = u[n - 1] - g;
        } else if let Bc::Robin(_, g) = right {
            r[n - 1] = u[n - 2] - u[n - 1] * g;
        } else {
            r[n - 1] = u[n - 1] - u[0];
        }
        r
    }

    /// An enum of one variant, matched by a single arm (the generated code's `match`
    /// has an arm that cannot match).
    pub enum Law {
        Power { k: f64, n: i32 },
    }

    #[asd::sparse_diff]
    pub fn flux(u: &[f64], law: &Law) -> f64 {
        let mut s = 0.0;
        for i in 1..u.len() {
            s += match law {
                Law::Power { k, n } => k * (u[i] - u[i - 1]).powi(*n),
            };
        }
        s
    }

    #[asd::sparse_diff]
    pub fn kinetics(c: &[f64], reactions: &[Reaction]) -> Vec<f64> {
        let mut dc = vec![0.0; c.len()];
        for r in reactions {
            match r {
                Reaction::Decay { from, k } => dc[*from] -= k * c[*from],
                Reaction::Bind { a, b, to, .. } => {
                    let k = match r {
                        Reaction::Bind { k, .. } => *k,
                        _ => 0.0,
                    };
                    let rate = k * c[*a] * c[*b];
                    dc[*a] -= rate;
                    dc[*b] -= rate;
                    dc[*to] += rate;
                }
            }
        }
        dc
    }
}

#[test]
fn enum_variants_bind_their_constants() {
    use variants::*;
    let u = points(5, 24);
    let sides = [Bc::Dirichlet(1.5), Bc::Robin(0.5, 2.0), Bc::Periodic];
    for left in &sides {
        for right in &sides {
            common::check_vector(
                &u,
                |u| heat(u, left, right),
                |u| heat_jacobian_sparsity(u, left, right),
                |u| heat_jacobian(u, left, right),
                |u, v| heat_jvp(u, left, right, v).1,
                |u, w| heat_vjp(u, left, right, w).1,
            );
        }
    }
    let law = Law::Power { k: 0.5, n: 3 };
    common::check_scalar(
        &points(4, 27),
        |u| flux(u, &law),
        |u| flux_gradient(u, &law).1,
        |u, v| flux_jvp(u, &law, v).1,
        |u| flux_hessian_sparsity(u, &law),
        |u| flux_hessian(u, &law),
        |u, v| flux_hvp(u, &law, v),
    );
    let reactions = [
        Reaction::Decay { from: 0, k: 2.0 },
        Reaction::Bind {
            a: 1,
            b: 2,
            to: 3,
            k: 3.0,
        },
        Reaction::Decay { from: 3, k: 0.5 },
    ];
    common::check_vector(
        &points(4, 25),
        |c| kinetics(c, &reactions),
        |c| kinetics_jacobian_sparsity(c, &reactions),
        |c| kinetics_jacobian(c, &reactions),
        |c, v| kinetics_jvp(c, &reactions, v).1,
        |c, w| kinetics_vjp(c, &reactions, w).1,
    );
}

// ---- constants by value ---------------------------------------------------------------

mod by_value {
    #[derive(Clone, Copy, PartialEq, Debug)]
    pub enum Scheme {
        Central,
        Upwind,
    }

    #[derive(Clone, Copy)]
    pub struct Params {
        pub k: f64,
        pub c: f64,
        pub skip: usize,
    }

    /// A flux with its scheme, parameters, an optional weight and a range of rows, all
    /// passed by value, as a solver's right-hand side takes them.
    #[asd::sparse_diff]
    pub fn flux(
        u: &[f64],
        scheme: Scheme,
        p: Params,
        weight: Option<f64>,
        rows: (usize, usize),
    ) -> Vec<f64> {
        let n = u.len();
        let mut r = vec![0.0; n];
        let w = weight.unwrap_or(1.0);
        for i in rows.0.max(1)..rows.1.min(n - 1) {
            if i == p.skip {
                continue;
            }
            let d = match scheme {
                Scheme::Central => 0.5 * (u[i + 1] - u[i - 1]),
                Scheme::Upwind => u[i] - u[i - 1],
            };
            r[i] = w * p.c * d + p.k * u[i] * u[i].sin();
        }
        if scheme == Scheme::Upwind {
            r[0] = u[0] * energy(u, p, weight);
        }
        r
    }

    #[asd::sparse_diff]
    pub fn energy(u: &[f64], p: Params, weight: Option<f64>) -> f64 {
        let mut s = 0.0;
        for i in 0..u.len() - 1 {
            let d = u[i + 1] - u[i];
            s += match weight {
                Some(w) => w * d * d,
                None => d.abs().sqrt() * d,
            };
            s += p.k * u[i].exp() - p.c * u[i] * u[i + 1];
        }
        s
    }

    /// Optional weights, and coefficients in an array by value.
    #[asd::sparse_diff]
    pub fn weighted_mean_square(x: &[f64], weights: Option<&[f64]>, c: [f64; 2]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() {
            let w = match weights {
                Some(w) => w[i],
                None => 1.0,
            };
            s += w * (c[0] * x[i] - c[1]).powi(2);
        }
        s / x.len() as f64
    }

    /// Optional weights behind a reference, taken out by `if let`.
    #[asd::sparse_diff]
    pub fn scaled(x: &[f64], weights: &Option<Vec<f64>>) -> Vec<f64> {
        let mut y = vec![0.0; x.len()];
        for i in 0..x.len() {
            y[i] = x[i].tanh();
            if let Some(w) = weights {
                y[i] *= w[i] * x[(i + 1) % x.len()];
            }
        }
        y
    }

    pub struct Damping {
        pub rates: Option<Vec<f64>>,
        pub cap: Option<f64>,
    }

    /// Optional fields of a struct of parameters: a vector borrowed by `if let`, a
    /// number tested by a guard.
    #[asd::sparse_diff]
    pub fn damped(x: &[f64], d: &Damping) -> Vec<f64> {
        let mut y = x.to_vec();
        for i in 0..x.len() {
            if let Some(r) = &d.rates {
                y[i] -= r[i] * x[i] * x[i];
            }
            y[i] = match d.cap {
                Some(c) if c > 0.0 => y[i].min(c),
                _ => y[i],
            };
        }
        y
    }
}

/// `Option<f64>`, an enum, a struct and a tuple passed by value: every operator, the
/// prepared ones on threads (their kernel holds the constants by reference), and a call
/// from one function to another passing them on.
#[test]
fn constants_taken_by_value() {
    use asd::{HessianOptions, JacobianOptions};
    use by_value::*;
    let u = points(9, 31);
    let p = Params {
        k: 0.7,
        c: 1.5,
        skip: 4,
    };
    for scheme in [Scheme::Central, Scheme::Upwind] {
        for weight in [Some(0.25), None] {
            let rows = (2, 8);
            common::check_vector(
                &u,
                |u| flux(u, scheme, p, weight, rows),
                |u| flux_jacobian_sparsity(u, scheme, p, weight, rows),
                |u| flux_jacobian(u, scheme, p, weight, rows),
                |u, v| flux_jvp(u, scheme, p, weight, rows, v).1,
                |u, w| flux_vjp(u, scheme, p, weight, rows, w).1,
            );
            let threads = JacobianOptions::default().with_threads(2);
            let mut prep = flux_jacobian_prepare_with(&u, scheme, p, weight, rows, &threads);
            let j = flux_jacobian_prepared(&mut prep, &u, scheme, p, weight, rows).to_dense();
            assert_eq!(j, flux_jacobian(&u, scheme, p, weight, rows).to_dense());
        }
    }
    // A preparation made for one weight, evaluated with the other: the weight is only
    // arithmetic (`Some(w)` and `None` take the same rows), so it is read anew.
    let (scheme, rows) = (Scheme::Central, (0, 9));
    let mut prep = flux_jacobian_prepare(&u, scheme, p, Some(2.0), rows);
    let j = flux_jacobian_prepared(&mut prep, &u, scheme, p, Some(0.5), rows).to_dense();
    assert_eq!(j, flux_jacobian(&u, scheme, p, Some(0.5), rows).to_dense());
    for weight in [Some(0.25), None] {
        common::check_scalar(
            &u,
            |u| energy(u, p, weight),
            |u| energy_gradient(u, p, weight).1,
            |u, v| energy_jvp(u, p, weight, v).1,
            |u| energy_hessian_sparsity(u, p, weight),
            |u| energy_hessian(u, p, weight),
            |u, v| energy_hvp(u, p, weight, v),
        );
        let threads = HessianOptions::default().with_threads(2);
        let mut prep = energy_hessian_prepare_with(&u, p, weight, &threads);
        let h = energy_hessian_prepared(&mut prep, &u, p, weight).to_dense();
        assert_eq!(h, energy_hessian(&u, p, weight).to_dense());
    }
}

/// An optional vector of weights, `Option<&[f64]>`, `&Option<Vec<f64>>` or a field of a
/// struct: what `Some(w)` takes out is a vector of reals, whose elements `w[i]` are
/// reals (they were read as integers, and the body did not compile).
#[test]
fn optional_vectors_hold_reals() {
    use by_value::*;
    let u = points(6, 33);
    let w = points(6, 34);
    for weights in [Some(&w[..]), None] {
        let c = [1.5, 0.25];
        common::check_scalar(
            &u,
            |u| weighted_mean_square(u, weights, c),
            |u| weighted_mean_square_gradient(u, weights, c).1,
            |u, v| weighted_mean_square_jvp(u, weights, c, v).1,
            |u| weighted_mean_square_hessian_sparsity(u, weights, c),
            |u| weighted_mean_square_hessian(u, weights, c),
            |u, v| weighted_mean_square_hvp(u, weights, c, v),
        );
    }
    for (rates, cap) in [
        (Some(w.clone()), Some(0.8)),
        (None, None),
        (None, Some(-1.0)),
    ] {
        let d = Damping { rates, cap };
        common::check_vector(
            &u,
            |u| damped(u, &d),
            |u| damped_jacobian_sparsity(u, &d),
            |u| damped_jacobian(u, &d),
            |u, v| damped_jvp(u, &d, v).1,
            |u, e| damped_vjp(u, &d, e).1,
        );
    }
    for weights in [Some(w.clone()), None] {
        common::check_vector(
            &u,
            |u| scaled(u, &weights),
            |u| scaled_jacobian_sparsity(u, &weights),
            |u| scaled_jacobian(u, &weights),
            |u, v| scaled_jvp(u, &weights, v).1,
            |u, d| scaled_vjp(u, &weights, d).1,
        );
    }
}

scalar!(loop_break_continue at (points(8, 15), 5),
    pub fn f(x: &[f64], stop: usize) -> f64 {
        assert!(stop <= x.len());
        debug_assert!(!x.is_empty());
        let mut s = 0.0;
        let mut i = 0;
        loop {
            i += 1;
            if i >= stop {
                break;
            }
            if i % 2 == 0 {
                continue;
            }
            s += x[i] * x[i - 1];
        }
        for k in 0..x.len() {
            if k == 6 {
                break;
            }
            s += x[k].powi(3);
        }
        s
    }
);

// ---- parameter structs, constants, arrays, in-place updates --------------------------------

/// The parameters of a model, as ODE and optimisation crates pass them.
pub struct Params {
    pub a: f64,
    pub b: f64,
    pub k: usize,
    pub w: Vec<f64>,
}

impl Params {
    pub fn rate(&self, t: f64) -> f64 {
        self.a * t
    }
}

fn params() -> Params {
    Params {
        a: 1.5,
        b: 0.25,
        k: 2,
        w: vec![0.5, 1.0, 2.0, 3.0, 4.0, 5.0],
    }
}

/// A plain helper on constants, used in index arithmetic.
fn wrap(i: isize, n: usize) -> usize {
    i.rem_euclid(n as isize) as usize
}

fn sin_cos(t: f64) -> (f64, f64) {
    (t.sin(), t.cos())
}

vector!(brusselator_params at (points(6, 16), &params()),
    pub fn f(u: &[f64], p: &Params) -> Vec<f64> {
        const DIFFUSION: f64 = 0.1;
        let Params { a, b, .. } = *p;
        let n = u.len() / 2;
        let (s, c) = sin_cos(p.rate(2.0));
        let mut du = vec![0.0; u.len()];
        for i in 0..n {
            let left = wrap(i as isize - 1, n);
            let right = if i + 1 < n { i + 1 } else { 0 };
            let (x, y) = (u[i], u[n + i]);
            du[i] = a + x * x * y - (b + 1.0) * x + DIFFUSION * (u[left] + u[right] - 2.0 * x) * p.w[i];
            du[n + i] = b * x - x * x * y + s * c * p.w[p.k];
        }
        du
    }
);

vector!(arrays_and_integer_ifs at (points(3, 17), 2),
    pub fn f(x: &[f64], k: usize) -> Vec<f64> {
        let coeffs = [0.5, -1.0, 2.0];
        let idx = [2usize, 0, 1];
        let mut out: [f64; 3] = [0.0; 3];
        for i in 0..3 {
            let j = if i < k { idx[i] } else { i };
            out[i] = coeffs[i] * x[j] * x[idx[i]];
        }
        out.to_vec()
    }
);

mod fixed_size_input {
    #[asd::sparse_diff]
    pub fn f(x: &[f64; 3]) -> f64 {
        x[0] * x[1].exp() + x.iter().map(|v| v.powi(3)).sum::<f64>()
    }
}

#[test]
fn a_fixed_size_array_is_an_input() {
    use fixed_size_input as m;
    let a = |x: &[f64]| -> [f64; 3] { x.try_into().expect("three inputs") };
    common::check_scalar(
        &[0.3, 0.6, 0.9],
        |x| m::f(&a(x)),
        |x| m::f_gradient(&a(x)).1,
        |x, d| m::f_jvp(&a(x), d).1,
        |x| m::f_hessian_sparsity(&a(x)),
        |x| m::f_hessian(&a(x)),
        |x, v| m::f_hvp(&a(x), v),
    );
}

mod vec_input {
    #[asd::sparse_diff]
    #[allow(clippy::ptr_arg)]
    pub fn f(x: &Vec<f64>) -> Vec<f64> {
        x.iter().rev().map(|v| v.ln()).collect()
    }
}

#[test]
fn a_vec_reference_is_an_input() {
    use vec_input as m;
    common::check_vector(
        &points(4, 18),
        |x| m::f(&x.to_vec()),
        |x| m::f_jacobian_sparsity(&x.to_vec()),
        |x| m::f_jacobian(&x.to_vec()),
        |x, d| m::f_jvp(&x.to_vec(), d).1,
        |x, d| m::f_vjp(&x.to_vec(), d).1,
    );
}

scalar!(generic_calls_generic at (points(5, 19)),
    pub fn f<T: Float>(x: &[T]) -> T {
        let y = super::generic_square::g(x);
        y.iter().fold(T::zero(), |a, &b| a + b.sin())
    }
);

pub mod generic_square {
    use num_traits::Float;

    #[asd::sparse_diff]
    pub fn g<T: Float>(x: &[T]) -> Vec<T> {
        x.iter().map(|&v| v * v).collect()
    }
}

in_place!(softmax_in_place at (points(5, 20)),
    pub fn f(x: &mut [f64]) {
        let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut s = 0.0;
        for v in x.iter_mut() {
            *v = (*v - m).exp();
            s += *v;
        }
        for v in x.iter_mut() {
            *v /= s;
        }
    }
);

// ---- test functions as an optimisation crate writes them -----------------------------------

scalar!(ackley at (points(4, 23)),
    pub fn f<T>(param: &[T]) -> T
    where
        T: Float + FromPrimitive + Sum,
    {
        let a = T::from_f64(20.0).unwrap();
        let b = T::from_f64(0.2).unwrap();
        let c = T::from_f64(2.0 * PI).unwrap();
        let num1 = T::from_f64(1.0).unwrap();
        let n = T::from_usize(param.len()).unwrap();
        -a * (-b * ((num1 / n) * param.iter().map(|x| x.powi(2)).sum()).sqrt()).exp()
            - ((num1 / n) * param.iter().map(|x| (c * *x).cos()).sum()).exp()
            + a
            + num1.exp()
    }
);

scalar!(rastrigin at (points(4, 24), 10.0),
    pub fn f<T>(param: &[T], a: T) -> T
    where
        T: Float + FromPrimitive + Sum,
    {
        a * T::from_usize(param.len()).unwrap()
            + param
                .iter()
                .map(|&x| x.powi(2) - a * (T::from_f64(2.0 * PI).unwrap() * x).cos())
                .sum()
    }
);

scalar!(zakharov at (points(4, 25)),
    pub fn f<T>(param: &[T]) -> T
    where
        T: Float + FromPrimitive + Sum,
    {
        let n1 = T::from_f64(0.5).unwrap();
        let par2: T = param.iter().map(|x| x.powi(2)).sum();
        let par3: T = param
            .iter()
            .zip(1..)
            .map(|(x, i)| n1 * T::from_i32(i).unwrap() * *x)
            .sum();
        par2 + par3.powi(2) + par3.powi(4)
    }
);

scalar!(styblinski_tang at (points(4, 26)),
    pub fn f<T>(param: &[T]) -> T
    where
        T: Float + FromPrimitive + Sum,
    {
        T::from_f64(0.5).unwrap()
            * param
                .iter()
                .map(|x| {
                    x.powi(4) - T::from_f64(16.0).unwrap() * x.powi(2)
                        + T::from_f64(5.0).unwrap() * *x
                })
                .sum()
    }
);

// ---- a transformer's kernels, as an inference crate writes them (in f64) ------------------

in_place!(softmax_llama at (points(6, 27)),
    pub fn f(x: &mut [f64]) {
        let max_val = x.iter().fold(x[0], |acc, &val| acc.max(val));
        let mut sum = 0.0;
        for val in x.iter_mut() {
            *val = (*val - max_val).exp();
            sum += *val;
        }
        for val in x.iter_mut() {
            *val /= sum;
        }
    }
);

vector!(matmul_for_each at (points(3, 28), &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75], 3, 2),
    pub fn f(x: &[f64], w: &[f64], n: usize, d: usize) -> Vec<f64> {
        let mut xout = vec![0.0; d];
        xout.iter_mut().enumerate().for_each(|(i, val)| {
            *val = 0.0;
            for j in 0..n {
                *val += w[i * n + j] * x[j];
            }
        });
        xout.iter().map(|v| v * v.tanh()).collect()
    }
);

// ---- a PDE right-hand side with helper closures, as a solver's example writes it ----------

/// The 2-D Brusselator's parameters and grid.
pub struct Brusselator {
    pub n: usize,
    pub a: f64,
    pub b: f64,
    pub alpha: f64,
    pub xyd: Vec<f64>,
}

fn brusselator() -> Brusselator {
    let n = 4;
    Brusselator {
        n,
        a: 3.4,
        b: 1.0,
        alpha: 10.0,
        xyd: (0..n).map(|i| i as f64 / (n - 1) as f64).collect(),
    }
}

vector!(brusselator_2d at (points(32, 29), &brusselator(), 1.5),
    pub fn f(u: &[f64], p: &Brusselator, t: f64) -> Vec<f64> {
        let n = p.n;
        let (a, b, alpha) = (p.a, p.b, p.alpha);
        let limit = |k: usize| if k == n { 0 } else if k == 0 { n - 1 } else { k };
        let idx = |i: usize, j: usize, c: usize| c * n * n + j * n + i;
        let forcing = |x: f64, y: f64| {
            if (x - 0.3).powi(2) + (y - 0.6).powi(2) <= 0.1 && t >= 1.1 {
                5.0
            } else {
                0.0
            }
        };
        let mut du = vec![0.0; u.len()];
        for i in 0..n {
            for j in 0..n {
                let x = p.xyd[i];
                let y = p.xyd[j];
                let ip1 = limit(i + 1);
                let im1 = limit(if i == 0 { 0 } else { i - 1 });
                let jp1 = limit(j + 1);
                let jm1 = limit(if j == 0 { 0 } else { j - 1 });
                let (uu, vv) = (u[idx(i, j, 0)], u[idx(i, j, 1)]);
                du[idx(i, j, 0)] = alpha
                    * (u[idx(im1, j, 0)] + u[idx(ip1, j, 0)] + u[idx(i, jp1, 0)]
                        + u[idx(i, jm1, 0)] - 4.0 * uu)
                    + b + uu * uu * vv - (a + 1.0) * uu + forcing(x, y);
                du[idx(i, j, 1)] = alpha
                    * (u[idx(im1, j, 1)] + u[idx(ip1, j, 1)] + u[idx(i, jp1, 1)]
                        + u[idx(i, jm1, 1)] - 4.0 * vv)
                    + a * uu - uu * uu * vv;
            }
        }
        du
    }
);

// ---- sub-slices passed to other annotated functions ---------------------------------------

/// An annotated helper of a slice.
#[asd::sparse_diff]
pub fn energy(u: &[f64]) -> f64 {
    u.windows(2).map(|w| (w[1] - w[0]).powi(2) * w[0]).sum()
}

vector!(sub_slice_arguments at (points(6, 30)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        let head = &x[..n / 2];
        let a = super::generic_square::g(&x[1..4]);
        let b = super::generic_square::g(head);
        vec![a[0] + b[1], a[2] * x[0], b[0], super::energy(&x[2..])]
    }
);

scalar!(sub_slice_arguments_second_order at (points(6, 31)),
    pub fn f(x: &[f64]) -> f64 {
        let tail = &x[1..];
        super::energy(tail) * x[0] + super::energy(&x[..3])
    }
);

vector!(rows_of_a_constant_matrix at (points(3, 32), &[vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.5]]),
    pub fn f(x: &[f64], a: &[Vec<f64>]) -> Vec<f64> {
        a.iter()
            .map(|row| row.iter().zip(x).map(|(r, v)| r * v.exp()).sum())
            .collect()
    }
);

scalar!(nested_zip_patterns at (points(6, 33)),
    pub fn f(x: &[f64]) -> f64 {
        x.iter()
            .zip(x.iter().skip(1))
            .zip(x.iter().skip(2))
            .map(|((a, b), c)| a * b - c.powi(2))
            .sum()
    }
);

vector!(array_patterns at (vec![1.0, 2e-5, 0.01]),
    pub fn f(y: &[f64]) -> Vec<f64> {
        let [y1, y2, y3] = [y[0], y[1], y[2]];
        let [k1, k3] = [0.04, 1e4];
        vec![-k1 * y1 + k3 * y2 * y3, k1 * y1 - k3 * y2 * y3]
    }
);

// ---- forms the probes wrote: helper fns, guards that bind, shadowed slices ------------------

vector!(helper_fns_on_reals at (points(3, 41)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let y = vec![sq(x[0]) + cube(x[1]), x[idx(1)] * sq(x[2])];
        fn cube(t: f64) -> f64 {
            sq(t) * t
        }
        fn sq(t: f64) -> f64 {
            t * t
        }
        fn idx(i: usize) -> usize {
            i + 1
        }
        y
    }
);

vector!(match_arms_that_bind_with_guards at (points(5, 42)),
    pub fn f(u: &[f64]) -> Vec<f64> {
        let n = u.len();
        (0..n)
            .map(|j| match j {
                0 => u[1] - u[0],
                j if j == n - 1 => u[j - 1] - u[j],
                k @ 1..=2 => u[k - 1] * u[k + 1],
                k => u[k - 1] - 2.0 * u[k] + u[k + 1],
            })
            .collect()
    }
);

scalar!(shadowed_slices_and_call_results_in_chains at (points(6, 43), &[1.0, 0.5, 2.0, 1.5, 1.0, 3.0]),
    pub fn f(x: &[f64], w: &[f64]) -> f64 {
        let (u, v) = (&x[..2], &x[2..]);
        let b: f64 = std::iter::zip(v, w).map(|(p, q)| p * q).sum();
        let (u1, head) = (u[1], u[0].log(10.0) + v[0].to_radians());
        let x = &x[1..];
        let a: f64 = super::generic_square::g(x).iter().sum();
        let c = x.windows(2).fold(0.0, |acc, s| acc + s[0] * s[1]);
        a * u1 + b * c + head
    }
);

pub struct Coefficients {
    pub b: Vec<f64>,
}

scalar!(closure_types_and_constant_accumulators at (points(4, 44), &Coefficients { b: vec![2.0, 0.5] }),
    pub fn f(x: &[f64], p: &Coefficients) -> f64 {
        let total = |a: &[f64]| -> f64 { a.iter().map(|t| t * t).sum() };
        let v = total(x);
        let mut c = p.b[0];
        c += x[0] * p.b[1];
        v * c
    }
);

// A symplectic step as a closure with a block body returning a pair; its `let` is named
// like a later one of the caller's.
vector!(closure_returning_a_pair_from_a_block at (points(2, 46), 0.1),
    pub fn f(x: &[f64], h: f64) -> Vec<f64> {
        let step = |q: f64, p: f64| -> (f64, f64) {
            let p2 = p - h * q.sin();
            (q + h * p2, p2)
        };
        let p2 = 10.0;
        let (mut q, mut p) = (x[0], x[1]);
        for _ in 0..3 {
            let (a, b) = step(q, p);
            q = a;
            p = b;
        }
        vec![q, p * p2]
    }
);

// Two species per cell, written through mutable chunks.
vector!(mutable_chunks_written_per_cell at (points(6, 47), 2.0),
    pub fn f(x: &[f64], k: f64) -> Vec<f64> {
        let mut y = vec![0.0; x.len()];
        for (yo, xi) in y.chunks_mut(2).zip(x.chunks(2)) {
            yo[0] = -k * xi[0] * xi[1];
            yo[1] = k * xi[0] * xi[1] - xi[1];
        }
        for (i, c) in y.chunks_exact_mut(3).enumerate() {
            c[2] += x[3 * i].sin() * c[0];
        }
        y
    }
);

/// An output parameter split in two, species by species.
#[asd::sparse_diff]
pub fn two_species(x: &[f64], dy: &mut [f64], n: usize) {
    let (u, v) = x.split_at(n);
    let (du, dv) = dy.split_at_mut(n);
    for i in 0..n {
        du[i] = -u[i] * v[i];
        dv[i] = u[i] * v[i] - v[i];
    }
    let tail = &mut dy[1..];
    tail[0] += x[0];
}

vector!(split_at_mut_of_an_output at (points(4, 48)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; x.len()];
        super::two_species(x, &mut y, 2);
        y
    }
);

// modppl's logsumexp as written: loops over the input inside a branch on a real (their
// counters are the branch's own), `-1. / 0.`, and `return` in both arms.
scalar!(logsumexp_with_returns_in_both_arms at (points(4, 49)),
    pub fn f(xs: &[f64]) -> f64 {
        let mut max = -1. / 0.;
        for x in xs {
            if *x > max {
                max = *x;
            }
        }
        if max == -1. / 0. {
            return max;
        } else {
            let mut s = 0.0;
            for x in xs {
                s += (x - max).exp();
            }
            return max + s.ln();
        }
    }
);

/// An annotated helper that accumulates into its output parameter.
#[asd::sparse_diff]
pub fn add_squares(x: &[f64], y: &mut [f64]) {
    for i in 0..x.len() {
        y[i] += x[i] * x[i];
    }
}

// Ranges of a vector passed to be written: by an output parameter that reads it first,
// and by a function that updates its input in place.
vector!(output_and_in_place_arguments_of_ranges at (points(3, 50)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let mut y = vec![1.0; 5];
        y[2] = x[0] * x[2];
        super::add_squares(&x[..2], &mut y[2..4]);
        super::smooth_in_place(&mut y[3..5], 0.5);
        y
    }
);

// Closures of slices called on sub-slices, chunks, windows and ranges of a local vector:
// their results were constants (derivative 0) or failed to compile.
scalar!(closures_of_slices_on_parts_of_vectors at (points(6, 51), 0.1),
    pub fn f(x: &[f64], h: f64) -> f64 {
        let trap = |w: &[f64]| 0.5 * h * (w[0] + w[1]);
        let sum = |v: &[f64]| v.iter().sum::<f64>();
        let moments = |v: &[f64]| -> (f64, f64) {
            let m = v.iter().sum::<f64>() / v.len() as f64;
            (m, v.iter().map(|t| (t - m) * (t - m)).sum::<f64>())
        };
        let mut s = x[0] * x[0] + sum(&x[1..3]);
        for r in x.chunks(3) {
            let (m, v) = moments(r);
            s += m * v;
        }
        let y: Vec<f64> = x.iter().map(|a| a * a).collect();
        s + sum(&y[2..]) * x.windows(2).map(|w| trap(w)).sum::<f64>()
    }
);

/// Annotated functions of one real, called on reals by others.
#[asd::sparse_diff]
pub fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

#[asd::sparse_diff]
pub fn circle(t: f64, r: f64) -> Vec<f64> {
    vec![r * t.cos(), r * t.sin()]
}

scalar!(functions_of_one_real_called_on_reals at (points(4, 45), 0.3),
    pub fn f(x: &[f64], c: f64) -> f64 {
        let mut s = super::sigmoid(c);
        for i in 0..x.len() - 1 {
            s += super::sigmoid(x[i] * x[i + 1]) * x[i];
        }
        let p = super::circle(x[0], c);
        let ends = x.first().copied().unwrap_or(0.0) * x.last().copied().unwrap_or(1.0);
        s * p[0] + p[1] * super::sigmoid(c * x[3]) + ends
    }
);

// ---- infinite partials off the path taken: derivatives 0, not NaN -------------------------

// Pairwise-distance stress: `d` is computed before the `continue` that skips `i == j`,
// where it is `sqrt(0)`, whose partial is infinite.
scalar!(stress_skips_the_diagonal at (points(6, 40), &[0.0, 1.0, 1.5, 1.0, 0.5, 1.2, 1.0, 1.5, 0.0]),
    pub fn f(x: &[f64], delta: &[f64]) -> f64 {
        let n = x.len() / 2;
        let mut s = 0.0;
        for i in 0..n {
            for j in 0..n {
                let d = ((x[2 * i] - x[2 * j]).powi(2) + (x[2 * i + 1] - x[2 * j + 1]).powi(2)).sqrt();
                if i == j {
                    continue;
                }
                s += (d - delta[i * n + j]).powi(2);
            }
        }
        s
    }
);

// A state at rest: the speed is `sqrt(0)`; the rows of the positions are linear.
vector!(drag_at_rest at (vec![0.0; 4], 0.1),
    pub fn f(s: &[f64], c: f64) -> Vec<f64> {
        let speed = (s[2] * s[2] + s[3] * s[3]).sqrt();
        vec![s[2], s[3], -c * speed * s[2], -9.81 - c * speed * s[3]]
    }
);

// A guarded norm at the origin, and a polynomial `Σ c[k] x^k` from `k = 0` at 0.
scalar!(guarded_norm_at_the_origin at (vec![0.0; 3]),
    pub fn f(x: &[f64]) -> f64 {
        let r2: f64 = x.iter().map(|v| v * v).sum();
        let r = r2.sqrt();
        if r2 < 1e-8 { 0.5 * r2 } else { r - 0.5 }
    }
);

scalar!(polynomial_from_the_zeroth_power at (vec![0.0, 0.0], &[1.0, 2.0, 3.0]),
    pub fn f(x: &[f64], c: &[f64]) -> f64 {
        let mut s = x[0].powi(0) * x[1] + x[0].powi(1) * x[1];
        for k in 0..c.len() {
            s += c[k] * x[0].powi(k as i32) * x[1];
        }
        s
    }
);

// ---- functions that update their input in place, called from others ----------------------

/// An annotated helper that updates its input in place, with a constant.
#[asd::sparse_diff]
pub fn smooth_in_place(u: &mut [f64], a: f64) {
    let n = u.len();
    for i in 1..n {
        u[i] += a * u[i - 1].sin();
    }
    u[0] *= u[n - 1];
}

vector!(in_place_helper_on_a_local_vector at (points(5, 34)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let mut v = x.to_vec();
        super::smooth_in_place(&mut v, 0.5);
        // A vector of constants: the plain call.
        let mut c = vec![1.0, 2.0, 3.0];
        super::smooth_in_place(&mut c, 2.0);
        super::smooth_in_place(&mut v, c[2]);
        v.push(x[0] * c[1]);
        v
    }
);

/// A plain helper (not annotated) that fills a buffer of constants in place.
fn fill_weights(w: &mut [f64]) {
    for (i, wi) in w.iter_mut().enumerate() {
        *wi = 1.0 / (1.0 + i as f64);
    }
}

vector!(plain_helper_fills_constants_in_place at (points(4, 37)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let mut w = vec![0.0; x.len()];
        super::fill_weights(&mut w);
        x.iter().zip(&w).map(|(a, b)| a.exp() * b).collect()
    }
);

scalar!(in_place_helper_second_order at (points(4, 35)),
    pub fn f(x: &[f64]) -> f64 {
        let mut v: Vec<f64> = x.iter().map(|t| t * t).collect();
        super::smooth_in_place(&mut v, 1.5);
        v.iter().zip(x).map(|(a, b)| a * b).sum()
    }
);

in_place!(in_place_helper_from_an_in_place_function at (points(4, 36)),
    pub fn f(x: &mut [f64]) {
        super::smooth_in_place(x, 0.25);
        x[1] = x[0] * x[2];
    }
);

// ---- slice methods -------------------------------------------------------------------------

vector!(split_at_and_sub_slice_copies at (points(6, 38)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let (u, v) = x.split_at(x.len() / 2);
        let mut w = x[1..3].to_vec();
        let tail = &v[1..];
        let t = tail.to_vec();
        let _ = u[0];
        w.push(u[0] * v[0] + t[1]);
        w
    }
);

vector!(extend_and_reverse at (points(4, 39)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let mut y = vec![x[0] * x[1]];
        y.extend_from_slice(&x[2..]);
        y.extend(x.iter().map(|t| t.sin()));
        y.reverse();
        y[0] *= x[3];
        y
    }
);

// ---- closures and sub-slices keep Rust's meaning when inlined -----------------------------

scalar!(closure_guard_clauses at (vec![0.3, 0.9, 0.5, -0.2]),
    pub fn f(x: &[f64]) -> f64 {
        let clip = |v: f64| -> f64 {
            if v > 0.6 {
                let w = 0.6 + 0.1 * v;
                return w * w;
            } else if v < 0.0 {
                return 0.5 * v * v;
            }
            v * v * v
        };
        let cubes: f64 = x
            .iter()
            .map(|&v| {
                if v < 0.4 {
                    return 2.0 * v * v;
                }
                v * v * v
            })
            .sum();
        clip(x[0]) + clip(x[1]) * x[2] + clip(x[3]) + cubes
    }
);

vector!(for_each_returns_from_its_closure_only at (points(4, 34)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; x.len()];
        y.iter_mut().enumerate().for_each(|(i, yi)| {
            if i == 0 {
                return;
            }
            *yi = x[i] * x[i - 1];
        });
        y
    }
);

scalar!(mut_elements_and_parameters_are_copies at (points(4, 35)),
    pub fn f(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for mut v in x.iter().copied() {
            v *= v;
            s += v * x[0];
        }
        let twice: f64 = x.iter().copied().map(|mut v| {
            v *= 2.0;
            v * v
        }).sum();
        let square = |mut v: f64| {
            v *= v;
            v
        };
        s + twice + square(x[1]) * x[1]
    }
);

scalar!(closure_arguments_are_not_captured_by_its_lets at (points(4, 36)),
    pub fn f(x: &[f64]) -> f64 {
        let g = |v: f64| {
            let i = 0;
            v * x[i]
        };
        let mut s = 0.0;
        for i in 1..x.len() {
            s += g(x[i]) * x[i];
        }
        s
    }
);

scalar!(sub_slice_bounds_are_read_where_it_is_made at (points(4, 37)),
    pub fn f(x: &[f64]) -> f64 {
        let mut k = 1;
        let tail = &x[k..];
        k = 2;
        tail[0] * x[k] + tail[2] * tail[2]
    }
);

scalar!(move_closures_copy_what_they_read at (points(4, 38)),
    pub fn f(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for v in x {
            s += v;
        }
        let scaled = move |v: f64| v * s;
        scaled(x[0]) + scaled(x[1] * x[2])
    }
);

scalar!(continue_after_work_under_a_real_condition at (vec![-0.7, 0.4, -0.3, 0.9]),
    pub fn f(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() {
            if x[i] < 0.0 {
                let t = 0.5 * x[i];
                s += t * x[i] * x[i] - x[0] * x[i];
                continue;
            }
            let t = x[i] * x[i];
            s += t + x[0] * x[i];
        }
        s
    }
);

vector!(arrays_of_reals at (points(3, 39)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let r = [x[0] * x[1], x[2].sin()];
        let z = [x[0]; 2];
        vec![r[0] + z[1], r[1] * r[0] * z[0]]
    }
);

vector!(edge_list_assembly at (points(3, 40), &[(0, 1, 2.0), (1, 2, 0.5), (2, 0, 1.5)]),
    pub fn f(x: &[f64], edges: &[(usize, usize, f64)]) -> Vec<f64> {
        let mut r = vec![0.0; x.len()];
        for &(i, j, w) in edges {
            let d = w * (x[i] - x[j]);
            r[i] += d * d;
            r[j] -= d;
        }
        for (k, &(i, _, w)) in edges.iter().enumerate() {
            r[i] += w * x[k].sin();
        }
        r
    }
);

vector!(rk4_step_with_a_closure_right_hand_side at (points(2, 41), 0.1),
    pub fn f(y0: &[f64], h: f64) -> Vec<f64> {
        let rhs = |y: &[f64]| -> Vec<f64> {
            let a = y[0] * y[1];
            vec![-a + y[1], a - 2.0 * y[1].sin()]
        };
        let k1 = rhs(y0);
        let y1: Vec<f64> = y0.iter().zip(&k1).map(|(a, b)| a + 0.5 * h * b).collect();
        let k2 = rhs(&y1);
        let y2: Vec<f64> = y0.iter().zip(&k2).map(|(a, b)| a + 0.5 * h * b).collect();
        let k3 = rhs(&y2);
        let y3: Vec<f64> = y0.iter().zip(&k3).map(|(a, b)| a + h * b).collect();
        let k4 = rhs(&y3);
        (0..2)
            .map(|i| y0[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
            .collect()
    }
);

vector!(boundary_by_get_unwrap_or at (points(5, 42)),
    pub fn f(u: &[f64]) -> Vec<f64> {
        (0..u.len())
            .map(|i| {
                let left = if i > 0 { u[i - 1] } else { 0.0 };
                let right = u.get(i + 1).copied().unwrap_or(0.0);
                left - 2.0 * u[i] + right * right
            })
            .collect()
    }
);

vector!(vectors_made_from_themselves at (points(2, 43), 0.1),
    pub fn f(x: &[f64], h: f64) -> Vec<f64> {
        let mut y = x.to_vec();
        for _ in 0..3 {
            y = vec![y[0] + h * y[1], y[1] - h * y[0].sin()];
        }
        let mut a = [y[0], y[1] * 2.0];
        a = [a[1] * 2.0, a[0] * a[1]];
        let mut v = vec![a[0]; 2];
        v = vec![v[1] * 2.0 + a[1]; 2];
        y = y.to_vec();
        vec![y[0] * v[0], y[1] + v[1]]
    }
);

scalar!(euler_steps_energy at (points(2, 44)),
    pub fn f(x: &[f64]) -> f64 {
        let mut y = x.to_vec();
        for _ in 0..3 {
            y = vec![y[0] + 0.1 * y[1], y[1] - 0.1 * y[0].sin()];
        }
        y[0] * y[1]
    }
);

vector!(swapped_buffers at (points(3, 45)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        let mut u = x.to_vec();
        let mut v = vec![0.0; n];
        for _ in 0..2 {
            for i in 0..n {
                v[i] = 2.0 * u[i] + u[(i + 1) % n] * u[i];
            }
            std::mem::swap(&mut u, &mut v);
        }
        let mut p = u[0];
        let mut q = u[1] * u[2];
        std::mem::swap(&mut p, &mut q);
        vec![u[0] * p, u[1] - q, u[2]]
    }
);

scalar!(chains_over_literal_ranges at (points(4, 47)),
    pub fn f(x: &[f64]) -> f64 {
        let a: f64 = ({ 1 }..3).map(|i| x[i] * x[i - 1]).sum();
        let b: f64 = (0..4).skip(2).map(|i| x[i].exp()).sum();
        a + b
    }
);

vector!(closure_locals_named_like_the_argument at (points(2, 48)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let rhs = |y: &[f64]| -> Vec<f64> {
            let a = y[0] * 2.0;
            vec![a + y[0], y[1] * a]
        };
        let a = x.to_vec();
        let b = rhs(&a);
        rhs(&b)
    }
);

scalar!(for_each_returns_under_a_real_condition at (vec![-0.6, 0.7, 0.4, -0.3]),
    pub fn f(x: &[f64]) -> f64 {
        let mut s = 0.0;
        (0..x.len()).for_each(|i| {
            if x[i] < 0.0 {
                s += 0.5 * x[i] * x[i] * x[0];
                return;
            }
            s += x[i] * x[i] * x[0];
        });
        s
    }
);

#[asd::sparse_diff]
pub fn row_dot(x: &[f64], w: &[f64]) -> f64 {
    x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>().tanh()
}

// A slice's iterator gives its elements by reference: a row passed on by name is the
// reference `&rows[k]`; a real passed on by value after `copied()` or `&v` is the value.
vector!(rows_passed_on_by_reference at (points(3, 49), &[vec![1.0, 0.5, -0.3], vec![0.2, 1.0, 2.0]]),
    pub fn f(x: &[f64], rows: &[Vec<f64>]) -> Vec<f64> {
        let mut y: Vec<f64> = rows.iter().map(|r| row_dot(x, r)).collect();
        for row in rows.iter() {
            y.push(row_dot(x, row));
        }
        for (i, row) in rows.iter().enumerate() {
            y.push(row_dot(x, row) * x[i]);
        }
        for row in rows {
            y.push(row_dot(&x[1..], &row[..2]));
        }
        for v in x.iter().copied() {
            y.push(sigmoid(v));
        }
        for &v in x {
            y.push(sigmoid(v) * v);
        }
        y
    }
);

#[asd::sparse_diff]
pub fn norm3(p: &[f64; 3]) -> f64 {
    (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt()
}

#[asd::sparse_diff]
pub fn sum_sin<T: Float>(p: &[T]) -> T {
    p.iter().fold(T::zero(), |s, &v| s + v.sin())
}

#[allow(clippy::ptr_arg)] // a `&Vec<f64>` parameter is what is tested
#[asd::sparse_diff]
pub fn vec_ref(p: &Vec<f64>) -> f64 {
    p[0] * p[p.len() - 1]
}

// Local arrays and vectors passed to functions that declare `&[f64; 3]`, a generic
// `&[T]` or `&Vec<f64>`, by name or as a literal.
scalar!(arrays_passed_as_the_callee_declares at (points(6, 50)),
    pub fn f(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() / 3 {
            let p = [x[3 * i], x[3 * i + 1], x[3 * i + 2]];
            s += norm3(&p) * sum_sin(&p);
            let q = vec![x[3 * i], x[3 * i + 1] * x[3 * i]];
            s += vec_ref(&q);
        }
        let r = norm3(&[x[4], x[1], 1.0]); // untyped: its type from the callee's result
        s + norm3(&[1.0, x[0], x[5]]) * sum_sin(&vec![x[1]; 2]) + vec_ref(&vec![0.5, x[2]]) * r
    }
);

// A field of `sin_cos`'s pair, as in `let y = t.sin_cos().0;`.
scalar!(sin_cos_fields at (points(3, 51)),
    pub fn f(x: &[f64]) -> f64 {
        let t = x[0] * x[1];
        t.sin_cos().0 * x[2] + (x[2] - x[0]).sin_cos().1
    }
);

pub struct Cutoff {
    pub at: Option<f64>,
    pub k: f64,
}

// `if let` and `match` on `Option`s (a parameter's field, a bounds-checked `get`) and on
// tuples, with guards and `|`.
scalar!(if_let_and_tuple_matches at (points(5, 51), &Cutoff { at: Some(0.3), k: 2.0 }),
    pub fn f(x: &[f64], p: &Cutoff) -> f64 {
        let n = x.len();
        let mut s = 0.0;
        for i in 0..n {
            if let Some(c) = p.at {
                s += (x[i] - c).powi(2);
            } else {
                s += x[i] * p.k;
            }
            let right = if let Some(&r) = x.get(i + 1) { r } else { 0.0 };
            s += right * x[i];
            if let Some(r) = x.get(i + 3) {
                s += *r * r.sin(); // bound by reference
            }
            match x.get(i + 2).copied() {
                Some(r) if i > 0 => s += r.sin() * x[i],
                None => s += x[i].cos(),
                _ => {}
            }
            s += match (i == 0, i == n - 1) {
                (true, _) => x[i] * x[i],
                (_, true) => x[i].sin(),
                _ => x[i - 1] * x[i + 1],
            };
            s += match (i % 2, i) {
                (0, k) if k > 1 => x[k].exp(),
                (1, _) | (0, 0..=1) => x[0],
                _ => 0.0,
            };
        }
        s
    }
);

// `continue 'outer` and `break 'outer` from inner loops (a `for` and a `while`).
scalar!(labeled_loops at (points(5, 52)),
    pub fn f(x: &[f64]) -> f64 {
        let n = x.len();
        let mut s = 0.0;
        'outer: for i in 0..n {
            for j in 0..n {
                if j > i {
                    continue 'outer;
                }
                s += x[i] * x[j];
            }
            s += 3.0 * x[i];
        }
        'rows: for i in 0..n {
            let mut j = 0;
            while j < n {
                for k in 0..3 {
                    if i + j + k > 6 {
                        break 'rows;
                    }
                    if k == 2 {
                        continue 'rows;
                    }
                    s += x[(i + j + k) % n].sin() * x[i];
                }
                j += 1;
            }
        }
        s
    }
);

// From a probe of the optimisation test sets: methods on negative literals, `match` on
// a chain's element, an `unreachable!()` arm, `sin_cos`, a helper's vector result
// iterated, and `fold` into a tuple.
scalar!(test_set_idioms at (points(6, 53)),
    pub fn f(x: &[f64]) -> f64 {
        fn resid(x: &[f64]) -> Vec<f64> {
            x.iter().map(|v| v * v - 1.0).collect()
        }
        let mut f = x[0] * (-0.5f64).exp() + f64::exp(-0.5) * x[1] + (-2.0f64).powi(2) * x[2];
        f += (0..x.len())
            .map(|i| match i % 2 {
                0 => x[i],
                _ => -x[i] * x[0],
            })
            .sum::<f64>();
        for (i, v) in x.iter().enumerate() {
            f += match i % 3 {
                0 => v * v,
                1 => v.sin(),
                2 => v * x[0],
                _ => unreachable!("i % 3 < 3"),
            };
            let (s, c) = (v * 2.0).sin_cos();
            f += s * c;
        }
        f += resid(x).iter().map(|r| r * r).sum::<f64>();
        let (s1, s2) = x.iter().fold((0.0, 0.0), |(a, b), &v| (a + v, b + v * v));
        let n = x.len() as f64;
        f + s2 / n - (s1 / n).powi(2)
    }
);

pub struct Rates {
    pub beta: Vec<f64>,
    pub gamma: f64,
}

// From a probe of kinetics, signal and ML code: a struct destructured through its
// reference (a `Vec` field is borrowed, not moved), `match` on a method of a loop's
// element, `(a, b) = (b, a + b)`, blocks (inlined closures) as arguments, `Vec::from`.
vector!(kinetics_idioms at (points(4, 54), &Rates { beta: vec![0.3, 0.7], gamma: 0.2 }, &[vec![1], vec![0, 2]]),
    pub fn f(u: &[f64], p: &Rates, groups: &[Vec<usize>]) -> Vec<f64> {
        let Rates { beta, gamma } = p;
        let pre = |i: usize| -> f64 {
            let b = 2 * i;
            u[b] * u[b + 1]
        };
        let mut y = vec![beta[0] * u[0] - gamma * u[1], sigmoid(pre(1))];
        for g in groups {
            match g.len() {
                1 => y[0] += u[g[0]] * beta[1],
                _ => y[1] += u[g[1]].sin(),
            }
        }
        let (mut a, mut b) = (u[0], u[1]);
        for _ in 0..3 {
            (a, b) = (b, a + b * 0.1);
        }
        let w = Vec::from(&u[1..3]);
        y.push(a * w[1] + norm3(&[1.0, b, w[0]]));
        y.push(sigmoid({
            let t = u[2];
            t * t
        }));
        y
    }
);

// Vectors chosen by `if` and `match`, on a constant and on a real.
vector!(vectors_chosen_by_branches at (points(4, 55), 1),
    pub fn f(c: &[f64], order: usize) -> Vec<f64> {
        let y = if order == 1 {
            c.iter().map(|v| 2.0 * v * v).collect()
        } else {
            c.to_vec()
        };
        let z: Vec<f64> = match order {
            0 => vec![c[0]; 4],
            _ => y.clone(),
        };
        let w = if c[1] > 0.0 {
            vec![c[0], c[1] * z[2]]
        } else {
            vec![c[0] * 2.0, z[2] - c[1]]
        };
        if order == 2 {
            z
        } else {
            vec![z[0] + w[0], z[1] * w[1], z[2].sin()]
        }
    }
);

// An array pattern over a range: `let [a, b]: [f64; 2] = x[1..3].try_into().unwrap();`.
scalar!(array_pattern_over_a_range at (points(4, 56)),
    pub fn f(x: &[f64]) -> f64 {
        let [a, b]: [f64; 2] = x[1..3].try_into().unwrap();
        let [c, d, _] = *<&[f64; 3]>::try_from(&x[..3]).unwrap();
        a * b.sin() + c * d * x[3]
    }
);

// Periodic wrapping: `%`, `%=` and `rem_euclid` of reals (and of integers, untouched).
scalar!(remainders_of_reals at (vec![1.3, 2.05, -3.2, 0.45], 1.5),
    pub fn f(x: &[f64], l: f64) -> f64 {
        let n = x.len();
        let mut s = 0.0;
        for i in 0..n {
            let j = (i as isize - 1).rem_euclid(n as isize) as usize;
            let d = (x[i] - x[j]).rem_euclid(l);
            let mut e = x[i] * 3.0;
            e %= l;
            s += d * d + e * x[j] + (x[i] % 0.7) * x[0];
        }
        s
    }
);

/// A `&Vec<f64>` input beside an output parameter (it was taken for a function that
/// updates its output in place).
#[allow(clippy::ptr_arg)] // a `&Vec<f64>` parameter is what is tested
#[asd::sparse_diff]
pub fn squares_of_vec(x: &Vec<f64>, y: &mut [f64]) {
    for i in 0..x.len() {
        y[i] = x[i] * x[i] + x[0];
    }
}

vector!(vec_input_beside_an_output at (points(3, 57)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let v = x.to_vec();
        let mut y = vec![0.0; 3];
        super::squares_of_vec(&v, &mut y);
        y
    }
);

#[test]
fn a_vec_input_beside_an_output_has_its_own_operators() {
    let x = vec![0.3, -1.2, 0.8];
    let j = squares_of_vec_jacobian(&x, &mut [0.0; 3]).to_dense();
    let expected = [[1.6, 0.0, 0.0], [1.0, -2.4, 0.0], [1.0, 0.0, 1.6]];
    for (r, e) in j.outer_iter().zip(expected) {
        for (a, b) in r.iter().zip(e) {
            assert!((a - b).abs() < 1e-12, "{j}");
        }
    }
}

// Array literals passed to closures that take `[f64; 2]` or `&[f64]`.
scalar!(array_literals_passed_to_closures at (points(3, 58)),
    pub fn f(x: &[f64]) -> f64 {
        let dot = |a: [f64; 2], b: [f64; 2]| a[0] * b[0] + a[1] * b[1];
        let dots = |a: &[f64], b: &[f64]| a[0] * b[0] + a[1] * b[1];
        let a = [x[0], x[1]];
        dot(a, [x[1] / 2.0, x[0]]) + dots(&a, &[x[2], 1.0])
    }
);

#[derive(Clone, Copy)]
pub enum Boundary {
    Fixed,
    Flux(f64),
    Periodic,
}

// `match` on an enum parameter's variants, and `if let Some(v) = x.get(i + 1).copied()`.
scalar!(match_on_enum_variants at (points(4, 59), &Boundary::Flux(1.0)),
    pub fn f(x: &[f64], bc: &Boundary) -> f64 {
        let n = x.len();
        let mut s = 0.0;
        for i in 0..n {
            s += match *bc {
                Boundary::Flux(_) => x[i] * x[i] * 2.0,
                Boundary::Fixed => x[i].sin(),
                _ => x[(i + 1) % n] * x[i],
            };
            if let Some(v) = x.get(i + 1).copied() {
                s += v * x[i];
            }
        }
        s
    }
);

// argmin's picheny as written: an array pattern of the input's `map`.
#[asd::sparse_diff]
pub fn picheny(param: &[f64; 2]) -> f64 {
    let [x1, x2] = param.map(|x| 4.0 * x - 2.0);
    let x = x1 * x2;
    x + x1.sin() * x2.exp()
}

scalar!(array_map_destructured at (points(2, 60)),
    pub fn f(x: &[f64]) -> f64 {
        let p = [x[0], x[1]];
        super::picheny(&p) * x[0]
    }
);

#[test]
fn an_array_input_mapped_and_destructured_has_its_own_gradient() {
    let p = [0.3, 0.7];
    let (value, g) = picheny_gradient(&p);
    let (x1, x2) = (4.0 * p[0] - 2.0, 4.0 * p[1] - 2.0);
    assert_eq!(value, picheny(&p));
    let expected = [
        4.0 * (x2 + x1.cos() * x2.exp()),
        4.0 * (x1 + x1.sin() * x2.exp()),
    ];
    for (a, b) in g.iter().zip(expected) {
        assert!((a - b).abs() < 1e-12, "{g:?} {expected:?}");
    }
}

// From the random-program probe: methods on literal-only receivers, `log(b)` in a
// condition, and a labeled loop over an iterator.
scalar!(literal_receivers_and_a_labeled_iterator_loop at (points(4, 61)),
    pub fn f(x: &[f64]) -> f64 {
        let mut s = x[0] + (1.0 + 2.0f64).sin() * x[1] + (1.0 + 0.5f64 * 0.5f64).ln();
        s += if (2.0 + x[0].sin()).log(2.0) > 0.0 { x[1] } else { x[2] };
        'o: for (i, w) in x.windows(2).enumerate() {
            for j in 0..3 {
                if j > i {
                    continue 'o;
                }
                s += w[0] * x[j];
            }
        }
        s
    }
);
