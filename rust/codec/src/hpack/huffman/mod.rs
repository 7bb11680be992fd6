//! Huffman coding of string literals (RFC 7541 §5.2, Appendix B).
//!
//! Decoding reads the input through a 64-bit bit accumulator and resolves up to two symbols per
//! lookup in an 11-bit table (2048 × u32, 8 KiB): every code of 11 bits or fewer, which covers
//! letters, digits and the usual punctuation. Two symbols come out at once whenever both codes
//! fit in the 11 bits looked at (e.g. two 5-bit codes), which is the common case for lower-case
//! text. Longer codes (rare punctuation, control and non-ASCII octets) take a canonical-code
//! walk over lengths 12..=30. This does fewer dependent loads per symbol than nghttp2's 4-bit
//! state machine (one lookup per one or two symbols instead of two per octet).
//!
//! All tables are computed at compile time from [`codes::CODES`], so there is no generated
//! source to keep in sync; `build_canonical` refuses to compile if the code is not the
//! canonical, complete code the decoder relies on.

mod codes;

use super::decoder::DecoderError;
use codes::CODES;

const EOS: u16 = 256;
const FAST_BITS: u32 = 11;
const FAST_MASK: usize = (1 << FAST_BITS) - 1;

// FAST entry layout: sym1 | sym2 << 8 | consumed bits << 16 | symbol count << 24 | len1 << 26.
// Count 0 means "the code at this position is longer than FAST_BITS".
const fn fast_sym1(e: u32) -> u8 {
    e as u8
}
const fn fast_sym2(e: u32) -> u8 {
    (e >> 8) as u8
}
const fn fast_bits(e: u32) -> u32 {
    (e >> 16) & 0xff
}
const fn fast_count(e: u32) -> u32 {
    (e >> 24) & 0x3
}
const fn fast_len1(e: u32) -> u32 {
    e >> 26
}

/// Single-symbol table: `len << 8 | sym` for codes of at most FAST_BITS bits, else 0.
const fn build_single() -> [u16; 1 << FAST_BITS] {
    let mut t = [0u16; 1 << FAST_BITS];
    let mut sym = 0;
    while sym < 256 {
        let (code, len) = CODES[sym];
        let len = len as u32;
        if len <= FAST_BITS {
            let first = (code as usize) << (FAST_BITS - len);
            let n = 1usize << (FAST_BITS - len);
            let mut k = 0;
            while k < n {
                t[first + k] = ((len as u16) << 8) | sym as u16;
                k += 1;
            }
        }
        sym += 1;
    }
    t
}

const fn build_fast() -> [u32; 1 << FAST_BITS] {
    let single = build_single();
    let mut t = [0u32; 1 << FAST_BITS];
    let mut i = 0;
    while i < t.len() {
        let e1 = single[i] as u32;
        if e1 != 0 {
            let len1 = e1 >> 8;
            let sym1 = e1 & 0xff;
            // The bits after the first code; a second code is only taken when it lies wholly
            // inside the FAST_BITS looked at (prefix property: the zero-filled tail beyond them
            // cannot change which code matched).
            let e2 = single[(i << len1) & FAST_MASK] as u32;
            let len2 = e2 >> 8;
            t[i] = if e2 != 0 && len1 + len2 <= FAST_BITS {
                sym1 | (e2 & 0xff) << 8 | (len1 + len2) << 16 | 2 << 24 | len1 << 26
            } else {
                sym1 | len1 << 16 | 1 << 24 | len1 << 26
            };
        }
        i += 1;
    }
    t
}

static FAST: [u32; 1 << FAST_BITS] = build_fast();

/// Canonical-code description used for codes longer than FAST_BITS.
struct Canonical {
    /// First code of each length (index = bit length).
    first: [u32; 31],
    /// Number of codes of each length.
    count: [u32; 31],
    /// Index in `syms` of the first symbol of each length.
    offset: [u32; 31],
    /// Symbols ordered by (length, symbol): canonical order.
    syms: [u16; 257],
}

