//! SVG pictures of (colored) patterns, like the figures of the seed guide: every
//! nonzero a square filled with the color of its column's (or row's) group.
//!
//! Large patterns are aggregated onto at most [`MAX_CELLS`] x [`MAX_CELLS`] cells (a
//! cell is drawn when any entry falling in it is a nonzero, in the color of the
//! first such entry in row-major order), so the file stays small whatever the size.

use std::fmt::Write;

use super::spy::{fit, header};
use super::{ColorAxis, SparsityPattern};

/// Largest number of cells along either axis.
pub const MAX_CELLS: usize = 200;

/// Tableau 10: a qualitative palette whose neighbours stay distinguishable;
/// color `k` is `PALETTE[k % 10]`.
pub const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// Fill of the nonzeros of an uncolored pattern.
const INK: &str = "#3b3b3b";
/// Target side of the picture in pixels.
const TARGET_PX: usize = 640;
const PAD: usize = 2;

impl SparsityPattern {
    /// An SVG picture of the pattern: each nonzero a square, filled with the color
    /// of its column (`ColorAxis::Columns`) or row (`ColorAxis::Rows`) group from a
    /// fixed 10-color palette (cycling), or dark grey when `colors` is `None`; a light
    /// grid when every entry has its own cell, and a frame. Patterns larger than
    /// 200 x 200 are aggregated onto at most 200 x 200 cells. O(nnz + m + cells).
    ///
    /// ```
    /// use asd_runtime::{color_rows, ColorAxis, Order, SparsityPattern};
    ///
    /// // Rows 0 and 1 share no column: one color, the palette's first, for all 3 squares.
    /// let p = SparsityPattern::from_coordinates(2, 3, [(0, 0), (0, 2), (1, 1)]);
    /// let rows = color_rows(&p, Order::Natural);
    /// let svg = p.to_svg(Some(rows.colors()), ColorAxis::Rows);
    /// assert!(svg.contains("<g fill=\"#4e79a7\">"));
    /// assert_eq!(svg.matches("<rect x=").count(), 3 + 1); // and the frame
    /// ```
    ///
    /// # Panics
    /// If `colors` does not have one entry per column (or row).
    #[track_caller]
    pub fn to_svg(&self, colors: Option<&[usize]>, by: ColorAxis) -> String {
        let (m, n) = self.shape();
        if let Some(colors) = colors {
            let (want, what) = match by {
                ColorAxis::Columns => (n, "columns"),
                ColorAxis::Rows => (m, "rows"),
            };
            assert!(
                colors.len() == want,
                "asd: to_svg got {} colors for a pattern with {want} {what}",
                colors.len()
            );
        }
        let (rs, cs) = fit(m.max(1), n.max(1), MAX_CELLS, MAX_CELLS);
        // Empty axes get no cells (an empty frame).
        let (gh, gw) = if m == 0 || n == 0 {
            (0, 0)
        } else {
            (rs.dst(), cs.dst())
        };
        let cell = (TARGET_PX / gh.max(gw).max(1)).clamp(2, 24);
        let (w, h) = (gw * cell + 2 * PAD, gh * cell + 2 * PAD);

        // The color of each cell: usize::MAX when empty, the group otherwise
        // (usize::MAX - 1 for an uncolored nonzero).
        const EMPTY: usize = usize::MAX;
        const PLAIN: usize = usize::MAX - 1;
        let mut grid = vec![EMPTY; gh * gw];
        for r in 0..m {
            let gr = rs.map(r);
            for &c in self.row(r) {
                let slot = &mut grid[gr * gw + cs.map(c)];
                if *slot == EMPTY {
                    *slot = match (colors, by) {
                        (None, _) => PLAIN,
                        (Some(k), ColorAxis::Columns) => k[c] % PALETTE.len(),
                        (Some(k), ColorAxis::Rows) => k[r] % PALETTE.len(),
                    };
                }
            }
        }

        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#
        );
        let _ = writeln!(svg, "<title>{}</title>", header(self));
        let _ = writeln!(svg, r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##);
        // One group per fill, so each square is a bare <rect>.
        let fills: Vec<(usize, &str)> = PALETTE
            .iter()
            .enumerate()
            .map(|(k, &f)| (k, f))
            .chain(std::iter::once((PLAIN, INK)))
            .collect();
        let mut by_fill: Vec<String> = vec![String::new(); fills.len()];
        for (k, &g) in grid.iter().enumerate() {
            if g == EMPTY {
                continue;
            }
            let slot = if g == PLAIN { PALETTE.len() } else { g };
            let (x, y) = (PAD + (k % gw) * cell, PAD + (k / gw) * cell);
            let _ = writeln!(
                by_fill[slot],
                r#"<rect x="{x}" y="{y}" width="{cell}" height="{cell}"/>"#
            );
        }
        for ((_, fill), rects) in fills.iter().zip(&by_fill) {
            if !rects.is_empty() {
                let _ = write!(svg, "<g fill=\"{fill}\">\n{rects}</g>\n");
            }
        }
        // A grid only when every entry has its own cell and cells are big enough.
        if rs.is_identity() && cs.is_identity() && cell >= 6 && m > 0 && n > 0 {
            let mut d = String::new();
            for i in 1..gh {
                let _ = write!(d, "M{} {}H{}", PAD, PAD + i * cell, PAD + gw * cell);
            }
            for j in 1..gw {
                let _ = write!(d, "M{} {}V{}", PAD + j * cell, PAD, PAD + gh * cell);
            }
            if !d.is_empty() {
                let _ = writeln!(
                    svg,
                    r##"<path d="{d}" stroke="#d9d9d9" stroke-width="1" fill="none"/>"##
                );
            }
        }
        let _ = writeln!(
            svg,
            r##"<rect x="{PAD}" y="{PAD}" width="{}" height="{}" fill="none" stroke="#222222" stroke-width="1.5"/>"##,
            gw * cell,
            gh * cell
        );
        svg.push_str("</svg>\n");
        svg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(s: &str, needle: &str) -> usize {
        s.matches(needle).count()
    }

    #[test]
    fn small_colored_columns() {
        // Tridiagonal 6 x 6 with the usual 3-coloring of its columns.
        let p = SparsityPattern::from_coordinates(
            6,
            6,
            (0..6usize).flat_map(|i| (i.saturating_sub(1)..(i + 2).min(6)).map(move |j| (i, j))),
        );
        let colors = [0, 1, 2, 0, 1, 2];
        let svg = p.to_svg(Some(&colors), ColorAxis::Columns);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("<title>6×6 SparsityPattern, 16 nonzeros (44.4%)</title>"));
        // One square per nonzero, in three groups, plus background and frame.
        assert_eq!(count(&svg, "<rect x="), 16 + 1);
        assert_eq!(count(&svg, "<g fill="), 3);
        assert!(svg.contains(PALETTE[0]) && svg.contains(PALETTE[2]) && !svg.contains(PALETTE[3]));
        assert!(svg.contains("<path d=\"M"));
        // Column 0 (color 0) holds rows 0 and 1: its group has exactly those squares.
        let g0 = svg
            .split(&format!("<g fill=\"{}\">", PALETTE[0]))
            .nth(1)
            .unwrap();
        let g0 = g0.split("</g>").next().unwrap();
        assert_eq!(count(g0, "<rect"), 2 + 3); // columns 0 and 3
    }

