//! Constant entries: those the tracer proves constant (of an input that enters an output
//! linearly; whole rows, of outputs affine in the input; of Hessians, pairs of inputs
//! that interact through constant second derivatives only) are evaluated once, at the
//! first evaluation, and left out of the coloring after it (`JacobianOptions::
//! constant_entries`, `HessianOptions::constant_entries`, on by default). Every prepared
//! Jacobian and Hessian must still equal finite differences and the preparation without
//! constant entries, at every point; a kink (`abs`, `max`, `min`, a branch on a real),
//! the function's own or a callee's, turns it off. So for scaled rows, learned once per
//! key of the other parameters (`JacobianOptions::scaled_rows`).
#![allow(clippy::needless_range_loop)]

mod common;
mod problems;

use asd::{sparse_diff, HessianMethod, HessianOptions, JacobianOptions, Mode, ModeChoice};
use common::{assert_close, assert_sparse_matches, dense, fd_hessian, fd_jacobian, randoms};
// iter_diff (J1) is linear through and through: every row constant.
use problems::{
    bratu2d_gradient, bratu2d_hessian_prepare, bratu2d_hessian_prepare_with,
    bratu2d_hessian_prepared, iter_diff, iter_diff_jacobian_prepare,
    iter_diff_jacobian_prepare_with, iter_diff_jacobian_prepared,
};

/// Two linear constraints (one of them a dense row: every input) and a nonlinear
/// residual per input, as in a constrained optimisation.
#[sparse_diff]
fn constrained(x: &[f64], a: f64) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; n + 2];
    let mut total = 0.0;
    for i in 0..n {
        total += x[i];
    }
    y[0] = total - 1.0;
    y[1] = a * (x[0] - x[n - 1]);
    for i in 0..n {
        y[i + 2] = x[i] * x[i] - a * x[i].sin();
    }
    y
}

/// Affine rows, but with a kink elsewhere: the proof is given up.
#[sparse_diff]
fn kinked(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    y[0] = 2.0 * x[0] + x[1];
    for i in 1..x.len() {
        y[i] = x[i].abs() * x[i - 1];
    }
    y
}

/// A step: `floor` has a zero derivative, yet `x.floor() * x` is not affine.
#[sparse_diff]
fn stepped(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = (3.0 * x[i]).floor() * x[i];
    }
    y
}

#[sparse_diff]
fn branchy(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        if x[i] > 0.5 {
            y[i] = 2.0 * x[i];
        } else {
            y[i] = x[i];
        }
    }
    y
}

/// A helper with a kink, called on the input: its callers are not smooth either.
#[sparse_diff]
fn clip(u: &[f64]) -> Vec<f64> {
    let mut v = vec![0.0; u.len()];
    for i in 0..u.len() {
        v[i] = u[i].max(0.0);
    }
    v
}

#[sparse_diff]
fn calls_clip(x: &[f64]) -> Vec<f64> {
    let c = clip(x);
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = 3.0 * c[i] + x[i];
    }
    y
}

/// An output parameter, half its rows affine.
#[sparse_diff]
fn step(x: &[f64], y: &mut [f64], h: f64) {
    for i in 0..y.len() {
        if i % 2 == 0 {
            y[i] = x[i] + h * x[(i + 1) % x.len()];
        } else {
            y[i] = x[i] * x[(i + 1) % x.len()].cos();
        }
    }
}

fn points(n: usize) -> Vec<Vec<f64>> {
    (0..3)
        .map(|s| randoms(n, 10 + s).iter().map(|r| 0.3 + r).collect())
        .collect()
}

const A: f64 = 1.5;
fn without() -> JacobianOptions {
    JacobianOptions::default().with_constant_entries(false)
}

#[test]
fn affine_outputs_are_evaluated_once_and_skipped_after() {
    let n = 12;
    let x = &points(n)[0];
    let mut prep = constrained_jacobian_prepare(x, A);
    let mut plain = constrained_jacobian_prepare_with(x, A, &without());
    assert_eq!(prep.constant_rows(), 2);
    assert_eq!(plain.constant_rows(), 0);
    // The dense constant row no longer forces reverse mode: the rest is diagonal.
    assert_eq!((prep.mode(), prep.ncolors()), (Mode::Forward, 1));
    assert_eq!((plain.mode(), plain.ncolors()), (Mode::Reverse, 3));
    assert!(
        prep.to_string()
            .contains("14 of 26 entries constant (2 rows of 14), evaluated once"),
        "{prep}"
    );
    for p in points(n) {
        let fd = fd_jacobian(|x| constrained(x, A), &p);
        let pattern = prep.pattern().clone();
        let j = constrained_jacobian_prepared(&mut prep, &p, A);
        assert_sparse_matches(j, &pattern, &fd, 1e-6);
        let j = dense(j);
        assert_close(
            &j,
            &dense(constrained_jacobian_prepared(&mut plain, &p, A)),
            1e-12,
        );
        assert_close(&j, &dense(&constrained_jacobian(&p, A)), 1e-12);
    }
}

