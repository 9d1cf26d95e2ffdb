use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f32]) -> f32 {
    x[0] * x[1]
}

fn main() {}
