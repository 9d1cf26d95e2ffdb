//! Recoloring: from a coloring, look for one with fewer colors, never returning more.
//! Two kinds of rounds, each one greedy pass:
//!
//! - **Iterated greedy** (Culberson & Luo 1996, "Exploring the k-colorable landscape
//!   with iterated greedy"): list the vertices class by class (the classes reversed,
//!   largest first, or shuffled) and color them greedily again. For a coloring whose
//!   only rule is "conflicting vertices differ" the new coloring never has more colors:
//!   the vertices of the `i`-th class listed take colors below `i`, by induction (those
//!   listed before them use colors below `i - 1`, and none of their own class conflicts
//!   with them). A column (row) coloring is of that kind — two columns conflict when
//!   they share a row — so these rounds never add a color to it.
//! - **Palette rounds**: greedy in index order, each vertex taking the first allowed
//!   color of a palette of `K` counted cyclically from the color after the previous
//!   vertex's (first-fit past the palette only when it is exhausted). First-fit in
//!   index order gives a 3-D 7-point stencil period-3 rows and 12 colors; a palette of
//!   8 gives it rows of period 8 that the next rows continue shifted, a regular
//!   8-coloring (7 where the grid size allows the perfect one), and likewise 8 for the
//!   2-D Brusselator's 12. Nothing bounds what a palette round costs in colors, so it
//!   gives up as soon as it cannot beat the best coloring so far.
//!
//! Star and acyclic colorings are not of the first kind: their rules look at paths and
//! cycles across two classes, and a new class joins vertices of several old ones, so a
//! round of iterated greedy can forbid a vertex every color of the blocks before it
//! (two neighbors `q`, `w` of different old colors that now share one forbid `v` the
//! color of `q`'s other neighbor, which was `v`'s own class). For them every round
//! keeps the best coloring seen, `start` included: never more colors either, by
//! construction rather than by the theorem. Either way every round is a complete run
//! of the colorer, so its result is valid whatever the order or the palette.

use super::graph::Graph;
use super::order::shuffled;
use super::star::HEAVY;
use super::{every_color, AcyclicColoring, Bipartite, Coloring, Sides, StarColoring, NONE};
use crate::SparsityPattern;

/// How many rounds of recoloring the preparations and the `_best` searches run unless
/// told otherwise. Each round costs at most one greedy coloring, and the rounds stop as
/// soon as no coloring could do better (the lower bound of the problem is reached; for
/// a preparation, a lower bound that would not save a sweep or lanes).
pub const RECOLOR_ROUNDS: usize = 4;

/// What one round of recoloring does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Greedy in index order within a palette of `K` colors (see [`Palettes`]).
    Palette,
    /// One round of iterated greedy: the vertices listed class by class.
    Classes,
}

/// The step of round `round`: two palette rounds for one of iterated greedy. A palette
/// round that cannot beat the best gives up early and costs little; on the regular
/// patterns where it works it needs a try or two.
fn plan(round: usize) -> Step {
    if round % 3 == 2 {
        Step::Classes
    } else {
        Step::Palette
    }
}

/// The palette sizes palette rounds try, each once. From the lower bound up: a regular
/// pattern numbered in a regular way has a regular coloring within a color or two of
/// it (the stencils above, the longest row of a Brusselator plus 2). But first, when
/// the caller wants a margin (a preparation, where fewer colors count only once they
/// save lanes), the largest size that would pay, one below the count to beat: any
/// success is as good as another there, and the largest palette is the likeliest.
struct Palettes {
    /// The next size from the lower bound up.
    up: usize,
    tried: Vec<usize>,
}

impl Palettes {
    fn new(lower_bound: usize) -> Self {
        Palettes {
            up: lower_bound.max(1),
            tried: Vec::new(),
        }
    }

    /// The next size below `beat`, if one is left; `best` is the count of the best
    /// coloring so far.
    fn next(&mut self, beat: usize, best: usize) -> Option<usize> {
        let top = beat.checked_sub(1)?;
        let k = if beat < best && !self.tried.contains(&top) {
            top
        } else {
            while self.tried.contains(&self.up) {
                self.up += 1;
            }
            self.up
        };
        if k > top {
            return None;
        }
        self.tried.push(k);
        Some(k)
    }
}

/// The sequence in which one round lists the color classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClassOrder {
    /// The last class first.
    Reverse,
    /// The largest class first, ties by color.
    LargestFirst,
    /// A permutation of the classes drawn from the seed.
    Random(u64),
}

