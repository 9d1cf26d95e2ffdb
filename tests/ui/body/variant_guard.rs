use asd::sparse_diff;

pub enum Bc {
    Dirichlet(f64),
    Periodic,
}

// A guard on an arm that binds a variant's field: the tracers would run the arm where the
// variant is another.
#[sparse_diff]
fn f(u: &[f64], bc: &Bc) -> f64 {
    match *bc {
        Bc::Dirichlet(g) if u[0] > 0.0 => (u[0] - g) * u[1],
        _ => u[1] * u[1],
    }
}

fn main() {}
