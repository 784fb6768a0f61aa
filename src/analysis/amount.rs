//! Money amounts as text, with thousands separators: the one formatting the analyses' own
//! sentences need (the decision summary's reasons). It lives here, below the presentation
//! layer that re-exports it (`presentation::format::money`), so that no analysis imports from
//! the layers above it.

pub fn money(x: f64) -> String {
    let rounded = x.round();
    let digits = format!("{:.0}", rounded.abs());
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if rounded < 0.0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}
