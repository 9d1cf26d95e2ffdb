//! Shared by the fuzz targets: calls that may refuse their input by a documented panic.
#![allow(dead_code)]

use std::panic::{catch_unwind, set_hook, take_hook, AssertUnwindSafe};

/// Runs `f`; a panic becomes `Err(message)`. The panic hook (libFuzzer's aborts the
/// process) is set aside for the call, so a documented refusal is not a crash.
pub fn refused<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let hook = take_hook();
    set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(f));
    set_hook(hook);
    result.map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

/// Runs `f`, which must refuse its input with one of the crate's own messages (they
/// start with `asd:`), not with an index out of bounds or an overflow inside it.
#[track_caller]
pub fn must_refuse<T>(what: &str, f: impl FnOnce() -> T) {
    match refused(f) {
        Ok(_) => panic!("{what}: accepted, but the documentation says it panics"),
        Err(msg) => assert!(
            msg.starts_with("asd:"),
            "{what}: refused with an unclear message: {msg:?}"
        ),
    }
}
