//! The report workbook's native Excel charts and the `Data` sheet they draw from, as an @RISK
//! or Crystal Ball user expects them: the S-curves (cumulative distributions) of the cost
//! overrun and of the NPV per strategy, the tornado of the recommended strategy's NPV, the
//! efficient frontier of mitigation spend with the scenario's strategies on it, and the failure
//! causes beside the CRM Forum survey.
//!
//! The figures are the report's chart data ([`Presentation`]), not computed again: the overrun
//! S-curve is the sketch's quantiles at 0.5 % steps; the NPV curve is the running sum of the
//! NPV histogram's shares at its upper bin edges (P(NPV < edge), exact up to the sketch's bucket
//! resolution; the last bin, which also holds the trials beyond it, is left out). Each block of
//! the `Data` sheet is a titled table of numbers side by side, and each chart series refers to
//! its cells, so a user can restyle the charts or reuse the numbers.

use super::{Book, column, io_error, unit_header, write_number, write_text};
use crate::analysis::presentation::Presentation;
use crate::analysis::report::Unit;
use rust_xlsxwriter as xl;
use std::io::Result;

/// Data rows start below a block's title and header.
const FIRST_ROW: u32 = 2;
/// Chart size in pixels, and the grid of the `Charts` sheet (default cells are 64 × 20 px).
const CHART_WIDTH: u32 = 640;
const CHART_HEIGHT: u32 = 380;
const CHART_COLUMNS: [u16; 2] = [0, 11];
const CHART_ROW_STEP: u32 = 21;

/// Build the `Charts` sheet now (the next tab) and return the `Data` sheet it refers to, to be
/// added later with [`Book::push`] (so that the data come after the sheets a client reads).
pub(super) fn charts(book: &mut Book, p: &Presentation) -> Result<xl::Worksheet> {
    let data_name = book.reserve("Data");
    let mut data = Data::new(&data_name)?;
    let currency = p.report.run.currency.as_str();
    let mut charts: Vec<xl::Chart> = Vec::new();
    let mut notes: Vec<String> = Vec::new();

    charts.push(overrun_curves(&mut data, p)?);
    charts.push(npv_curves(&mut data, p, currency)?);
    match tornado(&mut data, p, currency)? {
        Some(chart) => charts.push(chart),
        None => notes.push("No tornado: no input moves the NPV.".into()),
    }
    match frontier(&mut data, p, currency)? {
        Some(chart) => charts.push(chart),
        None => notes.push(
            "No efficient frontier: the scenario has no mitigations, or it was left out.".into(),
        ),
    }
    if let Some(chart) = causes(&mut data, p)? {
        charts.push(chart);
    }
    data.sheet
        .set_freeze_panes(FIRST_ROW, 0)
        .map_err(io_error)?;

    let sheet = book.worksheet("Charts")?;
    write_text(
        sheet,
        (0, 0),
        &format!("Charts — their figures are on the sheet {data_name}"),
        Some(&xl::Format::new().set_bold().set_font_size(12)),
    )?;
    for (k, note) in notes.iter().enumerate() {
        write_text(sheet, (1 + k as u32, 0), note, None)?;
    }
    let top = 1 + notes.len() as u32 + 1;
    for (k, chart) in charts.iter_mut().enumerate() {
        chart.set_width(CHART_WIDTH).set_height(CHART_HEIGHT);
        let row = top + (k / 2) as u32 * CHART_ROW_STEP;
        let col = CHART_COLUMNS[k % 2];
        sheet.insert_chart(row, col, chart).map_err(io_error)?;
    }
    Ok(data.sheet)
}

/// The `Data` sheet being filled: blocks side by side, one empty column between them.
struct Data {
    sheet: xl::Worksheet,
    name: String,
    next_col: u16,
    title: xl::Format,
    header: xl::Format,
    percent: xl::Format,
    money: xl::Format,
}

impl Data {
    fn new(name: &str) -> Result<Data> {
        let mut sheet = xl::Worksheet::new();
        sheet.set_name(name).map_err(io_error)?;
        Ok(Data {
            sheet,
            name: name.to_string(),
            next_col: 0,
            title: xl::Format::new().set_bold(),
            header: xl::Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(xl::FormatAlign::Top)
                .set_border_bottom(xl::FormatBorder::Thin),
            percent: xl::Format::new().set_num_format("0.0%"),
            money: xl::Format::new().set_num_format("#,##0"),
        })
    }

