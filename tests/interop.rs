//! `asd::interop`: conversions to faer and nalgebra-sparse keep every value and the
//! structure, and the "no copy" ones share memory. Run with
//! `cargo test --features faer,nalgebra-sparse --test interop`.
#![cfg(any(feature = "faer", feature = "nalgebra-sparse"))]

mod problems;

use asd::sprs::CsMat;
use problems::{
    bratu2d_hessian_prepare, bratu2d_hessian_prepared, brusselator_jacobian_prepare,
    brusselator_jacobian_prepared, point,
};

/// A real Jacobian (not symmetric, 2048 x 2048 with 12288 entries) and a real Hessian
/// (symmetric, 5-point stencil on 9 x 9).
fn matrices() -> (CsMat<f64>, CsMat<f64>) {
    let u = point(2 * 32 * 32);
    let mut prep = brusselator_jacobian_prepare(&u, 32);
    let jac = brusselator_jacobian_prepared(&mut prep, &u, 32).clone();
    assert_eq!(jac.nnz(), 12288);
    let x = point(81);
    let mut prep = bratu2d_hessian_prepare(&x, 9);
    let hess = bratu2d_hessian_prepared(&mut prep, &x, 9).clone();
    assert_eq!(hess.nnz(), 81 + 4 * 72);
    (jac, hess)
}

/// Every entry of `m`, row by row.
fn entries(m: &CsMat<f64>) -> Vec<(usize, usize, f64)> {
    m.iter().map(|(&v, (i, j))| (i, j, v)).collect()
}

#[cfg(feature = "faer")]
mod faer_conversions {
    use super::*;
    use asd::interop::faer::{
        csc_ref_of_symmetric, csr_ref, from_csr, into_csc_of_symmetric, into_csr, to_csc, to_csr,
    };

    /// Every entry of a faer compressed-column matrix, sorted by row then column.
    fn csc_entries(m: faer::sparse::SparseColMatRef<'_, usize, f64>) -> Vec<(usize, usize, f64)> {
        let mut e = Vec::new();
        for j in 0..m.ncols() {
            for (i, &v) in m.symbolic().row_idx_of_col(j).zip(m.val_of_col(j)) {
                e.push((i, j, v));
            }
        }
        e.sort_by_key(|&(i, j, _)| (i, j));
        e
    }

    #[test]
    fn views_share_memory_and_round_trip() {
        let (jac, hess) = matrices();
        for m in [&jac, &hess] {
            let v = csr_ref(m);
            assert_eq!((v.nrows(), v.ncols()), m.shape());
            assert_eq!(
                v.val().as_ptr(),
                m.data().as_ptr(),
                "csr_ref copied the values"
            );
            assert_eq!(v.symbolic().row_ptr(), m.indptr().raw_storage());
            assert_eq!(v.symbolic().col_idx(), m.indices());
            assert_eq!(&from_csr(v), m);
            // Each entry reads back where it was.
            for (i, j, x) in entries(m) {
                assert_eq!(v.get(i, j), Some(&x));
            }
        }
    }

    #[test]
    fn owned_conversions_round_trip() {
        let (jac, _) = matrices();
        let copied = to_csr(&jac);
        assert_ne!(copied.val().as_ptr(), jac.data().as_ptr());
        assert_eq!(from_csr(copied.as_ref()), jac);

        let ptr = jac.data().as_ptr();
        let moved = into_csr(jac.clone());
        assert_eq!(from_csr(moved.as_ref()), jac);
        let clone_ptr = {
            let c = jac.clone();
            let p = c.data().as_ptr();
            let m = into_csr(c);
            assert_eq!(m.val().as_ptr(), p, "into_csr copied the values");
            p
        };
        assert_ne!(clone_ptr, ptr);

        // Compressed columns hold the same entries (a Jacobian is not symmetric, so the
        // storage really is transposed).
        let csc = to_csc(&jac);
        assert_eq!(csc_entries(csc.as_ref()), entries(&jac));
        assert!(csc.val() != jac.data());
    }

    #[test]
    fn symmetric_hessians_are_their_own_compressed_columns() {
        let (jac, hess) = matrices();
        let v = csc_ref_of_symmetric(&hess);
        assert_eq!(v.val().as_ptr(), hess.data().as_ptr());
        assert_eq!(csc_entries(v), entries(&hess));
        let p = hess.data().as_ptr();
        let owned = into_csc_of_symmetric(hess.clone());
        assert_eq!(csc_entries(owned.as_ref()), entries(&hess));
        let moved = {
            let c = hess.clone();
            let q = c.data().as_ptr();
            assert_eq!(into_csc_of_symmetric(c).val().as_ptr(), q);
            q
        };
        assert_ne!(moved, p);
        // On a matrix that is not symmetric it is the transpose, as documented.
        let t = csc_ref_of_symmetric(&jac);
        let mut transposed: Vec<_> = entries(&jac)
            .into_iter()
            .map(|(i, j, v)| (j, i, v))
            .collect();
        transposed.sort_by_key(|&(i, j, _)| (i, j));
        assert_eq!(csc_entries(t), transposed);
    }

    #[test]
    #[should_panic(expected = "compressed columns")]
    fn compressed_columns_are_refused() {
        let (jac, _) = matrices();
        let _ = csr_ref(&jac.to_csc());
    }
}

#[cfg(feature = "nalgebra-sparse")]
mod nalgebra_conversions {
    use super::*;
    use asd::interop::nalgebra::{from_csr, into_csc_of_symmetric, into_csr, to_csc, to_csr};

    fn csc_entries(m: &nalgebra_sparse::CscMatrix<f64>) -> Vec<(usize, usize, f64)> {
        let mut e: Vec<_> = m.triplet_iter().map(|(i, j, &v)| (i, j, v)).collect();
        e.sort_by_key(|&(i, j, _)| (i, j));
        e
    }

    #[test]
    fn csr_round_trips_by_copy_and_by_move() {
        let (jac, hess) = matrices();
        for m in [&jac, &hess] {
            let n = to_csr(m);
            assert_eq!(
                (n.nrows(), n.ncols(), n.nnz()),
                (m.rows(), m.cols(), m.nnz())
            );
            assert_eq!(n.row_offsets(), m.indptr().raw_storage());
            assert_eq!(n.col_indices(), m.indices());
            assert_eq!(n.values(), m.data());
            assert_eq!(&from_csr(&n), m);
            let c = m.clone();
            let p = c.data().as_ptr();
            let moved = into_csr(c);
            assert_eq!(moved.values().as_ptr(), p, "into_csr copied the values");
            assert_eq!(&from_csr(&moved), m);
        }
    }

    #[test]
    fn csc_holds_the_same_entries() {
        let (jac, hess) = matrices();
        assert_eq!(csc_entries(&to_csc(&jac)), entries(&jac));
        assert_eq!(csc_entries(&to_csc(&hess)), entries(&hess));
        let c = hess.clone();
        let p = c.data().as_ptr();
        let sym = into_csc_of_symmetric(c);
        assert_eq!(sym.values().as_ptr(), p);
        assert_eq!(csc_entries(&sym), entries(&hess));
    }
}
