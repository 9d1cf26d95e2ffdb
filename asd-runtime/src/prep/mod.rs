//! Preparation drivers: "prepare once, evaluate many times".
//!
//! A preparation holds everything that depends only on the sparsity pattern — the
//! coloring, the lane count, the decompression map, the seed and compressed buffers,
//! the output matrix and a [`Workspace`] — so that an evaluation is `ceil(c / L)` calls
//! of a generated lane kernel ([`Jvp`], [`Vjp`] or [`Hvp`]) followed by a gather, and
//! allocates nothing.
//!
//! The kernel traits are the contract with the code `#[sparse_diff]` generates; their
//! signatures are fixed.

mod constants;
mod dispatch;
mod driver;
mod hessian;
// Calls of `#[target_feature]` functions are unsafe: the one exception to the crate's
// `deny(unsafe_code)`.
#[allow(unsafe_code)]
mod isa;
mod jacobian;
mod key;
mod same_point;

use std::fmt;

pub use dispatch::{Evaluate, ParallelHessian, ParallelJacobian, SerialHessian, SerialJacobian};
pub use hessian::HessianPrep;
pub use jacobian::JacobianPrep;
pub use key::{ConstKey, KeyOf, KnownKey, UnknownKey};
pub use same_point::HvpSamePoint;

use crate::coloring::RECOLOR_ROUNDS;
use crate::{LaneBuf, OnSwitch, Order, Sparsity, Workspace};

/// The lane counts forward and second-order kernels are compiled for; a preparation
/// picks one of them. 6 is there for the 5 or 6 colors of 2-D 5-point stencils (H3's
/// Hessian has 5): 8 lanes would carry a third more memory, and a 6-lane sweep of H3 is
/// 10-20% faster. 12 likewise serves 9 to 12 colors (J1 has 11). 32 carries in one
/// sweep what two of 12 or 16 would, so the primal runs once: J3's 25 colors (a 5 x 5
/// convolution) take one sweep of 32 lanes, a fifth faster than two of 16. Each count is
/// one more copy of every kernel to compile, so 17 to 24 colors, rarer than 5 or 6,
/// take 32 too. Reverse sweeps take fewer ([`REVERSE_LANES`]).
///
/// ```
/// use asd_runtime::{JacobianOptions, JacobianPrep, SparsityPattern, LANES};
/// let diagonal = SparsityPattern::from_coordinates(5, 5, (0..5).map(|i| (i, i)));
/// let prep = JacobianPrep::new(diagonal.clone(), &JacobianOptions::forward());
/// assert!(LANES.contains(&prep.lanes()));
/// // Any listed count can be forced; others panic.
/// let eight = JacobianOptions::forward().with_lanes(LANES[4]);
/// assert_eq!(JacobianPrep::new(diagonal, &eight).lanes(), 8);
/// ```
pub const LANES: [usize; 8] = [1, 2, 4, 6, 8, 12, 16, 32];

/// The lane counts reverse-mode Jacobian kernels are compiled for, a subset of
/// [`LANES`]. A reverse kernel is several times the code of a forward one (it records
/// the tape, in each copy, before it walks it back) and most of a user's build time, so
/// 2 and 5 or 6 colors take the next count up: 4 and 8. A lane count forced for a
/// reverse sweep is rounded up to one of these. (12 stays: J1's 11 row colors take 30%
/// longer in 16 lanes.)
///
/// ```
/// use asd_runtime::{JacobianOptions, JacobianPrep, SparsityPattern, REVERSE_LANES};
/// // One dense row and a diagonal: 12 column colors, or 2 row colors.
/// let p = SparsityPattern::from_coordinates(12, 12, (0..12).flat_map(|j| [(0, j), (j, j)]));
/// let prep = JacobianPrep::new(p.clone(), &JacobianOptions::reverse());
/// assert_eq!((prep.ncolors(), prep.lanes()), (2, 4));
/// assert!(REVERSE_LANES.contains(&prep.lanes()));
/// let two = JacobianOptions::reverse().with_lanes(2);
/// assert_eq!(JacobianPrep::new(p, &two).lanes(), 4);
/// ```
pub const REVERSE_LANES: [usize; 6] = [1, 4, 8, 12, 16, 32];

/// Which kernels a sweep runs, for the lane counts compiled for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sweeps {
    /// JVPs and HVPs: [`LANES`].
    Forward,
    /// VJPs: [`REVERSE_LANES`].
    Reverse,
}

