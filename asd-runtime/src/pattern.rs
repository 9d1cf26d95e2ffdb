//! STUB — to be implemented (issue 2, part 2).
use crate::IndexSet;

/// A boolean `m x n` sparse matrix in compressed sparse rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SparsityPattern {
    nrows: usize,
    ncols: usize,
    row_ptr: Vec<usize>,
    col_idx: Vec<usize>,
}

impl SparsityPattern {
    pub fn from_coordinates(nrows: usize, ncols: usize, coords: impl IntoIterator<Item = (usize, usize)>) -> Self { todo!() }
    pub fn from_rows(ncols: usize, rows: Vec<Vec<usize>>) -> Self { todo!() }
    pub fn from_index_sets(ncols: usize, rows: &[IndexSet]) -> Self { todo!() }
    pub fn nrows(&self) -> usize { self.nrows }
    pub fn ncols(&self) -> usize { self.ncols }
    pub fn shape(&self) -> (usize, usize) { (self.nrows, self.ncols) }
    pub fn nnz(&self) -> usize { self.col_idx.len() }
    pub fn row(&self, i: usize) -> &[usize] { &self.col_idx[self.row_ptr[i]..self.row_ptr[i + 1]] }
    pub fn row_ptr(&self) -> &[usize] { &self.row_ptr }
    pub fn col_indices(&self) -> &[usize] { &self.col_idx }
    pub fn contains(&self, row: usize, col: usize) -> bool { todo!() }
    pub fn transpose(&self) -> SparsityPattern { todo!() }
    pub fn to_sprs(&self) -> sprs::CsMat<f64> { todo!() }
}
