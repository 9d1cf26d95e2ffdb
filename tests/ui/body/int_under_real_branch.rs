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

fn main() {}
