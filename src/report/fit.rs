//! Text tables that fit a terminal: the `compare` and `sweep` tables are laid out here.
//!
//! A table is label columns (repeated on every part) and value columns. When the table
//! is wider than the limit its value columns are split, in order, into as few stacked
//! parts as fit, each part repeating the labels: nothing is dropped or abbreviated, a
//! reader of a narrow terminal only scrolls down. With no limit (`--wide`) the table
//! is one part, one line per row, as wide as it needs (for `grep` and scripts).
//! Long specs in the header blocks are wrapped at commas or spaces with a hanging
//! indent ([`wrap`]); a single piece longer than a line (a long file name) still
//! overflows: it is never cut.

/// The width the terminal tables fit unless `--wide` is given.
pub const DEFAULT_WIDTH: usize = 100;

/// A width limit in columns, `None` for no limit (`--wide`).
pub type Width = Option<usize>;

/// Whether `line` is within `width`.
fn within(line: &str, width: Width) -> bool {
    width.is_none_or(|w| line.chars().count() <= w)
}

/// `text` after `first` (the first line's prefix), broken after any of `breaks` so
/// that each line fits `width`; later lines start with `indent` spaces. With no limit,
/// or when `text` fits, one line.
pub fn wrap(first: &str, indent: usize, text: &str, width: Width, breaks: &[char]) -> Vec<String> {
    let one = format!("{first}{text}");
    if within(&one, width) {
        return vec![one.trim_end().to_string()];
    }
    // Pieces: `text` cut after each break character.
    let mut pieces: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if breaks.contains(&c) {
            let end = i + c.len_utf8();
            pieces.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut empty = true; // nothing of `text` on `line` yet
    for p in pieces {
        let candidate = format!("{line}{p}");
        if empty || within(candidate.trim_end(), width) {
            line = candidate;
        } else {
            lines.push(line.trim_end().to_string());
            line = format!("{:indent$}{}", "", p.trim_start());
        }
        empty = false;
    }
    lines.push(line.trim_end().to_string());
    lines
}

/// A list of `(key, term, definition)` entries: keys in the first column (a key equal
/// to the entry above is left blank), terms in the second, definitions wrapped at
/// commas after them. A term longer than the second column (at most `TERM` wide)
/// has its definition start on the next line, so a long one does not squeeze it; such
/// a term wraps at spaces and commas itself.
pub fn deflist(entries: &[(String, String, String)], width: Width) -> Vec<String> {
    const TERM: usize = 24;
    let kw = entries
        .iter()
        .map(|e| e.0.chars().count())
        .max()
        .unwrap_or(0);
    let tw = entries
        .iter()
        .map(|e| e.1.chars().count())
        .filter(|&n| width.is_none() || n <= TERM)
        .max()
        .unwrap_or(0);
    let indent = 2 + kw + 2 + tw + 2;
    let mut out = Vec::new();
    let mut last_key: Option<&str> = None;
    for (key, term, def) in entries {
        let k = if last_key == Some(key.as_str()) {
            ""
        } else {
            key.as_str()
        };
        last_key = Some(key.as_str());
        if term.chars().count() > tw {
            let first = format!("  {k:<kw$}  ");
            out.extend(wrap(&first, kw + 6, term, width, &[' ', ',']));
            out.extend(wrap(&" ".repeat(indent), indent, def, width, &[',']));
        } else {
            let first = format!("  {k:<kw$}  {term:<tw$}  ");
            out.extend(wrap(&first, indent, def, width, &[',']));
        }
    }
    out
}

/// One column of a [`Table`].
#[derive(Clone, Debug, Default)]
pub struct Column {
    /// Heading lines, top to bottom; a column with fewer lines than another has blank
    /// lines on top (headings are bottom-aligned).
    pub head: Vec<String>,
    /// One cell per row.
    pub cells: Vec<String>,
    /// Right-aligned (numbers) or left-aligned (text).
    pub right: bool,
    /// Spaces before the column.
    pub gap: usize,
    /// Kept in the same part as the column before it (a number's change).
    pub joined: bool,
}

impl Column {
    /// A column of `cells` under `head`, two spaces from the one before.
    pub fn new(head: &[&str], cells: Vec<String>, right: bool) -> Column {
        Column {
            head: head.iter().map(|h| h.to_string()).collect(),
            cells,
            right,
            gap: 2,
            joined: false,
        }
    }

    fn width(&self) -> usize {
        self.head
            .iter()
            .chain(&self.cells)
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
    }
}

/// A table: label columns repeated on every part, value columns split into parts when
/// the table does not fit.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Printed in the first label column's last heading line; later parts say
    /// `(cont.)` after it.
    pub title: String,
    pub labels: Vec<Column>,
    pub values: Vec<Column>,
    /// A row with a note shows it instead of its values (a failed configuration).
    pub notes: Vec<Option<String>>,
}

