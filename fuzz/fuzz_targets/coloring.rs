//! Coloring and decompression from arbitrary bytes: a small pattern and values become
//! a matrix (a symmetric one for star and acyclic colorings); every coloring kind in
//! every order is checked by the brute-force checkers and decompressed against the
//! dense matrix, directly and through the preparations; a coloring made of the bytes is
//! decompressed when valid and must be refused (documented panic) when invalid.
//!
//! Values are dyadic, `±k / 2²⁰`, so every sum of them is exact and results compare
//! with `==`.
#![no_main]

mod common;

use arbitrary::{Result, Unstructured};
use asd_runtime::coloring::{
    acyclic_coloring_best, color_columns_best, color_rows_best, is_acyclic_coloring,
    is_column_coloring, is_row_coloring, is_star_coloring, star_coloring_best,
};
use asd_runtime::decompress::{Decompression, Layout};
use asd_runtime::{
    acyclic_coloring, color_columns, color_rows, star_coloring, Coloring, HessianMethod,
    HessianOptions, HessianPrep, Hvp, JacobianOptions, JacobianPrep, Jvp, Order, SparsityPattern,
    Vjp, Workspace, LANES,
};
use common::{must_refuse, refused};
use libfuzzer_sys::fuzz_target;

type Dense = Vec<Vec<f64>>;

const MAX: usize = 24;

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Columns,
    Rows,
    Star,
    Acyclic,
}

fn run(u: &mut Unstructured) -> Result<()> {
    let (m, n) = (u.int_in_range(0..=MAX)?, u.int_in_range(0..=MAX)?);
    let symmetric: bool = u.arbitrary()?;
    let n = if symmetric { m } else { n };
    let mut a = vec![vec![0.0; n]; m];
    if m > 0 && n > 0 {
        for _ in 0..u.int_in_range(0..=m * n)? {
            let (i, j) = (u.choose_index(m)?, u.choose_index(n)?);
            let v = value(u)?;
            a[i][j] = v;
            if symmetric {
                a[j][i] = v;
            }
        }
    }
    let coords = (0..m).flat_map(|i| (0..n).map(move |j| (i, j)));
    let p = SparsityPattern::from_coordinates(m, n, coords.filter(|&(i, j)| a[i][j] != 0.0));
    let seed: u64 = u.arbitrary()?;
    let orders = Order::ALL.into_iter().chain([Order::Random(seed)]);
    let kinds: &[Kind] = if symmetric {
        &[Kind::Columns, Kind::Rows, Kind::Star, Kind::Acyclic]
    } else {
        &[Kind::Columns, Kind::Rows]
    };
    for &kind in kinds {
        for order in orders.clone() {
            let c = color(&p, kind, Some(order));
            assert!(
                valid(&p, kind, c.colors()),
                "{kind:?} {order:?}: {:?}",
                c.colors()
            );
            compact(&c);
            roundtrip(&p, &a, kind, &c, lane_count(u)?);
        }
        let best = color(&p, kind, None);
        assert!(valid(&p, kind, best.colors()), "{kind:?} best");
        prepared(u, &p, &a, kind)?;

        // A coloring from the bytes.
        let k = u.int_in_range(1..=4)?;
        let colored = if kind == Kind::Rows { m } else { n };
        let mut colors = Vec::with_capacity(colored);
        for _ in 0..colored {
            colors.push(u.choose_index(k)?);
        }
        let c = Coloring::from_colors(colors);
        let lanes = lane_count(u)?;
        let ok = valid(&p, kind, c.colors());
        match kind {
            // Star recovery needs only every entry alone in its row or its mirror's:
            // whatever it accepts must come out exact.
            Kind::Star => match refused(|| decompression(&p, kind, &c, lanes)) {
                Ok(_) => roundtrip(&p, &a, kind, &c, lanes),
                Err(e) => assert!(!ok && e.starts_with("asd:"), "refused {ok}: {e}"),
            },
            _ if ok => roundtrip(&p, &a, kind, &c, lanes),
            _ => must_refuse("invalid coloring", || decompression(&p, kind, &c, lanes)),
        }
    }
    Ok(())
}

/// `±k / 2²⁰` with `k` in `[2¹⁹, 2²¹)`: nonzero, and sums of them exact.
fn value(u: &mut Unstructured) -> Result<f64> {
    let k = (1u32 << 19) + u.int_in_range(0..=(3u32 << 19) - 1)?;
    let v = f64::from(k) / f64::from(1u32 << 20);
    Ok(if u.arbitrary()? { v } else { -v })
}

fn lane_count(u: &mut Unstructured) -> Result<usize> {
    Ok(LANES[u.choose_index(LANES.len())?])
}

/// The library's coloring of `kind`, in `order` or the best of all orders.
fn color(p: &SparsityPattern, kind: Kind, order: Option<Order>) -> Coloring {
    match (kind, order) {
        (Kind::Columns, Some(o)) => color_columns(p, o),
        (Kind::Columns, None) => color_columns_best(p),
        (Kind::Rows, Some(o)) => color_rows(p, o),
        (Kind::Rows, None) => color_rows_best(p),
        (Kind::Star, Some(o)) => star_coloring(p, o).into_coloring(),
        (Kind::Star, None) => star_coloring_best(p).into_coloring(),
        (Kind::Acyclic, Some(o)) => acyclic_coloring(p, o).into_coloring(),
        (Kind::Acyclic, None) => acyclic_coloring_best(p).into_coloring(),
    }
}

