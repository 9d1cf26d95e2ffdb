//! The language #[sparse_diff] accepts, construct by construct: every generated
//! Jacobian against central finite differences, every pattern against the exact one.
// The functions are written in the index-loop style the macro differentiates, on purpose.
#![allow(
    clippy::needless_range_loop,
    clippy::assign_op_pattern,
    clippy::useless_vec
)]

mod common;

use asd::sprs::CsMat;
use asd::{sparse_diff, JacobianOptions, SparsityPattern};
use common::*;

/// Pattern and sparse Jacobian of a function against the exact pattern and finite
/// differences.
#[track_caller]
fn check(
    x: &[f64],
    f: impl Fn(&[f64]) -> Vec<f64>,
    sparsity: impl Fn(&[f64]) -> SparsityPattern,
    jacobian: impl Fn(&[f64]) -> CsMat<f64>,
    rows: Vec<Vec<usize>>,
) {
    let fd = fd_jacobian(&f, x);
    let pattern = sparsity(x);
    assert_eq!(pattern, SparsityPattern::from_rows(x.len(), rows));
    assert_sparse_matches(&jacobian(x), &pattern, &fd, 1e-6);
}

#[sparse_diff]
fn toy(x: &[f64]) -> Vec<f64> {
    vec![x[0] * x[1] + x[2].signum(), x[2].signum() * x[3] / 2.0]
}

#[test]
fn seed_toy_function_drops_the_sign() {
    let x = [1.5, -2.0, 0.3, 4.0];
    check(
        &x,
        toy,
        toy_jacobian_sparsity,
        toy_jacobian,
        vec![vec![0, 1], vec![3]],
    );
}

// The seed's Figure 1: f = h ∘ g with g: R^5 -> R^3 and h: R^3 -> R^4.
#[sparse_diff]
fn g(x: &[f64]) -> Vec<f64> {
    vec![x[0] * x[1], x[2].sin() + x[3], x[4].exp() * x[3]]
}

#[sparse_diff]
fn h(u: &[f64]) -> Vec<f64> {
    vec![u[0] + u[1], u[1] * u[1], u[2].cos(), u[0] * u[2]]
}

#[sparse_diff]
fn h_of_g(x: &[f64]) -> Vec<f64> {
    let u = g(x);
    h(&u)
}

#[test]
fn composition_differentiates_through_both_functions() {
    let x = [0.5, -1.0, 2.0, 0.7, -0.3];
    check(
        &x,
        h_of_g,
        h_of_g_jacobian_sparsity,
        h_of_g_jacobian,
        vec![vec![0, 1, 2, 3], vec![2, 3], vec![3, 4], vec![0, 1, 3, 4]],
    );
    // The chain rule: J_f = J_h(g(x)) J_g(x).
    let u = g(&x);
    let jg = dense(&g_jacobian(&x));
    let jh = dense(&h_jacobian(&u));
    let jf = dense(&h_of_g_jacobian(&x));
    let product: Vec<Vec<f64>> = (0..4)
        .map(|i| {
            (0..5)
                .map(|j| (0..3).map(|k| jh[i][k] * jg[k][j]).sum())
                .collect()
        })
        .collect();
    assert_close(&jf, &product, 1e-12);
}

#[sparse_diff]
fn in_place(y: &mut [f64], x: &[f64], scale: f64) {
    for i in 0..y.len() {
        y[i] = scale * x[i] * x[(i + 1) % x.len()];
    }
}

#[test]
fn output_parameter_is_written_and_differentiated() {
    let x = [1.0, 2.0, 3.0, 4.0];
    let mut y = [0.0; 4];
    let jac = in_place_jacobian(&mut y, &x, 2.0);
    assert_eq!(y, [4.0, 12.0, 24.0, 8.0], "the value lands in `y`");
    let fd = fd_jacobian(
        |x| {
            let mut y = [0.0; 4];
            in_place(&mut y, x, 2.0);
            y.to_vec()
        },
        &x,
    );
    let pattern = in_place_jacobian_sparsity(&mut y, &x, 2.0);
    assert_eq!(
        pattern,
        SparsityPattern::from_rows(4, vec![vec![0, 1], vec![1, 2], vec![2, 3], vec![0, 3]])
    );
    assert_sparse_matches(&jac, &pattern, &fd, 1e-6);
    let dy = in_place_jvp(&mut y, &x, 2.0, &[1.0, 0.0, 0.0, 0.0]);
    assert_eq!(dy, vec![4.0, 0.0, 0.0, 8.0]);
}

