//! Generated gradients and Hessians for [argmin](https://docs.rs/argmin)'s solvers
//! (feature `argmin`).
//!
//! [`Objective`] wraps closures that call the operators `#[sparse_diff]` generates and
//! implements argmin's `CostFunction`, `Gradient` and `Hessian` traits, with `Vec<f64>`
//! as the parameter and the gradient (argmin-math's `vec` backend, which the feature
//! turns on). It is built in steps, each adding a trait and so the solvers it serves:
//!
//! | built by | implements | argmin solvers |
//! |---|---|---|
//! | [`Objective::new`]`(\|x\| f(x, c..))` | `CostFunction` | Nelder–Mead |
//! | [`.with_gradient`](Objective::with_gradient)`(\|x\| f_gradient(x, c..))` | `Gradient` | L-BFGS, BFGS, nonlinear CG, steepest descent, their line searches |
//! | [`.with_hessian`](Objective::with_hessian)`(prep, \|p, x\| f_hessian_prepared(p, x, c..))` | `Hessian`, a [`SparseHessian`] | `TrustRegion` with `Steihaug` or `CauchyPoint`; `NewtonCG` (see below) |
//! | [`.with_hvp`](Objective::with_hvp)`(\|x, v\| f_hvp(x, c.., v))` | `Hessian`, an [`HvpOperator`] (matrix-free) | the same |
//!
//! The closures carry the function's constants (`c..`); a function without any can be
//! given by name (`.with_gradient(f_gradient)`).
//!
//! # Which Hessian
//!
//! argmin's Newton-type solvers that scale use the Hessian only through products
//! `H v` (its `ArgminDot<P, P>`): the trust-region subproblem solvers `Steihaug`
//! (conjugate gradients on the Newton equations, cut at the trust radius) and
//! `CauchyPoint`, and `NewtonCG`. So the adapter's Hessians are operators, not dense
//! matrices:
//!
//! - [`SparseHessian`] (from [`with_hessian`](Objective::with_hessian)) is the prepared
//!   sparse matrix: one prepared evaluation per Hessian (`prep.nsweeps()` compressed HVP
//!   sweeps, a handful on a stencil), then every product is a sparse matrix-vector
//!   product, `2 nnz` flops.
//! - [`HvpOperator`] (from [`with_hvp`](Objective::with_hvp)) forms nothing: every
//!   product is one Hessian-vector product sweep (a few times the cost of `f`).
//!
//! The sparse matrix wins as soon as CG takes more iterations than the preparation has
//! sweeps, which on discretised PDEs (tens to hundreds of CG iterations against a few
//! colors) is always: on the 2-D Bratu problem at `10^4` unknowns the trust region takes
//! about 0.2 s with it and 0.65 s matrix-free, L-BFGS 0.85 s (`examples/argmin_bratu.rs`).
//! The matrix-free operator is for Hessians whose coloring needs many colors, or that
//! would not fit in memory.
//!
//! Two things about argmin 0.11's solvers, whatever the Hessian:
//!
//! - `TrustRegion` has no convergence test: stop it with `max_iters` (once converged its
//!   iterations cost one `cost` each) or `target_cost`.
//! - `NewtonCG` ends its inner CG when the *squared* residual norm is below the forcing
//!   term `min(0.5, √‖g‖) ‖g‖`, which the first CG iterate meets as soon as `‖g‖ < 1`:
//!   from there every step is a single CG iteration, a steepest-descent step, and it
//!   converges slowly (a dense `Vec<Vec<f64>>` Hessian takes the same steps). Prefer
//!   `TrustRegion` with `Steihaug`, which solves each subproblem to a relative `1e-9`.
//!
//! argmin's `Newton` and `Dogleg` need an explicit inverse (`ArgminInv`), which for a
//! sparse matrix is dense (and argmin-math's `vec` backend has none for `Vec<Vec<f64>>`
//! either); [`SparseHessian`] does not implement it. For exact Newton steps factor the
//! Hessian instead, as `examples/bratu_newton.rs` does with faer's sparse Cholesky
//! (`asd::interop::faer`, feature `faer`): [`SparseHessian::matrix`] is the matrix.
//!
//! # `&self` and the preparation
//!
//! argmin's traits take `&self`, while a prepared evaluation writes into its
//! [`HessianPrep`] (`&mut`). The preparation is kept in a [`Mutex`], not a `RefCell`, so
//! that the objective stays `Send + Sync` like its closures (argmin's `rayon` feature
//! evaluates bulk calls from several threads, and an objective may be shared): the lock
//! is uncontended in a serial solver and costs nothing next to the evaluation it guards.
//! A panic inside the evaluation (a wrong length) poisons the lock; the next evaluation
//! overwrites every value, so the adapter takes the preparation back from a poisoned
//! lock rather than failing forever.
//!
//! # Costs
//!
//! Each `cost` is one call of `f`; each `gradient` one reverse sweep (`f_gradient`, whose
//! value is dropped: argmin asks for the cost and the gradient in separate calls); each
//! `hessian` one prepared evaluation and a copy of the matrix (argmin takes the Hessian
//! by value; the copy is `O(nnz)`, small next to the sweeps). Nothing is cached between
//! calls; argmin's `Problem` counts them (`result.problem.counts`). argmin 0.11's L-BFGS
//! asks for the gradient at each new point twice, in its line search and then itself:
//! on `examples/argmin_bratu.rs` 318 of its 1101 gradients are repeats.
//!
//! # Example
//!
//! The extended Rosenbrock function in 100 variables (50 independent pairs), minimised
//! by L-BFGS with generated gradients, then by a trust-region Newton method with the
//! prepared sparse (2 x 2 block diagonal) Hessian:
//!
//! ```
//! use argmin::core::{Executor, State};
//! use argmin::solver::linesearch::MoreThuenteLineSearch;
//! use argmin::solver::quasinewton::LBFGS;
//! use argmin::solver::trustregion::{Steihaug, TrustRegion};
//! use asd::argmin::Objective;
//! use asd::sparse_diff;
//!
//! #[sparse_diff]
//! fn rosenbrock(x: &[f64], a: f64) -> f64 {
//!     let mut s = 0.0;
//!     for i in (0..x.len()).step_by(2) {
//!         s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (a - x[i]).powi(2);
//!     }
//!     s
//! }
//!
//! let a = 1.0; // the minimum is 0, at x = (a, a², a, a², ...)
//! let x0: Vec<f64> = (0..100).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect();
//!
//! // L-BFGS: the cost and its gradient.
//! let problem = Objective::new(|x| rosenbrock(x, a)).with_gradient(|x| rosenbrock_gradient(x, a));
//! let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7);
//! let res = Executor::new(problem, solver)
//!     .configure(|s| s.param(x0.clone()).max_iters(1000))
//!     .run()
//!     .unwrap();
//! assert!(res.state.get_best_cost() < 1e-12);
//!
//! // A trust region: and the sparse Hessian, prepared once (2 colors for 100 variables).
//! let prep = rosenbrock_hessian_prepare(&x0, a);
//! assert_eq!(prep.ncolors(), 2);
//! let problem = Objective::new(|x| rosenbrock(x, a))
//!     .with_gradient(|x| rosenbrock_gradient(x, a))
//!     .with_hessian(prep, |p, x| rosenbrock_hessian_prepared(p, x, a));
//! let res = Executor::new(problem, TrustRegion::new(Steihaug::new()))
//!     .configure(|s| s.param(x0).max_iters(100).target_cost(1e-20))
//!     .run()
//!     .unwrap();
//! assert!(res.state.get_iter() < 50); // a few dozen Newton steps
//! let x = res.state.get_best_param().unwrap();
//! assert!(x.iter().all(|xi| (xi - 1.0).abs() < 1e-9));
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use ::argmin::core::{CostFunction, Error, Gradient, Hessian};
use argmin_math::ArgminDot;