    /// Start a block: its title and column headers; returns its first column.
    fn block(&mut self, title: &str, header: &[String], widths: &[f64]) -> Result<u16> {
        let first = self.next_col;
        write_text(&mut self.sheet, (0, first), title, Some(&self.title))?;
        for (k, text) in header.iter().enumerate() {
            let col = first + column(k)?;
            write_text(&mut self.sheet, (1, col), text, Some(&self.header))?;
            let width = widths.get(k).or(widths.last()).copied().unwrap_or(12.0);
            self.sheet.set_column_width(col, width).map_err(io_error)?;
        }
        self.sheet.set_row_height(1, 45).map_err(io_error)?;
        self.next_col = first + column(header.len() + 1)?;
        Ok(first)
    }

    fn number(&mut self, row: u32, col: u16, x: f64, unit: Unit) -> Result<()> {
        let format = match unit {
            Unit::Money => &self.money,
            Unit::Probability | Unit::Fraction => &self.percent,
            _ => &self.money,
        };
        write_number(&mut self.sheet, (row, col), x, format)
    }

    fn text(&mut self, row: u32, col: u16, text: &str) -> Result<()> {
        write_text(&mut self.sheet, (row, col), text, None)
    }

    /// A column's cells `rows` (data rows, counted from 0) as a chart range.
    fn range(&self, col: u16, rows: usize) -> (&str, u32, u16, u32, u16) {
        let last = FIRST_ROW + rows.max(1) as u32 - 1;
        (self.name.as_str(), FIRST_ROW, col, last, col)
    }

    /// A header cell, to name a series.
    fn header_cell(&self, col: u16) -> (&str, u32, u16) {
        (self.name.as_str(), 1, col)
    }
}

/// A chart with a title, axis names and number formats, the legend below.
fn chart(kind: xl::ChartType, title: &str, x: (&str, &str), y: (&str, &str)) -> xl::Chart {
    let mut chart = xl::Chart::new(kind);
    chart.title().set_name(title);
    chart.x_axis().set_name(x.0).set_num_format(x.1);
    chart.y_axis().set_name(y.0).set_num_format(y.1);
    chart.legend().set_position(xl::ChartLegendPosition::Bottom);
    chart
}

/// Per strategy, the cumulative probability against the cost overrun.
fn overrun_curves(data: &mut Data, p: &Presentation) -> Result<xl::Chart> {
    let mut header = vec!["probability of not exceeding".to_string()];
    header.extend(
        p.distributions
            .iter()
            .map(|d| format!("cost overrun: {}", d.name)),
    );
    let first = data.block(
        "Cost overrun S-curves (share of the budget)",
        &header,
        &[12.0, 14.0],
    )?;
    let levels: Vec<f64> = p
        .distributions
        .first()
        .map(|d| d.overrun.points.iter().map(|&(_, level)| level).collect())
        .unwrap_or_default();
    for (r, &level) in levels.iter().enumerate() {
        data.number(FIRST_ROW + r as u32, first, level, Unit::Probability)?;
    }
    let mut chart = chart(
        xl::ChartType::ScatterStraight,
        "Cost overrun: probability of not exceeding (S-curve)",
        ("Cost overrun (share of the budget)", "0%"),
        ("Probability of not exceeding", "0%"),
    );
    probability_axis(&mut chart);
    for (s, d) in p.distributions.iter().enumerate() {
        let col = first + column(s + 1)?;
        for (r, &(x, _)) in d.overrun.points.iter().enumerate() {
            data.number(FIRST_ROW + r as u32, col, x, Unit::Fraction)?;
        }
        chart
            .add_series()
            .set_name(data.header_cell(col))
            .set_categories(data.range(col, d.overrun.points.len()))
            .set_values(data.range(first, levels.len()));
    }
    Ok(chart)
}

/// Per strategy, P(NPV < x) at the NPV histogram's upper bin edges.
fn npv_curves(data: &mut Data, p: &Presentation, currency: &str) -> Result<xl::Chart> {
    let npv_label = format!("NPV ({currency})");
    let mut header = vec![npv_label.clone()];
    header.extend(
        p.distributions
            .iter()
            .map(|d| format!("P(NPV below): {}", d.name)),
    );
    let first = data.block("NPV cumulative distributions", &header, &[14.0, 14.0])?;
    let edges: Vec<f64> = p
        .distributions
        .first()
        .map(|d| npv_points(&d.npv.edges, &d.npv.shares).0)
        .unwrap_or_default();
    for (r, &x) in edges.iter().enumerate() {
        data.number(FIRST_ROW + r as u32, first, x, Unit::Money)?;
    }
    let mut chart = chart(
        xl::ChartType::ScatterStraight,
        "NPV: probability of falling below (S-curve)",
        (&npv_label, "#,##0"),
        ("Probability of a lower NPV", "0%"),
    );
    probability_axis(&mut chart);
    for (s, d) in p.distributions.iter().enumerate() {
        let col = first + column(s + 1)?;
        let (_, cumulative) = npv_points(&d.npv.edges, &d.npv.shares);
        for (r, &y) in cumulative.iter().enumerate() {
            data.number(FIRST_ROW + r as u32, col, y, Unit::Probability)?;
        }
        chart
            .add_series()
            .set_name(data.header_cell(col))
            .set_categories(data.range(first, edges.len()))
            .set_values(data.range(col, cumulative.len()));
    }
    Ok(chart)
}

