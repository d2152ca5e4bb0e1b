//! A serde serializer that flattens a value into `a.b.c` cells: how a report's typed
//! value becomes a results row and a CSV line without going through JSON text.
//!
//! The column names are the JSON object's keys joined with dots, in the same order,
//! because it is the same `Serialize` impl; numbers stay numbers, strings stay
//! strings. The serializer says it is not human-readable, so a value the JSON shows as
//! text for compatibility (`"lat_ns": "80000"`) can give the row its number.

use super::results::Cell;
use serde::ser::{self, Impossible, Serialize};

/// Why a value could not be flattened (a map key that is not a string or a number,
/// raw bytes): the types vpsim serializes have neither.
#[derive(Debug, thiserror::Error)]
#[error("flattening a report: {0}")]
pub struct FlatError(String);

impl ser::Error for FlatError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        FlatError(msg.to_string())
    }
}

/// `v` as `(dotted key, cell)` pairs, in serialization order.
///
/// Leaves: integers are [`Cell::Int`] (a `u64` past `i64::MAX` a [`Cell::Float`]),
/// finite floats [`Cell::Float`], strings and enum variants [`Cell::Str`], booleans
/// the text `true`/`false` (as results have always held them), `None`, unit and
/// non-finite floats (JSON `null`) [`Cell::Null`]. A sequence is one text cell, its
/// elements joined with `; `. An empty object gives no cell.
pub fn cells<T: Serialize + ?Sized>(v: &T) -> Result<Vec<(String, Cell)>, FlatError> {
    let mut out = Vec::new();
    v.serialize(Flattener {
        prefix: String::new(),
        out: &mut out,
    })?;
    Ok(out)
}

/// The CSV text of a flattened cell: the JSON text of the same value (so `replay
/// --format csv` and the JSON agree digit for digit), `null` for a null.
pub fn text(c: &Cell) -> String {
    match c {
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) => serde_json::Value::from(*f).to_string(),
        Cell::Str(s) => s.clone(),
        Cell::Null => "null".into(),
    }
}

struct Flattener<'a> {
    prefix: String,
    out: &'a mut Vec<(String, Cell)>,
}

impl Flattener<'_> {
    fn leaf(self, c: Cell) -> Result<(), FlatError> {
        self.out.push((self.prefix, c));
        Ok(())
    }

    fn child(&mut self, key: &str) -> Flattener<'_> {
        let prefix = if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        };
        Flattener {
            prefix,
            out: self.out,
        }
    }
}

impl<'a> ser::Serializer for Flattener<'a> {
    type Ok = ();
    type Error = FlatError;
    type SerializeSeq = Joined<'a>;
    type SerializeTuple = Joined<'a>;
    type SerializeTupleStruct = Joined<'a>;
    type SerializeTupleVariant = Joined<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, v: bool) -> Result<(), FlatError> {
        self.leaf(Cell::Str(v.to_string()))
    }
    fn serialize_i8(self, v: i8) -> Result<(), FlatError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), FlatError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), FlatError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), FlatError> {
        self.leaf(Cell::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<(), FlatError> {
        self.serialize_i64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), FlatError> {
        self.serialize_i64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), FlatError> {
        self.serialize_i64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), FlatError> {
        match i64::try_from(v) {
            Ok(i) => self.leaf(Cell::Int(i)),
            Err(_) => self.leaf(Cell::Float(v as f64)),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<(), FlatError> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), FlatError> {
        self.leaf(if v.is_finite() {
            Cell::Float(v)
        } else {
            Cell::Null
        })
    }
    fn serialize_char(self, v: char) -> Result<(), FlatError> {
        self.leaf(Cell::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<(), FlatError> {
        self.leaf(Cell::Str(v.to_string()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), FlatError> {
        Err(ser::Error::custom("raw bytes have no cell"))
    }
    fn serialize_none(self) -> Result<(), FlatError> {
        self.leaf(Cell::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), FlatError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), FlatError> {
        self.leaf(Cell::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), FlatError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), FlatError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), FlatError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), FlatError> {
        v.serialize(self.child(variant))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Joined<'a>, FlatError> {
        Ok(Joined {
            at: self,
            items: Vec::new(),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Joined<'a>, FlatError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Joined<'a>, FlatError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Joined<'a>, FlatError> {
        let prefix = self.child(variant).prefix;
        Flattener { prefix, ..self }.serialize_seq(Some(len))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Object<'a>, FlatError> {
        Ok(Object {
            at: self,
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Object<'a>, FlatError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Object<'a>, FlatError> {
        let prefix = self.child(variant).prefix;
        Flattener { prefix, ..self }.serialize_map(Some(len))
    }
}

/// A sequence: one text cell, each element as its JSON text (a string unquoted),
/// joined with `; ` — readable in a spreadsheet cell, and what the CSV always held.
pub struct Joined<'a> {
    at: Flattener<'a>,
    items: Vec<String>,
}

impl Joined<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), FlatError> {
        let j = serde_json::to_value(v).map_err(ser::Error::custom)?;
        self.items
            .push(j.as_str().map_or_else(|| j.to_string(), str::to_string));
        Ok(())
    }

    fn finish(self) -> Result<(), FlatError> {
        self.at.leaf(Cell::Str(self.items.join("; ")))
    }
}

impl ser::SerializeSeq for Joined<'_> {
    type Ok = ();
    type Error = FlatError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), FlatError> {
        self.push(v)
    }
    fn end(self) -> Result<(), FlatError> {
        self.finish()
    }
}

impl ser::SerializeTuple for Joined<'_> {
    type Ok = ();
    type Error = FlatError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), FlatError> {
        self.push(v)
    }
    fn end(self) -> Result<(), FlatError> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Joined<'_> {
    type Ok = ();
    type Error = FlatError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), FlatError> {
        self.push(v)
    }
    fn end(self) -> Result<(), FlatError> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Joined<'_> {
    type Ok = ();
    type Error = FlatError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), FlatError> {
        self.push(v)
    }
    fn end(self) -> Result<(), FlatError> {
        self.finish()
    }
}

