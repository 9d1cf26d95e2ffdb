//! argmin's solvers on the 2-D Bratu energy ([`bratu_energy`]) through `asd::argmin`,
//! shared by `examples/argmin_bratu.rs` (which sizes them from the command line and
//! prints) and `tests/argmin.rs` (which runs them small in CI). Each returns a report
//! with its own check: the gradient norm and the solution's height.
//!
//! Needs the `argmin` feature, not faer: included by `#[path]`, not a child of
//! `solvers/mod.rs`.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use argmin::core::{Executor, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use argmin::solver::trustregion::{Steihaug, TrustRegion};
use asd::argmin::Objective;

#[path = "bratu.rs"]
mod bratu;
pub use bratu::*;

/// The solvers compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// L-BFGS (7 pairs, Moré–Thuente line search) with generated gradients.
    Lbfgs,
    /// A trust-region Newton method (Steihaug's CG for the subproblems) with the
    /// prepared sparse Hessian, one per accepted step: every CG iteration is a sparse
    /// matrix-vector product.
    TrustRegionSparse,
    /// The same matrix-free: every CG iteration is a Hessian-vector product sweep.
    TrustRegionHvp,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Lbfgs => "L-BFGS, generated gradients",
            Method::TrustRegionSparse => "trust region, sparse Hessian",
            Method::TrustRegionHvp => "trust region, matrix-free HVPs",
        }
    }
}

/// What [`minimise_bratu`] found and what it cost.
pub struct ArgminReport {
    pub method: Method,
    pub grid: usize,
    pub lambda: f64,
    /// argmin's iterations, the last that improved the point, and why it stopped.
    pub iterations: u64,
    pub best_iteration: u64,
    pub termination: String,
    /// Calls of the objective's `cost`, `gradient` and `hessian` (argmin's counts).
    pub costs: u64,
    pub gradients: u64,
    pub hessians: u64,
    /// Colors of the Hessian preparation (0 without one).
    pub ncolors: usize,
    /// The Hessian preparation's time (zero without one).
    pub prepare: Duration,
    /// `‖∇E(0)‖` and `‖∇E(u)‖` at the end.
    pub gradient0: f64,
    pub gradient: f64,
    /// `max u`, the solution's height at the centre.
    pub max_u: f64,
    pub energy: f64,
    /// The solver's run, preparation excluded.
    pub solve: Duration,
}

/// The relative gradient L-BFGS stops at: `‖∇E(u)‖ <= 1e-5 ‖∇E(0)‖`.
pub const GRADIENT_TOLERANCE: f64 = 1e-5;

/// argmin's trust region has no test of its own: it runs this many iterations.
pub const TRUST_REGION_ITERATIONS: u64 = 40;

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Minimises [`bratu_energy`] on an `N x N` grid from `u = 0` with argmin's `method`.
///
/// L-BFGS stops at a gradient [`GRADIENT_TOLERANCE`] times the first; Newton-CG, which
/// has no gradient test, when an iteration changes the energy by less than `1e-15` of
/// its size. Both end where the energy's rounding ends them: a line search must see the
/// energy (about 1) decrease by about `‖∇E‖² / λ_max(H)`, below `1e-16` once
/// `‖∇E‖ ≈ 1e-8`, which is `1e-6` of the first gradient at `N = 100`. (The faer Newton
/// of `solvers/mod.rs` takes full steps without a line search and goes further.)
pub fn minimise_bratu(grid: usize, lambda: f64, method: Method) -> ArgminReport {
    let n = grid * grid;
    let h = 1.0 / (grid as f64 + 1.0);
    let lh2 = lambda * h * h;
    let u0 = vec![0.0; n];
    let (_, g0) = bratu_energy_gradient(&u0, grid, lh2);
    let gradient0 = norm(&g0);
    let max_iters = 10_000;

    let problem = Objective::new(|u| bratu_energy(u, grid, lh2))
        .with_gradient(|u| bratu_energy_gradient(u, grid, lh2));
    let mut ncolors = 0;
    let mut prepare = Duration::ZERO;
    let start = Instant::now();
    let (u, (iterations, best_iteration), termination, counts) = match method {
        Method::Lbfgs => {
            let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
                .with_tolerance_grad(GRADIENT_TOLERANCE * gradient0)
                .expect("a positive tolerance")
                .with_tolerance_cost(0.0)
                .expect("a tolerance");
            let res = Executor::new(problem, solver)
                .configure(|s| s.param(u0).max_iters(max_iters))
                .run()
                .expect("L-BFGS runs");
            summary(res)
        }
        Method::TrustRegionSparse => {
            let t = Instant::now();
            let prep = bratu_energy_hessian_prepare(&u0, grid, lh2);
            prepare = t.elapsed();
            ncolors = prep.ncolors();
            let problem =
                problem.with_hessian(prep, |p, u| bratu_energy_hessian_prepared(p, u, grid, lh2));
            let res = Executor::new(problem, TrustRegion::new(Steihaug::new()))
                .configure(|s| s.param(u0).max_iters(TRUST_REGION_ITERATIONS))
                .run()
                .expect("the trust region runs");
            summary(res)
        }
        Method::TrustRegionHvp => {
            let problem = problem.with_hvp(|u, v| bratu_energy_hvp(u, grid, lh2, v));
            let res = Executor::new(problem, TrustRegion::new(Steihaug::new()))
                .configure(|s| s.param(u0).max_iters(TRUST_REGION_ITERATIONS))
                .run()
                .expect("the trust region runs");
            summary(res)
        }
    };
    let solve = start.elapsed() - prepare;
    let (energy, g) = bratu_energy_gradient(&u, grid, lh2);
    ArgminReport {
        method,
        grid,
        lambda,
        iterations,
        best_iteration,
        termination,
        costs: counts.0,
        gradients: counts.1,
        hessians: counts.2,
        ncolors,
        prepare,
        gradient0,
        gradient: norm(&g),
        max_u: u.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        energy,
        solve,
    }
}

type Counts = (u64, u64, u64);

/// The best point, the iterations, the reason to stop and the evaluation counts.
fn summary<O, S, I: State<Param = Vec<f64>>>(
    res: argmin::core::OptimizationResult<O, S, I>,
) -> (Vec<f64>, (u64, u64), String, Counts) {
    let count = |k: &str| res.problem.counts.get(k).copied().unwrap_or(0);
    let counts = (
        count("cost_count"),
        count("gradient_count"),
        count("hessian_count"),
    );
    let reason = res
        .state
        .get_termination_reason()
        .map_or_else(|| "running".to_string(), |r| r.text().to_string());
    let u = res.state.get_best_param().expect("a best point").clone();
    let iterations = (res.state.get_iter(), res.state.get_last_best_iter());
    (u, iterations, reason, counts)
}
