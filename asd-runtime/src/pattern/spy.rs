//! Terminal spy plots in braille, in O(nnz + m) however large the pattern.
//!
//! Each character of the U+2800 block is a 2 x 4 grid of dots; a dot stands for one
//! entry, or for a block of entries once the pattern is downsampled to fit, and is
//! set when any entry of its block is a nonzero. Rows and columns are scaled by the
//! same factor so the plot keeps the matrix's aspect ratio (braille dots are about
//! square in a terminal). The frame follows Julia's `spy`: `⎡⎢⎣ ⎤⎥⎦`.

use super::SparsityPattern;

/// Braille characters across in `Display`, so that a line with its frame is 80 wide.
pub(super) const DEFAULT_WIDTH: usize = 78;
/// Braille lines in `Display`, so that the plot with its header is 40 lines tall.
pub(super) const DEFAULT_HEIGHT: usize = 39;

/// `DOT[row % 4][col % 2]`: the bit of a dot inside a braille cell.
const DOT: [[u8; 2]; 4] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]];

/// Maps `src` indices onto `dst <= src` buckets, in order and evenly.
#[derive(Clone, Copy)]
pub(super) struct Scale {
    src: usize,
    dst: usize,
}

impl Scale {
    /// Number of buckets.
    pub(super) fn dst(self) -> usize {
        self.dst
    }

    /// Whether every index has its own bucket.
    pub(super) fn is_identity(self) -> bool {
        self.src == self.dst
    }

    #[inline]
    pub(super) fn map(self, i: usize) -> usize {
        if self.src == self.dst {
            i
        } else {
            (i as u128 * self.dst as u128 / self.src as u128) as usize
        }
    }
}

/// The number of buckets along each axis to fit an `m x n` pattern into at most
/// `max_rows x max_cols` buckets with one common scale factor (no scaling when it
/// already fits). Both dimensions must be positive.
pub(super) fn fit(m: usize, n: usize, max_rows: usize, max_cols: usize) -> (Scale, Scale) {
    let (max_rows, max_cols) = (max_rows.max(1), max_cols.max(1));
    if m <= max_rows && n <= max_cols {
        return (Scale { src: m, dst: m }, Scale { src: n, dst: n });
    }
    let s = f64::max(m as f64 / max_rows as f64, n as f64 / max_cols as f64);
    let rows = ((m as f64 / s).ceil() as usize).clamp(1, max_rows.min(m));
    let cols = ((n as f64 / s).ceil() as usize).clamp(1, max_cols.min(n));
    (Scale { src: m, dst: rows }, Scale { src: n, dst: cols })
}

/// The header line: `7×10 SparsityPattern, 28 nonzeros (40.0%)`.
pub(super) fn header(p: &SparsityPattern) -> String {
    let nnz = p.nnz();
    let pct = 100.0 * p.density();
    // Keep two significant digits for very sparse patterns instead of "0.0%".
    let digits = if nnz == 0 || pct >= 0.1 {
        1
    } else {
        (1 - pct.log10().floor() as i32).max(1) as usize
    };
    format!(
        "{}×{} SparsityPattern, {nnz} nonzero{} ({pct:.digits$}%)",
        p.nrows(),
        p.ncols(),
        if nnz == 1 { "" } else { "s" }
    )
}

impl SparsityPattern {
    /// The header line and a braille spy plot at most `max_width` characters wide and
    /// `max_height` lines tall (frame excluded), downsampled when the pattern does
    /// not fit, in O(nnz + m + max_width * max_height).
    ///
    /// `Display` is `spy(78, 39)`: at most 80 x 40 characters in all.
    ///
    /// ```
    /// use asd_runtime::SparsityPattern;
    /// // A 4 x 4 diagonal: two braille cells of 4 x 2 dots each.
    /// let p = SparsityPattern::from_coordinates(4, 4, (0..4).map(|i| (i, i)));
    /// assert_eq!(
    ///     p.spy(78, 39),
    ///     "4×4 SparsityPattern, 4 nonzeros (25.0%)\n[⠑⢄]"
    /// );
    /// // A 100 x 100 diagonal drawn at most 10 characters wide: downsampled.
    /// let big = SparsityPattern::from_coordinates(100, 100, (0..100).map(|i| (i, i)));
    /// let plot = big.spy(10, 5);
    /// assert!(plot
    ///     .lines()
    ///     .skip(1)
    ///     .all(|line| line.chars().count() <= 10 + 2));
    /// ```
    pub fn spy(&self, max_width: usize, max_height: usize) -> String {
        let mut out = header(self);
        let (m, n) = self.shape();
        if m == 0 || n == 0 {
            return out;
        }
        let (rs, cs) = fit(m, n, 4 * max_height.max(1), 2 * max_width.max(1));
        let width = cs.dst.div_ceil(2);
        let lines = rs.dst.div_ceil(4);
        let mut cells = vec![0u8; width * lines];
        for r in 0..m {
            let dr = rs.map(r);
            let (line, bits) = (dr / 4, &DOT[dr % 4]);
            let cell_row = &mut cells[line * width..(line + 1) * width];
            for &c in self.row(r) {
                let dc = cs.map(c);
                cell_row[dc / 2] |= bits[dc % 2];
            }
        }
        for (k, cell_row) in cells.chunks(width).enumerate() {
            let (left, right) = match (lines, k) {
                (1, _) => ('[', ']'),
                (_, 0) => ('⎡', '⎤'),
                (_, k) if k + 1 == lines => ('⎣', '⎦'),
                _ => ('⎢', '⎥'),
            };
            out.push('\n');
            out.push(left);
            out.extend(cell_row.iter().map(|&b| braille(b)));
            out.push(right);
        }
        out
    }
}

