//! `asd::argmin`: the adapter's gradients and Hessians agree with finite differences,
//! and argmin's solvers converge with them (small sizes; `examples/argmin_bratu.rs` runs
//! them large). Run with `cargo test --features argmin --test argmin`.
#![cfg(feature = "argmin")]

#[path = "../examples/solvers/argmin.rs"]
mod solvers;

use std::panic::{catch_unwind, AssertUnwindSafe};

use argmin::core::{CostFunction, Executor, Gradient, Hessian, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::newton::NewtonCG;
use argmin::solver::quasinewton::LBFGS;
use argmin::solver::trustregion::{CauchyPoint, Steihaug, TrustRegion};
use argmin_math::ArgminDot;
use asd::argmin::{Objective, SparseHessian};
use asd::sparse_diff;
use solvers::{bratu_energy, bratu_energy_gradient, bratu_energy_hessian_prepare};
use solvers::{bratu_energy_hessian_prepared, bratu_energy_hvp, minimise_bratu, Method};

/// The chained Rosenbrock function (tridiagonal Hessian), with a constant.
#[sparse_diff]
fn chained(x: &[f64], a: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (a - x[i]).powi(2);
    }
    s
}

/// The extended Rosenbrock function: independent pairs (2 x 2 blocks), minimum 0 at 1.
#[sparse_diff]
fn extended(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in (0..x.len()).step_by(2) {
        s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    s
}

/// The classic start, `(-1.2, 1, -1.2, 1, ...)`.
fn start(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect()
}

/// A point away from every symmetry.
fn point(n: usize, scale: f64) -> Vec<f64> {
    (0..n)
        .map(|i| scale * (1.0 + 0.5 * ((i + 1) as f64).sin()))
        .collect()
}

fn unit(n: usize, j: usize) -> Vec<f64> {
    let mut e = vec![0.0; n];
    e[j] = 1.0;
    e
}

/// The central difference of `f` at `x` in the direction `v`.
fn central<T>(f: impl Fn(&Vec<f64>) -> T, x: &[f64], v: &[f64], eps: f64) -> (T, T) {
    let plus: Vec<f64> = x.iter().zip(v).map(|(x, v)| x + eps * v).collect();
    let minus: Vec<f64> = x.iter().zip(v).map(|(x, v)| x - eps * v).collect();
    (f(&plus), f(&minus))
}

/// Asserts `|a - b| <= tol (1 + |b|)` entrywise.
fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (a, b)) in a.iter().zip(b).enumerate() {
        assert!(
            (a - b).abs() <= tol * (1.0 + b.abs()),
            "{what}[{i}]: {a} against {b}"
        );
    }
}

/// Checks the objective's gradient against central differences of its cost, and its
/// Hessian (as argmin uses it: products) against central differences of its gradient,
/// column by column, at `x`.
fn check_derivatives<O, H>(problem: &O, x: &[f64])
where
    O: CostFunction<Param = Vec<f64>, Output = f64>
        + Gradient<Param = Vec<f64>, Gradient = Vec<f64>>
        + Hessian<Param = Vec<f64>, Hessian = H>,
    H: ArgminDot<Vec<f64>, Vec<f64>>,
{
    let n = x.len();
    let xv = x.to_vec();
    let g = problem.gradient(&xv).unwrap();
    let h = problem.hessian(&xv).unwrap();
    let eps = 1e-6;
    for j in 0..n {
        let e = unit(n, j);
        let (fp, fm) = central(|y| problem.cost(y).unwrap(), x, &e, eps);
        let fd = (fp - fm) / (2.0 * eps);
        assert!(
            (g[j] - fd).abs() <= 1e-6 * (1.0 + fd.abs()),
            "gradient[{j}]: {} against {fd}",
            g[j]
        );
        let (gp, gm) = central(|y| problem.gradient(y).unwrap(), x, &e, eps);
        let column: Vec<f64> = gp
            .iter()
            .zip(&gm)
            .map(|(p, m)| (p - m) / (2.0 * eps))
            .collect();
        assert_close(&h.dot(&e), &column, 1e-6, &format!("Hessian column {j}"));
    }
    // And in a direction mixing every variable.
    let v = point(n, 1.0);
    let (gp, gm) = central(|y| problem.gradient(y).unwrap(), x, &v, eps);
    let fd: Vec<f64> = gp
        .iter()
        .zip(&gm)
        .map(|(p, m)| (p - m) / (2.0 * eps))
        .collect();
    assert_close(&h.dot(&v), &fd, 1e-6, "H v");
}

