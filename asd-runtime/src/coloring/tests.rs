use super::*;

fn banded(m: usize, w: usize) -> SparsityPattern {
    SparsityPattern::from_rows(m + w - 1, (0..m).map(|i| (i..i + w).collect()).collect())
}

fn symmetric(n: usize, edges: &[(usize, usize)]) -> SparsityPattern {
    SparsityPattern::from_coordinates(
        n,
        n,
        edges
            .iter()
            .flat_map(|&(i, j)| [(i, j), (j, i)])
            .chain((0..n).map(|i| (i, i))),
    )
}

/// Every order, and a random one.
fn orders() -> impl Iterator<Item = Order> {
    Order::ALL.into_iter().chain([Order::Random(42)])
}

#[test]
fn from_colors_counts_the_largest_color() {
    assert_eq!(Coloring::from_colors(vec![]).ncolors(), 0);
    assert_eq!(Coloring::from_colors(vec![0, 2, 1]).ncolors(), 3);
}

#[test]
fn a_band_needs_its_width() {
    for w in 1..6 {
        let p = banded(40, w);
        for order in orders() {
            let c = color_columns(&p, order);
            assert!(is_column_coloring(&p, c.colors()));
            if order == Order::Natural {
                assert_eq!(c.ncolors(), w);
            }
        }
        assert_eq!(color_columns_best(&p).ncolors(), w);
    }
}

#[test]
fn empty_shapes_color_to_nothing() {
    for (m, n) in [(0, 0), (0, 4), (4, 0), (3, 3)] {
        let p = SparsityPattern::empty(m, n);
        for order in orders() {
            let c = color_columns(&p, order);
            assert_eq!(c.colors().len(), n);
            assert_eq!(c.ncolors(), usize::from(n > 0));
            assert_eq!(color_rows(&p, order).colors().len(), m);
            if m == n {
                assert_eq!(star_coloring(&p, order).coloring().colors().len(), n);
                assert_eq!(acyclic_coloring(&p, order).coloring().colors().len(), n);
            }
        }
        assert_eq!(color_columns_best(&p).colors().len(), n);
        assert_eq!(color_rows_best(&p).colors().len(), m);
    }
}

#[test]
fn a_star_graph_has_a_hub() {
    let n = 6;
    let p = symmetric(n, &(0..n - 1).map(|i| (i, n - 1)).collect::<Vec<_>>());
    let s = star_coloring_best(&p);
    assert_eq!(s.coloring().ncolors(), 2);
    assert!(is_star_coloring(&p, s.coloring().colors()));
    assert_eq!(s.hub(0, n - 1), Some(n - 1));
    assert_eq!(s.hub(n - 1, 2), Some(n - 1));
    assert_eq!(s.hub(0, 1), None);
    assert_eq!(s.hub(0, 0), None);
    assert_eq!(s.nstars(), 1);
}

#[test]
fn a_path_of_four_needs_three_star_colors_but_two_acyclic() {
    let p = symmetric(4, &[(0, 1), (1, 2), (2, 3)]);
    for order in orders() {
        let s = star_coloring(&p, order);
        assert_eq!(s.coloring().ncolors(), 3, "{order:?}");
        assert!(is_star_coloring(&p, s.coloring().colors()));
        let a = acyclic_coloring(&p, order);
        assert_eq!(a.coloring().ncolors(), 2, "{order:?}");
        assert!(is_acyclic_coloring(&p, a.coloring().colors()));
    }
    assert!(!is_star_coloring(&p, &[0, 1, 0, 1]));
    assert!(is_acyclic_coloring(&p, &[0, 1, 0, 1]));
}

#[test]
fn a_square_cycle_is_not_acyclic_with_two_colors() {
    let p = symmetric(4, &[(0, 1), (1, 2), (2, 3), (3, 0)]);
    assert!(!is_acyclic_coloring(&p, &[0, 1, 0, 1]));
    assert!(is_acyclic_coloring(&p, &[0, 1, 0, 2]));
    assert_eq!(acyclic_coloring_best(&p).coloring().ncolors(), 3);
}

