//! # asd — automatic sparse differentiation for Rust
//!
//! Put `#[sparse_diff]` on a plain numeric function and get, generated at compile time,
//! its forward-mode (tangent) and reverse-mode (adjoint) derivative code and its
//! first- and second-order sparsity tracers; from them sparse Jacobians and Hessians
//! computed the way ASD does it: global pattern detection, coloring (partial
//! distance-2 for Jacobians, star or acyclic for Hessians), compressed sweeps (`L`
//! directions at a time), decompression by a precomputed gather.
//!
//! The operators generated next to `f` (see [`sparse_diff`] for the full table):
//! `f_jvp` and `f_vjp` (one direction, forward and reverse), `f_gradient` and `f_hvp`
//! (scalar `f`), `f_jacobian_sparsity` / `f_hessian_sparsity` (global patterns),
//! `f_jacobian_sparsity_local` (the pattern at one input, see below) and `f_explain`
//! (why an entry is in the pattern), `f_jacobian` / `f_hessian` (one-shot sparse
//! matrices), and `f_jacobian_prepare` / `f_jacobian_prepared` (and the Hessian pair)
//! to prepare once and evaluate many times without allocating; and
//! DifferentiationInterface.jl's other operators: `value_and_` forms
//! (`f_value_and_jacobian`, `f_value_gradient_and_hessian`), in-place forms
//! (`f_gradient_into`, `f_jvp_into`, `f_jacobian_prepared_into`, ...), batches of
//! directions (`f_jvp_batch::<L>`, `f_vjp_batch::<L>`, `f_hvp_batch::<L>`), many
//! products at one point (`f_hvp_prepare_same_point`) and, for functions of one real
//! `t: f64`, `f_derivative` and `f_second_derivative`.
//!
//! ```
//! use asd::sparse_diff;
//!
//! #[sparse_diff]
//! pub fn iter_diff(x: &[f64], k: usize) -> Vec<f64> {
//!     let mut y = x.to_vec();
//!     for _ in 0..k {
//!         let mut z = vec![0.0; y.len() - 1];
//!         for i in 0..y.len() - 1 {
//!             z[i] = y[i + 1] - y[i];
//!         }
//!         y = z;
//!     }
//!     y
//! }
//!
//! let x: Vec<f64> = (0..10).map(|i| (i as f64).sin()).collect();
//! let mut prep = iter_diff_jacobian_prepare(&x, 3); // pattern + coloring, once
//! // iter_diff is linear: its 7 rows are proved constant and evaluated once.
//! assert_eq!(prep.constant_rows(), 7);
//! let every_row = asd::JacobianOptions::default().with_constant_entries(false);
//! assert_eq!(iter_diff_jacobian_prepare_with(&x, 3, &every_row).ncolors(), 4);
//! let jac = iter_diff_jacobian_prepared(&mut prep, &x, 3); // no allocation
//! assert_eq!(jac.shape(), (7, 10));
//! assert_eq!(jac.nnz(), 28);
//!
//! // One direction, forward and reverse: <dy, J dx> = <Jᵀ dy, dx>.
//! let dx = vec![1.0; 10];
//! let (_, jdx) = iter_diff_jvp(&x, 3, &dx);
//! let dy = vec![1.0; 7];
//! let (_, jtdy) = iter_diff_vjp(&x, 3, &dy);
//! let lhs: f64 = jdx.iter().sum();
//! let rhs: f64 = jtdy.iter().sum();
//! assert!((lhs - rhs).abs() < 1e-12);
//! ```
//!
//! Scalar functions get gradients and sparse Hessians:
//!
//! ```
//! use asd::sparse_diff;
//!
//! #[sparse_diff]
//! fn energy(x: &[f64]) -> f64 {
//!     let mut s = 0.0;
//!     for i in 0..x.len() - 1 {
//!         s += (x[i + 1] - x[i]).powi(2) + x[i].sin();
//!     }
//!     s
//! }
//!
//! let x = vec![0.3; 6];
//! let (_, g) = energy_gradient(&x);
//! assert_eq!(g.len(), 6);
//! let h = energy_hessian(&x); // tridiagonal: 6 + 2 * 5 entries
//! assert_eq!(h.nnz(), 16);
//! ```
//!
//! A function that branches on its input, or takes `max`/`min` of it, has a *local*
//! pattern at each input, smaller than the global one: `f_jacobian_sparsity_local`
//! traces only the arms taken and the operands chosen there, and a preparation with
//! `JacobianOptions::local(..)` colors it and checks, at every evaluation, that the
//! function still decides the same way (one more primal run), so a pattern that no
//! longer holds is never used silently:
//!
//! ```
//! use asd::{sparse_diff, JacobianOptions, OnSwitch};
//!
//! /// First-order upwind differences, and the smaller neighbour.
//! #[sparse_diff]
//! fn upwind(x: &[f64]) -> Vec<f64> {
//!     let n = x.len();
//!     let mut y = vec![0.0; n];
//!     for i in 1..n - 1 {
//!         if x[i] > 0.0 {
//!             y[i] = x[i] * (x[i] - x[i - 1]);
//!         } else {
//!             y[i] = x[i] * (x[i + 1] - x[i]);
//!         }
//!         y[i] += 0.1 * x[i - 1].min(x[i + 1]);
//!     }
//!     y
//! }
//!
//! let x: Vec<f64> = (0..1000).map(|i| 1.0 + 0.001 * i as f64).collect();
//! assert_eq!(upwind_jacobian_sparsity(&x).nnz(), 3 * 998); // i - 1, i, i + 1
//! assert_eq!(upwind_jacobian_sparsity_local(&x).nnz(), 2 * 998); // i - 1, i
//!
//! let mut prep = upwind_jacobian_prepare_with(&x, &JacobianOptions::local(OnSwitch::Error));
//! assert_eq!(prep.ncolors(), 2); // 3 for the global pattern
//! let x2: Vec<f64> = x.iter().map(|v| v * 1.5).collect(); // the same decisions
//! let jac = upwind_jacobian_prepared(&mut prep, &x2).clone();
//! // The one-shot Jacobian has the global pattern: it stores the zeros the local one leaves out.
//! let same = |local: &asd::sprs::CsMat<f64>, global: &asd::sprs::CsMat<f64>| {
//!     global.iter().all(|(v, (i, j))| local.get(i, j).map_or(*v == 0.0, |w| w == v))
//! };
//! assert!(same(&jac, &upwind_jacobian(&x2)));
//!
//! let mut x3 = x.clone();
//! x3[500] = -1.0; // the branch at `i = 500` switches, and the `min` at `i = 499`
//! let err = upwind_jacobian_prepared_checked(&mut prep, &x3).unwrap_err();
//! assert_eq!((err.changed, err.prepared), (2, 1996));
//! assert!(err.to_string().starts_with("the local sparsity pattern does not hold at this input"));
//! assert!(err.to_string().contains("the first is decision 998, a `max`/`min`"), "{err}");
//!
//! // Or prepare again wherever a decision switches.
//! let mut prep = upwind_jacobian_prepare_with(&x, &JacobianOptions::local(OnSwitch::Reprepare));
//! let jac = upwind_jacobian_prepared(&mut prep, &x3).clone();
//! assert!(same(&jac, &upwind_jacobian(&x3)));
//! ```
//!
//! Functions of one real get derivatives:
//!
//! ```
//! use asd::sparse_diff;
//!
//! #[sparse_diff]
//! fn curve(t: f64) -> Vec<f64> {
//!     vec![t.cos(), t.sin(), t * t]
//! }
//!
//! let t = 0.5_f64;
//! assert_eq!(curve_derivative(t), vec![-t.sin(), t.cos(), 2.0 * t]);
//! let d2 = curve_second_derivative(t);
//! assert!((d2[0] + t.cos()).abs() < 1e-15 && d2[2] == 2.0);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

