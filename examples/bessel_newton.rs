//! User rules: special functions from a crate, differentiated through rules the user
//! writes. `asd::math` has no Bessel functions, and `#[sparse_diff]` cannot look into
//! `libm::j0`; two small `asd::Rule` impls give it `J₀` (with second derivatives, for
//! Hessians) and `J₁` (first order only, for Jacobians).
//!
//! The problem: the 1-D boundary-value problem `-u'' + λ J₁(u) = f` on `(0, 1)`, `u = 0`
//! at both ends, with `f` made so that `u(t) = sin(πt)` solves it. It is the condition
//! for a minimum of the energy `E(u) = ∫ u'²/2 - λ J₀(u) - f u` (as `J₀' = -J₁`), so
//! Newton's method minimises `E` with its prepared sparse Hessian (tridiagonal: 3 colors,
//! 3 Hessian-vector products per Hessian at any `n`), and the residual's sparse Jacobian
//! (through `J₁`) must be that same matrix.
//!
//! `cargo run --release --example bessel_newton [n] [lambda]` (default `n = 100000`,
//! `lambda = 1`). Checks its result: the gradient norm, the error against `sin(πt)`
//! (`O(h²)`), and the Jacobian of the residual against the Hessian of the energy.

use std::f64::consts::PI;
use std::time::{Duration, Instant};

use asd::{sparse_diff, Rule, RuleClass};

/// The Bessel function `J₀`: `J₀' = -J₁` and `J₀'' = J₁(x)/x - J₀(x)`.
pub struct J0;

impl Rule<1> for J0 {
    const CLASS: RuleClass = RuleClass::Nonlinear;
    fn value([x]: [f64; 1]) -> f64 {
        libm::j0(x)
    }
    fn gradient([x]: [f64; 1]) -> [f64; 1] {
        [-libm::j1(x)]
    }
    fn hessian([x]: [f64; 1]) -> [[f64; 1]; 1] {
        [[j1_over_x(x) - libm::j0(x)]]
    }
}

/// The Bessel function `J₁`: `J₁' = J₀(x) - J₁(x)/x`. No `hessian`: the residual only
/// needs Jacobians (a Hessian through it would panic, naming the rule).
pub struct J1;

impl Rule<1> for J1 {
    fn value([x]: [f64; 1]) -> f64 {
        libm::j1(x)
    }
    fn gradient([x]: [f64; 1]) -> [f64; 1] {
        [libm::j0(x) - j1_over_x(x)]
    }
}

/// `J₁(x)/x`, which tends to `1/2` at 0.
fn j1_over_x(x: f64) -> f64 {
    if x.abs() < 1e-8 {
        0.5
    } else {
        libm::j1(x) / x
    }
}

/// The energy `E(u) = Σ (u[i+1] - u[i])²/(2h) - h Σ (λ J₀(u[i]) + f[i] u[i])`, `u = 0`
/// beyond both ends.
#[sparse_diff(rules(libm::j0 = J0))]
pub fn energy(u: &[f64], f: &[f64], lambda: f64) -> f64 {
    let n = u.len();
    let h = 1.0 / (n + 1) as f64;
    let mut e = (u[0] * u[0] + u[n - 1] * u[n - 1]) / (2.0 * h);
    for i in 0..n - 1 {
        e += (u[i + 1] - u[i]).powi(2) / (2.0 * h);
    }
    for i in 0..n {
        e -= h * (lambda * libm::j0(u[i]) + f[i] * u[i]);
    }
    e
}

/// The discretised equation `(-u'' + λ J₁(u) - f) h`: the energy's gradient, written
/// out.
#[sparse_diff(rules(libm::j1 = J1))]
pub fn residual(u: &[f64], f: &[f64], lambda: f64) -> Vec<f64> {
    let n = u.len();
    let h = 1.0 / (n + 1) as f64;
    let mut r = vec![0.0; n];
    for i in 0..n {
        let left = if i > 0 { u[i - 1] } else { 0.0 };
        let right = if i + 1 < n { u[i + 1] } else { 0.0 };
        r[i] = (2.0 * u[i] - left - right) / h + h * (lambda * libm::j1(u[i]) - f[i]);
    }
    r
}

/// What [`solve`] found and how long it took.
pub struct Report {
    pub iterations: usize,
    pub gradient0: f64,
    pub gradient: f64,
    /// `max |u - sin(πt)|` at the grid points.
    pub error: f64,
    /// `max |J(residual) - H(energy)|` at the solution, relative to `max |H|`.
    pub jacobian_vs_hessian: f64,
    pub hessian_colors: usize,
    pub jacobian_colors: usize,
    /// The Hessian preparation as it prints (the first line, then a spy plot).
    pub prep: String,
    pub prepare: Duration,
    pub newton: Duration,
}