impl Table {
    fn rows(&self) -> usize {
        self.labels.first().map_or(0, |c| c.cells.len())
    }

    /// The width of the label columns, the title included (with ` (cont.)` after it
    /// when `cont`: the table is split).
    fn label_width(&self, cont: bool) -> usize {
        let mut w = 0;
        for (i, c) in self.labels.iter().enumerate() {
            let mut cw = c.width();
            if i == 0 && !self.title.is_empty() {
                let suffix = if cont { " (cont.)".len() } else { 0 };
                cw = cw.max(self.title.chars().count() + suffix);
            }
            w += if i == 0 { 0 } else { c.gap } + cw;
        }
        w
    }

    /// The value columns in groups that stay together (a column and those joined to
    /// it), each with its width (gaps included; an empty column takes none).
    fn groups(&self) -> Vec<(Vec<usize>, usize)> {
        let mut groups: Vec<(Vec<usize>, usize)> = Vec::new();
        for (j, c) in self.values.iter().enumerate() {
            let w = match c.width() {
                0 => 0,
                n => c.gap + n,
            };
            match groups.last_mut() {
                Some((g, gw)) if c.joined => {
                    g.push(j);
                    *gw += w;
                }
                _ => groups.push((vec![j], w)),
            }
        }
        groups
    }

    /// Whether the labels and the widest group of value columns fit `width` (if not,
    /// even one column a part overflows: the caller should shorten the labels).
    pub fn fits(&self, width: Width) -> bool {
        let Some(w) = width else { return true };
        let widest = self.groups().iter().map(|g| g.1).max().unwrap_or(0);
        self.label_width(false) + widest <= w
    }

    /// The table as text: one part when it fits `width` (or there is no limit), else
    /// the fewest parts of about equal numbers of value columns that fit, one blank
    /// line between parts.
    pub fn render(&self, width: Width) -> String {
        let groups = self.groups();
        let parts = |k: usize| -> Vec<Vec<usize>> {
            // k contiguous parts, the first ones one group larger when uneven.
            let (n, mut at) = (groups.len(), 0);
            (0..k)
                .map(|p| {
                    let size = n / k + usize::from(p < n % k);
                    let part: Vec<usize> = groups[at..at + size]
                        .iter()
                        .flat_map(|g| g.0.iter().copied())
                        .collect();
                    at += size;
                    part
                })
                .collect()
        };
        let width_of = |lw: usize, part: &[usize]| -> usize {
            lw + groups
                .iter()
                .filter(|g| g.0.first().is_some_and(|j| part.contains(j)))
                .map(|g| g.1)
                .sum::<usize>()
        };
        let one = self.label_width(false);
        let (lw, split) = match width {
            Some(w) if width_of(one, &parts(1)[0]) > w => {
                let lw = self.label_width(true);
                let most = groups.len().max(1);
                let split = (2..=most)
                    .map(parts)
                    .find(|ps| ps.iter().all(|p| width_of(lw, p) <= w))
                    .unwrap_or_else(|| parts(most));
                (lw, split)
            }
            _ => (one, parts(1)),
        };
        let mut s = String::new();
        for (n, part) in split.iter().enumerate() {
            if n > 0 {
                s.push('\n');
            }
            self.render_part(&mut s, part, n > 0, lw, width);
        }
        s
    }

