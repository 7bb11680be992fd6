//! HTTP semantics the connection must enforce on received field blocks (RFC 9113 §8.1-§8.3).
//! A violation makes the message malformed: a stream error of type PROTOCOL_ERROR (§8.1.1).

use super::stream::NO_CONTENT_LENGTH;
use crate::hpack::{DecodedHeaders, FieldSource};

/// What the state machine needs to remember from a valid block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    /// Declared `content-length`, or [`NO_CONTENT_LENGTH`].
    pub content_length: u64,
    /// Response: the `:status` code. Request: 0.
    pub status: u16,
}

type Malformed = &'static str;

/// §8.2.1: a field name is lowercase visible ASCII without ':' (pseudo-header names are
/// checked apart); §8.2.1 values: no NUL, CR or LF, no leading or trailing SP/HTAB.
#[inline]
fn check_field(name: &[u8], value: &[u8]) -> Result<(), Malformed> {
    if name.is_empty() {
        return Err("empty field name");
    }
    // No early exit: the loop compiles to a branch-free scan the common (valid) case runs through.
    if name
        .iter()
        .fold(false, |bad, &c| bad | (c <= 0x20) | (c >= 0x7f) | (c == b':') | c.is_ascii_uppercase())
    {
        return Err("invalid character in field name");
    }
    check_value(value)
}

#[inline]
fn check_value(value: &[u8]) -> Result<(), Malformed> {
    if value.iter().fold(false, |bad, &c| bad | (c == 0) | (c == b'\r') | (c == b'\n')) {
        return Err("invalid character in field value");
    }
    if let (Some(&a), Some(&b)) = (value.first(), value.last()) {
        if a == b' ' || a == b'\t' || b == b' ' || b == b'\t' {
            return Err("field value with leading or trailing whitespace");
        }
    }
    Ok(())
}

/// Fields whose octets are known to pass §8.2.1 without looking at them again: every static
/// table entry, and the dynamic table entries (by their never-reused id) that passed in an
/// earlier block. An entry's octets never change, so neither does its verdict; a warm gRPC
/// connection, whose headers are nearly all indexed, checks only what is new. Direct-mapped:
/// a collision just means checking again.
#[derive(Debug)]
pub struct KnownValid {
    ids: [u64; KNOWN_VALID_SLOTS],
}

const KNOWN_VALID_SLOTS: usize = 64;

impl Default for KnownValid {
    fn default() -> Self {
        KnownValid { ids: [u64::MAX; KNOWN_VALID_SLOTS] }
    }
}

impl KnownValid {
    #[inline]
    pub fn knows(&self, source: FieldSource) -> bool {
        match source {
            FieldSource::Static(_) => true,
            FieldSource::Dynamic(id) => self.ids[id as usize % KNOWN_VALID_SLOTS] == id,
            _ => false,
        }
    }

    /// Records the dynamic entries of a block that passed its checks.
    pub fn learn(&mut self, block: &DecodedHeaders) {
        for f in block.fields() {
            if let FieldSource::Dynamic(id) | FieldSource::Inserted(id) = f.source {
                self.ids[id as usize % KNOWN_VALID_SLOTS] = id;
            }
        }
    }
}

/// §8.2.2: a field an HTTP/2 message must not carry (connection-specific, or `te` other than
/// "trailers"). What we send is checked too, so that no caller (C or JVM) can emit one.
#[inline]
pub fn connection_specific(name: &[u8], value: &[u8]) -> bool {
    matches!(name, b"connection" | b"proxy-connection" | b"keep-alive" | b"transfer-encoding" | b"upgrade")
        || (name == b"te" && value != b"trailers")
}

/// §8.2.2: connection-specific fields; `te` may only say "trailers".
#[inline]
fn check_regular(name: &[u8], value: &[u8], known: bool, content_length: &mut u64) -> Result<(), Malformed> {
    if !known {
        check_field(name, value)?;
    }
    match name {
        b"connection" | b"proxy-connection" | b"keep-alive" | b"transfer-encoding" | b"upgrade" => {
            Err("connection-specific header field")
        }
        b"te" if value != b"trailers" => Err("te header other than trailers"),
        b"content-length" => {
            let n = parse_content_length(value).ok_or("invalid content-length")?;
            if *content_length != NO_CONTENT_LENGTH && *content_length != n {
                return Err("conflicting content-length values");
            }
            *content_length = n;
            Ok(())
        }
        _ => Ok(()),
    }
}

fn parse_content_length(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    v.iter().try_fold(0u64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0')))
}

/// §8.3.1 request header block. `connect_protocol`: we allow RFC 8441 `:protocol`.
pub fn check_request<'a>(
    fields: impl Iterator<Item = (&'a [u8], &'a [u8], bool)>,
    connect_protocol: bool,
) -> Result<Message, Malformed> {
    let (mut method, mut scheme, mut authority, mut path, mut protocol) = (None, false, false, None, false);
    let mut regular = false;
    let mut content_length = NO_CONTENT_LENGTH;
    for (name, value, known) in fields {
        if name.first() == Some(&b':') {
            if regular {
                return Err("pseudo-header field after regular field");
            }
            let seen = match name {
                b":method" => method.replace(value).is_some(),
                b":scheme" => std::mem::replace(&mut scheme, true),
                b":authority" => std::mem::replace(&mut authority, true),
                b":path" => path.replace(value).is_some(),
                b":protocol" if connect_protocol => std::mem::replace(&mut protocol, true),
                _ => return Err("unknown or response pseudo-header field in request"),
            };
            if seen {
                return Err("duplicated pseudo-header field");
            }
            if !known {
                check_value(value)?;
            }
        } else {
            regular = true;
            check_regular(name, value, known, &mut content_length)?;
        }
    }
    let method = method.ok_or("missing :method")?;
    if method == b"CONNECT" && !protocol {
        // §8.5: plain CONNECT carries only :method and :authority.
        if scheme || path.is_some() {
            return Err(":scheme or :path in CONNECT request");
        }
        if !authority {
            return Err("missing :authority in CONNECT request");
        }
    } else {
        if protocol && method != b"CONNECT" {
            return Err(":protocol in non-CONNECT request");
        }
        if !scheme {
            return Err("missing :scheme");
        }
        match path {
            None => return Err("missing :path"),
            Some([]) => return Err("empty :path"),
            _ => {}
        }
    }
    Ok(Message { content_length, status: 0 })
}

