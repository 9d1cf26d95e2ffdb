//! Newton's method on the steady state of the 2-D Brusselator (`brusselator(u, N) = 0`,
//! the benchmark J2), with a prepared sparse Jacobian per iteration and faer's sparse
//! LU, which factors asd's matrix without a copy (`asd::interop::faer`).
//!
//! `cargo run --release --example brusselator_newton --features faer [N]` (default
//! `N = 128`: 32768 unknowns). Checks its result: the residual and the distance to the
//! exact steady state `(u, v) = (1, 3.4)`.

#[path = "../tests/problems/mod.rs"]
mod problems;
#[path = "solvers/mod.rs"]
mod solvers;

fn main() {
    let grid: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("the grid side N, an integer"))
        .unwrap_or(128);
    let r = solvers::newton_brusselator(grid);
    if grid <= 32 {
        println!("{}", r.prep);
    } else {
        // The spy plot of a large pattern is a grey square: the summary line only.
        println!("{}", r.prep.lines().next().unwrap_or_default());
    }
    println!(
        "Brusselator steady state, N = {grid} ({} unknowns): {} Newton iterations, \
         ‖f‖ {:.3e} -> {:.3e}, max |u - u*| = {:.2e}",
        2 * grid * grid,
        r.iterations,
        r.residual0,
        r.residual,
        r.error
    );
    println!("  asd preparation    {}", r.prepare);
    println!("  asd Jacobians      {}", r.jacobian);
    println!("  faer symbolic LU   {}", r.symbolic);
    println!("  faer numeric LU    {}", r.factor);
    println!("  faer solves        {}", r.solve);
    println!("  residuals f(u)     {}", r.residuals);
    println!("  total              {:>16.2?}", r.total);
    assert!(r.residual <= 1e-9 * r.residual0, "Newton did not converge");
    assert!(r.error <= 1e-8, "not the steady state");
}
