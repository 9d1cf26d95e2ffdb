//! What colorings return: a color per vertex, and for symmetric colorings what
//! decompression needs besides.

/// One color per vertex (column, row or variable), `0..ncolors()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coloring {
    pub(super) colors: Vec<usize>,
    pub(super) ncolors: usize,
}

impl Coloring {
    /// Number of colors: the number of JVPs, VJPs or HVPs a compressed evaluation makes.
    pub fn ncolors(&self) -> usize {
        self.ncolors
    }

    /// The color of each vertex.
    pub fn colors(&self) -> &[usize] {
        &self.colors
    }

    /// Wraps colors computed elsewhere; `ncolors` is the largest color plus one (0 when
    /// there is no vertex). The colorers of this module use every color below it.
    pub fn from_colors(colors: Vec<usize>) -> Self {
        let ncolors = colors.iter().max().map_or(0, |&c| c + 1);
        Coloring { colors, ncolors }
    }

    /// The colors, without the wrapper.
    pub fn into_colors(self) -> Vec<usize> {
        self.colors
    }
}

/// A star coloring and its 2-colored stars: for each off-diagonal nonzero `(i, j)`,
/// the hub of its star, whose row does *not* hold the entry alone (the entry is
/// `B[spoke][color(hub)]` in the compressed Hessian `B = H S`).
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
    pub fn coloring(&self) -> &Coloring {
        &self.coloring
    }

    /// The colors, without the star data.
    pub fn into_coloring(self) -> Coloring {
        self.coloring
    }

    /// The hub of the 2-colored star that holds the edge `{i, j}`: the endpoint whose
    /// other neighbors in the star share the color of the other endpoint. A star of a
    /// single edge has no true hub; its larger endpoint is returned (either would do).
    /// `None` if `{i, j}` is not an off-diagonal nonzero.
    pub fn hub(&self, i: usize, j: usize) -> Option<usize> {
        let row = self
            .adj
            .get(*self.adj_ptr.get(i)?..*self.adj_ptr.get(i + 1)?)?;
        let k = row.binary_search(&j).ok()?;
        Some(self.hubs[self.adj_ptr[i] + k])
    }

    /// Number of 2-colored stars, single edges included.
    pub fn nstars(&self) -> usize {
        self.nstars
    }
}

/// An acyclic coloring: every cycle of the pattern's graph uses at least 3 colors, so
/// each pair of colors induces a forest and the Hessian follows by substitution.
#[derive(Clone, Debug)]
pub struct AcyclicColoring {
    pub(super) coloring: Coloring,
}

impl AcyclicColoring {
    /// The colors.
    pub fn coloring(&self) -> &Coloring {
        &self.coloring
    }

    /// The colors, without the wrapper.
    pub fn into_coloring(self) -> Coloring {
        self.coloring
    }
}
