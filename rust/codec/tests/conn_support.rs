//! Shared helpers of the `conn_*` tests (included with `#[path]`; compiled alone it is empty).
#![allow(dead_code)]

use h2native_codec::abi::testing;
use h2native_codec::abi::testing::Event;
use h2native_codec::abi::Connection;
use h2native_codec::conn::{Config, PREFACE};
use h2native_codec::error::ErrorCode;
use h2native_codec::frame::{self, kind, FrameHeader, Setting};
use h2native_codec::hpack::Encoder;

/// A frame as written by the connection, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct F {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

impl F {
    pub fn u32_at(&self, at: usize) -> u32 {
        u32::from_be_bytes(self.payload[at..at + 4].try_into().unwrap())
    }
    /// GOAWAY: (last stream id, code).
    pub fn goaway(&self) -> (u32, ErrorCode) {
        assert_eq!(self.kind, kind::GOAWAY, "{self:?}");
        (self.u32_at(0) & 0x7fff_ffff, ErrorCode::from_u32(self.u32_at(4)))
    }
    pub fn rst_code(&self) -> ErrorCode {
        assert_eq!(self.kind, kind::RST_STREAM);
        ErrorCode::from_u32(self.u32_at(0))
    }
    pub fn window_increment(&self) -> u32 {
        assert_eq!(self.kind, kind::WINDOW_UPDATE);
        self.u32_at(0)
    }
}

/// Splits raw frame bytes into frames.
pub fn split_frames(mut b: &[u8]) -> Vec<F> {
    let mut v = Vec::new();
    while !b.is_empty() {
        let h = FrameHeader::parse(b).expect("whole frame header");
        let end = 9 + h.length as usize;
        v.push(F { kind: h.kind, flags: h.flags, stream: h.stream_id, payload: b[9..end].to_vec() });
        b = &b[end..];
    }
    v
}

/// The output as frames (no DATA payload segments expected), then cleared.
pub fn take_frames(c: &mut Connection) -> Vec<F> {
    assert!(c.segments().is_empty(), "take_frames with payload segments");
    let f = split_frames(c.output());
    c.clear_output();
    f
}

/// Output with payloads spliced in: every payload byte is `fill(tag, offset)`.
pub fn materialize(c: &Connection, payload: &dyn Fn(u32) -> Vec<u8>) -> Vec<u8> {
    let out = c.output();
    let mut v = Vec::new();
    let mut pos = 0;
    for s in c.segments() {
        v.extend_from_slice(&out[pos..s.out_pos as usize]);
        let p = payload(s.tag);
        v.extend_from_slice(&p[s.payload_off as usize..(s.payload_off + s.len) as usize]);
        pos = s.out_pos as usize;
    }
    v.extend_from_slice(&out[pos..]);
    v
}

/// Events (owned copies of the records), then cleared.
pub fn take_events(c: &mut Connection) -> Vec<Event<'static>> {
    let buf: &'static [u8] = Box::leak(c.events().to_vec().into_boxed_slice());
    c.clear_events();
    testing::events(buf).collect()
}

/// Builds the bytes a peer sends.
pub struct Peer {
    pub enc: Encoder,
    pub buf: Vec<u8>,
}

pub const REQ: &[(&str, &str)] = &[
    (":method", "POST"),
    (":scheme", "http"),
    (":path", "/greeter.Greeter/SayHello"),
    (":authority", "localhost"),
];
pub const RESP: &[(&str, &str)] = &[(":status", "200"), ("content-type", "application/grpc")];
pub const TRAILERS: &[(&str, &str)] = &[("grpc-status", "0")];

impl Default for Peer {
    fn default() -> Self {
        Peer::new()
    }
}

