//! Randomized coloring and decompression: at least 10⁴ random patterns per coloring
//! kind (column, row, star, acyclic, bicoloring), from many families of patterns, every vertex
//! order (`Order::ALL` and a random one), and two of those colorings recolored by a
//! random number of rounds (which must never add a color).
//!
//! Every coloring is checked by the brute-force checkers of `coloring/check.rs`, and
//! every decompression against the dense matrix it came from: a random matrix with
//! the pattern is compressed here, densely, straight from the colors (`B = A S`, or
//! `Aᵀ S` for rows, written where the [`Layout`] says), and also through the
//! preparations with a dense kernel. Entries are `±k / 2²⁰` with `k` in `[2¹⁹, 2²¹)`:
//! every sum and difference of a few hundred of them is exact in `f64`, so results are
//! compared with `==` (acyclic substitution included), and a value gathered from the
//! wrong place cannot pass by coincidence (about 3·10⁶ distinct values).
//!
//! A seeded loop rather than proptest: the count is exact, a failure names its case
//! seed and prints the pattern, and nothing is shrunk. `ASD_FUZZ_CASES` (patterns per
//! kind, default 10⁴) and `ASD_FUZZ_SEED` run longer or other campaigns.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use asd_runtime::coloring::{
    acyclic_coloring_best, bicoloring, bicoloring_best, color_columns_best, color_rows_best,
    is_acyclic_coloring, is_bicoloring, is_column_coloring, is_row_coloring, is_star_coloring,
    recolor_acyclic, recolor_columns, recolor_rows, recolor_star, star_coloring_best, Bicoloring,
    NO_COLOR,
};
use asd_runtime::decompress::{BiDecompression, Decompression, Layout};
use asd_runtime::{
    acyclic_coloring, color_columns, color_rows, star_coloring, Coloring, HessianMethod,
    HessianOptions, HessianPrep, Hvp, JacobianOptions, JacobianPrep, Jvp, ModeChoice, Order,
    SparsityPattern, Vjp, Workspace, LANES,
};
use sprs::CsMat;

type Dense = Vec<Vec<f64>>;

/// Patterns per coloring kind.
fn cases() -> u64 {
    std::env::var("ASD_FUZZ_CASES").map_or(10_000, |s| s.parse().expect("ASD_FUZZ_CASES"))
}

fn base_seed() -> u64 {
    std::env::var("ASD_FUZZ_SEED").map_or(0x5eed_a5d0, |s| s.parse().expect("ASD_FUZZ_SEED"))
}

// ---- randomness -----------------------------------------------------------------------

/// SplitMix64: tiny, seedable, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`; `n > 0`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) < p * (1u64 << 53) as f64
    }

    /// A nonzero dyadic value `±k / 2²⁰`, `k` in `[2¹⁹, 2²¹)`: sums stay exact.
    fn value(&mut self) -> f64 {
        let k = (1u64 << 19) + self.next() % (3 << 19);
        let v = k as f64 / (1u64 << 20) as f64;
        if self.next() & 1 == 0 {
            v
        } else {
            -v
        }
    }

    fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            p.swap(i, self.below(i + 1));
        }
        p
    }
}

// ---- pattern families -----------------------------------------------------------------

/// Names of the general (rectangular) families, indexed by [`general`]'s choice.
const GENERAL: [&str; 11] = [
    "random",
    "banded",
    "arrow",
    "block-diagonal",
    "empty rows/columns",
    "tiny",
    "degenerate",
    "wide dense row",
    "tall dense column",
    "permuted band",
    "dense",
];

