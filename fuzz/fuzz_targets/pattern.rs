//! Pattern construction from arbitrary bytes: coordinates (some out of range) or raw
//! compressed rows (often malformed) become a `SparsityPattern`, which must equal a
//! `BTreeSet` reference, keep its invariants, agree with every other constructor, its
//! transpose and its `sprs` round trip, and draw itself. Invalid input must be refused
//! by a documented panic with the crate's own message, valid input never.
#![no_main]

mod common;

use std::collections::BTreeSet;

use arbitrary::{Result, Unstructured};
use asd_runtime::{ColorAxis, IndexSet, SparsityPattern};
use common::must_refuse;
use libfuzzer_sys::fuzz_target;

/// Largest side: small enough that checking every cell stays cheap.
const MAX: usize = 48;

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured) -> Result<()> {
    let (m, n) = (u.int_in_range(0..=MAX)?, u.int_in_range(0..=MAX)?);
    if u.arbitrary()? {
        coordinates(u, m, n)
    } else {
        raw_csr(u, m, n)
    }
}

/// Coordinates in any order with duplicates; sometimes one out of range, which must
/// be refused.
fn coordinates(u: &mut Unstructured, m: usize, n: usize) -> Result<()> {
    let mut coords = Vec::new();
    if m > 0 && n > 0 {
        for _ in 0..u.int_in_range(0..=400)? {
            coords.push((u.choose_index(m)?, u.choose_index(n)?));
        }
    }
    if u.ratio(1, 8)? {
        let bad = (u.int_in_range(0..=2 * MAX)?, u.int_in_range(0..=2 * MAX)?);
        let at = u.int_in_range(0..=coords.len())?;
        coords.insert(at, bad);
        if bad.0 >= m || bad.1 >= n {
            must_refuse("out-of-range coordinate", || {
                SparsityPattern::from_coordinates(m, n, coords.iter().copied())
            });
            return Ok(());
        }
    }
    let set: BTreeSet<(usize, usize)> = coords.iter().copied().collect();
    let p = SparsityPattern::from_coordinates(m, n, coords.iter().copied());
    check(u, &p, m, n, &set)
}

/// Raw `row_ptr` and `col_idx`: `from_csr` accepts them exactly when they are valid.
fn raw_csr(u: &mut Unstructured, m: usize, n: usize) -> Result<()> {
    let ptr_len = if u.ratio(1, 16)? {
        u.int_in_range(0..=m + 2)?
    } else {
        m + 1
    };
    let mut row_ptr = Vec::with_capacity(ptr_len);
    let mut at = 0usize;
    for _ in 0..ptr_len {
        // Mostly non-decreasing, sometimes anything.
        at = if u.ratio(1, 16)? {
            u.int_in_range(0..=3 * MAX)?
        } else {
            at + u.int_in_range(0..=4)?
        };
        row_ptr.push(at);
    }
    let nnz = if u.ratio(1, 16)? {
        u.int_in_range(0..=3 * MAX)?
    } else {
        row_ptr.last().copied().unwrap_or(0)
    };
    let mut col_idx = Vec::with_capacity(nnz);
    let bound = if u.ratio(1, 16)? { n + 2 } else { n.max(1) };
    for _ in 0..nnz {
        col_idx.push(u.choose_index(bound)?);
    }
    // Mostly sorted rows, so that valid input is common.
    if !u.ratio(1, 8)? && ptr_len == m + 1 {
        for w in row_ptr.windows(2) {
            if w[0] <= w[1] && w[1] <= nnz {
                let row = &mut col_idx[w[0]..w[1]];
                row.sort_unstable();
            }
        }
    }
    let valid = row_ptr.len() == m + 1
        && row_ptr[0] == 0
        && row_ptr[m] == nnz
        && row_ptr.windows(2).all(|w| w[0] <= w[1])
        && row_ptr.windows(2).all(|w| {
            let row = &col_idx[w[0]..w[1]];
            row.windows(2).all(|x| x[0] < x[1]) && row.iter().all(|&c| c < n)
        });
    if !valid {
        must_refuse("malformed CSR", || {
            SparsityPattern::from_csr(m, n, row_ptr.clone(), col_idx.clone())
        });
        return Ok(());
    }
    let set = (0..m)
        .flat_map(|i| {
            col_idx[row_ptr[i]..row_ptr[i + 1]]
                .iter()
                .map(move |&j| (i, j))
        })
        .collect();
    let p = SparsityPattern::from_csr(m, n, row_ptr, col_idx);
    check(u, &p, m, n, &set)
}

