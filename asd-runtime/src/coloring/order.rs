//! Vertex orders for greedy coloring, on any graph that can list the neighbors of a
//! vertex: the column (or row) intersection graph of a pattern, walked through the
//! pattern or stored as neighbor lists, or the adjacency graph of a symmetric pattern.
//!
//! The static order sorts stably, and the dynamic orders manage their degree buckets
//! exactly as ColPack does (vertices enter a bucket at its end, the next vertex is
//! popped from the end, a vertex leaving a bucket is swapped with its last element),
//! so that greedy colorings reproduce the color counts ColPack publishes.

use super::*;

/// The order in which greedy coloring visits vertices. It changes the color count,
/// never the validity.
///
/// ```
/// use asd_runtime::{color_columns, coloring::is_column_coloring, Order, SparsityPattern};
///
/// // An arrow: column 0 meets every row, the other columns one row each.
/// let p = SparsityPattern::from_coordinates(4, 4, (0..4).flat_map(|i| [(i, 0), (i, i)]));
/// for order in Order::ALL.into_iter().chain([Order::Random(7)]) {
///     let c = color_columns(&p, order);
///     assert!(is_column_coloring(&p, c.colors())); // every order gives a valid coloring
///     assert_eq!(c.ncolors(), 2); // here all find the fewest
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Index order.
    Natural,
    /// Static degree descending, ties by index ascending.
    LargestFirst,
    /// Repeatedly remove a vertex of least remaining degree; color in reverse removal
    /// order (ColPack's buckets and ties).
    SmallestLast,
    /// Next, the vertex with most already-ordered neighbors (ColPack's buckets and ties).
    IncidenceDegree,
    /// Next, the vertex of largest degree among the unordered ones (ColPack's buckets
    /// and ties).
    DynamicLargestFirst,
    /// A permutation drawn from the seed, reproducible across runs and platforms.
    Random(u64),
}

impl Order {
    /// Every order but [`Order::Random`], which takes a seed; cheapest first.
    ///
    /// ```
    /// use asd_runtime::Order;
    /// assert_eq!(Order::ALL.len(), 5);
    /// assert!(!Order::ALL.iter().any(|o| matches!(o, Order::Random(_))));
    /// ```
    pub const ALL: [Order; 5] = [
        Order::Natural,
        Order::LargestFirst,
        Order::SmallestLast,
        Order::IncidenceDegree,
        Order::DynamicLargestFirst,
    ];
}

/// The vertices of `g` in `order`. `degrees` are the static degrees of `g`, computed
/// by the caller so that several orders can share them.
pub(crate) fn vertices<G: Graph>(g: &G, order: Order, degrees: &[usize]) -> Vec<usize> {
    lazy_vertices(g, order, degrees).collect()
}

/// [`vertices`] as an iterator. The dynamic orders filled front to back compute each
/// vertex only when asked, so a greedy coloring that gives up early (it cannot beat a
/// coloring found before) does not pay for the whole order.
pub(crate) fn lazy_vertices<'g, G: Graph>(
    g: &'g G,
    order: Order,
    degrees: &[usize],
) -> Vertices<'g, G> {
    let n = g.nvertices();
    match order {
        Order::Natural => Vertices::Listed((0..n).collect::<Vec<_>>().into_iter()),
        Order::Random(seed) => Vertices::Listed(shuffled(n, seed).into_iter()),
        Order::LargestFirst => Vertices::Listed(largest_first(degrees).into_iter()),
        Order::SmallestLast => {
            // Removed front to back, colored back to front: the whole order is needed.
            let mut removed: Vec<usize> = Dynamic::new(g, degrees, Kind::SmallestLast).collect();
            removed.reverse();
            Vertices::Listed(removed.into_iter())
        }
        Order::IncidenceDegree => {
            Vertices::Dynamic(Dynamic::new(g, degrees, Kind::IncidenceDegree))
        }
        Order::DynamicLargestFirst => {
            Vertices::Dynamic(Dynamic::new(g, degrees, Kind::LargestFirst))
        }
    }
}

/// The vertices of an order, listed in advance or computed one at a time.
pub(crate) enum Vertices<'g, G> {
    Listed(std::vec::IntoIter<usize>),
    Dynamic(Dynamic<'g, G>),
}

impl<G: Graph> Iterator for Vertices<'_, G> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        match self {
            Vertices::Listed(v) => v.next(),
            Vertices::Dynamic(d) => d.next(),
        }
    }
}

/// Whether an order needs the static degrees. Incidence degree does not: every vertex
/// starts at 0, so it starts without a pass over the graph.
pub(crate) fn needs_degrees(order: Order) -> bool {
    !matches!(
        order,
        Order::Natural | Order::Random(_) | Order::IncidenceDegree
    )
}

/// Degree descending, ties by index ascending (a stable sort), by counting sort.
fn largest_first(degrees: &[usize]) -> Vec<usize> {
    let dmax = degrees.iter().copied().max().unwrap_or(0);
    // start[d] = position of the first vertex of degree d, highest degrees first
    let mut start = vec![0usize; dmax + 2];
    for &d in degrees {
        start[dmax - d + 1] += 1;
    }
    for k in 1..start.len() {
        start[k] += start[k - 1];
    }
    let mut out = vec![0; degrees.len()];
    for (v, &d) in degrees.iter().enumerate() {
        out[start[dmax - d]] = v;
        start[dmax - d] += 1;
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Pick the vertex with most already-ordered neighbors.
    IncidenceDegree,
    /// Pick the vertex of least degree among the remaining (then colored in reverse).
    SmallestLast,
    /// Pick the vertex of largest degree among the remaining.
    LargestFirst,
}

/// The degree [`Dynamic`] gives an ordered vertex, so that one load tells whether a
/// neighbor still moves between buckets.
const ORDERED: usize = usize::MAX;

/// A dynamic degree order with ColPack's buckets (one stack per degree), linear in the
/// size of the graph: each ordered vertex moves each remaining neighbor by one bucket.
/// Yields the vertices in the order they are picked.
pub(crate) struct Dynamic<'g, G> {
    g: &'g G,
    kind: Kind,
    degree: Vec<usize>,
    /// One stack per degree, up to the largest a vertex can have: the largest static
    /// degree, or for incidence degree (which starts at 0 and only grows) the largest
    /// reached so far.
    buckets: Vec<Vec<usize>>,
    position: Vec<usize>,
    marks: Marks,
    neighbors: Vec<usize>,
    /// Where the next search starts: the highest (largest degree picked first) or lowest
    /// possible degree.
    bound: usize,
    /// Vertices not picked yet.
    remaining: usize,
}