#[cfg(feature = "argmin")]
pub mod argmin;
#[cfg(any(feature = "faer", feature = "nalgebra-sparse"))]
pub mod interop;

/// Generates a function's derivative operators at compile time: an example, then what it
/// generates.
///
/// # Example
///
/// ```
/// use asd::sparse_diff;
///
/// /// `y[i] = x[i]^2 - x[i + 1]`, with a constant parameter `c` passed through.
/// #[sparse_diff]
/// fn f(x: &[f64], c: f64) -> Vec<f64> {
///     let mut y = vec![0.0; x.len() - 1];
///     for i in 0..y.len() {
///         y[i] = c * x[i] * x[i] - x[i + 1];
///     }
///     y
/// }
///
/// let x = [1.0, 2.0, 3.0, 4.0];
/// // Forward and reverse mode, one direction each.
/// let (y, dy) = f_jvp(&x, 2.0, &[1.0, 0.0, 0.0, 0.0]);
/// assert_eq!(y, [0.0, 5.0, 14.0]);
/// assert_eq!(dy, [4.0, 0.0, 0.0]); // the first column of J: 2 c x[0]
/// let (_, dx) = f_vjp(&x, 2.0, &[0.0, 1.0, 0.0]);
/// assert_eq!(dx, [0.0, 8.0, -1.0, 0.0]); // the second row of J
///
/// // The global pattern: bidiagonal, whatever x is.
/// let p = f_jacobian_sparsity(&x, 2.0);
/// assert_eq!(p.iter().collect::<Vec<_>>(), [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 3)]);
///
/// // The sparse Jacobian: prepared once, evaluated without allocating. Its entries -1
/// // are constant, evaluated once: only the diagonal is colored, in 1 color (2 without).
/// let mut prep = f_jacobian_prepare(&x, 2.0);
/// assert_eq!((prep.ncolors(), prep.constant_entries()), (1, 3));
/// let jac = f_jacobian_prepared(&mut prep, &x, 2.0);
/// assert_eq!(jac.get(2, 2), Some(&12.0));
/// assert_eq!(jac.get(2, 3), Some(&-1.0));
/// assert_eq!(f_jacobian(&x, 2.0), *jac); // the one-shot form
/// ```
///
/// # What it generates
///
pub use asd_macros::sparse_diff;
/// Re-exported from `asd-runtime`: in the examples, `asd_runtime::` is `asd::`.
pub use asd_runtime::math;
/// The sparse matrix crate of asd's results: Jacobians and Hessians are
/// [`sprs::CsMat<f64>`] in compressed rows.
pub use asd_runtime::sprs;
/// A rule for a function the macro cannot see into, called from an annotated function:
///
/// ```
/// use asd::{sparse_diff, Rule, RuleClass};
///
/// /// The Bessel function `J₀` of `libm`: `J₀' = -J₁`, `J₀'' = J₁(x)/x - J₀`.
/// struct J0;
///
/// impl Rule<1> for J0 {
///     const CLASS: RuleClass = RuleClass::Nonlinear;
///     fn value([x]: [f64; 1]) -> f64 {
///         libm::j0(x)
///     }
///     fn gradient([x]: [f64; 1]) -> [f64; 1] {
///         [-libm::j1(x)]
///     }
///     fn hessian([x]: [f64; 1]) -> [[f64; 1]; 1] {
///         let j1_over_x = if x.abs() < 1e-8 { 0.5 } else { libm::j1(x) / x };
///         [[j1_over_x - libm::j0(x)]]
///     }
/// }
///
/// #[sparse_diff(rules(libm::j0 = J0))]
/// fn energy(x: &[f64]) -> f64 {
///     let mut e = 0.0;
///     for i in 0..x.len() - 1 {
///         e += libm::j0(x[i + 1] - x[i]);
///     }
///     e
/// }
///
/// let x = [0.1, 0.7, 1.5, 2.0];
/// let (e, g) = energy_gradient(&x);
/// assert_eq!(e, energy(&x));
/// assert!((g[0] - libm::j1(0.6)).abs() < 1e-15); // d/dx₀ J₀(x₁ - x₀) = J₁(x₁ - x₀)
/// let h = energy_hessian(&x); // tridiagonal: 4 + 2 * 3 entries
/// assert_eq!(h.nnz(), 10);
/// ```
///
/// A call passes the rule as many arguments as the body gives the function, and the rule
/// must implement `Rule` of that many: otherwise the compiler says so at the rule's name
/// in the attribute (`J0` is not a rule of 2 argument(s)).
///
/// ```compile_fail,E0277
/// # use asd::{sparse_diff, Rule};
/// # struct J0;
/// # impl Rule<1> for J0 {
/// #     fn value([x]: [f64; 1]) -> f64 { libm::j0(x) }
/// #     fn gradient([x]: [f64; 1]) -> [f64; 1] { [-libm::j1(x)] }
/// # }
/// fn j0_sum(a: f64, b: f64) -> f64 {
///     libm::j0(a + b)
/// }
///
/// #[sparse_diff(rules(j0_sum = J0))]
/// fn f(x: &[f64]) -> f64 {
///     j0_sum(x[0], x[1])
/// }
/// ```
#[doc(inline)]
pub use asd_runtime::Rule;
/// Re-exported from `asd-runtime`: in the examples, `asd_runtime::` is `asd::`.
pub use asd_runtime::{
    acyclic_coloring, color_columns, color_rows, coloring, decompress, star_coloring,
    AcyclicColoring, BranchSwitch, Choice, ColorAxis, Coloring, ConstKey, Decision, Decisions,
    Explanation, HessianMethod, HessianOptions, HessianPrep, HvpSamePoint, IndexSet,
    JacobianOptions, JacobianPrep, Mode, ModeChoice, OnSwitch, Order, PairSet, RuleClass, Site,
    Sparsity, SparsityPattern, StarColoring, Workspace, LANES, REVERSE_LANES,
};

