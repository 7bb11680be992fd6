//! Request header blocks as real gRPC clients write them, with an HPACK encoder of our own so
//! that the wire shape is chosen exactly: which fields are indexed, which one varies per call
//! and whether the varying one enters the dynamic table (grpc-go inserts every new
//! `grpc-timeout`; a tracer's `traceparent` is typically sent without indexing).

use std::collections::VecDeque;
use std::fmt::Write as _;

/// What varies from one call to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Nothing: every block after the first is the same octets (grpc-java without deadlines).
    Identical,
    /// `grpc-timeout` with a new value per call, inserted into the table (grpc-go with a deadline).
    GrpcTimeout,
    /// `traceparent` with a new trace id per call, a literal without indexing (W3C tracing).
    Traceparent,
}

impl Shape {
    pub fn parse(s: &str) -> Option<Shape> {
        match s {
            "identical" => Some(Shape::Identical),
            "grpc-timeout" => Some(Shape::GrpcTimeout),
            "traceparent" => Some(Shape::Traceparent),
            _ => None,
        }
    }
}

const TABLE_SIZE: usize = 4096;
const ENTRY_OVERHEAD: usize = 32;
/// RFC 7541 Appendix A: the static entries we use.
const STATIC_METHOD_POST: u8 = 3;
const STATIC_SCHEME_HTTP: u8 = 6;
const STATIC_PATH_NAME: usize = 4;
const STATIC_AUTHORITY_NAME: usize = 1;
const STATIC_CONTENT_TYPE_NAME: usize = 31;
const STATIC_USER_AGENT_NAME: usize = 58;
const STATIC_LEN: usize = 61;

/// One connection's request encoder: its model of the peer's dynamic table.
pub struct RequestEncoder {
    shape: Shape,
    path: Vec<u8>,
    authority: Vec<u8>,
    /// Newest first, as HPACK indexes them: (name, value).
    table: VecDeque<(Vec<u8>, Vec<u8>)>,
    size: usize,
    scratch: String,
}

impl RequestEncoder {
    pub fn new(shape: Shape, path: &str, authority: &str) -> RequestEncoder {
        RequestEncoder {
            shape,
            path: path.as_bytes().to_vec(),
            authority: authority.as_bytes().to_vec(),
            table: VecDeque::new(),
            size: 0,
            scratch: String::new(),
        }
    }

    /// Appends the header block of call number `call` (0, 1, ...) to `dst`.
    pub fn encode(&mut self, call: u64, dst: &mut Vec<u8>) {
        dst.push(0x80 | STATIC_METHOD_POST);
        dst.push(0x80 | STATIC_SCHEME_HTTP);
        let path = std::mem::take(&mut self.path);
        self.indexed_or_insert(STATIC_PATH_NAME, b":path", &path, dst);
        self.path = path;
        let authority = std::mem::take(&mut self.authority);
        self.indexed_or_insert(STATIC_AUTHORITY_NAME, b":authority", &authority, dst);
        self.authority = authority;
        self.indexed_or_insert(STATIC_CONTENT_TYPE_NAME, b"content-type", b"application/grpc", dst);
        self.indexed_or_insert(0, b"te", b"trailers", dst);
        self.indexed_or_insert(STATIC_USER_AGENT_NAME, b"user-agent", b"h2native-load/0.1", dst);
        self.indexed_or_insert(0, b"grpc-accept-encoding", b"identity", dst);
        match self.shape {
            Shape::Identical => {}
            Shape::GrpcTimeout => {
                self.scratch.clear();
                // grpc-go's form: at most 8 digits and a unit; a new value for every call
                let _ = write!(self.scratch, "{}u", 10_000_000 + call % 89_999_999);
                let value = std::mem::take(&mut self.scratch);
                self.insert_literal(0, b"grpc-timeout", value.as_bytes(), dst);
                self.scratch = value;
            }
            Shape::Traceparent => {
                self.scratch.clear();
                let _ = write!(
                    self.scratch,
                    "00-{:016x}{:016x}-{:016x}-01",
                    mix(call),
                    mix(!call),
                    mix(call ^ 0x5bd1)
                );
                literal(0x00, 4, 0, b"traceparent", self.scratch.as_bytes(), dst);
            }
        }
    }