impl Sweeps {
    fn lanes(self) -> &'static [usize] {
        match self {
            Sweeps::Forward => &LANES,
            Sweeps::Reverse => &REVERSE_LANES,
        }
    }

    /// What `ncolors` colors cost in these sweeps, with the lanes [`choose_lanes`]
    /// takes: sweeps, then lanes in all ([`evaluation_cost`]).
    pub(crate) fn cost(self, ncolors: usize, forced: Option<usize>) -> (usize, usize) {
        evaluation_cost(ncolors, choose_lanes(ncolors, forced, self))
    }
}

/// `with_lanes!(lanes, L => isa::sweep::<_, L>(...))`: runs the expression with the
/// lane count as the const `L`, one arm per entry of [`LANES`], or of [`REVERSE_LANES`]
/// with `with_lanes!(reverse: lanes, ...)` (an unlisted count is unreachable:
/// `choose_lanes` only picks listed ones). Matched where a sweep is called
/// (`isa::Sweep::sweep_lanes`), so that only the kernel's entry points are compiled per
/// lane count.
macro_rules! with_lanes {
    ($lanes:expr, $l:ident => $call:expr) => {
        with_lanes!(@arms $lanes, $l, $call, LANES, 1 2 4 6 8 12 16 32)
    };
    (reverse: $lanes:expr, $l:ident => $call:expr) => {
        with_lanes!(@arms $lanes, $l, $call, REVERSE_LANES, 1 4 8 12 16 32)
    };
    (@arms $lanes:expr, $l:ident, $call:expr, $set:ident, $($n:literal)*) => {
        match $lanes {
            $($n => {
                const $l: usize = $n;
                $call
            })*
            l => unreachable!("asd: {l} lanes are not in {}", stringify!($set)),
        }
    };
}
use with_lanes;

/// Compressed forward mode: `L` Jacobian-vector products in one sweep.
///
/// ```
/// use asd_runtime::{Jvp, Workspace};
///
/// /// `y[i] = x[i]^2`: `dy[i] = 2 x[i] dx[i]`, in each of `L` lanes.
/// struct Square<'a>(&'a [f64]);
///
/// impl Jvp for Square<'_> {
///     fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
///         for ((dy, dx), x) in dy.iter_mut().zip(dx).zip(self.0) {
///             for l in 0..L {
///                 dy[l] = 2.0 * x * dx[l];
///             }
///         }
///     }
/// }
///
/// // Two directions at once: e0 + e1 and e2.
/// let x = [1.0, 2.0, 3.0];
/// let dx = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
/// let mut dy = [[0.0; 2]; 3];
/// Square(&x).jvp(&Workspace::new(), &dx, &mut dy);
/// assert_eq!(dy, [[2.0, 0.0], [4.0, 0.0], [0.0, 6.0]]);
/// // Without a buffer of its own, a kernel leaves `jvp_owned` to its default.
/// assert!(Square(&x).jvp_owned(&Workspace::new(), &dx).is_none());
/// assert!(!Square::OWNS_PRODUCTS);
/// ```
pub trait Jvp {
    /// `dy[i][l] = sum_j J[i][j] * dx[j][l]`. `dy` has the output's length and is zeroed
    /// by the caller.
    ///
    /// See [`Jvp`] for an example.
    fn jvp<const L: usize>(&mut self, ws: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]);

    /// Whether [`jvp_owned`](Self::jvp_owned) always gives the products. A preparation
    /// then calls only it, so [`jvp`](Self::jvp) is not compiled into its sweeps.
    /// `false` (the default) for kernels that keep `jvp_owned`'s default.
    ///
    /// See [`Jvp`] for an example.
    const OWNS_PRODUCTS: bool = false;

    /// The products in a buffer of the kernel's own, when it has one (generated
    /// kernels of functions that return a vector): a preparation then decompresses
    /// straight from it instead of zeroing a buffer for [`jvp`](Self::jvp) and copying.
    /// Preparations call it only for kernels that set
    /// [`OWNS_PRODUCTS`](Self::OWNS_PRODUCTS), which must then never return `None`
    /// (the default). The buffer may share `dx` (a function whose output is its input,
    /// for some argument).
    ///
    /// See [`Jvp`] (a kernel that keeps the default) for an example.
    fn jvp_owned<'w, const L: usize>(
        &mut self,
        ws: &'w Workspace,
        dx: &'w [[f64; L]],
    ) -> Option<LaneBuf<'w, L>> {
        let _ = (ws, dx);
        None
    }
}
/// Compressed reverse mode: `L` vector-Jacobian products in one sweep.
///
/// ```
/// use asd_runtime::{JacobianOptions, JacobianPrep, SparsityPattern, Vjp, Workspace};
///
/// /// `y = [x0 + x1 + x2]`: one dense row, so one VJP gives the whole Jacobian.
/// struct Sum;
///
/// impl Vjp for Sum {
///     fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
///         for dx in dx.iter_mut() {
///             for l in 0..L {
///                 dx[l] += dy[0][l];
///             }
///         }
///     }
/// }
///
/// let mut dx = [[0.0; 1]; 3];
/// Sum.vjp(&Workspace::new(), &[[2.0]], &mut dx);
/// assert_eq!(dx, [[2.0], [2.0], [2.0]]);
///
/// let row = SparsityPattern::from_coordinates(1, 3, [(0, 0), (0, 1), (0, 2)]);
/// let mut prep = JacobianPrep::new(row, &JacobianOptions::reverse());
/// assert_eq!(prep.ncolors(), 1);
/// assert_eq!(prep.evaluate_reverse(&mut Sum).data(), [1.0, 1.0, 1.0]);
/// ```
pub trait Vjp {
    /// `dx[j][l] = sum_i dy[i][l] * J[i][j]`. `dx` is zeroed by the caller.
    ///
    /// See [`Vjp`] for an example.
    fn vjp<const L: usize>(&mut self, ws: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]);
}
/// Compressed second order: `L` Hessian-vector products in one sweep.
///
/// ```
/// use asd_runtime::{
///     HessianMethod, HessianOptions, HessianPrep, Hvp, SparsityPattern, Workspace,
/// };
///
/// /// `f(x) = x0 * x1 + x2^2`: `H = [0 1 0; 1 0 0; 0 0 2]`.
/// struct F;
///
/// impl Hvp for F {
///     fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
///         for l in 0..L {
///             hv[0][l] += v[1][l];
///             hv[1][l] += v[0][l];
///             hv[2][l] += 2.0 * v[2][l];
///         }
///     }
/// }
///
/// let mut hv = [[0.0; 1]; 3];
/// F.hvp(&Workspace::new(), &[[1.0], [2.0], [3.0]], &mut hv);
/// assert_eq!(hv, [[2.0], [1.0], [6.0]]);
///
/// let p = SparsityPattern::from_coordinates(3, 3, [(0, 1), (1, 0), (2, 2)]);
/// let mut prep = HessianPrep::new(p, &HessianOptions::default());
/// // No two columns share a row: one HVP, v = (1, 1, 1), gives every entry.
/// assert_eq!((prep.method(), prep.ncolors()), (HessianMethod::Columns, 1));
/// let h = prep.evaluate(&mut F);
/// assert_eq!(
///     (h.get(0, 1), h.get(1, 0), h.get(2, 2)),
///     (Some(&1.0), Some(&1.0), Some(&2.0))
/// );
/// ```
pub trait Hvp {
    /// `hv[i][l] = sum_j H[i][j] * v[j][l]`. `hv` is zeroed by the caller.
    ///
    /// See [`Hvp`] for an example.
    fn hvp<const L: usize>(&mut self, ws: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]);
}