use crate::sprs::CsMat;
use crate::HessianPrep;

/// An objective for argmin's solvers, from closures calling generated operators: the
/// cost `C`, the gradient `G` and the Hessian `H` (`()` for "not given"). See the
/// [module documentation](self) for which solvers each step serves.
///
/// It implements `CostFunction` always, `Gradient` once it has a gradient, and `Hessian`
/// once it has a Hessian, all with `Param = Vec<f64>`.
///
/// ```
/// use argmin::core::{CostFunction, Gradient};
/// use asd::argmin::Objective;
/// use asd::sparse_diff;
///
/// #[sparse_diff]
/// fn f(x: &[f64], w: &[f64]) -> f64 {
///     let mut s = 0.0;
///     for i in 0..x.len() {
///         s += w[i] * x[i] * x[i];
///     }
///     s
/// }
///
/// let w = vec![1.0, 2.0, 3.0];
/// let problem = Objective::new(|x| f(x, &w)).with_gradient(|x| f_gradient(x, &w));
/// let x = vec![1.0, 1.0, 1.0];
/// assert_eq!(problem.cost(&x).unwrap(), 6.0);
/// assert_eq!(problem.gradient(&x).unwrap(), vec![2.0, 4.0, 6.0]);
/// ```
#[derive(Clone, Debug)]
pub struct Objective<C, G = (), H = ()> {
    cost: C,
    gradient: G,
    hessian: H,
}

