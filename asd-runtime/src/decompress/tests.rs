use super::*;

/// Slow, obvious compression: `B = A S` for every color, written where the layout says.
/// `a` is dense, `colors` colors the columns of `a`.
fn compress(a: &[Vec<f64>], colors: &[usize], layout: &Layout) -> Vec<f64> {
    let mut flat = vec![0.0; layout.len()];
    for (i, row) in a.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            flat[layout.index(i, colors[j])] += v;
        }
    }
    flat
}

fn transpose(a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = a.first().map_or(0, Vec::len);
    (0..n).map(|j| a.iter().map(|r| r[j]).collect()).collect()
}

/// The dense matrix with `pattern`'s structure and entry `(i, j)` = `value(i, j)`.
fn dense(pattern: &SparsityPattern, value: impl Fn(usize, usize) -> f64) -> Vec<Vec<f64>> {
    let mut a = vec![vec![0.0; pattern.ncols()]; pattern.nrows()];
    for (i, row) in a.iter_mut().enumerate() {
        for &j in pattern.row(i) {
            row[j] = value(i, j);
        }
    }
    a
}

/// The stored values of `a` in the CSR order of `pattern`.
fn stored(pattern: &SparsityPattern, a: &[Vec<f64>]) -> Vec<f64> {
    (0..pattern.nrows())
        .flat_map(|i| pattern.row(i).iter().map(move |&j| a[i][j]))
        .collect()
}

fn recover(d: &Decompression, compressed: &[f64]) -> Vec<f64> {
    let mut values = vec![f64::NAN; d.gather_map().len()];
    d.decompress(compressed, &mut values);
    values
}

fn tridiagonal(n: usize) -> SparsityPattern {
    SparsityPattern::from_coordinates(
        n,
        n,
        (0..n).flat_map(|i| (i.saturating_sub(1)..(i + 2).min(n)).map(move |j| (i, j))),
    )
}

/// Arrowhead: dense last row and column plus the diagonal.
fn arrowhead(n: usize) -> SparsityPattern {
    let last = n - 1;
    SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(i, i), (i, last), (last, i)]))
}

#[test]
fn color_offsets_are_the_indices_of_row_zero() {
    for (rows, ncolors, lanes) in [(3, 5, 2), (7, 11, 4), (1, 1, 1), (4, 16, 16), (0, 3, 2)] {
        let layout = Layout::new(rows, ncolors, lanes);
        let offsets = layout.color_offsets();
        assert_eq!(offsets.len(), layout.nsweeps() * lanes);
        for (k, &o) in offsets.iter().enumerate() {
            for i in 0..rows {
                assert_eq!(
                    o + i * lanes,
                    layout.index(i, k),
                    "{rows} {ncolors} {lanes}"
                );
            }
        }
    }
}

#[test]
fn layout_puts_color_k_in_sweep_k_over_l_lane_k_mod_l() {
    let layout = Layout::new(3, 5, 2);
    assert_eq!(layout.nsweeps(), 3);
    assert_eq!(layout.len(), 3 * 3 * 2);
    assert_eq!(layout.block(1), 6..12);
    // row 2, color 3: sweep 1, lane 1
    assert_eq!(layout.index(2, 3), 6 + 2 * 2 + 1);
    // every (row, color) has its own slot, inside the block of its sweep
    let mut seen = vec![false; layout.len()];
    for r in 0..3 {
        for k in 0..5 {
            let p = layout.index(r, k);
            assert!(layout.block(k / 2).contains(&p));
            assert!(!seen[p]);
            seen[p] = true;
        }
    }
    assert!(Layout::new(4, 0, 16).is_empty());
}

#[test]
fn seeds_select_the_colors_of_one_sweep() {
    let colors = [0, 1, 2, 0, 4];
    let mut seed = vec![7.0; 5 * 2];
    fill_seed(&colors, 0, 2, &mut seed);
    assert_eq!(seed, [1., 0., 0., 1., 0., 0., 1., 0., 0., 0.]);
    fill_seed(&colors, 1, 2, &mut seed);
    assert_eq!(seed, [0., 0., 0., 0., 1., 0., 0., 0., 0., 0.]);
    fill_seed(&colors, 2, 2, &mut seed);
    assert_eq!(seed, [0., 0., 0., 0., 0., 0., 0., 0., 1., 0.]);

    let s = seed_matrix(&Coloring::from_colors(colors.to_vec()));
    assert_eq!(s.shape(), (5, 5));
    assert_eq!(s.nnz(), 5);
    assert_eq!(s.get(4, 4), Some(&1.0));
    assert_eq!(s.get(3, 0), Some(&1.0));
}

