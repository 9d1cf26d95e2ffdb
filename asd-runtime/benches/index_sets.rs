//! Index sets in both regimes, and pattern construction at a million nonzeros.
//!
//! - `banded/k=1/n`: the tracer of `y[i] = x[i-1] + x[i] + x[i+1]`, tiny inline sets;
//!   must grow linearly in n and stay in milliseconds at n = 10^6.
//! - `banded/k=40/n`: 81-wide bands, which cross over to bit sets;
//! - `accumulate/n`: `s ∪= x[j]` for every input (a sum over all inputs);
//! - `dense_union/n`: `a ∪ b` of two random halves of `0..n`;
//! - `pattern/*`: `from_coordinates` (shuffled, with duplicates), `transpose` and
//!   `from_index_sets` at about 10^6 nonzeros.
//!
//! Run with `cargo bench -p asd-runtime --bench index_sets`.

use std::time::Duration;

use asd_runtime::{IndexSet, SparsityPattern};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// A tiny deterministic generator, so runs are comparable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// One sweep of the banded tracer: `y[i] = x[i-k] ∪ ... ∪ x[i+k]`.
fn banded_sweep(x: &[IndexSet], k: usize) -> Vec<IndexSet> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let mut y = x[i].clone();
            for j in i.saturating_sub(k)..(i + k + 1).min(n) {
                y.union_with(&x[j]);
            }
            y
        })
        .collect()
}

fn banded(c: &mut Criterion) {
    let mut g = c.benchmark_group("banded");
    for (k, n) in [(1, 10_000), (1, 100_000), (1, 1_000_000), (40, 100_000)] {
        let x: Vec<IndexSet> = (0..n).map(IndexSet::singleton).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new(format!("k={k}"), n), &x, |b, x| {
            b.iter(|| banded_sweep(black_box(x), k))
        });
    }
    g.finish();
}

fn accumulate(c: &mut Criterion) {
    let mut g = c.benchmark_group("accumulate");
    for n in [100_000, 1_000_000] {
        let x: Vec<IndexSet> = (0..n).map(IndexSet::singleton).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &x, |b, x| {
            b.iter(|| {
                let mut s = IndexSet::new();
                for xi in x {
                    s.union_with(xi);
                }
                s
            })
        });
    }
    g.finish();
}

fn dense_union(c: &mut Criterion) {
    let mut g = c.benchmark_group("dense_union");
    let mut rng = Lcg(7);
    for n in [1_000, 10_000, 100_000] {
        let mut half = || -> IndexSet { (0..n).filter(|_| rng.next().is_multiple_of(2)).collect() };
        let (a, b) = (half(), half());
        assert!(a.is_dense() && b.is_dense());
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &(a, b), |bch, (a, b)| {
            bch.iter(|| IndexSet::union(black_box(a), black_box(b)))
        });
    }
    g.finish();
}

fn pattern(c: &mut Criterion) {
    let mut g = c.benchmark_group("pattern");
    // A 5-point stencil in a random order with 10% duplicates: about 10^6 entries.
    let side = 450;
    let n = side * side;
    let mut coords = Vec::new();
    for i in 0..side {
        for j in 0..side {
            let r = i * side + j;
            coords.push((r, r));
            if i > 0 {
                coords.push((r, r - side));
            }
            if i + 1 < side {
                coords.push((r, r + side));
            }
            if j > 0 {
                coords.push((r, r - 1));
            }
            if j + 1 < side {
                coords.push((r, r + 1));
            }
        }
    }
    let mut rng = Lcg(11);
    let dups: Vec<_> = (0..coords.len() / 10)
        .map(|_| coords[rng.next() as usize % coords.len()])
        .collect();
    coords.extend(dups);
    for k in (1..coords.len()).rev() {
        coords.swap(k, rng.next() as usize % (k + 1));
    }
    let p = SparsityPattern::from_coordinates(n, n, coords.iter().copied());
    let sets: Vec<IndexSet> = (0..n).map(|r| p.row(r).iter().copied().collect()).collect();
    g.throughput(Throughput::Elements(coords.len() as u64));
    g.bench_function(BenchmarkId::new("from_coordinates", coords.len()), |b| {
        b.iter(|| SparsityPattern::from_coordinates(n, n, black_box(&coords).iter().copied()))
    });
    g.throughput(Throughput::Elements(p.nnz() as u64));
    g.bench_function(BenchmarkId::new("transpose", p.nnz()), |b| {
        b.iter(|| black_box(&p).transpose())
    });
    g.bench_function(BenchmarkId::new("from_index_sets", p.nnz()), |b| {
        b.iter(|| SparsityPattern::from_index_sets(n, black_box(&sets)))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = banded, accumulate, dense_union, pattern
}
criterion_main!(benches);