impl<'g, G: Graph> Dynamic<'g, G> {
    /// `static_degrees` is not read for [`Kind::IncidenceDegree`].
    fn new(g: &'g G, static_degrees: &[usize], kind: Kind) -> Self {
        let n = g.nvertices();
        let degree: Vec<usize> = if kind == Kind::IncidenceDegree {
            vec![0; n]
        } else {
            static_degrees.to_vec()
        };
        let dmax = degree.iter().copied().max().unwrap_or(0);
        let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); dmax + 1];
        let mut position = vec![0usize; n];
        for v in 0..n {
            let b = &mut buckets[degree[v]];
            position[v] = b.len();
            b.push(v);
        }
        Dynamic {
            g,
            kind,
            degree,
            buckets,
            position,
            marks: Marks::new(n),
            neighbors: Vec::new(),
            bound: if kind == Kind::SmallestLast { 0 } else { dmax },
            remaining: n,
        }
    }
}

impl<G: Graph> Iterator for Dynamic<'_, G> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let Dynamic {
            g,
            kind,
            degree,
            buckets,
            position,
            marks,
            neighbors,
            bound,
            remaining,
        } = self;
        *remaining = remaining.checked_sub(1)?;
        let largest = *kind != Kind::SmallestLast;
        let d = if largest {
            (0..=*bound).rev().find(|&d| !buckets[d].is_empty())
        } else {
            (*bound..buckets.len()).find(|&d| !buckets[d].is_empty())
        }
        .expect("a remaining vertex is in some bucket");
        let u = buckets[d].pop().expect("nonempty bucket");
        degree[u] = ORDERED;
        let increasing = *kind == Kind::IncidenceDegree;
        for &v in g.lend_neighbors(u, marks, neighbors) {
            let dv = degree[v];
            if dv == ORDERED {
                continue;
            }
            // Out of its bucket: the bucket's last vertex takes its place (without a
            // branch, which would be mispredicted: `last` may be `v` itself).
            let p = position[v];
            let bucket = &mut buckets[dv];
            let last = *bucket.last().expect("v is in its bucket");
            bucket[p] = last;
            position[last] = p;
            bucket.pop();
            let dnew = if increasing { dv + 1 } else { dv - 1 };
            if dnew == buckets.len() {
                buckets.push(Vec::new());
            }
            degree[v] = dnew;
            position[v] = buckets[dnew].len();
            buckets[dnew].push(v);
        }
        // Neighbors moved by one: the next pick is within one bucket of this one.
        *bound = if largest {
            (d + 1).min(buckets.len() - 1)
        } else {
            d.saturating_sub(1)
        };
        Some(u)
    }
}

/// `0..n` shuffled by Fisher-Yates with a splitmix64 stream: reproducible from `seed`.
pub(crate) fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path 0 - 1 - ... - (n-1).
    struct Path(usize);

    impl Graph for Path {
        fn nvertices(&self) -> usize {
            self.0
        }
        fn neighbors_into(&self, v: usize, _: &mut Marks, out: &mut Vec<usize>) {
            out.clear();
            if v > 0 {
                out.push(v - 1);
            }
            if v + 1 < self.0 {
                out.push(v + 1);
            }
        }
    }

    fn is_permutation(p: &[usize]) -> bool {
        let mut s = p.to_vec();
        s.sort_unstable();
        s.iter().enumerate().all(|(i, &v)| i == v)
    }

    #[test]
    fn every_order_is_a_permutation() {
        for n in [0, 1, 2, 5, 17] {
            let g = Path(n);
            let d = g.degrees();
            for order in Order::ALL.into_iter().chain([Order::Random(3)]) {
                let p = vertices(&g, order, &d);
                assert_eq!(p.len(), n);
                assert!(is_permutation(&p), "{order:?} {p:?}");
                if !needs_degrees(order) {
                    assert_eq!(vertices(&g, order, &[]), p, "{order:?}");
                }
            }
        }
    }

    #[test]
    fn largest_first_is_a_stable_sort() {
        assert_eq!(largest_first(&[1, 3, 2, 3, 0, 1]), vec![1, 3, 2, 0, 5, 4]);
        assert_eq!(largest_first(&[]), Vec::<usize>::new());
    }

    #[test]
    fn smallest_last_puts_the_path_ends_last() {
        // The ends have degree 1: the first pick (from the end of bucket 1) is vertex 4,
        // placed last.
        let g = Path(5);
        let p = vertices(&g, Order::SmallestLast, &g.degrees());
        assert_eq!(p[4], 4);
    }

    #[test]
    fn shuffles_depend_on_the_seed_only() {
        assert_eq!(shuffled(50, 1), shuffled(50, 1));
        assert_ne!(shuffled(50, 1), shuffled(50, 2));
    }
}