impl<C> Objective<C>
where
    C: Fn(&[f64]) -> f64,
{
    /// An objective with only a cost: `cost(x)` is `f(x, c..)`, the annotated function
    /// itself.
    ///
    /// ```
    /// use argmin::core::CostFunction;
    /// use asd::argmin::Objective;
    ///
    /// let problem = Objective::new(|x: &[f64]| x.iter().map(|xi| xi * xi).sum());
    /// assert_eq!(problem.cost(&vec![3.0, 4.0]).unwrap(), 25.0);
    /// ```
    pub fn new(cost: C) -> Self {
        Objective {
            cost,
            gradient: (),
            hessian: (),
        }
    }
}

impl<C, H> Objective<C, (), H> {
    /// Adds the gradient: `gradient(x)` returns the value and the gradient, as the
    /// generated `f_gradient(x, c..)` does (the value is not used: argmin asks for the
    /// cost separately).
    ///
    /// ```
    /// use argmin::core::Gradient;
    /// use asd::argmin::Objective;
    /// use asd::sparse_diff;
    ///
    /// #[sparse_diff]
    /// fn f(x: &[f64]) -> f64 {
    ///     x[0] * x[1].sin()
    /// }
    ///
    /// let problem = Objective::new(f).with_gradient(f_gradient); // no constants: by name
    /// let g = problem.gradient(&vec![2.0, 0.5]).unwrap();
    /// assert_eq!(g, vec![0.5_f64.sin(), 2.0 * 0.5_f64.cos()]);
    /// ```
    pub fn with_gradient<G>(self, gradient: G) -> Objective<C, G, H>
    where
        G: Fn(&[f64]) -> (f64, Vec<f64>),
    {
        Objective {
            cost: self.cost,
            gradient,
            hessian: self.hessian,
        }
    }
}

impl<C, G> Objective<C, G, ()> {
    /// Adds the sparse Hessian through a preparation made once, `prep =
    /// f_hessian_prepare(&x0, c..)` (or `f_hessian_prepare_with`), and evaluated at every
    /// point by `hessian(&mut prep, x)`, which calls `f_hessian_prepared(prep, x, c..)`.
    /// Each `Hessian::hessian` call returns a [`SparseHessian`]. The preparation holds
    /// for every `x` of its length.
    ///
    /// ```
    /// use argmin::core::Hessian;
    /// use asd::argmin::Objective;
    /// use asd::sparse_diff;
    ///
    /// #[sparse_diff]
    /// fn f(x: &[f64], k: f64) -> f64 {
    ///     let mut s = 0.0;
    ///     for i in 0..x.len() - 1 {
    ///         s += k * x[i] * x[i + 1];
    ///     }
    ///     s
    /// }
    ///
    /// let x = vec![1.0; 4];
    /// let prep = f_hessian_prepare(&x, 2.0);
    /// let problem = Objective::new(|x| f(x, 2.0))
    ///     .with_gradient(|x| f_gradient(x, 2.0))
    ///     .with_hessian(prep, |p, x| f_hessian_prepared(p, x, 2.0));
    /// let h = problem.hessian(&x).unwrap();
    /// assert_eq!(h.matrix().nnz(), 6); // the two off-diagonals
    /// assert_eq!(h.matrix().get(1, 2), Some(&2.0));
    /// ```
    pub fn with_hessian<F>(
        self,
        prep: HessianPrep,
        hessian: F,
    ) -> Objective<C, G, PreparedHessian<F>>
    where
        F: for<'p> Fn(&'p mut HessianPrep, &[f64]) -> &'p CsMat<f64>,
    {
        Objective {
            cost: self.cost,
            gradient: self.gradient,
            hessian: PreparedHessian {
                prep: Mutex::new(prep),
                evaluate: hessian,
            },
        }
    }

    /// Adds a matrix-free Hessian: `hvp(x, v)` is `f_hvp(x, c.., v)`. Each
    /// `Hessian::hessian` call returns an [`HvpOperator`] holding a copy of `x`, whose
    /// products are HVP sweeps. See the [module documentation](self) for when this beats
    /// [`with_hessian`](Self::with_hessian).
    ///
    /// ```
    /// use argmin::core::Hessian;
    /// use argmin_math::ArgminDot;
    /// use asd::argmin::Objective;
    /// use asd::sparse_diff;
    ///
    /// #[sparse_diff]
    /// fn f(x: &[f64]) -> f64 {
    ///     x[0] * x[0] * x[1]
    /// }
    ///
    /// let problem = Objective::new(f).with_gradient(f_gradient).with_hvp(f_hvp);
    /// let h = problem.hessian(&vec![1.0, 3.0]).unwrap(); // [[6, 2], [2, 0]]
    /// assert_eq!(h.dot(&vec![1.0, 0.0]), vec![6.0, 2.0]);
    /// ```
    pub fn with_hvp<F>(self, hvp: F) -> Objective<C, G, MatrixFreeHessian<F>>
    where
        F: Fn(&[f64], &[f64]) -> Vec<f64>,
    {
        Objective {
            cost: self.cost,
            gradient: self.gradient,
            hessian: MatrixFreeHessian { hvp: Arc::new(hvp) },
        }
    }
}

