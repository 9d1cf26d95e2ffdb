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
//! - [`Workspace`]: reusable buffers and the tape of generated code;
//! - [`math`]: functions `f64` has no method for (`erf`), with derivative rules;
//! - [`Rule`]: derivative rules users write for functions the macro cannot see into.
#![forbid(unsafe_code)]

mod batch;
pub mod coloring;
pub mod decompress;
mod index_set;
pub mod math;
mod pair_set;
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
pub use index_set::IndexSet;
pub use pair_set::PairSet;
pub use pattern::{ColorAxis, SparsityPattern};
pub use prep::{
    HessianMethod, HessianOptions, HessianPrep, Hvp, HvpSamePoint, JacobianOptions, JacobianPrep,
    Jvp, Mode, ModeChoice, Vjp, LANES,
};
pub use rule::{rule_interacts, rule_partial, rule_second, rule_value, Rule, Sparsity};
pub use sprs;
pub use trace::{check_len, finish_return, join_return, Join};
pub use workspace::{with_thread_workspace, Buf, LaneBuf, Tape, TapeInt, Workspace};

// Hessian sparsity tracing (the `trace2` pass of asd-macros).
mod trace2;
pub use trace2::Trace2;
