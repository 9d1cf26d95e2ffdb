//! The DifferentiationInterface operators beyond the basic ones: in-place forms (`_into`),
//! `value_and_` forms, batched JVPs, VJPs and HVPs, and the derivatives of functions of
//! one real. Each against the operators it extends, and against central finite
//! differences.

mod common;

use asd::sparse_diff;
use common::*;

/// A vector function: a stencil with a constant.
#[sparse_diff]
fn stencil(x: &[f64], a: f64) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; n - 1];
    for i in 0..n - 1 {
        y[i] = a * x[i].sin() * x[i + 1] + x[i] * x[i];
    }
    y
}

/// A scalar function with a banded Hessian.
#[sparse_diff]
fn energy(x: &[f64], a: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += a * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    s + x[x.len() - 1].exp()
}

/// A function that writes its output parameter.
#[sparse_diff]
fn step(x: &[f64], y: &mut [f64], h: f64) {
    for i in 0..y.len() {
        y[i] = x[i] + h * x[(i + 1) % x.len()].cos() * x[i];
    }
}

const A: f64 = 1.5;
const H: f64 = 0.1;

fn x0() -> Vec<f64> {
    randoms(6, 42).iter().map(|v| 0.5 + v).collect()
}

fn step_value(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    step(x, &mut y, H);
    y
}

// ----- in place ------------------------------------------------------------------------

#[test]
fn in_place_forms_write_what_the_allocating_ones_return() {
    let x = x0();
    let n = x.len();
    let dx = randoms(n, 1);

    // Vector: value and J dx, value and Jᵀ dy.
    let (y, jdx) = stencil_jvp(&x, A, &dx);
    let (mut y2, mut jdx2) = (vec![f64::NAN; n - 1], vec![f64::NAN; n - 1]);
    stencil_jvp_into(&x, A, &dx, &mut y2, &mut jdx2);
    assert_eq!((y2, jdx2), (y.clone(), jdx));
    let dy = randoms(n - 1, 2);
    let (_, jtdy) = stencil_vjp(&x, A, &dy);
    let (mut y3, mut jtdy2) = (vec![f64::NAN; n - 1], vec![f64::NAN; n]);
    stencil_vjp_into(&x, A, &dy, &mut y3, &mut jtdy2);
    assert_eq!((y3, jtdy2.clone()), (y, jtdy));
    // Called again on the same buffers: overwritten, not accumulated.
    stencil_vjp_into(&x, A, &dy, &mut vec![0.0; n - 1], &mut jtdy2);
    assert_eq!(jtdy2, stencil_vjp(&x, A, &dy).1);

    // Output parameter: the parameter gets the value.
    let mut y = vec![0.0; n];
    let jdx = step_jvp(&x, &mut y, H, &dx);
    let (mut y2, mut jdx2) = (vec![f64::NAN; n], vec![f64::NAN; n]);
    step_jvp_into(&x, &mut y2, H, &dx, &mut jdx2);
    assert_eq!((&y2, &jdx2), (&y, &jdx));
    let dy = randoms(n, 3);
    let jtdy = step_vjp(&x, &mut y, H, &dy);
    let mut jtdy2 = vec![f64::NAN; n];
    step_vjp_into(&x, &mut y2, H, &dy, &mut jtdy2);
    assert_eq!(jtdy2, jtdy);
    assert_eq!(y2, step_value(&x));

    // Scalar: gradient, VJP and HVP.
    let (e, g) = energy_gradient(&x, A);
    let mut g2 = vec![f64::NAN; n];
    assert_eq!(energy_gradient_into(&x, A, &mut g2), e);
    assert_eq!(g2, g);
    let mut g3 = vec![f64::NAN; n];
    assert_eq!(energy_vjp_into(&x, A, 2.0, &mut g3), e);
    assert_eq!(g3, energy_vjp(&x, A, 2.0).1);
    let v = randoms(n, 4);
    let mut hv = vec![f64::NAN; n];
    energy_hvp_into(&x, A, &v, &mut hv);
    assert_eq!(hv, energy_hvp(&x, A, &v));
    // And against finite differences of the gradient.
    assert_close(
        &[hv],
        &[matvec(&fd_hessian(|x| energy_gradient(x, A).1, &x), &v)],
        1e-6,
    );
}