/// How a Jacobian preparation computes: forward mode over column colors (JVPs),
/// reverse mode over row colors (VJPs), or both over a star bicoloring.
///
/// ```
/// use asd_runtime::Mode;
/// assert_eq!(Mode::Forward.product(), "JVP");
/// assert_eq!(Mode::Reverse.to_string(), "reverse");
/// assert_eq!(Mode::Bidirectional.product(), "product");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Column coloring, one JVP per color.
    Forward,
    /// Row coloring, one VJP per color.
    Reverse,
    /// Star bicoloring ([`Bicoloring`](crate::coloring::Bicoloring)): one JVP per column
    /// color and one VJP per row color, every entry read from one of them. Few
    /// products where both dense rows and dense columns make one-sided colorings need
    /// many (an arrowhead).
    Bidirectional,
}

impl Mode {
    /// The product one color costs: `"JVP"`, `"VJP"`, or `"product"` when colors
    /// cost either.
    ///
    /// See [`Mode`] for an example.
    pub fn product(self) -> &'static str {
        match self {
            Mode::Forward => "JVP",
            Mode::Reverse => "VJP",
            Mode::Bidirectional => "product",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Forward => "forward",
            Mode::Reverse => "reverse",
            Mode::Bidirectional => "bidirectional",
        })
    }
}