// The output parameter passed on to another annotated function, as it is (a reborrow)
// or as `&mut *y`: the callee writes it, in every pass.
#[sparse_diff]
fn passes_its_output_on(y: &mut [f64], x: &[f64], scale: f64) {
    in_place(&mut *y, x, 3.0 * scale);
    let t = y[2];
    in_place(y, x, scale);
    y[0] += x[1] * y[1] + t;
}

#[test]
fn an_output_parameter_passed_on_is_written_by_the_callee() {
    let f = |x: &[f64]| {
        let mut y = [0.0; 4];
        passes_its_output_on(&mut y, x, 2.0);
        y.to_vec()
    };
    for seed in 1..3 {
        let x = randoms(4, seed);
        let mut y = [0.0; 4];
        let jac = passes_its_output_on_jacobian(&mut y, &x, 2.0);
        assert_eq!(y.to_vec(), f(&x), "the value lands in `y`");
        let pattern = passes_its_output_on_jacobian_sparsity(&mut y, &x, 2.0);
        assert_sparse_matches(&jac, &pattern, &fd_jacobian(f, &x), 1e-6);
        assert_adjoint(
            4,
            4,
            |d| passes_its_output_on_jvp(&mut [0.0; 4], &x, 2.0, d),
            |d| passes_its_output_on_vjp(&mut [0.0; 4], &x, 2.0, d),
        );
    }
}

// An output parameter whose values from the caller the function reads (a state it
// updates): every run an operator makes starts from them again, whatever the sweeps.
#[sparse_diff]
fn scales_its_output(y: &mut [f64], x: &[f64]) {
    for i in 0..y.len() {
        y[i] = y[i] * x[i] * x[(i + 1) % x.len()];
    }
    y[0] += y[1] * x[0];
}

