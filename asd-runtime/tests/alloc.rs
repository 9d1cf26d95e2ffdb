//! A prepared evaluation allocates nothing: a counting global allocator watches
//! `evaluate*` calls around hand-written kernels that do not allocate themselves.
//!
//! Only allocations made by this thread while counting is switched on are counted, so
//! the test harness's own threads cannot disturb the figures.

mod common;

use common::Tridiagonal;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use asd_runtime::{
    Coloring, HessianMethod, HessianOptions, HessianPrep, Hvp, JacobianOptions, JacobianPrep, Mode,
    ModeChoice, Workspace, LANES,
};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the allocator may run while thread-locals are being torn down.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting only
// touches const-initialized thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|on| on.set(true));
    f();
    COUNTING.with(|on| on.set(false));
    COUNT.with(|c| c.get())
}

/// A tridiagonal Hessian `T` with `T[i][i] = 2 + x[i]^2`, `T[i][i±1] = x[i] x[i±1]`.
struct Quadratic<'a>(&'a [f64]);

impl Hvp for Quadratic<'_> {
    fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
        let (x, n) = (self.0, self.0.len());
        for i in 0..n {
            for l in 0..L {
                hv[i][l] += (2.0 + x[i] * x[i]) * v[i][l];
                if i > 0 {
                    hv[i][l] += x[i] * x[i - 1] * v[i - 1][l];
                }
                if i + 1 < n {
                    hv[i][l] += x[i] * x[i + 1] * v[i + 1][l];
                }
            }
        }
    }
}

#[test]
fn prepared_evaluations_allocate_nothing() {
    let n = 300;
    let x: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();

    for lanes in LANES {
        let mut fwd = JacobianPrep::new(
            Tridiagonal::pattern(n),
            &JacobianOptions::forward().with_lanes(lanes),
        );
        let mut rev = JacobianPrep::new(
            Tridiagonal::pattern(n),
            &JacobianOptions::reverse().with_lanes(lanes),
        );
        let mut auto = JacobianPrep::new(
            Tridiagonal::pattern(n),
            &JacobianOptions::default().with_lanes(lanes),
        );
        let mut both = JacobianPrep::new(
            Tridiagonal::pattern(n),
            &JacobianOptions::default()
                .with_mode(ModeChoice::Bidirectional)
                .with_lanes(lanes),
        );
        let options = HessianOptions::default().with_lanes(lanes);
        let mut star = HessianPrep::new(
            Tridiagonal::pattern(n),
            &options.with_method(HessianMethod::Star),
        );
        let mut acyclic = HessianPrep::new(
            Tridiagonal::pattern(n),
            &options.with_method(HessianMethod::Acyclic),
        );
        assert!(acyclic.decompression().nsubstitutions() > 0);

        // Several sweeps of one lane: the seed is refilled between sweeps.
        let mut many = JacobianPrep::with_coloring(
            Tridiagonal::pattern(n),
            Mode::Forward,
            Coloring::from_colors((0..n).map(|j| j % 7).collect()),
            Some(1),
        );

        for round in 0..3 {
            let count = allocations(|| {
                fwd.check_input_len(n);
                fwd.check_output_len(n);
                fwd.evaluate_forward(&mut Tridiagonal { x: &x });
                rev.evaluate_reverse(&mut Tridiagonal { x: &x });
                auto.evaluate(&mut Tridiagonal { x: &x });
                both.evaluate(&mut Tridiagonal { x: &x });
                star.evaluate(&mut Quadratic(&x));
                acyclic.evaluate(&mut Quadratic(&x));
                many.evaluate_forward(&mut Tridiagonal { x: &x });
            });
            assert_eq!(
                count, 0,
                "{count} allocations in round {round} with {lanes} lanes"
            );
        }
        assert_eq!(fwd.jacobian(), rev.jacobian());
        assert_eq!(fwd.jacobian(), many.jacobian());
        assert_eq!(fwd.jacobian(), both.jacobian());
        // Substitution sums in another order than direct recovery: equal to rounding.
        let (h1, h2) = (star.hessian(), acyclic.hessian());
        assert_eq!(h1.indptr(), h2.indptr());
        assert_eq!(h1.indices(), h2.indices());
        for (a, b) in h1.data().iter().zip(h2.data()) {
            assert!((a - b).abs() <= 1e-12 * (1.0 + a.abs()), "{a} vs {b}");
        }
    }
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the guard: an allocating closure must be counted.
    let count = allocations(|| {
        std::hint::black_box(vec![1.0f64; 10]);
    });
    assert_eq!(count, 1);
}