/// A random `m x n` pattern from one of the [`GENERAL`] families, and its family.
fn general(rng: &mut Rng) -> (&'static str, SparsityPattern) {
    let family = rare(rng, GENERAL.len(), &[7, 8]);
    let mut coords = Vec::new();
    let (m, n) = match family {
        0 => {
            let (m, n) = (rng.range(1, 16), rng.range(1, 16));
            let d = rng.below(61) as f64 / 100.0;
            cells(rng, m, n, d, &mut coords);
            (m, n)
        }
        1 | 9 => {
            let (m, n) = (rng.range(1, 20), rng.range(1, 20));
            let (lo, hi) = (rng.below(5), rng.below(5));
            for i in 0..m {
                for j in 0..n {
                    if j + lo >= i && j <= i + hi {
                        coords.push((i, j));
                    }
                }
            }
            if family == 9 {
                let (pr, pc) = (rng.permutation(m), rng.permutation(n));
                for c in &mut coords {
                    *c = (pr[c.0], pc[c.1]);
                }
            }
            (m, n)
        }
        2 => {
            let (m, n) = (rng.range(1, 20), rng.range(1, 20));
            cells(rng, m, n, 0.1, &mut coords);
            let (r, c) = (rng.below(m), rng.below(n));
            let (row, col) = match rng.below(3) {
                0 => (true, false),
                1 => (false, true),
                _ => (true, true),
            };
            for j in (0..n).filter(|_| row) {
                coords.push((r, j));
            }
            for i in (0..m).filter(|_| col) {
                coords.push((i, c));
            }
            (m, n)
        }
        3 => {
            let (mut m, mut n) = (0, 0);
            for _ in 0..rng.range(1, 5) {
                let (bm, bn) = (rng.range(0, 5), rng.range(0, 5));
                let d = if rng.chance(0.5) { 1.0 } else { 0.5 };
                let mut block = Vec::new();
                cells(rng, bm, bn, d, &mut block);
                coords.extend(block.into_iter().map(|(i, j)| (m + i, n + j)));
                m += bm;
                n += bn;
            }
            (m, n)
        }
        4 => {
            let (m, n) = (rng.range(1, 16), rng.range(1, 16));
            cells(rng, m, n, 0.4, &mut coords);
            let (dead_rows, dead_cols) = (rng.below(m + 1), rng.below(n + 1));
            let (pr, pc) = (rng.permutation(m), rng.permutation(n));
            coords.retain(|&(i, j)| pr[i] >= dead_rows && pc[j] >= dead_cols);
            (m, n)
        }
        5 => {
            let (m, n) = (rng.range(1, 2), rng.range(1, 2));
            cells(rng, m, n, 0.5, &mut coords);
            (m, n)
        }
        6 => match rng.below(4) {
            0 => (0, 0),
            1 => (0, rng.range(1, 6)),
            2 => (rng.range(1, 6), 0),
            _ => (rng.range(1, 6), rng.range(1, 6)),
        },
        // Past 64 colors and past the intersection graph's storage budget.
        7 | 8 => {
            let (m, n) = (rng.range(1, 2), rng.range(66, 80));
            cells(rng, m, n, 0.05, &mut coords);
            let r = rng.below(m);
            coords.extend((0..n).map(|j| (r, j)));
            if family == 8 {
                coords = coords.into_iter().map(|(i, j)| (j, i)).collect();
                (n, m)
            } else {
                (m, n)
            }
        }
        _ => {
            let (m, n) = (rng.range(1, 10), rng.range(1, 10));
            cells(rng, m, n, 1.0, &mut coords);
            (m, n)
        }
    };
    (
        GENERAL[family],
        SparsityPattern::from_coordinates(m, n, coords),
    )
}

/// A family index below `n`, the costly `big` ones drawn a third as often as the others:
/// a few hundred of them per campaign exercise their code paths, and more would cost
/// most of the run.
fn rare(rng: &mut Rng, n: usize, big: &[usize]) -> usize {
    let family = rng.below(n);
    if !big.contains(&family) || rng.chance(1.0 / 3.0) {
        return family;
    }
    loop {
        let small = rng.below(n);
        if !big.contains(&small) {
            return small;
        }
    }
}

/// Each cell of an `m x n` block with probability `density`.
fn cells(rng: &mut Rng, m: usize, n: usize, density: f64, out: &mut Vec<(usize, usize)>) {
    for i in 0..m {
        for j in 0..n {
            if rng.chance(density) {
                out.push((i, j));
            }
        }
    }
}

/// Names of the symmetric families, indexed by [`symmetric`]'s choice.
const SYMMETRIC: [&str; 13] = [
    "random",
    "band",
    "arrow",
    "big arrow",
    "block-diagonal",
    "diagonal only",
    "tiny",
    "tree",
    "cycle",
    "grid",
    "complete bipartite",
    "permuted band",
    "isolated vertices",
];