/// The mode a user asks for.
///
/// ```
/// use asd_runtime::{JacobianOptions, JacobianPrep, Mode, ModeChoice, SparsityPattern};
/// // Two dense rows of 10 columns: 10 JVPs or 2 VJPs.
/// let wide = SparsityPattern::from_coordinates(2, 10, (0..20).map(|k| (k / 10, k % 10)));
/// assert_eq!(JacobianOptions::default().mode, ModeChoice::Auto);
/// let auto = JacobianPrep::new(wide.clone(), &JacobianOptions::default());
/// assert_eq!((auto.mode(), auto.ncolors()), (Mode::Reverse, 2));
/// let forced = JacobianOptions::default()
///     .with_mode(ModeChoice::Forward)
///     .with_warn(false);
/// let forward = JacobianPrep::new(wide, &forced);
/// assert_eq!((forward.mode(), forward.ncolors()), (Mode::Forward, 10));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ModeChoice {
    /// Color both the columns and the rows and take the one whose evaluation is cheaper:
    /// fewer sweeps, or as many with fewer lanes. Ties go to forward mode, whose
    /// products are cheaper. When the cheaper takes two sweeps or more, a star
    /// bicoloring is tried too and taken if its forward and reverse sweeps together
    /// cost less ([`Bidirectional`](Self::Bidirectional)).
    #[default]
    Auto,
    /// Always forward mode: the kernel needs only [`Jvp`].
    Forward,
    /// Always reverse mode: the kernel needs only [`Vjp`].
    Reverse,
    /// Always both: a star bicoloring, JVPs for some columns and VJPs for some rows
    /// (see [`Mode::Bidirectional`]). The kernel needs [`Jvp`] and [`Vjp`].
    /// [`Auto`](Self::Auto) takes it by itself when its sweeps, forward and reverse
    /// together, cost less than the better one-sided coloring's.
    Bidirectional,
}

/// How a Hessian is colored and recovered.
///
/// ```
/// use asd_runtime::{HessianMethod, HessianOptions, HessianPrep, SparsityPattern};
/// // A tridiagonal Hessian of 8 variables.
/// let n = 8;
/// let p = SparsityPattern::from_coordinates(
///     n,
///     n,
///     (0..n).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(n - 1))]),
/// );
/// let with = |m| HessianPrep::new(p.clone(), &HessianOptions::default().with_method(m));
/// assert_eq!(with(HessianMethod::Star).ncolors(), 3);
/// assert_eq!(with(HessianMethod::Acyclic).ncolors(), 2);
/// assert_eq!(with(HessianMethod::Columns).ncolors(), 3);
/// assert_eq!(with(HessianMethod::Acyclic).method().to_string(), "acyclic");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HessianMethod {
    /// Star coloring, direct recovery (the default).
    Star,
    /// Acyclic coloring, recovery by substitution: fewer colors, a few more flops.
    Acyclic,
    /// Plain column coloring, ignoring symmetry.
    Columns,
}

impl fmt::Display for HessianMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HessianMethod::Star => "star",
            HessianMethod::Acyclic => "acyclic",
            HessianMethod::Columns => "column",
        })
    }
}