impl<C, G, F> Objective<C, G, PreparedHessian<F>> {
    /// Gives the preparation back, holding the last Hessian evaluated: to reuse it for
    /// another objective on the same pattern (another value of a constant, in a
    /// continuation), or to print it. argmin hands the objective back in
    /// `result.problem.problem`.
    ///
    /// ```
    /// use asd::argmin::Objective;
    /// use asd::sparse_diff;
    ///
    /// #[sparse_diff]
    /// fn f(x: &[f64], k: f64) -> f64 {
    ///     k * x[0] * x[0] + x[1] * x[1]
    /// }
    ///
    /// let x = vec![1.0, 1.0];
    /// let mut prep = f_hessian_prepare(&x, 1.0);
    /// for k in [1.0, 2.0, 4.0] {
    ///     let problem = Objective::new(|x| f(x, k))
    ///         .with_gradient(|x| f_gradient(x, k))
    ///         .with_hessian(prep, |p, x| f_hessian_prepared(p, x, k));
    ///     // ... a solver runs with `problem` ...
    ///     prep = problem.into_prep();
    /// }
    /// assert_eq!(prep.ncolors(), 1);
    /// ```
    pub fn into_prep(self) -> HessianPrep {
        self.hessian
            .prep
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl<C, G, H> CostFunction for Objective<C, G, H>
where
    C: Fn(&[f64]) -> f64,
{
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok((self.cost)(x))
    }
}

impl<C, G, H> Gradient for Objective<C, G, H>
where
    G: Fn(&[f64]) -> (f64, Vec<f64>),
{
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok((self.gradient)(x).1)
    }
}

impl<C, G, F> Hessian for Objective<C, G, PreparedHessian<F>>
where
    F: for<'p> Fn(&'p mut HessianPrep, &[f64]) -> &'p CsMat<f64>,
{
    type Param = Vec<f64>;
    type Hessian = SparseHessian;

    fn hessian(&self, x: &Vec<f64>) -> Result<SparseHessian, Error> {
        let mut prep = self
            .hessian
            .prep
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let matrix = (self.hessian.evaluate)(&mut prep, x).clone();
        Ok(SparseHessian { matrix })
    }
}

impl<C, G, F> Hessian for Objective<C, G, MatrixFreeHessian<F>>
where
    F: Fn(&[f64], &[f64]) -> Vec<f64>,
{
    type Param = Vec<f64>;
    type Hessian = HvpOperator<F>;

    fn hessian(&self, x: &Vec<f64>) -> Result<HvpOperator<F>, Error> {
        Ok(HvpOperator {
            x: x.clone(),
            hvp: Arc::clone(&self.hessian.hvp),
        })
    }
}

