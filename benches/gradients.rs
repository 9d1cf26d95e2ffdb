//! Gradients by one reverse sweep: the gradient / primal ratio on H1 (arwhead) and H3
//! (bratu2d) for n = 10^3 .. 10^6; it should stay a small constant, whatever n.
//!
//! `cargo bench --bench gradients`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "../tests/problems/mod.rs"]
mod problems;
use problems::*;

fn arwhead_gradient_ratio(c: &mut Criterion) {
    let mut g = c.benchmark_group("H1 arwhead");
    for n in [1_000, 10_000, 100_000, 1_000_000] {
        let x = point(n);
        g.bench_with_input(BenchmarkId::new("primal", n), &x, |b, x| {
            b.iter(|| arwhead(black_box(x)))
        });
        g.bench_with_input(BenchmarkId::new("gradient", n), &x, |b, x| {
            b.iter(|| arwhead_gradient(black_box(x)))
        });
    }
    g.finish();
}

fn bratu2d_gradient_ratio(c: &mut Criterion) {
    let mut g = c.benchmark_group("H3 bratu2d");
    for side in [32, 100, 316, 1000] {
        let u = point(side * side);
        let n = side * side;
        g.bench_with_input(BenchmarkId::new("primal", n), &u, |b, u| {
            b.iter(|| bratu2d(black_box(u), side))
        });
        g.bench_with_input(BenchmarkId::new("gradient", n), &u, |b, u| {
            b.iter(|| bratu2d_gradient(black_box(u), side))
        });
    }
    g.finish();
}

criterion_group!(benches, arwhead_gradient_ratio, bratu2d_gradient_ratio);
criterion_main!(benches);
