//! A `multipart/form-data` body (RFC 7578) for AET uploads.
//!
//! Written here because the only well-kept encoders live inside HTTP clients (reqwest's
//! streams its own body, which the signer could not see); this one produces the exact bytes
//! sent, with a boundary from an injectable source.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{AetError, MultipartError};

enum Part {
    Text {
        name: String,
        value: String,
    },
    File {
        name: String,
        filename: String,
        content_type: String,
        data: Bytes,
    },
}

/// A multipart form: text fields and files.
///
/// ```
/// use sigil_aet::Multipart;
/// let form = Multipart::new().text("kind", "passport").file("file", "scan.png", "image/png", &b"\x89PNG"[..]);
/// let (content_type, body) = form.encode("XyZ").unwrap();
/// assert_eq!(content_type, "multipart/form-data; boundary=XyZ");
/// assert!(body.starts_with(b"--XyZ\r\ncontent-disposition: form-data; name=\"kind\"\r\n\r\npassport\r\n"));
/// assert!(body.ends_with(b"\r\n--XyZ--\r\n"));
/// ```
#[derive(Default)]
pub struct Multipart {
    parts: Vec<Part>,
}

impl std::fmt::Debug for Multipart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Multipart")
            .field("parts", &self.parts.len())
            .finish()
    }
}

/// `"value"`, for a name or file name in `content-disposition`.
fn quoted(field: &'static str, value: &str) -> Result<String, MultipartError> {
    if value.contains('"') || value.chars().any(char::is_control) {
        return Err(MultipartError::UnsafeHeaderText { field });
    }
    Ok(format!("\"{value}\""))
}

/// A part's content type: no line break or control character (quoted parameters such as
/// `charset="utf-8"` are fine there).
fn content_type_of(value: &str) -> Result<&str, MultipartError> {
    if value.chars().any(char::is_control) {
        return Err(MultipartError::UnsafeHeaderText {
            field: "content type",
        });
    }
    Ok(value)
}

impl Multipart {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part::Text {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    /// Adds a file.
    pub fn file(
        mut self,
        name: impl Into<String>,
        filename: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        self.parts.push(Part::File {
            name: name.into(),
            filename: filename.into(),
            content_type: content_type.into(),
            data: data.into(),
        });
        self
    }

    /// The `content-type` header and the body, with `boundary`. The boundary must not occur
    /// in any part (a random UUID, as the client uses, never does in practice; it is checked).
    pub fn encode(&self, boundary: &str) -> Result<(String, Bytes), AetError> {
        Ok(self.encode_form(boundary)?)
    }

    fn encode_form(&self, boundary: &str) -> Result<(String, Bytes), MultipartError> {
        if boundary.is_empty() || boundary.len() > 70 {
            return Err(MultipartError::Boundary);
        }
        let delimiter = format!("--{boundary}");
        let mut body = BytesMut::new();
        for part in &self.parts {
            body.put_slice(delimiter.as_bytes());
            body.put_slice(b"\r\n");
            let content: &[u8] = match part {
                Part::Text { name, value } => {
                    body.put_slice(
                        format!(
                            "content-disposition: form-data; name={}\r\n\r\n",
                            quoted("name", name)?
                        )
                        .as_bytes(),
                    );
                    value.as_bytes()
                }
                Part::File {
                    name,
                    filename,
                    content_type,
                    data,
                } => {
                    body.put_slice(
                        format!(
                            "content-disposition: form-data; name={}; filename={}\r\ncontent-type: {}\r\n\r\n",
                            quoted("name", name)?,
                            quoted("filename", filename)?,
                            content_type_of(content_type)?
                        )
                        .as_bytes(),
                    );
                    data
                }
            };
            if content
                .windows(delimiter.len())
                .any(|w| w == delimiter.as_bytes())
            {
                return Err(MultipartError::BoundaryInPart);
            }
            body.put_slice(content);
            body.put_slice(b"\r\n");
        }
        body.put_slice(delimiter.as_bytes());
        body.put_slice(b"--\r\n");
        Ok((
            format!("multipart/form-data; boundary={boundary}"),
            body.freeze(),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn header_text_that_could_break_out_is_refused_without_quoting_it() {
        let file = |name: &str, filename: &str, content_type: &str| {
            Multipart::new()
                .file(name, filename, content_type, &b"x"[..])
                .encode("b")
        };
        for (form, field) in [
            (file("f\r\nx-evil: 1", "a.png", "image/png"), "name"),
            (file("f", "a\".png", "image/png"), "filename"),
            (file("f", "a\n.png", "image/png"), "filename"),
            (file("f", "a.png", "image/png\r\nx-evil: 1"), "content type"),
            (file("f", "a.png", "image/png\n"), "content type"),
            (Multipart::new().text("a\"b", "v").encode("b"), "name"),
        ] {
            let err = form.unwrap_err();
            assert_eq!(
                err,
                AetError::Multipart(MultipartError::UnsafeHeaderText { field })
            );
            assert!(!err.to_string().contains("evil") && !err.to_string().contains(".png"));
        }
        // A quoted parameter in a content type is fine.
        assert!(file("f", "a.txt", "text/plain; charset=\"utf-8\"").is_ok());
        assert_eq!(
            Multipart::new().encode("").unwrap_err(),
            AetError::Multipart(MultipartError::Boundary)
        );
        assert_eq!(
            Multipart::new().text("a", "--b").encode("b").unwrap_err(),
            AetError::Multipart(MultipartError::BoundaryInPart)
        );
    }
}