    /// An indexed reference when the field is in our table, else a literal with incremental
    /// indexing (name from the static table when `static_name` is not 0).
    fn indexed_or_insert(&mut self, static_name: usize, name: &[u8], value: &[u8], dst: &mut Vec<u8>) {
        if let Some(i) = self.table.iter().position(|(n, v)| n == name && v == value) {
            integer(STATIC_LEN + 1 + i, 7, 0x80, dst);
        } else {
            self.insert_literal(static_name, name, value, dst);
        }
    }

    fn insert_literal(&mut self, static_name: usize, name: &[u8], value: &[u8], dst: &mut Vec<u8>) {
        literal(0x40, 6, static_name, name, value, dst);
        let entry = name.len() + value.len() + ENTRY_OVERHEAD;
        while self.size + entry > TABLE_SIZE {
            let (n, v) = self.table.pop_back().expect("an entry to evict");
            self.size -= n.len() + v.len() + ENTRY_OVERHEAD;
        }
        self.table.push_front((name.to_vec(), value.to_vec()));
        self.size += entry;
    }
}

/// A cheap bijective scramble, so that trace ids look random and never repeat.
fn mix(x: u64) -> u64 {
    let x = (x ^ (x >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94d049bb133111eb);
    x ^ (x >> 31)
}

/// RFC 7541 5.1.
fn integer(value: usize, prefix: u8, first: u8, dst: &mut Vec<u8>) {
    let max = (1usize << prefix) - 1;
    if value < max {
        dst.push(first | value as u8);
        return;
    }
    dst.push(first | max as u8);
    let mut v = value - max;
    while v >= 128 {
        dst.push((v & 0x7f) as u8 | 0x80);
        v >>= 7;
    }
    dst.push(v as u8);
}

/// RFC 7541 6.2: a literal field (`pattern` and `prefix` choose the kind), no Huffman.
fn literal(pattern: u8, prefix: u8, name_index: usize, name: &[u8], value: &[u8], dst: &mut Vec<u8>) {
    integer(name_index, prefix, pattern, dst);
    if name_index == 0 {
        integer(name.len(), 7, 0, dst);
        dst.extend_from_slice(name);
    }
    integer(value.len(), 7, 0, dst);
    dst.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use h2native_codec::hpack::{DecodedHeaders, Decoder, Limits};

    fn decode_all(shape: Shape, calls: u64) -> Vec<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut enc = RequestEncoder::new(shape, "/bench.string100b.Greeter/SayHello", "127.0.0.1:50051");
        let mut dec = Decoder::new(TABLE_SIZE);
        let limits = Limits { max_header_list_size: 1 << 16, max_header_count: 64 };
        (0..calls)
            .map(|call| {
                let mut block = Vec::new();
                enc.encode(call, &mut block);
                let mut out = DecodedHeaders::new();
                dec.decode(&block, &limits, &mut out).expect("our blocks decode");
                out.iter().map(|(n, v, _)| (n.to_vec(), v.to_vec())).collect()
            })
            .collect()
    }

    #[test]
    fn identical_blocks_decode_to_the_same_request() {
        let lists = decode_all(Shape::Identical, 50);
        assert!(lists.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(lists[0].len(), 8);
        assert_eq!(lists[0][2], (b":path".to_vec(), b"/bench.string100b.Greeter/SayHello".to_vec()));
    }

    #[test]
    fn grpc_timeout_is_new_every_call_and_the_table_stays_in_step() {
        let lists = decode_all(Shape::GrpcTimeout, 500);
        let timeouts: std::collections::HashSet<_> =
            lists.iter().map(|l| l.iter().find(|(n, _)| n == b"grpc-timeout").unwrap().1.clone()).collect();
        assert_eq!(timeouts.len(), 500);
        // after hundreds of insertions and evictions, the constant fields still decode right
        assert_eq!(lists[499][3], (b":authority".to_vec(), b"127.0.0.1:50051".to_vec()));
    }

    #[test]
    fn traceparent_is_new_every_call() {
        let lists = decode_all(Shape::Traceparent, 200);
        let ids: std::collections::HashSet<_> =
            lists.iter().map(|l| l.iter().find(|(n, _)| n == b"traceparent").unwrap().1.clone()).collect();
        assert_eq!(ids.len(), 200);
        assert_eq!(lists[0].iter().find(|(n, _)| n == b"traceparent").unwrap().1.len(), 55);
    }
}
