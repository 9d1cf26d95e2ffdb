use asd::sparse_diff;

#[sparse_diff]
async fn f(x: &[f64]) -> f64 {
    x[0]
}

#[sparse_diff]
unsafe fn g(x: &[f64]) -> f64 {
    x[0]
}

fn main() {}