/// The Hessian part of an [`Objective`] made by
/// [`with_hessian`](Objective::with_hessian): the preparation (behind a [`Mutex`], see
/// the [module documentation](self)) and the closure evaluating it. Only named in types.
///
/// ```
/// use asd::argmin::{Objective, PreparedHessian};
/// use asd::sparse_diff;
///
/// #[sparse_diff]
/// fn f(x: &[f64]) -> f64 {
///     x[0] * x[1]
/// }
///
/// fn assert_sync<T: Sync>(_: &T) {}
/// let problem = Objective::new(f).with_gradient(f_gradient)
///     .with_hessian(f_hessian_prepare(&[1.0, 2.0]), f_hessian_prepared);
/// assert_sync(&problem); // the preparation is behind a lock, not a RefCell
/// let _: &Objective<_, _, PreparedHessian<_>> = &problem;
/// ```
#[derive(Debug)]
pub struct PreparedHessian<F> {
    prep: Mutex<HessianPrep>,
    evaluate: F,
}

/// The Hessian part of an [`Objective`] made by [`with_hvp`](Objective::with_hvp): the
/// Hessian-vector product closure, shared with the [`HvpOperator`]s it returns. Only
/// named in types.
///
/// ```
/// use asd::argmin::{MatrixFreeHessian, Objective};
/// use asd::sparse_diff;
///
/// #[sparse_diff]
/// fn f(x: &[f64]) -> f64 {
///     x[0] * x[1]
/// }
///
/// let problem: Objective<_, _, MatrixFreeHessian<_>> =
///     Objective::new(f).with_gradient(f_gradient).with_hvp(f_hvp);
/// # let _ = problem;
/// ```
#[derive(Debug)]
pub struct MatrixFreeHessian<F> {
    hvp: Arc<F>,
}

// Not derived (nor `HvpOperator`'s): the derive would ask for `F: Clone`, and the
// closure is shared.
impl<F> Clone for MatrixFreeHessian<F> {
    fn clone(&self) -> Self {
        MatrixFreeHessian {
            hvp: Arc::clone(&self.hvp),
        }
    }
}

/// A sparse Hessian at one point, as argmin's solvers use it: an operator `v -> H v`
/// (`ArgminDot<Vec<f64>, Vec<f64>>`, a sparse matrix-vector product), holding the
/// symmetric matrix with both triangles in compressed rows.
///
/// ```
/// use argmin_math::ArgminDot;
/// use asd::argmin::SparseHessian;
/// use asd::sparse_diff;
///
/// #[sparse_diff]
/// fn f(x: &[f64]) -> f64 {
///     x[0] * x[0] + 3.0 * x[0] * x[1]
/// }
///
/// let h = SparseHessian::from(f_hessian(&[1.0, 1.0])); // [[2, 3], [3, 0]]
/// assert_eq!(h.dot(&vec![1.0, 2.0]), vec![8.0, 3.0]);
/// assert_eq!(h.matrix().nnz(), 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SparseHessian {
    matrix: CsMat<f64>,
}

impl SparseHessian {
    /// The matrix: compressed rows, both triangles (to factor it, see `asd::interop`,
    /// features `faer` and `nalgebra-sparse`).
    ///
    /// ```
    /// use asd::argmin::SparseHessian;
    /// use asd::sparse_diff;
    ///
    /// #[sparse_diff]
    /// fn f(x: &[f64]) -> f64 {
    ///     x[0] * x[1]
    /// }
    ///
    /// let h = SparseHessian::from(f_hessian(&[1.0, 1.0]));
    /// assert!(h.matrix().is_csr());
    /// assert_eq!(h.matrix().get(0, 1), Some(&1.0));
    /// ```
    pub fn matrix(&self) -> &CsMat<f64> {
        &self.matrix
    }

    /// The matrix, moved out.
    ///
    /// ```
    /// use asd::argmin::SparseHessian;
    /// use asd::sparse_diff;
    ///
    /// #[sparse_diff]
    /// fn f(x: &[f64]) -> f64 {
    ///     x[0] * x[1]
    /// }
    ///
    /// let m = f_hessian(&[1.0, 1.0]);
    /// assert_eq!(SparseHessian::from(m.clone()).into_matrix(), m);
    /// ```
    pub fn into_matrix(self) -> CsMat<f64> {
        self.matrix
    }
}

