//! `wasi:http/types.fields`: headers and trailers, with the interface's rules of immutability,
//! the names a guest may not set, and a limit on their total size.

use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::bindings::wasi::http::types::HeaderError;

/// The most bytes (names and values) one `fields` may hold, as in wasmtime (128 KiB).
pub const MAX_FIELDS_SIZE: usize = 128 << 10;

/// Header names a guest may never set: the hop-by-hop headers, which belong to one connection
/// and which the host's HTTP stack writes itself, and `host`, which an outgoing request takes
/// from its authority.
pub const FORBIDDEN: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "host",
    "http2-settings",
    "te",
];

/// `wasi:http/types.fields`. A guest's own `fields` (made by `new`, `from-list` or `clone`)
/// are mutable; those the host hands out (a request's or response's headers, trailers) are
/// not, and refuse every change with `header-error.immutable`.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    map: HeaderMap,
    mutable: bool,
    /// The bytes of all names and values.
    size: usize,
}

/// The size a field counts for against [`MAX_FIELDS_SIZE`].
fn field_size(name: &HeaderName, value: &HeaderValue) -> usize {
    name.as_str().len() + value.len()
}

impl Fields {
    /// An empty, mutable `fields`.
    pub fn new() -> Fields {
        Fields {
            map: HeaderMap::new(),
            mutable: true,
            size: 0,
        }
    }

    /// The `fields` the host hands a guest for `map` (immutable).
    pub fn immutable(map: HeaderMap) -> Fields {
        let size = map.iter().map(|(n, v)| field_size(n, v)).sum();
        Fields {
            map,
            mutable: false,
            size,
        }
    }

    /// The same fields, mutable (`clone`).
    pub fn to_mutable(&self) -> Fields {
        Fields {
            mutable: true,
            ..self.clone()
        }
    }

    /// The headers, to send.
    pub fn into_map(self) -> HeaderMap {
        self.map
    }

    /// The headers.
    pub fn map(&self) -> &HeaderMap {
        &self.map
    }

    /// Whether a guest may change these fields.
    pub fn is_mutable(&self) -> bool {
        self.mutable
    }

    /// Checks a name a guest gave.
    fn name(name: &str) -> Result<HeaderName, HeaderError> {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| HeaderError::InvalidSyntax)?;
        if FORBIDDEN.contains(&name.as_str()) {
            return Err(HeaderError::Forbidden);
        }
        Ok(name)
    }

    /// Checks a value a guest gave.
    fn value(value: &[u8]) -> Result<HeaderValue, HeaderError> {
        HeaderValue::from_bytes(value).map_err(|_| HeaderError::InvalidSyntax)
    }

    fn check_mutable(&self) -> Result<(), HeaderError> {
        if self.mutable {
            Ok(())
        } else {
            Err(HeaderError::Immutable)
        }
    }

    /// `from-list`: every entry checked, then appended in order.
    pub fn from_list(entries: Vec<(String, Vec<u8>)>) -> Result<Fields, HeaderError> {
        let mut fields = Fields::new();
        for (name, value) in entries {
            fields.append(&name, &value)?;
        }
        Ok(fields)
    }

    /// `get`: the values of `name`, in order; none for a name that is not valid.
    pub fn get(&self, name: &str) -> Vec<Vec<u8>> {
        match HeaderName::from_bytes(name.as_bytes()) {
            Ok(name) => self
                .map
                .get_all(&name)
                .iter()
                .map(|v| v.as_bytes().to_vec())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// `has`.
    pub fn has(&self, name: &str) -> bool {
        HeaderName::from_bytes(name.as_bytes()).is_ok_and(|n| self.map.contains_key(&n))
    }

    /// `set`: replaces every value of `name`.
    pub fn set(&mut self, name: &str, values: &[Vec<u8>]) -> Result<(), HeaderError> {
        self.check_mutable()?;
        let name = Fields::name(name)?;
        let values = values
            .iter()
            .map(|v| Fields::value(v))
            .collect::<Result<Vec<_>, _>>()?;
        let old: usize = self
            .map
            .get_all(&name)
            .iter()
            .map(|v| field_size(&name, v))
            .sum();
        let new: usize = values.iter().map(|v| field_size(&name, v)).sum();
        if self.size - old + new > MAX_FIELDS_SIZE {
            return Err(HeaderError::Forbidden);
        }
        self.map.remove(&name);
        for v in values {
            self.map.append(name.clone(), v);
        }
        self.size = self.size - old + new;
        Ok(())
    }

    /// `delete`.
    pub fn delete(&mut self, name: &str) -> Result<(), HeaderError> {
        self.check_mutable()?;
        let name = Fields::name(name)?;
        let gone: usize = self
            .map
            .get_all(&name)
            .iter()
            .map(|v| field_size(&name, v))
            .sum();
        self.map.remove(&name);
        self.size -= gone;
        Ok(())
    }

    /// `append`: one more value for `name`. Past [`MAX_FIELDS_SIZE`] in all, `forbidden`.
    pub fn append(&mut self, name: &str, value: &[u8]) -> Result<(), HeaderError> {
        self.check_mutable()?;
        let name = Fields::name(name)?;
        let value = Fields::value(value)?;
        let size = field_size(&name, &value);
        if self.size + size > MAX_FIELDS_SIZE {
            return Err(HeaderError::Forbidden);
        }
        self.map.append(name, value);
        self.size += size;
        Ok(())
    }

    /// `entries`: every name with each of its values.
    pub fn entries(&self) -> Vec<(String, Vec<u8>)> {
        self.map
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let mut f = Fields::new();
        assert_eq!(f.append("X-One", b"1"), Ok(()));
        assert_eq!(f.append("x-one", b"2"), Ok(()));
        assert_eq!(f.get("X-ONE"), vec![b"1".to_vec(), b"2".to_vec()]);
        assert_eq!(f.set("x-one", &[b"3".to_vec()]), Ok(()));
        assert_eq!(f.get("x-one"), vec![b"3".to_vec()]);
        assert_eq!(f.append("bad name", b"1"), Err(HeaderError::InvalidSyntax));
        assert_eq!(
            f.append("x-ok", b"bad\nvalue"),
            Err(HeaderError::InvalidSyntax)
        );
        assert_eq!(
            f.append("Connection", b"close"),
            Err(HeaderError::Forbidden)
        );
        assert_eq!(
            f.append("host", b"example.com"),
            Err(HeaderError::Forbidden)
        );
        assert!(f.has("x-one"));
        assert_eq!(f.delete("x-one"), Ok(()));
        assert!(!f.has("x-one"));
        assert_eq!(f.size, 0);

        let frozen = Fields::immutable(f.to_mutable().into_map());
        let mut frozen2 = frozen.clone();
        assert_eq!(frozen2.append("x-two", b"2"), Err(HeaderError::Immutable));
        assert_eq!(frozen2.delete("x-two"), Err(HeaderError::Immutable));
        assert!(frozen.to_mutable().append("x-two", b"2").is_ok());
    }

    #[test]
    fn size_limit() {
        let mut f = Fields::new();
        let big = vec![b'a'; 60 << 10];
        assert_eq!(f.append("x-a", &big), Ok(()));
        assert_eq!(f.append("x-b", &big), Ok(()));
        assert_eq!(f.append("x-c", &big), Err(HeaderError::Forbidden));
        assert_eq!(
            f.set("x-b", &[big.clone(), big.clone()]),
            Err(HeaderError::Forbidden)
        );
        assert_eq!(f.set("x-b", &[b"small".to_vec()]), Ok(()));
        assert_eq!(f.append("x-c", &big), Ok(()));
    }
}