/// Two species on a ring: a diffusion stencil of strength `d` (constant entries) beside
/// a reaction that couples the species of each cell (varying entries), as the 2-D
/// Brusselator (J2) has.
#[sparse_diff]
fn reaction_diffusion(u: &[f64], d: f64) -> Vec<f64> {
    let n = u.len() / 2;
    let mut r = vec![0.0; 2 * n];
    for i in 0..n {
        let left = if i > 0 { i - 1 } else { n - 1 };
        let right = if i + 1 < n { i + 1 } else { 0 };
        let (a, b) = (u[i], u[n + i]);
        r[i] = d * (u[left] - 2.0 * a + u[right]) + a * a * b - 4.0 * a;
        r[n + i] = d * (u[n + left] - 2.0 * b + u[n + right]) + 3.0 * a - a * a * b;
    }
    r
}

#[test]
fn constant_entries_beside_varying_ones_are_left_out_of_the_coloring() {
    let n = 10;
    let u = &points(2 * n)[0];
    let mut prep = reaction_diffusion_jacobian_prepare(u, 1.0);
    let mut plain = reaction_diffusion_jacobian_prepare_with(u, 1.0, &without());
    // The neighbours' entries are constant, each cell's 2 x 2 block varies: 2 colors,
    // where the whole pattern (two coupled rings of 3-point stencils) takes 6.
    assert_eq!(
        (
            prep.constant_entries(),
            prep.constant_rows(),
            prep.ncolors()
        ),
        (4 * n, 0, 2)
    );
    assert_eq!((plain.constant_entries(), plain.ncolors()), (0, 6));
    // One sweep a thread: the same corrections, the same Jacobian.
    let two = JacobianOptions::default().with_threads(2).with_lanes(1);
    let mut parallel = reaction_diffusion_jacobian_prepare_with(u, 1.0, &two);
    assert_eq!(
        (parallel.threads(), parallel.constant_entries()),
        (2, 4 * n)
    );
    // Strong diffusion beside the reaction too: the constant entries' part subtracted
    // from a compressed product is then most of it.
    for d in [1.0, 1e4, 1.0, 0.0] {
        for p in points(2 * n) {
            let fd = fd_jacobian(|u| reaction_diffusion(u, d), &p);
            let pattern = prep.pattern().clone();
            let j = reaction_diffusion_jacobian_prepared(&mut prep, &p, d);
            assert_sparse_matches(j, &pattern, &fd, 1e-6 * (1.0 + d));
            let j = dense(j);
            let exact = dense(reaction_diffusion_jacobian_prepared(&mut plain, &p, d));
            assert_close(&j, &exact, 1e-12 * (1.0 + d));
            let on_threads = dense(reaction_diffusion_jacobian_prepared(&mut parallel, &p, d));
            assert_eq!(j, on_threads);
        }
    }
}

#[test]
fn a_linear_function_needs_no_sweep_after_the_first_evaluation() {
    let x = &points(10)[0];
    let mut prep = iter_diff_jacobian_prepare(x, 3);
    // One color of one lane remains, seeding no entry, and is not swept: the result
    // holds every entry. (A function that writes an output parameter still runs its
    // sweep, which gives the parameter its value.) Without constant rows: 4 colors.
    assert_eq!(
        (prep.constant_rows(), prep.ncolors(), prep.lanes()),
        (7, 1, 1)
    );
    let plain = iter_diff_jacobian_prepare_with(x, 3, &without());
    assert_eq!((plain.constant_rows(), plain.ncolors()), (0, 4));
    for p in points(10) {
        let fd = fd_jacobian(|x| iter_diff(x, 3), &p);
        let pattern = prep.pattern().clone();
        assert_sparse_matches(
            iter_diff_jacobian_prepared(&mut prep, &p, 3),
            &pattern,
            &fd,
            1e-6,
        );
    }
}

