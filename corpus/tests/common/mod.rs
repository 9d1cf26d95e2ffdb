//! The checks every corpus program goes through, and the reference's vocabulary: the
//! operations `num_dual` does not name as `f64` does (`max`, `hypot`, `erf`, the steps).
//!
//! The reference runs the program over `HyperDual64` numbers `x + ε₁ a + ε₂ b`: `ε₁`
//! seeded with `e_j` gives column `j` of the Jacobian; `ε₁ = e_i, ε₂ = e_j` gives the
//! Hessian entry `(i, j)`. Exact to rounding, and computed by operator overloading, so it
//! shares nothing with the generated code but the program.
#![allow(dead_code)]

// The root crate's test helpers: one generator of test data for the whole project.
#[path = "../../../tests/common/mod.rs"]
mod shared;

#[path = "../../../tests/counting/mod.rs"]
mod counting;

use shared::randoms;

use asd::sprs::CsMat;
use asd::{JacobianOptions, OnSwitch, SparsityPattern};
pub use num_dual::{DualNum, HyperDual64 as D};

/// Agreement asked of two exact derivatives, relative to the entries' size.
const TOL: f64 = 1e-9;

/// `|a|` with the derivative `asd` gives at 0 (that of `a`).
pub fn abs_d(a: D) -> D {
    if a.re >= 0.0 {
        a
    } else {
        -a
    }
}

/// A step function (`floor`, `signum`, ...): its value, and zero derivatives.
pub fn step_d(a: D, f: fn(f64) -> f64) -> D {
    D::from(f(a.re))
}

/// `a.max(b)`, `a` at a tie as in `asd`.
pub fn max_d(a: D, b: D) -> D {
    if a.re >= b.re {
        a
    } else {
        b
    }
}

/// `a.min(b)`, `a` at a tie as in `asd`.
pub fn min_d(a: D, b: D) -> D {
    if b.re >= a.re {
        a
    } else {
        b
    }
}

pub fn hypot_d(a: D, b: D) -> D {
    (a * a + b * b).sqrt()
}

/// `a.mul_add(b, c)`, its value rounded once as `f64::mul_add` rounds it (a `floor`
/// of it may differ otherwise).
pub fn mul_add_d(a: D, b: D, c: D) -> D {
    let mut v = a * b + c;
    v.re = a.re.mul_add(b.re, c.re);
    v
}

/// `a.rem_euclid(b)` for `b > 0`: `a - q b` with the integer `q`, which has no
/// derivative; its value is std's.
pub fn rem_euclid_d(a: D, b: D) -> D {
    let r = a.re.rem_euclid(b.re);
    let q = ((a.re - r) / b.re).round();
    let mut v = a - b * q;
    v.re = r;
    v
}

/// `a.powf(b)` for `a > 0` with both operands active.
pub fn powf_d(a: D, b: D) -> D {
    (b * a.ln()).exp()
}

/// `erf`, whose derivatives `num_dual` lacks: `2/√π e^{-a²}` and `-2a` times that.
pub fn erf_d(a: D) -> D {
    let f1 = std::f64::consts::FRAC_2_SQRT_PI * (-a.re * a.re).exp();
    let f2 = -2.0 * a.re * f1;
    D::new(
        asd::math::erf(a.re),
        a.eps1 * f1,
        a.eps2 * f1,
        a.eps1eps2 * f1 + a.eps1 * a.eps2 * f2,
    )
}

pub fn erfc_d(a: D) -> D {
    D::from(1.0) - erf_d(a)
}

/// One program: its name and source for the failure message, and its input size.
pub struct Case {
    name: &'static str,
    source: &'static str,
    n: usize,
    seed: u64,
}

impl Case {
    pub fn new(name: &'static str, source: &'static str, n: usize) -> Case {
        let seed = name
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
        Case {
            name,
            source,
            n,
            seed,
        }
    }

    /// The constant vector `p` the program reads.
    pub fn constants(&self) -> Vec<f64> {
        randoms(self.n, self.seed ^ 0x5eed)
    }

