use asd::sparse_diff;

// An `Option` holding a differentiated real: an error at the constructor, saying what to
// write instead.
#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    let mut prev: Option<f64> = None;
    let mut s = 0.0;
    for &v in x {
        if let Some(p) = prev {
            s += v * p;
        }
        prev = Some(v);
    }
    s
}

fn main() {}
