//! Conversions of asd's sparse results to other crates' sparse matrices, behind cargo
//! features (the default build has none of them):
//!
//! | feature | module | to | from |
//! |---|---|---|---|
//! | `faer` | [`interop::faer`](self::faer) | `faer::sparse::SparseRowMat[Ref]`, `SparseColMat[Ref]` | `SparseRowMatRef` |
//! | `nalgebra-sparse` | [`interop::nalgebra`](self::nalgebra) | `nalgebra_sparse::CsrMatrix`, `CscMatrix` | `CsrMatrix` |
//!
//! They are free functions, one module per crate, named by what they do to the memory:
//!
//! - `csr_ref(&m)`: a borrowed view of the same arrays, **no copy** (faer has views;
//!   nalgebra-sparse has none, so it has no `_ref`);
//! - `into_csr(m)`: takes the matrix and moves its arrays, **no copy** (for a prepared
//!   result, give up the preparation with `prep.into_jacobian()`, or clone it);
//! - `to_csr(&m)`: copies the three arrays;
//! - `to_csc(&m)`: compressed columns, a transpose of the storage: **copies**, in
//!   `O(nnz + n)`;
//! - for Hessians, which asd stores symmetric with both triangles, compressed rows and
//!   compressed columns are the same arrays: `csc_ref_of_symmetric` (faer) and
//!   `into_csc_of_symmetric` (both) reinterpret them without a copy. On a matrix that
//!   is not symmetric they give its transpose.
//!
//! asd's matrices ([`sprs::CsMat<f64>`](crate::sprs::CsMat)) store compressed rows with
//! `usize` indices, sorted within each row, which is the layout both crates' compressed
//! rows use; every conversion still checks the structure (`O(nnz)`, no allocation) and
//! panics if the matrix is in compressed columns (`CsMat::to_csr` first) or is a slice
//! whose `indptr` does not start at zero.
//!
//! A Newton step with faer's sparse LU, factoring a Jacobian without copying it: the
//! compressed-column view of `Jᵀ` is `J`'s compressed rows, and `Jᵀ`'s LU solves
//! `J x = b` by a transposed solve.
//!
//! ```
//! # #[cfg(feature = "faer")] {
//! use asd::interop::faer::csr_ref;
//! use asd::sparse_diff;
//! use faer::prelude::*;
//! use faer::Mat;
//!
//! #[sparse_diff]
//! fn f(x: &[f64]) -> Vec<f64> {
//!     let n = x.len();
//!     let mut y = vec![0.0; n];
//!     for i in 0..n {
//!         y[i] = 3.0 * x[i] + x[i] * x[i];
//!         if i > 0 {
//!             y[i] -= x[i - 1];
//!         }
//!     }
//!     y
//! }
//!
//! let x = vec![1.0; 5];
//! let mut prep = f_jacobian_prepare(&x);
//! let jac = f_jacobian_prepared(&mut prep, &x);
//! let lu = csr_ref(jac).transpose().sp_lu().unwrap(); // LU of Jᵀ, J not copied
//! let b = Mat::<f64>::from_fn(5, 1, |i, _| i as f64);
//! let mut dx = b.clone();
//! lu.solve_transpose_in_place(&mut dx); // J dx = b
//! for i in 0..5 {
//!     let jdx: f64 = (0..5).map(|j| jac.get(i, j).copied().unwrap_or(0.0) * dx[(j, 0)]).sum();
//!     assert!((jdx - b[(i, 0)]).abs() < 1e-12);
//! }
//! # }
//! ```

use crate::sprs::CsMat;

/// The compressed-row arrays of `m`, checked to be usable as they are.
#[cfg(any(feature = "faer", feature = "nalgebra-sparse"))]
#[track_caller]
fn csr_parts(m: &CsMat<f64>) -> (&[usize], &[usize], &[f64]) {
    assert!(
        m.is_csr(),
        "asd::interop: the matrix is stored in compressed columns; convert it with `to_csr()` first"
    );
    let std::borrow::Cow::Borrowed(indptr) = m.proper_indptr() else {
        panic!("asd::interop: the matrix's indptr does not start at zero (a slice): `to_owned()` it first")
    };
    (indptr, m.indices(), m.data())
}