/// Linear, into an output parameter: every row constant, and the parameter still gets
/// its value at each evaluation.
#[sparse_diff]
fn differences_into(x: &[f64], y: &mut [f64]) {
    for i in 0..y.len() {
        y[i] = x[i + 1] - 2.0 * x[i];
    }
}

#[test]
fn a_linear_function_into_an_output_parameter_still_gives_it_its_value() {
    let x = &points(6)[0];
    let mut y = vec![0.0; 5];
    let mut prep = differences_into_jacobian_prepare(x, &mut y);
    assert_eq!(prep.constant_rows(), 5);
    for p in points(6) {
        let j = differences_into_jacobian_prepared(&mut prep, &p, &mut y);
        assert_eq!((j.get(2, 2), j.get(2, 3)), (Some(&-2.0), Some(&1.0)));
        let expected: Vec<f64> = (0..5).map(|i| p[i + 1] - 2.0 * p[i]).collect();
        assert_eq!(y, expected);
    }
}

#[test]
fn a_kink_or_a_branch_on_a_real_gives_up_the_proof() {
    let x = &points(6)[0];
    assert_eq!(kinked_jacobian_prepare(x).constant_entries(), 0);
    assert_eq!(branchy_jacobian_prepare(x).constant_entries(), 0);
    assert_eq!(calls_clip_jacobian_prepare(x).constant_entries(), 0);
    assert_eq!(stepped_jacobian_prepare(x).constant_entries(), 0);
    for p in points(6) {
        let fd = fd_jacobian(branchy, &p);
        let mut prep = branchy_jacobian_prepare(x);
        let pattern = prep.pattern().clone();
        assert_sparse_matches(
            branchy_jacobian_prepared(&mut prep, &p),
            &pattern,
            &fd,
            1e-6,
        );
    }
}

#[test]
fn an_output_parameter_has_constant_rows_too() {
    let n = 8;
    let x = &points(n)[0];
    let mut y = vec![0.0; n];
    let mut prep = step_jacobian_prepare(x, &mut y, 0.1);
    assert_eq!(prep.constant_rows(), n / 2);
    let value = |x: &[f64]| {
        let mut y = vec![0.0; x.len()];
        step(x, &mut y, 0.1);
        y
    };
    for p in points(n) {
        let fd = fd_jacobian(value, &p);
        let pattern = prep.pattern().clone();
        assert_sparse_matches(
            step_jacobian_prepared(&mut prep, &p, &mut y, 0.1),
            &pattern,
            &fd,
            1e-6,
        );
        assert_eq!(y, value(&p));
    }
}

/// Affine in `x`, with coefficients from the other parameters.
#[sparse_diff]
fn scaled(x: &[f64], a: f64, weights: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = a * weights[i] * x[i] + x[(i + 1) % x.len()];
    }
    y
}

pub struct Params {
    pub a: f64,
}

#[sparse_diff]
fn with_params(x: &[f64], p: &Params) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = p.a * x[i];
    }
    y
}

#[test]
fn constant_rows_follow_the_other_parameters() {
    let x = &points(5)[0];
    let w = [1.0, 2.0, 3.0, 4.0, 5.0];
    let mut prep = scaled_jacobian_prepare(x, 2.0, &w);
    assert_eq!(prep.constant_rows(), 5);
    for (a, w) in [(2.0, w), (3.0, w), (3.0, [0.5; 5]), (2.0, w)] {
        let fd = fd_jacobian(|x| scaled(x, a, &w), x);
        let pattern = prep.pattern().clone();
        assert_sparse_matches(
            scaled_jacobian_prepared(&mut prep, x, a, &w),
            &pattern,
            &fd,
            1e-6,
        );
    }
    // A parameter whose type has no key (a struct): every row is evaluated every time.
    let mut prep = with_params_jacobian_prepare(x, &Params { a: 2.0 });
    assert_eq!(prep.constant_entries(), 0);
    let j = with_params_jacobian_prepared(&mut prep, x, &Params { a: 3.0 });
    assert_eq!(j.get(1, 1), Some(&3.0));
}

