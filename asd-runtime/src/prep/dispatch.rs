//! Which evaluation a generated `f_jacobian_prepared` or `f_hessian_prepared` runs:
//! parallel when its kernel can be shared between threads, serial otherwise, chosen at
//! compile time by autoref-based specialization (the generated operators are not
//! generic, so they cannot ask for `Sync`, and a function of a non-`Sync` parameter
//! must still compile).
//!
//! The generated kernel struct borrows the function's parameters and is `Clone + Copy`
//! when it does not hold an output parameter; it is `Sync` exactly when they are. The
//! generated code calls `Evaluate(kernel).jacobian(prep)` with both traits in scope:
//! method lookup tries the receiver `Evaluate<K>` first, where only
//! [`ParallelJacobian`] is implemented, and only when `K: Clone + Sync`; then
//! `&mut Evaluate<K>`, where [`SerialJacobian`] is. The same for Hessians.
//!
//! ```
//! use asd_runtime::{Evaluate, HessianOptions, HessianPrep, Hvp, SparsityPattern, Workspace};
//! use asd_runtime::{ParallelHessian as _, SerialHessian as _};
//! use std::rc::Rc;
//!
//! /// `f(x) = c/2 sum x[i]^2`, with `c` shared or not.
//! #[derive(Clone, Copy)]
//! struct Shared<'a>(&'a f64);
//! struct NotSync<'a>(&'a Rc<f64>);
//! impl Hvp for Shared<'_> {
//!     fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
//!         for (hv, v) in hv.iter_mut().zip(v) {
//!             for l in 0..L {
//!                 hv[l] += *self.0 * v[l];
//!             }
//!         }
//!     }
//! }
//! impl Hvp for NotSync<'_> {
//!     fn hvp<const L: usize>(&mut self, ws: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
//!         Shared(&*self.0).hvp(ws, v, hv)
//!     }
//! }
//! // Pairs (0, 1) and (2, 3) coupled in the pattern: 2 colors, one sweep per thread.
//! let pairs = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3)];
//! let pattern = SparsityPattern::from_coordinates(4, 4, pairs);
//! let mut prep = HessianPrep::new(pattern, &HessianOptions::default().with_threads(2));
//! assert_eq!((prep.ncolors(), prep.threads()), (2, 2));
//! // Shared: the parallel evaluation; not Sync: the serial one, which warns once.
//! let h = Evaluate(Shared(&3.0)).hessian(&mut prep);
//! assert_eq!((h.get(0, 0), h.get(0, 1)), (Some(&3.0), Some(&0.0)));
//! let h = Evaluate(NotSync(&Rc::new(2.0))).hessian(&mut prep);
//! assert_eq!((h.get(3, 3), h.get(3, 2)), (Some(&2.0), Some(&0.0)));
//! ```

use sprs::CsMat;

use super::{warn_once, HessianPrep, Hvp, JacobianPrep, Jvp, Vjp};

/// A generated kernel, to evaluate a preparation with: see the [module](self).
#[doc(hidden)]
pub struct Evaluate<K>(pub K);

/// The parallel Jacobian, for kernels that can be cloned into each sweep and shared.
#[doc(hidden)]
pub trait ParallelJacobian {
    /// [`JacobianPrep::evaluate_par`].
    fn jacobian(self, prep: &mut JacobianPrep) -> &CsMat<f64>;
}

/// The serial Jacobian, for every kernel: a preparation asked for threads says once
/// that it runs serially.
#[doc(hidden)]
pub trait SerialJacobian {
    /// [`JacobianPrep::evaluate`].
    fn jacobian(self, prep: &mut JacobianPrep) -> &CsMat<f64>;
}

/// The parallel Hessian, for kernels that can be cloned into each sweep and shared.
#[doc(hidden)]
pub trait ParallelHessian {
    /// [`HessianPrep::evaluate_par`].
    fn hessian(self, prep: &mut HessianPrep) -> &CsMat<f64>;
}

/// The serial Hessian, for every kernel.
#[doc(hidden)]
pub trait SerialHessian {
    /// [`HessianPrep::evaluate`].
    fn hessian(self, prep: &mut HessianPrep) -> &CsMat<f64>;
}

impl<K: Jvp + Vjp + Clone + Sync> ParallelJacobian for Evaluate<K> {
    fn jacobian(self, prep: &mut JacobianPrep) -> &CsMat<f64> {
        prep.evaluate_par(&self.0)
    }
}

impl<K: Jvp + Vjp> SerialJacobian for &mut Evaluate<K> {
    fn jacobian(self, prep: &mut JacobianPrep) -> &CsMat<f64> {
        if prep.threads() > 1 {
            let (m, n) = (prep.pattern().nrows(), prep.pattern().ncols());
            warn_serial("serial Jacobian", "Jacobian", prep.threads(), m, n);
        }
        prep.evaluate(&mut self.0)
    }
}

impl<K: Hvp + Clone + Sync> ParallelHessian for Evaluate<K> {
    fn hessian(self, prep: &mut HessianPrep) -> &CsMat<f64> {
        prep.evaluate_par(&self.0)
    }
}

impl<K: Hvp> SerialHessian for &mut Evaluate<K> {
    fn hessian(self, prep: &mut HessianPrep) -> &CsMat<f64> {
        if prep.threads() > 1 {
            let n = prep.pattern().nrows();
            warn_serial("serial Hessian", "Hessian", prep.threads(), n, n);
        }
        prep.evaluate(&mut self.0)
    }
}

/// Once per kind and shape: a preparation asked for threads runs serially. `key`
/// keeps this warning apart from the other ones of the same kind and shape.
fn warn_serial(key: &'static str, what: &str, threads: usize, m: usize, n: usize) {
    warn_once((key, m, n), || {
        format!(
            "asd: warning: this {m} x {n} {what} preparation asks for {threads} threads, but the \
             function's kernel cannot be shared between threads (a parameter is not Sync, or the \
             function writes an output parameter): it is evaluated serially. (Printed once per \
             shape.)"
        )
    });
}