/// The same, for a matrix to be moved: its owned arrays.
#[cfg(any(feature = "faer", feature = "nalgebra-sparse"))]
#[track_caller]
fn into_csr_parts(m: CsMat<f64>) -> ((usize, usize), Vec<usize>, Vec<usize>, Vec<f64>) {
    let _ = csr_parts(&m);
    let shape = m.shape();
    let (indptr, indices, data) = m.into_raw_storage();
    (shape, indptr, indices, data)
}

/// Conversions to and from [faer](https://docs.rs/faer)'s sparse matrices (feature
/// `faer`), with `usize` indices.
///
/// ```
/// use asd::interop::faer::{from_csr, to_csr};
/// use asd::sprs::CsMat;
///
/// // [0 4; 5 6] in compressed rows.
/// let m = CsMat::new((2, 2), vec![0, 1, 3], vec![1, 0, 1], vec![4.0, 5.0, 6.0]);
/// let f = to_csr(&m);
/// assert_eq!(f.get(1, 0), Some(&5.0));
/// assert_eq!(from_csr(f.as_ref()), m); // and back
/// ```
#[cfg(feature = "faer")]
pub mod faer {
    use ::faer::sparse::{
        SparseColMat, SparseColMatRef, SparseRowMat, SparseRowMatRef, SymbolicSparseColMat,
        SymbolicSparseRowMat, SymbolicSparseRowMatRef,
    };

    use super::{csr_parts, into_csr_parts};
    use crate::sprs::CsMat;

