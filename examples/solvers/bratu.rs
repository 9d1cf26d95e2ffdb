//! The 2-D Bratu energy, minimised by `examples/solvers/mod.rs` (Newton with faer's
//! sparse Cholesky) and by `examples/solvers/argmin.rs` (argmin's solvers).

use asd::sparse_diff;

/// The 2-D Bratu energy with zero Dirichlet boundary on the unit square, discretised on
/// an `n x n` interior grid of spacing `h = 1 / (n + 1)` and multiplied by `h²`:
/// `½ Σ (differences over every edge, to the zero boundary too)² - λh² Σ exp(u)`.
/// Its stationary points solve `-Δu = λ exp(u)`; for `λ` below `λ* ≈ 6.81` the smallest
/// one is a local minimum, the one Newton finds from `u = 0`. (The benchmark's
/// `bratu2d` omits the boundary and the `h²`, and has no stationary point.)
#[sparse_diff]
pub fn bratu_energy(u: &[f64], n: usize, lambda_h2: f64) -> f64 {
    let mut f = 0.0;
    for j in 0..n {
        for i in 0..n {
            let c = u[i + n * j];
            if i + 1 < n {
                let d = u[i + 1 + n * j] - c;
                f += 0.5 * d * d;
            } else {
                f += 0.5 * c * c;
            }
            if i == 0 {
                f += 0.5 * c * c;
            }
            if j + 1 < n {
                let d = u[i + n * (j + 1)] - c;
                f += 0.5 * d * d;
            } else {
                f += 0.5 * c * c;
            }
            if j == 0 {
                f += 0.5 * c * c;
            }
            f -= lambda_h2 * c.exp();
        }
    }
    f
}