/// The class sequence of round `round`: mostly reverse (which Culberson found to
/// converge fastest) and largest first, with a random one now and then to leave a
/// plateau the other two keep returning to.
fn schedule(round: usize) -> ClassOrder {
    match round % 4 {
        0 | 2 => ClassOrder::Reverse,
        1 => ClassOrder::LargestFirst,
        _ => ClassOrder::Random(0x5eed_c01e_u64.wrapping_add(round as u64)),
    }
}

/// The vertices listed class by class, the classes in the sequence `rule` says, each
/// class in increasing index.
fn by_classes(coloring: &Coloring, rule: ClassOrder) -> Vec<usize> {
    let k = coloring.ncolors();
    let mut size = vec![0usize; k];
    for &c in coloring.colors() {
        size[c] += 1;
    }
    let sequence: Vec<usize> = match rule {
        ClassOrder::Reverse => (0..k).rev().collect(),
        ClassOrder::LargestFirst => {
            let mut s: Vec<usize> = (0..k).collect();
            s.sort_by_key(|&c| std::cmp::Reverse(size[c]));
            s
        }
        ClassOrder::Random(seed) => shuffled(k, seed),
    };
    let mut start = vec![0usize; k];
    let mut next = 0;
    for c in sequence {
        start[c] = next;
        next += size[c];
    }
    let mut out = vec![0usize; coloring.colors().len()];
    for (v, &c) in coloring.colors().iter().enumerate() {
        out[start[c]] = v;
        start[c] += 1;
    }
    out
}

/// Up to `rounds` rounds of recoloring from `start`, as [`plan`] says: palette rounds
/// (`in_palette(K, beat)`: the coloring in index order within `K` colors, or `None` once
/// it cannot beat `beat` colors), and rounds of iterated greedy (`in_order(order)`, with
/// the vertices of the current coloring listed class by class; a palette round with no
/// size left is one too). Returns the first coloring with fewest colors seen, `start`
/// included: a later one replaces the best, `b` colors, only with fewer than `below(b)`
/// (see `search::best_of`). Stops once `below(b)` is at most the lower bound. A round
/// of iterated greedy that does not replace the best still becomes the current
/// coloring: its classes differ, and the next round may do better from them.
pub(super) fn iterate<T>(
    start: T,
    rounds: usize,
    lower_bound: usize,
    below: &dyn Fn(usize) -> usize,
    coloring: impl Fn(&T) -> &Coloring,
    mut in_palette: impl FnMut(usize, usize) -> Option<T>,
    mut in_order: impl FnMut(&[usize]) -> T,
) -> T {
    let mut best = start;
    let mut current: Option<T> = None;
    let mut palettes = Palettes::new(lower_bound);
    let mut class_rounds = 0;
    for round in 0..rounds {
        let beat = below(coloring(&best).ncolors());
        if beat <= lower_bound {
            break;
        }
        let palette = match plan(round) {
            Step::Palette => palettes.next(beat, coloring(&best).ncolors()),
            Step::Classes => None,
        };
        let next = match palette {
            Some(k) => match in_palette(k, beat) {
                Some(c) => c,
                None => continue,
            },
            None => {
                let from = coloring(current.as_ref().unwrap_or(&best));
                let order = by_classes(from, schedule(class_rounds));
                class_rounds += 1;
                in_order(&order)
            }
        };
        if coloring(&next).ncolors() < beat {
            best = next;
            current = None;
        } else {
            current = Some(next);
        }
    }
    best
}

impl Bipartite<'_> {
    /// [`iterate`] with the greedy coloring of this side: never more colors than
    /// `start`, if `start` is valid.
    pub(super) fn recolor(
        &self,
        start: Coloring,
        rounds: usize,
        below: &dyn Fn(usize) -> usize,
    ) -> Coloring {
        let n = self.nvertices();
        iterate(
            start,
            rounds,
            self.lower_bound(),
            below,
            |c| c,
            |palette, cap| self.greedy_in_palette(0..n, cap, palette),
            |order| {
                self.greedy(order.iter().copied(), usize::MAX)
                    .expect("no cap")
            },
        )
    }

    /// Whether `colors` is a valid coloring of this side: no middle meets two vertices
    /// of one color. Linear, with a stamp per color.
    fn is_valid(&self, colors: &[usize]) -> bool {
        if colors.len() != self.to_mid.nrows() {
            return false;
        }
        let k = colors.iter().max().map_or(0, |&c| c + 1);
        let mut seen = vec![NONE; k];
        let (vp, vi) = (self.to_vertex.row_ptr(), self.to_vertex.col_indices());
        (0..self.to_vertex.nrows()).all(|r| {
            vi[vp[r]..vp[r + 1]].iter().all(|&w| {
                let fresh = seen[colors[w]] != r;
                seen[colors[w]] = r;
                fresh
            })
        })
    }
}

