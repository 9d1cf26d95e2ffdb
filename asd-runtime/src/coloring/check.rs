//! Validity checks by the definitions, brute force and independent of the colorers:
//! for tests, and for colorings that come from elsewhere.

use std::collections::HashSet;

use crate::SparsityPattern;

/// Whether `colors` (one per column) never gives one color to two columns sharing a
/// row, i.e. whether forward-mode compression loses nothing.
///
/// ```
/// use asd_runtime::{coloring::is_column_coloring, SparsityPattern};
/// // Columns 0 and 1 share row 0; column 2 shares no row with column 0.
/// let p = SparsityPattern::from_coordinates(2, 3, [(0, 0), (0, 1), (1, 1), (1, 2)]);
/// assert!(is_column_coloring(&p, &[0, 1, 0]));
/// assert!(!is_column_coloring(&p, &[0, 0, 1]));
/// ```
pub fn is_column_coloring(p: &SparsityPattern, colors: &[usize]) -> bool {
    colors.len() == p.ncols() && groups_are_proper(p, colors)
}

/// Whether `colors` (one per row) never gives one color to two rows sharing a column.
///
/// ```
/// use asd_runtime::{coloring::is_row_coloring, SparsityPattern};
/// // Rows 0 and 1 share column 1; rows 0 and 2 share nothing.
/// let p = SparsityPattern::from_coordinates(3, 2, [(0, 1), (1, 0), (1, 1), (2, 0)]);
/// assert!(is_row_coloring(&p, &[0, 1, 0]));
/// assert!(!is_row_coloring(&p, &[0, 0, 1]));
/// ```
pub fn is_row_coloring(p: &SparsityPattern, colors: &[usize]) -> bool {
    colors.len() == p.nrows() && groups_are_proper(&p.transpose(), colors)
}

/// Whether `columns` (one per column) and `rows` (one per row), with
/// [`NO_COLOR`](super::NO_COLOR) for those not seeded, let every nonzero `J[i][j]` be
/// read directly from one product: from the JVPs when column `j` is colored and no
/// other column of its color has a nonzero in row `i` (then `(J S_col)[i][c(j)]` is
/// `J[i][j]` alone), or from the VJPs when row `i` is colored and no other row of its
/// color has a nonzero in column `j` (`(Jᵀ S_row)[j][r(i)]`). This is what a star
/// bicoloring guarantees, checked entry by entry.
///
/// ```
/// use asd_runtime::coloring::{is_bicoloring, NO_COLOR};
/// use asd_runtime::SparsityPattern;
/// // J = [a b; c 0]: column 0 forward gives a and c; b needs row 0 in reverse
/// // (or column 1 forward).
/// let p = SparsityPattern::from_coordinates(2, 2, [(0, 0), (0, 1), (1, 0)]);
/// assert!(is_bicoloring(&p, &[0, NO_COLOR], &[0, NO_COLOR]));
/// assert!(is_bicoloring(&p, &[0, 1], &[NO_COLOR, NO_COLOR]));
/// assert!(!is_bicoloring(&p, &[0, NO_COLOR], &[NO_COLOR, NO_COLOR])); // b is lost
/// assert!(!is_bicoloring(&p, &[0, 0], &[NO_COLOR, NO_COLOR])); // a + b mixed
/// ```
pub fn is_bicoloring(p: &SparsityPattern, columns: &[usize], rows: &[usize]) -> bool {
    if columns.len() != p.ncols() || rows.len() != p.nrows() {
        return false;
    }
    let t = p.transpose();
    let none = super::NO_COLOR;
    p.iter().all(|(i, j)| {
        let forward = columns[j] != none
            && p.row(i)
                .iter()
                .filter(|&&k| columns[k] == columns[j])
                .count()
                == 1;
        let reverse =
            rows[i] != none && t.row(j).iter().filter(|&&k| rows[k] == rows[i]).count() == 1;
        forward || reverse
    })
}

/// Each row of `p` holds pairwise different colors.
fn groups_are_proper(p: &SparsityPattern, colors: &[usize]) -> bool {
    (0..p.nrows()).all(|i| {
        let mut seen = HashSet::new();
        p.row(i).iter().all(|&j| seen.insert(colors[j]))
    })
}

