//! Sparse Hessians through `HessianPrep` with hand-written HVP kernels, checked against
//! analytic dense Hessians.

mod common;

use asd_runtime::{
    Coloring, HessianMethod, HessianOptions, HessianPrep, Hvp, SparsityPattern, Workspace, LANES,
};

/// `f = sum_{i<n-1} (x[i]^2 + x[n-1]^2)^2 - 4 x[i] + 3`: an arrowhead Hessian.
struct Arrowhead<'a>(&'a [f64]);

impl Arrowhead<'_> {
    fn f(x: &[f64]) -> f64 {
        let (l, xl) = (x.len() - 1, x[x.len() - 1]);
        x[..l]
            .iter()
            .map(|&xi| (xi * xi + xl * xl).powi(2) - 4.0 * xi + 3.0)
            .sum()
    }

    /// `H[i][i] = 12 x_i^2 + 4 x_l^2`, `H[i][l] = 8 x_i x_l`,
    /// `H[l][l] = sum_i 4 x_i^2 + 12 x_l^2`.
    fn dense_hessian(x: &[f64]) -> Vec<Vec<f64>> {
        let n = x.len();
        let (l, xl) = (n - 1, x[n - 1]);
        let mut h = vec![vec![0.0; n]; n];
        for i in 0..l {
            h[i][i] = 12.0 * x[i] * x[i] + 4.0 * xl * xl;
            h[i][l] = 8.0 * x[i] * xl;
            h[l][i] = h[i][l];
            h[l][l] += 4.0 * x[i] * x[i] + 12.0 * xl * xl;
        }
        h
    }

    fn pattern(n: usize) -> SparsityPattern {
        let l = n - 1;
        SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(i, i), (i, l), (l, i)]))
    }
}

impl Hvp for Arrowhead<'_> {
    fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
        let x = self.0;
        let (l, xl) = (x.len() - 1, x[x.len() - 1]);
        for i in 0..l {
            let (hii, hil) = (12.0 * x[i] * x[i] + 4.0 * xl * xl, 8.0 * x[i] * xl);
            let hll = 4.0 * x[i] * x[i] + 12.0 * xl * xl;
            for k in 0..L {
                hv[i][k] += hii * v[i][k] + hil * v[l][k];
                hv[l][k] += hil * v[i][k] + hll * v[l][k];
            }
        }
    }
}

fn point(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.2 + 0.9 * (i as f64 * 0.77).cos())
        .collect()
}

/// The Hessian matches the dense reference on exactly the pattern, and is stored in both
/// triangles with equal values.
#[track_caller]
fn assert_matches(h: &sprs::CsMat<f64>, dense: &[Vec<f64>], pattern: &SparsityPattern) {
    common::assert_matches(h, dense, pattern, 1e-12);
    for (&g, (i, j)) in h.iter() {
        assert_eq!(h.get(j, i), Some(&g), "H[{i}][{j}]: both triangles, equal");
    }
}

#[test]
fn the_hvp_kernel_matches_finite_differences_of_the_gradient() {
    let x = point(5);
    let h = Arrowhead::dense_hessian(&x);
    let eps = 1e-4;
    for i in 0..5 {
        for j in 0..5 {
            let f = |di: f64, dj: f64| {
                let mut y = x.clone();
                y[i] += di;
                y[j] += dj;
                Arrowhead::f(&y)
            };
            let fd =
                (f(eps, eps) - f(eps, -eps) - f(-eps, eps) + f(-eps, -eps)) / (4.0 * eps * eps);
            assert!(
                (fd - h[i][j]).abs() < 1e-5,
                "H[{i}][{j}]: fd {fd}, analytic {}",
                h[i][j]
            );
        }
    }
    // The kernel itself: H e_j, one lane, is column j of the analytic Hessian.
    let ws = Workspace::new();
    for j in 0..5 {
        let mut v = vec![[0.0]; 5];
        v[j] = [1.0];
        let mut hv = vec![[0.0]; 5];
        Arrowhead(&x).hvp(&ws, &v, &mut hv);
        for i in 0..5 {
            assert!(
                (hv[i][0] - h[i][j]).abs() <= 1e-14 * (1.0 + h[i][j].abs()),
                "(H e_{j})[{i}] = {}, analytic {}",
                hv[i][0],
                h[i][j]
            );
        }
    }
}

#[test]
fn arrowhead_star_two_hvps_every_lane_count() {
    let n = 100;
    let x = point(n);
    let dense = Arrowhead::dense_hessian(&x);
    let mut results = Vec::new();
    for lanes in LANES {
        let options = HessianOptions::default()
            .with_method(HessianMethod::Star)
            .with_lanes(lanes);
        let mut prep = HessianPrep::new(Arrowhead::pattern(n), &options);
        assert_eq!(prep.method(), HessianMethod::Star);
        assert_eq!(prep.ncolors(), 2, "H1: an arrowhead needs 2 star colors");
        assert_eq!(prep.nsweeps(), 2usize.div_ceil(lanes));
        prep.check_input_len(n);
        let h = prep.evaluate(&mut Arrowhead(&x));
        assert_matches(h, &dense, &Arrowhead::pattern(n));
        results.push(h.clone());
    }
    assert!(
        results.windows(2).all(|w| w[0] == w[1]),
        "every L gives identical results"
    );
}

