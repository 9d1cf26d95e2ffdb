//! Iteration in ascending order, and the traits that read a set by its content.

use super::*;

impl IndexSet {
    /// The indices in ascending order (an exact-size iterator).
    ///
    /// ```
    /// use asd_runtime::IndexSet;
    /// let s: IndexSet = [9, 0, 4].into_iter().collect();
    /// let mut it = s.iter();
    /// assert_eq!(it.len(), 3);
    /// assert_eq!(it.next(), Some(0));
    /// assert_eq!(it.collect::<Vec<_>>(), [4, 9]);
    /// ```
    #[inline]
    pub fn iter(&self) -> IndexSetIter<'_> {
        let inner = match &self.repr {
            Repr::Band { base, bits } => {
                IterInner::Bits(WordOnes::new(std::slice::from_ref(bits), *base as usize))
            }
            Repr::Bits(b) => IterInner::Bits(WordOnes::new(b.words(), b.offset)),
            _ => IterInner::List(self.as_list().unwrap_or_default().iter()),
        };
        IndexSetIter {
            inner,
            remaining: self.len(),
        }
    }
}

/// Iterator over an [`IndexSet`] in ascending order.
pub struct IndexSetIter<'a> {
    inner: IterInner<'a>,
    remaining: usize,
}

enum IterInner<'a> {
    List(std::slice::Iter<'a, u32>),
    Bits(WordOnes<'a>),
}

impl Iterator for IndexSetIter<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        let item = match &mut self.inner {
            IterInner::List(it) => it.next().map(|&x| x as usize),
            IterInner::Bits(it) => it.next(),
        };
        self.remaining -= item.is_some() as usize;
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }

    /// O(1) on a list, so that `skip(k)` (a triangle of pairs) costs no walk.
    fn nth(&mut self, n: usize) -> Option<usize> {
        match &mut self.inner {
            IterInner::List(it) => {
                let item = it.nth(n).map(|&x| x as usize);
                self.remaining = it.len();
                item
            }
            IterInner::Bits(_) => {
                for _ in 0..n {
                    self.next()?;
                }
                self.next()
            }
        }
    }
}

impl ExactSizeIterator for IndexSetIter<'_> {}

impl<'a> IntoIterator for &'a IndexSet {
    type Item = usize;
    type IntoIter = IndexSetIter<'a>;
    fn into_iter(self) -> IndexSetIter<'a> {
        self.iter()
    }
}

impl FromIterator<usize> for IndexSet {
    #[track_caller]
    fn from_iter<T: IntoIterator<Item = usize>>(iter: T) -> Self {
        let mut v: Vec<u32> = iter.into_iter().map(to_u32).collect();
        if !v.is_sorted_by(|a, b| a < b) {
            v.sort_unstable();
            v.dedup();
        }
        Self::from_sorted_vec(v)
    }
}

impl Extend<usize> for IndexSet {
    #[track_caller]
    fn extend<T: IntoIterator<Item = usize>>(&mut self, iter: T) {
        let other: IndexSet = iter.into_iter().collect();
        self.union_with(&other);
    }
}

impl PartialEq for IndexSet {
    fn eq(&self, other: &Self) -> bool {
        match (self.as_list(), other.as_list()) {
            (Some(a), Some(b)) => a == b,
            _ => self.len() == other.len() && self.iter().eq(other.iter()),
        }
    }
}

impl Eq for IndexSet {}

impl Hash for IndexSet {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        for i in self {
            state.write_usize(i);
        }
    }
}

impl fmt::Debug for IndexSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