/// A random symmetric `n x n` pattern from one of the [`SYMMETRIC`] families (the
/// diagonal full, absent or partial), and its family.
fn symmetric(rng: &mut Rng) -> (&'static str, SparsityPattern) {
    let family = rare(rng, SYMMETRIC.len(), &[3]);
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let n = match family {
        0 | 12 => {
            let n = rng.range(1, 16);
            let d = rng.below(51) as f64 / 100.0;
            for i in 0..n {
                for j in i + 1..n {
                    if rng.chance(d) {
                        edges.push((i, j));
                    }
                }
            }
            if family == 12 {
                // Vertices without any edge, spread among the others.
                let dead = rng.below(n + 1);
                let p = rng.permutation(n);
                edges.retain(|&(i, j)| p[i] >= dead && p[j] >= dead);
            }
            n
        }
        1 | 11 => {
            let n = rng.range(1, 20);
            let b = rng.range(1, 5);
            for i in 0..n {
                for j in i + 1..(i + b + 1).min(n) {
                    edges.push((i, j));
                }
            }
            if family == 11 {
                let p = rng.permutation(n);
                for e in &mut edges {
                    *e = (p[e.0], p[e.1]);
                }
            }
            n
        }
        // A vertex of degree above 32 takes the star and acyclic colorers' "heavy" path.
        2 | 3 => {
            let n = if family == 2 {
                rng.range(2, 20)
            } else {
                rng.range(34, 44)
            };
            for _ in 0..rng.range(1, 3) {
                let hub = rng.below(n);
                edges.extend((0..n).filter(|&j| j != hub).map(|j| (hub, j)));
            }
            for _ in 0..rng.below(n) {
                edges.push((rng.below(n), rng.below(n)));
            }
            n
        }
        4 => {
            let mut n = 0;
            for _ in 0..rng.range(1, 5) {
                let b = rng.range(1, 6);
                let d = if rng.chance(0.5) { 1.0 } else { 0.5 };
                for i in 0..b {
                    for j in i + 1..b {
                        if rng.chance(d) {
                            edges.push((n + i, n + j));
                        }
                    }
                }
                n += b;
            }
            n
        }
        5 => rng.range(0, 20),
        6 => {
            let n = rng.range(0, 3);
            for i in 0..n {
                for j in i + 1..n {
                    if rng.chance(0.5) {
                        edges.push((i, j));
                    }
                }
            }
            n
        }
        7 => {
            let n = rng.range(1, 24);
            let p = rng.permutation(n);
            edges.extend((1..n).map(|i| (p[i], p[rng.below(i)])));
            n
        }
        8 => {
            let n = rng.range(3, 20);
            edges.extend((0..n).map(|i| (i, (i + 1) % n)));
            for _ in 0..rng.below(3) {
                edges.push((rng.below(n), rng.below(n)));
            }
            n
        }
        9 => {
            let (r, c) = (rng.range(1, 6), rng.range(1, 6));
            for i in 0..r {
                for j in 0..c {
                    if i + 1 < r {
                        edges.push((i * c + j, (i + 1) * c + j));
                    }
                    if j + 1 < c {
                        edges.push((i * c + j, i * c + j + 1));
                    }
                }
            }
            r * c
        }
        _ => {
            let (a, b) = (rng.range(1, 6), rng.range(1, 6));
            edges.extend((0..a).flat_map(|i| (a..a + b).map(move |j| (i, j))));
            a + b
        }
    };
    let diagonal = match rng.below(3) {
        0 => 1.0,
        1 => 0.0,
        _ => 0.5,
    };
    let mut coords: Vec<(usize, usize)> = edges
        .into_iter()
        .filter(|&(i, j)| i != j)
        .flat_map(|(i, j)| [(i, j), (j, i)])
        .collect();
    // The diagonal-only family always has some diagonal, unless it is empty.
    let diagonal = if family == 5 && diagonal == 0.0 {
        0.5
    } else {
        diagonal
    };
    coords.extend((0..n).filter(|_| rng.chance(diagonal)).map(|i| (i, i)));
    (
        SYMMETRIC[family],
        SparsityPattern::from_coordinates(n, n, coords),
    )
}

/// Mostly general patterns, sometimes symmetric ones (for column and row colorings).
fn any_pattern(rng: &mut Rng) -> (&'static str, SparsityPattern) {
    if rng.chance(0.75) {
        general(rng)
    } else {
        let (family, p) = symmetric(rng);
        (family, p)
    }
}

// ---- matrices, compression, comparison ------------------------------------------------

/// A dense matrix whose nonzeros are exactly `p`'s entries.
fn matrix(rng: &mut Rng, p: &SparsityPattern) -> Dense {
    let mut a = vec![vec![0.0; p.ncols()]; p.nrows()];
    for (i, j) in p.iter() {
        a[i][j] = rng.value();
    }
    a
}

/// A dense symmetric matrix whose nonzeros are exactly the symmetric `p`'s entries.
fn symmetric_matrix(rng: &mut Rng, p: &SparsityPattern) -> Dense {
    let mut a = matrix(rng, p);
    for (i, j) in p.iter().filter(|&(i, j)| i < j) {
        a[j][i] = a[i][j];
    }
    a
}

fn transpose(a: &Dense, ncols: usize) -> Dense {
    (0..ncols)
        .map(|j| a.iter().map(|r| r[j]).collect())
        .collect()
}

/// `B = A S` straight from the colors of `A`'s columns (`S[j][color(j)] = 1`), each
/// `B[i][k]` written at `layout.index(i, k)`, as a preparation's sweeps lay it out.
fn compress(a: &Dense, colors: &[usize], ncolors: usize, layout: &Layout) -> Vec<f64> {
    let mut flat = vec![0.0; layout.len()];
    for (i, row) in a.iter().enumerate() {
        let mut b = vec![0.0; ncolors];
        for (j, &v) in row.iter().enumerate() {
            b[colors[j]] += v;
        }
        for (k, bk) in b.into_iter().enumerate() {
            flat[layout.index(i, k)] = bk;
        }
    }
    flat
}

