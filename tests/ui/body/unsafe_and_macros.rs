use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f64]) -> f64 {
    dbg!(x[0]);
    let s = unsafe { *x.get_unchecked(0) };
    s
}

fn main() {}