/// Options of [`JacobianPrep::new`]. The defaults (auto mode, best vertex order, lanes
/// chosen from the color count, warnings on) are what most callers want.
///
/// ```
/// use asd_runtime::{JacobianOptions, JacobianPrep, Mode, ModeChoice, Order, SparsityPattern};
/// let options = JacobianOptions::forward()
///     .with_order(Order::SmallestLast)
///     .with_lanes(4)
///     .with_warn(false);
/// assert_eq!(options.mode, ModeChoice::Forward);
/// assert_eq!(
///     (options.order, options.lanes, options.warn),
///     (Some(Order::SmallestLast), Some(4), false)
/// );
/// assert_eq!(
///     JacobianOptions::reverse(),
///     JacobianOptions::default().with_mode(ModeChoice::Reverse)
/// );
///
/// let diagonal = SparsityPattern::from_coordinates(3, 3, (0..3).map(|i| (i, i)));
/// let prep = JacobianPrep::new(diagonal, &options);
/// assert_eq!((prep.mode(), prep.lanes()), (Mode::Forward, 4));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JacobianOptions {
    /// Forward, reverse, both (a bicoloring), or the cheapest.
    pub mode: ModeChoice,
    /// Vertex order of the greedy coloring; `None` tries the cheap
    /// [`SEARCH_ORDERS`](crate::coloring::SEARCH_ORDERS) and keeps the first whose
    /// evaluation is cheapest. The search stops looking once fewer colors could not
    /// save a sweep or lanes, so it may keep 12 colors where 11 exist: both take one
    /// sweep of 12 lanes. [`color_columns_best`](crate::coloring::color_columns_best)
    /// tries every order and gives the fewest colors whatever they cost to find; pass
    /// its coloring to [`JacobianPrep::with_coloring`].
    pub order: Option<Order>,
    /// Lanes per sweep, one of [`LANES`]; `None` picks the fewest sweeps, then the
    /// fewest lanes.
    pub lanes: Option<usize>,
    /// Rounds of recoloring after the order search (see
    /// [`recolor_columns`](crate::coloring::recolor_columns)), kept only when they make
    /// an evaluation cheaper; they stop as soon as no coloring could. `0`: the greedy
    /// coloring of the order as it is. Default
    /// [`RECOLOR_ROUNDS`](crate::coloring::RECOLOR_ROUNDS).
    pub recolor_rounds: usize,
    /// Whether [`JacobianPrep::new`] may print the one warning asd prints, on standard
    /// error, when sparsity buys nothing (see
    /// [`JacobianPrep::sparsity_buys_nothing`]). Default `true`.
    pub warn: bool,
    /// Whether entries the tracer proves constant (of an input that enters an output
    /// linearly; whole rows, of outputs affine in the input) are evaluated once, at the
    /// first evaluation, and left out of the coloring and the decompression after it
    /// (see [`JacobianPrep::with_constant_entries`]). Default `true`.
    pub constant_entries: bool,
    /// Whether a Jacobian whose rows are proved to be multiples of constant rows (outputs
    /// that are each a function of one affine form of the input) learns them at its first
    /// evaluation and then sweeps far fewer colors (see
    /// [`JacobianPrep::with_scaled_rows`]). Default `true`.
    pub scaled_rows: bool,
    /// The global pattern (the default), or the local one at the preparation's input
    /// and what to do where it no longer holds (see [`Sparsity::Local`]). Only the
    /// generated `f_jacobian_prepare_with` reads it.
    pub sparsity: Sparsity,
    /// Threads an evaluation may run on (see [`with_threads`](Self::with_threads)).
    /// Default 1: serial.
    pub threads: usize,
}

impl Default for JacobianOptions {
    fn default() -> Self {
        JacobianOptions {
            mode: ModeChoice::default(),
            order: None,
            lanes: None,
            recolor_rounds: RECOLOR_ROUNDS,
            warn: true,
            constant_entries: true,
            scaled_rows: true,
            sparsity: Sparsity::Global,
            threads: 1,
        }
    }
}

impl JacobianOptions {
    /// The row-color count a reverse coloring must get below to cost less than
    /// `ncolumn_colors` column colors: fewer sweeps, or as many with fewer lanes.
    pub(crate) fn reverse_cheaper_than(&self, ncolumn_colors: usize) -> usize {
        let cost = Sweeps::Forward.cost(ncolumn_colors, self.lanes);
        cheaper_than(cost, self.lanes, Sweeps::Reverse)
    }

    /// Forward mode only: the kernel needs no [`Vjp`].
    ///
    /// See [`JacobianOptions`] for an example.
    pub fn forward() -> Self {
        JacobianOptions {
            mode: ModeChoice::Forward,
            ..Self::default()
        }
    }

    /// Reverse mode only: the kernel needs no [`Jvp`].
    ///
    /// See [`JacobianOptions`] for an example.
    pub fn reverse() -> Self {
        JacobianOptions {
            mode: ModeChoice::Reverse,
            ..Self::default()
        }
    }

    /// The local pattern at the preparation's input, with `on_switch` where it no
    /// longer holds: `JacobianOptions::default().with_sparsity(Sparsity::Local(on_switch))`.
    pub fn local(on_switch: OnSwitch) -> Self {
        Self::default().with_sparsity(Sparsity::Local(on_switch))
    }

    /// The same options with this mode.
    ///
    /// See [`JacobianOptions`] for an example.
    pub fn with_mode(self, mode: ModeChoice) -> Self {
        JacobianOptions { mode, ..self }
    }

    /// The same options with this pattern: global or local.
    pub fn with_sparsity(self, sparsity: Sparsity) -> Self {
        JacobianOptions { sparsity, ..self }
    }

    /// The same options with this coloring order.
    ///
    /// See [`JacobianOptions`] for an example.
    pub fn with_order(self, order: Order) -> Self {
        JacobianOptions {
            order: Some(order),
            ..self
        }
    }

    /// The same options with this many lanes per sweep (one of [`LANES`]).
    ///
    /// See [`JacobianOptions`] for an example.
    pub fn with_lanes(self, lanes: usize) -> Self {
        JacobianOptions {
            lanes: Some(lanes),
            ..self
        }
    }

    /// The same options with this many rounds of recoloring (see
    /// [`recolor_rounds`](Self::recolor_rounds)).
    pub fn with_recolor_rounds(self, recolor_rounds: usize) -> Self {
        JacobianOptions {
            recolor_rounds,
            ..self
        }
    }

