use super::*;
use crate::decompress::Decompression;
use crate::{Coloring, SparsityPattern};

/// `y = A x` for a fixed sparse `A`: JVP, VJP and (for symmetric `A`) HVP by hand.
struct Linear(sprs::CsMat<f64>);

impl Jvp for Linear {
    fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
        for (v, (i, j)) in self.0.iter() {
            for l in 0..L {
                dy[i][l] += v * dx[j][l];
            }
        }
    }
}

impl Vjp for Linear {
    fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
        for (v, (i, j)) in self.0.iter() {
            for l in 0..L {
                dx[j][l] += v * dy[i][l];
            }
        }
    }
}

impl Hvp for Linear {
    fn hvp<const L: usize>(&mut self, ws: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
        self.jvp(ws, v, hv);
    }
}

fn diagonal(n: usize) -> SparsityPattern {
    SparsityPattern::from_coordinates(n, n, (0..n).map(|i| (i, i)))
}

#[test]
fn lanes_minimize_sweeps_then_lanes() {
    // Colors, then the lanes of forward and of reverse sweeps.
    let cases = [
        (0, 1, 1),
        (1, 1, 1),
        (2, 2, 4),
        (3, 4, 4),
        (4, 4, 4),
        (5, 6, 8),
        (6, 6, 8),
        (7, 8, 8),
        (9, 12, 12),
        (11, 12, 12),
        (13, 16, 16),
        (16, 16, 16),
        (17, 32, 32),
        (24, 32, 32),
        (25, 32, 32),
        (32, 32, 32),
        (33, 32, 32),
        (49, 32, 32),
        (65, 32, 32),
    ];
    for (ncolors, forward, reverse) in cases {
        assert_eq!(
            choose_lanes(ncolors, None, Sweeps::Forward),
            forward,
            "{ncolors} colors"
        );
        assert_eq!(
            choose_lanes(ncolors, None, Sweeps::Reverse),
            reverse,
            "{ncolors} colors"
        );
    }
    assert_eq!(choose_lanes(11, Some(4), Sweeps::Forward), 4);
    // A forced count is rounded up to one reverse sweeps are compiled for.
    for (forced, reverse) in [(1, 1), (2, 4), (4, 4), (6, 8), (12, 12), (32, 32)] {
        assert_eq!(choose_lanes(11, Some(forced), Sweeps::Reverse), reverse);
    }
    assert!(REVERSE_LANES.iter().all(|l| LANES.contains(l)));
}

/// Fewer colors are worth finding only when they save a sweep or lanes; checked against
/// the cost of every smaller count.
#[test]
fn cheaper_below_is_the_first_count_of_the_same_cost() {
    for sweeps in [Sweeps::Forward, Sweeps::Reverse] {
        let cost = |c: usize, forced| evaluation_cost(c, choose_lanes(c, forced, sweeps));
        for forced in [None, Some(1), Some(4), Some(12), Some(16)] {
            for c in 0..70 {
                let below = cheaper_below(c, forced, sweeps);
                assert!(below <= c);
                assert!((below..=c).all(|k| cost(k, forced) == cost(c, forced)));
                assert!(
                    (0..below).all(|k| cost(k, forced) < cost(c, forced)),
                    "{c} {forced:?}"
                );
            }
        }
    }
    let below = |c, forced| cheaper_below(c, forced, Sweeps::Forward);
    assert_eq!(below(12, None), 9);
    assert_eq!(below(11, None), 9);
    assert_eq!(below(8, None), 7);
    assert_eq!(below(6, None), 5);
    assert_eq!(below(24, None), 17);
    assert_eq!(below(12, Some(4)), 9);
    assert_eq!(below(12, Some(1)), 12);
    assert_eq!(cheaper_below(12, None, Sweeps::Reverse), 9);
    assert_eq!(cheaper_below(2, None, Sweeps::Reverse), 2);
}