    #[test]
    fn rows_and_plain() {
        let p = SparsityPattern::from_coordinates(3, 2, [(0, 0), (1, 1), (2, 0)]);
        let svg = p.to_svg(Some(&[11, 0, 11]), ColorAxis::Rows);
        assert_eq!(count(&svg, &format!("<g fill=\"{}\">", PALETTE[1])), 1);
        let plain = p.to_svg(None, ColorAxis::Rows);
        assert_eq!(count(&plain, "<g fill="), 1);
        assert!(plain.contains(INK));
        let empty = SparsityPattern::empty(0, 0).to_svg(None, ColorAxis::Columns);
        assert!(empty.contains("</svg>"));
    }

    #[test]
    fn large_is_aggregated() {
        let n = 100_000;
        let p = SparsityPattern::from_coordinates(
            n,
            n,
            (0..n).flat_map(|i| (i.saturating_sub(1)..(i + 2).min(n)).map(move |j| (i, j))),
        );
        let colors: Vec<usize> = (0..n).map(|j| j % 3).collect();
        let svg = p.to_svg(Some(&colors), ColorAxis::Columns);
        let rects = count(&svg, "<rect x=");
        assert!(rects <= MAX_CELLS * MAX_CELLS);
        assert!(rects >= MAX_CELLS, "the diagonal is visible: {rects}");
        assert!(!svg.contains("<path"));
        assert!(svg.len() < 2_000_000);
    }

    #[test]
    #[should_panic(expected = "asd: to_svg got 2 colors for a pattern with 3 columns")]
    fn wrong_number_of_colors() {
        SparsityPattern::empty(2, 3).to_svg(Some(&[0, 1]), ColorAxis::Columns);
    }
}
