//! A stiff ODE: the 2-D Brusselator `u' = brusselator(u, N)` by implicit Euler, one
//! prepared sparse Jacobian and one sparse LU of `I - h J` per step, all from one asd
//! preparation and one faer symbolic factorization.
//!
//! `cargo run --release --example brusselator_ode --features faer [N] [steps]` (default
//! `N = 64`, 8192 unknowns, 200 steps to `t = 2`). Checks its result: every step's
//! nonlinear residual, and the solution (uniform once diffusion has acted) against the
//! same implicit Euler steps on the 0-D Brusselator.

#[path = "../tests/problems/mod.rs"]
mod problems;
#[path = "solvers/mod.rs"]
mod solvers;

fn main() {
    let mut args = std::env::args().skip(1);
    let grid: usize = args
        .next()
        .map_or(64, |a| a.parse().expect("the grid side N"));
    let steps: usize = args
        .next()
        .map_or(200, |a| a.parse().expect("the step count"));
    let r = solvers::implicit_euler_brusselator(grid, steps, 2.0);
    println!(
        "Brusselator, N = {grid} ({} unknowns), implicit Euler to t = {} in {} steps \
         (h = {}): {} colors, {} Newton iterations",
        2 * grid * grid,
        r.t_end,
        r.steps,
        r.t_end / r.steps as f64,
        r.ncolors,
        r.newton_iterations
    );
    println!(
        "  largest step residual ‖w - u - h f(w)‖ / ‖u‖ = {:.2e}",
        r.max_step_residual
    );
    println!(
        "  means at t = {}: u = {:.6}, v = {:.6}; spread {:.1e}",
        r.t_end, r.mean.0, r.mean.1, r.spread
    );
    println!(
        "  0-D implicit Euler: u = {:.6}, v = {:.6}; 0-D exact (RK4): u = {:.6}, v = {:.6}",
        r.uniform.0, r.uniform.1, r.exact.0, r.exact.1
    );
    println!("  asd preparation    {}", r.prepare);
    println!("  asd Jacobians      {}", r.jacobian);
    println!("  faer symbolic LU   {}", r.symbolic);
    println!("  faer numeric LU    {}", r.factor);
    println!("  faer solves        {}", r.solve);
    println!("  right-hand sides   {}", r.rhs);
    println!("  total              {:>16.2?}", r.total);
    assert!(r.max_step_residual < 1e-10, "a step did not converge");
    assert!(
        r.spread < 1e-6,
        "diffusion did not make the solution uniform"
    );
    let d = (r.mean.0 - r.uniform.0)
        .abs()
        .max((r.mean.1 - r.uniform.1).abs());
    assert!(
        d < 1e-3,
        "the means do not follow the 0-D Brusselator ({d:.1e})"
    );
}
