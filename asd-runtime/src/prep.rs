//! STUB — to be implemented (issue 2, part 5). The kernel traits are the contract with
//! generated code and must keep these signatures.
use crate::{SparsityPattern, Workspace};

/// The lane counts generated code is compiled for; a preparation picks one of them.
pub const LANES: [usize; 5] = [1, 2, 4, 8, 16];

/// Compressed forward mode: `L` Jacobian-vector products in one sweep.
pub trait Jvp {
    /// `dy[i][l] = sum_j J[i][j] * dx[j][l]`. `dy` has the output's length and is zeroed
    /// by the caller.
    fn jvp<const L: usize>(&mut self, ws: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]);
}
/// Compressed reverse mode: `L` vector-Jacobian products in one sweep.
pub trait Vjp {
    /// `dx[j][l] = sum_i dy[i][l] * J[i][j]`. `dx` is zeroed by the caller.
    fn vjp<const L: usize>(&mut self, ws: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]);
}
/// Compressed second order: `L` Hessian-vector products in one sweep.
pub trait Hvp {
    /// `hv[i][l] = sum_j H[i][j] * v[j][l]`. `hv` is zeroed by the caller.
    fn hvp<const L: usize>(&mut self, ws: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode { Forward, Reverse }
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ModeChoice { #[default] Auto, Forward, Reverse }
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HessianMethod { Star, Acyclic, Columns }
#[derive(Clone, Debug, Default)]
pub struct JacobianOptions {}
#[derive(Clone, Debug, Default)]
pub struct HessianOptions {}
pub struct JacobianPrep { pattern: SparsityPattern }
pub struct HessianPrep { pattern: SparsityPattern }
