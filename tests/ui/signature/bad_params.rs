use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f64], v: Vec<f64>, (a, b): (usize, usize)) -> f64 {
    x[0]
}

#[sparse_diff]
fn g(x: &[f64], y: &mut [f64], z: &mut [f64]) {
    y[0] = x[0];
}

fn main() {}