#[test]
fn prepared_matrices_are_written_into_the_callers_matrix() {
    let x = x0();
    let mut prep = stencil_jacobian_prepare(&x, A);
    let mut jac = prep.jacobian().clone();
    let x1: Vec<f64> = x.iter().map(|v| v * 0.9).collect();
    stencil_jacobian_prepared_into(&mut prep, &x1, A, &mut jac);
    assert_eq!(jac, stencil_jacobian(&x1, A));
    assert_sparse_matches(
        &jac,
        prep.pattern(),
        &fd_jacobian(|x| stencil(x, A), &x1),
        1e-6,
    );

    let mut prep = step_jacobian_prepare(&x, &mut vec![0.0; x.len()], H);
    let mut jac = prep.jacobian().clone();
    let mut y = vec![0.0; x.len()];
    step_jacobian_prepared_into(&mut prep, &x1, &mut y, H, &mut jac);
    assert_eq!(jac, step_jacobian(&x1, &mut vec![0.0; x.len()], H));
    assert_eq!(y, step_value(&x1), "the output parameter gets the value");

    let mut prep = energy_hessian_prepare(&x, A);
    let mut hess = prep.hessian().clone();
    energy_hessian_prepared_into(&mut prep, &x1, A, &mut hess);
    assert_eq!(hess, energy_hessian(&x1, A));
    assert_sparse_matches(
        &hess,
        prep.pattern(),
        &fd_hessian(|x| energy_gradient(x, A).1, &x1),
        1e-5,
    );
}

#[test]
#[should_panic(
    expected = "asd: the matrix to write the Jacobian into has shape (4, 6) but the preparation's is (5, 6)"
)]
fn a_jacobian_of_another_shape_is_refused() {
    let x = x0();
    let mut prep = stencil_jacobian_prepare(&x, A);
    let mut jac = asd::sprs::CsMat::<f64>::zero((4, 6));
    stencil_jacobian_prepared_into(&mut prep, &x, A, &mut jac);
}

#[test]
#[should_panic(
    expected = "asd: the matrix to write the Hessian into has 6 stored entries in another structure (indptr, indices) than the preparation's 16"
)]
fn a_hessian_of_another_structure_is_refused() {
    let x = x0();
    let mut prep = energy_hessian_prepare(&x, A);
    let mut hess = asd::sprs::CsMat::<f64>::eye(6);
    energy_hessian_prepared_into(&mut prep, &x, A, &mut hess);
}

#[test]
#[should_panic(expected = "is stored by columns (CSC) but the preparation's is by rows (CSR)")]
fn a_jacobian_stored_by_columns_is_refused() {
    let x = x0();
    let mut prep = stencil_jacobian_prepare(&x, A);
    let mut jac = prep.jacobian().to_csc();
    stencil_jacobian_prepared_into(&mut prep, &x, A, &mut jac);
}

#[test]
#[should_panic(expected = "asd: the gradient `g` has length 5 but 6 was expected")]
fn a_gradient_buffer_of_the_wrong_length_is_refused() {
    energy_gradient_into(&x0(), A, &mut [0.0; 5]);
}

#[test]
#[should_panic(expected = "asd: the value `y` has length 5 but 4 was expected")]
fn a_value_buffer_of_the_wrong_length_is_refused() {
    let x = x0();
    stencil_jvp_into(&x[..5], A, &[0.0; 5], &mut [0.0; 5], &mut [0.0; 4]);
}

// ----- value_and_ ----------------------------------------------------------------------

/// A function that updates its input in place: the map from it to its new value.
#[sparse_diff]
fn smooth(x: &mut [f64]) {
    for i in 1..x.len() {
        x[i] += 0.5 * x[i - 1].tanh();
    }
}

#[test]
fn value_and_jacobian_is_the_value_and_the_jacobian() {
    let x = x0();
    let (y, jac) = stencil_value_and_jacobian(&x, A);
    assert_eq!(y, stencil(&x, A));
    assert_eq!(jac, stencil_jacobian(&x, A));
    assert_sparse_matches(
        &jac,
        &stencil_jacobian_sparsity(&x, A),
        &fd_jacobian(|x| stencil(x, A), &x),
        1e-6,
    );
    let mut prep = stencil_jacobian_prepare(&x, A);
    let x1: Vec<f64> = x.iter().map(|v| v + 0.25).collect();
    let (y1, jac1) = stencil_value_and_jacobian_prepared(&mut prep, &x1, A);
    assert_eq!(y1, stencil(&x1, A));
    assert_eq!(*jac1, stencil_jacobian(&x1, A));

    // A scalar function's Jacobian is its gradient as one row.
    let (e, jac) = energy_value_and_jacobian(&x, A);
    let (e2, g) = energy_gradient(&x, A);
    assert_eq!(e, e2);
    assert_close(&dense(&jac), &[g], 1e-12);

    // A function that updates its input: the value is the updated copy.
    let (y, jac) = smooth_value_and_jacobian(&x);
    let mut expected = x.clone();
    smooth(&mut expected);
    assert_eq!(y, expected);
    assert_close(
        &dense(&jac),
        &fd_jacobian(
            |x| {
                let mut y = x.to_vec();
                smooth(&mut y);
                y
            },
            &x,
        ),
        1e-6,
    );
}

