use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, v) in x.iter().filter(|v| **v > 0.0).enumerate() {
        s += v * i as f64;
    }
    let m = x.iter().max_by(|a, b| (a.abs()).partial_cmp(&b.abs()).unwrap()).unwrap();
    let mut k = 0;
    while x.iter().map(|v| v * v).sum::<f64>() > k as f64 {
        k += 1;
    }
    s + m
}

fn main() {}
