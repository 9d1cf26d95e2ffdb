//! H1-H3 of `shared/bench/PROBLEMS.md`: primal, preparation (Hessian pattern + star
//! coloring), prepared sparse Hessian and one Hessian-vector product, for growing n
//! (bratu2d up to n = 10^6).
//!
//! `cargo bench --bench hessians`

use std::hint::black_box;

use asd::HessianOptions;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "../tests/problems/mod.rs"]
mod problems;
use problems::*;

/// The generated operators of one scalar problem.
struct Problem {
    name: &'static str,
    f: fn(&[f64]) -> f64,
    hvp: fn(&[f64], &[f64]) -> Vec<f64>,
    prepare: fn(&[f64]) -> asd::HessianPrep,
    prepared: for<'p> fn(&'p mut asd::HessianPrep, &[f64]) -> &'p asd::sprs::CsMat<f64>,
}

fn arwhead_bdqrtic(c: &mut Criterion) {
    let problems = [
        Problem {
            name: "H1 arwhead",
            f: arwhead,
            hvp: arwhead_hvp,
            prepare: arwhead_hessian_prepare,
            prepared: arwhead_hessian_prepared,
        },
        Problem {
            name: "H2 bdqrtic",
            f: bdqrtic,
            hvp: bdqrtic_hvp,
            prepare: bdqrtic_hessian_prepare,
            prepared: bdqrtic_hessian_prepared,
        },
    ];
    for p in problems {
        let mut g = c.benchmark_group(p.name);
        g.sample_size(20);
        for n in [1_000, 10_000] {
            let x = point(n);
            g.bench_with_input(BenchmarkId::new("primal", n), &x, |b, x| {
                b.iter(|| (p.f)(black_box(x)))
            });
            g.bench_with_input(BenchmarkId::new("hvp", n), &x, |b, x| {
                b.iter(|| (p.hvp)(black_box(x), x))
            });
            g.bench_with_input(BenchmarkId::new("prepare", n), &x, |b, x| {
                b.iter(|| (p.prepare)(black_box(x)))
            });
            let mut prep = (p.prepare)(&x);
            g.bench_with_input(BenchmarkId::new("prepared", n), &x, |b, x| {
                b.iter(|| (p.prepared)(&mut prep, black_box(x)).nnz())
            });
        }
        g.finish();
    }
}

fn bratu(c: &mut Criterion) {
    let mut g = c.benchmark_group("H3 bratu2d");
    g.sample_size(10);
    for side in [100, 224, 316, 1000] {
        let n = side * side;
        let u = point(n);
        let v = point(n);
        g.bench_with_input(BenchmarkId::new("primal", n), &u, |b, u| {
            b.iter(|| bratu2d(black_box(u), side))
        });
        g.bench_with_input(BenchmarkId::new("hvp", n), &u, |b, u| {
            b.iter(|| bratu2d_hvp(black_box(u), side, &v))
        });
        g.bench_with_input(BenchmarkId::new("prepare", n), &u, |b, u| {
            b.iter(|| bratu2d_hessian_prepare(black_box(u), side))
        });
        let mut prep = bratu2d_hessian_prepare(&u, side);
        g.bench_with_input(BenchmarkId::new("prepared", n), &u, |b, u| {
            b.iter(|| bratu2d_hessian_prepared(&mut prep, black_box(u), side).nnz())
        });
        // The stencil's entries are constant, so the default colors the diagonal only
        // (1 color); with every entry, 5 colors: in 1 sweep of 6 lanes, in 8 lanes as
        // before `LANES` had 6, split over 2 threads (`--features parallel`), and the
        // same two sweeps of 4 lanes on one thread, what each thread of them does.
        let every = HessianOptions::default().with_constant_entries(false);
        for (name, options) in [
            (
                "prepared, 2 threads",
                HessianOptions::default().with_threads(2),
            ),
            ("prepared, every entry", every),
            ("prepared, every entry, 8 lanes", every.with_lanes(8)),
            ("prepared, every entry, 2 threads", every.with_threads(2)),
            (
                "prepared, every entry, 2 sweeps of 4 lanes",
                every.with_lanes(4),
            ),
        ] {
            let mut prep = bratu2d_hessian_prepare_with(&u, side, &options);
            g.bench_with_input(BenchmarkId::new(name, n), &u, |b, u| {
                b.iter(|| bratu2d_hessian_prepared(&mut prep, black_box(u), side).nnz())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, arwhead_bdqrtic, bratu);
criterion_main!(benches);
