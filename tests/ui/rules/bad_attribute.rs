use asd::sparse_diff;

#[sparse_diff(rules(1 = J0))]
fn not_a_path(x: &[f64]) -> f64 {
    x[0]
}

#[sparse_diff(rules(j0: J0))]
fn no_equals(x: &[f64]) -> f64 {
    x[0]
}

#[sparse_diff(rules(j0::<f64> = J0))]
fn generic_callee(x: &[f64]) -> f64 {
    x[0]
}

#[sparse_diff(rules(j0 = J0, j0 = J1))]
fn mapped_twice(x: &[f64]) -> f64 {
    x[0]
}

#[sparse_diff(rule(j0 = J0))]
fn unknown_argument(x: &[f64]) -> f64 {
    x[0]
}

fn main() {}
