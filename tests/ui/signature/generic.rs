use asd::sparse_diff;

#[sparse_diff]
fn f<T>(x: &[f64], t: T) -> Vec<f64> {
    x.to_vec()
}

fn main() {}
