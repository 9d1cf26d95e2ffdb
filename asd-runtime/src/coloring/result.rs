//! What colorings return: a color per vertex, and for symmetric colorings what
//! decompression needs besides.

/// One color per vertex (column, row or variable), `0..ncolors()`.
///
/// ```
/// use asd_runtime::{color_rows, Order, SparsityPattern};
/// // Rows 0 and 2 share no column; row 1 shares one with each.
/// let p = SparsityPattern::from_coordinates(3, 3, [(0, 0), (1, 0), (1, 2), (2, 2)]);
/// let c = color_rows(&p, Order::Natural);
/// assert_eq!(c.colors(), [0, 1, 0]);
/// assert_eq!(c.ncolors(), 2); // two VJPs give the Jacobian
/// assert_eq!(c.into_colors(), vec![0, 1, 0]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coloring {
    pub(super) colors: Vec<usize>,
    pub(super) ncolors: usize,
}

impl Coloring {
    /// Number of colors: the number of JVPs, VJPs or HVPs a compressed evaluation makes.
    ///
    /// See [`Coloring`] for an example.
    pub fn ncolors(&self) -> usize {
        self.ncolors
    }

    /// The color of each vertex.
    ///
    /// See [`Coloring`] for an example.
    pub fn colors(&self) -> &[usize] {
        &self.colors
    }

    /// Wraps colors computed elsewhere; `ncolors` is the largest color plus one (0 when
    /// there is no vertex). The colorers of this module use every color below it.
    ///
    /// ```
    /// use asd_runtime::{coloring::is_column_coloring, Coloring, SparsityPattern};
    /// let c = Coloring::from_colors(vec![0, 2, 1, 2]);
    /// assert_eq!(c.ncolors(), 3);
    /// assert_eq!(Coloring::from_colors(vec![]).ncolors(), 0);
    /// // A hand-made coloring can be checked before it is used.
    /// let p = SparsityPattern::from_coordinates(1, 4, [(0, 1), (0, 3)]);
    /// assert!(!is_column_coloring(&p, c.colors())); // columns 1 and 3 share row 0
    /// ```
    pub fn from_colors(colors: Vec<usize>) -> Self {
        let ncolors = colors.iter().max().map_or(0, |&c| c + 1);
        Coloring { colors, ncolors }
    }

    /// The colors, without the wrapper.
    ///
    /// See [`Coloring`] for an example.
    pub fn into_colors(self) -> Vec<usize> {
        self.colors
    }

    /// One side of a [`Bicoloring`](super::Bicoloring): `ncolors` colors, and
    /// [`NO_COLOR`](super::NO_COLOR) for vertices not seeded.
    pub(crate) fn seeded(colors: Vec<usize>, ncolors: usize) -> Self {
        debug_assert!(colors.iter().all(|&c| c < ncolors || c == super::NO_COLOR));
        Coloring { colors, ncolors }
    }
}

/// A star coloring and its 2-colored stars: for each off-diagonal nonzero `(i, j)`,
/// the hub of its star, whose row does *not* hold the entry alone (the entry is
/// `B[spoke][color(hub)]` in the compressed Hessian `B = H S`).
///
/// ```
/// use asd_runtime::{star_coloring, Order, SparsityPattern};
/// // An arrowhead: variable 0 meets every other, which meet only it and themselves.
/// let p = SparsityPattern::from_coordinates(4, 4, (0..4).flat_map(|i| [(0, i), (i, 0), (i, i)]));
/// let s = star_coloring(&p, Order::Natural);
/// assert_eq!(s.coloring().colors(), [0, 1, 1, 1]);
/// assert_eq!(s.nstars(), 1); // one star, centred on 0
/// assert_eq!(s.hub(2, 0), Some(0));
/// assert_eq!(s.hub(1, 2), None); // not a nonzero
/// assert_eq!(s.into_coloring().ncolors(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct StarColoring {
    pub(super) coloring: Coloring,
    /// The off-diagonal adjacency of the pattern, in compressed rows.
    pub(super) adj_ptr: Vec<usize>,
    pub(super) adj: Vec<usize>,
    /// `hubs[k]`: hub of the star holding the edge `(i, adj[k])`, `k` in row `i`.
    pub(super) hubs: Vec<usize>,
    pub(super) nstars: usize,
}

impl StarColoring {
    /// The colors.
    ///
    /// See [`StarColoring`] for an example.
    pub fn coloring(&self) -> &Coloring {
        &self.coloring
    }

    /// The colors, without the star data.
    ///
    /// See [`StarColoring`] for an example.
    pub fn into_coloring(self) -> Coloring {
        self.coloring
    }

    /// The hub of the 2-colored star that holds the edge `{i, j}`: the endpoint whose
    /// other neighbors in the star share the color of the other endpoint. A star of a
    /// single edge has no true hub; its larger endpoint is returned (either would do).
    /// `None` if `{i, j}` is not an off-diagonal nonzero.
    ///
    /// See [`StarColoring`] for an example.
    pub fn hub(&self, i: usize, j: usize) -> Option<usize> {
        let row = self
            .adj
            .get(*self.adj_ptr.get(i)?..*self.adj_ptr.get(i + 1)?)?;
        let k = row.binary_search(&j).ok()?;
        Some(self.hubs[self.adj_ptr[i] + k])
    }

    /// Number of 2-colored stars, single edges included.
    ///
    /// See [`StarColoring`] for an example.
    pub fn nstars(&self) -> usize {
        self.nstars
    }
}

/// An acyclic coloring: every cycle of the pattern's graph uses at least 3 colors, so
/// each pair of colors induces a forest and the Hessian follows by substitution.
///
/// ```
/// use asd_runtime::{acyclic_coloring, coloring::is_acyclic_coloring, Order, SparsityPattern};
/// // A path 0 - 1 - 2 - 3 (tridiagonal) is a tree: two colors, no cycle to break.
/// let p = SparsityPattern::from_coordinates(
///     4,
///     4,
///     (0..4usize).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(3))]),
/// );
/// let a = acyclic_coloring(&p, Order::Natural);
/// assert_eq!(a.coloring().colors(), [0, 1, 0, 1]);
/// assert!(is_acyclic_coloring(&p, a.coloring().colors()));
/// assert_eq!(a.into_coloring().ncolors(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct AcyclicColoring {
    pub(super) coloring: Coloring,
}

impl AcyclicColoring {
    /// The colors.
    ///
    /// See [`AcyclicColoring`] for an example.
    pub fn coloring(&self) -> &Coloring {
        &self.coloring
    }

    /// The colors, without the wrapper.
    ///
    /// See [`AcyclicColoring`] for an example.
    pub fn into_coloring(self) -> Coloring {
        self.coloring
    }
}
