use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f64], k: &[usize]) -> f64 {
    let mut s = match k {
        [i, ..] => x[*i],
        _ => x[1],
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
