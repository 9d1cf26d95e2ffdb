use asd::sparse_diff;

fn plain(a: f64) -> f64 {
    a * 2.0
}

#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    plain(x[0]) + x[1]
}

fn main() {}
