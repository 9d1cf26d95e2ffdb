use asd::sparse_diff;

#[sparse_diff]
fn f(x: &[f64], k: &[usize]) -> f64 {
    let mut s = match k {
        [i, ..] => x[*i],
        _ => x[1],
    };
    'outer: {
        for i in 0..x.len() {
            if i > 4 {
                break 'outer;
            }
        }
    }
    s
}

fn main() {}
