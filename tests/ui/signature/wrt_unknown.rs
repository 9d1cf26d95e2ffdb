use asd::sparse_diff;

#[sparse_diff(wrt = z)]
fn f(x: &[f64], w: &[f64]) -> f64 {
    x[0] * w[0]
}

#[sparse_diff(wrt = n)]
fn g(x: &[f64], n: usize) -> f64 {
    x[n]
}

#[sparse_diff(mode = fast)]
fn h(x: &[f64]) -> f64 {
    x[0]
}

fn main() {}
