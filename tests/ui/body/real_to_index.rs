use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    let i = (x[0] * 3.0) as usize;
    x[i]
}

fn main() {}
