use asd::sparse_diff;

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum::<f64>().sqrt()
}

// A helper called with two parts of the input: the message says what to write.
#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    dist(&x[0..3], &x[3..6])
}

fn main() {}
