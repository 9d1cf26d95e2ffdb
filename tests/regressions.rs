//! Programs of the accepted language that once generated code which failed to compile,
//! panicked, or misled: each is checked through every operator, as in
//! `rust_as_written.rs`.
#![allow(
    clippy::needless_range_loop,
    clippy::let_and_return,
    unused_assignments,
    unused_variables
)]

mod common;

use common::{scalar, vector};

fn points(n: usize, seed: u64) -> Vec<f64> {
    common::randoms(n, seed)
        .iter()
        .map(|r| 0.5 + 0.4 * r)
        .collect()
}

/// An annotated helper with a vector result.
#[asd::sparse_diff]
pub fn double(v: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; v.len()];
    for i in 0..v.len() {
        out[i] = 2.0 * v[i] * v[i];
    }
    out
}

/// A plain helper returning an integer.
fn half(n: usize) -> usize {
    n / 2
}

// A push whose value reads the vector's length: the tangent indexed out of bounds.
vector!(push_reads_its_length at (points(4, 1)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let mut v = vec![x[0]];
        for i in 1..x.len() {
            v.push(x[i] * v[i % v.len()]);
        }
        v
    }
);

// An integer `let` used only by another integer `let`.
vector!(integer_let_of_integer_let at (points(5, 2)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        let m = n - 1;
        let k = m / 2;
        let mut y = vec![0.0; n];
        for i in 0..n {
            y[i] = x[i] * x[k];
        }
        y
    }
);

// A plain helper returning `usize`, in index arithmetic.
vector!(plain_helper_returning_usize at (points(6, 3)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let h = half(x.len());
        let mut y = vec![0.0; h];
        for i in 0..h {
            y[i] = x[i + half(x.len())].sin() * x[i];
        }
        y
    }
);

// A typed passive local with a method call: `s` must stay an `f64`.
vector!(typed_passive_local_method at (points(3, 4)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let mut s: f64 = 1.0;
        s = s.hypot(2.0);
        let t: f64 = 3.0;
        vec![x[0] * s, x[1] * t.hypot(s), x[2].hypot(x[0])]
    }
);

// User locals with the names of generated temporaries.
scalar!(locals_named_like_temporaries at (points(4, 5)),
    pub fn f(x: &[f64]) -> f64 {
        let u1 = x[0] * x[1];
        let t0 = u1.sin();
        let a0 = t0 * x[2];
        let c0 = a0.exp() + u1;
        let r0 = c0 * x[3];
        let seed = r0 + 1.0;
        let ret = seed * seed;
        let done = ret + x[0];
        let l = done * 2.0;
        let u1_d = l + t0;
        let x_b = u1_d * a0;
        x_b + r0
    }
);

// A helper's vector result that is unused.
vector!(helper_result_unused at (points(3, 6)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let _unused = double(x);
        vec![x[0] * x[1], x[2]]
    }
);

// A helper's vector result that is returned.
vector!(helper_result_returned at (points(3, 7)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let u = double(x);
        u
    }
);

// A helper's vector result reassigned in a loop.
vector!(helper_result_reassigned_in_loop at (points(3, 8)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let mut u = x.to_vec();
        for _ in 0..3 {
            u = double(&u);
        }
        u
    }
);

// A helper's vector result indexed inside `vec![..]`.
vector!(helper_result_indexed_in_vec at (points(3, 9)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let u = double(x);
        vec![u[0] * x[1], u[2] + u[1]]
    }
);

// A helper's vector result on a constant vector, made active afterwards.
vector!(helper_result_made_active at (points(3, 10), &[1.0, 2.0, 3.0]),
    pub fn f(x: &[f64], w: &[f64]) -> Vec<f64> {
        let mut h = double(w);
        h[0] += x[0];
        h[1] = h[1] * x[1] + x[2];
        h
    }
);

// An `if` expression with integer values, inside a comparison and as a `let`.
vector!(integer_if_expressions at (points(5, 11), 2),
    pub fn f(x: &[f64], k: usize) -> Vec<f64> {
        let mut y = vec![0.0; x.len()];
        for i in 0..x.len() {
            let j = if i > 0 { i - 1 } else { 0 };
            if (if i < k { i + 1 } else { i }) > 2 {
                y[i] = x[j] * x[i];
            } else {
                y[i] = x[i].sin();
            }
        }
        y
    }
);

// Found by the mutation test of asd-macros (accepted mutants that compiled plain but not
// annotated):

// A constant behind two references: the Jacobian kernel's struct named only the outer
// reference's lifetime.
vector!(a_constant_behind_two_references at (points(4, 12), &&[3usize, 0, 1, 2][..]),
    pub fn f(x: &[f64], idx: &&[usize]) -> Vec<f64> {
        let mut y = vec![0.0; idx.len()];
        for k in 0..idx.len() {
            y[k] = x[k] * x[idx[k]].powi(3);
        }
        y
    }
);

// An element's index reads the length of the vector written: the tracer borrowed the
// element mutably before reading the length.
vector!(an_index_reads_the_length_of_the_vector_written at (points(5, 13)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; x.len()];
        for i in 0..y.len() {
            y[i] = x[i] * x[(i + 1) % y.len()];
        }
        y
    }
);

/// A generic function named like its parameter: `let _ = x::<f64>;` in the generated
/// functions read the parameter.
pub mod named_like_its_parameter {
    use num_traits::Float;

    #[asd::sparse_diff]
    pub fn x<T: Float>(x: &[T]) -> T {
        x[0] * x[1].sin() + x[2] * x[2]
    }
}

#[test]
fn a_function_named_like_its_parameter() {
    use named_like_its_parameter as m;
    common::check_scalar(
        &points(3, 14),
        m::x,
        |x| m::x_gradient(x).1,
        |x, d| m::x_jvp(x, d).1,
        m::x_hessian_sparsity,
        m::x_hessian,
        m::x_hvp,
    );
}

/// A vector returned as it was made, empty: the tracers' `Vec::with_capacity` had no
/// element type to infer.
pub mod empty_result {
    #[asd::sparse_diff]
    pub fn f(x: &[f64]) -> Vec<f64> {
        let y = Vec::with_capacity(x.len());
        y
    }
}

#[test]
fn an_empty_result_has_an_empty_jacobian() {
    use empty_result as m;
    let x = points(3, 15);
    assert!(m::f(&x).is_empty());
    assert_eq!(m::f_jacobian_sparsity(&x).shape(), (0, 3));
    let jac = m::f_jacobian(&x);
    assert_eq!((jac.rows(), jac.cols(), jac.nnz()), (0, 3, 0));
    assert!(m::f_jvp(&x, &[1.0, 2.0, 3.0]).1.is_empty());
    assert_eq!(m::f_vjp(&x, &[]).1, vec![0.0; 3]);
}
