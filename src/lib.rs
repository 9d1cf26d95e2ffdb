pub use asd_macros::sparse_diff;
