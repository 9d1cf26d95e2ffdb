//! Runtime of `asd`: everything between "here is a sparsity pattern" and "here is the
//! sparse Jacobian or Hessian", except the derivative code itself, which the
//! `#[sparse_diff]` macro generates.
//!
//! - [`IndexSet`] / [`PairSet`]: the values of generated sparsity tracers;
//! - [`SparsityPattern`]: a boolean sparse matrix in compressed rows, with a spy plot;
//! - [`coloring`]: partial distance-2, star and acyclic colorings with vertex orders;
//! - [`decompress`]: seeds and gather maps computed once, so decompression is a gather;
//! - [`JacobianPrep`] / [`HessianPrep`]: the preparation drivers the generated
//!   operators call, through the [`Jvp`] / [`Vjp`] / [`Hvp`] kernel traits;
//! - [`Decisions`] / [`BranchSwitch`]: local sparsity, the decisions a run made on
//!   differentiated reals and the check that a local pattern still holds;
//! - [`Workspace`]: reusable buffers and the tape of generated code;
//! - [`math`]: functions `f64` has no method for (`erf`), with derivative rules;
//! - [`Rule`]: derivative rules users write for functions the macro cannot see into.
//!
//! The whole pipeline by hand, for `y[i] = x[i] * x[i + 1]` (the macro generates the
//! tracer and the kernel):
//!
//! ```
//! use asd_runtime::{IndexSet, JacobianOptions, JacobianPrep, Jvp, SparsityPattern, Workspace};
//!
//! // The first-order tracer: y[i] depends on x[i] and x[i + 1].
//! let x: Vec<IndexSet> = (0..5).map(IndexSet::singleton).collect();
//! let y: Vec<IndexSet> = (0..4).map(|i| IndexSet::union(&x[i], &x[i + 1])).collect();
//! let pattern = SparsityPattern::from_index_sets(5, &y);
//!
//! // The tangent kernel, L directions at a time.
//! struct Prod<'a>(&'a [f64]);
//! impl Jvp for Prod<'_> {
//!     fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
//!         let x = self.0;
//!         for i in 0..dy.len() {
//!             for l in 0..L {
//!                 dy[i][l] = x[i + 1] * dx[i][l] + x[i] * dx[i + 1][l];
//!             }
//!         }
//!     }
//! }
//!
//! let mut prep = JacobianPrep::new(pattern, &JacobianOptions::forward());
//! assert_eq!(prep.ncolors(), 2); // 2 JVPs instead of 5
//! let x = [1.0, 2.0, 3.0, 4.0, 5.0];
//! let jac = prep.evaluate_forward(&mut Prod(&x));
//! assert_eq!(jac.get(3, 3), Some(&5.0)); // d(x3 x4)/dx3 = x4
//! assert_eq!(jac.get(3, 4), Some(&4.0));
//! assert_eq!(jac.nnz(), 8);
//! ```
// No unsafe code but the calls of the AVX2 entry points after run-time detection
// (`prep::isa`, which allows it) and a prefetch (`decompress::prefetch`).
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod batch;
pub mod coloring;
pub mod decompress;
mod explain;
mod index_set;
mod local;
pub mod math;
mod pair_set;
mod param;
mod pattern;
mod prep;
mod rule;
mod trace;
mod workspace;

pub use batch::{batches, check_lens, pack_lanes, unpack_lanes};
pub use coloring::{
    acyclic_coloring, color_columns, color_rows, star_coloring, AcyclicColoring, Coloring, Order,
    StarColoring,
};
pub use explain::{Explanation, Site, TraceSet, Why};
pub use index_set::IndexSet;
pub use local::{BranchSwitch, Choice, Decision, Decisions, OnSwitch, Replay, Sparsity};
pub use pair_set::PairSet;
pub use param::{by_value, param, ByValue, Param};
pub use pattern::{ColorAxis, SparsityPattern};
pub use prep::{
    ConstKey, HessianMethod, HessianOptions, HessianPrep, Hvp, HvpSamePoint, JacobianOptions,
    JacobianPrep, Jvp, KeyOf, KnownKey, Mode, ModeChoice, UnknownKey, Vjp, LANES, REVERSE_LANES,
};
#[doc(hidden)]
pub use prep::{Evaluate, ParallelHessian, ParallelJacobian, SerialHessian, SerialJacobian};
pub use rule::{rule_interacts, rule_partial, rule_second, rule_value, Rule, RuleClass};
pub use sprs;
pub use trace::{check_len, finish_return, join_return, Join};
pub use workspace::{with_thread_workspace, Buf, LaneBuf, Tape, TapeInt, UnitLanes, Workspace};

// Hessian sparsity tracing (the `trace2` pass of asd-macros).
mod trace2;
pub use trace2::Trace2;
