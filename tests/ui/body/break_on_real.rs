use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    let mut s = x[0];
    loop {
        s = s * 2.0;
        if s > 10.0 {
            break;
        }
    }
    for i in 1..x.len() {
        if x[i] < 0.0 {
            continue;
        }
        s += x[i];
    }
    s
}

fn main() {}