    /// Two points: the preparation's and another where it is reused.
    fn points(&self) -> [Vec<f64>; 2] {
        [randoms(self.n, self.seed), randoms(self.n, self.seed + 1)]
    }

    #[track_caller]
    fn fail(&self, what: String) -> ! {
        panic!("{}: {what}\nthe program:\n{}", self.name, self.source)
    }

    /// `evaluate`, a prepared evaluation repeated at the same point, allocates nothing:
    /// the workspace's pool holds every buffer since the first. Unless the program
    /// `calls_on_constants` (`__asd_calls_on_constants_f`): its sweeps run those calls
    /// as written, allocating what they allocate.
    #[track_caller]
    pub fn allocates_nothing(&self, calls_on_constants: bool, what: &str, evaluate: impl FnOnce()) {
        let count = counting::thread_allocations_during(evaluate);
        if count > 0 && !calls_on_constants {
            self.fail(format!("{what} allocated {count} times"));
        }
    }

    /// `got` agrees with `want` to [`TOL`] relative to the largest entry of either: a
    /// normwise test, since entries far below the largest carry its rounding. Where the
    /// reference is not finite (it passed `0 · ∞` at a kink, `hypot(0, 0)`), it says
    /// nothing and is skipped; `asd`, which knows a step's derivative is structurally
    /// zero, may still give a number there.
    #[track_caller]
    fn close(&self, what: &str, got: &[f64], want: &[f64]) {
        if got.len() != want.len() {
            self.fail(format!(
                "{what}: length {} where {} is expected",
                got.len(),
                want.len()
            ));
        }
        let scale = got
            .iter()
            .chain(want)
            .filter(|v| v.is_finite())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        for (k, (a, b)) in got.iter().zip(want).enumerate() {
            if b.is_finite() && !((a - b).abs() <= TOL * (1.0 + scale)) {
                self.fail(format!("{what}[{k}]: {a} where the reference gives {b}"));
            }
        }
    }

    /// Every nonzero of `dense` lies in `pattern`, and `sparse` (if given) stores the
    /// pattern's entries with `dense`'s values.
    #[track_caller]
    fn contains(&self, what: &str, pattern: &SparsityPattern, dense: &[Vec<f64>]) {
        let (m, n) = (dense.len(), self.n);
        if pattern.shape() != (m, n) {
            self.fail(format!(
                "{what}: shape {:?}, expected {:?}",
                pattern.shape(),
                (m, n)
            ));
        }
        for (i, row) in dense.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                if v.is_finite() && *v != 0.0 && !pattern.contains(i, j) {
                    self.fail(format!(
                        "{what}: entry ({i}, {j}) = {v} is not in the pattern"
                    ));
                }
            }
        }
    }

    /// Every entry of the local pattern `local` is in the global one.
    #[track_caller]
    fn within(&self, what: &str, local: &SparsityPattern, global: &SparsityPattern) {
        for (i, j) in local.iter() {
            if !global.contains(i, j) {
                self.fail(format!(
                    "{what}: entry ({i}, {j}) is not in the global pattern"
                ));
            }
        }
    }

    #[track_caller]
    fn sparse(&self, what: &str, got: &CsMat<f64>, pattern: &SparsityPattern, want: &[Vec<f64>]) {
        if (got.rows(), got.cols()) != pattern.shape() || got.nnz() != pattern.nnz() {
            self.fail(format!(
                "{what}: the result does not store the pattern's entries"
            ));
        }
        let mut dense = vec![vec![0.0; self.n]; want.len()];
        for (v, (i, j)) in got.iter() {
            if !pattern.contains(i, j) {
                self.fail(format!(
                    "{what}: stored entry ({i}, {j}) is not in the pattern"
                ));
            }
            dense[i][j] = *v;
        }
        // Row by row, entry k of the flat comparison is (k / n, k % n).
        self.close(
            &format!("{what} (flat, n = {})", self.n),
            &dense.concat(),
            &want.concat(),
        );
    }
}

