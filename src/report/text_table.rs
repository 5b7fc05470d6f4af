//! Tables for people, in the terminal or pasted into a document: the same
//! cells as aligned text columns or as a Markdown (GitHub) pipe table.
//! Cells arrive formatted (rounded for reading, error rates as
//! percentages); this module only lays them out.

use std::fmt::Write;

/// A header row and rows of cells; text columns are left-aligned, number
/// columns (`numeric`, one flag per column) right-aligned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub numeric: Vec<bool>,
}

impl TextTable {
    /// Aligned columns, two spaces apart, no trailing spaces.
    pub fn text(&self) -> String {
        let lines: Vec<&Vec<String>> = std::iter::once(&self.headers).chain(&self.rows).collect();
        let widths = self.widths();
        let mut out = String::new();
        for line in lines {
            let mut text = String::new();
            for (column, value) in line.iter().enumerate() {
                let pad = " ".repeat(widths[column] - value.chars().count());
                if self.is_numeric(column) {
                    let _ = write!(text, "{pad}{value}  ");
                } else {
                    let _ = write!(text, "{value}{pad}  ");
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        out
    }

    /// A Markdown pipe table: numbers right-aligned (`---:`), `|` in a
    /// cell escaped and a line break a `<br>` (a cell is one line), an
    /// empty cell left empty.
    pub fn markdown(&self) -> String {
        let row = |cells: &[String]| {
            let cells: Vec<String> = cells.iter().map(|cell| markdown_cell(cell)).collect();
            format!("| {} |\n", cells.join(" | ")).replace("|  |", "| |")
        };
        let mut out = row(&self.headers);
        let rule: Vec<String> = (0..self.headers.len())
            .map(|column| {
                if self.is_numeric(column) {
                    "---:".to_owned()
                } else {
                    "---".to_owned()
                }
            })
            .collect();
        out.push_str(&row(&rule));
        for cells in &self.rows {
            out.push_str(&row(cells));
        }
        out
    }

    fn is_numeric(&self, column: usize) -> bool {
        self.numeric.get(column).copied().unwrap_or(false)
    }

    fn widths(&self) -> Vec<usize> {
        let columns = std::iter::once(&self.headers)
            .chain(&self.rows)
            .map(Vec::len)
            .max()
            .unwrap_or(0);
        (0..columns)
            .map(|c| {
                std::iter::once(&self.headers)
                    .chain(&self.rows)
                    .filter_map(|l| l.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }
}

/// One cell's text inside a pipe table: `|` escaped, each line break
/// (`\r\n`, `\n` or `\r`) a `<br>`.
fn markdown_cell(cell: &str) -> String {
    cell.replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TextTable {
        TextTable {
            headers: vec!["station".into(), "p99 ms".into(), "errors".into()],
            rows: vec![
                vec!["web|a".into(), "12.5".into(), "0.100 %".into()],
                vec!["db".into(), "".into(), "12.000 %".into()],
            ],
            numeric: vec![false, true, true],
        }
    }

    #[test]
    fn text_aligns_text_left_and_numbers_right() {
        assert_eq!(
            sample().text(),
            "station  p99 ms    errors\nweb|a      12.5   0.100 %\ndb               12.000 %\n"
        );
    }

    #[test]
    fn markdown_is_a_pipe_table() {
        assert_eq!(
            sample().markdown(),
            "| station | p99 ms | errors |\n| --- | ---: | ---: |\n| web\\|a | 12.5 | 0.100 % |\n| db | | 12.000 % |\n"
        );
    }

    #[test]
    fn markdown_keeps_a_cell_on_one_line() {
        let table = TextTable {
            headers: vec!["variant".into(), "why".into()],
            rows: vec![vec!["a|b".into(), "one\ntwo\r\nthree\rfour".into()]],
            numeric: vec![false, false],
        };
        assert_eq!(
            table.markdown(),
            "| variant | why |\n| --- | --- |\n| a\\|b | one<br>two<br>three<br>four |\n"
        );
    }
}
