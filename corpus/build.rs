//! Writes the random-program corpus into `OUT_DIR`: `batch_<b>.rs` for each test file
//! `tests/batch_<b>.rs`. Fixed seeds, so CI checks the same programs every run; set
//! `ASD_CORPUS_SEED` to look at others and `ASD_CORPUS_PROGRAMS` for more per batch.

#[path = "generator/mod.rs"]
mod generator;

/// One batch per test binary: they compile in parallel.
const BATCHES: u64 = 4;
const PROGRAMS_PER_BATCH: usize = 130;

fn main() {
    println!("cargo::rerun-if-changed=generator");
    println!("cargo::rerun-if-env-changed=ASD_CORPUS_SEED");
    println!("cargo::rerun-if-env-changed=ASD_CORPUS_PROGRAMS");
    let seed: u64 = env_or("ASD_CORPUS_SEED", 0);
    let count: usize = env_or("ASD_CORPUS_PROGRAMS", PROGRAMS_PER_BATCH);
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for b in 0..BATCHES {
        let source = generator::batch(seed * BATCHES + b, count);
        std::fs::write(out.join(format!("batch_{b}.rs")), source).expect("OUT_DIR is writable");
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