#[test]
fn zeros_has_the_pattern_structure() {
    let p = tridiagonal(4);
    let z = zeros(&p);
    assert_eq!(z.shape(), (4, 4));
    assert_eq!(z.indptr().raw_storage(), p.row_ptr());
    assert_eq!(z.indices(), p.col_indices());
    assert!(z.data().iter().all(|&v| v == 0.0));
}

#[test]
fn column_decompression_of_a_tridiagonal_matrix() {
    let p = tridiagonal(7);
    let colors: Vec<usize> = (0..7).map(|j| j % 3).collect();
    let a = dense(&p, |i, j| (10 * i + j) as f64 + 1.0);
    for lanes in crate::LANES {
        let d = Decompression::columns(&p, &Coloring::from_colors(colors.clone()), lanes);
        assert_eq!(d.recovery(), Recovery::Columns);
        assert_eq!(d.layout().nsweeps(), 3usize.div_ceil(lanes));
        let b = compress(&a, &colors, d.layout());
        assert_eq!(recover(&d, &b), stored(&p, &a), "lanes = {lanes}");
    }
}

/// A map of 8-byte indices, which a compressed buffer of 2^32 entries or more needs,
/// recovers what the 4-byte one does, gathered whole or scattered.
#[test]
fn wide_gather_maps_recover_what_narrow_ones_do() {
    let p = tridiagonal(7);
    let colors: Vec<usize> = (0..7).map(|j| j % 3).collect();
    let a = dense(&p, |i, j| (10 * i + j) as f64 + 1.0);
    let narrow = Decompression::columns(&p, &Coloring::from_colors(colors.clone()), 4);
    assert!(matches!(narrow.gather, Indices::Narrow(_)));
    let wide = Decompression {
        gather: Indices::Wide(narrow.gather_map()),
        ..narrow.clone()
    };
    let b = compress(&a, &colors, narrow.layout());
    assert_eq!(recover(&wide, &b), stored(&p, &a));
    // Scattered into every other slot of a result twice as long, with 4- and 8-byte
    // targets.
    let targets: Vec<usize> = (0..p.nnz()).map(|e| 2 * e + 1).collect();
    let nvalues = 2 * p.nnz();
    let scattered = [narrow, wide].map(|d| d.scattered(targets.clone(), nvalues));
    assert!(matches!(
        scattered[0].targets,
        Some((Indices::Narrow(_), _))
    ));
    let wide_targets = scattered.clone().map(|d| Decompression {
        targets: Some((Indices::Wide(targets.clone()), nvalues)),
        ..d
    });
    let mut first = vec![0.0; nvalues];
    scattered[0].decompress(&b, &mut first);
    assert_eq!(first[1], a[0][0]);
    for d in scattered.iter().chain(&wide_targets) {
        let mut values = vec![0.0; nvalues];
        d.decompress(&b, &mut values);
        assert_eq!(values, first);
    }
}

#[test]
fn row_decompression_of_a_tridiagonal_matrix() {
    let p = tridiagonal(6);
    let colors: Vec<usize> = (0..6).map(|i| (i + 1) % 3).collect();
    let a = dense(&p, |i, j| (10 * i + j) as f64 - 20.0);
    for lanes in [1, 2, 4] {
        let d = Decompression::rows(&p, &Coloring::from_colors(colors.clone()), lanes);
        // reverse mode compresses the rows: B = Aᵀ S
        let b = compress(&transpose(&a), &colors, d.layout());
        assert_eq!(recover(&d, &b), stored(&p, &a), "lanes = {lanes}");
    }
}

