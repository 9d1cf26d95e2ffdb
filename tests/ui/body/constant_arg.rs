use asd::sparse_diff;

fn plain(a: f64, b: f64) -> f64 {
    a * b
}

#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    plain(x[0], x[1]) + x[1]
}

fn main() {}
