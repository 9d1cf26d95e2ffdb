use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    let mut count = 0;
    for i in 0..x.len() {
        if x[i] > 0.0 {
            count += 1;
        }
    }
    x[count]
}

// A vector's length under a condition on a real: where its elements are would depend on
// the input.
#[sparse_diff]
fn g(x: &[f64]) -> Vec<f64> {
    let positive: Vec<f64> = x.iter().filter(|v| **v > 0.0).cloned().collect();
    let mut y = Vec::new();
    for i in 0..x.len() {
        if x[i] > 0.0 {
            y.push(2.0 * x[i]);
        }
    }
    y.push(positive[0]);
    y
}

fn main() {}
