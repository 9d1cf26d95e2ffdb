use asd::sparse_diff;

/// Parameters that are `Clone` but not `Copy`: taken by value, they must be passed by
/// reference (or made `Copy`).
#[derive(Clone)]
pub struct Params {
    pub k: f64,
}

#[sparse_diff]
fn f(x: &[f64], p: Params) -> f64 {
    p.k * x[0] * x[1]
}

fn main() {}
