//! User rules for functions the macro cannot see into (`asd::Rule`, mapped by
//! `#[sparse_diff(rules(callee = Type))]`): every operator through them against finite
//! differences and the other mode, and their sparsity classes exact in Jacobian and
//! Hessian patterns.

mod common;

use asd::{sparse_diff, Rule, RuleClass};
use common::{scalar, vector};

// ---- the rules --------------------------------------------------------------------

/// The Bessel function `J₀` of `libm`, which `asd::math` does not have:
/// `J₀' = -J₁`, `J₀'' = -J₁' = J₁(x)/x - J₀(x)`.
pub struct J0;

impl Rule<1> for J0 {
    fn value([x]: [f64; 1]) -> f64 {
        libm::j0(x)
    }
    fn gradient([x]: [f64; 1]) -> [f64; 1] {
        [-libm::j1(x)]
    }
    fn hessian([x]: [f64; 1]) -> [[f64; 1]; 1] {
        let j1_over_x = if x.abs() < 1e-8 { 0.5 } else { libm::j1(x) / x };
        [[j1_over_x - libm::j0(x)]]
    }
}

/// `ln(eᵃ + eᵇ)`, computed without overflow: two arguments that interact.
pub struct LogAddExp;

/// `σ(a - b) = eᵃ / (eᵃ + eᵇ)`.
fn weight(a: f64, b: f64) -> f64 {
    1.0 / (1.0 + (b - a).exp())
}

impl Rule<2> for LogAddExp {
    const CLASS: RuleClass = RuleClass::Nonlinear;
    fn value([a, b]: [f64; 2]) -> f64 {
        a.max(b) + (-(a - b).abs()).exp().ln_1p()
    }
    fn gradient([a, b]: [f64; 2]) -> [f64; 2] {
        let s = weight(a, b);
        [s, 1.0 - s]
    }
    fn hessian([a, b]: [f64; 2]) -> [[f64; 2]; 2] {
        let s = weight(a, b);
        let c = s * (1.0 - s);
        [[c, -c], [-c, c]]
    }
}

/// `3a - 2b + 1`: affine, so it needs no Hessian.
pub struct Affine;

impl Rule<2> for Affine {
    const CLASS: RuleClass = RuleClass::Linear;
    fn value([a, b]: [f64; 2]) -> f64 {
        3.0 * a - 2.0 * b + 1.0
    }
    fn gradient(_: [f64; 2]) -> [f64; 2] {
        [3.0, -2.0]
    }
}

/// `sin(a) + b³`: each argument nonlinear alone, none with the other.
pub struct SinPlusCube;

impl Rule<2> for SinPlusCube {
    const CLASS: RuleClass = RuleClass::Separable;
    fn value([a, b]: [f64; 2]) -> f64 {
        a.sin() + b * b * b
    }
    fn gradient([a, b]: [f64; 2]) -> [f64; 2] {
        [a.cos(), 3.0 * b * b]
    }
    fn hessian([a, b]: [f64; 2]) -> [[f64; 2]; 2] {
        [[-a.sin(), 0.0], [0.0, 6.0 * b]]
    }
}

/// `a b + eᶜ`: only `a` with `b`, and `c` with itself.
pub struct ProductPlusExp;

impl Rule<3> for ProductPlusExp {
    const CLASS: RuleClass = RuleClass::Pairs(&[(0, 1), (2, 2)]);
    fn value([a, b, c]: [f64; 3]) -> f64 {
        a * b + c.exp()
    }
    fn gradient([a, b, c]: [f64; 3]) -> [f64; 3] {
        [b, a, c.exp()]
    }
    fn hessian([_, _, c]: [f64; 3]) -> [[f64; 3]; 3] {
        [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, c.exp()]]
    }
}

/// `a / (1 + b²)` without second derivatives: first order only.
pub struct FirstOrderOnly;

impl Rule<2> for FirstOrderOnly {
    fn value([a, b]: [f64; 2]) -> f64 {
        a / (1.0 + b * b)
    }
    fn gradient([a, b]: [f64; 2]) -> [f64; 2] {
        let d = 1.0 + b * b;
        [1.0 / d, -2.0 * a * b / (d * d)]
    }
}

/// The functions the rules stand for, as a body calls them.
pub mod special {
    pub fn log_add_exp(a: f64, b: f64) -> f64 {
        a.max(b) + (-(a - b).abs()).exp().ln_1p()
    }
    pub fn affine(a: f64, b: f64) -> f64 {
        3.0 * a - 2.0 * b + 1.0
    }
    pub fn sin_plus_cube(a: f64, b: f64) -> f64 {
        a.sin() + b * b * b
    }
    pub fn product_plus_exp(a: f64, b: f64, c: f64) -> f64 {
        a * b + c.exp()
    }
    pub fn first_order_only(a: f64, b: f64) -> f64 {
        a / (1.0 + b * b)
    }
}

