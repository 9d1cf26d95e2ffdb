//! The solvers of the end-to-end examples, shared by the examples (`main` sizes them from
//! the command line and prints) and by `tests/examples.rs` (which runs them small in
//! CI). Each returns a report with its own check: residual norms and, where one is
//! known, the error against the exact answer.
//!
//! Needs the `faer` feature: faer's sparse LU and Cholesky factor asd's Jacobians and
//! Hessians through `asd::interop::faer`, without copying them.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use asd::interop::faer::{csc_ref_of_symmetric, csr_ref};
use asd::sprs::CsMat;
use faer::prelude::*;
use faer::sparse::linalg::solvers::{Llt, Lu, SymbolicLlt, SymbolicLu};
use faer::{MatMut, Side};

use crate::problems::{brusselator, brusselator_jacobian_prepare, brusselator_jacobian_prepared};

// The Bratu energy is in a file of its own: `examples/solvers/argmin.rs` minimises it too,
// without faer.
mod bratu;
pub use bratu::*;

/// The Euclidean norm.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// `v` as a faer column, to solve in place.
fn column(v: &mut [f64]) -> MatMut<'_, f64> {
    let n = v.len();
    MatMut::from_column_major_slice_mut(v, n, 1)
}

/// The factorization `J = LU` of a compressed-row matrix, by faer, without copying `J`:
/// faer factors compressed columns, and `J`'s compressed rows are the compressed columns
/// of `Jᵀ`; the LU of `Jᵀ` solves `J x = b` by a transposed solve. The symbolic
/// factorization (fill-reducing ordering, elimination structure) depends only on the
/// pattern, so it is computed once, like asd's preparation.
pub struct SparseLu {
    symbolic: SymbolicLu<usize>,
    numeric: Option<Lu<usize, f64>>,
}

impl SparseLu {
    /// The symbolic factorization of `j`'s pattern.
    pub fn new(j: &CsMat<f64>) -> Self {
        let symbolic = SymbolicLu::try_new(csr_ref(j).transpose().symbolic()).expect("symbolic LU");
        SparseLu {
            symbolic,
            numeric: None,
        }
    }

    /// Factors `j` (of the pattern given to `new`).
    pub fn factor(&mut self, j: &CsMat<f64>) {
        let lu = Lu::try_new_with_symbolic(self.symbolic.clone(), csr_ref(j).transpose())
            .expect("the matrix is singular");
        self.numeric = Some(lu);
    }

    /// Overwrites `b` with `J⁻¹ b`.
    pub fn solve_in_place(&self, b: &mut [f64]) {
        let lu = self.numeric.as_ref().expect("factor first");
        lu.solve_transpose_in_place(column(b));
    }
}

/// What one phase cost, summed over its calls.
#[derive(Clone, Copy, Debug, Default)]
pub struct Phase {
    pub calls: usize,
    pub time: Duration,
}

impl Phase {
    /// Runs and times `f`.
    pub fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.time += t.elapsed();
        self.calls += 1;
        out
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:>5} x {:>10.2?}", self.calls, self.time)
    }
}

// ---------------------------------------------------------------------------------------
// (a) Newton on the Brusselator steady state.

/// What [`newton_brusselator`] found and what it cost.
pub struct NewtonReport {
    /// Grid side `N`; there are `2 N²` unknowns.
    pub grid: usize,
    /// The preparation's summary and spy plot (`{prep}`).
    pub prep: String,
    pub ncolors: usize,
    pub iterations: usize,
    /// `‖f(u₀)‖` and `‖f(u)‖` at the end.
    pub residual0: f64,
    pub residual: f64,
    /// The largest distance of `u` from the exact steady state `(u, v) = (B, A / B) =
    /// (1, 3.4)` (with equal diffusion the periodic Brusselator has no other).
    pub error: f64,
    pub prepare: Phase,
    pub jacobian: Phase,
    pub symbolic: Phase,
    pub factor: Phase,
    pub solve: Phase,
    pub residuals: Phase,
    pub total: Duration,
}