/// Reverse mode is cheaper than 12 column colors (one sweep of 12 lanes) with 8 row
/// colors or fewer, and than 2 column colors (2 lanes) only with 1 row color.
#[test]
fn reverse_is_cheaper_than_columns_by_sweeps_then_lanes() {
    let options = JacobianOptions::default();
    for columns in 0..70 {
        let cost = |c, sweeps| evaluation_cost(c, choose_lanes(c, None, sweeps));
        let forward = cost(columns, Sweeps::Forward);
        let cap = options.reverse_cheaper_than(columns);
        assert!(
            (0..cap).all(|r| cost(r, Sweeps::Reverse) < forward),
            "{columns}"
        );
        assert!(cost(cap, Sweeps::Reverse) >= forward, "{columns}");
    }
    assert_eq!(options.reverse_cheaper_than(12), 9);
    assert_eq!(options.reverse_cheaper_than(2), 2);
}

#[test]
#[should_panic(
    expected = "3 lanes were requested but generated code is compiled for [1, 2, 4, 6, 8, 12, 16, 32] lanes"
)]
fn lanes_outside_lanes_are_refused() {
    choose_lanes(5, Some(3), Sweeps::Reverse);
}

#[test]
fn options_builders() {
    let o = JacobianOptions::forward()
        .with_lanes(8)
        .with_order(Order::SmallestLast);
    assert_eq!(o.mode, ModeChoice::Forward);
    assert_eq!(o.lanes, Some(8));
    assert_eq!(o.order, Some(Order::SmallestLast));
    assert_eq!(
        JacobianOptions::reverse().with_mode(ModeChoice::Auto),
        JacobianOptions::default()
    );
    let h = HessianOptions::default()
        .with_method(HessianMethod::Acyclic)
        .with_lanes(2);
    assert_eq!(h.method, Some(HessianMethod::Acyclic));
    assert_eq!(h.lanes, Some(2));
    assert_eq!(h.recolor_rounds, RECOLOR_ROUNDS);
    assert_eq!(h.with_recolor_rounds(0).recolor_rounds, 0);
    assert_eq!(o.recolor_rounds, RECOLOR_ROUNDS);
    assert_eq!(o.with_recolor_rounds(9).recolor_rounds, 9);
}

#[test]
fn plural_and_names() {
    assert_eq!(plural(1, "sweep"), "1 sweep");
    assert_eq!(plural(0, "JVP"), "0 JVPs");
    assert_eq!(Mode::Reverse.to_string(), "reverse");
    assert_eq!(Mode::Forward.product(), "JVP");
    assert_eq!(HessianMethod::Star.to_string(), "star");
}

#[test]
fn a_prepared_jacobian_is_a_linear_map_s_matrix() {
    // J = [[1 0 2], [0 3 0]]
    let p = SparsityPattern::from_rows(3, vec![vec![0, 2], vec![1]]);
    let a = sprs::CsMat::new((2, 3), vec![0, 2, 3], vec![0, 2, 1], vec![1.0, 2.0, 3.0]);
    let forward = Coloring::from_colors(vec![0, 0, 1]);
    let mut prep = JacobianPrep::with_coloring(p.clone(), Mode::Forward, forward, Some(1));
    assert_eq!((prep.ncolors(), prep.lanes(), prep.nsweeps()), (2, 1, 2));
    assert_eq!(prep.jacobian().data(), &[0.0; 3]);
    assert_eq!(
        prep.evaluate_forward(&mut Linear(a.clone())).data(),
        a.data()
    );
    assert_eq!(prep.evaluate(&mut Linear(a.clone())).data(), a.data());

    let reverse = Coloring::from_colors(vec![0, 0]);
    let mut prep = JacobianPrep::with_coloring(p, Mode::Reverse, reverse, None);
    assert_eq!((prep.ncolors(), prep.lanes(), prep.nsweeps()), (1, 1, 1));
    assert_eq!(
        prep.evaluate_reverse(&mut Linear(a.clone())).data(),
        a.data()
    );
    assert_eq!(prep.into_jacobian(), a);
}