#[test]
fn reverse_mode_asked_for_colors_the_varying_rows() {
    let n = 12;
    let x = &points(n)[0];
    let reverse = JacobianOptions::default().with_mode(ModeChoice::Reverse);
    let mut prep = constrained_jacobian_prepare_with(x, A, &reverse);
    // The residuals' diagonal in 1 row color; the two constant rows evaluated once.
    assert_eq!(
        (prep.mode(), prep.constant_rows(), prep.ncolors()),
        (Mode::Reverse, 2, 1)
    );
    for a in [A, 2.0 * A] {
        for p in points(n) {
            let fd = fd_jacobian(|x| constrained(x, a), &p);
            let pattern = prep.pattern().clone();
            let j = constrained_jacobian_prepared(&mut prep, &p, a);
            assert_sparse_matches(j, &pattern, &fd, 1e-6);
        }
    }
}

/// A nonlinear objective (a dense row) beside linear constraints: the varying entries
/// are one row, 1 color in reverse mode where forward mode needs one per input.
#[sparse_diff]
fn objective_and_constraints(x: &[f64], w: f64) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; n + 1];
    let mut e = 0.0;
    for i in 0..n {
        e += x[i] * x[i] + (w * x[i]).sin();
    }
    y[0] = e;
    for i in 0..n {
        y[i + 1] = x[i] - w * x[(i + 1) % n];
    }
    y
}

#[test]
fn a_dense_varying_row_beside_constant_ones_takes_reverse_mode() {
    let n = 10;
    let x = &points(n)[0];
    let mut prep = objective_and_constraints_jacobian_prepare(x, 0.5);
    let mut plain = objective_and_constraints_jacobian_prepare_with(x, 0.5, &without());
    assert_eq!(
        (prep.mode(), prep.ncolors(), prep.constant_entries()),
        (Mode::Reverse, 1, 2 * n),
        "{prep}"
    );
    assert!(plain.ncolors() > 1, "{plain}");
    let two = JacobianOptions::default().with_threads(2);
    let mut parallel = objective_and_constraints_jacobian_prepare_with(x, 0.5, &two);
    for w in [0.5, 3.0] {
        for p in points(n) {
            let fd = fd_jacobian(|x| objective_and_constraints(x, w), &p);
            let pattern = prep.pattern().clone();
            let j = objective_and_constraints_jacobian_prepared(&mut prep, &p, w);
            assert_sparse_matches(j, &pattern, &fd, 1e-6);
            let j = dense(j);
            let exact = dense(objective_and_constraints_jacobian_prepared(
                &mut plain, &p, w,
            ));
            assert_close(&j, &exact, 1e-12);
            let on_threads = objective_and_constraints_jacobian_prepared(&mut parallel, &p, w);
            assert_eq!(j, dense(on_threads));
        }
    }
}

/// Annotated functions calling themselves: the question whether they are smooth
/// recursed at compile time (a cycle of constants) and did not compile; it is now
/// answered at run time, up to a depth no call chain reaches without a cycle, after
/// which `false` (no constant rows) is the safe answer.
#[sparse_diff]
fn halves(x: &[f64], levels: usize) -> Vec<f64> {
    if levels == 0 {
        return x.to_vec();
    }
    let inner = halves(x, levels - 1);
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = 0.5 * inner[i] + 0.25 * x[(i + 1) % x.len()];
    }
    y
}

#[test]
fn a_function_calling_itself_is_not_proved_affine() {
    let x = &points(5)[0];
    let mut prep = halves_jacobian_prepare(x, 2);
    assert_eq!(prep.constant_entries(), 0);
    let pattern = prep.pattern().clone();
    let fd = fd_jacobian(|x| halves(x, 2), x);
    assert_sparse_matches(
        halves_jacobian_prepared(&mut prep, x, 2),
        &pattern,
        &fd,
        1e-6,
    );
}

/// Each kind of interaction the Hessian tracer tells constant from varying: a product
/// of three (every pair varies), a square of a difference and a difference of squares
/// (constant), a square of a product (varies), a nonlinear factor (varies), a square
/// and a product of inputs (constant), a function of a product (varies).
#[sparse_diff]
fn interactions(x: &[f64], a: f64) -> f64 {
    let d = x[3] - x[4];
    let p = x[5] * x[6];
    let q = (x[9] + x[10]) * (x[9] - x[10]);
    let mut s = x[0] * x[1] * x[2] + a * d * d + p * p + x[7].sin() * x[8] + q;
    s += 0.5 * x[11].powi(2) + x[11] * x[12];
    s + (x[13] * x[14]).exp()
}

/// Differences and squares computed by annotated helpers: the helpers' traces carry
/// their varying pairs (none for `differences`, the diagonal for `squares`) to the
/// caller.
#[sparse_diff]
fn differences(u: &[f64]) -> Vec<f64> {
    let mut d = vec![0.0; u.len() - 1];
    for i in 0..u.len() - 1 {
        d[i] = u[i + 1] - u[i];
    }
    d
}