impl Peer {
    pub fn new() -> Peer {
        Peer { enc: Encoder::new(), buf: Vec::new() }
    }
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
    pub fn block(&mut self, fields: &[(&str, &str)]) -> Vec<u8> {
        let mut b = Vec::new();
        self.enc.encode(fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)), &mut b);
        b
    }
    pub fn preface(&mut self) -> &mut Self {
        self.buf.extend_from_slice(PREFACE);
        self.settings(&[])
    }
    pub fn settings(&mut self, s: &[Setting]) -> &mut Self {
        frame::settings::encode(s, &mut self.buf);
        self
    }
    pub fn settings_ack(&mut self) -> &mut Self {
        frame::settings::encode_ack(&mut self.buf);
        self
    }
    pub fn headers(&mut self, id: u32, fields: &[(&str, &str)], end_stream: bool) -> &mut Self {
        let b = self.block(fields);
        frame::headers::encode_block(id, &b, end_stream, 16_384, &mut self.buf);
        self
    }
    /// HEADERS without END_HEADERS carrying `b`.
    pub fn headers_open(&mut self, id: u32, b: &[u8], end_stream: bool) -> &mut Self {
        self.raw(kind::HEADERS, if end_stream { 1 } else { 0 }, id, b)
    }
    pub fn continuation(&mut self, id: u32, b: &[u8], end_headers: bool) -> &mut Self {
        frame::continuation::encode(id, b, end_headers, &mut self.buf);
        self
    }
    pub fn data(&mut self, id: u32, payload: &[u8], end_stream: bool) -> &mut Self {
        frame::data::encode(id, payload, end_stream, &mut self.buf);
        self
    }
    pub fn data_padded(&mut self, id: u32, payload: &[u8], end_stream: bool, pad: u8) -> &mut Self {
        frame::data::encode_padded(id, payload, end_stream, pad, &mut self.buf);
        self
    }
    pub fn rst(&mut self, id: u32, code: ErrorCode) -> &mut Self {
        frame::rst_stream::encode(id, code, &mut self.buf);
        self
    }
    pub fn window_update(&mut self, id: u32, inc: u32) -> &mut Self {
        frame::window_update::encode(id, inc, &mut self.buf);
        self
    }
    pub fn ping(&mut self, ack: bool, p: [u8; 8]) -> &mut Self {
        frame::ping::encode(ack, p, &mut self.buf);
        self
    }
    pub fn goaway(&mut self, last: u32, code: ErrorCode) -> &mut Self {
        frame::goaway::encode(last, code, b"bye", &mut self.buf);
        self
    }
    pub fn priority(&mut self, id: u32, dep: u32) -> &mut Self {
        let mut p = dep.to_be_bytes().to_vec();
        p.push(16);
        self.raw(kind::PRIORITY, 0, id, &p)
    }
    pub fn raw(&mut self, kind: u8, flags: u8, id: u32, payload: &[u8]) -> &mut Self {
        FrameHeader::new(kind, flags, id, payload.len() as u32).encode(&mut self.buf);
        self.buf.extend_from_slice(payload);
        self
    }
}

/// A server that has exchanged prefaces and SETTINGS ACKs with `peer`; buffers cleared.
pub fn server_with(cfg: Config, peer: &mut Peer) -> Connection {
    let mut c = Connection::server(cfg);
    peer.preface().settings_ack();
    let b = peer.take();
    assert_eq!(c.feed(&b), b.len());
    assert!(!c.is_closed());
    c.clear_output();
    c.clear_events();
    c
}

pub fn server(peer: &mut Peer) -> Connection {
    server_with(Config::default(), peer)
}

/// Feeds all of `peer`'s pending bytes; asserts they were consumed.
/// Feeds everything the peer wrote. A feed that stops at the event bound is continued at once
/// (events accumulate; DATA offsets are then relative to the continued part).
pub fn feed(c: &mut Connection, peer: &mut Peer) {
    let b = peer.take();
    let mut at = c.feed(&b);
    while c.input_left() {
        at += c.feed(&b[at..]);
    }
    assert_eq!(at, b.len());
}

/// Asserts the output is exactly one GOAWAY with `code`, and the error event.
pub fn assert_goaway(c: &mut Connection, code: ErrorCode) -> u32 {
    let frames = take_frames(c);
    let g =
        frames.iter().find(|f| f.kind == kind::GOAWAY).unwrap_or_else(|| panic!("no GOAWAY in {frames:?}"));
    let (last, got) = g.goaway();
    assert_eq!(got, code, "GOAWAY code; events {:?}", take_events(c));
    assert!(c.is_closed());
    let ev = take_events(c);
    assert!(
        ev.iter().any(|e| matches!(e, Event::ConnectionError { code: c, .. } if *c == code)),
        "no ConnectionError event in {ev:?}"
    );
    last
}

/// Asserts the output holds RST_STREAM(id, code) and no GOAWAY, and the stream error event.
pub fn assert_rst(c: &mut Connection, id: u32, code: ErrorCode) {
    let frames = take_frames(c);
    assert!(frames.iter().all(|f| f.kind != kind::GOAWAY), "unexpected GOAWAY in {frames:?}");
    let r = frames
        .iter()
        .find(|f| f.kind == kind::RST_STREAM && f.stream == id)
        .unwrap_or_else(|| panic!("no RST_STREAM on {id} in {frames:?}"));
    assert_eq!(r.rst_code(), code);
    assert!(!c.is_closed());
    let ev = take_events(c);
    assert!(
        ev.iter().any(
            |e| matches!(e, Event::StreamError { stream_id, code: cd, .. } if *stream_id == id && *cd == code)
        ),
        "no StreamError event in {ev:?}"
    );
}

/// Asserts nothing was written and the connection is open.
pub fn assert_silent(c: &mut Connection) {
    let frames = take_frames(c);
    assert!(frames.is_empty(), "unexpected output {frames:?}");
    assert!(!c.is_closed());
}

/// Sends a response header block through the server's command API.
pub fn respond(c: &mut Connection, id: u32, end_stream: bool) {
    let f: Vec<(&[u8], &[u8], bool)> =
        RESP.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)).collect();
    c.send_headers(id, f, end_stream).unwrap();
}
