//! STUB — to be implemented (issue 2, part 1). Signatures are the contract with generated code.

/// A set of input indices, the value of a first-order sparsity tracer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexSet {}

impl IndexSet {
    pub fn new() -> Self { todo!() }
    pub fn singleton(i: usize) -> Self { todo!() }
    pub fn insert(&mut self, i: usize) { todo!() }
    pub fn union_with(&mut self, other: &IndexSet) { todo!() }
    pub fn union(a: &IndexSet, b: &IndexSet) -> IndexSet { todo!() }
    pub fn len(&self) -> usize { todo!() }
    pub fn is_empty(&self) -> bool { todo!() }
    pub fn contains(&self, i: usize) -> bool { todo!() }
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ { std::iter::empty() }
}

/// A set of index pairs `(i, j)`: the second-order interactions of a Hessian tracer.
#[derive(Clone, Debug, Default)]
pub struct PairSet {}

impl PairSet {
    pub fn new() -> Self { todo!() }
    pub fn insert(&mut self, i: usize, j: usize) { todo!() }
    pub fn union_with(&mut self, other: &PairSet) { todo!() }
    pub fn insert_product(&mut self, a: &IndexSet, b: &IndexSet) { todo!() }
    pub fn len_upper_bound(&self) -> usize { todo!() }
    pub fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ { std::iter::empty() }
}