#[test]
#[should_panic(expected = "uses reverse mode (row coloring): call evaluate_reverse")]
fn forward_evaluation_of_a_reverse_preparation_panics() {
    let p = diagonal(2);
    let mut prep =
        JacobianPrep::with_coloring(p, Mode::Reverse, Coloring::from_colors(vec![0, 0]), None);
    prep.evaluate_forward(&mut Linear(sprs::CsMat::eye(2)));
}

#[test]
#[should_panic(expected = "asd: the input has length 5 but the preparation was made for length 7")]
fn wrong_input_length_names_both_sizes() {
    let prep = JacobianPrep::with_coloring(
        SparsityPattern::from_coordinates(3, 7, [(0, 0)]),
        Mode::Forward,
        Coloring::from_colors(vec![0; 7]),
        None,
    );
    prep.check_output_len(3);
    prep.check_input_len(5);
}

#[test]
#[should_panic(expected = "asd: the output has length 2 but the preparation was made for length 3")]
fn wrong_output_length_names_both_sizes() {
    let prep = JacobianPrep::with_coloring(
        SparsityPattern::from_coordinates(3, 7, [(0, 0)]),
        Mode::Forward,
        Coloring::from_colors(vec![0; 7]),
        None,
    );
    prep.check_input_len(7);
    prep.check_output_len(2);
}

#[test]
fn a_prepared_hessian_of_a_quadratic_form() {
    // H = [[2 1 0], [1 4 0], [0 0 5]], two colors: {0, 2} and {1}
    let p = SparsityPattern::from_rows(3, vec![vec![0, 1], vec![0, 1], vec![2]]);
    let h = sprs::CsMat::new(
        (3, 3),
        vec![0, 2, 4, 5],
        vec![0, 1, 0, 1, 2],
        vec![2.0, 1.0, 1.0, 4.0, 5.0],
    );
    for method in [
        HessianMethod::Star,
        HessianMethod::Acyclic,
        HessianMethod::Columns,
    ] {
        let coloring = Coloring::from_colors(vec![0, 1, 0]);
        let mut prep = HessianPrep::with_coloring(p.clone(), method, coloring, None);
        assert_eq!(prep.method(), method);
        assert_eq!(prep.lanes(), 2);
        assert_eq!(prep.evaluate(&mut Linear(h.clone())), &h);
        prep.check_input_len(3);
    }
}

#[test]
#[should_panic(expected = "must be symmetric, but (0, 1) is stored and (1, 0) is not")]
fn column_method_still_requires_a_symmetric_pattern() {
    let p = SparsityPattern::from_rows(2, vec![vec![0, 1], vec![1]]);
    HessianPrep::with_coloring(
        p,
        HessianMethod::Columns,
        Coloring::from_colors(vec![0, 1]),
        None,
    );
}

#[test]
fn clones_get_their_own_workspace_and_the_same_results() {
    let p = diagonal(3);
    let mut a =
        JacobianPrep::with_coloring(p, Mode::Forward, Coloring::from_colors(vec![0; 3]), None);
    let mut b = a.clone();
    let m = sprs::CsMat::new((3, 3), vec![0, 1, 2, 3], vec![0, 1, 2], vec![1.0, 2.0, 3.0]);
    assert_eq!(
        a.evaluate_forward(&mut Linear(m.clone())),
        b.evaluate_forward(&mut Linear(m))
    );
    assert!(format!("{a:?}").contains("ncolors: 1"));
}

