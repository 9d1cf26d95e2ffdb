//! The Jacobian benchmark problems (J1-J3 of PROBLEMS.md): generated patterns against
//! the exact ones, generated Jacobians against finite differences and against dense
//! forward mode.

mod common;
mod problems;

use asd::{JacobianOptions, SparsityPattern};
use common::*;
use problems::*;

#[test]
fn iter_diff_reproduces_the_seed_demonstration() {
    let x = point(10);
    let pattern = iter_diff_jacobian_sparsity(&x, 3);
    assert_eq!(pattern.shape(), (7, 10));
    assert_eq!(pattern.nnz(), 28);
    let exact = SparsityPattern::from_rows(10, (0..7).map(|i| (i..=i + 3).collect()).collect());
    assert_eq!(pattern, exact);

    // The coloring of every row (by default iter_diff's rows, all constant, are
    // evaluated once instead: tests/constant_entries.rs).
    let every_row = JacobianOptions::default().with_constant_entries(false);
    let mut prep = iter_diff_jacobian_prepare_with(&x, 3, &every_row);
    assert_eq!(prep.ncolors(), 4);
    assert_eq!(prep.colors(), &[0, 1, 2, 3, 0, 1, 2, 3, 0, 1]);
    let jac = iter_diff_jacobian_prepared(&mut prep, &x, 3);
    let expected: Vec<Vec<f64>> = (0..7)
        .map(|i| {
            let mut row = vec![0.0; 10];
            row[i..i + 4].copy_from_slice(&[-1.0, 3.0, -3.0, 1.0]);
            row
        })
        .collect();
    assert_sparse_matches(jac, &exact, &expected, 0.0);
}

#[test]
fn iter_diff_headline_case_has_k_plus_one_colors_and_exact_values() {
    let (n, k) = (1000, 10);
    let x = point(n);
    let pattern = iter_diff_jacobian_sparsity(&x, k);
    let exact = SparsityPattern::from_rows(n, (0..n - k).map(|i| (i..=i + k).collect()).collect());
    assert_eq!(
        pattern, exact,
        "overwrites in place must be traced exactly: k+1 nonzeros per row"
    );
    let every_row = JacobianOptions::default().with_constant_entries(false);
    let mut prep = iter_diff_jacobian_prepare_with(&x, k, &every_row);
    assert_eq!(prep.ncolors(), k + 1);
    // Binomial coefficients with alternating signs, exactly.
    let binom: Vec<f64> = (0..=k)
        .map(|j| {
            let c = (0..j).fold(1.0, |c, t| c * (k - t) as f64 / (t + 1) as f64);
            if (k - j) % 2 == 0 {
                c
            } else {
                -c
            }
        })
        .collect();
    let jac = iter_diff_jacobian_prepared(&mut prep, &x, k).clone();
    assert_eq!(jac.nnz(), exact.nnz(), "every entry of the band is stored");
    for (v, (i, j)) in jac.iter() {
        assert!(exact.contains(i, j), "entry ({i}, {j}) outside the band");
        assert_eq!(*v, binom[j - i], "entry ({i}, {j})");
    }
    // A second evaluation at another point reuses the preparation and gives the same.
    let x2: Vec<f64> = x.iter().map(|v| v * 2.0).collect();
    assert_eq!(iter_diff_jacobian_prepared(&mut prep, &x2, k), &jac);
}

#[test]
fn brusselator_pattern_is_exact_and_values_match_finite_differences() {
    let n = 6;
    let nn = n * n;
    let u = point(2 * nn);
    let pattern = brusselator_jacobian_sparsity(&u, n);
    let mut rows = Vec::new();
    for s in 0..2 {
        for j in 0..n {
            for i in 0..n {
                let at = |i: usize, j: usize, s: usize| i + n * j + nn * s;
                let mut r = vec![
                    at(i, j, s),
                    at((i + 1) % n, j, s),
                    at((i + n - 1) % n, j, s),
                    at(i, (j + 1) % n, s),
                    at(i, (j + n - 1) % n, s),
                    at(i, j, 1 - s),
                ];
                r.sort_unstable();
                r.dedup();
                rows.push(r);
            }
        }
    }
    assert_eq!(pattern, SparsityPattern::from_rows(2 * nn, rows));
    let jac = brusselator_jacobian(&u, n);
    let fd = fd_jacobian(|u| brusselator(u, n), &u);
    assert_sparse_matches(&jac, &pattern, &fd, 1e-6);
    let by_jvp = jacobian_by_jvp(|e| brusselator_jvp(&u, n, e).1, 2 * nn);
    assert_close(&dense(&jac), &by_jvp, 1e-12);
}

