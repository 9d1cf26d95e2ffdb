use asd::{sparse_diff, Rule};

struct J0;

impl Rule<1> for J0 {
    fn value([x]: [f64; 1]) -> f64 {
        libm::j0(x)
    }
    fn gradient([x]: [f64; 1]) -> [f64; 1] {
        [-libm::j1(x)]
    }
}

fn now() -> f64 {
    0.0
}

struct Now;

// Every mistake of one function, reported together.
#[sparse_diff(rules(libm::j0 = J0, now = Now))]
fn f(x: &[f64]) -> f64 {
    use libm::j0;
    let a = j0(x[0]);
    let b = now();
    a + b
}

// A real function with neither a rule nor a `#[sparse_diff]`: the hint names both.
#[sparse_diff]
fn g(x: &[f64]) -> f64 {
    libm::j1(x[0])
}

fn main() {}
