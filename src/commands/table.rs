//! Plain aligned tables and key/value listings for human output. Every cell is escaped for the
//! terminal ([`crate::terminal::escape`]): task names, file names and messages come from
//! producers.

use serde_json::Value;

use crate::terminal::escape;

/// Renders `rows` under `headers` with columns padded to their widest cell, control characters
/// escaped.
pub(crate) fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| escape(cell)).collect())
        .collect();
    let mut widths: Vec<usize> = headers
        .iter()
        .map(|header| header.chars().count())
        .collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = vec![line(headers.to_vec())];
    out.extend(
        rows.iter()
            .map(|row| line(row.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

/// Renders a JSON object as `key: value` lines (nested objects as compact JSON).
pub(crate) fn key_values(value: &Value) -> String {
    let Some(object) = value.as_object() else {
        return value.to_string();
    };
    let width = object.keys().map(|key| key.len()).max().unwrap_or(0);
    object
        .iter()
        .map(|(key, value)| format!("{:<width$}  {}", escape(key), cell(value)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A JSON value as a table cell: strings bare (control characters escaped), null as `-`, the
/// rest as compact JSON.
pub(crate) fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(text) => escape(text),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned_to_the_widest_cell() {
        let table = render(
            &["id", "status"],
            &[
                vec!["1".into(), "complete".into()],
                vec!["22".into(), "failed".into()],
            ],
        );
        assert_eq!(table, "id  status\n1   complete\n22  failed");
    }

    #[test]
    fn control_characters_in_cells_are_escaped() {
        let table = render(&["task"], &[vec!["evil\u{1b}[31m".into()]]);
        assert_eq!(table, "task\nevil\\u{1b}[31m");
        let text = key_values(&serde_json::json!({"filename": "a\u{7}b"}));
        assert_eq!(text, "filename  a\\u{7}b");
    }

    #[test]
    fn null_values_show_as_dashes() {
        let text = key_values(&serde_json::json!({"id": 3, "error_message": null}));
        assert_eq!(text, "id             3\nerror_message  -");
    }
}