    /// The same options with the warning on or off (see [`warn`](Self::warn)).
    ///
    /// See [`JacobianOptions`] for an example.
    pub fn with_warn(self, warn: bool) -> Self {
        JacobianOptions { warn, ..self }
    }

    /// The same options with constant entries evaluated once, or with every entry
    /// evaluated every time (see [`constant_entries`](Self::constant_entries)).
    pub fn with_constant_entries(self, constant_entries: bool) -> Self {
        JacobianOptions {
            constant_entries,
            ..self
        }
    }

    /// The same options with scaled rows learned once, or with every color swept every
    /// time (see [`scaled_rows`](Self::scaled_rows)).
    pub fn with_scaled_rows(self, scaled_rows: bool) -> Self {
        JacobianOptions {
            scaled_rows,
            ..self
        }
    }

    /// The same options with evaluations on up to `threads` threads (at least 1; 1, the
    /// default, is serial). The sweeps are split between the threads, each with its own
    /// seed, part of the compressed buffer and workspace, all allocated at preparation;
    /// each thread reruns the primal in its sweeps. The lanes are then chosen for the
    /// fewest sweeps per thread (11 colors on 2 threads: 2 sweeps of 6 lanes instead of
    /// 1 of 12), so the sweeps run on at most `nsweeps()` threads
    /// ([`threads`](JacobianPrep::threads)); the gather after them, when it has 2^16
    /// entries or more and no substitutions, is split over every thread asked for.
    ///
    /// Runs on rayon's pool with the `parallel` feature (of `asd` or `asd-runtime`);
    /// without it, on threads spawned at each evaluation, which costs tens of
    /// microseconds and allocates. The generated `f_*_prepared` evaluate in parallel when
    /// the function's parameters are `Sync` and it returns its output; otherwise serially
    /// (with a warning, once).
    ///
    /// ```
    /// use asd_runtime::{JacobianOptions, JacobianPrep, SparsityPattern};
    /// // 11 colors: a band of width 11.
    /// let p = SparsityPattern::from_coordinates(40, 40, (0..40).flat_map(|i| (i..(i + 11).min(40)).map(move |j| (i, j))));
    /// let serial = JacobianPrep::new(p.clone(), &JacobianOptions::forward());
    /// assert_eq!((serial.lanes(), serial.nsweeps(), serial.threads()), (12, 1, 1));
    /// let two = JacobianPrep::new(p, &JacobianOptions::forward().with_threads(2));
    /// assert_eq!((two.lanes(), two.nsweeps(), two.threads()), (6, 2, 2));
    /// assert!(two.to_string().starts_with(
    ///     "Jacobian preparation, forward mode: 11 JVPs in 2 sweeps of 6 lanes on 2 threads"
    /// ));
    /// ```
    pub fn with_threads(self, threads: usize) -> Self {
        assert!(threads > 0, "asd: an evaluation needs at least one thread");
        JacobianOptions { threads, ..self }
    }
}

/// Options of [`HessianPrep::new`].
///
/// ```
/// use asd_runtime::{HessianMethod, HessianOptions, HessianPrep, Order, SparsityPattern};
/// let options = HessianOptions::default()
///     .with_method(HessianMethod::Acyclic)
///     .with_order(Order::LargestFirst)
///     .with_lanes(2)
///     .with_warn(false);
/// assert_eq!(options.method, Some(HessianMethod::Acyclic));
/// assert_eq!(
///     (options.order, options.lanes, options.warn),
///     (Some(Order::LargestFirst), Some(2), false)
/// );
///
/// let diagonal = SparsityPattern::from_coordinates(3, 3, (0..3).map(|i| (i, i)));
/// let prep = HessianPrep::new(diagonal, &options);
/// assert_eq!((prep.method(), prep.lanes()), (HessianMethod::Acyclic, 2));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HessianOptions {
    /// `None`: star coloring, or plain column coloring in the rare case it needs fewer
    /// colors. `Some(m)`: exactly method `m`.
    pub method: Option<HessianMethod>,
    /// Vertex order of the greedy coloring; `None` tries several and keeps the best.
    pub order: Option<Order>,
    /// Lanes per sweep, one of [`LANES`]; `None` picks the fewest sweeps, then the
    /// fewest lanes.
    pub lanes: Option<usize>,
    /// Rounds of recoloring after the order search (see
    /// [`recolor_star`](crate::coloring::recolor_star)), kept only when they make an
    /// evaluation cheaper. `0`: the greedy coloring of the order as it is. Default
    /// [`RECOLOR_ROUNDS`](crate::coloring::RECOLOR_ROUNDS).
    pub recolor_rounds: usize,
    /// Whether [`HessianPrep::new`] may print the one warning asd prints, on standard
    /// error, when sparsity buys nothing (see
    /// [`HessianPrep::sparsity_buys_nothing`]). Default `true`.
    pub warn: bool,
    /// Whether entries the tracer proves constant (of a pair of inputs that interact
    /// through constant second derivatives only: a quadratic term) are evaluated once,
    /// at the first evaluation, and left out of the coloring and the decompression after
    /// it (see [`HessianPrep::with_constant_entries`]). Default `true`.
    pub constant_entries: bool,
    /// Threads an evaluation may run on (see [`with_threads`](Self::with_threads)).
    /// Default 1: serial.
    pub threads: usize,
}

