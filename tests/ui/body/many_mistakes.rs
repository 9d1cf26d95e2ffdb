use asd::sparse_diff;

// Every mistake is reported, not only the first.
#[sparse_diff]
fn f(x: &[f64], k: usize) -> Vec<f64> {
    let (a, b) = (x[0], x[1]);
    let mut y = vec![0.0; k];
    while let Some(i) = y.iter().position(|v| *v > a) {
        y[i] = a;
    }
    let s: f32 = 1.0;
    y.extend_from_slice(x);
    y[0] = x[0].rem_euclid(2.0);
    y
}

fn main() {}