const fn build_canonical() -> Canonical {
    let mut c = Canonical { first: [0; 31], count: [0; 31], offset: [0; 31], syms: [0; 257] };
    let mut s = 0;
    while s < 257 {
        c.count[CODES[s].1 as usize] += 1;
        s += 1;
    }
    let mut code = 0u32;
    let mut off = 0u32;
    let mut len = 1;
    while len <= 30 {
        c.first[len] = code;
        c.offset[len] = off;
        // Codes of one length are consecutive and assigned in symbol order.
        let mut s = 0;
        while s < 257 {
            if CODES[s].1 as usize == len {
                assert!(CODES[s].0 == code, "RFC 7541 Huffman code is not canonical");
                c.syms[off as usize] = s as u16;
                code += 1;
                off += 1;
            }
            s += 1;
        }
        code <<= 1;
        len += 1;
    }
    // Complete code: the 30-bit all-ones EOS is the last code, nothing is left over.
    assert!(code == 1 << 31, "RFC 7541 Huffman code is not complete");
    c
}

static CANONICAL: Canonical = build_canonical();

/// Decodes a code longer than FAST_BITS from the top of `acc` using at most `avail` bits.
#[cold]
fn decode_long(acc: u64, avail: u32) -> Option<(u16, u32)> {
    let c = &CANONICAL;
    let mut len = FAST_BITS + 1;
    while len <= avail.min(30) {
        let code = (acc >> (64 - len)) as u32;
        let d = code.wrapping_sub(c.first[len as usize]);
        if d < c.count[len as usize] {
            return Some((c.syms[(c.offset[len as usize] + d) as usize], len));
        }
        len += 1;
    }
    None
}

/// Decodes `src` and appends the octets to `dst`.
///
/// Errors (RFC 7541 §5.2): the EOS symbol inside the string, padding longer than 7 bits, or
/// padding that is not a prefix of EOS (all ones).
pub(crate) fn decode(src: &[u8], dst: &mut Vec<u8>) -> Result<(), DecoderError> {
    let start = dst.len();
    // Every code is at least 5 bits; +2 leaves room for the speculative second-symbol store.
    dst.resize(start + src.len() * 8 / 5 + 2, 0);
    let out = &mut dst[start..];
    let mut o = 0;

    let mut acc = 0u64; // unread bits, left-aligned
    let mut nbits = 0u32; // how many of them are valid
    let mut i = 0;
    loop {
        if nbits < 30 {
            if i + 8 <= src.len() {
                // Bulk refill. The bits of a partly fitting last octet land below `nbits`; they
                // are the very bits the next refill ORs in again, so they do no harm.
                let w = u64::from_be_bytes([
                    src[i],
                    src[i + 1],
                    src[i + 2],
                    src[i + 3],
                    src[i + 4],
                    src[i + 5],
                    src[i + 6],
                    src[i + 7],
                ]);
                acc |= w >> nbits;
                let take = (64 - nbits) / 8;
                i += take as usize;
                nbits += take * 8;
            } else {
                while nbits <= 56 && i < src.len() {
                    acc |= (src[i] as u64) << (56 - nbits);
                    nbits += 8;
                    i += 1;
                }
                if nbits < 30 {
                    break; // input exhausted: the last bits need length checks
                }
            }
        }
        let e = FAST[(acc >> (64 - FAST_BITS)) as usize];
        if fast_count(e) != 0 {
            out[o] = fast_sym1(e);
            out[o + 1] = fast_sym2(e);
            o += fast_count(e) as usize;
            acc <<= fast_bits(e);
            nbits -= fast_bits(e);
        } else {
            // At least 30 valid bits: a complete code always matches.
            let (sym, len) = decode_long(acc, nbits).ok_or(DecoderError::InvalidHuffman)?;
            if sym == EOS {
                return Err(DecoderError::InvalidHuffman);
            }
            out[o] = sym as u8;
            o += 1;
            acc <<= len;
            nbits -= len;
        }
    }

    // Fewer than 30 bits left, all real (the accumulator is zero-filled past them).
    while nbits > 0 {
        let e = FAST[(acc >> (64 - FAST_BITS)) as usize];
        let (sym, len) = if fast_count(e) != 0 {
            (fast_sym1(e) as u16, fast_len1(e))
        } else {
            match decode_long(acc, nbits) {
                Some(found) => found,
                None => break,
            }
        };
        if len > nbits {
            break;
        }
        if sym == EOS {
            return Err(DecoderError::InvalidHuffman);
        }
        out[o] = sym as u8;
        o += 1;
        acc <<= len;
        nbits -= len;
    }
    // What remains must be padding: the most significant bits of EOS, at most 7 of them.
    if nbits > 7 {
        return Err(DecoderError::InvalidPadding);
    }
    if nbits > 0 && (acc >> (64 - nbits)) != (1 << nbits) - 1 {
        return Err(DecoderError::InvalidPadding);
    }
    dst.truncate(start + o);
    Ok(())
}