/// Solves `brusselator(u, N) = 0` by Newton's method from the benchmark point, with one
/// prepared sparse Jacobian per iteration and faer's sparse LU.
pub fn newton_brusselator(grid: usize) -> NewtonReport {
    let start = Instant::now();
    let n = 2 * grid * grid;
    let mut u = crate::problems::point(n);
    let mut r = NewtonReport {
        grid,
        prep: String::new(),
        ncolors: 0,
        iterations: 0,
        residual0: 0.0,
        residual: 0.0,
        error: 0.0,
        prepare: Phase::default(),
        jacobian: Phase::default(),
        symbolic: Phase::default(),
        factor: Phase::default(),
        solve: Phase::default(),
        residuals: Phase::default(),
        total: Duration::ZERO,
    };
    let mut prep = r.prepare.time(|| brusselator_jacobian_prepare(&u, grid));
    r.ncolors = prep.ncolors();
    r.prep = prep.to_string();
    let mut lu = r.symbolic.time(|| SparseLu::new(prep.jacobian()));
    let mut f = r.residuals.time(|| brusselator(&u, grid));
    r.residual0 = norm(&f);
    // Newton converges quadratically until rounding stops it: stop at a relative 1e-12,
    // or when an iteration no longer halves the residual.
    let mut last = f64::INFINITY;
    while norm(&f) > 1e-12 * r.residual0 && norm(&f) < 0.5 * last && r.iterations < 20 {
        last = norm(&f);
        let jac = r
            .jacobian
            .time(|| brusselator_jacobian_prepared(&mut prep, &u, grid));
        r.factor.time(|| lu.factor(jac));
        r.solve.time(|| lu.solve_in_place(&mut f)); // f <- J⁻¹ f
        for (u, d) in u.iter_mut().zip(&f) {
            *u -= d;
        }
        f = r.residuals.time(|| brusselator(&u, grid));
        r.iterations += 1;
    }
    r.residual = norm(&f);
    let nn = grid * grid;
    r.error = u[..nn]
        .iter()
        .map(|x| (x - 1.0).abs())
        .chain(u[nn..].iter().map(|v| (v - 3.4).abs()))
        .fold(0.0, f64::max);
    r.total = start.elapsed();
    r
}

// ---------------------------------------------------------------------------------------
// (b) A stiff ODE by implicit Euler: the 2-D Brusselator in time.

/// What [`implicit_euler_brusselator`] computed and what it cost.
pub struct OdeReport {
    pub grid: usize,
    pub steps: usize,
    pub t_end: f64,
    pub ncolors: usize,
    /// Newton iterations in all (a simplified Newton: one Jacobian and one LU per step).
    pub newton_iterations: usize,
    /// The largest `‖G(w)‖ / ‖u_k‖` a step ended with, `G(w) = w - u_k - h f(w)`.
    pub max_step_residual: f64,
    /// Spatial means of `u` and `v` at `t_end`.
    pub mean: (f64, f64),
    /// The largest deviation of `u` and `v` from their means at `t_end`: the strong
    /// diffusion makes the solution uniform.
    pub spread: f64,
    /// The same implicit Euler steps on the uniform (0-D) Brusselator from the means of
    /// the initial state: the PDE's means must follow them once it is uniform.
    pub uniform: (f64, f64),
    /// The 0-D Brusselator by RK4 with 1000 steps per implicit step: the exact answer
    /// the first-order implicit Euler approximates.
    pub exact: (f64, f64),
    pub prepare: Phase,
    pub jacobian: Phase,
    pub symbolic: Phase,
    pub factor: Phase,
    pub solve: Phase,
    pub rhs: Phase,
    pub total: Duration,
}

const A: f64 = 3.4;
const B: f64 = 1.0;

/// The right-hand side of the 0-D Brusselator.
fn brusselator0(u: f64, v: f64) -> (f64, f64) {
    (B + u * u * v - (A + 1.0) * u, A * u - u * u * v)
}

/// One implicit Euler step of the 0-D Brusselator, by Newton.
fn implicit_euler0((u0, v0): (f64, f64), h: f64) -> (f64, f64) {
    let (mut u, mut v) = (u0, v0);
    for _ in 0..50 {
        let (fu, fv) = brusselator0(u, v);
        let (gu, gv) = (u - u0 - h * fu, v - v0 - h * fv);
        // I - h J, J = [[2uv - (A + 1), u²], [A - 2uv, -u²]].
        let (a, b) = (1.0 - h * (2.0 * u * v - (A + 1.0)), -h * u * u);
        let (c, d) = (-h * (A - 2.0 * u * v), 1.0 + h * u * u);
        let det = a * d - b * c;
        u -= (d * gu - b * gv) / det;
        v -= (a * gv - c * gu) / det;
        if gu.abs().max(gv.abs()) < 1e-15 {
            break;
        }
    }
    (u, v)
}