use special::{affine, first_order_only, log_add_exp, product_plus_exp, sin_plus_cube};

fn x0(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.3 + 0.4 * (i as f64).sin()).collect()
}

// ---- every operator against finite differences and the other mode -------------------

// A unary rule in a loop: a tridiagonal Hessian.
scalar!(bessel_chain with (rules(libm::j0 = J0)) at (x0(7)),
    pub fn f(x: &[f64]) -> f64 {
        let mut e = 0.0;
        for i in 0..x.len() - 1 {
            e += libm::j0(2.0 * (x[i + 1] - x[i]));
        }
        e
    }
);

// A binary rule fed by a unary one, nested in expressions, under a branch on a real,
// with passive arguments (a constant, a loop index) and a rule of constants only.
scalar!(nested_rules with (rules(libm::j0 = J0, log_add_exp = LogAddExp)) at (x0(6), 0.7),
    pub fn f(x: &[f64], c: f64) -> f64 {
        let n = x.len();
        let mut s = libm::j0(c);
        for i in 0..n - 1 {
            let t = log_add_exp(libm::j0(x[i]), x[i + 1] * c);
            if x[i] > 0.5 {
                s += 2.0 * t.powi(2);
            } else {
                s -= log_add_exp(t, i as f64) * x[i];
            }
        }
        s + log_add_exp(x[0], 1.5) * libm::j0(x[n - 1] * x[0])
    }
);

// The classes: each sum pairs a rule with a factor that exposes which of its
// arguments interact, so the finite-difference Hessian pattern tells them apart.
scalar!(affine_adds_no_interaction with (rules(affine = Affine)) at (x0(5)),
    pub fn f(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() - 1 {
            s += affine(x[i], x[i + 1]);
        }
        // `(affine)²`: its arguments meet only through the square.
        s + affine(x[0], x[2]) * x[4]
    }
);

scalar!(nonlinear_adds_every_pair with (rules(log_add_exp = LogAddExp)) at (x0(5)),
    pub fn f(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() - 2 {
            s += log_add_exp(x[i], x[i + 2]);
        }
        s
    }
);

scalar!(separable_adds_the_diagonal with (rules(sin_plus_cube = SinPlusCube)) at (x0(5)),
    pub fn f(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() - 1 {
            s += sin_plus_cube(x[i], x[i + 1]);
        }
        s
    }
);

scalar!(pairs_add_their_pairs with (rules(product_plus_exp = ProductPlusExp)) at (x0(6)),
    pub fn f(x: &[f64]) -> f64 {
        product_plus_exp(x[0], x[3], x[5]) + product_plus_exp(x[1], x[2] + x[4], 0.5)
    }
);

// A vector function: rules in a loop, a branch on a real, whole-vector results.
vector!(vector_map with (rules(libm::j0 = J0, log_add_exp = LogAddExp, affine = Affine)) at (x0(8)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        let mut y = vec![0.0; n];
        for i in 1..n - 1 {
            let u = libm::j0(x[i - 1] + x[i + 1]);
            y[i] = if x[i] > 0.4 {
                log_add_exp(u, x[i])
            } else {
                affine(u, x[i]) * x[i]
            };
        }
        y[0] = affine(x[0], x[n - 1]);
        y[n - 1] = log_add_exp(x[n - 1], y[n - 2]);
        y
    }
);

// A vector grown by `push`, and a rule of three arguments, one of them another rule.
vector!(push_and_three_arguments with (rules(product_plus_exp = ProductPlusExp, libm::j0 = J0)) at (x0(5)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            y.push(product_plus_exp(x[i], x[(i + 1) % n], libm::j0(x[(i + 2) % n])));
        }
        y
    }
);

// A rule inside a function another annotated function calls: the chain rule through
// the callee's hidden functions, to second order.
pub mod callee {
    use super::*;

    #[sparse_diff(rules(log_add_exp = LogAddExp))]
    pub fn smooth_max(x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; x.len() - 1];
        for i in 0..x.len() - 1 {
            y[i] = log_add_exp(x[i], x[i + 1]);
        }
        y
    }
}

scalar!(through_a_call with (rules(libm::j0 = J0)) at (x0(6)),
    pub fn f(x: &[f64]) -> f64 {
        let m = crate::callee::smooth_max(x);
        let mut s = 0.0;
        for i in 0..m.len() {
            s += libm::j0(m[i]) * x[i];
        }
        s
    }
);