/// Every entry: ColPack's incidence-degree order needs 11 colors (PEERS.md), and so does
/// the best of our orders; the natural order's 12 take the same one sweep of 12 lanes.
/// Recoloring finds 8 (a palette of 8 in index order): one sweep of 8 lanes. Without it
/// the preparation keeps the natural order's 12. By default the diffusion's entries are
/// constant, and the reaction's 2 x 2 blocks take 2 colors.
#[test]
fn brusselator_n32_takes_one_sweep_of_eight_lanes() {
    let n = 32;
    let u = point(2 * n * n);
    let every_entry = asd::JacobianOptions::default().with_constant_entries(false);
    let prep = brusselator_jacobian_prepare_with(&u, n, &every_entry);
    assert_eq!((prep.ncolors(), prep.nsweeps(), prep.lanes()), (8, 1, 8));
    let prep = brusselator_jacobian_prepare(&u, n);
    assert_eq!(
        (prep.ncolors(), prep.constant_entries()),
        (2, 4 * 2 * n * n)
    );
    let plain = every_entry.with_recolor_rounds(0);
    let greedy = brusselator_jacobian_prepare_with(&u, n, &plain);
    assert_eq!(
        (greedy.ncolors(), greedy.nsweeps(), greedy.lanes()),
        (12, 1, 12)
    );
    let best = asd::coloring::color_columns_best(prep.pattern());
    assert!(best.ncolors() <= 8, "{} colors", best.ncolors());
    let mut prep = prep;
    let jac = brusselator_jacobian_prepared(&mut prep, &u, n).clone();
    let by_jvp = jacobian_by_jvp(|e| brusselator_jvp(&u, n, e).1, 2 * n * n);
    assert_close(&dense(&jac), &by_jvp, 1e-12);
}

/// A 3-D 7-point Laplacian with a cubic term on a `k x k x k` grid (zero outside):
/// `y = 6 x[c] - (its 6 neighbors) + x[c]^3 / 10`.
#[asd::sparse_diff]
fn laplacian_3d(x: &[f64], k: usize) -> Vec<f64> {
    let mut y = vec![0.0; k * k * k];
    for l in 0..k {
        for j in 0..k {
            for i in 0..k {
                let c = i + k * (j + k * l);
                let mut s = 6.0 * x[c] + 0.1 * x[c] * x[c] * x[c];
                if i > 0 {
                    s -= x[c - 1];
                }
                if i + 1 < k {
                    s -= x[c + 1];
                }
                if j > 0 {
                    s -= x[c - k];
                }
                if j + 1 < k {
                    s -= x[c + k];
                }
                if l > 0 {
                    s -= x[c - k * k];
                }
                if l + 1 < k {
                    s -= x[c + k * k];
                }
                y[c] = s;
            }
        }
    }
    y
}