#[test]
fn an_output_read_before_it_is_written_starts_every_sweep_from_the_callers_values() {
    let y0 = [2.0, -1.0, 0.5];
    let f = |x: &[f64]| {
        let mut y = y0;
        scales_its_output(&mut y, x);
        y.to_vec()
    };
    let one_lane = [
        JacobianOptions::forward().with_lanes(1),
        JacobianOptions::reverse().with_lanes(1),
        JacobianOptions::default(),
    ];
    for options in one_lane {
        let mut prep =
            scales_its_output_jacobian_prepare_with(&mut y0.clone(), &randoms(3, 1), &options);
        for seed in 2..5 {
            let x = randoms(3, seed);
            let mut y = y0;
            let j = scales_its_output_jacobian_prepared(&mut prep, &mut y, &x).clone();
            assert_eq!(y.to_vec(), f(&x), "the value lands in `y`");
            assert_sparse_matches(&j, prep.pattern(), &fd_jacobian(f, &x), 1e-6);
        }
    }
    let x = randoms(3, 7);
    let fd = fd_jacobian(f, &x);
    let columns =
        scales_its_output_jvp_batch::<1>(&mut y0.clone(), &x, &[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]);
    assert_close(
        &columns,
        &[
            fd.iter().map(|r| r[0]).collect(),
            fd.iter().map(|r| r[2]).collect(),
        ],
        1e-6,
    );
    let rows =
        scales_its_output_vjp_batch::<1>(&mut y0.clone(), &x, &[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
    assert_close(&rows, &fd[..2], 1e-6);
}

// The same state passed on to an annotated callee that reads it: every run of the
// caller starts from the caller's values too.
#[sparse_diff]
fn scales_it_through_a_call(y: &mut [f64], x: &[f64]) {
    scales_its_output(y, x);
}

#[test]
fn an_output_passed_to_a_callee_that_reads_it_starts_every_sweep_from_the_callers_values() {
    let y0 = [2.0, -1.0, 0.5];
    let f = |x: &[f64]| {
        let mut y = y0;
        scales_it_through_a_call(&mut y, x);
        y.to_vec()
    };
    for options in [
        JacobianOptions::forward().with_lanes(1),
        JacobianOptions::reverse().with_lanes(1),
    ] {
        let mut prep = scales_it_through_a_call_jacobian_prepare_with(
            &mut y0.clone(),
            &randoms(3, 1),
            &options,
        );
        for seed in 2..4 {
            let x = randoms(3, seed);
            let mut y = y0;
            let j = scales_it_through_a_call_jacobian_prepared(&mut prep, &mut y, &x).clone();
            assert_eq!(y.to_vec(), f(&x), "the value lands in `y`");
            assert_sparse_matches(&j, prep.pattern(), &fd_jacobian(f, &x), 1e-6);
        }
    }
    let x = randoms(3, 7);
    let fd = fd_jacobian(f, &x);
    let columns = scales_it_through_a_call_jvp_batch::<1>(&mut y0.clone(), &x, &[[0.0, 1.0, 0.0]]);
    assert_close(&columns, &[fd.iter().map(|r| r[1]).collect()], 1e-6);
}

// A preparation holds for the values of the constants that shape it (an index, a
// branch) it was made with: an evaluation with others prepares again, one with another
// coefficient does not need to.
#[sparse_diff]
fn picks(x: &[f64], k: usize, linear: bool, c: f64) -> Vec<f64> {
    let y0 = if linear {
        2.0 * x[0] + x[1]
    } else {
        x[0] * x[1]
    };
    vec![c * x[k] * x[k], y0]
}

#[sparse_diff]
fn coupled_energy(x: &[f64], couple: bool) -> f64 {
    let mut s = x[0] * x[0] + x[1] * x[1];
    if couple {
        s += x[0] * x[1];
    }
    s
}

/// Constants whose pattern depends on a tuple slice (which has a key) and on a struct
/// (which has none: each evaluation prepares again).
pub struct Pick {
    pub k: usize,
}

#[sparse_diff]
fn by_edges(x: &[f64], edges: &[(usize, usize, f64)], p: &Pick) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for &(i, j, w) in edges {
        y[i] += w * x[i] * x[j];
    }
    y[1] += x[0] * x[p.k];
    y
}

#[test]
fn constants_without_a_key_prepare_again_and_tuples_have_one() {
    let x = randoms(3, 8);
    let mut prep = by_edges_jacobian_prepare(&x, &[(0, 1, 1.0)], &Pick { k: 1 });
    for (edges, k) in [
        ([(0, 1, 1.0)], 1),
        ([(0, 2, 1.0)], 1),
        ([(0, 2, 1.0)], 2),
        ([(2, 1, 0.5)], 0),
    ] {
        let p = Pick { k };
        let j = by_edges_jacobian_prepared(&mut prep, &x, &edges, &p).clone();
        let fd = fd_jacobian(|x| by_edges(x, &edges, &p), &x);
        assert_sparse_matches(&j, &by_edges_jacobian_sparsity(&x, &edges, &p), &fd, 1e-6);
    }
}

#[test]
fn a_preparation_prepares_again_when_the_constants_that_shape_it_change() {
    let mut prep = picks_jacobian_prepare(&randoms(3, 1), 1, true, 0.5);
    let ncolors = prep.ncolors();
    for (seed, k, linear, c) in [
        (2, 1, true, 2.0),
        (3, 2, true, 2.0),
        (4, 2, false, 0.5),
        (5, 1, false, 1.5),
    ] {
        let x = randoms(3, seed);
        let j = picks_jacobian_prepared(&mut prep, &x, k, linear, c).clone();
        let fd = fd_jacobian(|x| picks(x, k, linear, c), &x);
        assert_sparse_matches(&j, &picks_jacobian_sparsity(&x, k, linear, c), &fd, 1e-6);
        if (k, linear) == (1, true) {
            assert_eq!(prep.ncolors(), ncolors, "the same preparation");
        }
    }
    let x = randoms(2, 6);
    let mut prep = coupled_energy_hessian_prepare(&x, false);
    let h = dense(coupled_energy_hessian_prepared(&mut prep, &x, true));
    assert_eq!(h, vec![vec![2.0, 1.0], vec![1.0, 2.0]]);
    let h = dense(coupled_energy_hessian_prepared(&mut prep, &x, false));
    assert_eq!(h, vec![vec![2.0, 0.0], vec![0.0, 2.0]]);
}

#[sparse_diff(wrt = p)]
fn with_respect_to(w: &[f64], p: &[f64], idx: &[usize]) -> Vec<f64> {
    let mut y = vec![0.0; idx.len()];
    for k in 0..idx.len() {
        y[k] = w[k] * p[idx[k]].powi(3);
    }
    y
}

#[test]
fn wrt_names_the_input_and_other_slices_are_constants() {
    let w = [1.0, 2.0, 3.0];
    let idx = [2usize, 0, 2];
    let p = [0.5, 1.5, 2.5];
    check(
        &p,
        |p| with_respect_to(&w, p, &idx),
        |p| with_respect_to_jacobian_sparsity(&w, p, &idx),
        |p| with_respect_to_jacobian(&w, p, &idx),
        vec![vec![2], vec![0], vec![2]],
    );
}

#[sparse_diff]
fn shadowing_blocks_and_compound(x: &[f64], flag: bool) -> Vec<f64> {
    let n = x.len();
    let y: f64 = x[0] * 2.0;
    let y = y + x[1];
    let mut out = Vec::with_capacity(n);
    {
        let y = y * y;
        out.push(y);
    }
    let mut acc = 1.0;
    acc *= x[2];
    acc /= x[3];
    acc -= x[1];
    acc += if flag { x[0] } else { 0.0 };
    out.push(acc);
    let v = if x[0] > 0.0 { x[1] } else { x[2] };
    out.push(v);
    let c = std::f64::consts::PI * (n as f64);
    out.push(c * x[3]);
    out
}

#[test]
fn shadowing_blocks_and_compound_assignments() {
    let x = [0.7, -1.2, 2.0, 3.0];
    check(
        &x,
        |x| shadowing_blocks_and_compound(x, true),
        |x| shadowing_blocks_and_compound_jacobian_sparsity(x, true),
        |x| shadowing_blocks_and_compound_jacobian(x, true),
        vec![vec![0, 1], vec![0, 1, 2, 3], vec![1, 2], vec![3]],
    );
}

#[sparse_diff]
fn loops(x: &[f64], m: usize) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; n];
    for i in (0..n).rev() {
        y[i] = x[i];
    }
    for i in (0..n).step_by(2) {
        y[i] += x[(i + n - 1) % n];
    }
    for i in 1..=m {
        for j in 0..m {
            y[i * m + j - m] *= x[j];
        }
    }
    let mut k = 0;
    while k + 1 < n {
        y[k] = y[k] + 0.5 * x[k + 1];
        k += 2;
    }
    y
}