// The Rust people write: iterator chains, closures and `windows`, desugared around the
// rule calls they hold.
scalar!(as_written with (rules(libm::j0 = J0, log_add_exp = LogAddExp)) at (x0(6), 1.3),
    pub fn f(x: &[f64], c: f64) -> f64 {
        let scaled = |t: f64| libm::j0(c * t);
        let a: f64 = x.iter().map(|&v| scaled(v)).sum();
        let b = x
            .windows(2)
            .map(|w| log_add_exp(w[0], w[1]))
            .fold(0.0, |acc, v| acc + v * v);
        a * b
    }
);

// A function of one real `t`: its derivatives, first and second, through the rules.
mod curve {
    use super::*;

    #[sparse_diff(rules(libm::j0 = J0, log_add_exp = LogAddExp))]
    pub fn f(t: f64) -> Vec<f64> {
        vec![
            libm::j0(t),
            log_add_exp(t, t * t),
            libm::j0(log_add_exp(-t, 0.5)),
        ]
    }
}

#[test]
fn derivatives_of_a_curve_through_rules() {
    for t in [0.3, 1.7] {
        let h = 1e-5;
        let d = curve::f_derivative(t);
        let (fp, fm, f0) = (curve::f(t + h), curve::f(t - h), curve::f(t));
        for k in 0..3 {
            let fd1 = (fp[k] - fm[k]) / (2.0 * h);
            let fd2 = (fp[k] - 2.0 * f0[k] + fm[k]) / (h * h);
            assert!(
                (d[k] - fd1).abs() < 1e-8,
                "f'[{k}] at {t}: {} vs {fd1}",
                d[k]
            );
            let d2 = curve::f_second_derivative(t)[k];
            assert!((d2 - fd2).abs() < 1e-4, "f''[{k}] at {t}: {d2} vs {fd2}");
        }
    }
}

// ---- prepared matrices, lanes and both modes ---------------------------------------

mod prepared {
    use super::*;

    #[sparse_diff(rules(libm::j0 = J0, log_add_exp = LogAddExp))]
    pub fn residual(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        let mut r = vec![0.0; n];
        for i in 0..n {
            let left = if i > 0 { x[i - 1] } else { 0.0 };
            let right = if i + 1 < n { x[i + 1] } else { 0.0 };
            r[i] = log_add_exp(x[i], left) - libm::j0(right - x[i]);
        }
        r
    }

    #[sparse_diff(rules(libm::j0 = J0, log_add_exp = LogAddExp))]
    pub fn energy(x: &[f64]) -> f64 {
        let n = x.len();
        let mut e = 0.0;
        for i in 0..n - 2 {
            e += log_add_exp(x[i], x[i + 2]) * libm::j0(x[i + 1]);
        }
        e
    }
}

#[test]
fn prepared_jacobians_in_both_modes_match_finite_differences() {
    let x = x0(40);
    let fd = common::fd_jacobian(prepared::residual, &x);
    let pattern = prepared::residual_jacobian_sparsity(&x);
    for mode in [asd::ModeChoice::Forward, asd::ModeChoice::Reverse] {
        let options = asd::JacobianOptions {
            mode,
            ..Default::default()
        };
        let mut prep = prepared::residual_jacobian_prepare_with(&x, &options);
        assert_eq!(prep.ncolors(), 3, "a tridiagonal Jacobian");
        for k in 0..2 {
            let xk: Vec<f64> = x.iter().map(|v| v + 0.1 * k as f64).collect();
            let fd = common::fd_jacobian(prepared::residual, &xk);
            let jac = prepared::residual_jacobian_prepared(&mut prep, &xk);
            common::assert_sparse_matches(jac, &pattern, &fd, 1e-6);
        }
    }
    common::assert_sparse_matches(&prepared::residual_jacobian(&x), &pattern, &fd, 1e-6);
    // Several directions per sweep: the rule's partials are shared by the lanes.
    let dxs: Vec<Vec<f64>> = (0..5).map(|s| common::randoms(x.len(), s)).collect();
    let (_, jdxs) = prepared::residual_jvp_batch::<4>(&x, &dxs);
    for (dx, jdx) in dxs.iter().zip(&jdxs) {
        common::assert_close(std::slice::from_ref(jdx), &[common::matvec(&fd, dx)], 1e-6);
    }
}