#[sparse_diff]
fn squares(u: &[f64]) -> Vec<f64> {
    let mut s = vec![0.0; u.len()];
    for i in 0..u.len() {
        s[i] = u[i] * u[i];
    }
    s
}

#[sparse_diff]
fn through_calls(u: &[f64]) -> f64 {
    let d = differences(u);
    let s = squares(u);
    let mut e = 0.0;
    for i in 0..d.len() {
        e += d[i] * d[i];
    }
    for i in 0..s.len() {
        e += s[i] * s[i];
    }
    e
}

/// Quadratic: every entry constant, though they change with `a`.
#[sparse_diff]
fn quadratic(x: &[f64], a: f64) -> f64 {
    let mut e = 0.0;
    for i in 0..x.len() - 1 {
        e += a * (x[i + 1] - x[i]).powi(2) + x[i] * x[i + 1];
    }
    e
}

/// The same with a kink: no entry is proved constant.
#[sparse_diff]
fn kinked_energy(x: &[f64]) -> f64 {
    x[0].abs() * x[1] + (x[2] - x[3]).powi(2)
}

fn without_h() -> HessianOptions {
    HessianOptions::default().with_constant_entries(false)
}

#[test]
fn hessian_entries_of_constant_second_derivatives_are_evaluated_once() {
    let n = 15;
    let x = &points(n)[0];
    let mut prep = interactions_hessian_prepare(x, 1.0);
    let mut plain = interactions_hessian_prepare_with(x, 1.0, &without_h());
    // (3, 3), (3, 4), (4, 4) of `a d^2`; (9, 9), (9, 10), (10, 10) of `q`; (11, 11),
    // (11, 12) of the last line: both triangles, 11 entries.
    assert_eq!(prep.constant_entries(), 11, "{prep}");
    assert_eq!(plain.constant_entries(), 0);
    assert!(
        prep.to_string()
            .contains("11 of 28 entries constant, evaluated once"),
        "{prep}"
    );
    // `a` changes the constant entries: they are evaluated again.
    for a in [1.0, 5.0, 1.0] {
        for p in points(n) {
            let pattern = prep.pattern().clone();
            let fd = fd_hessian(|x| interactions_gradient(x, a).1, &p);
            let h = interactions_hessian_prepared(&mut prep, &p, a);
            assert_sparse_matches(h, &pattern, &fd, 1e-6 * (1.0 + a));
            let h = dense(h);
            let exact = dense(interactions_hessian_prepared(&mut plain, &p, a));
            assert_close(&h, &exact, 1e-12 * (1.0 + a));
        }
    }
}

#[test]
fn bratus_stencil_is_constant_and_its_diagonal_one_color() {
    let nn = 6;
    let u = &points(nn * nn)[0];
    let mut prep = bratu2d_hessian_prepare(u, nn);
    let mut plain = bratu2d_hessian_prepare_with(u, nn, &without_h());
    // The off-diagonal entries of the 5-point stencil, of `0.5 d^2`, are constant.
    assert_eq!(
        (prep.constant_entries(), prep.ncolors()),
        (4 * nn * (nn - 1), 1)
    );
    assert_eq!((plain.constant_entries(), plain.ncolors()), (0, 5));
    // On 2 threads: one sweep, so one thread.
    let two = HessianOptions::default().with_threads(2);
    let mut parallel = bratu2d_hessian_prepare_with(u, nn, &two);
    assert_eq!(parallel.threads(), 1);
    for p in points(nn * nn) {
        let pattern = prep.pattern().clone();
        let fd = fd_hessian(|u| bratu2d_gradient(u, nn).1, &p);
        let h = bratu2d_hessian_prepared(&mut prep, &p, nn);
        assert_sparse_matches(h, &pattern, &fd, 1e-6);
        let h = dense(h);
        assert_close(
            &h,
            &dense(bratu2d_hessian_prepared(&mut plain, &p, nn)),
            1e-12,
        );
        assert_eq!(h, dense(bratu2d_hessian_prepared(&mut parallel, &p, nn)));
    }
}