/// Length in octets of the Huffman encoding of `src`.
#[inline]
pub(crate) fn encoded_len(src: &[u8]) -> usize {
    let bits: usize = src.iter().map(|&b| CODES[b as usize].1 as usize).sum();
    bits.div_ceil(8)
}

/// Appends the Huffman encoding of `src` to `dst`, padded with the most significant bits of EOS.
pub(crate) fn encode(src: &[u8], dst: &mut Vec<u8>) {
    let mut acc = 0u64; // low `bits` bits are pending output
    let mut bits = 0u32;
    for &b in src {
        let (code, len) = CODES[b as usize];
        acc = (acc << len) | code as u64;
        bits += len as u32;
        // Flushing at 32 keeps at most 31 + 30 pending bits, so nothing is shifted out.
        if bits >= 32 {
            bits -= 32;
            dst.extend_from_slice(&((acc >> bits) as u32).to_be_bytes());
        }
    }
    if bits > 0 {
        let pad = (8 - bits % 8) % 8;
        acc = (acc << pad) | ((1 << pad) - 1);
        bits += pad;
        while bits > 0 {
            bits -= 8;
            dst.push((acc >> bits) as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        encode(s, &mut v);
        assert_eq!(v.len(), encoded_len(s));
        v
    }

    fn dec(s: &[u8]) -> Result<Vec<u8>, DecoderError> {
        let mut v = b"prefix".to_vec();
        decode(s, &mut v)?;
        assert_eq!(&v[..6], b"prefix");
        Ok(v[6..].to_vec())
    }

    #[test]
    fn rfc_examples() {
        // RFC 7541 C.4.1 and C.6.1.
        assert_eq!(enc(b"www.example.com"), b"\xf1\xe3\xc2\xe5\xf2\x3a\x6b\xa0\xab\x90\xf4\xff");
        assert_eq!(dec(b"\xf1\xe3\xc2\xe5\xf2\x3a\x6b\xa0\xab\x90\xf4\xff").unwrap(), b"www.example.com");
        let date = b"Mon, 21 Oct 2013 20:13:21 GMT";
        let wire =
            b"\xd0\x7a\xbe\x94\x10\x54\xd4\x44\xa8\x20\x05\x95\x04\x0b\x81\x66\xe0\x82\xa6\x2d\x1b\xff";
        assert_eq!(enc(date), wire);
        assert_eq!(dec(wire).unwrap(), date);
    }

    #[test]
    fn every_symbol_round_trips_at_every_alignment() {
        for prefix in 0..8usize {
            for sym in 0..=255u8 {
                let mut s = vec![b'a'; prefix];
                s.push(sym);
                s.extend_from_slice(b"xyz");
                s.push(sym);
                assert_eq!(dec(&enc(&s)).unwrap(), s, "sym {sym} prefix {prefix}");
            }
        }
        let all: Vec<u8> = (0..=255u8).cycle().take(4000).collect();
        assert_eq!(dec(&enc(&all)).unwrap(), all);
    }

    #[test]
    fn empty() {
        assert_eq!(enc(b""), b"");
        assert_eq!(dec(b"").unwrap(), b"");
    }

    #[test]
    fn rejects_bad_padding_and_eos() {
        // 'a' = 00011, padded with zeros instead of ones.
        assert_eq!(dec(&[0b0001_1000]), Err(DecoderError::InvalidPadding));
        // 'a' then 8 one bits: padding longer than 7 bits.
        assert_eq!(dec(&[0b0001_1111, 0b1111_1111]), Err(DecoderError::InvalidPadding));
        // A full octet of padding alone.
        assert_eq!(dec(&[0xff]), Err(DecoderError::InvalidPadding));
        // EOS (30 ones) followed by two padding ones.
        assert_eq!(dec(&[0xff, 0xff, 0xff, 0xff]), Err(DecoderError::InvalidHuffman));
        // EOS after a symbol, in the bulk path.
        let mut s = enc(b"abcdefghijklmnop");
        s.truncate(s.len() - 1);
        s.extend_from_slice(&[0xff; 8]);
        assert!(dec(&s).is_err());
        // Correct padding of 7 ones after '0' (00000): 0000_0111.
        assert_eq!(dec(&[0b0000_0111]).unwrap(), b"0");
    }
}
