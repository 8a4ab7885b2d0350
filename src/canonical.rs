//! Canonical JSON written straight from a serializable value: the keys of
//! every object sorted, no whitespace, strings and numbers as serde_json
//! writes them. The bytes are those of turning the value into a
//! `serde_json::Value` (whose objects keep their keys sorted) and writing
//! that, without building the tree: hashes and derived ids depend on them,
//! and a test holds the two ways equal.
//!
//! Each object's fields are written to a scratch buffer as they come and
//! copied out in key order at its end.

use std::fmt;
use std::ops::Range;

use serde::ser::{self, Impossible, Serialize};

/// The canonical bytes of `value`.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Unsupported> {
    let mut out = Vec::with_capacity(512);
    value.serialize(Writer { out: &mut out })?;
    Ok(out)
}

/// A value with no canonical form here (tuple and struct variants, or map
/// keys that are not strings or integers), or a custom serializer's error.
#[derive(Debug)]
pub struct Unsupported(String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no canonical JSON for {}", self.0)
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Unsupported(msg.to_string())
    }
}

/// A scalar as serde_json writes it (into a `Vec`, which cannot fail).
fn scalar<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) -> Result<(), Unsupported> {
    serde_json::to_writer(out, v).map_err(|e| Unsupported(e.to_string()))
}

