//! Prepared evaluations of the benchmark problems, a given number of times, for
//! `scripts/instructions.sh`: instructions per evaluation under valgrind do not drift
//! with the machine's load as times do, so a change of generated or runtime code can be
//! compared across two builds to the instruction.
//!
//! `cargo bench --bench instructions -- <J1|J2|J3|H1|H2|H3> <evaluations>` (prepares
//! once, then evaluates; no output).

use std::hint::black_box;

use asd::JacobianOptions;

#[path = "../tests/problems/mod.rs"]
mod problems;
use problems::*;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let usage = "usage: instructions <J1|J2|J3|H1|H2|H3> <evaluations>";
    let problem = args.next().expect(usage);
    let times: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let x = point(10_000);
    // Prepares once; each call evaluates.
    let mut evaluate: Box<dyn FnMut() -> usize> = match problem.as_str() {
        "J1" => {
            let x = point(1000);
            let every_row = JacobianOptions::default().with_constant_entries(false);
            let mut prep = iter_diff_jacobian_prepare_with(&x, 10, &every_row);
            Box::new(move || iter_diff_jacobian_prepared(&mut prep, black_box(&x), 10).nnz())
        }
        "J2" => {
            let u = point(2 * 32 * 32);
            let mut prep = brusselator_jacobian_prepare(&u, 32);
            Box::new(move || brusselator_jacobian_prepared(&mut prep, black_box(&u), 32).nnz())
        }
        "J3" => {
            let x = point(1024);
            let mut prep = conv_tanh_jacobian_prepare(&x);
            Box::new(move || conv_tanh_jacobian_prepared(&mut prep, black_box(&x)).nnz())
        }
        "H1" => {
            let mut prep = arwhead_hessian_prepare(&x);
            Box::new(move || arwhead_hessian_prepared(&mut prep, black_box(&x)).nnz())
        }
        "H2" => {
            let mut prep = bdqrtic_hessian_prepare(&x);
            Box::new(move || bdqrtic_hessian_prepared(&mut prep, black_box(&x)).nnz())
        }
        "H3" => {
            let mut prep = bratu2d_hessian_prepare(&x, 100);
            Box::new(move || bratu2d_hessian_prepared(&mut prep, black_box(&x), 100).nnz())
        }
        other => panic!("{usage}: no problem {other}"),
    };
    for _ in 0..times {
        black_box(evaluate());
    }
}
