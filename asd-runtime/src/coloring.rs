//! STUB — to be implemented (issue 2, part 3).
use crate::SparsityPattern;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order { Natural, LargestFirst, SmallestLast, IncidenceDegree, DynamicLargestFirst, Random(u64) }

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coloring { colors: Vec<usize>, ncolors: usize }
impl Coloring {
    pub fn ncolors(&self) -> usize { self.ncolors }
    pub fn colors(&self) -> &[usize] { &self.colors }
    pub fn from_colors(colors: Vec<usize>) -> Self { todo!() }
}
#[derive(Clone, Debug)]
pub struct StarColoring { coloring: Coloring }
#[derive(Clone, Debug)]
pub struct AcyclicColoring { coloring: Coloring }
pub fn color_columns(p: &SparsityPattern, order: Order) -> Coloring { todo!() }
pub fn color_rows(p: &SparsityPattern, order: Order) -> Coloring { todo!() }
pub fn star_coloring(p: &SparsityPattern, order: Order) -> StarColoring { todo!() }
pub fn acyclic_coloring(p: &SparsityPattern, order: Order) -> AcyclicColoring { todo!() }
pub fn color_columns_best(p: &SparsityPattern) -> Coloring { todo!() }
pub fn color_rows_best(p: &SparsityPattern) -> Coloring { todo!() }
pub fn star_coloring_best(p: &SparsityPattern) -> StarColoring { todo!() }
pub fn acyclic_coloring_best(p: &SparsityPattern) -> AcyclicColoring { todo!() }