/// The `serialize_*` methods of scalars that serde_json writes as they are.
macro_rules! scalars {
    ($($method:ident: $t:ty),*) => {$(
        fn $method(self, v: $t) -> Result<(), Unsupported> {
            scalar(self.out, &v)
        }
    )*};
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    scalars!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_char: char
    );

    fn serialize_f32(self, v: f32) -> Result<(), Unsupported> {
        // As a `Value` holds it.
        scalar(self.out, &serde_json::Value::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Unsupported> {
        scalar(self.out, &serde_json::Value::from(v))
    }
    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        scalar(self.out, v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Unsupported> {
        scalar(self.out, v)
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Unsupported> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unsupported> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        scalar(self.out, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Unsupported> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Unsupported> {
        self.out.push(b'{');
        scalar(self.out, variant)?;
        self.out.push(b':');
        v.serialize(Writer {
            out: &mut *self.out,
        })?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a>, Unsupported> {
        self.out.push(b'[');
        Ok(Seq {
            out: self.out,
            first: true,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, Unsupported> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq<'a>, Unsupported> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported(format!("the tuple variant {name}::{variant}")))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Object<'a>, Unsupported> {
        Ok(Object::new(self.out, len.unwrap_or(8)))
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Object<'a>, Unsupported> {
        Ok(Object::new(self.out, len))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported(format!("the struct variant {name}::{variant}")))
    }
}

struct Seq<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Unsupported> {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        v.serialize(Writer {
            out: &mut *self.out,
        })
    }

    fn close(self) -> Result<(), Unsupported> {
        self.out.push(b']');
        Ok(())
    }
}

/// A list, a tuple and a tuple struct are all written as a JSON array.
macro_rules! array {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Seq<'_> {
            type Ok = ();
            type Error = Unsupported;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Unsupported> {
                self.element(v)
            }
            fn end(self) -> Result<(), Unsupported> {
                self.close()
            }
        }
    )*};
}

array!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

/// A key of an object being written, and where its value sits in `scratch`.
type Entry = (std::borrow::Cow<'static, str>, Range<usize>);

thread_local! {
    /// The buffers of objects written before, kept for the next ones: an
    /// event is a few nested objects, and an import writes millions.
    static SPARE: std::cell::RefCell<Vec<(Vec<u8>, Vec<Entry>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// How many pairs of buffers [`SPARE`] keeps, deeper than any event nests,
/// and the largest scratch buffer it keeps.
const SPARE_KEPT: usize = 16;
const SPARE_LARGEST: usize = 1 << 16;

/// An object being written: its keys, and where each value sits in
/// `scratch`.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    scratch: Vec<u8>,
    entries: Vec<Entry>,
    key: Option<String>,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut Vec<u8>, len: usize) -> Self {
        let (scratch, entries) = SPARE
            .with(|spare| spare.borrow_mut().pop())
            .unwrap_or_else(|| (Vec::with_capacity(64 * len), Vec::with_capacity(len)));
        Object {
            out,
            scratch,
            entries,
            key: None,
        }
    }

    fn entry<T: Serialize + ?Sized>(
        &mut self,
        key: std::borrow::Cow<'static, str>,
        v: &T,
    ) -> Result<(), Unsupported> {
        let start = self.scratch.len();
        v.serialize(Writer {
            out: &mut self.scratch,
        })?;
        self.entries.push((key, start..self.scratch.len()));
        Ok(())
    }

    fn close(mut self) -> Result<(), Unsupported> {
        // A key given twice keeps its last value, as in a map; the sort is
        // stable, so that one comes last among equals.
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
        self.out.push(b'{');
        let mut first = true;
        for (k, (key, range)) in self.entries.iter().enumerate() {
            if self.entries.get(k + 1).is_some_and(|next| next.0 == *key) {
                continue;
            }
            if !std::mem::take(&mut first) {
                self.out.push(b',');
            }
            scalar(self.out, key.as_ref())?;
            self.out.push(b':');
            self.out.extend_from_slice(&self.scratch[range.clone()]);
        }
        self.out.push(b'}');
        let (mut scratch, mut entries) = (self.scratch, self.entries);
        scratch.clear();
        entries.clear();
        SPARE.with(|spare| {
            let mut spare = spare.borrow_mut();
            if spare.len() < SPARE_KEPT && scratch.capacity() <= SPARE_LARGEST {
                spare.push((scratch, entries));
            }
        });
        Ok(())
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Unsupported> {
        self.entry(key.into(), v)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unsupported> {
        self.key = Some(map_key(key)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Unsupported> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Unsupported("a map value without its key".into()))?;
        self.entry(key.into(), v)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

/// A map key as serde_json writes it into a `Value`'s object (a string;
/// integers, and whatever else serde_json takes, turned into one), so that
/// keys sort and read exactly as the long way has them.
fn map_key<T: Serialize + ?Sized>(key: &T) -> Result<String, Unsupported> {
    struct Only<'a, T: ?Sized>(&'a T);
    impl<T: Serialize + ?Sized> Serialize for Only<'_, T> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(self.0, &())?;
            map.end()
        }
    }
    match serde_json::to_value(Only(key)) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .next()
            .map(|(k, _)| k)
            .ok_or_else(|| Unsupported("an empty map key".into())),
        Ok(_) => Err(Unsupported("a map key".into())),
        Err(e) => Err(Unsupported(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::to_vec;
    use serde::Serialize;
    use serde_json::{json, Value};

    /// The bytes of the long way: a `Value`, written.
    fn through_value<T: Serialize>(v: &T) -> Vec<u8> {
        serde_json::to_vec(&serde_json::to_value(v).unwrap()).unwrap()
    }

    #[test]
    fn values_of_every_kind_come_out_as_through_a_value() {
        let values = [
            json!(null),
            json!(true),
            json!(-17),
            json!(18446744073709551615u64),
            json!(1.5),
            json!(3.0),
            json!(-0.0),
            json!(1e300),
            json!("quote \" backslash \\ newline \n tab \t nul \u{0} é 漢 😀"),
            json!([]),
            json!({}),
            json!({"b": 1, "a": [2, {"d": null, "c": "x"}], "": {"z": [], "y": {}}}),
            json!({"B": 1, "a": 2, "_": 3, "é": 4, "e": 5, "10": 6, "9": 7}),
        ];
        for v in &values {
            assert_eq!(to_vec(v).unwrap(), through_value(v), "{v}");
        }
    }

    #[test]
    fn structs_enums_and_maps_are_sorted_as_through_a_value() {
        #[derive(Serialize)]
        #[serde(tag = "type", rename_all = "lowercase")]
        enum Tagged {
            Zebra { wide: u8, after: Option<String> },
        }
        #[derive(Serialize)]
        enum Outer {
            Wrapped(Vec<u8>),
            Plain,
        }
        #[derive(Serialize)]
        struct S {
            zulu: Tagged,
            alpha: Option<f64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            skipped: Option<u8>,
            mike: std::collections::BTreeMap<u32, Outer>,
            bravo: (u8, &'static str),
            nan: f64,
        }
        let mut mike = std::collections::BTreeMap::new();
        mike.insert(10, Outer::Wrapped(vec![1, 2]));
        mike.insert(9, Outer::Plain);
        let s = S {
            zulu: Tagged::Zebra {
                wide: 7,
                after: None,
            },
            alpha: Some(0.1),
            skipped: None,
            mike,
            bravo: (1, "x"),
            nan: f64::NAN,
        };
        let bytes = to_vec(&s).unwrap();
        assert_eq!(bytes, through_value(&s));
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.starts_with(r#"{"alpha":0.1,"bravo":[1,"x"],"mike":{"10":"#),
            "{text}"
        );
        assert!(
            text.ends_with(r#""zulu":{"after":null,"type":"zebra","wide":7}}"#),
            "{text}"
        );
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["nan"], Value::Null);
    }

    #[test]
    fn values_without_a_canonical_form_are_errors() {
        #[derive(Serialize)]
        enum E {
            Pair(u8, u8),
            Named { a: u8 },
        }
        assert!(to_vec(&E::Pair(1, 2)).is_err());
        assert!(to_vec(&E::Named { a: 1 }).is_err());
        let mut m = std::collections::BTreeMap::new();
        m.insert(vec![1u8], 1);
        assert!(to_vec(&m).is_err());
    }
}
