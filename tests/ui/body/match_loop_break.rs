use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f64], k: usize) -> f64 {
    let mut s = match k {
        0 => x[0],
        _ => x[1],
    };
    loop {
        s = s * 2.0;
        if s > 10.0 {
            break;
        }
    }
    s
}

fn main() {}
