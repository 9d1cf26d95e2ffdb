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

fn main() {}
