//! Every DecoderError from a crafted block, limit handling that keeps the table in sync, and
//! an HPACK bomb that must stop at the limit without storing the expansion.

use std::time::{Duration, Instant};

use h2native_codec::hpack::{DecodedHeaders, Decoder, DecoderError, Encoder, FieldSource, Limits};

fn decode(dec: &mut Decoder, block: &[u8], limits: &Limits) -> Result<DecodedHeaders, DecoderError> {
    let mut out = DecodedHeaders::new();
    dec.decode(block, limits, &mut out).map(|()| out)
}

fn fresh(block: &[u8]) -> Result<DecodedHeaders, DecoderError> {
    decode(&mut Decoder::new(4096), block, &Limits::UNLIMITED)
}

/// Literal with incremental indexing, literal name, raw strings.
fn insert_literal(name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut v = vec![0x40];
    for s in [name, value] {
        assert!(s.len() < 127);
        v.push(s.len() as u8);
        v.extend_from_slice(s);
    }
    v
}

#[test]
fn invalid_index() {
    assert_eq!(fresh(&[0x80]).err(), Some(DecoderError::InvalidIndex)); // index 0
    assert_eq!(fresh(&[0xbe]).err(), Some(DecoderError::InvalidIndex)); // 62, empty table
    assert_eq!(fresh(&[0x7e, 0x01, b'x']).err(), Some(DecoderError::InvalidIndex)); // name 62
    assert_eq!(fresh(&[0x0f, 0x30, 0x01, b'x']).err(), Some(DecoderError::InvalidIndex)); // name 63
    let mut block = insert_literal(b"a", b"b");
    block.push(0xbf); // 63: one past the only entry
    assert_eq!(fresh(&block).err(), Some(DecoderError::InvalidIndex));
}

#[test]
fn integer_overflow() {
    assert_eq!(fresh(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).err(), Some(DecoderError::IntegerOverflow));
    assert_eq!(fresh(&[0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]).err(), Some(DecoderError::IntegerOverflow));
    // In a string length too.
    assert_eq!(fresh(&[0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x7f]).err(), Some(DecoderError::IntegerOverflow));
}

#[test]
fn truncated() {
    for block in [
        &[0xff][..],         // integer continuation missing
        &[0x40, 0x05, b'a'], // name shorter than its length
        &[0x04],             // value missing
        &[0x44, 0x82, 0x01], // Huffman value shorter than its length
        &[0x00],             // name missing
        &[0x00, 0x01, b'a'], // value missing after literal name
        &[0x3f],             // size update integer cut
    ] {
        assert_eq!(fresh(block).err(), Some(DecoderError::Truncated), "{block:02x?}");
    }
}

#[test]
fn invalid_huffman() {
    // Value: 4 octets of ones = EOS (30 bits) + 2 padding bits.
    assert_eq!(fresh(&[0x04, 0x84, 0xff, 0xff, 0xff, 0xff]).err(), Some(DecoderError::InvalidHuffman));
    // EOS in a literal name, after other symbols.
    assert_eq!(
        fresh(&[0x00, 0x85, 0x00, 0x3f, 0xff, 0xff, 0xff, 0x01, b'v']).err(),
        Some(DecoderError::InvalidHuffman)
    );
}

#[test]
fn invalid_padding() {
    // '0' (00000) padded with zeros.
    assert_eq!(fresh(&[0x04, 0x81, 0x00]).err(), Some(DecoderError::InvalidPadding));
    // A whole octet of padding after 'a' (00011|111 11111111).
    assert_eq!(fresh(&[0x04, 0x82, 0x1f, 0xff]).err(), Some(DecoderError::InvalidPadding));
    // Padding only.
    assert_eq!(fresh(&[0x04, 0x81, 0xff]).err(), Some(DecoderError::InvalidPadding));
}

#[test]
fn table_size_updates() {
    // Above our limit: 4097 with a 5-bit prefix = 0x3f, 0xe2, 0x1f.
    assert_eq!(fresh(&[0x3f, 0xe2, 0x1f]).err(), Some(DecoderError::TableSizeUpdateTooLarge));
    assert!(fresh(&[0x3f, 0xe1, 0x1f, 0x82]).is_ok()); // exactly 4096
                                                       // After a field.
    assert_eq!(fresh(&[0x82, 0x20]).err(), Some(DecoderError::TableSizeUpdateNotAtStart));
    // Several at the start are fine (min then final), as is a block of updates only.
    assert!(fresh(&[0x20, 0x3f, 0xe1, 0x1f, 0x82]).is_ok());
    assert!(fresh(&[0x20]).is_ok());

    // A lowered SETTINGS_HEADER_TABLE_SIZE must be followed by an update.
    let mut dec = Decoder::new(4096);
    decode(&mut dec, &insert_literal(b"k", b"v"), &Limits::UNLIMITED).unwrap();
    dec.set_max_table_size(1024);
    assert_eq!(
        decode(&mut dec, &[0x82], &Limits::UNLIMITED).err(),
        Some(DecoderError::TableSizeUpdateMissing)
    );
    let mut dec = Decoder::new(4096);
    dec.set_max_table_size(1024);
    assert_eq!(
        decode(&mut dec, &[0x3f, 0xe2, 0x07], &Limits::UNLIMITED).err(),
        Some(DecoderError::TableSizeUpdateTooLarge)
    );
    let mut dec = Decoder::new(4096);
    dec.set_max_table_size(1024);
    decode(&mut dec, &[0x3f, 0xe1, 0x07, 0x82], &Limits::UNLIMITED).unwrap(); // 1024
    assert_eq!(dec.table_max_size(), 1024);
    decode(&mut dec, &[0x82], &Limits::UNLIMITED).unwrap(); // no longer required
                                                            // Raising the limit requires nothing.
    dec.set_max_table_size(8192);
    decode(&mut dec, &[0x82], &Limits::UNLIMITED).unwrap();
    decode(&mut dec, &[0x3f, 0xe1, 0x3f, 0x82], &Limits::UNLIMITED).unwrap(); // 8192
    assert_eq!(dec.table_max_size(), 8192);
    // Size 0 empties the table.
    decode(&mut dec, &insert_literal(b"k", b"v"), &Limits::UNLIMITED).unwrap();
    decode(&mut dec, &[0x20], &Limits::UNLIMITED).unwrap();
    assert_eq!(dec.table_len(), 0);
}

