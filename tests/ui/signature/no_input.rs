use asd::sparse_diff;

#[sparse_diff]
fn f(a: f64, n: usize) -> f64 {
    a * n as f64
}

fn main() {}
