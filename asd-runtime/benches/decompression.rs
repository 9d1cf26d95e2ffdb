//! Preparation (coloring + seeds + decompression maps) and prepared evaluation
//! (sweeps of a trivial kernel + gather) for a banded Jacobian and a 5-point-stencil
//! Hessian at n = 10^4, 10^5, 10^6. Both should grow linearly in n.
//!
//! `cargo bench -p asd-runtime --bench decompression`

use std::hint::black_box;
use std::time::Duration;

use asd_runtime::decompress::Decompression;
use asd_runtime::{
    acyclic_coloring, color_columns, star_coloring, HessianMethod, HessianOptions, HessianPrep,
    Hvp, JacobianOptions, JacobianPrep, Jvp, Order, SparsityPattern, Workspace,
};
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

/// Rows `i - 2 ..= i + 2`: five column colors.
fn banded(n: usize) -> SparsityPattern {
    SparsityPattern::from_coordinates(
        n,
        n,
        (0..n).flat_map(|i| (i.saturating_sub(2)..(i + 3).min(n)).map(move |j| (i, j))),
    )
}

/// The 5-point Laplacian on a `k x k` grid with `k = round(sqrt(n))`.
fn stencil(n: usize) -> SparsityPattern {
    let k = (n as f64).sqrt().round() as usize;
    let id = |x: usize, y: usize| y * k + x;
    let coords = (0..k).flat_map(move |y| {
        (0..k).flat_map(move |x| {
            let mut v = vec![(id(x, y), id(x, y))];
            if x > 0 {
                v.push((id(x, y), id(x - 1, y)));
            }
            if x + 1 < k {
                v.push((id(x, y), id(x + 1, y)));
            }
            if y > 0 {
                v.push((id(x, y), id(x, y - 1)));
            }
            if y + 1 < k {
                v.push((id(x, y), id(x, y + 1)));
            }
            v
        })
    });
    SparsityPattern::from_coordinates(k * k, k * k, coords)
}

/// Does nothing: what is left is the driver's own cost (seeding, zeroing, gather).
struct Trivial;

impl Jvp for Trivial {
    fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
        black_box((dx, dy));
    }
}

impl Hvp for Trivial {
    fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
        black_box((v, hv));
    }
}

fn configure<'c>(c: &'c mut Criterion, name: &str) -> BenchmarkGroup<'c, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g
}

fn jacobian(c: &mut Criterion) {
    let patterns: Vec<_> = SIZES.iter().map(|&n| banded(n)).collect();
    let mut g = configure(c, "banded_jacobian/prepare");
    for p in &patterns {
        g.throughput(Throughput::Elements(p.nnz() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(p.nrows()), p, |b, p| {
            b.iter(|| JacobianPrep::new(p.clone(), &JacobianOptions::forward()))
        });
    }
    g.finish();

    let mut g = configure(c, "banded_jacobian/maps_only");
    for p in &patterns {
        let coloring = color_columns(p, Order::Natural);
        g.throughput(Throughput::Elements(p.nnz() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(p.nrows()), p, |b, p| {
            b.iter(|| Decompression::columns(p, &coloring, 8))
        });
    }
    g.finish();

    let mut g = configure(c, "banded_jacobian/evaluate");
    for p in &patterns {
        let mut prep = JacobianPrep::new(p.clone(), &JacobianOptions::forward());
        assert_eq!(prep.ncolors(), 5);
        g.throughput(Throughput::Elements(p.nnz() as u64));
        g.bench_function(BenchmarkId::from_parameter(p.nrows()), |b| {
            b.iter(|| black_box(prep.evaluate_forward(&mut Trivial).nnz()))
        });
    }
    g.finish();

    let mut g = configure(c, "banded_jacobian/gather");
    for p in &patterns {
        let d = Decompression::columns(p, &color_columns(p, Order::Natural), 8);
        let compressed = vec![1.0; d.layout().len()];
        let mut values = vec![0.0; p.nnz()];
        g.throughput(Throughput::Elements(p.nnz() as u64));
        g.bench_function(BenchmarkId::from_parameter(p.nrows()), |b| {
            b.iter(|| d.decompress(black_box(&compressed), &mut values))
        });
    }
    g.finish();
}

fn hessian(c: &mut Criterion) {
    let patterns: Vec<_> = SIZES.iter().map(|&n| stencil(n)).collect();
    for method in [HessianMethod::Star, HessianMethod::Acyclic] {
        let name = format!("stencil_hessian_{method}");
        let mut g = configure(c, &format!("{name}/prepare"));
        for p in &patterns {
            let options = HessianOptions::default().with_method(method);
            g.throughput(Throughput::Elements(p.nnz() as u64));
            g.bench_with_input(BenchmarkId::from_parameter(p.nrows()), p, |b, p| {
                b.iter(|| HessianPrep::new(p.clone(), &options))
            });
        }
        g.finish();

        let mut g = configure(c, &format!("{name}/maps_only"));
        for p in &patterns {
            g.throughput(Throughput::Elements(p.nnz() as u64));
            match method {
                HessianMethod::Star => {
                    let coloring = star_coloring(p, Order::Natural).coloring().clone();
                    g.bench_with_input(BenchmarkId::from_parameter(p.nrows()), p, |b, p| {
                        b.iter(|| Decompression::star(p, &coloring, 8))
                    });
                }
                _ => {
                    let coloring = acyclic_coloring(p, Order::Natural).coloring().clone();
                    g.bench_with_input(BenchmarkId::from_parameter(p.nrows()), p, |b, p| {
                        b.iter(|| Decompression::acyclic(p, &coloring, 8))
                    });
                }
            }
        }
        g.finish();

        let mut g = configure(c, &format!("{name}/evaluate"));
        for p in &patterns {
            let mut prep =
                HessianPrep::new(p.clone(), &HessianOptions::default().with_method(method));
            eprintln!(
                "{name} n={}: {} colors, {} sweep(s) of {} lanes",
                p.nrows(),
                prep.ncolors(),
                prep.nsweeps(),
                prep.lanes()
            );
            g.throughput(Throughput::Elements(p.nnz() as u64));
            g.bench_function(BenchmarkId::from_parameter(p.nrows()), |b| {
                b.iter(|| black_box(prep.evaluate(&mut Trivial).nnz()))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, jacobian, hessian);
criterion_main!(benches);
