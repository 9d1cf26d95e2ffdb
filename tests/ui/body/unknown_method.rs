use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    x[0].to_degrees() + x[1].copysign(2.0)
}

fn main() {}