#[test]
fn for_rev_step_by_inclusive_nested_and_while() {
    let x = [1.1, 0.9, 1.3, 0.7, 1.2, 0.8];
    let (n, m) = (6, 2);
    let mut rows: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    for i in (0..n).step_by(2) {
        rows[i].push((i + n - 1) % n);
    }
    for i in 1..=m {
        for j in 0..m {
            rows[i * m + j - m].push(j);
        }
    }
    for k in (0..n - 1).step_by(2) {
        rows[k].push(k + 1);
    }
    for r in &mut rows {
        r.sort_unstable();
        r.dedup();
    }
    check(
        &x,
        |x| loops(x, m),
        |x| loops_jacobian_sparsity(x, m),
        |x| loops_jacobian(x, m),
        rows,
    );
}

#[sparse_diff]
fn sweeps_in_place(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut v = x.to_vec();
    for _it in 0..3 {
        for i in 1..n {
            v[i] = v[i] * v[i - 1].sin();
        }
    }
    v
}

#[test]
fn in_place_updates_over_several_sweeps_are_traced_exactly() {
    let x = [0.9, 1.1, 0.8, 1.3, 0.6];
    let rows = (0..5).map(|i| (0..=i).collect()).collect();
    check(
        &x,
        sweeps_in_place,
        sweeps_in_place_jacobian_sparsity,
        sweeps_in_place_jacobian,
        rows,
    );
}

#[sparse_diff]
fn copy_of_input(x: &[f64], scale: bool) -> Vec<f64> {
    let mut y = x.to_vec();
    if scale {
        y[1] = 2.0 * y[1];
    }
    y
}

/// The Jacobian kernel's `x.to_vec()` shares the seed until written: returned as it is,
/// or written first, evaluation after evaluation of one preparation.
#[test]
fn a_copy_of_the_input_shares_the_seed_until_written() {
    let x = [0.5, -1.0, 2.0];
    let mut prep = copy_of_input_jacobian_prepare(&x, true);
    for scale in [false, true, true, false, true] {
        let jac = dense(copy_of_input_jacobian_prepared(&mut prep, &x, scale));
        assert_close(&jac, &fd_jacobian(|x| copy_of_input(x, scale), &x), 1e-8);
        let d = if scale { 2.0 } else { 1.0 };
        assert_eq!(jac[1][1], d);
    }
}

#[sparse_diff]
fn forward_difference_in_place(x: &[f64], k: usize) -> Vec<f64> {
    let mut w = x.to_vec();
    for t in 0..k {
        for i in 0..w.len() - 1 - t {
            w[i] = w[i + 1] - w[i];
        }
    }
    w
}

