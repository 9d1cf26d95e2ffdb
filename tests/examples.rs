//! The end-to-end examples' solvers (`examples/solvers/mod.rs`), run small, with the
//! checks the examples make at full size. Needs the `faer` feature, which CI turns on.
#![cfg(feature = "faer")]

mod problems;
#[path = "../examples/solvers/mod.rs"]
mod solvers;

#[test]
fn newton_finds_the_brusselator_steady_state() {
    let r = solvers::newton_brusselator(12);
    assert!(
        r.iterations >= 2 && r.iterations <= 8,
        "{} iterations",
        r.iterations
    );
    assert!(
        r.residual <= 1e-9 * r.residual0,
        "residual {:.1e}",
        r.residual
    );
    assert!(r.error <= 1e-8, "error {:.1e}", r.error);
    assert!(r.ncolors < 2 * 12 * 12 / 10, "{} colors", r.ncolors);
}

#[test]
fn implicit_euler_integrates_the_stiff_brusselator() {
    // h = 0.05 is a thousand times the explicit Euler limit on this grid.
    let r = solvers::implicit_euler_brusselator(10, 20, 1.0);
    assert!(r.max_step_residual < 1e-10, "{:.1e}", r.max_step_residual);
    assert!(r.spread < 1e-6, "spread {:.1e}", r.spread);
    let d = (r.mean.0 - r.uniform.0)
        .abs()
        .max((r.mean.1 - r.uniform.1).abs());
    assert!(d < 1e-3, "the means are {d:.1e} from the 0-D steps");
    // First order: within a few h of the exact 0-D solution.
    let e = (r.mean.0 - r.exact.0)
        .abs()
        .max((r.mean.1 - r.exact.1).abs());
    assert!(e < 0.1, "{e:.1e} from the exact solution");
}

#[test]
fn newton_minimises_the_bratu_energy() {
    let r = solvers::newton_bratu(20, 1.0);
    assert!(r.iterations <= 6, "{} iterations", r.iterations);
    assert!(
        r.gradient <= 1e-10 * r.gradient0,
        "gradient {:.1e}",
        r.gradient
    );
    // The continuous solution's height is 0.07810; at h = 1/21 the grid is 3e-4 lower.
    assert!((r.max_u - 0.0781).abs() < 1e-3, "max u = {}", r.max_u);
    assert!(r.ncolors <= 6, "{} colors", r.ncolors);
}