impl Default for HessianOptions {
    fn default() -> Self {
        HessianOptions {
            method: None,
            order: None,
            lanes: None,
            recolor_rounds: RECOLOR_ROUNDS,
            warn: true,
            constant_entries: true,
            threads: 1,
        }
    }
}

impl HessianOptions {
    /// The same options with this method.
    ///
    /// See [`HessianOptions`] for an example.
    pub fn with_method(self, method: HessianMethod) -> Self {
        HessianOptions {
            method: Some(method),
            ..self
        }
    }

    /// The same options with this coloring order.
    ///
    /// See [`HessianOptions`] for an example.
    pub fn with_order(self, order: Order) -> Self {
        HessianOptions {
            order: Some(order),
            ..self
        }
    }

    /// The same options with this many lanes per sweep (one of [`LANES`]).
    ///
    /// See [`HessianOptions`] for an example.
    pub fn with_lanes(self, lanes: usize) -> Self {
        HessianOptions {
            lanes: Some(lanes),
            ..self
        }
    }

    /// The same options with this many rounds of recoloring (see
    /// [`recolor_rounds`](Self::recolor_rounds)).
    pub fn with_recolor_rounds(self, recolor_rounds: usize) -> Self {
        HessianOptions {
            recolor_rounds,
            ..self
        }
    }

    /// The same options with the warning on or off (see [`warn`](Self::warn)).
    ///
    /// See [`HessianOptions`] for an example.
    pub fn with_warn(self, warn: bool) -> Self {
        HessianOptions { warn, ..self }
    }

    /// The same options with constant entries evaluated once, or with every entry
    /// evaluated every time (see [`constant_entries`](Self::constant_entries)).
    pub fn with_constant_entries(self, constant_entries: bool) -> Self {
        HessianOptions {
            constant_entries,
            ..self
        }
    }

    /// The same options with evaluations on up to `threads` threads (at least 1; 1, the
    /// default, is serial). The sweeps are split between the threads, each with its own
    /// seed, part of the compressed buffer and workspace, all allocated at preparation;
    /// each thread reruns the primal in its sweeps. The lanes are then chosen for the
    /// fewest sweeps per thread (5 colors on 2 threads: 2 sweeps of 4 lanes instead of
    /// 1 of 8), so the sweeps run on at most `nsweeps()` threads
    /// ([`threads`](HessianPrep::threads)); the gather after them, when it has 2^16
    /// entries or more and no substitutions, is split over every thread asked for.
    ///
    /// Runs on rayon's pool with the `parallel` feature (of `asd` or `asd-runtime`);
    /// without it, on threads spawned at each evaluation, which costs tens of
    /// microseconds and allocates. The generated `f_*_prepared` evaluate in parallel when
    /// the function's parameters are `Sync` and it returns its output; otherwise serially
    /// (with a warning, once).
    pub fn with_threads(self, threads: usize) -> Self {
        assert!(threads > 0, "asd: an evaluation needs at least one thread");
        HessianOptions { threads, ..self }
    }
}

/// Below this many dense products (JVPs, VJPs or HVPs) sparsity is never said to buy
/// nothing: a small problem is cheap either way.
pub(crate) const BUYS_NOTHING_MIN_DENSE: usize = 16;

/// Whether `ncolors` compressed products are close enough to the `dense` products plain
/// AD would take that the sparsity machinery buys nothing: at least four fifths of them,
/// on a problem of at least [`BUYS_NOTHING_MIN_DENSE`] products.
pub(crate) fn buys_nothing(ncolors: usize, dense: usize) -> bool {
    dense >= BUYS_NOTHING_MIN_DENSE && 5 * ncolors >= 4 * dense
}