    /// A faer view of `m`'s compressed rows: **no copy**. Panics if `m` is in compressed
    /// columns.
    ///
    /// ```
    /// use asd::interop::faer::csr_ref;
    /// use asd::sprs::TriMat;
    ///
    /// let mut t = TriMat::new((2, 3));
    /// t.add_triplet(0, 2, 1.5);
    /// t.add_triplet(1, 0, -2.0);
    /// let m = t.to_csr::<usize>();
    /// let v = csr_ref(&m);
    /// assert_eq!((v.nrows(), v.ncols()), (2, 3));
    /// assert_eq!(v.val().as_ptr(), m.data().as_ptr()); // the same memory
    /// assert_eq!(v.col_idx_of_row(0).collect::<Vec<_>>(), vec![2]);
    /// ```
    #[track_caller]
    pub fn csr_ref(m: &CsMat<f64>) -> SparseRowMatRef<'_, usize, f64> {
        let (indptr, indices, data) = csr_parts(m);
        let symbolic =
            SymbolicSparseRowMatRef::new_checked(m.rows(), m.cols(), indptr, None, indices);
        SparseRowMatRef::new(symbolic, data)
    }

    /// A faer compressed-column view of a **symmetric** matrix (a Hessian, which asd
    /// stores with both triangles): the compressed rows read as compressed columns, **no
    /// copy**. On a matrix that is not symmetric this is its transpose (which is also
    /// `csr_ref(m).transpose()`). faer's sparse Cholesky and LU take compressed columns.
    ///
    /// ```
    /// use asd::interop::faer::csc_ref_of_symmetric;
    /// use asd::sparse_diff;
    /// use faer::Side;
    ///
    /// #[sparse_diff]
    /// fn energy(x: &[f64]) -> f64 {
    ///     let mut s = 0.0;
    ///     for i in 0..x.len() {
    ///         s += x[i] * x[i];
    ///         if i > 0 {
    ///             s += 0.5 * (x[i] - x[i - 1]).powi(2);
    ///         }
    ///     }
    ///     s
    /// }
    ///
    /// let h = energy_hessian(&[0.1, 0.2, 0.3]);
    /// let llt = csc_ref_of_symmetric(&h).sp_cholesky(Side::Lower).unwrap();
    /// # let _ = llt;
    /// ```
    #[track_caller]
    pub fn csc_ref_of_symmetric(m: &CsMat<f64>) -> SparseColMatRef<'_, usize, f64> {
        csr_ref(m).transpose()
    }

    /// A faer matrix with a copy of `m`'s compressed rows.
    ///
    /// ```
    /// use asd::interop::faer::to_csr;
    /// use asd::sprs::CsMat;
    ///
    /// let m = CsMat::new((2, 2), vec![0, 1, 3], vec![1, 0, 1], vec![4.0, 5.0, 6.0]);
    /// let f = to_csr(&m);
    /// assert_eq!((f.nrows(), f.ncols()), (2, 2));
    /// assert_eq!((f.get(0, 1), f.get(0, 0)), (Some(&4.0), None));
    /// assert_ne!(f.val().as_ptr(), m.data().as_ptr()); // a copy: `m` stays usable
    /// ```
    #[track_caller]
    pub fn to_csr(m: &CsMat<f64>) -> SparseRowMat<usize, f64> {
        let (indptr, indices, data) = csr_parts(m);
        let symbolic = SymbolicSparseRowMat::new_checked(
            m.rows(),
            m.cols(),
            indptr.to_vec(),
            None,
            indices.to_vec(),
        );
        SparseRowMat::new(symbolic, data.to_vec())
    }

    /// `m`'s compressed rows moved into a faer matrix: **no copy**.
    ///
    /// ```
    /// use asd::interop::faer::into_csr;
    /// use asd::sprs::CsMat;
    ///
    /// let m = CsMat::new((2, 2), vec![0, 1, 3], vec![1, 0, 1], vec![4.0, 5.0, 6.0]);
    /// let values = m.data().as_ptr();
    /// let f = into_csr(m);
    /// assert_eq!(f.val().as_ptr(), values); // the same memory, moved
    /// assert_eq!(f.get(1, 1), Some(&6.0));
    /// ```
    #[track_caller]
    pub fn into_csr(m: CsMat<f64>) -> SparseRowMat<usize, f64> {
        let ((rows, cols), indptr, indices, data) = into_csr_parts(m);
        let symbolic = SymbolicSparseRowMat::new_checked(rows, cols, indptr, None, indices);
        SparseRowMat::new(symbolic, data)
    }

    /// A faer matrix in compressed columns with `m`'s values: a transpose of the
    /// storage, so a **copy** (`O(nnz + n)`). For a symmetric matrix,
    /// [`csc_ref_of_symmetric`] or [`into_csc_of_symmetric`] need none.
    ///
    /// ```
    /// use asd::interop::faer::to_csc;
    /// use asd::sprs::CsMat;
    ///
    /// // [0 4 0; 5 6 7]: the columns hold 1, 2 and 1 entries.
    /// let m = CsMat::new((2, 3), vec![0, 1, 4], vec![1, 0, 1, 2], vec![4.0, 5.0, 6.0, 7.0]);
    /// let c = to_csc(&m);
    /// assert_eq!(c.col_ptr(), [0, 1, 3, 4]);
    /// assert_eq!((c.get(1, 0), c.get(0, 1), c.get(1, 2)), (Some(&5.0), Some(&4.0), Some(&7.0)));
    /// ```
    #[track_caller]
    pub fn to_csc(m: &CsMat<f64>) -> SparseColMat<usize, f64> {
        csr_ref(m)
            .to_col_major()
            .expect("asd::interop: faer could not allocate the compressed columns")
    }

    /// A **symmetric** matrix's compressed rows moved into a faer compressed-column
    /// matrix: **no copy**. On a matrix that is not symmetric this is its transpose.
    ///
    /// ```
    /// use asd::interop::faer::into_csc_of_symmetric;
    /// use asd::sprs::CsMat;
    ///
    /// // The symmetric [2 1; 1 3].
    /// let h = CsMat::new((2, 2), vec![0, 2, 4], vec![0, 1, 0, 1], vec![2.0, 1.0, 1.0, 3.0]);
    /// let values = h.data().as_ptr();
    /// let c = into_csc_of_symmetric(h);
    /// assert_eq!(c.val().as_ptr(), values); // no copy
    /// assert_eq!((c.get(0, 1), c.get(1, 0), c.get(1, 1)), (Some(&1.0), Some(&1.0), Some(&3.0)));
    /// ```
    #[track_caller]
    pub fn into_csc_of_symmetric(m: CsMat<f64>) -> SparseColMat<usize, f64> {
        let ((rows, cols), indptr, indices, data) = into_csr_parts(m);
        let symbolic = SymbolicSparseColMat::new_checked(cols, rows, indptr, None, indices);
        SparseColMat::new(symbolic, data)
    }

    /// An asd (sprs) matrix in compressed rows from a faer one: a **copy**. Explicit
    /// zeros are kept; a faer matrix with unsorted rows, or with `row_nnz` (rows shorter
    /// than their span), is sorted and compacted.
    ///
    /// ```
    /// use asd::interop::faer::from_csr;
    /// use faer::sparse::{SparseRowMat, Triplet};
    ///
    /// // Triplets in any order, as faer builds them.
    /// let f = SparseRowMat::<usize, f64>::try_new_from_triplets(
    ///     2,
    ///     3,
    ///     &[Triplet::new(1, 2, 7.0), Triplet::new(0, 1, 4.0), Triplet::new(1, 0, 5.0)],
    /// )
    /// .unwrap();
    /// let m = from_csr(f.as_ref());
    /// assert!(m.is_csr());
    /// assert_eq!(m.indptr().raw_storage(), [0, 1, 3]);
    /// assert_eq!(m.indices(), [1, 0, 2]); // sorted within each row
    /// assert_eq!(m.data(), [4.0, 5.0, 7.0]);
    /// ```
    pub fn from_csr(m: SparseRowMatRef<'_, usize, f64>) -> CsMat<f64> {
        let nnz = m.symbolic().compute_nnz();
        let mut indptr = Vec::with_capacity(m.nrows() + 1);
        let mut indices = Vec::with_capacity(nnz);
        let mut data = Vec::with_capacity(nnz);
        indptr.push(0);
        let mut row: Vec<(usize, f64)> = Vec::new();
        for i in 0..m.nrows() {
            row.clear();
            row.extend(
                m.symbolic()
                    .col_idx_of_row(i)
                    .zip(m.val_of_row(i).iter().copied()),
            );
            row.sort_unstable_by_key(|&(j, _)| j);
            for &(j, v) in &row {
                indices.push(j);
                data.push(v);
            }
            indptr.push(indices.len());
        }
        CsMat::new((m.nrows(), m.ncols()), indptr, indices, data)
    }
}