#[test]
fn derivatives_agree_with_finite_differences() {
    let a = 0.7;
    let x = point(9, 0.8);
    let sparse = Objective::new(|x| chained(x, a))
        .with_gradient(|x| chained_gradient(x, a))
        .with_hessian(chained_hessian_prepare(&x, a), |p, x| {
            chained_hessian_prepared(p, x, a)
        });
    check_derivatives(&sparse, &x);
    let matrix_free = Objective::new(|x| chained(x, a))
        .with_gradient(|x| chained_gradient(x, a))
        .with_hvp(|x, v| chained_hvp(x, a, v));
    check_derivatives(&matrix_free, &x);

    // The Bratu energy, 4 x 4, at a point where the exponential matters.
    let (grid, lh2) = (4, 0.3);
    let u = point(16, 0.5);
    let bratu = Objective::new(|u| bratu_energy(u, grid, lh2))
        .with_gradient(|u| bratu_energy_gradient(u, grid, lh2))
        .with_hessian(bratu_energy_hessian_prepare(&u, grid, lh2), |p, u| {
            bratu_energy_hessian_prepared(p, u, grid, lh2)
        });
    check_derivatives(&bratu, &u);
    let bratu = Objective::new(|u| bratu_energy(u, grid, lh2))
        .with_gradient(|u| bratu_energy_gradient(u, grid, lh2))
        .with_hvp(|u, v| bratu_energy_hvp(u, grid, lh2, v));
    check_derivatives(&bratu, &u);
}

#[test]
fn the_sparse_hessian_is_the_prepared_matrix_at_each_point() {
    let x0 = point(12, 1.0);
    let mut reference = chained_hessian_prepare(&x0, 1.0);
    let problem = Objective::new(|x| chained(x, 1.0))
        .with_gradient(|x| chained_gradient(x, 1.0))
        .with_hessian(chained_hessian_prepare(&x0, 1.0), |p, x| {
            chained_hessian_prepared(p, x, 1.0)
        });
    for scale in [1.0, -0.5, 2.0] {
        let x = point(12, scale);
        let h = problem.hessian(&x).unwrap();
        let expected = chained_hessian_prepared(&mut reference, &x, 1.0);
        assert_eq!(h.matrix(), expected);
        assert_eq!(h.matrix().nnz(), 12 + 2 * 11);
        // The product is the matrix's, row by row.
        let v = point(12, 0.3);
        let dense: Vec<f64> = (0..12)
            .map(|i| {
                (0..12)
                    .map(|j| expected.get(i, j).copied().unwrap_or(0.0) * v[j])
                    .sum()
            })
            .collect();
        assert_close(&h.dot(&v), &dense, 1e-14, "H v");
        assert_eq!(&h.clone().into_matrix(), expected);
    }
    // The preparation comes back with the last Hessian in it.
    let prep = problem.into_prep();
    assert_eq!(
        prep.hessian(),
        chained_hessian_prepared(&mut reference, &point(12, 2.0), 1.0)
    );
}

#[test]
fn a_panic_in_an_evaluation_does_not_break_the_objective() {
    let x = point(6, 1.0);
    let problem = Objective::new(|x| chained(x, 1.0))
        .with_gradient(|x| chained_gradient(x, 1.0))
        .with_hessian(chained_hessian_prepare(&x, 1.0), |p, x| {
            chained_hessian_prepared(p, x, 1.0)
        });
    let before = problem.hessian(&x).unwrap();
    let wrong = catch_unwind(AssertUnwindSafe(|| problem.hessian(&vec![1.0; 7])));
    let message = wrong.expect_err("a point of the wrong length panics");
    let message = message
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| message.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(message.contains('7') && message.contains('6'), "{message}");
    // The lock was poisoned; the next evaluation takes the preparation back.
    assert_eq!(problem.hessian(&x).unwrap(), before);
}

#[test]
#[should_panic(expected = "compressed rows")]
fn a_hessian_in_compressed_columns_is_refused() {
    let h = chained_hessian(&point(5, 1.0), 1.0);
    let _ = SparseHessian::from(h.to_csc());
}

#[test]
#[should_panic(expected = "length 3")]
fn a_product_with_a_vector_of_the_wrong_length_panics() {
    let h = SparseHessian::from(chained_hessian(&point(5, 1.0), 1.0));
    let _ = h.dot(&vec![1.0; 3]);
}

#[test]
fn objectives_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let x = point(4, 1.0);
    let a = 1.0;
    let sparse = Objective::new(|x| chained(x, a))
        .with_gradient(|x| chained_gradient(x, a))
        .with_hessian(chained_hessian_prepare(&x, a), |p, x| {
            chained_hessian_prepared(p, x, a)
        });
    send_sync(&sparse);
    let matrix_free = Objective::new(extended)
        .with_gradient(extended_gradient)
        .with_hvp(extended_hvp);
    send_sync(&matrix_free);
    send_sync(&matrix_free.hessian(&x).unwrap());
    send_sync(&sparse.hessian(&x).unwrap());
}