/// The 0-D Brusselator by RK4.
fn rk4_0d((mut u, mut v): (f64, f64), t_end: f64, steps: usize) -> (f64, f64) {
    let h = t_end / steps as f64;
    for _ in 0..steps {
        let k1 = brusselator0(u, v);
        let k2 = brusselator0(u + 0.5 * h * k1.0, v + 0.5 * h * k1.1);
        let k3 = brusselator0(u + 0.5 * h * k2.0, v + 0.5 * h * k2.1);
        let k4 = brusselator0(u + h * k3.0, v + h * k3.1);
        u += h / 6.0 * (k1.0 + 2.0 * k2.0 + 2.0 * k3.0 + k4.0);
        v += h / 6.0 * (k1.1 + 2.0 * k2.1 + 2.0 * k3.1 + k4.1);
    }
    (u, v)
}

/// The initial state: `u = 0.5 + 0.3 sin(2πx) sin(2πy)`, `v = 3 + 0.3 cos(2πx)` on the
/// periodic grid `x = i / N`, `y = j / N`; their means are exactly 0.5 and 3.
pub fn brusselator_initial(grid: usize) -> Vec<f64> {
    let nn = grid * grid;
    let mut u = vec![0.0; 2 * nn];
    let tau = std::f64::consts::TAU;
    for j in 0..grid {
        for i in 0..grid {
            let (x, y) = (i as f64 / grid as f64, j as f64 / grid as f64);
            u[i + grid * j] = 0.5 + 0.3 * (tau * x).sin() * (tau * y).sin();
            u[i + grid * j + nn] = 3.0 + 0.3 * (tau * x).cos();
        }
    }
    u
}

/// Integrates `u' = brusselator(u, N)` from [`brusselator_initial`] to `t_end` by
/// `steps` implicit Euler steps. The problem is stiff (the diffusion's eigenvalues
/// reach `-80 (N - 1)²`; explicit Euler would need `h < 1 / (40 (N - 1)²)`). Each step
/// solves `w = u_k + h f(w)` by a simplified Newton: one prepared Jacobian and one LU
/// of `I - h J(u_k)` per step, all from one asd preparation and one symbolic LU.
pub fn implicit_euler_brusselator(grid: usize, steps: usize, t_end: f64) -> OdeReport {
    let start = Instant::now();
    let nn = grid * grid;
    let n = 2 * nn;
    let h = t_end / steps as f64;
    let mut u = brusselator_initial(grid);
    let mut r = OdeReport {
        grid,
        steps,
        t_end,
        ncolors: 0,
        newton_iterations: 0,
        max_step_residual: 0.0,
        mean: (0.0, 0.0),
        spread: 0.0,
        uniform: (0.0, 0.0),
        exact: (0.0, 0.0),
        prepare: Phase::default(),
        jacobian: Phase::default(),
        symbolic: Phase::default(),
        factor: Phase::default(),
        solve: Phase::default(),
        rhs: Phase::default(),
        total: Duration::ZERO,
    };
    let mut prep = r.prepare.time(|| brusselator_jacobian_prepare(&u, grid));
    r.ncolors = prep.ncolors();
    // I - h J has J's pattern (the diagonal is in it): its values are rewritten in
    // place at every step, from the positions of the diagonal found once.
    let mut m = prep.jacobian().clone();
    let diagonal: Vec<usize> = (0..n)
        .map(|i| {
            let (start, end) = (m.indptr().index(i), m.indptr().index(i + 1));
            start + m.indices()[start..end].binary_search(&i).expect("diagonal")
        })
        .collect();
    let mut lu = r.symbolic.time(|| SparseLu::new(&m));
    let mut w = vec![0.0; n];
    let mut g = vec![0.0; n];
    for _ in 0..steps {
        let jac = r
            .jacobian
            .time(|| brusselator_jacobian_prepared(&mut prep, &u, grid));
        for (mv, jv) in m.data_mut().iter_mut().zip(jac.data()) {
            *mv = -h * jv;
        }
        for &d in &diagonal {
            m.data_mut()[d] += 1.0;
        }
        r.factor.time(|| lu.factor(&m));
        w.copy_from_slice(&u);
        let scale = norm(&u);
        let mut residual = f64::INFINITY;
        for _ in 0..30 {
            let f = r.rhs.time(|| brusselator(&w, grid));
            for i in 0..n {
                g[i] = w[i] - u[i] - h * f[i];
            }
            residual = norm(&g) / scale;
            if residual < 1e-12 {
                break;
            }
            r.solve.time(|| lu.solve_in_place(&mut g));
            for (w, d) in w.iter_mut().zip(&g) {
                *w -= d;
            }
            r.newton_iterations += 1;
        }
        r.max_step_residual = r.max_step_residual.max(residual);
        u.copy_from_slice(&w);
    }
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    r.mean = (mean(&u[..nn]), mean(&u[nn..]));
    r.spread = u[..nn]
        .iter()
        .map(|x| (x - r.mean.0).abs())
        .chain(u[nn..].iter().map(|x| (x - r.mean.1).abs()))
        .fold(0.0, f64::max);
    r.uniform = (0..steps).fold((0.5, 3.0), |s, _| implicit_euler0(s, h));
    r.exact = rk4_0d((0.5, 3.0), t_end, 1000 * steps);
    r.total = start.elapsed();
    r
}

