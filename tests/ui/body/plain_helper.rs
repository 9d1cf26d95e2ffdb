use asd::sparse_diff;

/// A plain function the macro cannot see into, returning a tuple of reals.
fn polar(x: f64, y: f64) -> (f64, f64) {
    ((x * x + y * y).sqrt(), y.atan2(x))
}

#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    let (r, t) = polar(x[0], x[1]);
    r * t
}

pub struct P(pub f64, pub f64);

// A tuple struct built from reals is a constructor, not a function to annotate.
#[sparse_diff]
fn g(x: &[f64]) -> f64 {
    let p = P(x[0], x[1]);
    p.0 * p.1
}

fn main() {}