/// Compresses `a` (already transposed for rows), decompresses with `d`, and compares
/// every entry of the result, in `p`'s CSR order, with `want` (the original matrix).
fn roundtrip(
    p: &SparsityPattern,
    d: &Decompression,
    a: &Dense,
    coloring: &Coloring,
    want: &Dense,
) -> Result<(), String> {
    let compressed = compress(a, coloring.colors(), coloring.ncolors(), d.layout());
    let mut values = vec![f64::NAN; p.nnz()];
    d.decompress(&compressed, &mut values);
    same_entries(p, &values, want).map_err(|e| {
        format!(
            "{:?} decompression with {:?}, {} lanes: {e}",
            d.recovery(),
            coloring.colors(),
            d.layout().lanes()
        )
    })
}

/// `values` (CSR order of `p`) are exactly `want`'s entries; off the pattern `want` is
/// zero by construction, so this compares every entry of the dense matrix.
fn same_entries(p: &SparsityPattern, values: &[f64], want: &Dense) -> Result<(), String> {
    if values.len() != p.nnz() {
        return Err(format!("{} values for {} nonzeros", values.len(), p.nnz()));
    }
    for ((i, j), &got) in p.iter().zip(values) {
        if got != want[i][j] {
            return Err(format!("entry ({i}, {j}) is {got}, want {}", want[i][j]));
        }
    }
    Ok(())
}

/// A result matrix of a preparation: `p`'s structure, `want`'s values.
fn same_matrix(p: &SparsityPattern, got: &CsMat<f64>, want: &Dense) -> Result<(), String> {
    if !got.is_csr() || got.shape() != p.shape() {
        return Err(format!(
            "result is {:?}, pattern {:?}",
            got.shape(),
            p.shape()
        ));
    }
    if got.indptr().raw_storage() != p.row_ptr() || got.indices() != p.col_indices() {
        return Err("result structure differs from the pattern".into());
    }
    same_entries(p, got.data(), want)
}

/// The kernel of a dense matrix: products by `A`, lane by lane.
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

// ---- checks ---------------------------------------------------------------------------

/// Colors are `0..ncolors`, each used.
fn compact(c: &Coloring) -> Result<(), String> {
    let mut used = vec![false; c.ncolors()];
    for &k in c.colors() {
        *used
            .get_mut(k)
            .ok_or(format!("color {k} >= {}", c.ncolors()))? = true;
    }
    match used.iter().position(|&u| !u) {
        Some(k) => Err(format!("color {k} of {} is unused", c.ncolors())),
        None => Ok(()),
    }
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

/// Every order the colorers know, and a random one.
fn orders(rng: &mut Rng) -> impl Iterator<Item = Order> {
    Order::ALL.into_iter().chain([Order::Random(rng.next())])
}

fn lanes(rng: &mut Rng) -> usize {
    LANES[rng.below(LANES.len())]
}

/// `colors` with one vertex recolored at random (perhaps no longer valid), or a
/// coloring drawn at random with few colors.
fn tampered(rng: &mut Rng, colors: &[usize]) -> Coloring {
    let n = colors.len();
    let mut c = colors.to_vec();
    if n > 0 && rng.chance(0.5) {
        let k = c.iter().max().map_or(0, |&k| k + 1);
        c[rng.below(n)] = rng.below(k + 1);
    } else {
        let k = rng.range(1, 4);
        c.iter_mut().for_each(|x| *x = rng.below(k));
    }
    Coloring::from_colors(c)
}

/// Runs `f`, turning a panic into an `Err` with its message.
fn no_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
        format!("panicked: {}", msg.unwrap_or_default())
    })
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// [`no_panic`] for a call that may refuse its input by panicking, as documented: the
/// panic hook stays silent for it, so that thousands of expected refusals neither
/// flood the output nor each capture a backtrace (`RUST_BACKTRACE=1`).
fn may_refuse<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let loud = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                loud(info)
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = no_panic(f);
    QUIET.with(|q| q.set(false));
    result
}

/// What one test tried.
#[derive(Default, Debug)]
struct Counts {
    patterns: u64,
    colorings: u64,
    decompressions: u64,
    preparations: u64,
    /// Colorings recolored, and how many of them lost colors.
    recolorings: u64,
    recolorings_fewer: u64,
    tampered_valid: u64,
    tampered_invalid: u64,
    families: std::collections::BTreeMap<&'static str, u64>,
}