#[test]
fn the_overwrite_a_known_tool_gets_wrong() {
    // `w[i] = w[i + 1] - w[i]` in place: row i of the result depends on w[i..=i+k]
    // (fewer near the end, where the entries stop being updated).
    let x: Vec<f64> = (0..8).map(|i| (i as f64 * 0.37).cos()).collect();
    let (n, k) = (8, 3);
    let rows = (0..n)
        .map(|i| {
            let updates = (0..k).filter(|t| i < n - 1 - t).count();
            (i..=i + updates).collect()
        })
        .collect();
    check(
        &x,
        |x| forward_difference_in_place(x, k),
        |x| forward_difference_in_place_jacobian_sparsity(x, k),
        |x| forward_difference_in_place_jacobian(x, k),
        rows,
    );
}

#[sparse_diff]
fn branches_on_reals(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; n - 1];
    for i in 0..n - 1 {
        if x[i] > 1.0 {
            y[i] = x[i] * x[0];
        } else if x[i] < -1.0 {
            y[i] = x[i + 1].abs();
        } else {
            y[i] = 2.0;
        }
    }
    y
}

#[test]
fn branch_on_a_real_follows_the_branch_and_traces_both() {
    let x = [1.5, -2.0, 0.5, 3.0];
    // Global pattern: both arms joined, whatever branch this x takes.
    let rows = (0..3)
        .map(|i| {
            let mut r = vec![0, i, i + 1];
            r.sort_unstable();
            r.dedup();
            r
        })
        .collect();
    check(
        &x,
        branches_on_reals,
        branches_on_reals_jacobian_sparsity,
        branches_on_reals_jacobian,
        rows,
    );
}

#[sparse_diff]
fn early_return(x: &[f64], stop: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if i == stop {
            return s * x[i];
        }
        s += x[i] * x[i];
    }
    s
}

#[test]
fn early_return_inside_a_loop() {
    let x = [0.5, 1.5, -0.5, 2.0];
    check(
        &x,
        |x| vec![early_return(x, 2)],
        |x| early_return_jacobian_sparsity(x, 2),
        |x| early_return_jacobian(x, 2),
        vec![vec![0, 1, 2]],
    );
    check(
        &x,
        |x| vec![early_return(x, 9)],
        |x| early_return_jacobian_sparsity(x, 9),
        |x| early_return_jacobian(x, 9),
        vec![vec![0, 1, 2, 3]],
    );
}

#[sparse_diff]
fn early_return_on_real(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if s > 2.0 {
            return s;
        }
        s += x[i] * x[i];
    }
    s
}

#[test]
fn return_under_a_branch_on_a_real_is_joined() {
    // s = 1, 1.81, 2.45 > 2: returns at i = 3, away from the switch.
    let x = [1.0, 0.9, 0.8, 0.7];
    let p = early_return_on_real_jacobian_sparsity(&x);
    assert_eq!(p, SparsityPattern::from_rows(4, vec![vec![0, 1, 2, 3]]));
    let g = early_return_on_real_jacobian(&x);
    let fd = fd_jacobian(|x| vec![early_return_on_real(x)], &x);
    assert_close(&dense(&g), &fd, 1e-6);
}

fn weight(i: usize, n: usize) -> f64 {
    (i as f64 + 1.0) / n as f64
}

#[sparse_diff]
fn vectors_and_plain_calls(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut v = Vec::new();
    for i in 0..n {
        v.push(weight(i, n) * x[i]);
    }
    let w = vec![v[0], v[n - 1], 3.0];
    let mut z = w.clone();
    z[2] = z[2] + w[0] * w[1];
    let mut u = vec![1.0; 2];
    u[0] = x[1].max(x[2]);
    u[1] = x[0].min(4.0);
    z.push(u[0] + u[1]);
    z
}

#[test]
fn vectors_push_literals_clone_and_plain_calls() {
    let x = [0.3, 1.7, -0.4];
    check(
        &x,
        vectors_and_plain_calls,
        vectors_and_plain_calls_jacobian_sparsity,
        vectors_and_plain_calls_jacobian,
        vec![vec![0], vec![2], vec![0, 2], vec![0, 1, 2]],
    );
}

/// A recurrence: each pushed entry reads the one before it.
#[sparse_diff]
fn recurrence(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut w = vec![x[0] * 2.0];
    for i in 1..n {
        w.push(w[i - 1] * x[i] + w[i - 1]);
    }
    w
}