impl Sides<'_> {
    /// The column coloring `c` after `rounds` rounds of recoloring, which keep a
    /// coloring only with fewer colors than `below` says.
    pub(crate) fn recolor_columns(
        &self,
        c: Coloring,
        rounds: usize,
        below: &dyn Fn(usize) -> usize,
    ) -> Coloring {
        self.columns().recolor(c, rounds, below)
    }

    /// [`recolor_columns`](Self::recolor_columns) for the rows.
    pub(crate) fn recolor_rows(
        &self,
        c: Coloring,
        rounds: usize,
        below: &dyn Fn(usize) -> usize,
    ) -> Coloring {
        self.rows().recolor(c, rounds, below)
    }
}

/// Recolors a column coloring of `p` by `rounds` rounds of iterated greedy: the
/// columns, listed class by class, are colored greedily again. Never more colors than
/// `coloring`, often fewer; `rounds = 0` returns it as it is.
///
/// # Panics
/// If `coloring` is not a valid column coloring of `p` (the guarantee needs it).
///
/// ```
/// use asd_runtime::coloring::{color_columns, is_column_coloring, recolor_columns};
/// use asd_runtime::{Order, SparsityPattern};
///
/// // A 3-D 7-point stencil: 7 colors exist, greedy orders find more.
/// let k = 6;
/// let id = |i: usize, j: usize, l: usize| i + k * (j + k * l);
/// let mut coords = Vec::new();
/// for l in 0..k {
///     for j in 0..k {
///         for i in 0..k {
///             coords.push((id(i, j, l), id(i, j, l)));
///             for (a, b, c) in [(1, 0, 0), (0, 1, 0), (0, 0, 1)] {
///                 if i + a < k && j + b < k && l + c < k {
///                     coords.push((id(i, j, l), id(i + a, j + b, l + c)));
///                     coords.push((id(i + a, j + b, l + c), id(i, j, l)));
///                 }
///             }
///         }
///     }
/// }
/// let p = SparsityPattern::from_coordinates(k * k * k, k * k * k, coords);
/// let greedy = color_columns(&p, Order::Natural);
/// let recolored = recolor_columns(&p, greedy.clone(), 16);
/// assert!(recolored.ncolors() <= greedy.ncolors());
/// assert!(is_column_coloring(&p, recolored.colors()));
/// ```
#[track_caller]
pub fn recolor_columns(p: &SparsityPattern, coloring: Coloring, rounds: usize) -> Coloring {
    let sides = Sides::new(p);
    assert!(
        sides.columns().is_valid(coloring.colors()),
        "asd: recolor_columns needs a valid column coloring of the pattern"
    );
    sides.recolor_columns(coloring, rounds, &every_color)
}

/// [`recolor_columns`] for a row coloring of `p`.
///
/// # Panics
/// If `coloring` is not a valid row coloring of `p`.
#[track_caller]
pub fn recolor_rows(p: &SparsityPattern, coloring: Coloring, rounds: usize) -> Coloring {
    let sides = Sides::new(p);
    assert!(
        sides.rows().is_valid(coloring.colors()),
        "asd: recolor_rows needs a valid row coloring of the pattern"
    );
    sides.recolor_rows(coloring, rounds, &every_color)
}

/// Recolors a star coloring of the symmetric `p` by `rounds` rounds of iterated greedy
/// (star coloring of the vertices listed class by class). The rule of star coloring
/// spans two classes, so a round may need more colors than the one before; the
/// coloring with fewest colors seen is kept, `coloring` included: never more colors.
///
/// # Panics
/// If `p` is not square and symmetric, or `coloring` was made for another pattern.
#[track_caller]
pub fn recolor_star(p: &SparsityPattern, coloring: StarColoring, rounds: usize) -> StarColoring {
    recolor_star_with(p, coloring, rounds, &every_color)
}

/// [`recolor_star`], keeping a coloring only with fewer colors than `below` says.
#[track_caller]
fn recolor_star_with(
    p: &SparsityPattern,
    coloring: StarColoring,
    rounds: usize,
    below: &dyn Fn(usize) -> usize,
) -> StarColoring {
    let g = super::star::Adjacency::new(p, "star");
    assert!(
        coloring.adj_ptr == g.lists.ptr && coloring.adj == g.lists.adj,
        "asd: recolor_star needs a star coloring of this pattern"
    );
    let core = super::star::StarCore {
        coloring: coloring.coloring,
        hubs: coloring.hubs,
        nstars: coloring.nstars,
    };
    let core = g.recolor_star(core, rounds, below);
    g.into_star(core)
}

