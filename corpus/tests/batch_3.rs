//! Batch 3 of the random-program corpus (see the crate docs): each program checked
//! against its hyper-dual reference through every operator.
// Generated code is not held to style lints: it is random by design.
#![allow(unused, clippy::all)]

mod common;

include!(concat!(env!("OUT_DIR"), "/batch_3.rs"));
