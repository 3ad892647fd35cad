//! The ratios as an SVG bar chart: one group per workload, gocsp/Go and gocsp/crossbeam on a
//! log scale, with the line at 1x (parity) and a tick at each goal.

use plotters::prelude::*;

use crate::report::Row;
use crate::suite::Goal;

const GO_COLOR: RGBColor = RGBColor(0, 125, 156);
const CB_COLOR: RGBColor = RGBColor(222, 165, 132);
const GOAL_COLOR: RGBColor = RGBColor(200, 30, 30);

/// Draws the ratios of `rows` into an SVG file at `path`.
pub fn draw(path: &std::path::Path, rows: &[Row], subtitle: &str) -> Result<(), String> {
    let bars: Vec<(&Row, Option<f64>, Option<f64>)> = rows
        .iter()
        .map(|r| {
            let cb = match r.workload.goal {
                Goal::AtMostBytes(_) => None,
                _ => r.ratio_crossbeam(),
            };
            (r, r.ratio_go(), cb)
        })
        .filter(|(_, a, b)| a.is_some() || b.is_some())
        .collect();
    let n = bars.len().max(1);
    let (lo, hi) = bars
        .iter()
        .flat_map(|(_, a, b)| [*a, *b])
        .flatten()
        .fold((0.5f64, 2.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let range = (lo / 1.5).max(1e-3)..(hi * 1.5);

    let height = 120 + 46 * n as u32;
    let root = SVGBackend::new(path, (1000, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let titled = root
        .titled(
            "gocsp time ratios (lower is better; 1x = parity)",
            ("sans-serif", 20),
        )
        .map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&titled)
        .margin(12)
        .margin_top(40)
        .x_label_area_size(40)
        .y_label_area_size(200)
        .caption(subtitle, ("sans-serif", 12))
        .build_cartesian_2d(range.clone().log_scale(), 0f64..n as f64)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc("ratio (log scale)")
        .x_label_formatter(&|x| format!("{x}x"))
        .draw()
        .map_err(|e| e.to_string())?;

    let x0 = range.start;
    for (i, (row, go, cb)) in bars.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        let (_, py) = chart.backend_coord(&(range.start, y + 0.5));
        root.draw(&Text::new(
            row.workload.key.to_string(),
            (14, py - 7),
            ("sans-serif", 13),
        ))
        .map_err(|e| e.to_string())?;
        if let Some(v) = go {
            chart
                .draw_series([Rectangle::new(
                    [(x0, y + 0.52), (*v, y + 0.86)],
                    GO_COLOR.filled(),
                )])
                .map_err(|e| e.to_string())?;
            let (px, py) = chart.backend_coord(&(*v, y + 0.86));
            root.draw(&Text::new(
                crate::report::format_ratio(Some(*v)),
                (px + 4, py),
                ("sans-serif", 11),
            ))
            .map_err(|e| e.to_string())?;
        }
        if let Some(v) = cb {
            chart
                .draw_series([Rectangle::new(
                    [(x0, y + 0.14), (*v, y + 0.48)],
                    CB_COLOR.filled(),
                )])
                .map_err(|e| e.to_string())?;
            let (px, py) = chart.backend_coord(&(*v, y + 0.48));
            root.draw(&Text::new(
                crate::report::format_ratio(Some(*v)),
                (px + 4, py),
                ("sans-serif", 11),
            ))
            .map_err(|e| e.to_string())?;
        }
        let goal = match row.workload.goal {
            Goal::TimesGo(k) | Goal::MainRoundTrip(k) => Some((k, y + 0.5..y + 0.9)),
            Goal::AtMostCrossbeam => Some((1.0, y + 0.1..y + 0.5)),
            _ => None,
        };
        if let Some((k, span)) = goal {
            chart
                .draw_series([PathElement::new(
                    [(k, span.start), (k, span.end)],
                    GOAL_COLOR.stroke_width(3),
                )])
                .map_err(|e| e.to_string())?;
        }
    }
    chart
        .draw_series([PathElement::new([(1.0, 0.0), (1.0, n as f64)], BLACK)])
        .map_err(|e| e.to_string())?;

    // Legend, drawn by hand so that it needs no series.
    for (j, (label, color)) in [
        ("gocsp / Go", GO_COLOR),
        ("gocsp / crossbeam", CB_COLOR),
        ("goal", GOAL_COLOR),
    ]
    .into_iter()
    .enumerate()
    {
        let x = 260 + 190 * j as i32;
        let y = 44;
        root.draw(&Rectangle::new(
            [(x, y - 6), (x + 24, y + 6)],
            color.filled(),
        ))
        .map_err(|e| e.to_string())?;
        root.draw(&Text::new(label, (x + 30, y - 7), ("sans-serif", 13)))
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}