#[test]
fn star_hubs_are_consistent_with_the_colors() {
    // In a star with hub h, every spoke s has h as its only neighbor of color(h).
    let n = 12;
    let mut edges = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if (i * 7 + j * 3) % 5 == 0 {
                edges.push((i, j));
            }
        }
    }
    let p = symmetric(n, &edges);
    for order in orders() {
        let s = star_coloring(&p, order);
        let c = s.coloring().colors();
        for &(i, j) in &edges {
            let h = s.hub(i, j).unwrap();
            assert!(h == i || h == j);
            let spoke = if h == i { j } else { i };
            let same = p
                .row(spoke)
                .iter()
                .filter(|&&x| x != spoke && c[x] == c[h])
                .count();
            assert_eq!(same, 1, "{order:?} edge {i}-{j} hub {h}");
        }
    }
}

#[test]
#[should_panic(expected = "asd: star coloring needs a symmetric pattern, got 2x3")]
fn star_coloring_rejects_rectangles() {
    star_coloring(&SparsityPattern::empty(2, 3), Order::Natural);
}

#[test]
#[should_panic(expected = "asd: acyclic coloring needs a symmetric pattern, got 2x2")]
fn acyclic_coloring_rejects_asymmetric_patterns() {
    acyclic_coloring(
        &SparsityPattern::from_coordinates(2, 2, [(0, 1)]),
        Order::Natural,
    );
}