/// Runs `check` on `cases()` patterns drawn by `draw`, each from its own seed; a
/// failure (an `Err` or a panic) names the case and prints the pattern.
fn campaign(
    kind: &str,
    families: &[&str],
    mut draw: impl FnMut(&mut Rng) -> (&'static str, SparsityPattern),
    mut check: impl FnMut(&SparsityPattern, &mut Rng, &mut Counts) -> Result<(), String>,
) -> Counts {
    let mut counts = Counts::default();
    let base = base_seed() ^ kind.bytes().fold(0, |h, b| h * 31 + u64::from(b));
    for case in 0..cases() {
        let seed = base.wrapping_add(case);
        let mut rng = Rng(seed);
        let (family, p) = draw(&mut rng);
        let result = no_panic(|| check(&p, &mut rng, &mut counts)).and_then(|r| r);
        if let Err(e) = result {
            panic!(
                "{kind} case {case} (seed {seed}), family {family}: {e}\npattern {}x{}, \
                 coordinates {:?}\n{p}",
                p.nrows(),
                p.ncols(),
                p.iter().collect::<Vec<_>>()
            );
        }
        counts.patterns += 1;
        *counts.families.entry(family).or_default() += 1;
    }
    println!("{kind}: {counts:#?}");
    // Guards the guard: the campaign ran, drew every family and tried invalid colorings.
    assert_eq!(counts.patterns, cases());
    if cases() >= 10_000 {
        for f in families {
            assert!(counts.families.get(f).is_some_and(|&c| c >= 20), "{f}");
        }
        assert!(counts.tampered_invalid >= 100 && counts.tampered_valid >= 100);
        // Two recolorings per pattern, and some found fewer colors (bicolorings are
        // not recolored).
        if kind != "bicoloring" {
            assert!(counts.recolorings >= cases() && counts.recolorings_fewer >= 100);
        }
    }
    counts
}

/// A column (forward) or row (reverse) coloring: checker, bounds, decompression against
/// dense through `Decompression` and through a `JacobianPrep`, and tampered colorings,
/// which decompression must refuse exactly when the checker does.
fn check_jacobian(
    p: &SparsityPattern,
    rng: &mut Rng,
    counts: &mut Counts,
    rows: bool,
) -> Result<(), String> {
    let a = matrix(rng, p);
    // Rows are the columns of the transpose: B = Aᵀ S.
    let (compressed_of, colored) = if rows {
        (transpose(&a, p.ncols()), p.nrows())
    } else {
        (a.clone(), p.ncols())
    };
    let other = if rows { p.transpose() } else { p.clone() };
    let longest = (0..other.nrows())
        .map(|i| other.row(i).len())
        .max()
        .unwrap_or(0);
    let is_valid = |c: &[usize]| {
        if rows {
            is_row_coloring(p, c)
        } else {
            is_column_coloring(p, c)
        }
    };
    let decompression = |c: &Coloring, lanes: usize| {
        if rows {
            Decompression::rows(p, c, lanes)
        } else {
            Decompression::columns(p, c, lanes)
        }
    };
    let mut all: Vec<(String, Coloring)> = orders(rng)
        .map(|o| {
            let c = if rows {
                color_rows(p, o)
            } else {
                color_columns(p, o)
            };
            (format!("{o:?}"), c)
        })
        .collect();
    // The search over orders repeats them (it only gives up earlier): one case in four.
    if rng.chance(0.25) {
        let best = if rows {
            color_rows_best(p)
        } else {
            color_columns_best(p)
        };
        all.push(("best".into(), best));
    }
    // Two orders' colorings recolored, by up to 8 rounds: never more colors, and checked
    // and decompressed below with the others.
    for _ in 0..2 {
        let (name, c) = all[rng.below(all.len())].clone();
        let rounds = rng.below(9);
        let r = if rows {
            recolor_rows(p, c.clone(), rounds)
        } else {
            recolor_columns(p, c.clone(), rounds)
        };
        ensure(r.ncolors() <= c.ncolors(), || {
            format!(
                "{name} recolored in {rounds} rounds: {:?} from {:?}",
                r.colors(),
                c.colors()
            )
        })?;
        counts.recolorings += 1;
        counts.recolorings_fewer += u64::from(r.ncolors() < c.ncolors());
        all.push((format!("{name} recolored in {rounds} rounds"), r));
    }
    for (name, c) in &all {
        let what = || format!("{name}: {:?}", c.colors());
        ensure(c.colors().len() == colored && is_valid(c.colors()), || {
            format!("invalid coloring {}", what())
        })?;
        compact(c).map_err(|e| format!("{e} in {}", what()))?;
        ensure(longest <= c.ncolors() && c.ncolors() <= colored, || {
            format!("{} colors out of [{longest}, {colored}]", c.ncolors())
        })?;
        counts.colorings += 1;
        let d = decompression(c, lanes(rng));
        roundtrip(p, &d, &compressed_of, c, &a)?;
        counts.decompressions += 1;
    }

    // The preparation colors by itself (its own search) and evaluates through a kernel.
    let mut options = if rows {
        JacobianOptions::reverse()
    } else {
        JacobianOptions::forward()
    };
    // Without an order the preparation searches several: one case in four.
    if rng.chance(0.75) {
        options = options.with_order(orders(rng).nth(rng.below(6)).unwrap());
    }
    if rng.chance(0.5) {
        options = options.with_lanes(lanes(rng));
    }
    if rng.chance(0.5) {
        options = options.with_recolor_rounds(rng.below(9));
    }
    let mut prep = JacobianPrep::new(p.clone(), &options);
    ensure(is_valid(prep.colors()), || {
        format!("preparation coloring {:?}", prep.colors())
    })?;
    let got = if rows {
        prep.evaluate_reverse(&mut DenseKernel(&a))
    } else {
        prep.evaluate_forward(&mut DenseKernel(&a))
    };
    same_matrix(p, got, &a).map_err(|e| format!("preparation {options:?}: {e}"))?;
    counts.preparations += 1;

    // A tampered coloring is refused exactly when it is invalid.
    let c = tampered(rng, all[0].1.colors());
    let lanes = lanes(rng);
    if is_valid(c.colors()) {
        let d = may_refuse(|| decompression(&c, lanes))?;
        roundtrip(p, &d, &compressed_of, &c, &a)?;
        counts.tampered_valid += 1;
    } else {
        ensure(may_refuse(|| decompression(&c, lanes)).is_err(), || {
            format!("invalid coloring {:?} accepted", c.colors())
        })?;
        counts.tampered_invalid += 1;
    }
    Ok(())
}

/// A star or acyclic coloring of a symmetric pattern: checkers, bounds, decompression
/// against the dense symmetric matrix through `Decompression` and a `HessianPrep`, and
/// tampered colorings.
fn check_hessian(
    p: &SparsityPattern,
    rng: &mut Rng,
    counts: &mut Counts,
    method: HessianMethod,
) -> Result<(), String> {
    let a = symmetric_matrix(rng, p);
    let n = p.nrows();
    let has_edge = p.iter().any(|(i, j)| i != j);
    let star = method == HessianMethod::Star;
    let mut all: Vec<(String, Coloring)> = Vec::new();
    let hubs_of = rng.below(6);
    // Two orders' colorings are also recolored, by up to 8 rounds.
    let (recolored_a, recolored_b) = (rng.below(6), rng.below(6));
    for (k, o) in orders(rng).enumerate() {
        let recolor = (k == recolored_a || k == recolored_b).then(|| rng.below(9));
        if star {
            let s = star_coloring(p, o);
            let mut versions = vec![(format!("{o:?}"), s.clone())];
            if let Some(rounds) = recolor {
                let r = recolor_star(p, s.clone(), rounds);
                ensure(r.coloring().ncolors() <= s.coloring().ncolors(), || {
                    format!("{o:?} recolored in {rounds} rounds: more colors")
                })?;
                counts.recolorings += 1;
                counts.recolorings_fewer +=
                    u64::from(r.coloring().ncolors() < s.coloring().ncolors());
                versions.push((format!("{o:?} recolored in {rounds} rounds"), r));
            }
            for (name, s) in versions {
                // Every off-diagonal entry has a hub: the endpoint its partner sees alone
                // (in one order per pattern, and its recoloring: the hubs are not what
                // decompression reads).
                for (i, j) in p.iter().filter(|&(i, j)| i != j && k == hubs_of) {
                    let h = s
                        .hub(i, j)
                        .ok_or(format!("{name}: no hub for ({i}, {j})"))?;
                    let colors = s.coloring().colors();
                    let spoke = i + j - h;
                    let seen = p.row(spoke).iter().filter(|&&x| x != spoke);
                    ensure(
                        (h == i || h == j)
                            && seen.filter(|&&x| colors[x] == colors[h]).count() == 1,
                        || format!("{name}: hub {h} of ({i}, {j}) with {colors:?}"),
                    )?;
                }
                all.push((name, s.into_coloring()));
            }
        } else {
            let a = acyclic_coloring(p, o);
            all.push((format!("{o:?}"), a.coloring().clone()));
            if let Some(rounds) = recolor {
                let r = recolor_acyclic(p, a.clone(), rounds);
                ensure(r.coloring().ncolors() <= a.coloring().ncolors(), || {
                    format!("{o:?} recolored in {rounds} rounds: more colors")
                })?;
                counts.recolorings += 1;
                counts.recolorings_fewer +=
                    u64::from(r.coloring().ncolors() < a.coloring().ncolors());
                all.push((
                    format!("{o:?} recolored in {rounds} rounds"),
                    r.into_coloring(),
                ));
            }
        }
    }
    if rng.chance(0.25) {
        let best = if star {
            star_coloring_best(p).into_coloring()
        } else {
            acyclic_coloring_best(p).into_coloring()
        };
        all.push(("best".into(), best));
    }
    let decompression = |c: &Coloring, lanes: usize| {
        if star {
            Decompression::star(p, c, lanes)
        } else {
            Decompression::acyclic(p, c, lanes)
        }
    };
    for (name, c) in &all {
        let colors = c.colors();
        let what = || format!("{name}: {colors:?}");
        ensure(colors.len() == n, || format!("wrong length {}", what()))?;
        // A star coloring is acyclic too: a 2-colored cycle holds a 2-colored path of 4.
        ensure(is_acyclic_coloring(p, colors), || {
            format!("not acyclic {}", what())
        })?;
        ensure(!star || is_star_coloring(p, colors), || {
            format!("not a star coloring {}", what())
        })?;
        compact(c).map_err(|e| format!("{e} in {}", what()))?;
        ensure(c.ncolors() <= n && (!has_edge || c.ncolors() >= 2), || {
            format!("{} colors for {n} vertices", c.ncolors())
        })?;
        counts.colorings += 1;
        let d = decompression(c, lanes(rng));
        roundtrip(p, &d, &a, c, &a)?;
        counts.decompressions += 1;
    }

    let mut options = HessianOptions::default().with_method(method);
    // Without an order the preparation searches several: one case in four.
    if rng.chance(0.75) {
        options = options.with_order(orders(rng).nth(rng.below(6)).unwrap());
    }
    if rng.chance(0.5) {
        options = options.with_lanes(lanes(rng));
    }
    if rng.chance(0.5) {
        options = options.with_recolor_rounds(rng.below(9));
    }
    // Sometimes the automatic choice between star and column coloring.
    if star && rng.chance(0.25) {
        options.method = None;
    }
    let mut prep = HessianPrep::new(p.clone(), &options);
    let got = prep.evaluate(&mut DenseKernel(&a));
    same_matrix(p, got, &a).map_err(|e| format!("preparation {options:?}: {e}"))?;
    counts.preparations += 1;

    // Tampered colorings: a valid one must decompress exactly; acyclic decompression
    // refuses exactly the invalid ones, and star decompression, which needs only each
    // entry to be alone in its row or in its mirror's, must be exact whenever it accepts.
    let c = tampered(rng, all[0].1.colors());
    let lanes = lanes(rng);
    let valid = if star {
        is_star_coloring(p, c.colors())
    } else {
        is_acyclic_coloring(p, c.colors())
    };
    let result = may_refuse(|| decompression(&c, lanes));
    match &result {
        Ok(d) => roundtrip(p, d, &a, &c, &a)?,
        Err(e) => ensure(!valid, || format!("valid {:?} refused: {e}", c.colors()))?,
    }
    ensure(star || result.is_ok() == valid, || {
        format!("invalid acyclic coloring {:?} accepted", c.colors())
    })?;
    if valid {
        counts.tampered_valid += 1;
    } else {
        counts.tampered_invalid += 1;
    }
    Ok(())
}

/// `B = A S` for a side of a bicoloring: columns without a color left out.
fn compress_seeded(a: &Dense, colors: &[usize], layout: &Layout) -> Vec<f64> {
    let mut flat = vec![0.0; layout.len()];
    for (i, row) in a.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            if colors[j] != NO_COLOR {
                flat[layout.index(i, colors[j])] += v;
            }
        }
    }
    flat
}

