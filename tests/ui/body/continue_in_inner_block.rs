use asd::sparse_diff;

// A `continue` under a real condition inside another block: what follows that block
// would still have to be skipped.
#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if i % 2 == 0 {
            if x[i] < 0.0 {
                continue;
            }
            s += x[i];
        }
        s += 2.0 * x[i] * x[i];
    }
    s
}

fn main() {}
