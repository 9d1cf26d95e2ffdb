//! Property tests: for random patterns and random matrices with that pattern, compressing
//! (multiplying by the seed matrix directly) then decompressing recovers the matrix
//! exactly — columns, rows, star, acyclic — for every lane count, both through the bare
//! `Decompression` and through the preparation drivers.
//!
//! Entries are small integers, so every sum and difference is exact and results can be
//! compared with `==`. Colorings come from the library and from a slow, obvious greedy
//! colorer written here (brute-force validity checks), so that recovery is also tried on
//! colorings the library would not produce.

mod common;

use asd_runtime::coloring::{
    acyclic_coloring_best, color_columns_best, color_rows_best, star_coloring_best, BEST_ORDERS,
};
use asd_runtime::decompress::{seed_matrix, Decompression, Layout};
use asd_runtime::{
    acyclic_coloring, color_columns, color_rows, star_coloring, Coloring, HessianMethod,
    HessianOptions, HessianPrep, Hvp, JacobianPrep, Jvp, Mode, SparsityPattern, Vjp, Workspace,
    LANES,
};
use common::any_order;
use proptest::prelude::*;
use sprs::CsMat;

type Dense = Vec<Vec<f64>>;

/// A random `m x n` matrix with nonzero integer entries, and its pattern.
fn matrix() -> impl Strategy<Value = (SparsityPattern, Dense)> {
    (1usize..20, 1usize..20).prop_flat_map(|(m, n)| {
        let entry = (0..m, 0..n, prop_oneof![-9i32..=-1, 1i32..=9]);
        prop::collection::vec(entry, 0..=(m * n).min(80))
            .prop_map(move |entries| build(m, n, entries))
    })
}

/// A random symmetric `n x n` matrix (diagonal entries optional), and its pattern.
fn symmetric() -> impl Strategy<Value = (SparsityPattern, Dense)> {
    (1usize..16).prop_flat_map(|n| {
        let entry = (0..n, 0..n, prop_oneof![-9i32..=-1, 1i32..=9]);
        prop::collection::vec(entry, 0..=(n * n).min(50)).prop_map(move |entries| {
            let mirrored = entries.iter().flat_map(|&(i, j, v)| [(i, j, v), (j, i, v)]);
            build(n, n, mirrored.collect())
        })
    })
}

fn build(m: usize, n: usize, entries: Vec<(usize, usize, i32)>) -> (SparsityPattern, Dense) {
    let mut a = vec![vec![0.0; n]; m];
    for &(i, j, v) in &entries {
        a[i][j] = f64::from(v);
    }
    let pattern = SparsityPattern::from_coordinates(m, n, entries.iter().map(|&(i, j, _)| (i, j)));
    (pattern, a)
}

fn transpose(a: &Dense, n: usize) -> Dense {
    (0..n).map(|j| a.iter().map(|r| r[j]).collect()).collect()
}

/// `B = A S`, the seed matrix multiplied in directly, then written where the layout says.
fn compress(a: &Dense, coloring: &Coloring, layout: &Layout) -> Vec<f64> {
    let s = seed_matrix(coloring).to_dense();
    let mut flat = vec![0.0; layout.len()];
    for (i, row) in a.iter().enumerate() {
        for k in 0..coloring.ncolors() {
            let b: f64 = row.iter().enumerate().map(|(j, &v)| v * s[[j, k]]).sum();
            flat[layout.index(i, k)] = b;
        }
    }
    flat
}

/// `A` as a CSR matrix with exactly `pattern`'s structure.
fn sparse(pattern: &SparsityPattern, a: &Dense) -> CsMat<f64> {
    let values = (0..pattern.nrows())
        .flat_map(|i| pattern.row(i).iter().map(move |&j| a[i][j]))
        .collect();
    CsMat::new(
        pattern.shape(),
        pattern.row_ptr().to_vec(),
        pattern.col_indices().to_vec(),
        values,
    )
}