#[test]
fn a_kink_or_an_acyclic_coloring_keeps_every_hessian_entry() {
    let x = &points(15)[0];
    assert_eq!(kinked_energy_hessian_prepare(x).constant_entries(), 0);
    let acyclic = HessianOptions::default().with_method(HessianMethod::Acyclic);
    let prep = interactions_hessian_prepare_with(x, 1.0, &acyclic);
    assert_eq!(
        (prep.method(), prep.constant_entries()),
        (HessianMethod::Acyclic, 0)
    );
}

#[test]
fn hessian_entries_are_proved_constant_through_calls() {
    let n = 8;
    let x = &points(n)[0];
    let mut prep = through_calls_hessian_prepare(x);
    let mut plain = through_calls_hessian_prepare_with(x, &without_h());
    // `d[i]^2` gives constant entries, whose `d[i]` is linear; `s[i]^2 = u[i]^4`
    // varies, whose `s[i]` is not (known at run time, from the helper's trace): the
    // off-diagonal entries are constant, the diagonal takes 1 color.
    assert_eq!(
        (prep.constant_entries(), prep.ncolors()),
        (2 * (n - 1), 1),
        "{prep}"
    );
    for p in points(n) {
        let pattern = prep.pattern().clone();
        let fd = fd_hessian(|u| through_calls_gradient(u).1, &p);
        let h = through_calls_hessian_prepared(&mut prep, &p);
        assert_sparse_matches(h, &pattern, &fd, 1e-6);
        assert_close(
            &dense(h),
            &dense(through_calls_hessian_prepared(&mut plain, &p)),
            1e-12,
        );
    }
}

#[test]
fn a_quadratic_hessian_is_evaluated_once_per_parameter() {
    let n = 6;
    let x = &points(n)[0];
    let mut prep = quadratic_hessian_prepare(x, 1.0);
    assert_eq!(prep.constant_entries(), prep.pattern().nnz(), "{prep}");
    for a in [1.0, 2.5, 1.0] {
        for p in points(n) {
            let pattern = prep.pattern().clone();
            let fd = fd_hessian(|x| quadratic_gradient(x, a).1, &p);
            assert_sparse_matches(
                quadratic_hessian_prepared(&mut prep, &p, a),
                &pattern,
                &fd,
                1e-6,
            );
        }
    }
}

// Scaled rows: outputs that are each a function of one affine form of the input have
// rows that are varying multiples of constant ones, learned at the first evaluation
// (`JacobianOptions::scaled_rows`); every later Jacobian must still equal finite
// differences and the preparation that sweeps every color.

/// A layer of weights `w` (`m x 3`, over a window of the input) and a `tanh`.
#[sparse_diff]
fn layer(x: &[f64], w: &[f64], bias: f64) -> Vec<f64> {
    let m = x.len() - 2;
    let mut y = vec![0.0; m];
    for i in 0..m {
        let mut s = bias;
        for k in 0..3 {
            s += w[3 * i + k] * x[i + k];
        }
        y[i] = 0.5 * (2.0 * s).tanh();
    }
    y
}

/// The same into an output parameter, with a function of a function.
#[sparse_diff]
fn layer_into(x: &[f64], y: &mut [f64]) {
    for i in 0..y.len() {
        let s = x[i] - 0.5 * x[i + 1] + 0.25 * x[i + 2];
        y[i] = s.sin().exp();
    }
}

/// Steep: at large inputs every `tanh` saturates, and every row is zero.
#[sparse_diff]
fn steep(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len() - 1];
    for i in 0..x.len() - 1 {
        y[i] = (10.0 * (x[i] + x[i + 1])).tanh();
    }
    y
}

fn every_color() -> JacobianOptions {
    JacobianOptions::default().with_scaled_rows(false)
}

/// Within a few roundings of each other, entry by entry.
fn assert_same_entries(a: &asd::sprs::CsMat<f64>, b: &asd::sprs::CsMat<f64>) {
    assert_eq!(a.indices(), b.indices());
    for (u, v) in a.data().iter().zip(b.data()) {
        assert!((u - v).abs() <= 1e-14 * v.abs(), "{u} against {v}");
    }
}