impl From<CsMat<f64>> for SparseHessian {
    /// Wraps a square matrix in compressed rows (a generated `f_hessian`, or one of a
    /// hand-written `Hessian` implementation). Panics if it is not.
    ///
    /// ```
    /// use asd::argmin::SparseHessian;
    /// use asd::sprs::CsMat;
    ///
    /// let h = SparseHessian::from(CsMat::new((2, 2), vec![0, 1, 2], vec![0, 1], vec![1.0, 2.0]));
    /// assert_eq!(h.matrix().diag().data(), &[1.0, 2.0]);
    /// ```
    #[track_caller]
    fn from(matrix: CsMat<f64>) -> Self {
        assert!(
            matrix.is_csr() && matrix.rows() == matrix.cols(),
            "asd::argmin: a Hessian is a square matrix in compressed rows, not {} x {} in compressed {}",
            matrix.rows(),
            matrix.cols(),
            if matrix.is_csr() { "rows" } else { "columns" },
        );
        SparseHessian { matrix }
    }
}

impl ArgminDot<Vec<f64>, Vec<f64>> for SparseHessian {
    /// `H v`. Panics if `v` has the wrong length.
    #[track_caller]
    fn dot(&self, v: &Vec<f64>) -> Vec<f64> {
        let m = &self.matrix;
        assert_eq!(
            v.len(),
            m.cols(),
            "asd::argmin: a vector of length {} times a {} x {} Hessian",
            v.len(),
            m.rows(),
            m.cols()
        );
        let (indptr, indices, data) = (m.indptr(), m.indices(), m.data());
        (0..m.rows())
            .map(|i| {
                let row = indptr.outer_inds_sz(i);
                indices[row.clone()]
                    .iter()
                    .zip(&data[row])
                    .map(|(&j, h)| h * v[j])
                    .sum()
            })
            .collect()
    }
}

/// A matrix-free Hessian at one point: the point and the Hessian-vector product, an
/// operator `v -> H v` (`ArgminDot<Vec<f64>, Vec<f64>>`) whose every product is one HVP
/// sweep of the generated `f_hvp`. Cloning it copies the point.
///
/// ```
/// use argmin::core::Hessian;
/// use argmin_math::ArgminDot;
/// use asd::argmin::Objective;
/// use asd::sparse_diff;
///
/// #[sparse_diff]
/// fn f(x: &[f64]) -> f64 {
///     x[0].exp() * x[1]
/// }
///
/// let problem = Objective::new(f).with_hvp(f_hvp);
/// let h = problem.hessian(&vec![0.0, 2.0]).unwrap(); // [[2, 1], [1, 0]]
/// assert_eq!(h.point(), &[0.0, 2.0]);
/// assert_eq!(h.dot(&vec![1.0, 1.0]), vec![3.0, 1.0]);
/// ```
#[derive(Debug)]
pub struct HvpOperator<F> {
    x: Vec<f64>,
    hvp: Arc<F>,
}

impl<F> HvpOperator<F> {
    /// The point the Hessian is taken at.
    ///
    /// ```
    /// use argmin::core::Hessian;
    /// use asd::argmin::Objective;
    /// use asd::sparse_diff;
    ///
    /// #[sparse_diff]
    /// fn f(x: &[f64]) -> f64 {
    ///     x[0] * x[0]
    /// }
    ///
    /// let h = Objective::new(f).with_hvp(f_hvp).hessian(&vec![3.0]).unwrap();
    /// assert_eq!(h.point(), &[3.0]);
    /// ```
    pub fn point(&self) -> &[f64] {
        &self.x
    }
}

impl<F> Clone for HvpOperator<F> {
    fn clone(&self) -> Self {
        HvpOperator {
            x: self.x.clone(),
            hvp: Arc::clone(&self.hvp),
        }
    }
}

impl<F> ArgminDot<Vec<f64>, Vec<f64>> for HvpOperator<F>
where
    F: Fn(&[f64], &[f64]) -> Vec<f64>,
{
    /// `H v`, one Hessian-vector product sweep.
    fn dot(&self, v: &Vec<f64>) -> Vec<f64> {
        (self.hvp)(&self.x, v)
    }
}
