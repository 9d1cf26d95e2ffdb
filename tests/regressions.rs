//! Programs of the accepted language that once generated code which failed to compile,
//! panicked, or misled: each is checked through every operator, as in
//! `rust_as_written.rs`.
#![allow(
    clippy::needless_range_loop,
    clippy::let_and_return,
    clippy::needless_return,
    clippy::useless_vec,
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

/// An annotated helper with a scalar result.
#[asd::sparse_diff]
pub fn product(v: &[f64]) -> f64 {
    v[0] * v[1]
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

// Found by the random-program corpus (`corpus/`):

// A returned value whose derivative is zero (`signum`): the Jacobian kernel dropped the
// derivative's declaration but still returned it.
scalar!(returned_step_function at (points(3, 12)),
    pub fn f(x: &[f64]) -> f64 {
        x[0].signum()
    }
);

// `vec![e; n]` of an active `e`, its derivative read only through indexing: in the
// adjoint of the tangent, the lane count of that derivative could not be inferred.
scalar!(filled_vector_derivative_indexed at (points(4, 13), &points(4, 14), 0.5, 2),
    pub fn f(x: &[f64], p: &[f64], c: f64, k: usize) -> f64 {
        let n = x.len();
        let s5 = ((x[0] - c).powi(2) + 0.5).sqrt();
        let v6 = vec![(x[0].sin() * 0.8).acos(); n];
        let s7 = ((v6[n - 1] + s5).powi(2) + 0.5).sqrt();
        v6[k % n] / ((p[n - 1] - x[n - 1]).powi(2) + 1.0) + s5.ln()
    }
);

// A vector result that does not depend on the input, from a call of an annotated
// function on constants: the tangent returned the call's `Vec` where a workspace buffer
// was expected.
vector!(constant_helper_result_returned at (points(3, 15), 0.5),
    pub fn f(x: &[f64], c: f64) -> Vec<f64> {
        let v = vec![c.sin(); x.len()];
        super::double(&v)
    }
);

// A passive vector of literals read through a method: the tracers' copy of it had no
// element type Rust could infer. (The output is constant: the Jacobian is zero.)
vector!(passive_vector_of_literals at (points(3, 16)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        let mut v: Vec<f64> = vec![0.0; n];
        for i in 0..n {
            v[i] = 1.5;
        }
        let mut out = vec![0.0; n];
        for i in 0..n {
            out[i] = v[(i + 1) % n].signum();
        }
        out
    }
);

// A value the output does not need, whose partial is not finite (`hypot(0, 0)`): reverse
// mode multiplied its zero adjoint by NaN, and the input's whole adjoint became NaN.
vector!(unneeded_value_with_a_partial_that_is_not_finite at (points(3, 17)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let z = x[0] * 0.0;
        let unused = z.hypot(z);
        let mut y = x.to_vec();
        y[1] *= x[2];
        y
    }
);

// A helper's vector result whose only use is `&u` inside `vec![..; n]`: its type was
// inferred as a real, and the call on it rejected as a real passed as a constant.
scalar!(helper_result_borrowed_in_vec_repeat at (points(4, 18)),
    pub fn f(x: &[f64]) -> f64 {
        let n = x.len();
        let u = super::double(x);
        let v = vec![super::product(&u); n];
        x[0] * v[n - 1]
    }
);

// A scalar helper's result that an `if` expression yields, in a function returning a
// vector: taken for the function's value, it was typed as a vector.
vector!(helper_scalar_yielded_by_an_if_expression at (points(3, 19)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let s = super::product(x);
        let mut y = x.to_vec();
        y[0] = if y.len() > 2 { s } else { x[2] };
        y
    }
);

// A vector that only steers a branch, reassigned from an annotated call: with no
// derivative, the call is on constants, and its `Vec` met the workspace buffer the
// vector was declared as.
scalar!(steering_vector_reassigned_from_a_call at (points(4, 20)),
    pub fn f(x: &[f64]) -> f64 {
        let n = x.len();
        let mut v = vec![0.0; n];
        for i in 0..n {
            v[i] = x[n - 1 - i];
        }
        v = super::double(&v);
        let mut s = x[0] * x[1];
        if v[n - 1] > 10.0 {
            s += x[2];
        }
        s
    }
);

// A real that only steers a branch, and overflows: reverse mode multiplied its zero
// adjoint by an infinite partial, and the gradient became NaN.
scalar!(steering_real_that_overflows at (points(3, 21)),
    pub fn f(x: &[f64]) -> f64 {
        let mut s = x[0];
        for _ in 0..12 {
            s = s.powi(3) * 1e30;
        }
        let mut y = x[1] * x[2];
        if s > 1.0 {
            y += x[0];
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

/// An output parameter written in both arms of a branch on a real: the tracers, which
/// run both arms, copied the parameter with `clone` (a `&mut [f64]` has none) and failed
/// to compile; they now copy its values out and back.
#[asd::sparse_diff]
pub fn clipped_into(x: &[f64], y: &mut [f64]) {
    for i in 0..y.len() {
        if x[i] > 0.5 {
            y[i] = x[i] * x[(i + 1) % x.len()];
        } else {
            y[i] = -x[i];
        }
    }
}

#[test]
fn an_output_parameter_written_under_a_branch_on_a_real() {
    let x = [0.7, 0.2, 0.9, 0.4, 0.6, 0.1];
    let n = x.len();
    let mut y = vec![0.0; n];
    let pattern = clipped_into_jacobian_sparsity(&x, &mut y);
    let both_arms = asd::SparsityPattern::from_coordinates(
        n,
        n,
        (0..n).flat_map(|i| [(i, i), (i, (i + 1) % n)]),
    );
    assert_eq!(pattern, both_arms);
    let value = |x: &[f64]| {
        let mut y = vec![0.0; x.len()];
        clipped_into(x, &mut y);
        y
    };
    let fd = common::fd_jacobian(value, &x);
    let jacobian = clipped_into_jacobian(&x, &mut y);
    common::assert_sparse_matches(&jacobian, &pattern, &fd, 1e-6);
    assert_eq!(y, value(&x), "the output parameter gets the value");
}

// A module's `const L` read in the body was the derivative code's lane count: the JVP's
// value was `[1, 0, 0, ..]` and the Jacobian had one entry of three (a probe).
const L: usize = 3;

vector!(a_modules_const_named_l at (points(6, 60)),
    pub fn f(x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; x.len()];
        for i in 0..L {
            y[i] = x[i] * x[i];
        }
        let z = vec![1.5; L];
        y[0] += z[L - 1] * x[1];
        y
    }
);

// The same name declared in the body, as russell's `const L: f64 = -50.0;` (generated code
// failed to compile), and `_i` beside `for _ in` (the loop's own variable was `_i`).
vector!(a_local_const_named_l_and_an_underscore_i at (points(3, 61)),
    #[allow(non_snake_case)]
    pub fn f(x: &[f64]) -> Vec<f64> {
        const L: f64 = -50.0;
        let _i = 2;
        let mut s = 0.0;
        for _ in 0..2 {
            s += x[_i];
        }
        vec![L * (x[0] - x[1].cos()), s * x[0]]
    }
);

// `return` in both arms of a branch on a real: the tail after it read an uninitialised
// value (generated code failed to compile).
scalar!(returns_in_both_arms_of_a_real_branch at (points(2, 62)),
    pub fn f(x: &[f64]) -> f64 {
        if x[0] > 0.7 {
            return x[0] * x[1];
        } else {
            return x[1].sin() * x[0];
        }
    }
);

/// ode-solvers' signature: the time is a parameter nothing reads, `_` (rejected before).
#[asd::sparse_diff]
pub fn robertson(_: f64, y: &[f64], dy: &mut [f64]) {
    dy[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
    dy[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1];
    dy[2] = 3e7 * y[1] * y[1];
}

vector!(a_wildcard_parameter at (vec![1.0, 2e-5, 0.01]),
    pub fn f(y: &[f64]) -> Vec<f64> {
        let mut dy = vec![0.0; 3];
        super::robertson(0.0, y, &mut dy);
        dy
    }
);

/// A boundary condition chosen by a constant enum.
#[derive(Clone, Copy, PartialEq)]
pub enum Boundary {
    Fixed,
    Free,
}

// Constants read through their references (`*n`, `*bc == ..`, `match *bc`, `*dt`): the `*`
// was dropped, and the generated code did not compile (probe).
vector!(constants_read_through_references at (points(4, 63), &Boundary::Free, &3, &0.5),
    pub fn f(u: &[f64], bc: &Boundary, nn: &usize, dt: &f64) -> Vec<f64> {
        let mut r = u.to_vec();
        let n = *nn;
        for i in 0..*nn {
            r[i] *= *dt * u[i];
        }
        if *bc == Boundary::Fixed {
            r[0] = u[0] * u[1];
        }
        match *bc {
            Boundary::Fixed => r[n - 1] += 1.0,
            Boundary::Free => r[n - 1] -= u[0] * u[3],
        }
        r
    }
);

// Tuples and arrays of a constant slice bound in a loop (`let (i, j) = edges[k];`,
// `let tri = tris[k];`): the reverse sweep's tape held no tuples or arrays (probe).
scalar!(tuples_and_arrays_of_constants_bound_in_loops at (points(4, 64), &[(0, 1), (1, 2), (3, 0)], &[[0, 1, 2], [1, 2, 3]]),
    pub fn f(x: &[f64], edges: &[(usize, usize)], tris: &[[usize; 3]]) -> f64 {
        let mut s = 0.0;
        for k in 0..edges.len() {
            let (i, j) = edges[k];
            s += x[i] * x[j].sin();
        }
        for k in 0..tris.len() {
            let tri = tris[k];
            s += x[tri[0]] * x[tri[1]] * x[tri[2]];
        }
        s
    }
);

/// An annotated helper of a slice.
#[asd::sparse_diff]
pub fn squares_sum(x: &[f64]) -> f64 {
    x.iter().map(|t| t * t).sum()
}

// A view from the start (`&x[..k]`, `split_at`'s first half) passed on whole was its
// whole base (review).
scalar!(a_view_from_the_start_passed_on at (points(4, 65)),
    pub fn f(x: &[f64]) -> f64 {
        let (a, b) = x.split_at(2);
        let w = |s: &[f64]| super::squares_sum(s);
        super::squares_sum(a) + 10.0 * super::squares_sum(b) + w(&x[..1]) * x[3]
    }
);

// A tuple of a constant table at a computed index, under a branch on a real, was taped
// as an integer: the generated code did not compile (probe).
scalar!(a_table_row_under_a_real_branch at (points(2, 68), &[(1.5, 2.0), (3.0, 4.0)], 2),
    pub fn f(x: &[f64], tb: &[(f64, f64)], k: usize) -> f64 {
        if x[0] > 0.0 {
            let (a, b) = tb[k - 1];
            return a * x[0] * x[1] + b;
        }
        x[0] * x[1] - 1.0
    }
);

// Linear interpolation in a table of constant pairs, returning from its loop (probe).
scalar!(interpolation_in_a_table_of_pairs at (vec![0.5, 1.25], &[(0.0, 1.0), (1.0, 3.0), (2.0, 2.0)]),
    pub fn f(x: &[f64], table: &[(f64, f64)]) -> f64 {
        let t = x[0];
        for w in table.windows(2) {
            let (x0, y0) = w[0];
            let (x1, y1) = w[1];
            if t <= x1 {
                return (y0 + (t - x0) * (y1 - y0) / (x1 - x0)) * x[1];
            }
        }
        table[table.len() - 1].1 * x[1]
    }
);

/// Links between unknowns, as a constant enum.
pub enum Link {
    Spring { i: usize, j: usize, k: f64 },
    Free,
}

// A variant's field named like the loop's index (`{ i, j, k } = links[i]`): every field
// is read from `links[i]` before `i` is bound again (review).
scalar!(fields_named_like_the_index_they_are_read_at at (points(3, 69), &[Link::Spring { i: 2, j: 0, k: 1.5 }, Link::Free, Link::Spring { i: 1, j: 2, k: 0.5 }]),
    pub fn f(x: &[f64], links: &[super::Link]) -> f64 {
        let mut e = 0.0;
        for i in 0..links.len() {
            if let super::Link::Spring { i, j, k } = links[i] {
                e += k * (x[i] - x[j]).powi(2) * x[i];
            }
        }
        e
    }
);

/// Sides named `L` and `R`: a `match` arm `L` is the variant, not a binding.
#[derive(Clone, Copy, PartialEq)]
pub enum Side {
    L,
    R,
}

// `let (i, j) = e[i];` reads `e[i]` once, before `i` is bound again; and a match on a unit
// variant named `L` (review).
vector!(rebinding_destructure_and_a_variant_named_l at (points(3, 66), &[(1, 2), (2, 0), (0, 1)], &Side::R),
    pub fn f(x: &[f64], e: &[(usize, usize)], s: &Side) -> Vec<f64> {
        let i = 0;
        let (i, j) = e[i];
        let pick = match *s {
            Side::L => x[0],
            Side::R => x[2],
        };
        vec![x[i] * x[j], pick * x[1]]
    }
);

/// A constant struct, destructured through its reference in `labeled_exits_and_bindings`.
pub struct Scales {
    pub a: f64,
}

/// An annotated function of one real, called in a branch below.
#[asd::sparse_diff]
pub fn twice(v: f64) -> f64 {
    v * 2.0
}

// From a review of this session's rewrites, each a wrong derivative or a panic before:
// a second inner loop exiting to the same label; arm names that cross the scrutinee's
// (`(b, a) =>` of `(a, b)`); fields bound through a reference whose name is then hidden;
// an `else if let` whose index would underflow if computed ahead; a variable named `inf`.
scalar!(labeled_exits_and_bindings at (points(4, 67), 2, 5, &Scales { a: 1.5 }, &Scales { a: 10.0 }),
    pub fn f(x: &[f64], a: usize, b: usize, p: &Scales, q: &Scales) -> f64 {
        let n = x.len();
        let mut s = 0.0;
        'outer: for i in 0..n {
            for j in 0..n {
                if j > i + 5 {
                    continue 'outer;
                }
            }
            for j in 0..n {
                if j == i {
                    continue 'outer;
                }
            }
            s += x[i] * x[i];
        }
        match (a, b) {
            (b, a) if b > 0 => s += x[0] * (b * 10 + a) as f64,
            _ => s += x[0],
        }
        let Scales { a } = p;
        let p = q;
        s += a * x[1] + p.a * x[2];
        for i in 0..2 {
            let sq = |t: f64| {
                let u = t * t;
                u + 1.0
            };
            s += if i == 0 {
                x[0] * x[0]
            } else if let Some(&v) = x.get(i - 1) {
                v * twice(sq(x[1]))
            } else {
                0.0
            };
        }
        let inf = x[3] * 2.0;
        s + inf.sin()
    }
);

/// An annotated function writing an output parameter, called by a scalar one.
#[asd::sparse_diff]
pub fn products_into(x: &[f64], y: &mut [f64]) {
    y[0] = x[0] * x[1];
    y[1] = x[1].sin();
}

/// A scalar function through an output parameter: it has no Hessian operators.
#[asd::sparse_diff]
pub fn through_output(x: &[f64]) -> f64 {
    let mut v = vec![0.0; 2];
    products_into(x, &mut v);
    v[0] * v[1]
}

/// A function calling `through_output`: it did not compile (its second order was
/// missing).
#[asd::sparse_diff]
pub fn caller_through_output(x: &[f64]) -> f64 {
    through_output(x) * x[0]
}

#[test]
fn a_caller_of_a_function_through_an_output_has_a_gradient_and_a_hessian_that_says_no() {
    let x = [0.3, 0.7];
    let (value, g) = caller_through_output_gradient(&x);
    assert_eq!(value, caller_through_output(&x));
    // f = x0^2 x1 sin(x1)
    let expected = [
        2.0 * x[0] * x[1] * x[1].sin(),
        x[0] * x[0] * (x[1].sin() + x[1] * x[1].cos()),
    ];
    for (a, b) in g.iter().zip(expected) {
        assert!((a - b).abs() < 1e-12, "{g:?} {expected:?}");
    }
    let err = std::panic::catch_unwind(|| caller_through_output_hessian(&x))
        .expect_err("no second order through an output parameter");
    let message = err
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(
        message.contains("second order through this function is not generated"),
        "{message}"
    );
}