#[test]
fn value_gradient_and_hessian_is_the_gradient_and_the_hessian() {
    let x = x0();
    let (e, g, h) = energy_value_gradient_and_hessian(&x, A);
    assert_eq!((e, g.clone()), energy_gradient(&x, A));
    assert_eq!(e, energy(&x, A));
    assert_eq!(h, energy_hessian(&x, A));
    assert_close(
        &dense(&h),
        &fd_hessian(|x| energy_gradient(x, A).1, &x),
        1e-5,
    );

    let mut prep = energy_hessian_prepare(&x, A);
    let x1: Vec<f64> = x.iter().map(|v| v - 0.25).collect();
    let mut g1 = vec![f64::NAN; x.len()];
    let (e1, h1) = energy_value_gradient_and_hessian_prepared(&mut prep, &x1, A, &mut g1);
    assert_eq!(e1, energy(&x1, A));
    assert_eq!(*h1, energy_hessian(&x1, A));
    assert_eq!(g1, energy_gradient(&x1, A).1);
}

// ----- batches -------------------------------------------------------------------------

/// Each of `batch` is `one` of the same direction, to 1e-14 relative.
#[track_caller]
fn assert_each(batch: &[Vec<f64>], directions: &[Vec<f64>], one: impl Fn(&[f64]) -> Vec<f64>) {
    assert_eq!(batch.len(), directions.len(), "one result per direction");
    for (b, d) in batch.iter().zip(directions) {
        assert_close(std::slice::from_ref(b), &[one(d)], 1e-14);
    }
}

#[test]
fn batches_equal_one_direction_at_a_time() {
    let x = x0();
    let n = x.len();
    // 7 directions: two full sweeps of 3 lanes and one partial; 4 lanes; one lane.
    let dxs: Vec<Vec<f64>> = (0..7).map(|k| randoms(n, 10 + k)).collect();
    let dys: Vec<Vec<f64>> = (0..7).map(|k| randoms(n - 1, 20 + k)).collect();

    for (y, jdxs) in [
        stencil_jvp_batch::<3>(&x, A, &dxs),
        stencil_jvp_batch::<4>(&x, A, &dxs),
        stencil_jvp_batch::<1>(&x, A, &dxs),
    ] {
        assert_eq!(y, stencil(&x, A));
        assert_each(&jdxs, &dxs, |d| stencil_jvp(&x, A, d).1);
    }
    let (y, jtdys) = stencil_vjp_batch::<3>(&x, A, &dys);
    assert_eq!(y, stencil(&x, A));
    assert_each(&jtdys, &dys, |d| stencil_vjp(&x, A, d).1);
    // No directions: the value alone.
    let none: [&[f64]; 0] = [];
    assert_eq!(
        stencil_jvp_batch::<2>(&x, A, &none),
        (stencil(&x, A), vec![])
    );
    assert_eq!(
        stencil_vjp_batch::<2>(&x, A, &none),
        (stencil(&x, A), vec![])
    );

    // Output parameter.
    let mut y = vec![0.0; n];
    let jdxs = step_jvp_batch::<4>(&x, &mut y, H, &dxs);
    assert_eq!(y, step_value(&x));
    assert_each(&jdxs, &dxs, |d| step_jvp(&x, &mut vec![0.0; n], H, d));
    let dys: Vec<Vec<f64>> = (0..5).map(|k| randoms(n, 30 + k)).collect();
    let jtdys = step_vjp_batch::<2>(&x, &mut y, H, &dys);
    assert_each(&jtdys, &dys, |d| step_vjp(&x, &mut vec![0.0; n], H, d));

    // Scalar: directional derivatives and Hessian-vector products; slices work too.
    let slices: Vec<&[f64]> = dxs.iter().map(Vec::as_slice).collect();
    let (e, ds) = energy_jvp_batch::<4>(&x, A, &slices);
    assert_eq!(e, energy(&x, A));
    assert_each(
        &ds.iter().map(|d| vec![*d]).collect::<Vec<_>>(),
        &dxs,
        |d| vec![energy_jvp(&x, A, d).1],
    );
    let hvs = energy_hvp_batch::<3>(&x, A, &dxs);
    assert_each(&hvs, &dxs, |v| energy_hvp(&x, A, v));
    let h = fd_hessian(|x| energy_gradient(x, A).1, &x);
    for (hv, v) in hvs.iter().zip(&dxs) {
        assert_close(std::slice::from_ref(hv), &[matvec(&h, v)], 1e-5);
    }
}

