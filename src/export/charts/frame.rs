//! The parts every chart shares: the root `<svg>` element (the contract with the HTML page),
//! the heading and note, the legend, and axes with tick labels and grid lines.
//!
//! All markup is written with maud, which escapes every interpolated value, so a strategy or
//! input name from a scenario file can never become markup. Empty elements are written as
//! `circle … {}` (an explicit end tag) rather than maud's `circle;`, which would print an
//! HTML void tag and make the SVG invalid XML.

use super::scale::{Linear, num, text_width};
use maud::{Markup, html};

/// Fonts the rasteriser finds on a typical Linux, Windows or macOS system, in that order.
pub const FONT: &str = "DejaVu Sans, Liberation Sans, Arial, sans-serif";
pub const INK: &str = "#222222";
pub const MUTED: &str = "#5f5f5f";
pub const GRID: &str = "#e4e4e4";
pub const AXIS: &str = "#8a8a8a";
pub const WIDTH: f64 = 760.0;
/// Font sizes: heading, axis titles, tick labels and legends, small notes.
pub const HEADING: f64 = 16.0;
pub const LABEL: f64 = 12.0;
pub const SMALL: f64 = 11.0;

/// The plotting area in pixels.
#[derive(Debug, Clone, Copy)]
pub struct Plot {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

/// The root element: `class="chart"`, `data-chart` and an accessible `<title>` as the HTML
/// page expects, a white background so the file reads the same on any page or slide.
pub fn document(id: &str, title: &str, height: f64, body: Markup) -> String {
    let title_id = format!("{id}-title");
    let view_box = format!("0 0 {} {}", num(WIDTH), num(height));
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart=(id) viewBox=(view_box)
            width=(num(WIDTH)) height=(num(height)) role="img" aria-labelledby=(title_id)
            font-family=(FONT) font-size=(num(SMALL)) fill=(INK) {
            title id=(title_id) { (title) }
            rect class="background" width=(num(WIDTH)) height=(num(height)) fill="#ffffff" {}
            (body)
        }
    }
    .into_string()
}