fn braille(bits: u8) -> char {
    char::from_u32(0x2800 + bits as u32).unwrap_or(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obvious renderer: every dot of the downsampled grid, tested against every
    /// entry of the pattern.
    fn slow_spy(p: &SparsityPattern, w: usize, h: usize) -> String {
        let mut out = header(p);
        let (m, n) = p.shape();
        let (rs, cs) = fit(m, n, 4 * h, 2 * w);
        let (width, lines) = (cs.dst.div_ceil(2), rs.dst.div_ceil(4));
        for line in 0..lines {
            out.push('\n');
            out.push(match (lines, line) {
                (1, _) => '[',
                (_, 0) => '⎡',
                (_, l) if l + 1 == lines => '⎣',
                _ => '⎢',
            });
            for cell in 0..width {
                let mut bits = 0u8;
                for (dr, dot_row) in DOT.iter().enumerate() {
                    for (dc, &bit) in dot_row.iter().enumerate() {
                        let hit = (0..m).any(|r| {
                            rs.map(r) == 4 * line + dr
                                && (0..n).any(|c| cs.map(c) == 2 * cell + dc && p.contains(r, c))
                        });
                        if hit {
                            bits |= bit;
                        }
                    }
                }
                out.push(braille(bits));
            }
            out.push(match (lines, line) {
                (1, _) => ']',
                (_, 0) => '⎤',
                (_, l) if l + 1 == lines => '⎦',
                _ => '⎥',
            });
        }
        out
    }

    fn banded(n: usize, half: usize) -> SparsityPattern {
        SparsityPattern::from_coordinates(
            n,
            n,
            (0..n)
                .flat_map(|i| (i.saturating_sub(half)..(i + half + 1).min(n)).map(move |j| (i, j))),
        )
    }

    #[test]
    fn tiny_exact() {
        let id = SparsityPattern::from_coordinates(4, 4, (0..4).map(|i| (i, i)));
        assert_eq!(
            id.to_string(),
            "4×4 SparsityPattern, 4 nonzeros (25.0%)\n[⠑⢄]"
        );
        let col = SparsityPattern::from_coordinates(8, 2, (0..8).map(|i| (i, 0)));
        assert_eq!(
            col.to_string(),
            "8×2 SparsityPattern, 8 nonzeros (50.0%)\n⎡⡇⎤\n⎣⡇⎦"
        );
        let tri = banded(10, 1);
        assert_eq!(
            tri.to_string(),
            "10×10 SparsityPattern, 28 nonzeros (28.0%)\n⎡⠻⣦⡀⠀⠀⎤\n⎢⠀⠈⠻⣦⡀⎥\n⎣⠀⠀⠀⠈⠛⎦"
        );
    }

    #[test]
    fn header_and_empty() {
        let one = SparsityPattern::from_coordinates(7, 10, [(3, 3)]);
        assert!(one
            .to_string()
            .starts_with("7×10 SparsityPattern, 1 nonzero (1.4%)\n"));
        assert_eq!(
            SparsityPattern::empty(0, 3).to_string(),
            "0×3 SparsityPattern, 0 nonzeros (0.0%)"
        );
        let sparse = SparsityPattern::from_coordinates(1000, 1000, [(1, 2), (3, 4), (5, 6)]);
        assert!(sparse
            .to_string()
            .starts_with("1000×1000 SparsityPattern, 3 nonzeros (0.00030%)"));
    }

    #[test]
    fn matches_slow_renderer() {
        let cases = [
            banded(10, 1),
            banded(37, 3),
            SparsityPattern::from_coordinates(5, 300, (0..300).map(|j| (j % 5, j))),
            SparsityPattern::from_coordinates(300, 7, (0..300).map(|i| (i, (i * 3) % 7))),
            SparsityPattern::from_coordinates(1, 1, [(0, 0)]),
        ];
        for p in &cases {
            for (w, h) in [(78, 39), (10, 5), (3, 2), (1, 1)] {
                assert_eq!(p.spy(w, h), slow_spy(p, w, h), "{:?} at {w}x{h}", p.shape());
            }
        }
    }

    #[test]
    fn huge_banded_fits() {
        let p = banded(100_000, 2);
        let s = p.to_string();
        let mut lines = s.lines();
        assert_eq!(
            lines.next(),
            Some("100000×100000 SparsityPattern, 499994 nonzeros (0.0050%)")
        );
        let body: Vec<&str> = lines.collect();
        assert!(body.len() <= DEFAULT_HEIGHT && body.len() >= DEFAULT_HEIGHT - 1);
        assert!(body.iter().all(|l| l.chars().count() <= DEFAULT_WIDTH + 2));
        // A band shows as the diagonal: the first cell of the first line is set.
        assert!(body[0].chars().nth(1).is_some_and(|c| c != '⠀'));
        assert!(body[0].chars().nth(10).is_some_and(|c| c == '⠀'));
    }

    #[test]
    fn wide_and_tall_keep_aspect() {
        let wide =
            SparsityPattern::from_coordinates(10, 100_000, (0..100_000).map(|j| (j % 10, j)));
        let s = wide.spy(78, 39);
        let body: Vec<&str> = s.lines().skip(1).collect();
        assert_eq!(body.len(), 1);
        assert_eq!(body[0].chars().count(), 80);
        let tall = wide.transpose();
        let s = tall.spy(78, 39);
        assert_eq!(s.lines().count(), 1 + 39);
        assert!(s.lines().skip(1).all(|l| l.chars().count() == 3));
    }
}