#[test]
fn arrowhead_acyclic_every_lane_count() {
    let n = 64;
    let x = point(n);
    let dense = Arrowhead::dense_hessian(&x);
    for lanes in LANES {
        let options = HessianOptions::default()
            .with_method(HessianMethod::Acyclic)
            .with_lanes(lanes);
        let mut prep = HessianPrep::new(Arrowhead::pattern(n), &options);
        assert_eq!(prep.method(), HessianMethod::Acyclic);
        assert_eq!(prep.ncolors(), 2);
        assert_matches(
            prep.evaluate(&mut Arrowhead(&x)),
            &dense,
            &Arrowhead::pattern(n),
        );
    }
}

#[test]
fn arrowhead_with_hand_made_colorings_and_every_method() {
    // Hub color 0, spokes color 1: a star coloring, hence also acyclic.
    let n = 17;
    let x = point(n);
    let dense = Arrowhead::dense_hessian(&x);
    let mut colors = vec![1; n];
    colors[n - 1] = 0;
    for method in [HessianMethod::Star, HessianMethod::Acyclic] {
        for lanes in LANES {
            let coloring = Coloring::from_colors(colors.clone());
            let mut prep =
                HessianPrep::with_coloring(Arrowhead::pattern(n), method, coloring, Some(lanes));
            assert_matches(
                prep.evaluate(&mut Arrowhead(&x)),
                &dense,
                &Arrowhead::pattern(n),
            );
        }
    }
    // Plain column coloring ignores symmetry: every column meets the dense row, n colors,
    // in one sweep of 32 lanes or two of 16.
    for (lanes, sweeps) in [(None, 1), (Some(16), 2)] {
        let columns = Coloring::from_colors((0..n).collect());
        let mut prep = HessianPrep::with_coloring(
            Arrowhead::pattern(n),
            HessianMethod::Columns,
            columns,
            lanes,
        );
        assert_eq!(prep.nsweeps(), sweeps);
        assert_matches(
            prep.evaluate(&mut Arrowhead(&x)),
            &dense,
            &Arrowhead::pattern(n),
        );
    }
}

#[test]
fn default_method_is_star_and_preparations_are_reusable() {
    let n = 50;
    let mut prep = HessianPrep::new(Arrowhead::pattern(n), &HessianOptions::default());
    assert_eq!(prep.method(), HessianMethod::Star);
    assert_eq!(prep.lanes(), 2);
    for shift in [0.0, 1.0, -0.5] {
        let x: Vec<f64> = point(n).iter().map(|v| v + shift).collect();
        let h = prep.evaluate(&mut Arrowhead(&x)).clone();
        assert_matches(&h, &Arrowhead::dense_hessian(&x), &Arrowhead::pattern(n));
        assert_eq!(prep.hessian(), &h);
    }
}

/// The quadratic form `f = x' T x / 2` of a fixed symmetric `T`: its Hessian is `T`.
struct Chain<'a>(&'a [Vec<f64>]);

impl Hvp for Chain<'_> {
    fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
        for (i, row) in self.0.iter().enumerate() {
            for (j, &t) in row.iter().enumerate() {
                if t != 0.0 {
                    for k in 0..L {
                        hv[i][k] += t * v[j][k];
                    }
                }
            }
        }
    }
}

#[test]
fn acyclic_substitution_on_a_long_chain() {
    // A tridiagonal Hessian: star needs 3 colors, acyclic 2, recovered by substitution
    // along one long path.
    let n = 200;
    let pattern = SparsityPattern::from_coordinates(
        n,
        n,
        (0..n).flat_map(|i| (i.saturating_sub(1)..(i + 2).min(n)).map(move |j| (i, j))),
    );
    let t: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| match i.abs_diff(j) {
                    0 => 4.0 + i as f64,
                    1 => -1.0 - (i.min(j) % 7) as f64,
                    _ => 0.0,
                })
                .collect()
        })
        .collect();
    let acyclic = HessianOptions::default().with_method(HessianMethod::Acyclic);
    let mut prep = HessianPrep::new(pattern.clone(), &acyclic);
    assert_eq!(prep.ncolors(), 2);
    assert!(prep.decompression().nsubstitutions() > 0);
    assert_matches(prep.evaluate(&mut Chain(&t)), &t, &pattern);

    let mut star = HessianPrep::new(pattern.clone(), &HessianOptions::default());
    assert_eq!(star.ncolors(), 3);
    assert_matches(star.evaluate(&mut Chain(&t)), &t, &pattern);
}

#[test]
#[should_panic(expected = "asd: the input has length 3 but the preparation was made for length 4")]
fn wrong_input_length_panics_with_both_sizes() {
    HessianPrep::new(Arrowhead::pattern(4), &HessianOptions::default()).check_input_len(3);
}

#[test]
#[should_panic(expected = "must be symmetric")]
fn an_asymmetric_pattern_is_refused() {
    let p = SparsityPattern::from_coordinates(3, 3, [(0, 0), (0, 1), (1, 1), (2, 2)]);
    HessianPrep::new(
        p,
        &HessianOptions::default().with_method(HessianMethod::Star),
    );
}

#[test]
fn display_says_how_many_hvps_replace_how_many() {
    let prep = HessianPrep::new(Arrowhead::pattern(1000), &HessianOptions::default());
    let shown = prep.to_string();
    assert_eq!(
        shown.lines().next().unwrap(),
        "Hessian preparation, star coloring: 2 HVPs in 1 sweep of 2 lanes (instead of 1000 HVPs)"
    );
    assert!(shown.lines().count() > 1, "the spy plot follows the header");
}