/// What generated code calls. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use asd_runtime::math;
    pub use asd_runtime::sprs;
    pub use asd_runtime::{
        by_value, check_len, finish_return, join_return, param, with_thread_workspace, Buf,
        Explanation, HessianOptions, HessianPrep, Hvp, HvpSamePoint, IndexSet, JacobianOptions,
        JacobianPrep, Join, Jvp, KeyOf, KnownKey, LaneBuf, ModeChoice, PairSet, Site,
        SparsityPattern, Tape, TraceSet, UnknownKey, Vjp, Why, Workspace,
    };

    // Parallel or serial prepared evaluation (`f_jacobian_prepared`, `f_hessian_prepared`).
    pub use asd_runtime::{
        Evaluate, ParallelHessian, ParallelJacobian, SerialHessian, SerialJacobian,
    };

    // The batched operators (`f_jvp_batch`, ...).
    pub use asd_runtime::{batches, check_lens, pack_lanes, unpack_lanes};

    // Hessian sparsity tracing (`__asd_trace2_*`, `f_hessian_sparsity`).
    pub use asd_runtime::Trace2;

    // Local sparsity (`__asd_decisions_*`, `__asd_trace_local_*`, `f_jacobian_sparsity_local`).
    pub use asd_runtime::{BranchSwitch, Decisions, OnSwitch, Replay, Sparsity};
    // Calls of user rules (`#[sparse_diff(rules(g = G))]`).
    pub use asd_runtime::{rule_interacts, rule_partial, rule_second, rule_value, Rule};
}