#[test]
fn rectangular_column_and_row_decompression() {
    // 2 x 5: row 0 = {0, 2, 4}, row 1 = {1, 2}
    let p = SparsityPattern::from_rows(5, vec![vec![0, 2, 4], vec![1, 2]]);
    let a = dense(&p, |i, j| (i * 5 + j + 1) as f64);
    let col = vec![0, 0, 1, 1, 2];
    let d = Decompression::columns(&p, &Coloring::from_colors(col.clone()), 2);
    assert_eq!(recover(&d, &compress(&a, &col, d.layout())), stored(&p, &a));
    let row = vec![0, 1];
    let d = Decompression::rows(&p, &Coloring::from_colors(row.clone()), 1);
    assert_eq!(d.layout().rows(), 5);
    assert_eq!(
        recover(&d, &compress(&transpose(&a), &row, d.layout())),
        stored(&p, &a)
    );
}

#[test]
#[should_panic(expected = "columns 0 and 1 share row 0 and color 0")]
fn invalid_column_coloring_is_refused() {
    Decompression::columns(&tridiagonal(3), &Coloring::from_colors(vec![0, 0, 1]), 1);
}

#[test]
#[should_panic(expected = "rows 1 and 2 share column 1 and color 1")]
fn invalid_row_coloring_is_refused() {
    Decompression::rows(&tridiagonal(3), &Coloring::from_colors(vec![0, 1, 1]), 1);
}

#[test]
#[should_panic(expected = "the coloring has 2 colors but the pattern has 3 columns")]
fn coloring_of_the_wrong_length_is_refused() {
    Decompression::columns(&tridiagonal(3), &Coloring::from_colors(vec![0, 1]), 1);
}

#[test]
fn star_decompression_of_an_arrowhead_takes_the_mirror_where_needed() {
    let n = 6;
    let p = arrowhead(n);
    // The hub (last) has color 0, everything else color 1: two HVPs.
    let mut colors = vec![1; n];
    colors[n - 1] = 0;
    let a = dense(&p, |i, j| {
        if i == j {
            i as f64 + 1.0
        } else {
            (i + j) as f64 * 10.0
        }
    });
    for lanes in [1, 2, 16] {
        let d = Decompression::star(&p, &Coloring::from_colors(colors.clone()), lanes);
        let b = compress(&a, &colors, d.layout());
        assert_eq!(recover(&d, &b), stored(&p, &a), "lanes = {lanes}");
        // Row `last` sums every spoke under color 1, so (last, j) comes from B[j][0].
        let e = p.row_ptr()[n - 1];
        assert_eq!(d.gather_map()[e], d.layout().index(0, 0));
        assert_eq!(d.nsubstitutions(), 0);
    }
}

#[test]
#[should_panic(expected = "invalid star coloring")]
fn a_two_colored_path_on_four_vertices_is_not_a_star_coloring() {
    Decompression::star(&tridiagonal(4), &Coloring::from_colors(vec![0, 1, 0, 1]), 1);
}

#[test]
fn acyclic_decompression_substitutes_along_a_two_colored_path() {
    // A path 0-1-2-...-7 with two alternating colors is one tree: recovery must peel it.
    let n = 8;
    let p = tridiagonal(n);
    let colors: Vec<usize> = (0..n).map(|i| i % 2).collect();
    let a = dense(&p, |i, j| {
        if i == j {
            3.0 + i as f64
        } else {
            1.0 + (i + j) as f64
        }
    });
    for lanes in [1, 2, 4] {
        let d = Decompression::acyclic(&p, &Coloring::from_colors(colors.clone()), lanes);
        assert_eq!(d.recovery(), Recovery::Acyclic);
        assert_eq!(d.nsubstitutions(), n - 1);
        let b = compress(&a, &colors, d.layout());
        assert_eq!(recover(&d, &b), stored(&p, &a), "lanes = {lanes}");
    }
}

#[test]
fn acyclic_decompression_of_a_grid_with_several_forests() {
    // 3 x 3 five-point stencil colored 0 1 0 / 2 0 2 / 0 1 0: colors {0, 1} and {0, 2}
    // each induce one tree of 7 vertices (not stars: 0-1-4-7 is a two-colored path).
    let (w, h) = (3, 3);
    let id = |x: usize, y: usize| y * w + x;
    let mut coords = Vec::new();
    for y in 0..h {
        for x in 0..w {
            coords.push((id(x, y), id(x, y)));
            if x + 1 < w {
                coords.extend([(id(x, y), id(x + 1, y)), (id(x + 1, y), id(x, y))]);
            }
            if y + 1 < h {
                coords.extend([(id(x, y), id(x, y + 1)), (id(x, y + 1), id(x, y))]);
            }
        }
    }
    let p = SparsityPattern::from_coordinates(w * h, w * h, coords);
    let colors = vec![0, 1, 0, 2, 0, 2, 0, 1, 0];
    let a = dense(&p, |i, j| 1.0 + (i.min(j) * 9 + i.max(j)) as f64);
    let d = Decompression::acyclic(&p, &Coloring::from_colors(colors.clone()), 2);
    let b = compress(&a, &colors, d.layout());
    assert_eq!(recover(&d, &b), stored(&p, &a));
}

