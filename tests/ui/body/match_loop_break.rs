use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f64], k: &Option<usize>) -> f64 {
    let mut s = match *k {
        Some(i) => x[i],
        None => x[1],
    };
    'outer: for i in 0..x.len() {
        for j in 0..i {
            if i + j > 4 {
                break 'outer;
            }
        }
    }
    s
}

fn main() {}