#[test]
fn scaled_rows_are_learned_once_per_key_of_the_parameters() {
    let n = 12;
    let x = &points(n)[0];
    let weights = [randoms(3 * (n - 2), 1), randoms(3 * (n - 2), 2)];
    let mut prep = layer_jacobian_prepare(x, &weights[0], 0.1);
    let mut plain = layer_jacobian_prepare_with(x, &weights[0], 0.1, &every_color());
    assert_eq!((prep.ncolors(), prep.scaled_jvps()), (3, None));
    for w in [&weights[0], &weights[1], &weights[0]] {
        for (k, p) in points(n).iter().enumerate() {
            let fd = fd_jacobian(|x| layer(x, w, 0.1), p);
            let pattern = prep.pattern().clone();
            let j = layer_jacobian_prepared(&mut prep, p, w, 0.1);
            assert_sparse_matches(j, &pattern, &fd, 1e-6);
            assert_same_entries(j, layer_jacobian_prepared(&mut plain, p, w, 0.1));
            // Learned at the first point of each key, with fewer seeds than colors (one,
            // or two where a row's signed weights would cancel in one).
            let learned = prep.scaled_jvps().expect("learned");
            assert!(learned < prep.ncolors(), "point {k}: {learned} JVPs");
        }
    }
    assert_eq!(plain.scaled_jvps(), None);
}

#[test]
fn the_benchmark_convolution_sweeps_one_color_once_learned() {
    let x = problems::point(784);
    let mut prep = problems::conv_tanh_jacobian_prepare(&x);
    let mut plain = problems::conv_tanh_jacobian_prepare_with(&x, &every_color());
    assert_eq!(prep.ncolors(), 25);
    for s in 0..3 {
        let p: Vec<f64> = randoms(784, 20 + s);
        let expected = problems::conv_tanh_jacobian_prepared(&mut plain, &p).clone();
        assert_same_entries(
            problems::conv_tanh_jacobian_prepared(&mut prep, &p),
            &expected,
        );
        assert_eq!(prep.scaled_jvps(), Some(1));
    }
}

/// A dense layer of fixed weights `w` (`m x n`, row by row).
#[sparse_diff]
fn dense_layer(x: &[f64], w: &[f64], m: usize) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; m];
    for i in 0..m {
        let mut s = 0.0;
        for j in 0..n {
            s += w[i * n + j] * x[j];
        }
        y[i] = s.tanh();
    }
    y
}

#[test]
fn a_dense_layer_learned_from_reverse_sweeps_makes_one_jvp() {
    let (m, n) = (4, 10);
    // Positive weights: one seed of every input cancels no row.
    let w: Vec<f64> = randoms(m * n, 5).iter().map(|r| 0.5 + r.abs()).collect();
    let x = &points(n)[0];
    let mut prep = dense_layer_jacobian_prepare(x, &w, m);
    let quiet = every_color().with_warn(false);
    let mut plain = dense_layer_jacobian_prepare_with(x, &w, m, &quiet);
    assert_eq!((prep.mode(), prep.ncolors()), (Mode::Reverse, 4));
    for p in points(n) {
        let fd = fd_jacobian(|x| dense_layer(x, &w, m), &p);
        let pattern = prep.pattern().clone();
        let j = dense_layer_jacobian_prepared(&mut prep, &p, &w, m);
        assert_sparse_matches(j, &pattern, &fd, 1e-6);
        assert_same_entries(j, dense_layer_jacobian_prepared(&mut plain, &p, &w, m));
        assert_eq!(prep.scaled_jvps(), Some(1));
    }
}

/// A branch on its own argument, which picks its derivative.
#[sparse_diff]
fn leaky(t: f64) -> f64 {
    if t > 0.0 {
        t
    } else {
        0.1 * t
    }
}

/// A layer whose activation is a function of one real.
#[sparse_diff]
fn leaky_layer(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len() - 2];
    for i in 0..x.len() - 2 {
        y[i] = leaky(x[i] - 0.5 * x[i + 1] + x[i + 2]);
    }
    y
}

#[test]
fn an_activation_called_on_one_real_has_scaled_rows() {
    let first = [0.3, -0.2, 0.5, -0.4, 0.1, 0.6];
    let mut prep = leaky_layer_jacobian_prepare(&first);
    let mut plain = leaky_layer_jacobian_prepare_with(&first, &every_color());
    for p in [
        first,
        [-0.3, 0.2, -0.5, 0.4, -0.1, 0.2],
        [0.7, 0.1, 0.2, -0.9, 0.3, -0.2],
    ] {
        let fd = fd_jacobian(leaky_layer, &p);
        let pattern = prep.pattern().clone();
        let j = leaky_layer_jacobian_prepared(&mut prep, &p);
        assert_sparse_matches(j, &pattern, &fd, 1e-6);
        assert_same_entries(j, leaky_layer_jacobian_prepared(&mut plain, &p));
        assert_eq!(prep.scaled_jvps(), Some(1));
    }
}

