//! String literal representation (RFC 7541 §5.2): H flag, 7-bit-prefix length, octets.

use super::decoder::DecoderError;
use super::{huffman, integer};

/// A string literal as it sits in the block, not yet decoded.
#[derive(Clone, Copy)]
pub(crate) struct RawString<'a> {
    pub huffman: bool,
    pub bytes: &'a [u8],
}

impl RawString<'_> {
    /// Appends the decoded octets to `dst`.
    #[inline]
    pub(crate) fn decode_into(self, dst: &mut Vec<u8>) -> Result<(), DecoderError> {
        if self.huffman {
            huffman::decode(self.bytes, dst)
        } else {
            dst.extend_from_slice(self.bytes);
            Ok(())
        }
    }

    /// A lower bound of the decoded length, known before decoding (exact for raw octets; the
    /// longest Huffman code is 30 bits). Lets size limits reject before anything is stored.
    #[inline]
    pub(crate) fn min_decoded_len(self) -> usize {
        if self.huffman {
            self.bytes.len() * 8 / 30
        } else {
            self.bytes.len()
        }
    }
}

/// Reads the string literal at `buf[*pos]` and advances `pos` past it.
#[inline]
pub(crate) fn read<'a>(buf: &'a [u8], pos: &mut usize) -> Result<RawString<'a>, DecoderError> {
    let huffman = *buf.get(*pos).ok_or(DecoderError::Truncated)? & 0x80 != 0;
    let len = integer::decode(buf, pos, 7)?;
    let bytes = buf[*pos..].get(..len).ok_or(DecoderError::Truncated)?;
    *pos += len;
    Ok(RawString { huffman, bytes })
}

/// Appends `s` as a string literal, Huffman-coded only when that is strictly shorter.
#[inline]
pub(crate) fn encode(s: &[u8], dst: &mut Vec<u8>) {
    if s.len() < 0x7f {
        // One pass: both lengths fit the one-octet prefix, so code first behind a placeholder
        // and fall back to the raw octets if that was not shorter.
        let at = dst.len();
        dst.push(0);
        huffman::encode(s, dst);
        let huffman_len = dst.len() - at - 1;
        if huffman_len < s.len() {
            dst[at] = 0x80 | huffman_len as u8;
        } else {
            dst.truncate(at);
            dst.push(s.len() as u8);
            dst.extend_from_slice(s);
        }
        return;
    }
    let huffman_len = huffman::encoded_len(s);
    if huffman_len < s.len() {
        integer::encode(huffman_len, 7, 0x80, dst);
        huffman::encode(s, dst);
    } else {
        integer::encode(s.len(), 7, 0, dst);
        dst.extend_from_slice(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_choice() {
        let long_binary: Vec<u8> = (0..=255).collect();
        for s in [
            &b""[..],
            b"a",
            b"custom-key",
            b"\x00\x01\x02\xff\xfe",
            &[b'x'; 300],
            &[b'x'; 126],
            &[b'x'; 127],
            &long_binary,
        ] {
            let mut wire = Vec::new();
            encode(s, &mut wire);
            let huffman = wire[0] & 0x80 != 0;
            assert_eq!(huffman, huffman::encoded_len(s) < s.len());
            let mut pos = 0;
            let raw = read(&wire, &mut pos).unwrap();
            assert_eq!(pos, wire.len());
            assert!(raw.min_decoded_len() <= s.len());
            let mut out = Vec::new();
            raw.decode_into(&mut out).unwrap();
            assert_eq!(out, s);
        }
    }

    #[test]
    fn truncated() {
        let mut pos = 0;
        assert!(matches!(read(&[0x03, b'a', b'b'], &mut pos), Err(DecoderError::Truncated)));
        let mut pos = 0;
        assert!(matches!(read(&[], &mut pos), Err(DecoderError::Truncated)));
    }
}