/// What a warning is about: the kind of matrix and its shape.
pub(crate) type WarningKey = (&'static str, usize, usize);

/// Prints `message` on standard error unless a warning with the same `key` (the kind of
/// matrix and its shape) was printed before in this process: a loop of one-shot
/// `f_jacobian` calls warns once, not at every call. Returns whether it printed.
pub(crate) fn warn_once(key: WarningKey, message: impl FnOnce() -> String) -> bool {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static WARNED: OnceLock<Mutex<HashSet<WarningKey>>> = OnceLock::new();
    let first = WARNED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key);
    if first {
        eprintln!("{}", message());
    }
    first
}

/// The lane count for `ncolors` colors: the fewest sweeps `ceil(c / L)` first (each
/// sweep reruns the primal), then the fewest total lanes (lanes past `c` are wasted
/// work). A forced count must be one of [`LANES`]; a reverse sweep takes the smallest of
/// [`REVERSE_LANES`] at least as large.
pub(crate) fn choose_lanes(ncolors: usize, forced: Option<usize>, sweeps: Sweeps) -> usize {
    choose_lanes_on(ncolors, forced, 1, sweeps)
}

/// [`choose_lanes`] for an evaluation on `threads` threads, which share the sweeps:
/// the fewest sweeps per thread first (each reruns the primal), then the fewest lanes
/// per thread, then in all. On one thread it is `choose_lanes`.
pub(crate) fn choose_lanes_on(
    ncolors: usize,
    forced: Option<usize>,
    threads: usize,
    sweeps: Sweeps,
) -> usize {
    let set = sweeps.lanes();
    if let Some(lanes) = forced {
        assert!(
            LANES.contains(&lanes),
            "asd: {lanes} lanes were requested but generated code is compiled for {LANES:?} lanes"
        );
        return set
            .iter()
            .copied()
            .find(|&l| l >= lanes)
            .expect("every lane set ends with the largest count");
    }
    set.iter()
        .copied()
        .min_by_key(|&l| {
            let (sweeps, lanes) = evaluation_cost(ncolors, l);
            let per_thread = sweeps.div_ceil(threads.clamp(1, sweeps.max(1)));
            (per_thread, per_thread * l, sweeps, lanes)
        })
        .expect("a lane set is not empty")
}

/// What an evaluation with `ncolors` colors in sweeps of `lanes` costs, to compare:
/// its sweeps, then the lanes they carry in all.
pub(crate) fn evaluation_cost(ncolors: usize, lanes: usize) -> (usize, usize) {
    let sweeps = ncolors.div_ceil(lanes);
    (sweeps, sweeps * lanes)
}

/// The color count a coloring must get below to make an evaluation cheaper than
/// `ncolors` colors do, with the lanes [`choose_lanes`] would take: fewer sweeps, or
/// as many with fewer lanes. 11 and 12 colors both take one sweep of 12 lanes, so once
/// a search has found 12 it looks only for 8 or fewer.
pub(crate) fn cheaper_below(ncolors: usize, forced: Option<usize>, sweeps: Sweeps) -> usize {
    cheaper_than(sweeps.cost(ncolors, forced), forced, sweeps)
}

/// The color count a coloring of `sweeps` must get below to cost less than `cost`
/// (sweeps, then lanes; a cost never falls as colors are added).
pub(crate) fn cheaper_than(cost: (usize, usize), forced: Option<usize>, sweeps: Sweeps) -> usize {
    (0..)
        .find(|&c| sweeps.cost(c, forced) >= cost)
        .expect("costs grow without bound")
}

/// `"1 JVP"`, `"2 JVPs"`.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `""` for a serial preparation, `" on 2 threads"` for a parallel one.
fn on_threads(threads: usize) -> String {
    if threads > 1 {
        format!(" on {threads} threads")
    } else {
        String::new()
    }
}

/// Like [`crate::check_len`] (same argument order), naming the preparation.
#[track_caller]
fn check_prepared_len(what: &str, expected: usize, given: usize) {
    if given != expected {
        panic!(
            "asd: the {what} has length {given} but the preparation was made for length {expected}"
        );
    }
}

/// Panics unless the varying entries given to a preparation with constant entries are
/// of a pattern the shape of the matrix's (`of`: "Jacobian", "Hessian").
#[track_caller]
fn check_varying_shape(
    varying: &crate::SparsityPattern,
    pattern: &crate::SparsityPattern,
    of: &str,
) {
    assert_eq!(
        varying.shape(),
        pattern.shape(),
        "asd: the varying entries are of a {:?} pattern but the {of}'s is {:?}",
        varying.shape(),
        pattern.shape()
    );
}

#[cfg(test)]
mod tests;
