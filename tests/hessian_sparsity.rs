//! Global Hessian sparsity (`f_hessian_sparsity`, the `trace2` pass): every pattern
//! against one written by hand from the formula, and against the non-zeros of a finite
//! difference Hessian (central differences of the exact gradient from `f_jvp`) at a
//! random point: those must be in the pattern, and on these functions fill it.
// The functions are written in the index-loop style the macro differentiates, on purpose.
#![allow(clippy::assign_op_pattern, clippy::manual_memcpy)]

mod common;
mod problems;

use asd::__private::Trace2;
use asd::{sparse_diff, SparsityPattern};
use common::*;
use problems::*;

/// The symmetric pattern of a list of pairs (each pair in both triangles).
fn symmetric(n: usize, pairs: impl IntoIterator<Item = (usize, usize)>) -> SparsityPattern {
    let mut rows = vec![Vec::new(); n];
    for (i, j) in pairs {
        rows[i].push(j);
        rows[j].push(i);
    }
    SparsityPattern::from_rows(n, rows)
}

/// The pattern is exactly `expected`, and the finite-difference Hessian at a random
/// point is non-zero exactly there.
#[track_caller]
fn check(
    n: usize,
    sparsity: impl Fn(&[f64]) -> SparsityPattern,
    jvp: impl Fn(&[f64], &[f64]) -> f64,
    expected: SparsityPattern,
) {
    let x: Vec<f64> = randoms(n, 7).iter().map(|r| 0.5 + r).collect();
    check_at(&[x], sparsity, jvp, expected);
}

/// The pattern is exactly `expected`; at every point the finite-difference Hessian is
/// non-zero only inside it, and over all the points everywhere in it (a function with
/// branches on reals needs a point per arm).
#[track_caller]
fn check_at(
    points: &[Vec<f64>],
    sparsity: impl Fn(&[f64]) -> SparsityPattern,
    jvp: impl Fn(&[f64], &[f64]) -> f64,
    expected: SparsityPattern,
) {
    let n = points[0].len();
    let pattern = sparsity(&points[0]);
    assert_eq!(pattern.shape(), (n, n));
    assert!(pattern.is_symmetric());
    assert_eq!(
        pattern, expected,
        "traced:\n{pattern}\nexpected:\n{expected}"
    );
    let mut seen = vec![Vec::new(); n];
    for x in points {
        assert_eq!(
            sparsity(x),
            pattern,
            "the pattern must not depend on the point"
        );
        let fd = fd_hessian(|x| gradient_by_jvp(&jvp, x), x);
        for i in 0..n {
            for j in 0..n {
                if fd[i][j].abs() > 1e-6 * (1.0 + fd[i][j].abs()) {
                    assert!(
                        pattern.contains(i, j),
                        "FD Hessian entry ({i}, {j}) = {} lies outside the pattern",
                        fd[i][j]
                    );
                    seen[i].push(j);
                }
            }
        }
    }
    let fd_pattern = SparsityPattern::from_rows(n, seen);
    assert_eq!(
        fd_pattern, pattern,
        "the pattern is not exact at the points"
    );
}

fn diagonal(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).map(|i| (i, i))
}

// (a) H1: diagonal plus the last row and column.
#[test]
fn arwhead_is_diagonal_plus_last_row_and_column() {
    let n = 10;
    let expected = symmetric(n, diagonal(n).chain((0..n).map(|i| (i, n - 1))));
    check(
        n,
        arwhead_hessian_sparsity,
        |x, dx| arwhead_jvp(x, dx).1,
        expected,
    );
    let n = 1000;
    let p = arwhead_hessian_sparsity(&point(n));
    assert_eq!(p.nnz(), 3 * n - 2);
    assert_eq!(p.row(n - 1).len(), n);
    assert_eq!(p.row(3), &[3, n - 1]);
}

// (b) products, exp/sin, abs, squares: `problems::mixed`.
#[test]
fn products_and_nonlinear_functions_add_exactly_their_interactions() {
    let n = 9;
    let expected = symmetric(
        n,
        diagonal(n)
            .chain((0..n - 2).map(|i| (i, i + 2)))
            .chain([(0, n - 1)]),
    );
    check(
        n,
        mixed_hessian_sparsity,
        |x, dx| mixed_jvp(x, dx).1,
        expected,
    );
}

#[sparse_diff]
fn no_diagonal(x: &[f64], c: f64) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n - 2 {
        s += x[i] * x[i + 2] + x[i].abs() + c * x[i + 1] + x[i].max(x[i + 1])
            - x[i + 2].min(c) * 2.0;
    }
    -s + (x[0] - x[1]) * c
}

#[test]
fn the_diagonal_appears_only_where_it_may_be_nonzero() {
    let n = 8;
    let expected = symmetric(n, (0..n - 2).map(|i| (i, i + 2)));
    check(
        n,
        |x| no_diagonal_hessian_sparsity(x, 1.5),
        |x, dx| no_diagonal_jvp(x, 1.5, dx).1,
        expected,
    );
}

