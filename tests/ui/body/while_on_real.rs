use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    let mut s = x[0];
    while s < 10.0 {
        s = s * 2.0;
    }
    s
}

fn main() {}
