//! STUB — to be implemented (issue 2, part 4).