/// The off-diagonal edges `(i, j)`, both directions, if `p` is square and symmetric
/// and `colors` has one entry per vertex.
fn symmetric_edges(p: &SparsityPattern, colors: &[usize]) -> Option<Vec<(usize, usize)>> {
    if colors.len() != p.nrows() || !p.is_symmetric() {
        return None;
    }
    Some(p.iter().filter(|&(i, j)| i != j).collect())
}

/// Whether `colors` is a star coloring of the symmetric pattern `p` (diagonal ignored):
/// adjacent vertices differ, and no path `a - b - c - d` on 4 distinct vertices uses
/// only 2 colors (`color(a) == color(c)` and `color(b) == color(d)`). False if `p` is
/// not symmetric.
///
/// ```
/// use asd_runtime::{coloring::is_star_coloring, SparsityPattern};
/// // The path 0 - 1 - 2 - 3 (tridiagonal).
/// let p = SparsityPattern::from_coordinates(
///     4,
///     4,
///     (0..4usize).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(3))]),
/// );
/// assert!(!is_star_coloring(&p, &[0, 1, 0, 1])); // the whole path in 2 colors
/// assert!(is_star_coloring(&p, &[0, 1, 2, 0]));
/// assert!(!is_star_coloring(&p, &[0, 0, 1, 2])); // 0 and 1 are adjacent
/// ```
pub fn is_star_coloring(p: &SparsityPattern, colors: &[usize]) -> bool {
    let Some(edges) = symmetric_edges(p, colors) else {
        return false;
    };
    if edges.iter().any(|&(i, j)| colors[i] == colors[j]) {
        return false;
    }
    let off = |i: usize| p.row(i).iter().copied().filter(move |&j| j != i);
    // Every path a - b - c - d, by its middle edge (b, c).
    for &(b, c) in &edges {
        for a in off(b).filter(|&a| a != c && colors[a] == colors[c]) {
            if off(c).any(|d| d != b && d != a && colors[d] == colors[b]) {
                return false;
            }
        }
    }
    true
}

/// Whether `colors` is an acyclic coloring of the symmetric pattern `p` (diagonal
/// ignored): adjacent vertices differ, and the edges between any two color classes
/// form a forest (checked by union-find, one pair of colors at a time). False if `p`
/// is not symmetric.
///
/// ```
/// use asd_runtime::{coloring::is_acyclic_coloring, SparsityPattern};
/// // A cycle 0 - 1 - 2 - 3 - 0.
/// let p = SparsityPattern::from_coordinates(
///     4,
///     4,
///     (0..4).flat_map(|i| [(i, (i + 1) % 4), ((i + 1) % 4, i)]),
/// );
/// assert!(!is_acyclic_coloring(&p, &[0, 1, 0, 1])); // a 2-colored cycle
/// assert!(is_acyclic_coloring(&p, &[0, 1, 0, 2]));
/// ```
pub fn is_acyclic_coloring(p: &SparsityPattern, colors: &[usize]) -> bool {
    let Some(edges) = symmetric_edges(p, colors) else {
        return false;
    };
    if edges.iter().any(|&(i, j)| colors[i] == colors[j]) {
        return false;
    }
    // Each undirected edge once, grouped by its (unordered) pair of colors.
    let mut by_pair: Vec<((usize, usize), (usize, usize))> = edges
        .into_iter()
        .filter(|&(i, j)| i < j)
        .map(|(i, j)| {
            let (a, b) = (colors[i], colors[j]);
            ((a.min(b), a.max(b)), (i, j))
        })
        .collect();
    by_pair.sort_unstable();
    let mut parent: Vec<usize> = (0..p.nrows()).collect();
    fn root(parent: &mut [usize], mut v: usize) -> usize {
        while parent[v] != v {
            parent[v] = parent[parent[v]];
            v = parent[v];
        }
        v
    }
    for group in by_pair.chunk_by(|x, y| x.0 == y.0) {
        for &(_, (i, j)) in group {
            let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
            if ri == rj {
                return false; // this edge closes a 2-colored cycle
            }
            parent[ri] = rj;
        }
        for &(_, (i, j)) in group {
            parent[i] = i;
            parent[j] = j;
        }
    }
    true
}
