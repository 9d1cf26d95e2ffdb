//! Coloring time on the two shapes that dominate PDE and banded problems: a band of 5
//! nonzeros per row and the 2-D 5-point stencil, at 10^4, 10^5 and 10^6 unknowns; and
//! star coloring of two Hessians with a hub of degree n - 1 (arrowhead, BDQRTIC), which
//! must stay linear in n.
//!
//! `cargo bench -p asd-runtime --bench coloring -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use asd_runtime::coloring::{color_columns_best, star_coloring_best};
use asd_runtime::SparsityPattern;

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

/// Symmetric band, 5 nonzeros per row (half-width 2): usable for both colorings.
fn band5(n: usize) -> SparsityPattern {
    SparsityPattern::from_rows(
        n,
        (0..n)
            .map(|i| (i.saturating_sub(2)..(i + 3).min(n)).collect())
            .collect(),
    )
}

/// 5-point stencil on a `k x k` grid, `k = sqrt(n)`.
fn stencil5(n: usize) -> SparsityPattern {
    let k = (n as f64).sqrt().round() as usize;
    let id = |i: usize, j: usize| i + k * j;
    let rows = (0..k)
        .flat_map(|j| (0..k).map(move |i| (i, j)))
        .map(|(i, j)| {
            let mut r = vec![id(i, j)];
            if i > 0 {
                r.push(id(i - 1, j));
            }
            if i + 1 < k {
                r.push(id(i + 1, j));
            }
            if j > 0 {
                r.push(id(i, j - 1));
            }
            if j + 1 < k {
                r.push(id(i, j + 1));
            }
            r
        })
        .collect();
    SparsityPattern::from_rows(k * k, rows)
}

/// Diagonal, last row and last column: the Hessian of CUTEst ARWHEAD.
fn arrowhead(n: usize) -> SparsityPattern {
    SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(i, i), (i, n - 1), (n - 1, i)]))
}

/// The Hessian of CUTEst BDQRTIC: each term couples x[i..i+4] with x[n-1].
fn bdqrtic(n: usize) -> SparsityPattern {
    SparsityPattern::from_coordinates(
        n,
        n,
        (0..n.saturating_sub(4)).flat_map(move |i| {
            let vs = [i, i + 1, i + 2, i + 3, n - 1];
            vs.into_iter().flat_map(move |a| vs.map(|b| (a, b)))
        }),
    )
}

fn bench(c: &mut Criterion) {
    for (shape, make) in [
        ("band5", band5 as fn(usize) -> SparsityPattern),
        ("stencil5", stencil5),
    ] {
        let mut group = c.benchmark_group(format!("coloring/{shape}"));
        group.sample_size(10);
        for n in SIZES {
            let p = make(n);
            group.throughput(Throughput::Elements(p.nnz() as u64));
            group.bench_with_input(BenchmarkId::new("color_columns_best", n), &p, |b, p| {
                b.iter(|| color_columns_best(p).ncolors())
            });
            group.bench_with_input(BenchmarkId::new("star_coloring_best", n), &p, |b, p| {
                b.iter(|| star_coloring_best(p).coloring().ncolors())
            });
        }
        group.finish();
    }
    for (shape, make) in [
        ("arrowhead", arrowhead as fn(usize) -> SparsityPattern),
        ("bdqrtic", bdqrtic),
    ] {
        let mut group = c.benchmark_group(format!("coloring/{shape}"));
        group.sample_size(10);
        for n in [1_000, 10_000, 100_000] {
            let p = make(n);
            group.throughput(Throughput::Elements(p.nnz() as u64));
            group.bench_with_input(BenchmarkId::new("star_coloring_best", n), &p, |b, p| {
                b.iter(|| star_coloring_best(p).coloring().ncolors())
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