/// The search the automatic choice makes, over single-order colorings: the first with
/// fewer than `cap` colors, replaced only by one fewer than `cheaper_below` of it.
fn search_below(
    colorings: impl Iterator<Item = Coloring>,
    cap: usize,
    sweeps: Sweeps,
) -> Option<Coloring> {
    let mut best: Option<Coloring> = None;
    for c in colorings {
        let beat = best
            .as_ref()
            .map_or(cap, |b| cheaper_below(b.ncolors(), None, sweeps));
        if c.ncolors() < beat {
            best = Some(c);
        }
    }
    best
}

#[test]
fn auto_mode_takes_reverse_only_when_it_saves_sweeps_or_lanes() {
    use crate::coloring::{color_columns, color_rows, Sides, RECOLOR_ROUNDS, SEARCH_ORDERS};
    use crate::Order;
    // A few shapes: square banded (a tie), a dense row (reverse wins), a dense column
    // (forward wins), and pseudo-random rectangles (ties and near-ties).
    let mut patterns = vec![
        SparsityPattern::from_rows(12, (0..10).map(|i| vec![i, i + 1, i + 2]).collect()),
        SparsityPattern::from_rows(
            8,
            (0..6)
                .map(|i| if i == 2 { (0..8).collect() } else { vec![i] })
                .collect(),
        ),
        SparsityPattern::from_rows(8, (0..6).map(|i| vec![0, i + 1]).collect()),
    ];
    for seed in 0..20u64 {
        let (m, n) = (20 + seed as usize % 7, 18 + seed as usize % 5);
        let rows = (0..m)
            .map(|i| {
                (0..3)
                    .map(|k| (i * 7 + k * (seed as usize + 3) * 5 + k * k) % n)
                    .collect()
            })
            .collect();
        patterns.push(SparsityPattern::from_rows(n, rows));
    }
    let mut reverse = 0;
    let mut recolored = 0;
    for p in patterns {
        let sides = Sides::new(&p);
        let below = |k| cheaper_below(k, None, Sweeps::Forward);
        let below_rows = |k| cheaper_below(k, None, Sweeps::Reverse);
        for order in [None, Some(Order::Natural), Some(Order::SmallestLast)] {
            for rounds in [0, RECOLOR_ROUNDS] {
                let options = JacobianOptions {
                    order,
                    recolor_rounds: rounds,
                    ..JacobianOptions::default()
                };
                let orders = order.map_or(SEARCH_ORDERS.to_vec(), |o| vec![o]);
                let columns = orders.iter().map(|&o| color_columns(&p, o));
                let greedy = search_below(columns, usize::MAX, Sweeps::Forward).expect("no cap");
                // Each side is recolored once found, the rows only when they beat the
                // recolored columns.
                let c = sides.recolor_columns(greedy.clone(), rounds, &below);
                recolored += usize::from(c.ncolors() < greedy.ncolors());
                let r = search_below(
                    orders.iter().map(|&o| color_rows(&p, o)),
                    options.reverse_cheaper_than(c.ncolors()),
                    Sweeps::Reverse,
                )
                .map(|r| sides.recolor_rows(r, rounds, &below_rows));
                let prep = JacobianPrep::new(p.clone(), &options);
                match r {
                    Some(r) => {
                        reverse += 1;
                        assert_eq!((prep.mode(), prep.coloring()), (Mode::Reverse, &r));
                    }
                    None => assert_eq!((prep.mode(), prep.coloring()), (Mode::Forward, &c)),
                }
            }
        }
    }
    // Guards the guard: both modes were chosen, and recoloring changed something.
    assert!(reverse > 0 && recolored > 0, "{reverse} {recolored}");
}

/// [`Linear`] handing over a buffer of its own ([`Jvp::jvp_owned`]), `extra` entries too
/// long.
struct Owned(Linear, usize);

impl Jvp for Owned {
    const OWNS_PRODUCTS: bool = true;

    fn jvp<const L: usize>(&mut self, ws: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
        self.0.jvp(ws, dx, dy);
    }