/// The same recurrence, reduced to a scalar: its gradient and Hessian code push too.
#[sparse_diff]
fn recurrence_last(x: &[f64]) -> f64 {
    let n = x.len();
    let mut w = vec![x[0] * 2.0];
    for i in 1..n {
        w.push(w[i - 1] * x[i] + w[i - 1]);
    }
    w[n - 1]
}

#[test]
fn a_push_may_read_the_vector_it_grows() {
    let x = [0.3, 1.7, -0.4, 0.9];
    let rows = (0..4).map(|i| (0..=i).collect()).collect();
    check(
        &x,
        recurrence,
        recurrence_jacobian_sparsity,
        recurrence_jacobian,
        rows,
    );
    // Reverse mode (the adjoint's forward sweep pushes too) gives the same matrix.
    let options = asd::JacobianOptions::reverse();
    let mut prep = recurrence_jacobian_prepare_with(&x, &options);
    assert_close(
        &dense(recurrence_jacobian_prepared(&mut prep, &x)),
        &dense(&recurrence_jacobian(&x)),
        1e-12,
    );
    let last = |x: &[f64]| vec![recurrence_last(x)];
    let g = recurrence_last_gradient(&x).1;
    assert_close(&[g], &fd_jacobian(last, &x), 1e-6);
    let h = fd_hessian(|x| recurrence_last_gradient(x).1, &x);
    assert_sparse_matches(
        &recurrence_last_hessian(&x),
        &recurrence_last_hessian_sparsity(&x),
        &h,
        1e-5,
    );
}

#[sparse_diff]
fn jvp_lanes(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = x[i].sin() * x[(i + 1) % x.len()].exp();
    }
    y
}

#[test]
fn jvp_equals_the_jacobian_times_the_direction() {
    let x = randoms(7, 1);
    let dx = randoms(7, 2);
    let (y, dy) = jvp_lanes_jvp(&x, &dx);
    assert_eq!(y, jvp_lanes(&x));
    let j = dense(&jvp_lanes_jacobian(&x));
    assert_close(&[dy], &[matvec(&j, &dx)], 1e-14);
}

#[test]
fn every_lane_count_gives_the_same_jacobian() {
    let x = randoms(40, 3);
    let reference = jvp_lanes_jacobian(&x);
    for lanes in asd::LANES {
        let options = asd::JacobianOptions {
            lanes: Some(lanes),
            ..Default::default()
        };
        let mut prep = jvp_lanes_jacobian_prepare_with(&x, &options);
        assert_eq!(prep.lanes(), lanes);
        assert_eq!(
            jvp_lanes_jacobian_prepared(&mut prep, &x),
            &reference,
            "{lanes} lanes"
        );
    }
}