/// §8.3.2 response header block.
pub fn check_response<'a>(
    fields: impl Iterator<Item = (&'a [u8], &'a [u8], bool)>,
) -> Result<Message, Malformed> {
    let mut status = None;
    let mut regular = false;
    let mut content_length = NO_CONTENT_LENGTH;
    for (name, value, known) in fields {
        if name.first() == Some(&b':') {
            if regular {
                return Err("pseudo-header field after regular field");
            }
            if name != b":status" {
                return Err("unknown or request pseudo-header field in response");
            }
            if status.is_some() {
                return Err("duplicated :status");
            }
            status = Some(parse_status(value).ok_or("invalid :status")?);
        } else {
            regular = true;
            check_regular(name, value, known, &mut content_length)?;
        }
    }
    Ok(Message { content_length, status: status.ok_or("missing :status")? })
}

fn parse_status(v: &[u8]) -> Option<u16> {
    match v {
        [a @ b'1'..=b'9', b, c] if b.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => None,
    }
}

/// §8.1: trailers carry no pseudo-header fields.
pub fn check_trailers<'a>(fields: impl Iterator<Item = (&'a [u8], &'a [u8], bool)>) -> Result<(), Malformed> {
    let mut ignored = NO_CONTENT_LENGTH;
    for (name, value, known) in fields {
        if name.first() == Some(&b':') {
            return Err("pseudo-header field in trailers");
        }
        check_regular(name, value, known, &mut ignored)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_valid_knows_static_entries_and_what_it_learned() {
        let mut k = KnownValid::default();
        assert!(k.knows(FieldSource::Static(2)));
        assert!(!k.knows(FieldSource::Dynamic(7)));
        assert!(!k.knows(FieldSource::Literal));
        let mut d = DecodedHeaders::new();
        d.push(b"x-ay", 3, FieldSource::Inserted(7));
        d.push(b"x-bb", 3, FieldSource::Literal);
        k.learn(&d);
        assert!(k.knows(FieldSource::Dynamic(7)));
        // Same slot, another entry: not known.
        assert!(!k.knows(FieldSource::Dynamic(7 + KNOWN_VALID_SLOTS as u64)));
        assert!(!k.knows(FieldSource::DynamicName(7)));
    }

    fn req(f: &[(&'static str, &'static str)]) -> Result<Message, Malformed> {
        check_request(f.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)), false)
    }

    const OK: &[(&str, &str)] =
        &[(":method", "POST"), (":scheme", "http"), (":path", "/x"), (":authority", "a")];

    #[test]
    fn request_rules() {
        assert!(req(OK).is_ok());
        assert!(req(&[(":method", "GET"), (":scheme", "http")]).is_err());
        assert!(req(&[(":method", "GET"), (":path", "/")]).is_err());
        assert!(req(&[(":scheme", "http"), (":path", "/")]).is_err());
        assert!(req(&[(":method", "GET"), (":scheme", "http"), (":path", "")]).is_err());
        assert!(req(&[(":method", "GET"), (":method", "GET"), (":scheme", "http"), (":path", "/")]).is_err());
        assert!(req(&[(":method", "GET"), (":scheme", "http"), (":path", "/"), (":status", "200")]).is_err());
        assert!(req(&[(":method", "GET"), (":scheme", "http"), (":path", "/"), (":foo", "x")]).is_err());
        assert!(req(&[(":method", "GET"), ("a", "b"), (":scheme", "http"), (":path", "/")]).is_err());
        assert!(req(&[(":method", "CONNECT"), (":authority", "h:1")]).is_ok());
        assert!(req(&[(":method", "CONNECT"), (":authority", "h:1"), (":path", "/")]).is_err());
        assert!(req(&[(":method", "CONNECT")]).is_err());
        let with = |n: &'static str, v: &'static str| {
            let mut f = OK.to_vec();
            f.push((n, v));
            req(&f)
        };
        assert!(with("Upper", "x").is_err());
        assert!(with("connection", "close").is_err());
        assert!(with("te", "gzip").is_err());
        assert!(with("te", "trailers").is_ok());
        assert!(with("x", " lead").is_err());
        assert!(with("x", "a\nb").is_err());
        assert_eq!(with("content-length", "12").unwrap().content_length, 12);
        assert!(with("content-length", "1x").is_err());
    }

    #[test]
    fn response_and_trailers() {
        let r = |f: &[(&'static str, &'static str)]| {
            check_response(f.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)))
        };
        assert_eq!(r(&[(":status", "200")]).unwrap().status, 200);
        assert!(r(&[(":status", "20")]).is_err());
        assert!(r(&[]).is_err());
        assert!(r(&[(":status", "200"), (":path", "/")]).is_err());
        let t = |f: &[(&'static str, &'static str)]| {
            check_trailers(f.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)))
        };
        assert!(t(&[("grpc-status", "0")]).is_ok());
        assert!(t(&[(":status", "200")]).is_err());
    }
}