/// Recolors an acyclic coloring of the symmetric `p` as [`recolor_star`] does a star
/// coloring: never more colors than `coloring`.
///
/// # Panics
/// If `p` is not square and symmetric, or `coloring` is not an acyclic coloring of it
/// (checked by its length only: the type is only made by this module's colorers).
#[track_caller]
pub fn recolor_acyclic(
    p: &SparsityPattern,
    coloring: AcyclicColoring,
    rounds: usize,
) -> AcyclicColoring {
    recolor_acyclic_with(p, coloring, rounds, &every_color)
}

/// [`recolor_acyclic`], keeping a coloring only with fewer colors than `below` says.
#[track_caller]
fn recolor_acyclic_with(
    p: &SparsityPattern,
    coloring: AcyclicColoring,
    rounds: usize,
    below: &dyn Fn(usize) -> usize,
) -> AcyclicColoring {
    let g = super::star::Adjacency::new(p, "acyclic");
    assert!(
        coloring.coloring.colors().len() == p.nrows(),
        "asd: recolor_acyclic needs an acyclic coloring of this pattern"
    );
    g.recolor_acyclic(coloring, rounds, below)
}

impl super::star::Adjacency {
    /// [`iterate`] with star coloring: keeps the best seen.
    pub(crate) fn recolor_star(
        &self,
        start: super::star::StarCore,
        rounds: usize,
        below: &dyn Fn(usize) -> usize,
    ) -> super::star::StarCore {
        let natural: Vec<usize> = (0..self.lists.nvertices()).collect();
        iterate(
            start,
            rounds,
            self.lower_bound(),
            below,
            |s| &s.coloring,
            |palette, cap| super::star::star_with(self, &natural, HEAVY, palette, cap),
            |order| super::star::star(self, order),
        )
    }

    /// [`iterate`] with acyclic coloring: keeps the best seen.
    pub(crate) fn recolor_acyclic(
        &self,
        start: AcyclicColoring,
        rounds: usize,
        below: &dyn Fn(usize) -> usize,
    ) -> AcyclicColoring {
        let natural: Vec<usize> = (0..self.lists.nvertices()).collect();
        iterate(
            start,
            rounds,
            self.lower_bound(),
            below,
            |a| &a.coloring,
            |palette, cap| super::acyclic::acyclic_with(self, &natural, HEAVY, palette, cap),
            |order| super::acyclic::acyclic(self, order),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_listed_whole_in_the_rule_s_sequence() {
        let c = Coloring::from_colors(vec![1, 0, 2, 1, 1, 0]);
        assert_eq!(by_classes(&c, ClassOrder::Reverse), vec![2, 0, 3, 4, 1, 5]);
        assert_eq!(
            by_classes(&c, ClassOrder::LargestFirst),
            vec![0, 3, 4, 1, 5, 2]
        );
        let r = by_classes(&c, ClassOrder::Random(1));
        let mut sorted = r.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..6).collect::<Vec<_>>());
        // Whole classes: the colors along the order change at most twice.
        let changes = r
            .windows(2)
            .filter(|w| c.colors()[w[0]] != c.colors()[w[1]])
            .count();
        assert_eq!(changes, 2);
    }

    #[test]
    fn no_rounds_and_no_vertices_change_nothing() {
        let p = SparsityPattern::empty(0, 0);
        let c = recolor_columns(&p, Coloring::from_colors(vec![]), 5);
        assert_eq!(c.ncolors(), 0);
        let p = SparsityPattern::from_rows(3, vec![vec![0, 1], vec![1, 2]]);
        let c = Coloring::from_colors(vec![0, 2, 1]);
        assert_eq!(recolor_columns(&p, c.clone(), 0), c);
        assert_eq!(recolor_columns(&p, c, 1).ncolors(), 2);
    }

