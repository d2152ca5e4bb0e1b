//! Results rows as JSON values, through serde: how `.json` results files are written
//! and read.

use super::{Cell, Row};
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// A cell is its JSON value: a number, a string, or null.
impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Int(i) => s.serialize_i64(*i),
            Cell::Float(f) => s.serialize_f64(*f),
            Cell::Str(t) => s.serialize_str(t),
            Cell::Null => s.serialize_unit(),
        }
    }
}

/// A JSON value as a cell: integers stay integers, other numbers are floats, a
/// boolean, list or object is its JSON text (results hold none of them).
impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        use serde_json::Value;
        Ok(match Value::deserialize(d)? {
            Value::Number(n) => match n.as_i64() {
                Some(i) => Cell::Int(i),
                None => Cell::Float(n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => Cell::Str(s),
            Value::Null => Cell::Null,
            other => Cell::Str(other.to_string()),
        })
    }
}

/// A row is a JSON object of its cells, in column order.
impl Serialize for Row {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.cells.len()))?;
        for (k, c) in &self.cells {
            m.serialize_entry(k, c)?;
        }
        m.end()
    }
}

/// A row from a JSON object: keys in file order, a repeated key's last value in its
/// first place, null cells left out (a null is an absent value).
impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Row, D::Error> {
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = Row;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a result row (an object of columns)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Row, A::Error> {
                let mut cells: Vec<(String, Cell)> = Vec::new();
                while let Some((k, c)) = m.next_entry::<String, Cell>()? {
                    match cells.iter_mut().find(|(name, _)| *name == k) {
                        Some(slot) => slot.1 = c,
                        None => cells.push((k, c)),
                    }
                }
                cells.retain(|(_, c)| *c != Cell::Null);
                Ok(Row { cells })
            }
        }
        d.deserialize_map(RowVisitor)
    }
}

/// A `.json` results file: an array of rows. An element that is not an object is
/// an empty row (it has no column to show), as it always was.
pub(super) struct RowsFile(pub(super) Vec<Row>);

impl<'de> Deserialize<'de> for RowsFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RowsFile, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Element {
            Row(Row),
            Other(IgnoredAny),
        }
        struct RowsVisitor;
        impl<'de> Visitor<'de> for RowsVisitor {
            type Value = RowsFile;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON array of result rows")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<RowsFile, A::Error> {
                let mut rows = Vec::new();
                while let Some(e) = s.next_element::<Element>()? {
                    rows.push(match e {
                        Element::Row(r) => r,
                        Element::Other(_) => Row::default(),
                    });
                }
                Ok(RowsFile(rows))
            }
        }
        d.deserialize_seq(RowsVisitor)
    }
}
