//! # asd — automatic sparse differentiation for Rust
//!
//! Put `#[sparse_diff]` on a plain numeric function and get, generated at compile time,
//! its forward-mode derivative code and its sparsity tracer, and from them sparse
//! Jacobians computed the way ASD does it: global pattern detection, coloring,
//! compressed Jacobian-vector products (`L` at a time), decompression.
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
//! assert_eq!(prep.ncolors(), 4);
//! let jac = iter_diff_jacobian_prepared(&mut prep, &x, 3); // no allocation
//! assert_eq!(jac.shape(), (7, 10));
//! assert_eq!(jac.nnz(), 28);
//! ```
#![forbid(unsafe_code)]

pub use asd_macros::sparse_diff;
pub use asd_runtime::sprs;
pub use asd_runtime::{
    acyclic_coloring, color_columns, color_rows, coloring, decompress, star_coloring,
    AcyclicColoring, Coloring, HessianMethod, HessianOptions, HessianPrep, IndexSet,
    JacobianOptions, JacobianPrep, Mode, ModeChoice, Order, PairSet, SparsityPattern, StarColoring,
    Workspace, LANES,
};

/// What generated code calls. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use asd_runtime::sprs;
    pub use asd_runtime::{
        check_len, finish_return, join_return, with_thread_workspace, Buf, HessianOptions,
        HessianPrep, Hvp, IndexSet, JacobianOptions, JacobianPrep, Join, Jvp, LaneBuf, ModeChoice,
        PairSet, SparsityPattern, Tape, Vjp, Workspace,
    };

    // Hessian sparsity tracing (`__asd_trace2_*`, `f_hessian_sparsity`).
    pub use asd_runtime::Trace2;
}
