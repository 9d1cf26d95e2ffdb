//! J1-J3 of `shared/bench/PROBLEMS.md` (primal, prepare, prepared in both modes, dense
//! by one JVP per column), J1 and J2 at their scale sizes, preparation of a banded
//! map at n = 10^4 .. 10^6, and an arrowhead (issue 14: bidirectional mode against
//! forward mode, `cargo bench --bench jacobians -- arrow`).
//!
//! `cargo bench --bench jacobians`; the ratios quoted in the issues are medians of one run.

use std::hint::black_box;

use asd::{sparse_diff, JacobianOptions};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "../tests/problems/mod.rs"]
mod problems;
use problems::*;

/// `y[i] = x[i-1] - 2 x[i] + x[i+1] + x[i]^3`: a band of three nonzeros per row.
#[sparse_diff]
fn banded(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; n];
    for i in 1..n - 1 {
        y[i] = x[i - 1] - 2.0 * x[i] + x[i + 1] + x[i] * x[i] * x[i];
    }
    y[0] = x[0];
    y[n - 1] = x[n - 1];
    y
}

/// The dense Jacobian the slow way: one JVP per input, each result kept as a column
/// (moved, not copied, so the baseline pays for the JVPs and nothing else).
fn dense_by_jvp(n: usize, jvp: impl Fn(&[f64]) -> Vec<f64>) -> Vec<Vec<f64>> {
    let mut e = vec![0.0; n];
    (0..n)
        .map(|j| {
            e[j] = 1.0;
            let column = jvp(&e);
            e[j] = 0.0;
            column
        })
        .collect()
}

/// J1 at the headline size, with lane counts, reverse mode and the dense baseline, and
/// at the scale size of PROBLEMS.md (where PEERS.md quotes the other tools).
fn j1(c: &mut Criterion) {
    for n in [1000, 100_000] {
        let headline = n == 1000;
        let mut g = c.benchmark_group(format!("J1 iter_diff n={n} k=10"));
        if !headline {
            g.sample_size(20);
        }
        let x = point(n);
        g.bench_function("primal", |b| b.iter(|| iter_diff(black_box(&x), 10)));
        g.bench_function("prepare", |b| {
            b.iter(|| iter_diff_jacobian_prepare(black_box(&x), 10))
        });
        // iter_diff is linear: by default every row is constant, evaluated once, and an
        // evaluation is one sweep of one lane. The colored figures evaluate every row.
        let mut prep = iter_diff_jacobian_prepare(&x, 10);
        g.bench_function("prepared, constant rows", |b| {
            b.iter(|| iter_diff_jacobian_prepared(&mut prep, black_box(&x), 10).nnz())
        });
        let every_row = JacobianOptions::forward().with_constant_entries(false);
        for lanes in [8, 12, 16] {
            let options = every_row.with_lanes(lanes);
            let mut prep = iter_diff_jacobian_prepare_with(&x, 10, &options);
            g.bench_function(format!("prepared forward, {lanes} lanes"), |b| {
                b.iter(|| iter_diff_jacobian_prepared(&mut prep, black_box(&x), 10).nnz())
            });
        }
        // Issue 14: the sweeps split over 2 threads (2 of 6 lanes; serially 1 of 12).
        // `--features parallel` for rayon's pool; without it, threads spawned per call.
        let mut prep = iter_diff_jacobian_prepare_with(&x, 10, &every_row.with_threads(2));
        g.bench_function("prepared forward, 2 threads", |b| {
            b.iter(|| iter_diff_jacobian_prepared(&mut prep, black_box(&x), 10).nnz())
        });
        if headline {
            g.bench_function("prepare, every row", |b| {
                b.iter(|| iter_diff_jacobian_prepare_with(black_box(&x), 10, &every_row))
            });
            let reverse = JacobianOptions::reverse().with_constant_entries(false);
            let mut prep = iter_diff_jacobian_prepare_with(&x, 10, &reverse);
            g.bench_function("prepared reverse", |b| {
                b.iter(|| iter_diff_jacobian_prepared(&mut prep, black_box(&x), 10).nnz())
            });
            g.sample_size(10);
            g.bench_function("dense (one JVP per column)", |b| {
                b.iter(|| dense_by_jvp(x.len(), |d| iter_diff_jvp(black_box(&x), 10, d).1))
            });
        }
        g.finish();
    }
}

