use asd::sparse_diff;

// The derivative code inlines a closure where it is called, and reads a sub-slice
// through its base where it is used: a name they read must still stand for what it did.
#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    let c = 2.0;
    let g = |v: f64| v * c;
    let c = x[0];
    let tail = &x[1..];
    let x = vec![c; 3];
    let mut s = x[0];
    let h = move |v: f64| v * s;
    s = 5.0;
    let clip = |v: f64| {
        for _ in 0..2 {
            if v > 1.0 {
                return 1.0;
            }
        }
        v
    };
    g(x[1]) + tail[0] + h(x[2]) + s + clip(x[0])
}

fn main() {}