    /// `n x n` symmetric patterns (full diagonal) and `m x n` general ones, from a seed.
    fn random_patterns(seed: u64) -> (SparsityPattern, SparsityPattern) {
        let mut state = seed;
        let mut next = move |k: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as usize) % k.max(1)
        };
        let n = 2 + next(24);
        let density = 1 + next(5);
        let mut coords: Vec<(usize, usize)> = (0..n).map(|i| (i, i)).collect();
        for i in 0..n {
            for j in i + 1..n {
                if next(12) < density {
                    coords.extend([(i, j), (j, i)]);
                }
            }
        }
        let symmetric = SparsityPattern::from_coordinates(n, n, coords);
        let m = 1 + next(30);
        let general = SparsityPattern::from_coordinates(
            m,
            n,
            (0..m)
                .flat_map(|i| (0..n).map(move |j| (i, j)))
                .filter(|_| next(10) < density),
        );
        (symmetric, general)
    }

    /// The classic argument, round by round and without keeping the best: listing the
    /// classes of a column (row) coloring in any sequence and coloring greedily never
    /// adds a color.
    #[test]
    fn a_round_of_iterated_greedy_never_adds_a_column_or_row_color() {
        let rules = [
            ClassOrder::Reverse,
            ClassOrder::LargestFirst,
            ClassOrder::Random(1),
            ClassOrder::Random(2),
        ];
        for seed in 0..300 {
            let (_, p) = random_patterns(seed);
            let sides = Sides::new(&p);
            for side in [sides.columns(), sides.rows()] {
                let n = side.nvertices();
                let mut c = side.greedy(shuffled(n, seed), usize::MAX).unwrap();
                for round in 0..12 {
                    let next = side
                        .greedy(by_classes(&c, rules[round % 4]), usize::MAX)
                        .unwrap();
                    assert!(side.is_valid(next.colors()), "{seed} {round}");
                    assert!(next.ncolors() <= c.ncolors(), "{seed} {round}");
                    c = next;
                }
            }
        }
    }

    /// Why palette rounds: on a 3-D 7-point stencil (10^3), where 7 colors exist,
    /// 64 rounds of iterated greedy alone stall at 10 to 12 colors (from the natural
    /// order, 12 colors, and from a shuffled one, 14); one palette round of 7 finds the perfect coloring.
    #[test]
    fn iterated_greedy_alone_stalls_on_a_3d_stencil_and_a_palette_does_not() {
        let k = 10;
        let id = |i: usize, j: usize, l: usize| i + k * (j + k * l);
        let mut coords = Vec::new();
        for l in 0..k {
            for j in 0..k {
                for i in 0..k {
                    coords.push((id(i, j, l), id(i, j, l)));
                    for (a, b, c) in [(1, 0, 0), (0, 1, 0), (0, 0, 1)] {
                        if i + a < k && j + b < k && l + c < k {
                            coords.push((id(i, j, l), id(i + a, j + b, l + c)));
                            coords.push((id(i + a, j + b, l + c), id(i, j, l)));
                        }
                    }
                }
            }
        }
        let p = SparsityPattern::from_coordinates(k * k * k, k * k * k, coords);
        let sides = Sides::new(&p);
        let columns = sides.columns();
        let n = columns.nvertices();
        for start in [
            columns.greedy(0..n, usize::MAX).unwrap(),
            columns.greedy(shuffled(n, 5), usize::MAX).unwrap(),
        ] {
            let mut c = start;
            for round in 0..64 {
                c = columns
                    .greedy(by_classes(&c, schedule(round)), usize::MAX)
                    .unwrap();
            }
            assert!(c.ncolors() >= 10, "{}", c.ncolors());
        }
        let perfect = columns.greedy_in_palette(0..n, usize::MAX, 7).unwrap();
        assert_eq!(perfect.ncolors(), 7);
        assert!(columns.is_valid(perfect.colors()));
    }

    /// Why star and acyclic rounds keep the best: for them a round can add colors.
    #[test]
    fn a_round_of_iterated_greedy_can_add_star_and_acyclic_colors() {
        use super::super::{acyclic::acyclic, order::shuffled, star::star, star::Adjacency};
        let (mut star_added, mut acyclic_added) = (0, 0);
        for seed in 0..300 {
            let (p, _) = random_patterns(seed);
            let g = Adjacency::new(&p, "star");
            let order = shuffled(p.nrows(), seed);
            let (s, a) = (star(&g, &order), acyclic(&g, &order));
            for rule in [ClassOrder::Reverse, ClassOrder::LargestFirst] {
                let more =
                    |c: &Coloring, next: &Coloring| usize::from(next.ncolors() > c.ncolors());
                star_added += more(
                    &s.coloring,
                    &star(&g, &by_classes(&s.coloring, rule)).coloring,
                );
                acyclic_added += more(
                    &a.coloring,
                    &acyclic(&g, &by_classes(&a.coloring, rule)).coloring,
                );
            }
        }
        println!(
            "of 600 rounds, {star_added} star and {acyclic_added} acyclic rounds added colors"
        );
        assert!(star_added > 0 && acyclic_added > 0);
    }

    #[test]
    #[should_panic(expected = "valid column coloring")]
    fn an_invalid_coloring_is_refused() {
        let p = SparsityPattern::from_rows(2, vec![vec![0, 1]]);
        recolor_columns(&p, Coloring::from_colors(vec![0, 0]), 1);
    }
}