/// J2 at N = 32, with the dense baseline, and at the scale size N = 128.
fn j2(c: &mut Criterion) {
    for n in [32, 128] {
        let mut g = c.benchmark_group(format!("J2 brusselator N={n}"));
        if n > 32 {
            g.sample_size(20);
        }
        let u = point(2 * n * n);
        g.bench_function("primal", |b| b.iter(|| brusselator(black_box(&u), n)));
        g.bench_function("prepare", |b| {
            b.iter(|| brusselator_jacobian_prepare(black_box(&u), n))
        });
        // The diffusion's entries are constant (2 colors for the reaction's, 8 for
        // every entry), but looking costs a second-order trace instead of a first-order
        // one, and a coloring of every entry to evaluate the constant ones with.
        let every_entry = JacobianOptions::default().with_constant_entries(false);
        g.bench_function("prepare, every entry", |b| {
            b.iter(|| brusselator_jacobian_prepare_with(black_box(&u), n, &every_entry))
        });
        let mut prep = brusselator_jacobian_prepare(&u, n);
        g.bench_function("prepared", |b| {
            b.iter(|| brusselator_jacobian_prepared(&mut prep, black_box(&u), n).nnz())
        });
        let mut prep = brusselator_jacobian_prepare_with(&u, n, &every_entry);
        g.bench_function("prepared, every entry", |b| {
            b.iter(|| brusselator_jacobian_prepared(&mut prep, black_box(&u), n).nnz())
        });
        let two = JacobianOptions::default().with_threads(2);
        let mut prep = brusselator_jacobian_prepare_with(&u, n, &two);
        g.bench_function("prepared, 2 threads", |b| {
            b.iter(|| brusselator_jacobian_prepared(&mut prep, black_box(&u), n).nnz())
        });
        if n == 32 {
            g.sample_size(10);
            g.bench_function("dense (one JVP per column)", |b| {
                b.iter(|| dense_by_jvp(u.len(), |d| brusselator_jvp(black_box(&u), n, d).1))
            });
        }
        g.finish();
    }
}

fn j3(c: &mut Criterion) {
    let mut g = c.benchmark_group("J3 conv_tanh");
    let x = point(28 * 28);
    g.bench_function("primal", |b| b.iter(|| conv_tanh(black_box(&x))));
    g.bench_function("prepare", |b| {
        b.iter(|| conv_tanh_jacobian_prepare(black_box(&x)))
    });
    let mut prep = conv_tanh_jacobian_prepare(&x);
    g.bench_function("prepared", |b| {
        b.iter(|| conv_tanh_jacobian_prepared(&mut prep, black_box(&x)).nnz())
    });
    let two = JacobianOptions::default().with_threads(2);
    let mut prep = conv_tanh_jacobian_prepare_with(&x, &two);
    g.bench_function("prepared, 2 threads", |b| {
        b.iter(|| conv_tanh_jacobian_prepared(&mut prep, black_box(&x)).nnz())
    });
    g.sample_size(10);
    g.bench_function("dense (one JVP per column)", |b| {
        b.iter(|| dense_by_jvp(x.len(), |d| conv_tanh_jvp(black_box(&x), d).1))
    });
    g.finish();
}

/// `y[0] = sum x[j]^2`, `y[i] = sin(x[0] x[i])`: an arrowhead Jacobian (dense first
/// row, dense first column, diagonal), `n` colors forward or reverse, 3 bicolored.
#[sparse_diff]
fn arrow(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; n];
    let mut s = 0.0;
    for j in 0..n {
        s += x[j] * x[j];
    }
    y[0] = s;
    for i in 1..n {
        y[i] = (x[0] * x[i]).sin();
    }
    y
}

/// The arrowhead at n = 1000: bidirectional mode (what `Auto` picks: 2 JVPs and
/// 1 VJP) against forward mode (1000 JVPs in 32 sweeps of 32 lanes).
fn arrowhead(c: &mut Criterion) {
    let n = 1000;
    let mut g = c.benchmark_group(format!("arrow n={n}"));
    let x = point(n);
    g.bench_function("primal", |b| b.iter(|| arrow(black_box(&x))));
    let mut prep = arrow_jacobian_prepare(&x);
    assert_eq!(prep.mode(), asd::Mode::Bidirectional);
    g.bench_function("prepared bidirectional", |b| {
        b.iter(|| arrow_jacobian_prepared(&mut prep, black_box(&x)).nnz())
    });
    // Forward mode alone: sparsity buys nothing, and the warning says so once.
    let forward_only = JacobianOptions::forward().with_warn(false);
    let mut forward = arrow_jacobian_prepare_with(&x, &forward_only);
    g.sample_size(20);
    g.bench_function("prepared forward", |b| {
        b.iter(|| arrow_jacobian_prepared(&mut forward, black_box(&x)).nnz())
    });
    g.bench_function("prepare (auto: bidirectional)", |b| {
        b.iter(|| arrow_jacobian_prepare(black_box(&x)))
    });
    g.bench_function("prepare forward", |b| {
        b.iter(|| arrow_jacobian_prepare_with(black_box(&x), &forward_only))
    });
    g.finish();
}

fn preparation_scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("banded preparation");
    g.sample_size(10);
    for n in [10_000, 100_000, 1_000_000] {
        let x = point(n);
        g.bench_with_input(BenchmarkId::new("primal", n), &x, |b, x| {
            b.iter(|| banded(black_box(x)))
        });
        g.bench_with_input(BenchmarkId::new("prepare", n), &x, |b, x| {
            b.iter(|| banded_jacobian_prepare(black_box(x)))
        });
        let mut prep = banded_jacobian_prepare(&x);
        g.bench_with_input(BenchmarkId::new("prepared", n), &x, |b, x| {
            b.iter(|| banded_jacobian_prepared(&mut prep, black_box(x)).nnz())
        });
    }
    g.finish();
}

criterion_group!(benches, j1, j2, j3, arrowhead, preparation_scaling);
criterion_main!(benches);