/// Its Jacobian is the 7-point stencil: 7 colors exist, every greedy order finds 10 to
/// 14, and recoloring 7 or 8: one sweep of 8 lanes instead of 12, with the right values
/// (every entry evaluated: by default they are all constant).
#[test]
fn a_3d_seven_point_laplacian_takes_eight_lanes() {
    let every_entry = asd::JacobianOptions::default().with_constant_entries(false);
    for k in [10, 13] {
        let n = k * k * k;
        let x = point(n);
        let mut prep = laplacian_3d_jacobian_prepare_with(&x, k, &every_entry);
        assert_eq!(prep.pattern().nnz(), 7 * n - 6 * k * k);
        assert!(prep.ncolors() <= 8, "{k}: {} colors", prep.ncolors());
        assert_eq!((prep.nsweeps(), prep.lanes()), (1, 8), "{k}");
        assert!(asd::coloring::is_column_coloring(
            prep.pattern(),
            prep.colors()
        ));
        let plain = every_entry.with_recolor_rounds(0);
        let greedy = laplacian_3d_jacobian_prepare_with(&x, k, &plain);
        assert!(greedy.ncolors() >= 10, "{k}: {} colors", greedy.ncolors());
        let pattern = prep.pattern().clone();
        let jac = laplacian_3d_jacobian_prepared(&mut prep, &x, k).clone();
        let by_jvp = jacobian_by_jvp(|e| laplacian_3d_jvp(&x, k, e).1, n);
        assert_sparse_matches(&jac, &pattern, &by_jvp, 1e-12);
    }
}

#[test]
fn conv_tanh_pattern_is_the_window_and_values_match_finite_differences() {
    let x = point(784);
    let pattern = conv_tanh_jacobian_sparsity(&x);
    let rows = (0..24)
        .flat_map(|p| {
            (0..24).map(move |q| {
                (0..5)
                    .flat_map(|a| (0..5).map(move |b| (p + a) * 28 + q + b))
                    .collect()
            })
        })
        .collect();
    assert_eq!(pattern, SparsityPattern::from_rows(784, rows));
    let mut prep = conv_tanh_jacobian_prepare(&x);
    assert!(prep.ncolors() <= 25, "{} colors", prep.ncolors());
    let jac = conv_tanh_jacobian_prepared(&mut prep, &x);
    let fd = fd_jacobian(conv_tanh, &x);
    assert_sparse_matches(jac, &pattern, &fd, 1e-6);
}

#[test]
fn scalar_problems_have_gradient_patterns_and_gradients() {
    let x = point(12);
    let p = arwhead_jacobian_sparsity(&x);
    assert_eq!(p, SparsityPattern::from_rows(12, vec![(0..12).collect()]));
    let g = arwhead_jacobian(&x);
    let fd = fd_jacobian(|x| vec![arwhead(x)], &x);
    assert_sparse_matches(&g, &p, &fd, 1e-6);
    // Every input appears in some term of H2 and H3: their gradients are dense too.
    let u = point(16);
    let p = bratu2d_jacobian_sparsity(&u, 4);
    assert_eq!(p, SparsityPattern::from_rows(16, vec![(0..16).collect()]));
    let g = bratu2d_jacobian(&u, 4);
    let fd = fd_jacobian(|u| vec![bratu2d(u, 4)], &u);
    assert_sparse_matches(&g, &p, &fd, 1e-6);
    let p = bdqrtic_jacobian_sparsity(&x);
    assert_eq!(p, SparsityPattern::from_rows(12, vec![(0..12).collect()]));
    let g = bdqrtic_jacobian(&x);
    let fd = fd_jacobian(|x| vec![bdqrtic(x)], &x);
    assert_sparse_matches(&g, &p, &fd, 1e-6);
}

#[test]
#[should_panic(expected = "length 9")]
fn prepared_evaluation_checks_the_input_length() {
    let x = point(10);
    let mut prep = iter_diff_jacobian_prepare(&x, 3);
    let _ = iter_diff_jacobian_prepared(&mut prep, &x[..9], 3);
}

#[test]
#[should_panic(expected = "has length 3 but 10 was expected")]
fn jvp_checks_the_tangent_length() {
    let x = point(10);
    let _ = iter_diff_jvp(&x, 3, &[1.0, 2.0, 3.0]);
}