/// The S-curve through a histogram: each upper bin edge but the last, with the share of the
/// trials below it (the bins share their edges across strategies).
pub(super) fn npv_points(edges: &[f64], shares: &[f64]) -> (Vec<f64>, Vec<f64>) {
    // Histograms have one more edge than shares; anything else has no curve.
    let inner = shares.len().saturating_sub(1);
    if inner == 0 || edges.len() != shares.len() + 1 {
        return (Vec::new(), Vec::new());
    }
    let mut total = 0.0;
    let cumulative = shares[..inner]
        .iter()
        .map(|share| {
            total += share;
            total
        })
        .collect();
    (edges[1..=inner].to_vec(), cumulative)
}

fn probability_axis(chart: &mut xl::Chart) {
    chart.y_axis().set_min(0.0).set_max(1.0).set_major_unit(0.2);
}

/// The tornado: per input the NPV at its low and at its high setting, the bars drawn from the
/// NPV with every input free (the value axis crosses there), largest swing on top.
fn tornado(data: &mut Data, p: &Presentation, currency: &str) -> Result<Option<xl::Chart>> {
    let Some(t) = &p.tornado else {
        return Ok(None);
    };
    let label = unit_header(&t.metric_label, t.unit, currency);
    let header = [
        "input".to_string(),
        "factor ruled out (input at its P10)".to_string(),
        "factor certain (input at its P90)".to_string(),
        "swing |high − low|".to_string(),
        "every input free".to_string(),
    ];
    let first = data.block(
        &format!("Tornado: {label} under {}", t.strategy),
        &header,
        &[28.0, 16.0],
    )?;
    for (r, bar) in t.bars.iter().enumerate() {
        let row = FIRST_ROW + r as u32;
        data.text(row, first, &bar.input)?;
        data.number(row, first + 1, bar.low, t.unit)?;
        data.number(row, first + 2, bar.high, t.unit)?;
        data.number(row, first + 3, (bar.high - bar.low).abs(), t.unit)?;
        data.number(row, first + 4, t.base, t.unit)?;
    }
    let number_format = if t.unit == Unit::Money { "#,##0" } else { "0%" };
    let mut chart = chart(
        xl::ChartType::Bar,
        &format!("What moves the {} under {}", t.metric_label, t.strategy),
        (&label, number_format),
        ("", "General"),
    );
    let rows = t.bars.len();
    for col in [first + 1, first + 2] {
        chart
            .add_series()
            .set_name(data.header_cell(col))
            .set_categories(data.range(first, rows))
            .set_values(data.range(col, rows))
            .set_overlap(100)
            .set_gap(40);
    }
    // For a bar chart the x axis is the horizontal value axis: the bars start where the
    // category axis crosses it, at the output with every input free.
    chart
        .x_axis()
        .set_crossing(xl::ChartAxisCrossing::AxisValue(t.base));
    chart
        .y_axis()
        .set_reverse()
        .set_label_position(xl::ChartAxisLabelPosition::Low);
    Ok(Some(chart))
}

