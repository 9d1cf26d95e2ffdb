use asd::sparse_diff;

// An iterator adapter a chain cannot hold is named, not the consumer after it.
#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    let n = x.len();
    let a: f64 = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .map(|(i, j)| x[i] * x[j])
        .sum();
    let b: f64 = x.iter().chain(x.iter()).map(|v| v * v).sum();
    a + b
}

fn main() {}