    /// One part: the labels and the value columns `part`.
    fn render_part(&self, s: &mut String, part: &[usize], cont: bool, lw: usize, width: Width) {
        let cols: Vec<&Column> = self
            .labels
            .iter()
            .chain(part.iter().map(|&j| &self.values[j]))
            .collect();
        let mut widths: Vec<usize> = cols.iter().map(|c| c.width()).collect();
        // The first label column takes the title; the labels together take `lw`.
        let nl = self.labels.len();
        if nl > 0 {
            let rest: usize = (1..nl).map(|i| cols[i].gap + widths[i]).sum();
            widths[0] = lw - rest;
        }
        let title = if cont && !self.title.is_empty() {
            format!("{} (cont.)", self.title)
        } else {
            self.title.clone()
        };
        let hl = cols.iter().map(|c| c.head.len()).max().unwrap_or(0).max(1);
        let cell = |line: &mut String, i: usize, text: &str| {
            let (c, w) = (cols[i], widths[i]);
            if w == 0 {
                return;
            }
            if i > 0 {
                line.push_str(&" ".repeat(c.gap));
            }
            if c.right {
                line.push_str(&format!("{text:>w$}"));
            } else {
                line.push_str(&format!("{text:<w$}"));
            }
        };
        for h in 0..hl {
            let mut line = String::new();
            for (i, c) in cols.iter().enumerate() {
                let pad = hl - c.head.len();
                let mut text = if h >= pad {
                    c.head[h - pad].as_str()
                } else {
                    ""
                };
                if i == 0 && h == hl - 1 && !title.is_empty() {
                    text = &title;
                }
                cell(&mut line, i, text);
            }
            s.push_str(line.trim_end());
            s.push('\n');
        }
        for r in 0..self.rows() {
            let mut line = String::new();
            for (i, c) in cols.iter().enumerate().take(nl) {
                cell(&mut line, i, c.cells.get(r).map_or("", String::as_str));
            }
            match self.notes.get(r).and_then(Option::as_ref) {
                Some(note) => {
                    let first = format!("{line}  ");
                    for l in wrap(&first, (lw + 2).min(40), note, width, &[' ']) {
                        s.push_str(&l);
                        s.push('\n');
                    }
                    continue;
                }
                None => {
                    for (i, c) in cols.iter().enumerate().skip(nl) {
                        cell(&mut line, i, c.cells.get(r).map_or("", String::as_str));
                    }
                }
            }
            s.push_str(line.trim_end());
            s.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(head: &str, cells: &[&str]) -> Column {
        Column::new(&[head], cells.iter().map(|c| c.to_string()).collect(), true)
    }

    #[test]
    fn wrap_breaks_after_commas_with_a_hanging_indent() {
        let got = wrap("  sync  ", 8, "a=1,bb=2,ccc=3", Some(17), &[',']);
        assert_eq!(got, ["  sync  a=1,bb=2,", "        ccc=3"]);
        // No limit: one line.
        let got = wrap("  sync  ", 8, "a=1,bb=2,ccc=3", None, &[',']);
        assert_eq!(got, ["  sync  a=1,bb=2,ccc=3"]);
        // A piece longer than the line overflows rather than being cut.
        let got = wrap("x ", 2, "abcdefghij", Some(5), &[',']);
        assert_eq!(got, ["x abcdefghij"]);
    }

    #[test]
    fn deflist_blanks_repeated_keys_and_puts_long_terms_alone() {
        let e = |k: &str, t: &str, d: &str| (k.to_string(), t.to_string(), d.to_string());
        let long = "x".repeat(30);
        let got = deflist(
            &[
                e("ra", "none", "none"),
                e("ra", "fixed", "fixed:pages=8"),
                e("sync", &long, "d"),
            ],
            Some(40),
        );
        assert_eq!(
            got,
            [
                "  ra    none   none",
                "        fixed  fixed:pages=8",
                &format!("  sync  {long}"),
                "               d",
            ]
        );
    }

    /// Four value columns of 2 + 5 beside a label column of 9 (`t (cont.)`): 37
    /// wide when split. A limit of 29 gives two parts of two columns (9 + 14 = 23
    /// each), the second titled `(cont.)`; no limit gives one line a row, the label
    /// column as wide as its widest label.
    #[test]
    fn a_table_too_wide_is_split_into_balanced_parts() {
        let t = Table {
            title: "t".into(),
            labels: vec![Column::new(&[], vec!["#0".into(), "#1".into()], false)],
            values: ["aaaaa", "bbbbb", "ccccc", "ddddd"]
                .iter()
                .map(|h| col(h, &["1", "22"]))
                .collect(),
            notes: vec![None, None],
        };
        let wide = t.render(None);
        assert_eq!(
            wide,
            "t   aaaaa  bbbbb  ccccc  ddddd\n\
             #0      1      1      1      1\n\
             #1     22     22     22     22\n"
        );
        let narrow = t.render(Some(29));
        assert_eq!(
            narrow,
            "t          aaaaa  bbbbb\n\
             #0             1      1\n\
             #1            22     22\n\
             \n\
             t (cont.)  ccccc  ddddd\n\
             #0             1      1\n\
             #1            22     22\n"
        );
        // The widest part fits from 9 + 7 = 16 columns; the labels alone (2 + 7 = 9)
        // decide whether one column a part can fit.
        assert_eq!(t.render(Some(16)).matches("(cont.)").count(), 3);
        assert!(t.fits(Some(9)) && !t.fits(Some(8)));
    }

    /// A change column joined to its number stays in the same part; a note replaces a
    /// row's values.
    #[test]
    fn joined_columns_stay_together_and_notes_replace_values() {
        let mut change = Column::new(&[], vec![String::new(), "(+1%)".into()], false);
        change.gap = 1;
        change.joined = true;
        let t = Table {
            title: String::new(),
            labels: vec![Column::new(&["id"], vec!["0".into(), "1".into()], true)],
            values: vec![col("v", &["5", "6"]), change, col("w", &["7", "8"])],
            notes: vec![None, Some("failed".into())],
        };
        assert_eq!(
            t.render(Some(12)),
            "id  v\n 0  5\n 1  failed\n\nid  w\n 0  7\n 1  failed\n"
        );
        assert_eq!(
            t.render(None),
            "id  v        w\n 0  5        7\n 1  failed\n"
        );
    }
}