/// Every function above, in reverse mode: the adjoint code agrees with the tangent code
/// (`<dy, J dx> = <Jᵀ dy, dx>`), and the row-compressed Jacobian with the forward one.
#[test]
fn every_function_agrees_in_reverse_mode() {
    let x = [0.7, -1.2, 2.0, 3.0, 0.4, -0.9];
    let n = x.len();
    macro_rules! both {
        ($m:expr, $jvp:expr, $vjp:expr) => {
            assert_adjoint(n, $m, |d| $jvp(d).1, |d| $vjp(d).1)
        };
    }
    assert_adjoint(4, 2, |d| toy_jvp(&x[..4], d).1, |d| toy_vjp(&x[..4], d).1);
    assert_adjoint(
        5,
        4,
        |d| h_of_g_jvp(&x[..5], d).1,
        |d| h_of_g_vjp(&x[..5], d).1,
    );
    for flag in [true, false] {
        let m = shadowing_blocks_and_compound(&x, flag).len();
        both!(m, |d| shadowing_blocks_and_compound_jvp(&x, flag, d), |d| {
            shadowing_blocks_and_compound_vjp(&x, flag, d)
        });
    }
    let m = loops(&x, 2).len();
    both!(m, |d| loops_jvp(&x, 2, d), |d| loops_vjp(&x, 2, d));
    both!(n, |d| sweeps_in_place_jvp(&x, d), |d| sweeps_in_place_vjp(
        &x, d
    ));
    let m = forward_difference_in_place(&x, 2).len();
    both!(m, |d| forward_difference_in_place_jvp(&x, 2, d), |d| {
        forward_difference_in_place_vjp(&x, 2, d)
    });
    let m = branches_on_reals(&x).len();
    both!(m, |d| branches_on_reals_jvp(&x, d), |d| {
        branches_on_reals_vjp(&x, d)
    });
    for stop in [1, 4, 9] {
        assert_adjoint(
            n,
            1,
            |d| vec![early_return_jvp(&x, stop, d).1],
            |d| early_return_vjp(&x, stop, d[0]).1,
        );
    }
    let r = [1.0, 0.9, 0.8, 0.7];
    assert_adjoint(
        4,
        1,
        |d| vec![early_return_on_real_jvp(&r, d).1],
        |d| early_return_on_real_vjp(&r, d[0]).1,
    );
    let m = vectors_and_plain_calls(&x).len();
    both!(m, |d| vectors_and_plain_calls_jvp(&x, d), |d| {
        vectors_and_plain_calls_vjp(&x, d)
    });
    let m = jvp_lanes(&x).len();
    both!(m, |d| jvp_lanes_jvp(&x, d), |d| jvp_lanes_vjp(&x, d));
    let (w, idx) = ([1.0, 2.0, 3.0], [2usize, 0, 2]);
    assert_adjoint(
        3,
        3,
        |d| with_respect_to_jvp(&w, &x[..3], &idx, d).1,
        |d| with_respect_to_vjp(&w, &x[..3], &idx, d).1,
    );
    let y0 = [0.5, -0.25, 1.0, 2.0];
    assert_adjoint(
        4,
        4,
        |d| in_place_jvp(&mut y0.clone(), &x[..4], 2.0, d),
        |d| in_place_vjp(&mut y0.clone(), &x[..4], 2.0, d),
    );

    let mut prep = loops_jacobian_prepare_with(&x, 2, &asd::JacobianOptions::reverse());
    let rev = dense(loops_jacobian_prepared(&mut prep, &x, 2));
    let mut prep = loops_jacobian_prepare_with(&x, 2, &asd::JacobianOptions::forward());
    assert_close(
        &rev,
        &dense(loops_jacobian_prepared(&mut prep, &x, 2)),
        1e-12,
    );
}

/// The scalar functions above, second order: Hessian-vector products against central
/// differences of the gradient, and the sparse Hessian against the same.
#[test]
fn scalar_functions_have_exact_hessians() {
    let x = [0.7, -1.2, 2.0, 3.0, 0.4, -0.9];
    for stop in [1, 4, 9] {
        let h = fd_hessian(|x| early_return_gradient(x, stop).1, &x);
        let v = randoms(x.len(), 5);
        assert_close(&[early_return_hvp(&x, stop, &v)], &[matvec(&h, &v)], 1e-5);
        assert_sparse_matches(
            &early_return_hessian(&x, stop),
            &early_return_hessian_sparsity(&x, stop),
            &h,
            1e-5,
        );
    }
    let r = [1.0, 0.9, 0.8, 0.7];
    let h = fd_hessian(|x| early_return_on_real_gradient(x).1, &r);
    assert_sparse_matches(
        &early_return_on_real_hessian(&r),
        &early_return_on_real_hessian_sparsity(&r),
        &h,
        1e-5,
    );
}

// Vectors the next loop writes wholly come from the pool without zeroing; the others
// must keep their zeros even when the pool hands back a buffer full of old values.
#[sparse_diff]
fn partly_filled(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut z = vec![0.0; n];
    for i in 1..n {
        z[i] = x[i] * x[i - 1];
    }
    let mut w = vec![0.0; n];
    for i in 0..n {
        w[i] = z[i] + x[i];
    }
    let mut v = vec![0.0; n + 1];
    for i in 0..n {
        v[i] = w[i] * 2.0;
    }
    v
}

#[test]
fn reused_buffers_keep_the_zeros_of_vectors_not_wholly_written() {
    let rows: Vec<Vec<usize>> = (0..5)
        .map(|i| if i == 0 { vec![0] } else { vec![i - 1, i] })
        .chain([vec![]])
        .collect();
    let mut prep = partly_filled_jacobian_prepare(&[1.0; 5]);
    for seed in 1..4 {
        let x = randoms(5, seed);
        let y = partly_filled(&x);
        assert_eq!((y[0], y[5]), (x[0] * 2.0, 0.0));
        let (value, dy) = partly_filled_jvp(&x, &randoms(5, seed + 10));
        assert_eq!((value, dy[5]), (y, 0.0));
        let j = partly_filled_jacobian_prepared(&mut prep, &x).clone();
        check(
            &x,
            partly_filled,
            partly_filled_jacobian_sparsity,
            |_| j.clone(),
            rows.clone(),
        );
    }
}