// Every second-order class of the table of rules, each on its own inputs.
#[sparse_diff]
fn classes(x: &[f64]) -> f64 {
    x[0].sin()
        + x[1].tanh()
        + x[2].sqrt()
        + x[3].ln()
        + x[4].max(x[5])
        + x[6].min(x[7])
        + x[8].abs()
        + x[9].powf(x[10])
        + x[11] / x[12]
        + 2.0 / x[13]
        + x[14].hypot(x[15])
        + x[16].mul_add(x[17], x[18])
        + x[19].atan2(x[20])
        + x[21].powi(3)
        + -x[22] * 3.0
}

#[test]
fn each_class_of_the_table_adds_its_own_interactions() {
    let n = 23;
    let expected = symmetric(
        n,
        [
            (0, 0),
            (1, 1),
            (2, 2),
            (3, 3), // unary nonlinear: the square of the argument
            (9, 9),
            (9, 10),
            (10, 10), // powf: all pairs
            (11, 12),
            (12, 12), // division: cross term and the denominator's square
            (13, 13), // constant numerator
            (14, 14),
            (14, 15),
            (15, 15), // hypot
            (16, 17), // mul_add: the product only
            (19, 19),
            (19, 20),
            (20, 20), // atan2
            (21, 21), // powi
        ],
    );
    let x: Vec<f64> = randoms(n, 11).iter().map(|r| 1.5 + 0.25 * r).collect();
    check_at(
        &[x],
        classes_hessian_sparsity,
        |x, dx| classes_jvp(x, dx).1,
        expected,
    );
}

// (c) H2 and H3 against the pattern written from the formula, window by window.
#[test]
fn bdqrtic_is_a_band_plus_the_last_row_and_column() {
    let n = 12;
    let mut pairs = Vec::new();
    for i in 0..n - 4 {
        pairs.push((i, i)); // (-4 x[i] + 3)^2
        let window = [i, i + 1, i + 2, i + 3, n - 1]; // b^2
        for &p in &window {
            for &q in &window {
                pairs.push((p, q));
            }
        }
    }
    check(
        n,
        bdqrtic_hessian_sparsity,
        |x, dx| bdqrtic_jvp(x, dx).1,
        symmetric(n, pairs),
    );
    // Band of half-width 3 over 0..n-1, plus the last row and column.
    let n = 1000;
    let p = bdqrtic_hessian_sparsity(&point(n));
    let band = |i: usize| (i.saturating_sub(3)..=(i + 3).min(n - 2)).count();
    let nnz: usize = (0..n - 1).map(|i| band(i) + 1).sum::<usize>() + n;
    assert_eq!(p.nnz(), nnz);
}

fn bratu_expected(nn: usize) -> SparsityPattern {
    let mut pairs = Vec::new();
    for j in 0..nn {
        for i in 0..nn {
            let c = i + nn * j;
            pairs.push((c, c));
            if i + 1 < nn {
                pairs.push((c, c + 1));
            }
            if j + 1 < nn {
                pairs.push((c, c + nn));
            }
        }
    }
    symmetric(nn * nn, pairs)
}

#[test]
fn bratu2d_is_the_five_point_stencil() {
    let nn = 5;
    check(
        nn * nn,
        |x| bratu2d_hessian_sparsity(x, nn),
        |x, dx| bratu2d_jvp(x, nn, dx).1,
        bratu_expected(nn),
    );
    let nn = 60;
    let p = bratu2d_hessian_sparsity(&point(nn * nn), nn);
    assert_eq!(p, bratu_expected(nn));
    assert_eq!(p.nnz(), nn * nn + 4 * nn * (nn - 1));
}

/// H3 at scale, n = 10^6: `cargo test --release --test hessian_sparsity -- --ignored --nocapture`.
#[test]
#[ignore = "scale: run in release"]
fn bratu2d_at_scale() {
    let nn = 1000;
    let x = point(nn * nn);
    let t = std::time::Instant::now();
    let p = bratu2d_hessian_sparsity(&x, nn);
    let traced = t.elapsed();
    println!(
        "bratu2d N={nn} (n={}): hessian_sparsity {traced:?}, nnz {}",
        nn * nn,
        p.nnz()
    );
    assert_eq!(p.nnz(), nn * nn + 4 * nn * (nn - 1));
}

// (d) a branch on a real runs both arms and joins them, returns included.
#[sparse_diff]
fn branchy(x: &[f64]) -> f64 {
    let mut s = x[5];
    if x[0] > 0.0 {
        s = x[1] * x[2];
    } else {
        s = s + x[3].sin();
    }
    s + x[4]
}

#[sparse_diff]
fn branch_return(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 1..x.len() {
        if s > 2.0 {
            return s * x[0];
        }
        s += x[i].exp();
    }
    s
}