/// An object: each entry flattened under `prefix.key`.
pub struct Object<'a> {
    at: Flattener<'a>,
    /// The key of a map entry whose value comes next.
    key: Option<String>,
}

impl Object<'_> {
    fn entry<T: Serialize + ?Sized>(&mut self, key: &str, v: &T) -> Result<(), FlatError> {
        v.serialize(self.at.child(key))
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = FlatError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), FlatError> {
        self.key = Some(k.serialize(KeyText)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), FlatError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| <FlatError as ser::Error>::custom("a map value without a key"))?;
        self.entry(&key, v)
    }
    fn end(self) -> Result<(), FlatError> {
        Ok(())
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = FlatError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), FlatError> {
        self.entry(key, v)
    }
    fn end(self) -> Result<(), FlatError> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Object<'_> {
    type Ok = ();
    type Error = FlatError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), FlatError> {
        self.entry(key, v)
    }
    fn end(self) -> Result<(), FlatError> {
        Ok(())
    }
}

/// A map key as text: strings as they are, numbers and unit variants by their text
/// (what JSON does with them).
struct KeyText;

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = FlatError;
    type SerializeSeq = Impossible<String, FlatError>;
    type SerializeTuple = Impossible<String, FlatError>;
    type SerializeTupleStruct = Impossible<String, FlatError>;
    type SerializeTupleVariant = Impossible<String, FlatError>;
    type SerializeMap = Impossible<String, FlatError>;
    type SerializeStruct = Impossible<String, FlatError>;
    type SerializeStructVariant = Impossible<String, FlatError>;

    fn serialize_str(self, v: &str) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_char(self, v: char) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_bool(self, v: bool) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _: f32) -> Result<String, FlatError> {
        Err(key_error())
    }
    fn serialize_f64(self, _: f64) -> Result<String, FlatError> {
        Err(key_error())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, FlatError> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<String, FlatError> {
        Err(key_error())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<String, FlatError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, FlatError> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, FlatError> {
        Err(key_error())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, FlatError> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<String, FlatError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, FlatError> {
        Err(key_error())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, FlatError> {
        Err(key_error())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, FlatError> {
        Err(key_error())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, FlatError> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, FlatError> {
        Err(key_error())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, FlatError> {
        Err(key_error())
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, FlatError> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, FlatError> {
        Err(key_error())
    }
}

fn key_error() -> FlatError {
    FlatError("a map key must be a string or an integer".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Inner {
        n: u64,
        mean: f64,
        nan: f64,
        tag: Option<String>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Ssd,
    }

    #[derive(Serialize)]
    struct Outer {
        path: &'static str,
        ok: bool,
        kind: Kind,
        inner: Inner,
        empty: std::collections::BTreeMap<String, u64>,
        big: u64,
        warnings: Vec<&'static str>,
    }

    /// Integers stay integers, floats floats (even a whole one), strings strings;
    /// NaN and None are null, booleans their text, a list one joined text cell, an
    /// empty object no cell; keys are dotted paths in field order.
    #[test]
    fn leaves_keep_their_types() {
        let v = Outer {
            path: "123",
            ok: false,
            kind: Kind::Ssd,
            inner: Inner {
                n: 7,
                mean: 12.0,
                nan: f64::NAN,
                tag: None,
            },
            empty: Default::default(),
            big: u64::MAX,
            warnings: vec!["a", "b"],
        };
        let got = cells(&v).unwrap();
        let want = vec![
            ("path", Cell::Str("123".into())),
            ("ok", Cell::Str("false".into())),
            ("kind", Cell::Str("ssd".into())),
            ("inner.n", Cell::Int(7)),
            ("inner.mean", Cell::Float(12.0)),
            ("inner.nan", Cell::Null),
            ("inner.tag", Cell::Null),
            ("big", Cell::Float(u64::MAX as f64)),
            ("warnings", Cell::Str("a; b".into())),
        ];
        let got: Vec<(&str, Cell)> = got.iter().map(|(k, c)| (k.as_str(), c.clone())).collect();
        assert_eq!(got, want);
    }

    /// The CSV text of a cell is the JSON text of the value.
    #[test]
    fn text_is_the_json_text() {
        assert_eq!(text(&Cell::Float(12.0)), "12.0");
        assert_eq!(text(&Cell::Float(1e-7)), "1e-7");
        assert_eq!(text(&Cell::Float(2.5)), "2.5");
        assert_eq!(text(&Cell::Int(-3)), "-3");
        assert_eq!(text(&Cell::Null), "null");
        assert_eq!(text(&Cell::Str("x,y".into())), "x,y");
    }
}