/// `x` as hyper-duals, `ε₁` seeded in input `i` and `ε₂` in input `j`.
fn lift(x: &[f64], i: Option<usize>, j: Option<usize>) -> Vec<D> {
    (0..x.len())
        .map(|k| {
            let one = |s: Option<usize>| if s == Some(k) { 1.0 } else { 0.0 };
            D::new(x[k], one(i), one(j), 0.0)
        })
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// The reference Jacobian (rows) of a vector program at `x`.
fn jacobian_ref(reference: &impl Fn(&[D]) -> Vec<D>, x: &[f64]) -> Vec<Vec<f64>> {
    let cols: Vec<Vec<f64>> = (0..x.len())
        .map(|j| {
            reference(&lift(x, Some(j), None))
                .iter()
                .map(|d| d.eps1)
                .collect()
        })
        .collect();
    let m = reference(&lift(x, None, None)).len();
    (0..m)
        .map(|i| cols.iter().map(|c| c[i]).collect())
        .collect()
}

/// The reference Hessian of a scalar program at `x`.
fn hessian_ref(reference: &impl Fn(&[D]) -> D, x: &[f64]) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut h = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let v = reference(&lift(x, Some(i), Some(j))).eps1eps2;
            h[i][j] = v;
            h[j][i] = v;
        }
    }
    h
}

/// A vector program (or one writing `y`) through every first-order operator: the value,
/// J dx and Jᵀ dy against the reference Jacobian, the pattern containing the reference's
/// nonzeros, the one-shot sparse Jacobian, and prepared ones (forward and reverse mode)
/// evaluated at their point, then reused at a second one (`prepared` does both), so
/// that entries held constant since the first are checked at the second. The local pattern at `x` (`sparsity` gives the global and
/// the local one) must lie in the global one and hold the reference's nonzeros; a local
/// preparation must be right at `x`, and at the second point too, where it prepares
/// again if a decision switched.
#[allow(clippy::too_many_arguments)]
pub fn check_vector(
    case: &Case,
    f: impl Fn(&[f64]) -> Vec<f64>,
    reference: impl Fn(&[D]) -> Vec<D>,
    sparsity: impl Fn(&[f64]) -> (SparsityPattern, SparsityPattern),
    jacobian: impl Fn(&[f64]) -> CsMat<f64>,
    prepared: impl Fn(&[f64], &[f64], &JacobianOptions) -> CsMat<f64>,
    jvp: impl Fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>),
    vjp: impl Fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>),
) {
    let [x, x2] = case.points();
    let y = f(&x);
    let y_ref: Vec<f64> = reference(&lift(&x, None, None))
        .iter()
        .map(|d| d.re)
        .collect();
    case.close("the value", &y, &y_ref);
    let jac = jacobian_ref(&reference, &x);
    let m = y.len();
    let (pattern, local) = sparsity(&x);
    case.contains("the Jacobian pattern", &pattern, &jac);
    case.contains("the local Jacobian pattern", &local, &jac);
    case.within("the local Jacobian pattern", &local, &pattern);
    let dx = randoms(case.n, case.seed + 2);
    let dy = randoms(m, case.seed + 3);
    let (y_jvp, jdx) = jvp(&x, &dx);
    case.close("the JVP's value", &y_jvp, &y);
    let want: Vec<f64> = jac.iter().map(|row| dot(row, &dx)).collect();
    case.close("J dx", &jdx, &want);
    let (y_vjp, jtdy) = vjp(&x, &dy);
    case.close("the VJP's value", &y_vjp, &y);
    let want: Vec<f64> = (0..case.n)
        .map(|j| (0..m).map(|i| jac[i][j] * dy[i]).sum())
        .collect();
    case.close("Jᵀ dy", &jtdy, &want);
    case.sparse("the sparse Jacobian", &jacobian(&x), &pattern, &jac);
    let jac2 = jacobian_ref(&reference, &x2);
    for (mode, options) in [
        ("forward", JacobianOptions::forward()),
        ("reverse", JacobianOptions::reverse()),
    ] {
        let what = format!("the prepared Jacobian ({mode} mode) at a second point");
        case.sparse(&what, &prepared(&x, &x2, &options), &pattern, &jac2);
    }
    let what = "the prepared local Jacobian";
    let options = JacobianOptions::local(OnSwitch::Error);
    case.sparse(what, &prepared(&x, &x, &options), &local, &jac);
    let what = "the prepared local Jacobian at a second point (prepared again on a switch)";
    let got = prepared(&x, &x2, &JacobianOptions::local(OnSwitch::Reprepare));
    let stored = SparsityPattern::from_coordinates(m, case.n, got.iter().map(|(_, ij)| ij));
    case.within(what, &stored, &pattern);
    case.sparse(what, &got, &stored, &jac2);
}

