//! The README's pictures are real output and stay so: the spy plot pasted in the README
//! is `println!("{prep}")` of the Brusselator Jacobian on a 4 x 4 grid, and
//! `docs/coloring.svg` is that Jacobian's pattern colored by the column coloring of a
//! preparation of every entry (the default one colors only the varying entries).
//! `ASD_BLESS=1 cargo test --test docs_pictures` rewrites the SVG after a deliberate
//! change (the README block is pasted by hand from the failure message).

mod problems;

use asd::ColorAxis;
use problems::{brusselator_jacobian_prepare, brusselator_jacobian_prepare_with, point};

const GRID: usize = 4;
const SVG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/coloring.svg");
const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");

fn prep() -> asd::JacobianPrep {
    brusselator_jacobian_prepare(&point(2 * GRID * GRID), GRID)
}

#[test]
fn the_readme_shows_the_real_spy_plot() {
    let shown = prep().to_string();
    let readme = std::fs::read_to_string(README).expect("README.md");
    assert!(
        readme.contains(&shown),
        "README.md no longer shows the output of `println!(\"{{prep}}\")`; paste:\n{shown}"
    );
}

#[test]
fn docs_coloring_svg_is_the_real_coloring() {
    let every_entry = asd::JacobianOptions::default().with_constant_entries(false);
    let prep = brusselator_jacobian_prepare_with(&point(2 * GRID * GRID), GRID, &every_entry);
    assert_eq!(prep.ncolors(), 8);
    let svg = prep
        .pattern()
        .to_svg(Some(prep.colors()), ColorAxis::Columns);
    assert!(svg.starts_with("<svg") && svg.contains("<rect"));
    if std::env::var_os("ASD_BLESS").is_some() {
        std::fs::write(SVG, &svg).expect("write docs/coloring.svg");
    }
    let committed = std::fs::read_to_string(SVG).expect("docs/coloring.svg");
    assert!(
        committed == svg,
        "docs/coloring.svg is stale: rerun with ASD_BLESS=1"
    );
}