/// Conversions to and from [nalgebra-sparse](https://docs.rs/nalgebra-sparse)'s
/// matrices (feature `nalgebra-sparse`). nalgebra-sparse has no borrowed views: a
/// matrix is moved in without a copy, or copied from a reference.
///
/// ```
/// use asd::interop::nalgebra::{from_csr, into_csr};
/// use asd::sprs::CsMat;
///
/// let m = CsMat::new((2, 2), vec![0, 1, 3], vec![1, 0, 1], vec![4.0, 5.0, 6.0]);
/// let n = into_csr(m.clone());
/// assert_eq!(n.get_entry(0, 1).unwrap().into_value(), 4.0);
/// assert_eq!(from_csr(&n), m); // and back
/// ```
#[cfg(feature = "nalgebra-sparse")]
pub mod nalgebra {
    use nalgebra_sparse::{CscMatrix, CsrMatrix};

    use super::{csr_parts, into_csr_parts};
    use crate::sprs::CsMat;

    const VALID: &str = "asd::interop: a sprs matrix is a valid nalgebra-sparse matrix";

    /// A [`CsrMatrix`] with a copy of `m`'s compressed rows.
    ///
    /// ```
    /// use asd::interop::nalgebra::{from_csr, to_csr};
    /// use asd::sprs::CsMat;
    ///
    /// let m = CsMat::new((2, 2), vec![0, 1, 3], vec![1, 0, 1], vec![4.0, 5.0, 6.0]);
    /// let n = to_csr(&m);
    /// assert_eq!(n.nnz(), 3);
    /// assert_eq!(n.get_entry(1, 0).unwrap().into_value(), 5.0);
    /// assert_eq!(from_csr(&n), m);
    /// ```
    #[track_caller]
    pub fn to_csr(m: &CsMat<f64>) -> CsrMatrix<f64> {
        let (indptr, indices, data) = csr_parts(m);
        CsrMatrix::try_from_csr_data(
            m.rows(),
            m.cols(),
            indptr.to_vec(),
            indices.to_vec(),
            data.to_vec(),
        )
        .expect(VALID)
    }

