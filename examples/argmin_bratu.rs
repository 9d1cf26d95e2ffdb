//! argmin's solvers minimising the 2-D Bratu energy (`-Δu = λ exp(u)`, zero boundary)
//! through `asd::argmin`: L-BFGS with generated gradients, and Newton-CG with the
//! prepared sparse Hessian (5-point stencil, a handful of HVP sweeps per Hessian) and
//! matrix-free with one HVP sweep per CG iteration.
//!
//! `cargo run --release --example argmin_bratu --features argmin [N] [lambda]` (default
//! `N = 100`, 10^4 unknowns, `lambda = 1`). Checks every result: the gradient norm, and
//! the solution's height against the known value (0.07810 for `lambda = 1`).

#[path = "solvers/argmin.rs"]
mod solvers;

use solvers::{minimise_bratu, Method};

fn main() {
    let mut args = std::env::args().skip(1);
    let grid: usize = args
        .next()
        .map_or(100, |a| a.parse().expect("the grid side N"));
    let lambda: f64 = args.next().map_or(1.0, |a| a.parse().expect("lambda"));
    println!(
        "Bratu, N = {grid} ({} unknowns), lambda = {lambda}, from u = 0",
        grid * grid
    );
    for method in [
        Method::Lbfgs,
        Method::TrustRegionSparse,
        Method::TrustRegionHvp,
    ] {
        let r = minimise_bratu(grid, lambda, method);
        println!(
            "  {:<30} {:>10.2?}  {:>5} iterations (best at {}, {}), {} costs, {} gradients, {} Hessians{}",
            method.name(),
            r.solve,
            r.iterations,
            r.best_iteration,
            r.termination,
            r.costs,
            r.gradients,
            r.hessians,
            if r.ncolors > 0 {
                format!(" ({} colors, prepared in {:.2?})", r.ncolors, r.prepare)
            } else {
                String::new()
            },
        );
        println!(
            "  {:<30} ‖∇E‖ {:.3e} -> {:.3e}, max u = {:.6}, E = {:.9e}",
            "", r.gradient0, r.gradient, r.max_u, r.energy
        );
        assert!(
            r.gradient <= solvers::GRADIENT_TOLERANCE * r.gradient0,
            "{} did not converge",
            method.name()
        );
        if lambda == 1.0 && grid >= 50 {
            // The continuous solution's height is 0.07810; the grid's error is O(h²).
            assert!((r.max_u - 0.07810).abs() < 2e-4, "not the Bratu solution");
        }
    }
}
