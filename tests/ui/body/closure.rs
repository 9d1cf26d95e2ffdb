use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f64]) -> Vec<f64> {
    let y: Vec<f64> = x.iter().map(|v| v * 2.0).collect();
    y
}

fn main() {}
