use asd::sparse_diff;

fn apply(f: impl Fn(f64) -> f64, v: f64) -> f64 {
    f(v)
}

#[sparse_diff]
fn f(x: &[f64]) -> Vec<f64> {
    let pair = |(a, b): (f64, f64)| a * b;
    let mut s = 0.0;
    let mut add = |v: f64| s += v;
    add(x[1]);
    vec![pair((x[0], x[1])), apply(|v| v * 2.0, x[0]), s]
}

fn main() {}