/// `p` is the `m x n` pattern of `set`, by every view and constructor.
fn check(
    u: &mut Unstructured,
    p: &SparsityPattern,
    m: usize,
    n: usize,
    set: &BTreeSet<(usize, usize)>,
) -> Result<()> {
    invariants(p, m, n);
    assert_eq!(p.nnz(), set.len());
    assert!(
        p.iter().eq(set.iter().copied()),
        "entries differ from the reference"
    );
    for i in 0..m {
        for j in 0..n {
            assert_eq!(
                p.contains(i, j),
                set.contains(&(i, j)),
                "contains({i}, {j})"
            );
        }
    }

    // The transpose.
    let t = p.transpose();
    invariants(&t, n, m);
    let flipped: BTreeSet<(usize, usize)> = set.iter().map(|&(i, j)| (j, i)).collect();
    assert!(t.iter().eq(flipped.iter().copied()), "transpose");
    assert_eq!(&t.transpose(), p);
    assert_eq!(p.is_symmetric(), m == n && *set == flipped);

    // Every other constructor gives the same pattern.
    let rows: Vec<Vec<usize>> = (0..m).map(|i| p.row(i).to_vec()).collect();
    let shuffled: Vec<Vec<usize>> = rows
        .iter()
        .map(|r| r.iter().rev().chain(r.first()).copied().collect())
        .collect();
    assert_eq!(&SparsityPattern::from_rows(n, shuffled), p);
    assert_eq!(&SparsityPattern::from_rows(n, rows.clone()), p);
    let sets: Vec<IndexSet> = rows.iter().map(|r| r.iter().copied().collect()).collect();
    assert_eq!(&SparsityPattern::from_index_sets(n, &sets), p);
    assert_eq!(
        &SparsityPattern::from_csr(m, n, p.row_ptr().to_vec(), p.col_indices().to_vec()),
        p
    );
    if m > 0 && p.nnz() == 0 {
        assert_eq!(&SparsityPattern::empty(m, n), p);
    }

    // sprs, both storages.
    let csr = p.to_sprs();
    assert_eq!((csr.shape(), csr.nnz()), ((m, n), p.nnz()));
    assert!(csr.data().iter().all(|&v| v == 1.0));
    assert_eq!(&SparsityPattern::from(&csr), p);
    assert_eq!(&SparsityPattern::from(&csr.to_csc()), p);

    let d = p.density();
    if m * n == 0 {
        assert_eq!(d, 0.0);
    } else {
        assert!((d - p.nnz() as f64 / (m * n) as f64).abs() <= 1e-15);
    }

    // Pictures, of any size, never panic.
    let (w, h) = (u.int_in_range(0..=90)?, u.int_in_range(0..=45)?);
    assert!(p.spy(w, h).starts_with(&format!("{m}×{n} SparsityPattern")));
    let _ = p.to_string();
    let by_column: Vec<usize> = (0..n).map(|j| j % 13).collect();
    let by_row: Vec<usize> = (0..m).map(|i| i % 7).collect();
    let _ = p.to_svg(None, ColorAxis::Columns);
    let _ = p.to_svg(Some(&by_column), ColorAxis::Columns);
    let _ = p.to_svg(Some(&by_row), ColorAxis::Rows);
    if m > 0 {
        must_refuse("too few row colors", || {
            p.to_svg(Some(&by_row[1..]), ColorAxis::Rows)
        });
    }

    // Documented refusals of the accessors.
    must_refuse("row past the end", || p.row(m).len());
    if m > 0 {
        must_refuse("column past the end", || p.contains(0, n));
    }
    Ok(())
}

/// The documented invariant: `nrows + 1` non-decreasing pointers from 0 to nnz, rows
/// strictly increasing and below `ncols`.
fn invariants(p: &SparsityPattern, m: usize, n: usize) {
    assert_eq!(p.shape(), (m, n));
    let (ptr, idx) = (p.row_ptr(), p.col_indices());
    assert_eq!(ptr.len(), m + 1);
    assert_eq!((ptr[0], ptr[m]), (0, idx.len()));
    assert_eq!(p.nnz(), idx.len());
    for i in 0..m {
        assert!(ptr[i] <= ptr[i + 1]);
        let row = p.row(i);
        assert_eq!(row, &idx[ptr[i]..ptr[i + 1]]);
        assert!(
            row.windows(2).all(|w| w[0] < w[1]),
            "row {i} not increasing"
        );
        assert!(row.iter().all(|&j| j < n), "row {i} out of range");
    }
}