#[test]
fn products_at_one_point_equal_hessian_vector_products() {
    let x = x0();
    let mut prep = energy_hessian_prepare(&x, A);
    let directions: Vec<Vec<f64>> = (0..9)
        .map(|k| {
            (0..x.len())
                .map(|i| ((k * 7 + i * 3) as f64).sin())
                .collect()
        })
        .collect();
    let at = energy_hvp_prepare_same_point(&mut prep, &x, A);
    let mut hv = vec![f64::NAN; x.len()];
    for v in &directions {
        at.hvp_into(v, &mut hv);
        assert_close(std::slice::from_ref(&hv), &[energy_hvp(&x, A, v)], 1e-12);
        assert_eq!(at.hvp(v), hv);
    }
    // Another point: the preparation is evaluated there, not reused from the first.
    let y: Vec<f64> = x.iter().map(|xi| 0.5 - xi).collect();
    let h = fd_hessian(|y| energy_gradient(y, A).1, &y);
    let at = energy_hvp_prepare_same_point(&mut prep, &y, A);
    for v in &directions {
        assert_close(&[at.hvp(v)], &[energy_hvp(&y, A, v)], 1e-12);
        assert_close(&[at.hvp(v)], &[matvec(&h, v)], 1e-5);
    }
}

#[test]
#[should_panic(expected = "asd: the product `hv` has length 5 but 6 was expected")]
fn a_same_point_product_buffer_of_the_wrong_length_is_refused() {
    let x = x0();
    let mut prep = energy_hessian_prepare(&x, A);
    energy_hvp_prepare_same_point(&mut prep, &x, A).hvp_into(&x, &mut [0.0; 5]);
}

#[test]
#[should_panic(expected = "asd: the direction `vs[1]` has length 5 but 6 was expected")]
fn a_batch_direction_of_the_wrong_length_is_refused() {
    energy_hvp_batch::<2>(&x0(), A, &[vec![0.0; 6], vec![0.0; 5]]);
}

// ----- functions of one real -----------------------------------------------------------

/// A curve in space.
#[sparse_diff]
fn curve(t: f64) -> Vec<f64> {
    vec![t.cos(), t.sin(), t * t]
}

/// A scalar function of one real, with a constant.
#[sparse_diff]
fn bump(t: f64, a: f64) -> f64 {
    (a * t).sin() * (-t * t).exp()
}

/// An ODE right-hand side, differentiated in time.
#[sparse_diff(wrt = t)]
fn rhs(u: &[f64], t: f64, k: f64) -> Vec<f64> {
    let mut du = vec![0.0; u.len()];
    for i in 0..u.len() {
        du[i] = -k * u[i] + (t * (i as f64 + 1.0)).sin() * u[(i + 1) % u.len()];
    }
    du
}

/// The same, writing its output parameter.
#[sparse_diff(wrt = t)]
fn rhs_into(u: &[f64], mut t: f64, du: &mut [f64]) {
    t *= 2.0;
    for i in 0..u.len() {
        du[i] = (t * u[i]).cos();
    }
}

/// The first and second central differences of `f` at `t`.
fn fd_derivatives(f: impl Fn(f64) -> Vec<f64>, t: f64) -> (Vec<f64>, Vec<f64>) {
    let h = 1e-4;
    let (p, z, m) = (f(t + h), f(t), f(t - h));
    let d1 = p.iter().zip(&m).map(|(p, m)| (p - m) / (2.0 * h)).collect();
    let d2 = (0..z.len())
        .map(|i| (p[i] - 2.0 * z[i] + m[i]) / (h * h))
        .collect();
    (d1, d2)
}