/// Decompresses `a` with `b` through a `BiDecompression` and compares every entry.
fn bi_roundtrip(
    p: &SparsityPattern,
    b: &Bicoloring,
    a: &Dense,
    lanes: (usize, usize),
) -> Result<(), String> {
    let d = BiDecompression::new(p, b, lanes.0, lanes.1);
    let forward = compress_seeded(a, b.column_colors(), d.forward().layout());
    let at = transpose(a, p.ncols());
    let reverse = compress_seeded(&at, b.row_colors(), d.reverse().layout());
    let mut values = vec![f64::NAN; p.nnz()];
    d.decompress(&forward, &reverse, &mut values);
    same_entries(p, &values, a).map_err(|e| format!("{b:?}, lanes {lanes:?}: {e}"))
}

/// Each side of a bicoloring numbers its colors `0..k`, each used.
fn compact_sides(b: &Bicoloring) -> Result<(), String> {
    for (colors, k) in [
        (b.column_colors(), b.ncolumn_colors()),
        (b.row_colors(), b.nrow_colors()),
    ] {
        let seeded: Vec<usize> = colors.iter().copied().filter(|&c| c != NO_COLOR).collect();
        compact(&Coloring::from_colors(seeded.clone()))?;
        ensure(seeded.iter().max().map_or(0, |&c| c + 1) == k, || {
            format!("{k} colors claimed for {colors:?}")
        })?;
    }
    Ok(())
}

