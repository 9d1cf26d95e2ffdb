use asd::sparse_diff;

#[sparse_diff]
fn f(n: usize, b: bool) -> f64 {
    if b {
        n as f64
    } else {
        0.0
    }
}

fn main() {}