fn decompress(d: &Decompression, compressed: &[f64]) -> Vec<f64> {
    let mut values = vec![f64::NAN; d.gather_map().len()];
    d.decompress(compressed, &mut values);
    values
}

// ---- slow, obvious colorings --------------------------------------------------------

const NONE: usize = usize::MAX;

fn off_diagonal_edges(p: &SparsityPattern) -> Vec<(usize, usize)> {
    (0..p.nrows())
        .flat_map(|i| {
            p.row(i)
                .iter()
                .filter(move |&&j| j != i)
                .map(move |&j| (i, j))
        })
        .collect()
}

/// Columns sharing a row differ (uncolored columns ignored).
fn columns_ok(p: &SparsityPattern, colors: &[usize]) -> bool {
    (0..p.nrows()).all(|i| {
        let row: Vec<usize> = p
            .row(i)
            .iter()
            .map(|&j| colors[j])
            .filter(|&c| c != NONE)
            .collect();
        row.iter()
            .enumerate()
            .all(|(a, &c)| !row[a + 1..].contains(&c))
    })
}

/// Distance-1 and no two-colored path on four vertices.
fn star_ok(p: &SparsityPattern, colors: &[usize]) -> bool {
    let edges = off_diagonal_edges(p);
    let c = |v: usize| colors[v];
    if edges.iter().any(|&(u, v)| c(u) != NONE && c(u) == c(v)) {
        return false;
    }
    for &(a, b) in &edges {
        for &(b2, cc) in edges.iter().filter(|e| e.0 == b) {
            for &(_, d) in edges.iter().filter(|e| e.0 == cc) {
                let distinct = a != cc && b2 != d && a != d;
                let colored = [a, b, cc, d].iter().all(|&v| c(v) != NONE);
                if distinct && colored && c(a) == c(cc) && c(b) == c(d) {
                    return false;
                }
            }
        }
    }
    true
}

/// Distance-1 and every pair of colors induces a forest.
fn acyclic_ok(p: &SparsityPattern, colors: &[usize]) -> bool {
    let edges = off_diagonal_edges(p);
    if edges
        .iter()
        .any(|&(u, v)| colors[u] != NONE && colors[u] == colors[v])
    {
        return false;
    }
    let ncolors = colors
        .iter()
        .filter(|&&c| c != NONE)
        .max()
        .map_or(0, |c| c + 1);
    for c1 in 0..ncolors {
        for c2 in c1 + 1..ncolors {
            let mut parent: Vec<usize> = (0..colors.len()).collect();
            fn root(parent: &mut [usize], mut v: usize) -> usize {
                while parent[v] != v {
                    v = parent[v];
                }
                v
            }
            for &(u, v) in edges.iter().filter(|&&(u, v)| u < v) {
                let pair = (colors[u].min(colors[v]), colors[u].max(colors[v]));
                if pair == (c1, c2) {
                    let (ru, rv) = (root(&mut parent, u), root(&mut parent, v));
                    if ru == rv {
                        return false;
                    }
                    parent[ru] = rv;
                }
            }
        }
    }
    true
}

/// Greedy in the given order: each vertex takes the smallest color that keeps `ok`.
fn greedy(
    p: &SparsityPattern,
    order: &[usize],
    ok: impl Fn(&SparsityPattern, &[usize]) -> bool,
) -> Coloring {
    let mut colors = vec![NONE; order.len()];
    for &v in order {
        colors[v] = (0..)
            .find(|&c| {
                colors[v] = c;
                ok(p, &colors)
            })
            .unwrap();
    }
    Coloring::from_colors(colors)
}

fn shuffled(n: usize) -> impl Strategy<Value = Vec<usize>> {
    Just((0..n).collect::<Vec<_>>()).prop_shuffle()
}

// ---- kernels: the matrix itself -----------------------------------------------------