#[test]
fn prepared_hessians_and_hvps_match_finite_differences_of_the_gradient() {
    let x = x0(30);
    let gradient = |x: &[f64]| prepared::energy_gradient(x).1;
    let pattern = prepared::energy_hessian_sparsity(&x);
    let mut prep = prepared::energy_hessian_prepare(&x);
    for k in 0..2 {
        let xk: Vec<f64> = x.iter().map(|v| v - 0.2 * k as f64).collect();
        let fd = common::fd_hessian(gradient, &xk);
        let h = prepared::energy_hessian_prepared(&mut prep, &xk);
        common::assert_sparse_matches(h, &pattern, &fd, 1e-5);
        let vs: Vec<Vec<f64>> = (0..3).map(|s| common::randoms(x.len(), 10 + s)).collect();
        let hvs = prepared::energy_hvp_batch::<2>(&xk, &vs);
        for (v, hv) in vs.iter().zip(&hvs) {
            common::assert_close(std::slice::from_ref(hv), &[common::matvec(&fd, v)], 1e-5);
        }
    }
    // x[i] meets x[i + 2] through log_add_exp and both meet x[i + 1] through the
    // product: a pentadiagonal pattern.
    assert_eq!(pattern.nnz(), 30 + 2 * 29 + 2 * 28);
}

// ---- patterns: the classes, exactly -------------------------------------------------

#[test]
fn each_class_adds_exactly_its_interactions() {
    let x = x0(6);
    let pairs = |p: asd::SparsityPattern| -> Vec<(usize, usize)> {
        let (n, _) = p.shape();
        (0..n)
            .flat_map(|i| (i..n).map(move |j| (i, j)))
            .filter(|&(i, j)| p.contains(i, j))
            .collect()
    };
    // Affine: `affine(x0, x2) * x4` interacts through the product only.
    assert_eq!(
        pairs(affine_adds_no_interaction::f_hessian_sparsity(&x[..5])),
        [(0, 4), (2, 4)]
    );
    // Nonlinear: each argument with itself and with the other.
    assert_eq!(
        pairs(nonlinear_adds_every_pair::f_hessian_sparsity(&x[..5])),
        [
            (0, 0),
            (0, 2),
            (1, 1),
            (1, 3),
            (2, 2),
            (2, 4),
            (3, 3),
            (4, 4)
        ]
    );
    // Separable: the diagonal.
    assert_eq!(
        pairs(separable_adds_the_diagonal::f_hessian_sparsity(&x[..5])),
        [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)]
    );
    // Pairs (0, 1), (2, 2): `x0 x3 + e^x5` and `x1 (x2 + x4) + e^0.5`.
    assert_eq!(
        pairs(pairs_add_their_pairs::f_hessian_sparsity(&x)),
        [(0, 3), (1, 2), (1, 4), (5, 5)]
    );
    // First order, every argument counts.
    let jac = vector_map::f_jacobian_sparsity(&x0(8));
    assert!(jac.contains(3, 2) && jac.contains(3, 3) && jac.contains(3, 4));
}

// ---- a rule without second derivatives ---------------------------------------------

mod first_order {
    use super::*;

    #[sparse_diff(rules(first_order_only = FirstOrderOnly))]
    pub fn f(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() - 1 {
            s += first_order_only(x[i], x[i + 1]);
        }
        s
    }
}

#[test]
fn a_rule_without_a_hessian_serves_first_order() {
    let x = x0(5);
    let (v, g) = first_order::f_gradient(&x);
    assert_eq!(v, first_order::f(&x));
    let fd = common::fd_jacobian(|x| vec![first_order::f(x)], &x);
    common::assert_close(&[g], &fd, 1e-7);
    // Its class (the default, nonlinear) still gives the Hessian pattern.
    assert_eq!(first_order::f_hessian_sparsity(&x).nnz(), 5 + 2 * 4);
}

#[test]
#[should_panic(expected = "the rule `user_rules::FirstOrderOnly` has no second derivatives")]
fn hessians_through_a_rule_without_one_panic_naming_it() {
    first_order::f_hvp(&x0(5), &[1.0; 5]);
}

// ---- the example -------------------------------------------------------------------

#[path = "../examples/bessel_newton.rs"]
mod bessel_newton;

#[test]
fn the_bessel_example_converges_to_its_solution() {
    let n = 200;
    let r = bessel_newton::solve(n, 1.0);
    assert!(r.iterations <= 6, "{} iterations", r.iterations);
    assert!(r.gradient <= 1e-9 * r.gradient0, "{:.1e}", r.gradient);
    let h2 = (1.0 / (n + 1) as f64).powi(2);
    assert!(r.error < h2, "error {:.1e}, h² {h2:.1e}", r.error);
    assert!(
        r.jacobian_vs_hessian < 1e-12,
        "{:.1e}",
        r.jacobian_vs_hessian
    );
    assert_eq!((r.hessian_colors, r.jacobian_colors), (3, 3));
}
