//! The seed guide's Demonstration, in Rust: the Jacobian of the k-fold forward
//! difference, its sparsity pattern and coloring, and what preparation buys.
//!
//! Run with `cargo run --release --example iter_diff`.

#[path = "../tests/problems/mod.rs"]
mod problems;

use std::hint::black_box;
use std::time::{Duration, Instant};

use asd::JacobianOptions;
use problems::{
    iter_diff, iter_diff_jacobian, iter_diff_jacobian_prepare, iter_diff_jacobian_prepare_with,
    iter_diff_jacobian_prepared, iter_diff_jvp, point,
};

/// Median wall time of `f` over enough repetitions to fill about 0.3 s.
fn median_time(mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    f();
    let once = start.elapsed().max(Duration::from_nanos(50));
    let reps = ((0.3 / once.as_secs_f64()) as usize).clamp(5, 20_000);
    let mut times: Vec<Duration> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[reps / 2]
}

fn main() {
    // n = 10, k = 3, as in the guide.
    let x = point(10);
    let jac = iter_diff_jacobian(&x, 3);
    println!(
        "iter_diff(x, 3) with n = 10: Jacobian {}x{}, {} stored entries",
        jac.rows(),
        jac.cols(),
        jac.nnz()
    );
    for i in 0..jac.rows() {
        let row: Vec<String> = (0..jac.cols())
            .map(|j| match jac.get(i, j) {
                Some(v) => format!("{v:5.1}"),
                None => "    ⋅".to_string(),
            })
            .collect();
        println!("  {}", row.join(" "));
    }
    // The coloring of every row, as the guide shows it. (iter_diff is linear: by
    // default its rows are proved constant and evaluated once, without colors.)
    let every_row = JacobianOptions::default().with_constant_entries(false);
    let prep = iter_diff_jacobian_prepare_with(&x, 3, &every_row);
    let colors: Vec<String> = prep.colors().iter().map(|c| (c + 1).to_string()).collect();
    println!(
        "\ncolumn colors: {} ({} colors: {} JVPs instead of {})",
        colors.join(" "),
        prep.ncolors(),
        prep.ncolors(),
        x.len()
    );
    println!("\n{prep}");

    // The larger case of the guide's table: n = 1000, k = 10.
    let (n, k) = (1000, 10);
    let x = point(n);
    let primal = median_time(|| {
        black_box(iter_diff(black_box(&x), k));
    });
    let dense = median_time(|| {
        let mut e = vec![0.0; n];
        for j in 0..n {
            e[j] = 1.0;
            black_box(iter_diff_jvp(black_box(&x), k, &e));
            e[j] = 0.0;
        }
    });
    let unprepared = median_time(|| {
        black_box(iter_diff_jacobian(black_box(&x), k));
    });
    let prepare = median_time(|| {
        black_box(iter_diff_jacobian_prepare(black_box(&x), k));
    });
    let mut constant = iter_diff_jacobian_prepare(&x, k);
    let with_constant_rows = median_time(|| {
        black_box(iter_diff_jacobian_prepared(&mut constant, black_box(&x), k));
    });
    let mut prep = iter_diff_jacobian_prepare_with(&x, k, &every_row);
    let prepared = median_time(|| {
        black_box(iter_diff_jacobian_prepared(&mut prep, black_box(&x), k));
    });
    println!(
        "n = {n}, k = {k}: {} colors, {} lanes per sweep, {} sweep(s)",
        prep.ncolors(),
        prep.lanes(),
        prep.nsweeps()
    );
    println!("| {:<28} | {:>12} | {:>10} |", "", "median", "/ primal");
    let row = |name: &str, t: Duration| {
        println!(
            "| {:<28} | {:>12.2?} | {:>10.1} |",
            name,
            t,
            t.as_secs_f64() / primal.as_secs_f64()
        )
    };
    row("primal iter_diff", primal);
    row("dense (one JVP per column)", dense);
    row("sparse, unprepared", unprepared);
    row("preparation alone", prepare);
    row("sparse, prepared", prepared);
    row("prepared, constant rows", with_constant_rows);
    println!(
        "sparse prepared is {:.0}x faster than dense; unprepared {:.0}x",
        dense.as_secs_f64() / prepared.as_secs_f64(),
        dense.as_secs_f64() / unprepared.as_secs_f64()
    );
}