#[test]
fn branches_on_reals_join_both_arms() {
    let x: Vec<f64> = randoms(6, 5).iter().map(|r| 0.5 + r).collect();
    let (mut pos, mut neg) = (x.clone(), x);
    pos[0] = 1.0;
    neg[0] = -1.0;
    let expected = symmetric(6, [(1, 2), (3, 3)]);
    check_at(
        &[pos, neg],
        branchy_hessian_sparsity,
        |x, dx| branchy_jvp(x, dx).1,
        expected,
    );
    // Every arm's return: a partial sum of exp(x[i]) (diagonal) times x[0] (cross
    // terms with every x[i] but the last, which no early return sees), or the sum.
    let n = 5;
    let p = branch_return_hessian_sparsity(&[0.0; 5]);
    assert_eq!(
        p,
        symmetric(n, (1..n).map(|i| (i, i)).chain((1..n - 1).map(|i| (0, i))))
    );
}

// (e) step functions contribute nothing, at first order or second.
#[sparse_diff]
fn steps(x: &[f64]) -> f64 {
    x[0].signum() * x[1] * x[2]
        + x[3].floor().exp()
        + x[4] * x[5].ceil()
        + (x[6] * x[7]).round()
        + x[8].trunc().sin()
        + (x[9] * x[9]).signum() * x[9]
}

#[test]
fn step_functions_contribute_nothing() {
    check(
        10,
        steps_hessian_sparsity,
        |x, dx| steps_jvp(x, dx).1,
        symmetric(10, [(1, 2)]),
    );
    let t = __asd_trace2_steps(&Trace2::seeds(10));
    assert_eq!(t.g.to_vec(), [1, 2, 4, 9]);
    let x = randoms(10, 3);
    assert_eq!(steps_jacobian_sparsity(&x).row(0), t.g.to_vec().as_slice());
}

// (f) calls between annotated functions: vector, out-parameter and scalar callees.
#[sparse_diff]
fn shifted_products(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut u = vec![0.0; n - 2];
    for i in 0..n - 2 {
        u[i] = x[i] * x[i + 2];
    }
    u
}

#[sparse_diff]
fn scaled(u: &[f64], y: &mut [f64]) {
    for i in 0..u.len() {
        y[i] = 2.0 * u[i] + 1.0;
    }
}

#[sparse_diff]
fn sum_plus_exp(v: &[f64]) -> f64 {
    let mut s = v[0].exp();
    for i in 0..v.len() {
        s += v[i];
    }
    s
}

#[sparse_diff]
fn chain(x: &[f64]) -> f64 {
    let u = shifted_products(x);
    let mut v = vec![0.0; u.len()];
    scaled(&u, &mut v);
    sum_plus_exp(&v)
}

#[test]
fn calls_compose_second_order() {
    // sum x[i] x[i+2], plus exp(x[0] x[2]): the square of {0, 2}.
    let n = 7;
    let expected = symmetric(n, (0..n - 2).map(|i| (i, i + 2)).chain([(0, 0), (2, 2)]));
    check(
        n,
        chain_hessian_sparsity,
        |x, dx| chain_jvp(x, dx).1,
        expected,
    );
    // The callees' tracers have their natural output types.
    let u: Vec<Trace2> = __asd_trace2_shifted_products(&Trace2::seeds(4));
    assert_eq!(u[1].g.to_vec(), [1, 3]);
    // x[1] x[3]: a constant second derivative, in `k`.
    assert_eq!(u[1].k.to_sorted_dedup(), [(1, 3)]);
    assert!(u[1].h.is_empty());
    let mut y = vec![Trace2::new(); 2];
    __asd_trace2_scaled(&u, &mut y);
    assert_eq!(y, u);
}

// (g) in-place vector updates.
#[sparse_diff]
fn in_place(x: &[f64]) -> f64 {
    let n = x.len();
    let mut y = vec![0.0; n];
    for i in 0..n {
        y[i] = x[i];
    }
    for i in 0..n {
        y[i] *= 3.0;
    }
    for i in 0..n {
        y[i] = y[i] * y[i];
    }
    for i in 0..n - 3 {
        y[i] += x[i + 3];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += y[i];
    }
    s += y[0] * y[1];
    s
}

#[test]
fn in_place_vector_updates_are_followed_exactly() {
    let n = 7;
    // y[i] = 9 x[i]^2 (+ x[i+3]); y[0] y[1] = {0, 3} x {1, 4}.
    let expected = symmetric(n, diagonal(n).chain([(0, 1), (0, 4), (3, 1), (3, 4)]));
    check(
        n,
        in_place_hessian_sparsity,
        |x, dx| in_place_jvp(x, dx).1,
        expected,
    );
}

#[sparse_diff]
fn recurrence(x: &[f64]) -> f64 {
    let n = x.len();
    let mut y = x.to_vec();
    for i in 1..n {
        y[i] = y[i] + y[i - 1] * x[i];
    }
    let mut z = vec![0.0; n];
    for i in 0..n {
        z[i] = y[i];
    }
    z[2] = z[0] + z[2];
    z[n - 1] * 2.0 + z[2]
}

#[test]
fn overwrites_and_aliasing_elements() {
    // y[1] = x1 + x0 x1, y[2] = x2 + y[1] x2, ...: every pair among 0..=i interacts
    // in y[i] except the diagonal, which needs a square.
    let n = 5;
    let pairs = (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j)));
    check(
        n,
        recurrence_hessian_sparsity,
        |x, dx| recurrence_jvp(x, dx).1,
        symmetric(n, pairs),
    );
}
