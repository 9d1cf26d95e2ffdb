//! A Newton minimiser on the 2-D Bratu problem (`-Δu = λ exp(u)`, zero boundary) at
//! `n = 10^6` unknowns: a prepared sparse Hessian per iteration (5-point stencil, star
//! coloring: a handful of HVPs instead of a million), factored by faer's sparse Cholesky
//! straight from asd's storage.
//!
//! `cargo run --release --example bratu_newton --features faer [N] [lambda]` (default
//! `N = 1000`, `lambda = 1`). Checks its result: the gradient norm, and the solution's
//! height against the known value (0.07810 for `lambda = 1`).

#[path = "../tests/problems/mod.rs"]
mod problems;
#[path = "solvers/mod.rs"]
mod solvers;

fn main() {
    let mut args = std::env::args().skip(1);
    let grid: usize = args
        .next()
        .map_or(1000, |a| a.parse().expect("the grid side N"));
    let lambda: f64 = args.next().map_or(1.0, |a| a.parse().expect("lambda"));
    let r = solvers::newton_bratu(grid, lambda);
    println!("{}", r.prep.lines().next().unwrap_or_default());
    println!(
        "Bratu, N = {grid} ({} unknowns), lambda = {lambda}: {} Newton iterations, \
         ‖∇E‖ {:.3e} -> {:.3e}, max u = {:.6}, E = {:.9e}",
        grid * grid,
        r.iterations,
        r.gradient0,
        r.gradient,
        r.max_u,
        r.energy
    );
    println!("  asd preparation      {}", r.prepare);
    println!("  asd gradients        {}", r.gradient_evals);
    println!("  asd Hessians         {}", r.hessian);
    println!("  faer symbolic LLᵀ    {}", r.symbolic);
    println!("  faer numeric LLᵀ     {}", r.factor);
    println!("  faer solves          {}", r.solve);
    println!("  total                {:>16.2?}", r.total);
    assert!(r.gradient <= 1e-10 * r.gradient0, "Newton did not converge");
    if lambda == 1.0 && grid >= 50 {
        // The continuous solution's height is 0.07810; the grid's error is O(h²).
        assert!((r.max_u - 0.07810).abs() < 2e-4, "not the Bratu solution");
    }
}