    /// `m`'s compressed rows moved into a [`CsrMatrix`]: **no copy**.
    ///
    /// ```
    /// use asd::interop::nalgebra::into_csr;
    /// use asd::sprs::CsMat;
    ///
    /// let m = CsMat::new((2, 2), vec![0, 1, 3], vec![1, 0, 1], vec![4.0, 5.0, 6.0]);
    /// let values = m.data().as_ptr();
    /// let n = into_csr(m);
    /// assert_eq!(n.values().as_ptr(), values); // moved, not copied
    /// assert_eq!(n.row_offsets(), [0, 1, 3]);
    /// ```
    #[track_caller]
    pub fn into_csr(m: CsMat<f64>) -> CsrMatrix<f64> {
        let ((rows, cols), indptr, indices, data) = into_csr_parts(m);
        CsrMatrix::try_from_csr_data(rows, cols, indptr, indices, data).expect(VALID)
    }

    /// A [`CscMatrix`] with `m`'s values: a transpose of the storage, so a **copy**.
    /// For a symmetric matrix [`into_csc_of_symmetric`] needs none.
    ///
    /// ```
    /// use asd::interop::nalgebra::to_csc;
    /// use asd::sprs::CsMat;
    ///
    /// // [0 4 0; 5 6 7]
    /// let m = CsMat::new((2, 3), vec![0, 1, 4], vec![1, 0, 1, 2], vec![4.0, 5.0, 6.0, 7.0]);
    /// let c = to_csc(&m);
    /// assert_eq!(c.col_offsets(), [0, 1, 3, 4]);
    /// assert_eq!(c.values(), [5.0, 4.0, 6.0, 7.0]);
    /// ```
    #[track_caller]
    pub fn to_csc(m: &CsMat<f64>) -> CscMatrix<f64> {
        CscMatrix::from(&to_csr(m))
    }

    /// A **symmetric** matrix's compressed rows moved into a [`CscMatrix`]: **no copy**.
    /// On a matrix that is not symmetric this is its transpose.
    ///
    /// ```
    /// use asd::interop::nalgebra::into_csc_of_symmetric;
    /// use asd::sprs::CsMat;
    ///
    /// // The symmetric [2 1; 1 3].
    /// let h = CsMat::new((2, 2), vec![0, 2, 4], vec![0, 1, 0, 1], vec![2.0, 1.0, 1.0, 3.0]);
    /// let values = h.data().as_ptr();
    /// let c = into_csc_of_symmetric(h);
    /// assert_eq!(c.values().as_ptr(), values); // no copy
    /// assert_eq!(c.get_entry(1, 0).unwrap().into_value(), 1.0);
    /// ```
    #[track_caller]
    pub fn into_csc_of_symmetric(m: CsMat<f64>) -> CscMatrix<f64> {
        let ((rows, cols), indptr, indices, data) = into_csr_parts(m);
        CscMatrix::try_from_csc_data(cols, rows, indptr, indices, data).expect(VALID)
    }

    /// An asd (sprs) matrix in compressed rows from a [`CsrMatrix`]: a **copy**.
    ///
    /// ```
    /// use asd::interop::nalgebra::from_csr;
    /// use nalgebra_sparse::{CooMatrix, CsrMatrix};
    ///
    /// let mut coo = CooMatrix::new(2, 3);
    /// coo.push(1, 2, 7.0);
    /// coo.push(0, 1, 4.0);
    /// let n = CsrMatrix::from(&coo);
    /// let m = from_csr(&n);
    /// assert_eq!(m.get(1, 2), Some(&7.0));
    /// assert_eq!(m.nnz(), 2);
    /// ```
    pub fn from_csr(m: &CsrMatrix<f64>) -> CsMat<f64> {
        let (indptr, indices, data) = m.csr_data();
        CsMat::new(
            (m.nrows(), m.ncols()),
            indptr.to_vec(),
            indices.to_vec(),
            data.to_vec(),
        )
    }
}
