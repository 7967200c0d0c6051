//! The page's one JSON writer. serde builds a value's serializer once per writer type: the
//! decoder's report pieces, share links, the JSON export and the report the page publishes each
//! had their own, so the page's module (which holds the decoder too) carried the report's
//! serializer three times. Everything that writes JSON in the page goes through
//! `&mut dyn Write` instead, and the bytes are serde_json's compact ones as before.

use std::io::Write;

use serde::Serialize;

/// `serde_json::to_writer` through the one writer type.
pub fn to_writer<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> serde_json::Result<()> {
    serde_json::to_writer(out, value)
}

/// `serde_json::to_vec`, through [`to_writer`].
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    to_writer(&mut out, value)?;
    Ok(out)
}

/// `serde_json::to_string`, through [`to_writer`].
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    // serde_json writes UTF-8 only; the bytes become the String without a copy.
    to_vec(value).map(|bytes| {
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn writes_what_serde_json_writes() {
        let value = serde_json::json!({"a": [1, 2.5, null], "b": "é \"q\""});
        assert_eq!(
            super::to_string(&value).unwrap(),
            serde_json::to_string(&value).unwrap()
        );
    }
}
