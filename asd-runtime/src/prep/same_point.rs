//! Many Hessian-vector products at one point (DifferentiationInterface's
//! `prepare_hvp_same_point`): the sparse Hessian is evaluated once, by its compressed
//! sweeps, and each product is then a sparse matrix-vector product, with no primal,
//! tangent or adjoint sweep at all.

use sprs::CsMat;

use crate::trace::check_len;

/// Hessian-vector products at one point, from the sparse Hessian evaluated there.
///
/// Made by the generated `f_hvp_prepare_same_point(&mut prep, x, c..)`, which costs one
/// prepared Hessian (`ceil(colors / L)` sweeps); each [`hvp`](Self::hvp) then costs one
/// pass over the nonzeros. Against `f_hvp_batch::<L>` (one sweep per `L` directions) it
/// pays off once there are more directions than colors.
///
/// ```
/// use asd_runtime::sprs::CsMat;
/// use asd_runtime::HvpSamePoint;
///
/// // H = [[2, 1], [1, 4]], stored in both triangles as asd's Hessians are.
/// let h = CsMat::new((2, 2), vec![0, 2, 4], vec![0, 1, 0, 1], vec![2.0, 1.0, 1.0, 4.0]);
/// let at = HvpSamePoint::new(&h);
/// assert_eq!(at.hvp(&[1.0, 0.0]), vec![2.0, 1.0]);
/// let mut hv = [0.0; 2];
/// at.hvp_into(&[1.0, -1.0], &mut hv);
/// assert_eq!(hv, [1.0, -3.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct HvpSamePoint<'p> {
    hessian: &'p CsMat<f64>,
}

impl<'p> HvpSamePoint<'p> {
    /// Products with `hessian`, a square symmetric matrix stored in both triangles (either
    /// storage order: for a symmetric matrix its rows are its columns).
    ///
    /// See [`HvpSamePoint`] for an example.
    pub fn new(hessian: &'p CsMat<f64>) -> Self {
        assert_eq!(
            hessian.rows(),
            hessian.cols(),
            "asd: a Hessian is square, but this one is {}x{}",
            hessian.rows(),
            hessian.cols()
        );
        HvpSamePoint { hessian }
    }

    /// The Hessian the products are taken with.
    ///
    /// ```
    /// use asd_runtime::sprs::CsMat;
    /// use asd_runtime::HvpSamePoint;
    ///
    /// let h = CsMat::new((2, 2), vec![0, 1, 2], vec![0, 1], vec![2.0, 3.0]);
    /// let at = HvpSamePoint::new(&h);
    /// assert!(std::ptr::eq(at.hessian(), &h)); // borrowed, not copied
    /// ```
    pub fn hessian(&self) -> &'p CsMat<f64> {
        self.hessian
    }

    /// `H v`.
    ///
    /// See [`HvpSamePoint`] for an example.
    pub fn hvp(&self, v: &[f64]) -> Vec<f64> {
        let mut hv = vec![0.0; self.hessian.rows()];
        self.hvp_into(v, &mut hv);
        hv
    }

    /// `H v` into `hv`, without allocating; both lengths are checked.
    ///
    /// See [`HvpSamePoint`] for an example.
    pub fn hvp_into(&self, v: &[f64], hv: &mut [f64]) {
        let n = self.hessian.rows();
        check_len("the direction `v`", n, v.len());
        check_len("the product `hv`", n, hv.len());
        for (out, row) in hv.iter_mut().zip(self.hessian.outer_iterator()) {
            *out = row.iter().map(|(j, h)| h * v[j]).sum();
        }
    }
}