/// A scalar program through every operator: value, gradient, J dx, Jᵀ dy and H v
/// against the reference; both patterns, global and local, containing the reference's
/// nonzeros, each local one within its global one; the
/// one-shot sparse Hessian and a prepared one evaluated at its point, then reused at a
/// second one (`prepared` does both): the entries it holds constant are checked there.
#[allow(clippy::too_many_arguments)]
pub fn check_scalar(
    case: &Case,
    f: impl Fn(&[f64]) -> f64,
    reference: impl Fn(&[D]) -> D,
    gradient: impl Fn(&[f64]) -> (f64, Vec<f64>),
    jvp: impl Fn(&[f64], &[f64]) -> (f64, f64),
    vjp: impl Fn(&[f64], f64) -> (f64, Vec<f64>),
    hvp: impl Fn(&[f64], &[f64]) -> Vec<f64>,
    sparsity: impl Fn(&[f64]) -> (SparsityPattern, SparsityPattern),
    hessian_sparsity: impl Fn(&[f64]) -> (SparsityPattern, SparsityPattern),
    hessian: impl Fn(&[f64]) -> CsMat<f64>,
    prepared: impl Fn(&[f64], &[f64]) -> CsMat<f64>,
) {
    let [x, x2] = case.points();
    let y = f(&x);
    case.close("the value", &[y], &[reference(&lift(&x, None, None)).re]);
    let g_ref: Vec<f64> = (0..case.n)
        .map(|j| reference(&lift(&x, Some(j), None)).eps1)
        .collect();
    let (yg, g) = gradient(&x);
    case.close("the gradient's value", &[yg], &[y]);
    case.close("the gradient", &g, &g_ref);
    let (global, local) = sparsity(&x);
    let g_row = std::slice::from_ref(&g_ref);
    case.contains("the Jacobian pattern", &global, g_row);
    case.contains("the local Jacobian pattern", &local, g_row);
    case.within("the local Jacobian pattern", &local, &global);
    let dx = randoms(case.n, case.seed + 2);
    let (yj, gdx) = jvp(&x, &dx);
    case.close("the JVP", &[yj, gdx], &[y, dot(&g_ref, &dx)]);
    let (yv, gt) = vjp(&x, 0.75);
    let want: Vec<f64> = g_ref.iter().map(|g| 0.75 * g).collect();
    case.close("the VJP's value", &[yv], &[y]);
    case.close("Jᵀ dy", &gt, &want);
    let h = hessian_ref(&reference, &x);
    let v = randoms(case.n, case.seed + 4);
    let want: Vec<f64> = h.iter().map(|row| dot(row, &v)).collect();
    case.close("H v", &hvp(&x, &v), &want);
    let (pattern, local) = hessian_sparsity(&x);
    case.contains("the Hessian pattern", &pattern, &h);
    case.contains("the local Hessian pattern", &local, &h);
    case.within("the local Hessian pattern", &local, &pattern);
    case.sparse("the sparse Hessian", &hessian(&x), &pattern, &h);
    let h2 = hessian_ref(&reference, &x2);
    case.sparse(
        "the prepared Hessian at a second point",
        &prepared(&x, &x2),
        &pattern,
        &h2,
    );
}