/// The brute-force checker of `kind`.
fn valid(p: &SparsityPattern, kind: Kind, colors: &[usize]) -> bool {
    match kind {
        Kind::Columns => is_column_coloring(p, colors),
        Kind::Rows => is_row_coloring(p, colors),
        Kind::Star => is_star_coloring(p, colors) && is_acyclic_coloring(p, colors),
        Kind::Acyclic => is_acyclic_coloring(p, colors),
    }
}

/// Colors `0..ncolors`, each used.
fn compact(c: &Coloring) {
    let mut used = vec![false; c.ncolors()];
    for &k in c.colors() {
        used[k] = true;
    }
    assert!(
        used.into_iter().all(|u| u),
        "unused color in {:?}",
        c.colors()
    );
}

fn decompression(p: &SparsityPattern, kind: Kind, c: &Coloring, lanes: usize) -> Decompression {
    match kind {
        Kind::Columns => Decompression::columns(p, c, lanes),
        Kind::Rows => Decompression::rows(p, c, lanes),
        Kind::Star => Decompression::star(p, c, lanes),
        Kind::Acyclic => Decompression::acyclic(p, c, lanes),
    }
}

/// Compresses `a` densely with `c`'s seeds (`B = A S`, or `Aᵀ S` for rows), laid out as
/// the sweeps lay it out, decompresses, and compares every entry with `a`.
fn roundtrip(p: &SparsityPattern, a: &Dense, kind: Kind, c: &Coloring, lanes: usize) {
    let d = decompression(p, kind, c, lanes);
    let rows: Dense = if kind == Kind::Rows {
        (0..p.ncols())
            .map(|j| a.iter().map(|r| r[j]).collect())
            .collect()
    } else {
        a.clone()
    };
    let compressed = compress(&rows, c, d.layout());
    let mut values = vec![f64::NAN; p.nnz()];
    d.decompress(&compressed, &mut values);
    for ((i, j), v) in p.iter().zip(values) {
        assert!(v == a[i][j], "{kind:?} ({i}, {j}) = {v}, want {}", a[i][j]);
    }
}

fn compress(a: &Dense, c: &Coloring, layout: &Layout) -> Vec<f64> {
    let mut flat = vec![0.0; layout.len()];
    for (i, row) in a.iter().enumerate() {
        let mut b = vec![0.0; c.ncolors()];
        for (j, &v) in row.iter().enumerate() {
            b[c.colors()[j]] += v;
        }
        for (k, bk) in b.into_iter().enumerate() {
            flat[layout.index(i, k)] = bk;
        }
    }
    flat
}

/// A preparation of `kind`, evaluated through the dense matrix as kernel.
fn prepared(u: &mut Unstructured, p: &SparsityPattern, a: &Dense, kind: Kind) -> Result<()> {
    let order = if u.arbitrary()? {
        Some(Order::ALL[u.choose_index(Order::ALL.len())?])
    } else {
        None
    };
    let lanes = if u.arbitrary()? {
        Some(lane_count(u)?)
    } else {
        None
    };
    let recolor_rounds = u.int_in_range(0..=6)?;
    let got = match kind {
        Kind::Columns | Kind::Rows => {
            let mut options = if kind == Kind::Rows {
                JacobianOptions::reverse()
            } else {
                JacobianOptions::forward()
            };
            options.order = order;
            options.lanes = lanes;
            options.recolor_rounds = recolor_rounds;
            options.warn = false;
            let mut prep = JacobianPrep::new(p.clone(), &options);
            if kind == Kind::Rows {
                prep.evaluate_reverse(&mut DenseKernel(a)).clone()
            } else {
                prep.evaluate_forward(&mut DenseKernel(a)).clone()
            }
        }
        Kind::Star | Kind::Acyclic => {
            let method = match (kind, u.ratio(1, 4)?) {
                (Kind::Acyclic, _) => Some(HessianMethod::Acyclic),
                (_, true) => None,
                _ => Some(HessianMethod::Star),
            };
            let options = HessianOptions {
                method,
                order,
                lanes,
                recolor_rounds,
                warn: false,
            };
            HessianPrep::new(p.clone(), &options)
                .evaluate(&mut DenseKernel(a))
                .clone()
        }
    };
    assert_eq!(got.shape(), p.shape());
    assert_eq!(got.indptr().raw_storage(), p.row_ptr());
    assert_eq!(got.indices(), p.col_indices());
    for ((i, j), &v) in p.iter().zip(got.data()) {
        assert!(
            v == a[i][j],
            "{kind:?} preparation ({i}, {j}) = {v}, want {}",
            a[i][j]
        );
    }
    Ok(())
}

/// Products by a dense matrix, lane by lane.
struct DenseKernel<'a>(&'a Dense);

impl Jvp for DenseKernel<'_> {
    fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
        for (row, dy) in self.0.iter().zip(dy) {
            for (&a, dx) in row.iter().zip(dx) {
                for l in 0..L {
                    dy[l] += a * dx[l];
                }
            }
        }
    }
}

impl Vjp for DenseKernel<'_> {
    fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
        for (row, dy) in self.0.iter().zip(dy) {
            for (&a, dx) in row.iter().zip(dx.iter_mut()) {
                for l in 0..L {
                    dx[l] += a * dy[l];
                }
            }
        }
    }
}

impl Hvp for DenseKernel<'_> {
    fn hvp<const L: usize>(&mut self, ws: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
        self.jvp(ws, v, hv);
    }
}