/// `J = A` for a fixed sparse `A`: products by the matrix, lane by lane.
struct Matrix<'a>(&'a CsMat<f64>);

impl Jvp for Matrix<'_> {
    fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
        for (v, (i, j)) in self.0.iter() {
            for l in 0..L {
                dy[i][l] += v * dx[j][l];
            }
        }
    }
}

impl Vjp for Matrix<'_> {
    fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
        for (v, (i, j)) in self.0.iter() {
            for l in 0..L {
                dx[j][l] += v * dy[i][l];
            }
        }
    }
}

impl Hvp for Matrix<'_> {
    fn hvp<const L: usize>(&mut self, ws: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
        self.jvp(ws, v, hv);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn columns_roundtrip((p, a) in matrix(), order in any_order()) {
        let want = sparse(&p, &a);
        for coloring in [color_columns_best(&p), color_columns(&p, order)] {
            for lanes in LANES {
                let d = Decompression::columns(&p, &coloring, lanes);
                prop_assert_eq!(decompress(&d, &compress(&a, &coloring, d.layout())), want.data());
            }
        }
    }

    #[test]
    fn rows_roundtrip((p, a) in matrix(), order in any_order()) {
        let want = sparse(&p, &a);
        let at = transpose(&a, p.ncols());
        for coloring in [color_rows_best(&p), color_rows(&p, order)] {
            for lanes in LANES {
                let d = Decompression::rows(&p, &coloring, lanes);
                prop_assert_eq!(decompress(&d, &compress(&at, &coloring, d.layout())), want.data());
            }
        }
    }

    #[test]
    fn greedy_columns_roundtrip(((p, a), perm) in matrix().prop_flat_map(|pa| {
        let n = pa.0.ncols();
        (Just(pa), shuffled(n))
    })) {
        let coloring = greedy(&p, &perm, columns_ok);
        let d = Decompression::columns(&p, &coloring, 2);
        let want = sparse(&p, &a);
        prop_assert_eq!(decompress(&d, &compress(&a, &coloring, d.layout())), want.data());
    }

    #[test]
    fn star_roundtrip(((p, a), perm) in symmetric().prop_flat_map(|pa| {
        let n = pa.0.ncols();
        (Just(pa), shuffled(n))
    }), order in any_order()) {
        let want = sparse(&p, &a);
        let brute = greedy(&p, &perm, star_ok);
        let library = [star_coloring_best(&p).coloring().clone(), star_coloring(&p, order).coloring().clone()];
        for coloring in library.iter().chain([&brute]) {
            prop_assert!(star_ok(&p, coloring.colors()), "not a star coloring: {:?}", coloring);
            for lanes in LANES {
                let d = Decompression::star(&p, coloring, lanes);
                prop_assert_eq!(decompress(&d, &compress(&a, coloring, d.layout())), want.data());
            }
        }
    }

    #[test]
    fn acyclic_roundtrip(((p, a), perm) in symmetric().prop_flat_map(|pa| {
        let n = pa.0.ncols();
        (Just(pa), shuffled(n))
    }), order in any_order()) {
        let want = sparse(&p, &a);
        let brute = greedy(&p, &perm, acyclic_ok);
        let library = [acyclic_coloring_best(&p).coloring().clone(), acyclic_coloring(&p, order).coloring().clone()];
        for coloring in library.iter().chain([&brute]) {
            prop_assert!(acyclic_ok(&p, coloring.colors()), "not an acyclic coloring: {:?}", coloring);
            for lanes in LANES {
                let d = Decompression::acyclic(&p, coloring, lanes);
                prop_assert_eq!(decompress(&d, &compress(&a, coloring, d.layout())), want.data());
            }
        }
    }

    #[test]
    fn jacobian_preparations_recover_the_matrix((p, a) in matrix()) {
        let want = sparse(&p, &a);
        for lanes in LANES {
            let mut fwd = JacobianPrep::with_coloring(p.clone(), Mode::Forward, color_columns_best(&p), Some(lanes));
            prop_assert_eq!(fwd.evaluate_forward(&mut Matrix(&want)), &want);
            let mut rev = JacobianPrep::with_coloring(p.clone(), Mode::Reverse, color_rows_best(&p), Some(lanes));
            prop_assert_eq!(rev.evaluate_reverse(&mut Matrix(&want)), &want);
        }
    }

    /// Left to choose, a Hessian preparation takes the column coloring exactly when it
    /// needs fewer colors than the star coloring (without recoloring: the best of the
    /// orders, ties to the earliest); recoloring then never makes it worse.
    #[test]
    fn the_automatic_hessian_method_takes_the_fewer_colors((p, a) in symmetric()) {
        let want = sparse(&p, &a);
        let fewest = |all: Vec<Coloring>| {
            all.into_iter().reduce(|b, c| if c.ncolors() < b.ncolors() { c } else { b }).unwrap()
        };
        let star = fewest(BEST_ORDERS.iter().map(|&o| star_coloring(&p, o).into_coloring()).collect());
        let columns = fewest(BEST_ORDERS.iter().map(|&o| color_columns(&p, o)).collect());
        let plain = HessianOptions::default().with_recolor_rounds(0);
        let mut prep = HessianPrep::new(p.clone(), &plain);
        if columns.ncolors() < star.ncolors() {
            prop_assert_eq!(prep.method(), HessianMethod::Columns);
            prop_assert_eq!(prep.coloring(), &columns);
        } else {
            prop_assert_eq!(prep.method(), HessianMethod::Star);
            prop_assert_eq!(prep.coloring(), &star);
        }
        prop_assert_eq!(prep.evaluate(&mut Matrix(&want)), &want);
        let mut recolored = HessianPrep::new(p.clone(), &HessianOptions::default());
        prop_assert!(recolored.ncolors() <= prep.ncolors());
        prop_assert_eq!(recolored.evaluate(&mut Matrix(&want)), &want);
    }

    #[test]
    fn hessian_preparations_recover_the_matrix(((p, a), perm) in symmetric().prop_flat_map(|pa| {
        let n = pa.0.ncols();
        (Just(pa), shuffled(n))
    })) {
        let want = sparse(&p, &a);
        let star = greedy(&p, &perm, star_ok);
        let acyclic = greedy(&p, &perm, acyclic_ok);
        for lanes in LANES {
            let cases = [
                (HessianMethod::Star, star.clone()),
                (HessianMethod::Acyclic, acyclic.clone()),
                (HessianMethod::Columns, color_columns_best(&p)),
            ];
            for (method, coloring) in cases {
                let mut prep = HessianPrep::with_coloring(p.clone(), method, coloring, Some(lanes));
                prop_assert_eq!(prep.evaluate(&mut Matrix(&want)), &want);
            }
        }
    }
}

#[test]
fn the_slow_checkers_know_a_star_from_an_acyclic_coloring() {
    // The path 0-1-2-3 colored 0 1 0 1: acyclic (a path is a tree) but not a star coloring.
    let p =
        SparsityPattern::from_coordinates(4, 4, [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]);
    assert!(acyclic_ok(&p, &[0, 1, 0, 1]));
    assert!(!star_ok(&p, &[0, 1, 0, 1]));
    assert!(star_ok(&p, &[0, 1, 2, 0]));
    // The 4-cycle colored 0 1 0 1 is not acyclic.
    let c4 = SparsityPattern::from_coordinates(
        4,
        4,
        [(0, 1), (1, 2), (2, 3), (3, 0)]
            .into_iter()
            .flat_map(|(i, j)| [(i, j), (j, i)]),
    );
    assert!(!acyclic_ok(&c4, &[0, 1, 0, 1]));
    assert!(columns_ok(&p, &[0, 1, 2, 0]));
    assert!(!columns_ok(&p, &[0, 1, 0, 1]));
}