/// `cbrt` has an infinite slope at 0: where a row's scale is infinite, its entry of a
/// zero weight is still 0, not `inf * 0`.
#[sparse_diff]
fn cube_roots(x: &[f64], w: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len() - 1];
    for i in 0..x.len() - 1 {
        y[i] = (x[i] + w[i] * x[i + 1]).cbrt();
    }
    y
}

#[test]
fn an_infinite_scale_is_left_to_the_sweeps_of_every_color() {
    let w = [0.0, 1.0, 2.0, 1.5];
    let first = [0.5, 0.3, 0.2, 0.4, 0.1];
    let mut prep = cube_roots_jacobian_prepare(&first, &w);
    let mut plain = cube_roots_jacobian_prepare_with(&first, &w, &every_color());
    for p in [first, [0.0, 0.3, 0.2, 0.4, 0.1], first] {
        let j = cube_roots_jacobian_prepared(&mut prep, &p, &w).clone();
        assert_eq!(
            j.data(),
            cube_roots_jacobian_prepared(&mut plain, &p, &w).data()
        );
        assert_eq!(prep.scaled_jvps(), Some(1));
    }
    let j = cube_roots_jacobian_prepared(&mut prep, &[0.0, 0.3, 0.2, 0.4, 0.1], &w);
    assert_eq!(
        (j.get(0, 0), j.get(0, 1)),
        (Some(&f64::INFINITY), Some(&0.0))
    );
}

#[test]
fn rows_zero_at_the_first_input_are_learned_at_a_later_one() {
    let saturated = vec![3.0; 6];
    let mut prep = steep_jacobian_prepare(&saturated);
    let j = steep_jacobian_prepared(&mut prep, &saturated);
    assert!(j.data().iter().all(|&v| v == 0.0));
    assert_eq!(prep.scaled_jvps(), None);
    for p in points(6) {
        let p: Vec<f64> = p.iter().map(|v| 0.1 * v).collect();
        let fd = fd_jacobian(steep, &p);
        let pattern = prep.pattern().clone();
        assert_sparse_matches(steep_jacobian_prepared(&mut prep, &p), &pattern, &fd, 1e-6);
        assert_eq!(prep.scaled_jvps(), Some(1));
    }
    // Saturated again: the learned rows give zero, as every color does.
    let j = steep_jacobian_prepared(&mut prep, &saturated);
    assert!(j.data().iter().all(|&v| v == 0.0));
}

#[test]
fn an_output_parameter_has_scaled_rows_too() {
    let x = &points(8)[0];
    let mut y = vec![0.0; 6];
    let mut prep = layer_into_jacobian_prepare(x, &mut y);
    for p in points(8) {
        let fd = fd_jacobian(
            |x| {
                let mut y = vec![0.0; 6];
                layer_into(x, &mut y);
                y
            },
            &p,
        );
        let pattern = prep.pattern().clone();
        assert_sparse_matches(
            layer_into_jacobian_prepared(&mut prep, &p, &mut y),
            &pattern,
            &fd,
            1e-6,
        );
        assert_eq!(prep.scaled_jvps(), Some(1));
    }
}

#[test]
fn products_and_branches_on_reals_have_no_scaled_rows() {
    // Each branch has scaled rows, but not the same: a row learned on one side would
    // be wrong on the other.
    let p = [0.4, 0.3, -0.2, 0.5, 0.1];
    let mut prep = switched_jacobian_prepare(&p);
    for sign in [1.0, -1.0, 1.0] {
        let p = [sign * 0.4, 0.3, -0.2, 0.5, 0.1];
        let fd = fd_jacobian(switched, &p);
        let pattern = prep.pattern().clone();
        assert_sparse_matches(
            switched_jacobian_prepared(&mut prep, &p),
            &pattern,
            &fd,
            1e-6,
        );
    }
    let mut kinked_prep = kinked_jacobian_prepare(&p);
    kinked_jacobian_prepared(&mut kinked_prep, &p);
    assert_eq!((prep.ncolors(), kinked_prep.ncolors()), (2, 2));
    assert_eq!(
        (prep.scaled_jvps(), kinked_prep.scaled_jvps()),
        (None, None)
    );
}

#[sparse_diff]
fn switched(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len() - 1];
    for i in 0..x.len() - 1 {
        if x[0] > 0.0 {
            y[i] = (x[i] + x[i + 1]).tanh();
        } else {
            y[i] = (x[i] - x[i + 1]).tanh();
        }
    }
    y
}
