use asd::sparse_diff;

fn mean(d: &[f64]) -> Result<f64, String> {
    Ok(d.iter().sum::<f64>() / d.len() as f64)
}

// A plain function's `Result` of a real: its value has no derivative the macro can see.
#[sparse_diff]
fn f(x: &[f64]) -> Result<f64, String> {
    let m = mean(x)?;
    Ok(m * x[1])
}

fn main() {}