#[test]
#[should_panic(expected = "colors 0 and 1 induce a cycle")]
fn a_two_colored_cycle_is_not_acyclic() {
    // the 4-cycle 0-1-2-3-0 colored 0 1 0 1
    let p = SparsityPattern::from_coordinates(
        4,
        4,
        [(0, 1), (1, 2), (2, 3), (3, 0)]
            .into_iter()
            .flat_map(|(i, j)| [(i, j), (j, i)]),
    );
    Decompression::acyclic(&p, &Coloring::from_colors(vec![0, 1, 0, 1]), 1);
}

#[test]
#[should_panic(expected = "neighbors 0 and 1 share color 0")]
fn acyclic_needs_a_distance_one_coloring() {
    Decompression::acyclic(&tridiagonal(3), &Coloring::from_colors(vec![0, 0, 1]), 1);
}

#[test]
#[should_panic(expected = "(0, 2) is stored and (2, 0) is not")]
fn symmetric_decompression_refuses_an_asymmetric_pattern() {
    let p = SparsityPattern::from_coordinates(3, 3, [(0, 0), (0, 2), (1, 1), (2, 2)]);
    Decompression::star(&p, &Coloring::from_colors(vec![0, 0, 1]), 1);
}

#[test]
#[should_panic(expected = "(2, 0) is stored and (0, 2) is not")]
fn symmetric_decompression_names_the_lower_entry_too() {
    let p = SparsityPattern::from_coordinates(3, 3, [(0, 0), (1, 1), (2, 0), (2, 2)]);
    Decompression::acyclic(&p, &Coloring::from_colors(vec![0, 0, 1]), 1);
}

#[test]
#[should_panic(expected = "must be square, but it is 2 x 3")]
fn symmetric_decompression_refuses_a_rectangle() {
    let p = SparsityPattern::from_coordinates(2, 3, [(0, 0)]);
    Decompression::star(&p, &Coloring::from_colors(vec![0, 0, 0]), 1);
}

#[test]
fn mirrors_pair_up_every_entry() {
    let p = arrowhead(5);
    let m = symmetric::mirror_positions(&p);
    let cols = p.col_indices();
    for i in 0..5 {
        for e in p.row_ptr()[i]..p.row_ptr()[i + 1] {
            assert_eq!(m[m[e]], e);
            assert_eq!(cols[m[e]], i);
        }
    }
}

#[test]
fn decompress_into_fills_the_matrix() {
    let p = tridiagonal(4);
    let colors: Vec<usize> = (0..4).map(|j| j % 3).collect();
    let a = dense(&p, |i, j| (i + 2 * j) as f64);
    let d = Decompression::columns(&p, &Coloring::from_colors(colors.clone()), 4);
    let mut out = zeros(&p);
    d.decompress_into(&compress(&a, &colors, d.layout()), &mut out);
    for i in 0..4 {
        for &j in p.row(i) {
            assert_eq!(out.get(i, j), Some(&a[i][j]));
        }
    }
}

#[test]
#[should_panic(
    expected = "the compressed buffer has length 3 but the decompression expects length 12"
)]
fn decompress_checks_the_buffer_length() {
    let d = Decompression::columns(&tridiagonal(4), &Coloring::from_colors(vec![0, 1, 2, 0]), 1);
    d.decompress(&[0.0; 3], &mut [0.0; 10]);
}

#[test]
fn empty_patterns_decompress_to_nothing() {
    let p = SparsityPattern::from_coordinates(3, 2, []);
    let d = Decompression::columns(&p, &Coloring::from_colors(vec![0, 0]), 1);
    assert_eq!(d.gather_map().len(), 0);
    d.decompress(&vec![0.0; d.layout().len()], &mut []);
}