/// A bicoloring: checker, compact sides, decompression against dense through
/// `BiDecompression` and through a bidirectional `JacobianPrep` (and an automatic one),
/// and tampered bicolorings, which decompression must refuse exactly when the checker
/// does.
fn check_bicoloring(p: &SparsityPattern, rng: &mut Rng, counts: &mut Counts) -> Result<(), String> {
    let a = matrix(rng, p);
    let mut all: Vec<(String, Bicoloring)> = orders(rng)
        .map(|o| (format!("{o:?}"), bicoloring(p, o)))
        .collect();
    if rng.chance(0.25) {
        all.push(("best".into(), bicoloring_best(p)));
    }
    for (name, b) in &all {
        ensure(is_bicoloring(p, b.column_colors(), b.row_colors()), || {
            format!("invalid bicoloring {name}: {b:?}")
        })?;
        compact_sides(b).map_err(|e| format!("{e} in {name}: {b:?}"))?;
        counts.colorings += 1;
        bi_roundtrip(p, b, &a, (lanes(rng), lanes(rng)))?;
        counts.decompressions += 1;
    }

    let mut options = JacobianOptions::default().with_mode(ModeChoice::Bidirectional);
    if rng.chance(0.5) {
        options = options.with_order(orders(rng).nth(rng.below(6)).unwrap());
    }
    if rng.chance(0.5) {
        options = options.with_lanes(lanes(rng));
    }
    for options in [
        options,
        options.with_mode(ModeChoice::Auto).with_warn(false),
    ] {
        let mut prep = JacobianPrep::new(p.clone(), &options);
        if let Some(b) = prep.bicoloring() {
            ensure(is_bicoloring(p, b.column_colors(), b.row_colors()), || {
                format!("preparation bicoloring {b:?}")
            })?;
        }
        let got = prep.evaluate(&mut DenseKernel(&a));
        same_matrix(p, got, &a).map_err(|e| format!("preparation {options:?}: {e}"))?;
        counts.preparations += 1;
    }

    // A tampered bicoloring: one column or row recolored, unseeded or seeded, or
    // everything drawn at random with few colors.
    let b = &all[0].1;
    let (mut columns, mut rows) = (b.column_colors().to_vec(), b.row_colors().to_vec());
    let pick = |rng: &mut Rng, k: usize| {
        if rng.chance(0.3) {
            NO_COLOR
        } else {
            rng.below(k + 1)
        }
    };
    if rng.chance(0.7) {
        let (side, k) = if rng.chance(0.5) || rows.is_empty() {
            (&mut columns, b.ncolumn_colors())
        } else {
            (&mut rows, b.nrow_colors())
        };
        if !side.is_empty() {
            let at = rng.below(side.len());
            side[at] = pick(rng, k);
        }
    } else {
        let k = rng.range(1, 3);
        columns.iter_mut().for_each(|c| *c = pick(rng, k));
        rows.iter_mut().for_each(|c| *c = pick(rng, k));
    }
    let valid = is_bicoloring(p, &columns, &rows);
    let t = Bicoloring::from_colors(columns, rows);
    let lanes = (lanes(rng), lanes(rng));
    match may_refuse(|| BiDecompression::new(p, &t, lanes.0, lanes.1)) {
        Ok(_) => {
            ensure(valid, || format!("invalid bicoloring {t:?} accepted"))?;
            bi_roundtrip(p, &t, &a, lanes)?;
            counts.tampered_valid += 1;
        }
        Err(e) => {
            ensure(!valid, || format!("valid {t:?} refused: {e}"))?;
            counts.tampered_invalid += 1;
        }
    }
    Ok(())
}

// ---- the campaigns ---------------------------------------------------------------------

fn all_families() -> Vec<&'static str> {
    GENERAL.iter().chain(&SYMMETRIC).copied().collect()
}

#[test]
fn column_colorings_of_random_patterns() {
    campaign("column", &all_families(), any_pattern, |p, rng, counts| {
        check_jacobian(p, rng, counts, false)
    });
}

#[test]
fn row_colorings_of_random_patterns() {
    campaign("row", &all_families(), any_pattern, |p, rng, counts| {
        check_jacobian(p, rng, counts, true)
    });
}

#[test]
fn bicolorings_of_random_patterns() {
    campaign("bicoloring", &all_families(), any_pattern, check_bicoloring);
}

#[test]
fn star_colorings_of_random_symmetric_patterns() {
    campaign("star", &SYMMETRIC, symmetric, |p, rng, counts| {
        check_hessian(p, rng, counts, HessianMethod::Star)
    });
}

#[test]
fn acyclic_colorings_of_random_symmetric_patterns() {
    campaign("acyclic", &SYMMETRIC, symmetric, |p, rng, counts| {
        check_hessian(p, rng, counts, HessianMethod::Acyclic)
    });
}