#[test]
fn header_list_too_large_and_too_many_headers() {
    let limits = Limits { max_header_list_size: 100, max_header_count: 3 };
    let mut dec = Decoder::new(4096);
    // 3 fields of 32 + 7 + 3 = 42: the third goes over 100.
    let r = decode(&mut dec, &[0x82, 0x82, 0x82], &limits);
    assert_eq!(r.err(), Some(DecoderError::HeaderListTooLarge));
    let limits = Limits { max_header_list_size: 1000, max_header_count: 3 };
    assert_eq!(
        decode(&mut dec, &[0x82, 0x82, 0x82, 0x82], &limits).err(),
        Some(DecoderError::TooManyHeaders)
    );
    assert!(decode(&mut dec, &[0x82, 0x82, 0x82], &limits).is_ok());
    // Exactly at the size limit is fine.
    let exact = Limits { max_header_list_size: 42, max_header_count: 10 };
    assert_eq!(decode(&mut dec, &[0x82], &exact).unwrap().list_size(), 42);
    // A raw literal over the limit is refused before its octets are copied.
    let big = [0x00, 0x01, b'x', 0x7f, 0x81, 0x07].iter().copied().chain([b'v'; 1024]).collect::<Vec<u8>>();
    assert_eq!(decode(&mut dec, &big, &exact).err(), Some(DecoderError::HeaderListTooLarge));
    assert!(!DecoderError::HeaderListTooLarge.is_compression_error());
    assert!(!DecoderError::TooManyHeaders.is_compression_error());
    assert!(DecoderError::InvalidIndex.is_compression_error());
}

#[test]
fn limits_keep_the_table_in_sync() {
    // The peer's encoder indexes fields in a block that goes over our limit; its next block
    // references them. Our decoder must have inserted them all the same.
    let mut enc = Encoder::new();
    let mut dec = Decoder::new(4096);
    let small = Limits { max_header_list_size: 80, max_header_count: 100 };
    let fields: Vec<(Vec<u8>, Vec<u8>)> =
        (0..10).map(|i| (format!("x-name-{i}").into_bytes(), format!("value-{i}").into_bytes())).collect();
    let mut wire = Vec::new();
    enc.encode(fields.iter().map(|(n, v)| (&n[..], &v[..], false)), &mut wire);
    let mut out = DecodedHeaders::new();
    assert_eq!(dec.decode(&wire, &small, &mut out), Err(DecoderError::HeaderListTooLarge));
    assert!(out.list_size() <= 80);
    assert_eq!(dec.table_len(), 10);
    assert_eq!(dec.table_size(), enc.table_size());
    // Same with a count limit, Huffman-coded literals and a name taken from the table.
    let few = Limits { max_header_list_size: 1 << 20, max_header_count: 1 };
    wire.clear();
    enc.encode(fields.iter().map(|(n, _)| (&n[..], &b"another value"[..], false)), &mut wire);
    out.clear();
    assert_eq!(dec.decode(&wire, &few, &mut out), Err(DecoderError::TooManyHeaders));
    assert_eq!(out.len(), 1);
    assert_eq!(dec.table_size(), enc.table_size());
    wire.clear();
    enc.encode(fields.iter().map(|(n, _)| (&n[..], &b"another value"[..], false)), &mut wire);
    out.clear();
    dec.decode(&wire, &Limits::UNLIMITED, &mut out).unwrap();
    assert!(out.fields().iter().all(|f| matches!(f.source, FieldSource::Dynamic(_))));
    assert_eq!(out.iter().map(|(_, v, _)| v).collect::<Vec<_>>(), vec![&b"another value"[..]; 10]);
}

#[test]
fn hpack_bomb_stops_at_the_limit_without_expanding() {
    // One ~4 KB entry, then a 1 MB block referencing it a million times: 4 GB if expanded.
    let mut dec = Decoder::new(4096);
    let value = vec![b'a'; 4000];
    let mut block = vec![0x40, 0x01, b'x', 0x7f];
    let mut len = Vec::new();
    // 4000 - 127 as a 7-bit-prefix continuation.
    let mut rest = 4000 - 127;
    while rest >= 128 {
        len.push((rest as u8 & 0x7f) | 0x80);
        rest >>= 7;
    }
    len.push(rest as u8);
    block.extend_from_slice(&len);
    block.extend_from_slice(&value);
    let limits = Limits { max_header_list_size: 64 * 1024, max_header_count: usize::MAX };
    decode(&mut dec, &block, &limits).unwrap();
    let bomb = vec![0xbe; 1 << 20];
    let mut out = DecodedHeaders::new();
    let start = Instant::now();
    assert_eq!(dec.decode(&bomb, &limits, &mut out), Err(DecoderError::HeaderListTooLarge));
    let elapsed = start.elapsed();
    assert!(out.bytes().len() <= 64 * 1024, "stored {} octets", out.bytes().len());
    assert_eq!(out.len(), 64 * 1024 / (4001 + 32));
    // Each reference past the limit is one integer decode and a table lookup.
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    println!("1M-reference bomb rejected in {elapsed:?}, {} octets stored", out.bytes().len());
}
