//! Graph colorings that compress sparse Jacobians and Hessians.
//!
//! - [`color_columns`] / [`color_rows`]: partial distance-2 colorings, so that columns
//!   (rows) of one color never share a row (column) and one JVP (VJP) per color gives
//!   the whole Jacobian (Gebremedhin, Manne & Pothen 2005, "What color is your
//!   Jacobian?").
//! - [`bicoloring`]: some columns forward and some rows in reverse, every entry read
//!   directly from one product: few products where both dense rows and dense columns
//!   make one-sided colorings need many (an arrowhead).
//! - [`star_coloring`]: symmetric patterns, every Hessian entry read directly from one
//!   HVP; [`acyclic_coloring`]: fewer colors, entries recovered by substitution
//!   (Gebremedhin, Tarafdar, Manne & Pothen 2007, Algorithms 4.1 and 3.1).
//!
//! All are greedy: vertices take, in an [`Order`], the smallest color their neighbors
//! allow. [`recolor_columns`] and its kin look for fewer colors from a coloring, never
//! returning more (iterated greedy and palette rounds, see `recolor.rs`). The `_best`
//! variants try several orders, keep the fewest colors and recolor them for
//! [`RECOLOR_ROUNDS`] rounds. The `is_*` checkers test the definitions by brute force,
//! independently of the colorers.
//!
//! ```
//! use asd_runtime::coloring::{color_columns, is_star_coloring, star_coloring, Order};
//! use asd_runtime::SparsityPattern;
//!
//! // A 10 x 10 tridiagonal pattern: 3 colors as a Jacobian, 3 as a Hessian.
//! let n = 10;
//! let p = SparsityPattern::from_coordinates(
//!     n,
//!     n,
//!     (0..n).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(n - 1))]),
//! );
//! assert_eq!(color_columns(&p, Order::Natural).ncolors(), 3);
//! let star = star_coloring(&p, Order::Natural);
//! assert!(is_star_coloring(&p, star.coloring().colors()));
//! assert_eq!(star.coloring().ncolors(), 3);
//! ```

mod acyclic;
mod bicolor;
mod check;
mod distance2;
mod graph;
mod order;
mod recolor;
mod result;
mod search;
mod star;

pub use acyclic::acyclic_coloring;
pub(crate) use bicolor::bicoloring_among;
pub use bicolor::{bicoloring, bicoloring_best, Bicoloring, NO_COLOR};
pub use check::{
    is_acyclic_coloring, is_bicoloring, is_column_coloring, is_row_coloring, is_star_coloring,
};
pub use star::star_coloring;

pub use distance2::{color_columns, color_rows};
pub use order::Order;
pub use recolor::{recolor_acyclic, recolor_columns, recolor_rows, recolor_star, RECOLOR_ROUNDS};
pub use result::{AcyclicColoring, Coloring, StarColoring};
pub use search::{
    acyclic_coloring_best, color_columns_best, color_rows_best, star_coloring_best, BEST_ORDERS,
    SEARCH_ORDERS,
};

use crate::SparsityPattern;
pub(crate) use graph::NeighborLists;
use graph::{Bipartite, Graph, Marks};
pub(crate) use search::{acyclic_coloring_best_with, every_color, star_coloring_best_with, Sides};

/// "No color yet" / "no vertex": an index no graph reaches.
const NONE: usize = usize::MAX;

#[cfg(test)]
mod tests;