    fn jvp_owned<'w, const L: usize>(
        &mut self,
        ws: &'w Workspace,
        dx: &[[f64; L]],
    ) -> Option<LaneBuf<'w, L>> {
        let mut dy = ws.lane_zeros::<L>(self.0 .0.rows() + self.1);
        self.0.jvp(ws, dx, &mut dy);
        Some(dy)
    }
}

#[test]
fn handed_over_products_give_the_jacobian_in_one_sweep_or_several() {
    let a = sprs::CsMat::new(
        (3, 4),
        vec![0, 2, 3, 5],
        vec![0, 1, 2, 0, 3],
        vec![1.0, 2.0, 3.0, 4.0, 5.0],
    );
    let pattern = SparsityPattern::from_rows(4, vec![vec![0, 1], vec![2], vec![0, 3]]);
    // 4 and 8 lanes: wide sweeps, with AVX2 or as two-lane ones.
    for (lanes, wide) in [
        (1, true),
        (2, true),
        (4, true),
        (4, false),
        (8, true),
        (8, false),
    ] {
        let options = JacobianOptions::forward().with_lanes(lanes);
        let mut prep = JacobianPrep::new(pattern.clone(), &options);
        prep.set_wide_vectors(wide);
        assert_eq!(prep.nsweeps() == 1, lanes >= 2);
        for _ in 0..2 {
            let j = prep.evaluate_forward(&mut Owned(Linear(a.clone()), 0));
            assert_eq!(j, &a);
        }
    }
}

#[test]
#[should_panic(expected = "asd: the kernel gave 4 products but the output has 3 entries")]
fn handed_over_products_of_the_wrong_length_are_refused() {
    let a = sprs::CsMat::new((3, 3), vec![0, 1, 2, 3], vec![0, 1, 2], vec![1.0; 3]);
    let mut prep = JacobianPrep::new(diagonal(3), &JacobianOptions::forward());
    prep.evaluate_forward(&mut Owned(Linear(a), 1));
}

/// `new` skips the entry-by-entry validity check of its own colorings: its decompression
/// must be the one the checked constructors build, in both modes.
#[test]
fn new_decompresses_as_the_checked_constructors() {
    // 6 x 8, rows of uneven length, some columns empty.
    let p = SparsityPattern::from_rows(
        8,
        vec![
            vec![0, 1, 5],
            vec![1, 2],
            vec![7],
            vec![],
            vec![0, 3, 4, 7],
            vec![2, 6],
        ],
    );
    for (choice, mode) in [
        (JacobianOptions::forward(), Mode::Forward),
        (JacobianOptions::reverse(), Mode::Reverse),
    ] {
        let prep = JacobianPrep::new(p.clone(), &choice);
        assert_eq!(prep.mode(), mode);
        let lanes = prep.lanes();
        let checked = match mode {
            Mode::Forward => Decompression::columns(&p, prep.coloring(), lanes),
            Mode::Reverse => Decompression::rows(&p, prep.coloring(), lanes),
            Mode::Bidirectional => unreachable!("one-sided options only"),
        };
        assert_eq!(prep.decompression(), &checked, "{mode:?}");
    }
}

#[test]
#[should_panic(expected = "columns 0 and 2 share row 1 and color 0")]
fn with_coloring_still_checks_a_given_coloring() {
    let p = SparsityPattern::from_rows(3, vec![vec![0], vec![0, 2]]);
    JacobianPrep::with_coloring(p, Mode::Forward, Coloring::from_colors(vec![0, 1, 0]), None);
}

