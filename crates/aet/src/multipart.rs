//! A `multipart/form-data` body (RFC 7578) for AET uploads.
//!
//! Written here because the only well-kept encoders live inside HTTP clients (reqwest's
//! streams its own body, which the signer could not see); this one produces the exact bytes
//! sent, with a boundary from an injectable source.

use bytes::{BufMut, Bytes, BytesMut};

use crate::AetError;

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

fn quoted(value: &str) -> Result<String, AetError> {
    if value.contains(['"', '\r', '\n']) {
        return Err(AetError::InvalidRequest(format!(
            "multipart names cannot contain quotes or line breaks: {value:?}"
        )));
    }
    Ok(format!("\"{value}\""))
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
        if boundary.is_empty() || boundary.len() > 70 {
            return Err(AetError::InvalidRequest(
                "a multipart boundary has 1 to 70 characters".into(),
            ));
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
                            quoted(name)?
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
                            "content-disposition: form-data; name={}; filename={}\r\ncontent-type: {content_type}\r\n\r\n",
                            quoted(name)?,
                            quoted(filename)?
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
                return Err(AetError::InvalidRequest(
                    "a part contains the multipart boundary".into(),
                ));
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