// ---------------------------------------------------------------------------------------
// (c) A Newton minimiser on the 2-D Bratu problem.

/// What [`newton_bratu`] found and what it cost.
pub struct BratuReport {
    pub grid: usize,
    pub lambda: f64,
    pub prep: String,
    pub ncolors: usize,
    pub iterations: usize,
    /// `‖∇E(0)‖` and `‖∇E(u)‖` at the end.
    pub gradient0: f64,
    pub gradient: f64,
    /// `max u`, the solution's height at the centre.
    pub max_u: f64,
    /// The energy at the end.
    pub energy: f64,
    pub prepare: Phase,
    pub gradient_evals: Phase,
    pub hessian: Phase,
    pub symbolic: Phase,
    pub factor: Phase,
    pub solve: Phase,
    pub total: Duration,
}

/// Minimises [`bratu_energy`] on an `N x N` grid by Newton's method from `u = 0`: one
/// prepared sparse Hessian per iteration (5-point stencil, star coloring), factored by
/// faer's sparse Cholesky straight from asd's storage (a symmetric matrix's compressed
/// rows are its compressed columns: no copy), the symbolic factorization computed once.
pub fn newton_bratu(grid: usize, lambda: f64) -> BratuReport {
    let start = Instant::now();
    let n = grid * grid;
    let h = 1.0 / (grid as f64 + 1.0);
    let lh2 = lambda * h * h;
    let mut u = vec![0.0; n];
    let mut r = BratuReport {
        grid,
        lambda,
        prep: String::new(),
        ncolors: 0,
        iterations: 0,
        gradient0: 0.0,
        gradient: 0.0,
        max_u: 0.0,
        energy: 0.0,
        prepare: Phase::default(),
        gradient_evals: Phase::default(),
        hessian: Phase::default(),
        symbolic: Phase::default(),
        factor: Phase::default(),
        solve: Phase::default(),
        total: Duration::ZERO,
    };
    let mut prep = r
        .prepare
        .time(|| bratu_energy_hessian_prepare(&u, grid, lh2));
    r.ncolors = prep.ncolors();
    r.prep = prep.to_string();
    let symbolic = r.symbolic.time(|| {
        SymbolicLlt::try_new(csc_ref_of_symmetric(prep.hessian()).symbolic(), Side::Lower)
            .expect("symbolic Cholesky")
    });
    let mut g = vec![0.0; n];
    let mut energy = r
        .gradient_evals
        .time(|| bratu_energy_gradient_into(&u, grid, lh2, &mut g));
    r.gradient0 = norm(&g);
    // Stop at a relative 1e-12, or when rounding stops an iteration from halving the
    // gradient (near 1e-11 at n = 10^6).
    let mut last = f64::INFINITY;
    while norm(&g) > 1e-12 * r.gradient0 && norm(&g) < 0.5 * last && r.iterations < 20 {
        last = norm(&g);
        let hess = r
            .hessian
            .time(|| bratu_energy_hessian_prepared(&mut prep, &u, grid, lh2));
        let llt = r.factor.time(|| {
            Llt::try_new_with_symbolic(symbolic.clone(), csc_ref_of_symmetric(hess), Side::Lower)
                .expect("the Hessian is positive definite along the Newton path")
        });
        r.solve.time(|| llt.solve_in_place(column(&mut g))); // g <- H⁻¹ g
        for (u, d) in u.iter_mut().zip(&g) {
            *u -= d;
        }
        energy = r
            .gradient_evals
            .time(|| bratu_energy_gradient_into(&u, grid, lh2, &mut g));
        r.iterations += 1;
    }
    r.gradient = norm(&g);
    r.energy = energy;
    r.max_u = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    r.total = start.elapsed();
    r
}