/// Automatic mode skips the row coloring of a symmetric pattern (it would repeat the
/// column coloring) and keeps forward mode, as trying it would.
#[test]
fn automatic_mode_of_a_symmetric_pattern_is_forward() {
    // Periodic tridiagonal plus a coupling 0 - 4: symmetric.
    let n = 9;
    let p = SparsityPattern::from_coordinates(
        n,
        n,
        (0..n)
            .flat_map(|i| [(i, i), (i, (i + 1) % n), ((i + 1) % n, i)])
            .chain([(0, 4), (4, 0)]),
    );
    assert!(p.is_symmetric());
    let auto = JacobianPrep::new(p.clone(), &JacobianOptions::default());
    let forward = JacobianPrep::new(p.clone(), &JacobianOptions::forward());
    let reverse = JacobianPrep::new(p, &JacobianOptions::reverse());
    assert_eq!(auto.mode(), Mode::Forward);
    assert_eq!(auto.coloring(), forward.coloring());
    assert_eq!(reverse.coloring(), forward.coloring());
}

#[test]
fn every_lane_count_in_lanes_has_an_arm() {
    for lanes in LANES {
        assert_eq!(with_lanes!(lanes, L => L), lanes);
    }
    for lanes in REVERSE_LANES {
        assert_eq!(with_lanes!(reverse: lanes, L => L), lanes);
    }
}

/// The full `m x n` pattern.
fn full(m: usize, n: usize) -> SparsityPattern {
    SparsityPattern::from_coordinates(m, n, (0..m).flat_map(|i| (0..n).map(move |j| (i, j))))
}

#[test]
fn sparsity_buys_nothing_at_four_fifths_of_sixteen_or_more() {
    assert!(buys_nothing(16, 16));
    assert!(buys_nothing(13, 16)); // 13 / 16 > 0.8
    assert!(!buys_nothing(12, 16)); // 12 / 16 < 0.8
    assert!(buys_nothing(80, 100));
    assert!(!buys_nothing(79, 100));
    assert!(!buys_nothing(15, 15)); // too small to matter
    assert!(!buys_nothing(0, 0));
}

#[test]
fn the_warning_is_printed_once_per_key() {
    let key = ("test", 1_000_003, 7);
    assert!(warn_once(key, || "asd: (test) first".into()));
    assert!(!warn_once(key, || unreachable!(
        "the message of a repeated warning is not built"
    )));
    assert!(warn_once(("test", 1_000_003, 8), || {
        "asd: (test) other key".into()
    }));
}

/// Shapes no other test prepares, so the process-wide record is this test's own.
#[test]
fn preparation_warns_unless_told_not_to() {
    let quiet = JacobianOptions::default().with_warn(false);
    // Dense: every column needs its own color (or every row, in reverse mode).
    let p = JacobianPrep::new(full(37, 41), &JacobianOptions::default());
    assert!(p.sparsity_buys_nothing());
    assert!(!p.warn_buys_nothing(), "new did not warn");
    let p = JacobianPrep::new(full(43, 47), &quiet);
    assert!(p.sparsity_buys_nothing());
    assert!(p.warn_buys_nothing(), "new warned though told not to");
    // Reverse mode compares with the m VJPs: 20 rows, dense.
    let p = JacobianPrep::new(full(20, 53), &quiet);
    assert_eq!(p.mode(), Mode::Reverse);
    assert!(p.sparsity_buys_nothing());

    let p = HessianPrep::new(full(59, 59), &HessianOptions::default());
    assert!(p.sparsity_buys_nothing());
    assert!(!p.warn_buys_nothing(), "new did not warn");
    let p = HessianPrep::new(full(61, 61), &HessianOptions::default().with_warn(false));
    assert!(p.warn_buys_nothing(), "new warned though told not to");

    // Sparse ones do not, and small dense ones are not worth a warning.
    let tridiagonal = SparsityPattern::from_coordinates(
        100,
        100,
        (0..100).flat_map(|i| [(i, i), (i, (i + 1) % 100), ((i + 1) % 100, i)]),
    );
    assert!(!JacobianPrep::new(tridiagonal.clone(), &quiet).sparsity_buys_nothing());
    assert!(!HessianPrep::new(tridiagonal, &HessianOptions::default()).sparsity_buys_nothing());
    assert!(!JacobianPrep::new(full(15, 15), &JacobianOptions::default()).sparsity_buys_nothing());
}