// Loop nests that write every element (`c = i + n * j`, then pairs `2 * k`, `2 * k +
// 1`), some stores constant: their vectors come from the pool unzeroed, and every
// element, derivative lanes included, is written again at each evaluation.
#[sparse_diff]
fn nest_filled(x: &[f64], n: usize) -> Vec<f64> {
    let nn = n * n;
    let mut r = vec![0.0; 2 * nn];
    for j in 0..n {
        for i in 0..n {
            let c = i + n * j;
            r[c] = x[c] * x[(c + 1) % nn];
            r[c + nn] = 1.5;
        }
    }
    let mut q = vec![0.0; 2 * nn];
    for k in 0..nn {
        q[2 * k + 1] = r[k + nn] * x[k];
        q[2 * k] = r[k] - 0.5;
    }
    q
}

#[test]
fn loop_nests_that_write_every_element_need_no_zeros() {
    let f = |x: &[f64]| nest_filled(x, 3);
    common::check_vector(
        &randoms(9, 1),
        f,
        |x| nest_filled_jacobian_sparsity(x, 3),
        |x| nest_filled_jacobian(x, 3),
        |x, d| nest_filled_jvp(x, 3, d).1,
        |x, d| nest_filled_vjp(x, 3, d).1,
    );
    for options in [JacobianOptions::forward(), JacobianOptions::reverse()] {
        let options = options.with_constant_entries(false);
        let mut prep = nest_filled_jacobian_prepare_with(&randoms(9, 2), 3, &options);
        let pattern = nest_filled_jacobian_sparsity(&randoms(9, 2), 3);
        for seed in 3..6 {
            let x = randoms(9, seed);
            let j = nest_filled_jacobian_prepared(&mut prep, &x, 3);
            assert_sparse_matches(j, &pattern, &fd_jacobian(f, &x), 1e-6);
        }
    }
}

#[sparse_diff]
fn overwritten_stores(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    // Element 0 first depends on every input (a set too large to be stored inline),
    // then is overwritten by a sum of two other values: the store replaces the set.
    let mut z = vec![0.0; n];
    let mut s = 0.0;
    for i in 0..n {
        s = s + x[i];
    }
    z[0] = s;
    z[0] = x[1] - x[2];
    // Three and four terms into elements of another vector, and into a scalar that held
    // a different set before.
    for i in 1..n - 2 {
        z[i] = x[i - 1] * x[i] + x[i + 2].sin() - x[i + 1];
    }
    let mut t = x[0] * 3.0;
    let u = t * 2.0;
    t = x[n - 1] + x[n - 2];
    z[n - 2] = t * u;
    z[n - 1] = z[0] * z[1] + t;
    z
}

#[test]
fn stores_of_several_terms_replace_the_old_set() {
    let n = 14;
    let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.1 * i as f64).collect();
    let mut rows: Vec<Vec<usize>> = vec![vec![1, 2]];
    rows.extend((1..n - 2).map(|i| vec![i - 1, i, i + 1, i + 2]));
    rows.push(vec![0, n - 2, n - 1]);
    rows.push(vec![0, 1, 2, 3, n - 2, n - 1]);
    check(
        &x,
        overwritten_stores,
        overwritten_stores_jacobian_sparsity,
        overwritten_stores_jacobian,
        rows,
    );
}

// The same when the vector is reassigned rather than declared.
#[sparse_diff]
fn refilled(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut z = vec![0.0; n];
    z[0] = x[1].sin();
    let first = z[0];
    z = vec![0.0; n];
    for i in 0..n {
        z[i] = x[i] * x[(i + 1) % n] + first;
    }
    z
}

#[test]
fn a_reassigned_vector_wholly_written_by_the_next_loop() {
    let rows: Vec<Vec<usize>> = (0..4)
        .map(|i| {
            let mut r = vec![1, i, (i + 1) % 4];
            r.sort();
            r.dedup();
            r
        })
        .collect();
    let mut prep = refilled_jacobian_prepare(&[1.0; 4]);
    for seed in 1..4 {
        let x = randoms(4, seed);
        let j = refilled_jacobian_prepared(&mut prep, &x).clone();
        check(
            &x,
            refilled,
            refilled_jacobian_sparsity,
            |_| j.clone(),
            rows.clone(),
        );
    }
}