/// Wide sweeps (4 lanes or more) run with AVX2 and FMA where the processor has them, and
/// two lanes at a time with the baseline otherwise: both give the same Jacobian, in
/// either mode, up to FMA's rounding. On a processor without AVX2 both runs take the
/// two-lane path, which the comparison with finite differences elsewhere checks.
#[test]
fn wide_and_baseline_sweeps_give_the_same_jacobians() {
    let close = |a: &asd::sprs::CsMat<f64>, b: &asd::sprs::CsMat<f64>| {
        assert_eq!((a.indptr(), a.indices()), (b.indptr(), b.indices()));
        for (u, v) in a.data().iter().zip(b.data()) {
            assert!((u - v).abs() <= 1e-13 * (1.0 + u.abs()), "{u} vs {v}");
        }
    };
    let every_row = JacobianOptions::default().with_constant_entries(false);
    let x = point(300);
    for options in [
        every_row,
        every_row.with_lanes(4),
        every_row.with_lanes(8),
        every_row.with_lanes(6),
        every_row.with_mode(asd::ModeChoice::Reverse).with_lanes(4),
        every_row.with_mode(asd::ModeChoice::Reverse).with_lanes(16),
    ] {
        let mut prep = iter_diff_jacobian_prepare_with(&x, 10, &options);
        let wide = iter_diff_jacobian_prepared(&mut prep, &x, 10).clone();
        prep.set_wide_vectors(false);
        close(iter_diff_jacobian_prepared(&mut prep, &x, 10), &wide);
    }
    let u = point(2 * 16 * 16);
    let mut prep = brusselator_jacobian_prepare_with(&u, 16, &every_row);
    assert!(prep.lanes() >= 8);
    let wide = brusselator_jacobian_prepared(&mut prep, &u, 16).clone();
    prep.set_wide_vectors(false);
    close(brusselator_jacobian_prepared(&mut prep, &u, 16), &wide);
    let x = point(784);
    let mut prep = conv_tanh_jacobian_prepare(&x);
    assert_eq!(prep.lanes(), 32);
    let wide = conv_tanh_jacobian_prepared(&mut prep, &x).clone();
    prep.set_wide_vectors(false);
    close(conv_tanh_jacobian_prepared(&mut prep, &x), &wide);
}

/// A dense layer: every output sums over every input, `tanh` of a weighted sum plus a
/// sum of sines. Its prepared Jacobian's kernel adds each weight into the lane of its
/// input's seed (`UnitLanes::add`) instead of multiplying every lane.
#[asd::sparse_diff]
fn dense_layer(x: &[f64], w: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; 3];
    for i in 0..3 {
        let mut s = 0.1 * i as f64;
        for j in 0..n {
            s += w[i * n + j] * x[j];
        }
        let mut t = 0.0;
        for (j, xj) in x.iter().enumerate() {
            if j % 3 != i {
                t += (j as f64 + 1.0) * xj.sin();
            }
        }
        y[i] = s.tanh() + t;
    }
    y
}

/// Every sweep of the dense layer's seeds adds into its own lanes: several sweeps (the
/// seed refilled), one lane, sweeps split into narrow ones without wide vectors, and
/// threads, each against finite differences and dense forward mode.
#[test]
fn accumulated_seeds_add_into_their_lanes_in_every_sweep() {
    let n = 37;
    let x = randoms(n, 7);
    let w = randoms(3 * n, 8);
    let pattern = dense_layer_jacobian_sparsity(&x, &w);
    let fd = fd_jacobian(|x| dense_layer(x, &w), &x);
    let by_jvp = jacobian_by_jvp(|dx| dense_layer_jvp(&x, &w, dx).1, n);
    assert_close(&fd, &by_jvp, 1e-6);
    for lanes in [1, 4, 8, 16, 32] {
        for threads in [1, 2] {
            for wide in [true, false] {
                let options = JacobianOptions::forward()
                    .with_lanes(lanes)
                    .with_threads(threads);
                let mut prep = dense_layer_jacobian_prepare_with(&x, &w, &options);
                prep.set_wide_vectors(wide);
                assert_eq!(prep.ncolors(), n);
                for _ in 0..2 {
                    let jac = dense_layer_jacobian_prepared(&mut prep, &x, &w);
                    assert_sparse_matches(jac, &pattern, &by_jvp, 1e-12);
                }
            }
        }
    }
}