/// Newton's method on the energy of `n` unknowns, from `u = 0`.
pub fn solve(n: usize, lambda: f64) -> Report {
    let h = 1.0 / (n + 1) as f64;
    let t: Vec<f64> = (1..=n).map(|i| i as f64 * h).collect();
    let exact: Vec<f64> = t.iter().map(|t| (PI * t).sin()).collect();
    let f: Vec<f64> = exact
        .iter()
        .map(|s| PI * PI * s + lambda * libm::j1(*s))
        .collect();

    let start = Instant::now();
    let mut u = vec![0.0; n];
    let mut prep = energy_hessian_prepare(&u, &f, lambda);
    let prepare = start.elapsed();

    let start = Instant::now();
    let mut g = vec![0.0; n];
    let gradient0 = norm(&energy_gradient(&u, &f, lambda).1);
    let mut iterations = 0;
    // Until the step is at the rounding level of `u`: the gradient then stops falling
    // (its second differences divided by `h` carry rounding errors of `eps / h`).
    while iterations < 20 {
        let (_, hess) =
            energy_value_gradient_and_hessian_prepared(&mut prep, &u, &f, lambda, &mut g);
        let step = tridiagonal_solve(hess, &g);
        u.iter_mut().zip(&step).for_each(|(u, s)| *u -= s);
        iterations += 1;
        if max_abs(&step) <= 1e-13 * max_abs(&u) {
            break;
        }
    }
    let gradient = norm(&energy_gradient(&u, &f, lambda).1);
    let newton = start.elapsed();

    let error = u
        .iter()
        .zip(&exact)
        .map(|(u, e)| (u - e).abs())
        .fold(0.0, f64::max);
    let hess = energy_hessian_prepared(&mut prep, &u, &f, lambda).clone();
    let mut jprep = residual_jacobian_prepare(&u, &f, lambda);
    let jac = residual_jacobian_prepared(&mut jprep, &u, &f, lambda);
    let scale = hess.iter().map(|(v, _)| v.abs()).fold(0.0, f64::max);
    let jacobian_vs_hessian = jac
        .iter()
        .map(|(v, (i, j))| (v - hess.get(i, j).copied().unwrap_or(f64::NAN)).abs())
        .fold(0.0, f64::max)
        / scale;
    Report {
        iterations,
        gradient0,
        gradient,
        error,
        jacobian_vs_hessian,
        hessian_colors: prep.ncolors(),
        jacobian_colors: jprep.ncolors(),
        prep: prep.to_string(),
        prepare,
        newton,
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Solves `A x = b` for a tridiagonal `A` (the Thomas algorithm, no pivoting: `A` is
/// diagonally dominant here).
fn tridiagonal_solve(a: &asd::sprs::CsMat<f64>, b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let at = |i: usize, j: usize| a.get(i, j).copied().unwrap_or(0.0);
    let (mut c, mut d) = (vec![0.0; n], vec![0.0; n]);
    for i in 0..n {
        let lower = if i > 0 { at(i, i - 1) } else { 0.0 };
        let upper = if i + 1 < n { at(i, i + 1) } else { 0.0 };
        let (c_prev, d_prev) = if i > 0 {
            (c[i - 1], d[i - 1])
        } else {
            (0.0, 0.0)
        };
        let pivot = at(i, i) - lower * c_prev;
        c[i] = upper / pivot;
        d[i] = (b[i] - lower * d_prev) / pivot;
    }
    for i in (0..n.saturating_sub(1)).rev() {
        d[i] -= c[i] * d[i + 1];
    }
    d
}

#[allow(dead_code)] // tests/user_rules.rs includes this file and calls `solve`.
fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(100_000, |a| a.parse().expect("n"));
    let lambda: f64 = args.next().map_or(1.0, |a| a.parse().expect("lambda"));
    let r = solve(n, lambda);
    // The first line says what the preparation found; below it, a spy plot.
    match n <= 64 {
        true => println!("{}", r.prep),
        false => println!("{}", r.prep.lines().next().unwrap_or_default()),
    }
    println!(
        "-u'' + {lambda} J₁(u) = f, n = {n}: {} Newton iterations, ‖∇E‖ {:.3e} -> {:.3e}",
        r.iterations, r.gradient0, r.gradient
    );
    println!(
        "  max |u - sin(πt)| = {:.2e} (h² = {:.2e})",
        r.error,
        (1.0 / (n + 1) as f64).powi(2)
    );
    println!(
        "  Jacobian of the residual (through J₁, {} colors) vs Hessian of the energy (through J₀, {} colors): {:.1e}",
        r.jacobian_colors, r.hessian_colors, r.jacobian_vs_hessian
    );
    println!("  asd Hessian preparation {:>10.2?}", r.prepare);
    println!("  Newton iterations       {:>10.2?}", r.newton);
    assert!(r.gradient <= 1e-6 * r.gradient0, "Newton did not converge");
    assert!(r.error < 2.0 / ((n + 1) * (n + 1)) as f64, "not sin(πt)");
    assert!(
        r.jacobian_vs_hessian < 1e-12,
        "the Jacobian is not the Hessian"
    );
}