/// The efficient frontier (a line through the efficient subsets) and the scenario's strategies
/// as labelled points on the same axes.
fn frontier(data: &mut Data, p: &Presentation, currency: &str) -> Result<Option<xl::Chart>> {
    let Some(f) = &p.frontier else {
        return Ok(None);
    };
    // The report's frontier is of the expected NPV; a probability objective reads as a share.
    let unit = if f.objective_label.starts_with("P(") {
        Unit::Probability
    } else {
        Unit::Money
    };
    let objective = unit_header(&f.objective_label, unit, currency);
    let spend = format!("expected mitigation spend ({currency})");
    let header = [
        spend.clone(),
        format!("{objective}: efficient subset"),
        "95 % low".to_string(),
        "95 % high".to_string(),
        "mitigations".to_string(),
    ];
    let points = data.block(
        "Efficient frontier",
        &header,
        &[14.0, 16.0, 14.0, 14.0, 40.0],
    )?;
    for (r, point) in f.points.iter().enumerate() {
        let row = FIRST_ROW + r as u32;
        data.number(row, points, point.spend, Unit::Money)?;
        data.number(row, points + 1, point.value.value, unit)?;
        data.number(row, points + 2, point.value.low, unit)?;
        data.number(row, points + 3, point.value.high, unit)?;
        let names = if point.mitigations.is_empty() {
            "none".to_string()
        } else {
            point.mitigations.join(", ")
        };
        data.text(row, points + 4, &names)?;
    }
    let header = [
        "strategy".to_string(),
        spend.clone(),
        format!("{objective}: strategy"),
        "95 % low".to_string(),
        "95 % high".to_string(),
    ];
    let strategies = data.block(
        "The scenario's strategies on the frontier's axes",
        &header,
        &[28.0, 14.0, 16.0, 14.0],
    )?;
    for (r, s) in f.strategies.iter().enumerate() {
        let row = FIRST_ROW + r as u32;
        data.text(row, strategies, &s.name)?;
        data.number(row, strategies + 1, s.spend, Unit::Money)?;
        data.number(row, strategies + 2, s.value.value, unit)?;
        data.number(row, strategies + 3, s.value.low, unit)?;
        data.number(row, strategies + 4, s.value.high, unit)?;
    }
    let value_format = if unit == Unit::Money { "#,##0" } else { "0%" };
    let mut chart = chart(
        xl::ChartType::ScatterStraightWithMarkers,
        &format!(
            "Efficient frontier: mitigation spend against {}",
            f.objective_label
        ),
        (&spend, "#,##0"),
        (&objective, value_format),
    );
    chart
        .add_series()
        .set_name(data.header_cell(points + 1))
        .set_categories(data.range(points, f.points.len()))
        .set_values(data.range(points + 1, f.points.len()));
    let labels: Vec<xl::ChartDataLabel> = (0..f.strategies.len())
        .map(|r| {
            xl::ChartDataLabel::new()
                .set_value((data.name.as_str(), FIRST_ROW + r as u32, strategies))
                .set_position(xl::ChartDataLabelPosition::Right)
                .to_custom()
        })
        .collect();
    chart
        .add_series()
        .set_name(data.header_cell(strategies + 2))
        .set_categories(data.range(strategies + 1, f.strategies.len()))
        .set_values(data.range(strategies + 2, f.strategies.len()))
        .set_format(xl::ChartFormat::new().set_no_line())
        .set_marker(
            xl::ChartMarker::new()
                .set_type(xl::ChartMarkerType::Diamond)
                .set_size(9),
        )
        .set_custom_data_labels(&labels);
    Ok(Some(chart))
}

/// The model's failure causes by survey group, for the baseline and the recommended strategy,
/// beside the CRM Forum survey's shares.
fn causes(data: &mut Data, p: &Presentation) -> Result<Option<xl::Chart>> {
    if p.survey.is_empty() {
        return Ok(None);
    }
    let name = |recommended: bool| {
        p.distributions
            .iter()
            .find(|d| {
                if recommended {
                    d.recommended
                } else {
                    d.baseline
                }
            })
            .map_or(String::new(), |d| d.name.clone())
    };
    let header = [
        "cause group".to_string(),
        "CRM Forum survey (2001)".to_string(),
        format!("model: {}", name(false)),
        format!("model: {}", name(true)),
        "survey source".to_string(),
    ];
    let first = data.block(
        "Causes of missed objectives: share by cause group",
        &header,
        &[28.0, 14.0, 14.0, 14.0, 40.0],
    )?;
    for (r, s) in p.survey.iter().enumerate() {
        let row = FIRST_ROW + r as u32;
        data.text(row, first, &s.label)?;
        if let Some(x) = s.survey {
            data.number(row, first + 1, x, Unit::Probability)?;
        }
        data.number(row, first + 2, s.baseline.value, Unit::Probability)?;
        data.number(row, first + 3, s.recommended.value, Unit::Probability)?;
        data.text(row, first + 4, s.source.as_deref().unwrap_or_default())?;
    }
    let mut chart = chart(
        xl::ChartType::Bar,
        "Causes of missed objectives: the model beside the CRM Forum survey",
        ("Share of missed objectives", "0%"),
        ("", "General"),
    );
    let rows = p.survey.len();
    for col in [first + 1, first + 2, first + 3] {
        chart
            .add_series()
            .set_name(data.header_cell(col))
            .set_categories(data.range(first, rows))
            .set_values(data.range(col, rows));
    }
    chart.y_axis().set_reverse();
    Ok(Some(chart))
}

#[cfg(test)]
mod tests {
    use super::npv_points;

    #[test]
    fn the_npv_curve_sums_the_histogram_below_each_inner_edge() {
        let edges = [0.0, 1.0, 2.0, 3.0, 4.0];
        let shares = [0.1, 0.2, 0.3, 0.4];
        let (x, y) = npv_points(&edges, &shares);
        assert_eq!(x, [1.0, 2.0, 3.0]);
        let want = [0.1, 0.3, 0.6];
        assert!(
            y.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
            "{y:?}"
        );
    }
}