/// A few hubs of degree above `star::HEAVY` over a sparse random graph (and a chain
/// between hubs), from a splitmix-like stream.
fn hub_graph(n: usize, hubs: usize, seed: u64) -> SparsityPattern {
    let mut state = seed;
    let mut next = move |m: usize| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (state ^ (state >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        ((z ^ (z >> 29)) % m as u64) as usize
    };
    let mut edges = Vec::new();
    for h in 0..hubs {
        for v in 0..n {
            if v != h && next(3) != 0 {
                edges.push((h.min(v), h.max(v)));
            }
        }
    }
    for _ in 0..2 * n {
        let (i, j) = (next(n), next(n));
        if i != j {
            edges.push((i.min(j), i.max(j)));
        }
    }
    symmetric(n, &edges)
}

#[test]
fn summarizing_hubs_changes_no_color_and_no_star() {
    for (n, hubs, seed) in [(60, 1, 1), (90, 2, 2), (120, 3, 3), (200, 5, 4), (80, 0, 5)] {
        let p = hub_graph(n, hubs, seed);
        let g = star::Adjacency::new(&p, "star");
        let degrees = g.lists.degrees();
        for order in orders() {
            let vertices = order::vertices(&g.lists, order, &degrees);
            // The palettes of recoloring choose other colors: the summaries must agree
            // with the scans whatever the choice.
            for palette in [0, 3, 6] {
                let what = format!("{n} {order:?} palette {palette}");
                let scan = star::star_with(&g, &vertices, usize::MAX, palette, usize::MAX)
                    .expect("no cap");
                let scan_acyclic =
                    acyclic::acyclic_with(&g, &vertices, usize::MAX, palette, usize::MAX)
                        .expect("no cap");
                assert!(is_star_coloring(&p, scan.coloring.colors()), "{what}");
                assert!(
                    is_acyclic_coloring(&p, scan_acyclic.coloring.colors()),
                    "{what}"
                );
                for heavy in [0, 3, star::HEAVY] {
                    let s =
                        star::star_with(&g, &vertices, heavy, palette, usize::MAX).expect("no cap");
                    assert_eq!(s.coloring, scan.coloring, "{what} {heavy}");
                    assert_eq!(s.hubs, scan.hubs, "{what} {heavy}");
                    assert_eq!(s.nstars, scan.nstars, "{what} {heavy}");
                    let a = acyclic::acyclic_with(&g, &vertices, heavy, palette, usize::MAX)
                        .expect("no cap");
                    assert_eq!(a.coloring, scan_acyclic.coloring, "{what} {heavy}");
                }
            }
        }
    }
}

#[test]
fn hubs_of_arrowhead_and_bdqrtic_keep_their_colors() {
    let n = 500;
    let arrow = symmetric(n, &(0..n - 1).map(|i| (i, n - 1)).collect::<Vec<_>>());
    let bdq: Vec<(usize, usize)> = (0..n - 4)
        .flat_map(|i| {
            let vs = [i, i + 1, i + 2, i + 3, n - 1];
            (0..5).flat_map(move |a| (a + 1..5).map(move |b| (vs[a], vs[b])))
        })
        .collect();
    let bdq = symmetric(n, &bdq);
    for order in orders() {
        let s = star_coloring(&arrow, order);
        assert_eq!(s.coloring().ncolors(), 2, "{order:?}");
        assert!(is_star_coloring(&arrow, s.coloring().colors()));
        let s = star_coloring(&bdq, order);
        assert!(is_star_coloring(&bdq, s.coloring().colors()));
        let a = acyclic_coloring(&bdq, order);
        assert!(is_acyclic_coloring(&bdq, a.coloring().colors()));
    }
    assert!(star_coloring_best(&bdq).coloring().ncolors() <= 8);
}

/// An `m x n` pattern with `per_row` random entries per row and, optionally, one dense
/// row (which makes the column intersection graph quadratic).
fn random_pattern(
    m: usize,
    n: usize,
    per_row: usize,
    dense_row: bool,
    seed: u64,
) -> SparsityPattern {
    let mut state = seed;
    let mut next = move |k: usize| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (state ^ (state >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        ((z ^ (z >> 29)) % k as u64) as usize
    };
    let mut rows: Vec<Vec<usize>> = (0..m)
        .map(|_| (0..per_row).map(|_| next(n)).collect())
        .collect();
    if dense_row {
        rows[m / 2] = (0..n).collect();
    }
    SparsityPattern::from_rows(n, rows)
}

/// The first coloring with fewest colors over [`BEST_ORDERS`], each colored on its own.
fn first_best(colorings: impl Iterator<Item = Coloring>) -> Coloring {
    colorings
        .reduce(|best, c| {
            if c.ncolors() < best.ncolors() {
                c
            } else {
                best
            }
        })
        .unwrap()
}

#[test]
fn best_colorings_and_capped_colorings_agree_with_single_orders() {
    let cases = [
        (60, 50, 3, false, 1),
        (50, 80, 4, false, 2),
        (120, 100, 2, false, 3),
        (80, 400, 3, true, 4),
        (40, 30, 1, false, 5),
    ];
    for (m, n, per_row, dense_row, seed) in cases {
        let p = random_pattern(m, n, per_row, dense_row, seed);
        let t = p.transpose();
        let built = |b: &Bipartite<'_>| NeighborLists::intersection(b).is_some();
        let sides = Sides::new(&p);
        let columns = Bipartite {
            to_mid: &t,
            to_vertex: &p,
        };
        // The stored intersection graph is used unless a dense row would make it huge.
        assert_eq!(built(&columns), !dense_row, "{seed}");
        // The best order's coloring, recolored.
        let best = first_best(BEST_ORDERS.into_iter().map(|o| color_columns(&p, o)));
        let recolored = sides.recolor_columns(best.clone(), RECOLOR_ROUNDS, &every_color);
        assert_eq!(color_columns_best(&p), recolored, "{seed}");
        assert!(is_column_coloring(&p, recolored.colors()));
        assert!(recolored.ncolors() <= best.ncolors());
        let best_rows = first_best(BEST_ORDERS.into_iter().map(|o| color_rows(&p, o)));
        let recolored_rows = sides.recolor_rows(best_rows.clone(), RECOLOR_ROUNDS, &every_color);
        assert_eq!(color_rows_best(&p), recolored_rows, "{seed}");
        assert!(is_row_coloring(&p, recolored_rows.colors()));
        assert!(recolored_rows.ncolors() <= best_rows.ncolors());
        // A cap returns the same coloring when it has fewer colors, nothing otherwise.
        let b = best.ncolors();
        for cap in [0, 1, b - 1, b, b + 1, best_rows.ncolors(), usize::MAX] {
            let expect = |c: Coloring| (c.ncolors() < cap).then_some(c);
            assert_eq!(
                sides.color_columns(&BEST_ORDERS, cap, every_color),
                expect(best.clone()),
                "{seed} {cap}"
            );
            assert_eq!(
                sides.color_rows(&BEST_ORDERS, cap, every_color),
                expect(best_rows.clone()),
                "{seed} {cap}"
            );
            for order in orders() {
                let single = color_columns(&p, order);
                assert_eq!(
                    sides.color_columns(&[order], cap, every_color),
                    expect(single),
                    "{seed} {cap} {order:?}"
                );
            }
        }
        // A search that asks for a margin keeps the first coloring no later one beats by
        // it (later orders give up early, and the dynamic ones stop being computed).
        for margin in [2, 3, 6] {
            let below = |b: usize| b.saturating_sub(margin - 1);
            let mut want: Option<Coloring> = None;
            for c in BEST_ORDERS.into_iter().map(|o| color_columns(&p, o)) {
                if c.ncolors() < want.as_ref().map_or(usize::MAX, |w| below(w.ncolors())) {
                    want = Some(c);
                }
            }
            assert_eq!(
                sides.color_columns(&BEST_ORDERS, usize::MAX, below),
                want,
                "{seed} {margin}"
            );
        }
    }
}

#[test]
fn a_palette_cycles_through_its_colors_in_index_order() {
    let p = banded(40, 3);
    let columns = Bipartite {
        to_mid: &p.transpose(),
        to_vertex: &p,
    };
    let n = p.ncols();
    // First-fit gives a band of width 3 period 3; a palette of 5 gives it period 5.
    assert_eq!(
        columns.greedy_in_palette(0..n, usize::MAX, 0),
        columns.greedy(0..n, usize::MAX)
    );
    for k in [3, 5, 8] {
        let c = columns.greedy_in_palette(0..n, usize::MAX, k).unwrap();
        assert_eq!(c.colors(), (0..n).map(|j| j % k).collect::<Vec<_>>(), "{k}");
    }
    // Too small a palette: first-fit past it, in any case a valid coloring.
    let c = columns.greedy_in_palette(0..n, usize::MAX, 2).unwrap();
    assert!(is_column_coloring(&p, c.colors()));
    assert_eq!(c.ncolors(), 3);
    // A cap gives up exactly when the coloring would reach it.
    assert_eq!(
        columns.greedy_in_palette(0..n, 6, 5).map(|c| c.ncolors()),
        Some(5)
    );
    assert_eq!(columns.greedy_in_palette(0..n, 5, 5), None);
    // Past 64 colors (the word of colors near a vertex is full), the same rule.
    let wide = banded(200, 70);
    let columns = Bipartite {
        to_mid: &wide.transpose(),
        to_vertex: &wide,
    };
    let n = wide.ncols();
    for k in [0, 70, 75] {
        let c = columns.greedy_in_palette(0..n, usize::MAX, k).unwrap();
        let period = k.max(70);
        assert_eq!(
            c.colors(),
            (0..n).map(|j| j % period).collect::<Vec<_>>(),
            "{k}"
        );
    }
}

/// A symmetric pattern's rows are colored exactly as its columns, which is what lets
/// automatic mode skip the row coloring; `symmetric` must not say so of anything else.
#[test]
fn symmetric_sides_color_rows_as_columns() {
    let sym = symmetric(7, &[(0, 1), (1, 2), (2, 5), (3, 6), (0, 6), (4, 4)]);
    let sides = Sides::new(&sym);
    assert!(sides.symmetric());
    let singles: Vec<Vec<Order>> = orders().map(|o| vec![o]).collect();
    let lists = [BEST_ORDERS.to_vec(), SEARCH_ORDERS.to_vec()];
    for orders in singles.iter().chain(&lists) {
        assert_eq!(
            sides.color_rows(orders, usize::MAX, every_color),
            sides.color_columns(orders, usize::MAX, every_color),
            "{orders:?}"
        );
    }
    // Square but not symmetric, and rectangular.
    let lower = SparsityPattern::from_coordinates(3, 3, [(0, 0), (1, 0), (2, 1)]);
    assert!(!Sides::new(&lower).symmetric());
    let wide = SparsityPattern::from_rows(4, vec![vec![0, 1], vec![1, 3]]);
    assert!(!Sides::new(&wide).symmetric());
    assert!(!Sides::new(&wide.transpose()).symmetric());
}