#[test]
fn lbfgs_minimises_the_chained_rosenbrock_function() {
    let problem = Objective::new(|x| chained(x, 1.0)).with_gradient(|x| chained_gradient(x, 1.0));
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
        .with_tolerance_grad(1e-10)
        .unwrap();
    let res = Executor::new(problem, solver)
        .configure(|s| s.param(start(20)).max_iters(1000))
        .run()
        .unwrap();
    let x = res.state.get_best_param().unwrap();
    assert!(
        res.state.get_best_cost() < 1e-12,
        "{}",
        res.state.get_best_cost()
    );
    assert_close(x, &[1.0; 20], 1e-6, "x");
}

#[test]
fn trust_regions_minimise_the_extended_rosenbrock_function_with_either_hessian() {
    let n = 40;
    let x0 = start(n);
    let check = |x: &[f64], cost: f64, what: &str| {
        assert!(cost < 1e-20, "{what}: cost {cost}");
        assert_close(x, &vec![1.0; n], 1e-9, what);
    };

    let sparse = Objective::new(extended)
        .with_gradient(extended_gradient)
        .with_hessian(extended_hessian_prepare(&x0), extended_hessian_prepared);
    let res = Executor::new(sparse, TrustRegion::new(Steihaug::new()))
        .configure(|s| s.param(x0.clone()).max_iters(100).target_cost(1e-24))
        .run()
        .unwrap();
    check(
        res.state.get_best_param().unwrap(),
        res.state.get_best_cost(),
        "Steihaug, sparse",
    );
    // Newton-like: a few dozen iterations (gradient descent would need thousands).
    assert!(
        res.state.get_iter() < 50,
        "{} iterations",
        res.state.get_iter()
    );

    let matrix_free = Objective::new(extended)
        .with_gradient(extended_gradient)
        .with_hvp(extended_hvp);
    let res = Executor::new(matrix_free, TrustRegion::new(Steihaug::new()))
        .configure(|s| s.param(x0.clone()).max_iters(100).target_cost(1e-24))
        .run()
        .unwrap();
    check(
        res.state.get_best_param().unwrap(),
        res.state.get_best_cost(),
        "Steihaug, HVPs",
    );

    // The Cauchy point uses the Hessian too (one weighted product per iteration): a
    // steepest descent, crawling on Rosenbrock, but it must go downhill.
    let sparse = Objective::new(extended)
        .with_gradient(extended_gradient)
        .with_hessian(extended_hessian_prepare(&x0), extended_hessian_prepared);
    let res = Executor::new(sparse, TrustRegion::new(CauchyPoint::new()))
        .configure(|s| s.param(x0.clone()).max_iters(50))
        .run()
        .unwrap();
    assert!(res.state.get_best_cost() < 0.5 * extended(&x0));
}

#[test]
fn newton_cg_takes_either_hessian() {
    // argmin 0.11's NewtonCG cuts its CG short once the gradient is below 1 (see the
    // module documentation), so it crawls on Rosenbrock; it must still accept both
    // Hessians and go downhill.
    let x0 = start(20);
    let solver = || NewtonCG::new(MoreThuenteLineSearch::new());
    let sparse = Objective::new(extended)
        .with_gradient(extended_gradient)
        .with_hessian(extended_hessian_prepare(&x0), extended_hessian_prepared);
    let res = Executor::new(sparse, solver())
        .configure(|s| s.param(x0.clone()).max_iters(20))
        .run()
        .unwrap();
    let sparse_cost = res.state.get_best_cost();
    assert!(sparse_cost < 0.1 * extended(&x0), "{sparse_cost}");
    let matrix_free = Objective::new(extended)
        .with_gradient(extended_gradient)
        .with_hvp(extended_hvp);
    let res = Executor::new(matrix_free, solver())
        .configure(|s| s.param(x0.clone()).max_iters(20))
        .run()
        .unwrap();
    // The same steps: the operators agree to rounding.
    let cost = res.state.get_best_cost();
    assert!(
        (cost - sparse_cost).abs() <= 1e-8 * sparse_cost,
        "{cost} against {sparse_cost}"
    );
}

#[test]
fn argmin_minimises_the_bratu_energy() {
    for method in [
        Method::Lbfgs,
        Method::TrustRegionSparse,
        Method::TrustRegionHvp,
    ] {
        let r = minimise_bratu(12, 1.0, method);
        assert!(
            r.gradient <= solvers::GRADIENT_TOLERANCE * r.gradient0,
            "{}: gradient {:.1e} from {:.1e} ({})",
            method.name(),
            r.gradient,
            r.gradient0,
            r.termination
        );
        // At h = 1/13 the grid's height is below the continuous 0.07810.
        assert!(
            (r.max_u - 0.0781).abs() < 3e-3,
            "{}: max u = {}",
            method.name(),
            r.max_u
        );
        match method {
            Method::Lbfgs => assert_eq!(r.hessians, 0),
            Method::TrustRegionSparse => {
                assert!(r.ncolors <= 6, "{} colors", r.ncolors);
                assert!(r.hessians <= 10, "{} Hessians", r.hessians);
            }
            Method::TrustRegionHvp => assert_eq!(r.ncolors, 0),
        }
    }
}