#[test]
fn a_curve_has_exact_derivatives() {
    for t in [0.0, 0.7, -2.3] {
        let d = curve_derivative(t);
        assert_close(
            std::slice::from_ref(&d),
            &[vec![-t.sin(), t.cos(), 2.0 * t]],
            1e-15,
        );
        let d2 = curve_second_derivative(t);
        assert_close(
            std::slice::from_ref(&d2),
            &[vec![-t.cos(), -t.sin(), 2.0]],
            1e-15,
        );
        assert_eq!(curve_value_and_derivative(t), (curve(t), d.clone()));
        assert_eq!(
            curve_value_derivative_and_second_derivative(t),
            (curve(t), d.clone(), d2)
        );
        // The other operators see a function of a one-element vector: its Jacobian is
        // a column, its JVP in the direction 1 the derivative.
        assert_eq!(curve_jvp(t, &[1.0]), (curve(t), d.clone()));
        let jac = curve_jacobian(t);
        assert_eq!(jac.shape(), (3, 1));
        assert_close(
            &dense(&jac),
            &d.iter().map(|v| vec![*v]).collect::<Vec<_>>(),
            1e-15,
        );
        assert_eq!(curve_vjp(t, &[1.0, 0.0, 0.0]).1, vec![-t.sin()]);
    }
}

#[test]
fn derivatives_of_a_scalar_function_of_one_real() {
    let a = 1.3;
    for t in [0.2, -0.9] {
        let (d1, d2) = fd_derivatives(|t| vec![bump(t, a)], t);
        let d = bump_derivative(t, a);
        assert_close(&[vec![d]], std::slice::from_ref(&d1), 1e-7);
        let dd = bump_second_derivative(t, a);
        assert_close(&[vec![dd]], &[d2], 1e-5);
        assert_eq!(bump_value_and_derivative(t, a), (bump(t, a), d));
        assert_eq!(
            bump_value_derivative_and_second_derivative(t, a),
            (bump(t, a), d, dd)
        );
        // Gradient and Hessian of a function of one real: 1 and 1 x 1.
        let (value, g) = bump_gradient(t, a);
        assert_eq!(value, bump(t, a));
        assert_close(&[g], &[vec![d]], 1e-14); // reverse mode, to rounding
        assert_eq!(dense(&bump_hessian(t, a)), vec![vec![dd]]);
    }
}

#[test]
fn derivatives_of_an_ode_right_hand_side_in_time() {
    let u = x0();
    let k = 0.4;
    for t in [0.3, 1.1] {
        let (d1, d2) = fd_derivatives(|t| rhs(&u, t, k), t);
        let d = rhs_derivative(&u, t, k);
        assert_close(std::slice::from_ref(&d), std::slice::from_ref(&d1), 1e-7);
        let dd = rhs_second_derivative(&u, t, k);
        assert_close(std::slice::from_ref(&dd), &[d2], 1e-5);
        assert_eq!(
            rhs_value_derivative_and_second_derivative(&u, t, k),
            (rhs(&u, t, k), d.clone(), dd)
        );
        // The Jacobian in time is the derivative as a column, every row non-zero.
        let jac = rhs_jacobian(&u, t, k);
        assert_eq!((jac.shape(), jac.nnz()), ((6, 1), 6));
        assert_close(&dense(&jac), &fd_jacobian(|t| rhs(&u, t[0], k), &[t]), 1e-6);
        // An output parameter receives the value; its derivative is returned.
        let mut du = vec![0.0; u.len()];
        let d = rhs_into_derivative(&u, t, &mut du);
        let value = |t| {
            let mut du = vec![0.0; u.len()];
            rhs_into(&u, t, &mut du);
            du
        };
        assert_eq!(du, value(t));
        assert_close(&[d], &[fd_derivatives(value, t).0], 1e-7);
    }
}

/// An in-place update with parameters besides its input.
#[sparse_diff]
fn relax(x: &mut [f64], w: f64, fixed: &[bool]) {
    for i in 1..x.len() {
        if !fixed[i] {
            x[i] += w * (x[i - 1] - x[i]).sin();
        }
    }
}

/// The value of an in-place update is computed with all its parameters (the mutation
/// test found `relax(&mut y)` generated, which did not compile).
#[test]
fn value_and_jacobian_of_an_in_place_update_with_parameters() {
    let x = x0();
    let fixed = [false, true, false, false, true, false];
    let value = |x: &[f64]| {
        let mut y = x.to_vec();
        relax(&mut y, 0.3, &fixed);
        y
    };
    let fd = fd_jacobian(value, &x);
    let (y, j) = relax_value_and_jacobian(&x, 0.3, &fixed);
    assert_eq!(y, value(&x));
    assert_close(&dense(&j), &fd, 1e-6);
    let mut prep = relax_jacobian_prepare(&x, 0.3, &fixed);
    let (y, j) = relax_value_and_jacobian_prepared(&mut prep, &x, 0.3, &fixed);
    assert_eq!(y, value(&x));
    assert_close(&dense(j), &fd, 1e-6);
}