/// What a legend entry shows beside its text.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    /// A line (dashed or not), for series drawn as lines.
    Line { colour: &'static str, dashed: bool },
    /// A filled square, for bars and areas.
    Block(&'static str),
    /// A dot, for markers and scattered points.
    Dot(&'static str),
}

pub struct Entry {
    /// The strategy the entry belongs to (then it hides with the strategy's series).
    pub strategy: Option<usize>,
    pub swatch: Swatch,
    pub text: String,
}

impl Entry {
    pub fn new(strategy: Option<usize>, swatch: Swatch, text: impl Into<String>) -> Self {
        Entry {
            strategy,
            swatch,
            text: text.into(),
        }
    }
}

const SWATCH: f64 = 18.0;
const ENTRY_GAP: f64 = 18.0;
const LEGEND_ROW: f64 = 18.0;

/// The heading, an optional note under it and the legend, flowing into as many rows as the
/// width needs. Returns the markup and the y where the plot may start.
pub fn header(title: &str, note: &str, entries: &[Entry]) -> (Markup, f64) {
    let left = 16.0;
    let right = WIDTH - 16.0;
    let mut rows: Vec<Vec<(f64, &Entry)>> = vec![Vec::new()];
    let mut x = left;
    for entry in entries {
        let width = SWATCH + 6.0 + text_width(&entry.text, SMALL);
        if x > left && x + width > right {
            rows.push(Vec::new());
            x = left;
        }
        if let Some(row) = rows.last_mut() {
            row.push((x, entry));
        }
        x += width + ENTRY_GAP;
    }
    let note_y = 44.0;
    let legend_y = if note.is_empty() { 48.0 } else { 64.0 };
    let rows_used = rows.iter().filter(|r| !r.is_empty()).count();
    let bottom = legend_y + rows_used as f64 * LEGEND_ROW;
    let markup = html! {
        text class="chart-heading" x=(num(left)) y="26" font-size=(num(HEADING)) font-weight="bold" {
            (title)
        }
        @if !note.is_empty() {
            text class="chart-note" x=(num(left)) y=(num(note_y)) fill=(MUTED) { (note) }
        }
        g class="legend" {
            @for (r, row) in rows.iter().enumerate() {
                @for (x, entry) in row {
                    @let y = legend_y + r as f64 * LEGEND_ROW;
                    @if let Some(k) = entry.strategy {
                        g class="strategy" data-strategy=(k) { (legend_entry(*x, y, entry)) }
                    } @else {
                        (legend_entry(*x, y, entry))
                    }
                }
            }
        }
    };
    (markup, bottom + 8.0)
}

fn legend_entry(x: f64, y: f64, entry: &Entry) -> Markup {
    let middle = y - 4.0;
    html! {
        @match entry.swatch {
            Swatch::Line { colour, dashed } => {
                line x1=(num(x)) y1=(num(middle)) x2=(num(x + SWATCH)) y2=(num(middle))
                    stroke=(colour) stroke-width="2.5"
                    stroke-dasharray=[dashed.then_some("5 3")] {}
            }
            Swatch::Block(colour) => {
                rect x=(num(x + 3.0)) y=(num(middle - 6.0)) width="12" height="12" fill=(colour) {}
            }
            Swatch::Dot(colour) => {
                circle cx=(num(x + SWATCH / 2.0)) cy=(num(middle)) r="4.5" fill=(colour) {}
            }
        }
        text x=(num(x + SWATCH + 6.0)) y=(num(y)) { (entry.text) }
    }
}

/// An axis: its scale, the ticks with their labels, and its title.
pub struct Axis {
    pub scale: Linear,
    pub ticks: Vec<(f64, String)>,
    pub title: String,
}

impl Axis {
    /// The ticks inside the scale's domain (a tick beyond it would sit over other labels).
    fn visible_ticks(&self) -> impl Iterator<Item = &(f64, String)> {
        let (a, b) = self.scale.domain;
        let slack = 1e-9 * (b - a).abs();
        let (lo, hi) = (a.min(b) - slack, a.max(b) + slack);
        self.ticks
            .iter()
            .filter(move |(v, _)| (lo..=hi).contains(v))
    }
}

/// A horizontal axis along the plot's bottom, with vertical grid lines when `grid`.
pub fn x_axis(plot: &Plot, axis: &Axis, grid: bool) -> Markup {
    html! {
        g class="axis x-axis" {
            @for (value, label) in axis.visible_ticks() {
                @let x = num(axis.scale.map(*value));
                @if grid {
                    line x1=(x) y1=(num(plot.top)) x2=(x) y2=(num(plot.bottom)) stroke=(GRID) {}
                }
                line x1=(x) y1=(num(plot.bottom)) x2=(x) y2=(num(plot.bottom + 5.0)) stroke=(AXIS) {}
                text x=(x) y=(num(plot.bottom + 18.0)) text-anchor="middle" fill=(MUTED) { (label) }
            }
            line x1=(num(plot.left)) y1=(num(plot.bottom)) x2=(num(plot.right)) y2=(num(plot.bottom))
                stroke=(AXIS) {}
            text x=(num((plot.left + plot.right) / 2.0)) y=(num(plot.bottom + 38.0))
                text-anchor="middle" font-size=(num(LABEL)) { (axis.title) }
        }
    }
}

/// A vertical axis along the plot's left, with horizontal grid lines when `grid`; the title
/// runs up the left edge.
pub fn y_axis(plot: &Plot, axis: &Axis, grid: bool) -> Markup {
    let title_x = 18.0;
    let title_y = (plot.top + plot.bottom) / 2.0;
    let rotate = format!("rotate(-90 {} {})", num(title_x), num(title_y));
    html! {
        g class="axis y-axis" {
            @for (value, label) in axis.visible_ticks() {
                @let y = num(axis.scale.map(*value));
                @if grid {
                    line x1=(num(plot.left)) y1=(y) x2=(num(plot.right)) y2=(y) stroke=(GRID) {}
                }
                line x1=(num(plot.left - 5.0)) y1=(y) x2=(num(plot.left)) y2=(y) stroke=(AXIS) {}
                text x=(num(plot.left - 8.0)) y=(y) dy="0.35em" text-anchor="end" fill=(MUTED) {
                    (label)
                }
            }
            line x1=(num(plot.left)) y1=(num(plot.top)) x2=(num(plot.left)) y2=(num(plot.bottom))
                stroke=(AXIS) {}
            text x=(num(title_x)) y=(num(title_y)) transform=(rotate) text-anchor="middle"
                font-size=(num(LABEL)) { (axis.title) }
        }
    }
}

/// A dashed reference line with a label at its end (zero line, P50/P80 guides, cost line).
pub struct Guide<'a> {
    pub from: (f64, f64),
    pub to: (f64, f64),
    pub label: &'a str,
    /// Where the label goes and how it is anchored: (x, y, `start`/`middle`/`end`).
    pub label_at: (f64, f64, &'static str),
}

pub fn guide(g: &Guide) -> Markup {
    html! {
        g class="guide" {
            line x1=(num(g.from.0)) y1=(num(g.from.1)) x2=(num(g.to.0)) y2=(num(g.to.1))
                stroke=(MUTED) stroke-width="1" stroke-dasharray="4 3" {}
            @if !g.label.is_empty() {
                (halo_text(g.label_at.0, g.label_at.1, g.label_at.2, MUTED, g.label))
            }
        }
    }
}

/// Text with a white outline, legible over grid lines and series.
pub fn halo_text(x: f64, y: f64, anchor: &str, colour: &str, text: &str) -> Markup {
    html! {
        text x=(num(x)) y=(num(y)) text-anchor=(anchor) fill=(colour) stroke="#ffffff"
            stroke-width="3" stroke-linejoin="round" paint-order="stroke" { (text) }
    }
}
