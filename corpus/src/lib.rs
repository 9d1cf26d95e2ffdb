//! The random-program corpus of `asd`: nothing to use, only tests.
//!
//! `build.rs` generates, from a fixed seed, programs in the language `#[sparse_diff]`
//! accepts (loops, in-place recurrences, whole-vector reassignment, branches on reals,
//! `while`, `loop`/`break`, early returns, calls of annotated helpers with their results
//! used every way, `push` reading the vector it grows, iterator chains, every rule of the
//! derivative table), each written twice: once as the user writes it, annotated, and
//! once over `num_dual::HyperDual64`, the independent reference. `tests/batch_*.rs`
//! check every operator of every program against the reference, and that a prepared
//! Jacobian or Hessian evaluated again at its point allocates nothing (counted per
//! thread by the test binaries' allocator). A program that calls a function on
//! constants is not held to that: its sweeps run that call as the user wrote it.
//!
//! `ASD_CORPUS_SEED` and `ASD_CORPUS_PROGRAMS` (environment variables read at build
//! time) change the seed and the number of programs per batch, to look further than CI.
