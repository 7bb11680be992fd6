//! One HTTP/2 client connection: unary gRPC calls pipelined up to a number of streams, every
//! response checked. Non-blocking: `start_call` queues frames, `poll` writes, reads and checks.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use h2native_codec::error::ErrorCode;
use h2native_codec::frame::{self, Frame, FrameHeader, Setting, FRAME_HEADER_LEN};
use h2native_codec::hpack::{DecodedHeaders, Decoder, Limits};

use crate::request::{RequestEncoder, Shape};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const MAX_WINDOW: u32 = (1 << 31) - 1;
const READ_BUFFER: usize = 256 << 10;

pub struct Settings {
    pub target: String,
    pub path: String,
    pub shape: Shape,
    pub streams: usize,
    /// Close the connection after this many calls and open a new one (0: never).
    pub calls_per_connection: u64,
    /// Reset this share of calls (RST_STREAM(CANCEL)) right after sending them.
    pub cancel_percent: u32,
    /// Read at most this many octets per second on each connection (0: as fast as they come): a
    /// slow reader, whose responses back up in the server.
    pub read_rate: u64,
}

#[derive(Default)]
pub struct Counts {
    pub ok: u64,
    pub cancelled: u64,
    pub connections: u64,
    pub errors: BTreeMap<&'static str, u64>,
}

impl Counts {
    pub fn error(&mut self, kind: &'static str) {
        *self.errors.entry(kind).or_default() += 1;
    }
}

struct Call {
    due: Instant,
    /// Response octets received and matched so far; `None` once one did not match.
    got: Option<usize>,
    headers: bool,
}

pub struct Client {
    sock: Option<TcpStream>,
    encoder: RequestEncoder,
    decoder: Decoder,
    limits: Limits,
    decoded: DecodedHeaders,
    input: Box<[u8]>,
    in_start: usize,
    in_end: usize,
    out: Vec<u8>,
    out_written: usize,
    block: Vec<u8>,
    block_stream: u32,
    block_end_stream: bool,
    next_id: u32,
    calls: HashMap<u32, Call>,
    cancelled: HashSet<u32>,
    started: u64,
    streams: usize,
    calls_per_connection: u64,
    cancel_percent: u32,
    /// The server's connection window for our DATA.
    send_window: i64,
    peer_max_frame: u32,
    received_unacked: u32,
    goaway: bool,
    closed: bool,
    read_rate: u64,
    read_tokens: f64,
    read_refilled: Instant,
}

impl Client {
    pub fn connect(s: &Settings, counts: &mut Counts) -> Client {
        counts.connections += 1;
        let mut c = Client {
            sock: None,
            encoder: RequestEncoder::new(s.shape, &s.path, &s.target),
            decoder: Decoder::new(4096),
            limits: Limits { max_header_list_size: 1 << 20, max_header_count: 1000 },
            decoded: DecodedHeaders::new(),
            input: vec![0; READ_BUFFER].into_boxed_slice(),
            in_start: 0,
            in_end: 0,
            out: Vec::with_capacity(64 << 10),
            out_written: 0,
            block: Vec::new(),
            block_stream: 0,
            block_end_stream: false,
            next_id: 1,
            calls: HashMap::with_capacity(s.streams * 2),
            cancelled: HashSet::new(),
            started: 0,
            streams: s.streams,
            calls_per_connection: s.calls_per_connection,
            cancel_percent: s.cancel_percent,
            send_window: 65_535,
            peer_max_frame: 16_384,
            received_unacked: 0,
            goaway: false,
            closed: false,
            read_rate: s.read_rate,
            read_tokens: 0.0,
            read_refilled: Instant::now(),
        };
        match TcpStream::connect(&s.target) {
            Ok(sock) => {
                let _ = sock.set_nodelay(true);
                if sock.set_nonblocking(true).is_err() {
                    counts.error("connect");
                    c.closed = true;
                    return c;
                }
                c.sock = Some(sock);
                c.out.extend_from_slice(PREFACE);
                frame::settings::encode(
                    &[Setting::EnablePush(false), Setting::InitialWindowSize(MAX_WINDOW)],
                    &mut c.out,
                );
                frame::window_update::encode(0, MAX_WINDOW - 65_535, &mut c.out);
            }
            Err(_) => {
                counts.error("connect");
                c.closed = true;
            }
        }
        c
    }

    pub fn in_flight(&self) -> usize {
        self.calls.len()
    }

    /// The connection is over (closed, or its share of calls done): replace it.
    pub fn is_done(&self) -> bool {
        self.calls.is_empty()
            && (self.closed
                || self.goaway
                || (self.calls_per_connection > 0 && self.started >= self.calls_per_connection))
    }

    /// Queues one call if a stream and the window allow; `due` is when it counts from.
    pub fn start_call(&mut self, request: &[u8], due: Instant, counts: &mut Counts) -> bool {
        if self.closed
            || self.goaway
            || self.calls.len() >= self.streams
            || self.send_window < request.len() as i64
            || (self.calls_per_connection > 0 && self.started >= self.calls_per_connection)
            || self.next_id > MAX_WINDOW
        {
            return false;
        }
        let id = self.next_id;
        self.next_id += 2;
        let mut block = std::mem::take(&mut self.block);
        block.clear();
        self.encoder.encode(self.started, &mut block);
        frame::headers::encode_block(id, &block, false, self.peer_max_frame, &mut self.out);
        self.block = block;
        frame::data::encode(id, request, true, &mut self.out);
        self.send_window -= request.len() as i64;
        self.started += 1;
        if self.cancel_percent > 0 && (self.started * 7919) % 100 < u64::from(self.cancel_percent) {
            frame::rst_stream::encode(id, ErrorCode::Cancel, &mut self.out);
            self.cancelled.insert(id);
            counts.cancelled += 1;
        } else {
            self.calls.insert(id, Call { due, got: Some(0), headers: false });
        }
        true
    }

    /// Writes what is queued, reads what arrived, and checks the responses.
    pub fn poll(&mut self, expected: &[u8], counts: &mut Counts, latencies: &mut Vec<u32>) {
        if self.closed {
            return;
        }
        if self.calls_per_connection > 0 && self.started >= self.calls_per_connection && self.calls.is_empty()
        {
            self.close(counts, "");
            return;
        }
        if !self.write() {
            self.close(counts, "connection lost");
            return;
        }
        loop {
            if self.in_end == self.input.len() {
                self.input.copy_within(self.in_start..self.in_end, 0);
                self.in_end -= self.in_start;
                self.in_start = 0;
            }
            let mut room = self.input.len() - self.in_end;
            if self.read_rate > 0 {
                let now = Instant::now();
                let refill = now.duration_since(self.read_refilled).as_secs_f64() * self.read_rate as f64;
                self.read_tokens = (self.read_tokens + refill).min(16_384.0);
                self.read_refilled = now;
                room = room.min(self.read_tokens as usize);
                if room == 0 {
                    break;
                }
            }
            let sock = self.sock.as_mut().expect("open");
            match sock.read(&mut self.input[self.in_end..self.in_end + room]) {
                Ok(0) => {
                    self.close(counts, "connection closed by the server");
                    return;
                }
                Ok(n) => {
                    self.in_end += n;
                    self.read_tokens -= n as f64;
                    if !self.frames(expected, counts, latencies) {
                        self.close(counts, "protocol error");
                        return;
                    }
                    if self.in_start == self.in_end {
                        (self.in_start, self.in_end) = (0, 0);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.close(counts, "connection lost");
                    return;
                }
            }
        }
        if !self.write() {
            self.close(counts, "connection lost");
        }
    }

    fn write(&mut self) -> bool {
        let Some(sock) = self.sock.as_mut() else { return false };
        while self.out_written < self.out.len() {
            match sock.write(&self.out[self.out_written..]) {
                Ok(n) => self.out_written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        self.out.clear();
        self.out_written = 0;
        true
    }

    fn close(&mut self, counts: &mut Counts, why: &'static str) {
        if !why.is_empty() {
            for _ in self.calls.drain() {
                counts.error(why);
            }
        }
        self.calls.clear();
        self.sock = None;
        self.closed = true;
    }

    /// Handles every whole frame in the input; false on a frame we cannot make sense of.
    fn frames(&mut self, expected: &[u8], counts: &mut Counts, latencies: &mut Vec<u32>) -> bool {
        // the input is taken out while its frames are handled (they borrow it), then put back
        let input = std::mem::take(&mut self.input);
        let ok = self.frames_in(&input, expected, counts, latencies);
        self.input = input;
        ok
    }

    fn frames_in(
        &mut self,
        input: &[u8],
        expected: &[u8],
        counts: &mut Counts,
        latencies: &mut Vec<u32>,
    ) -> bool {
        loop {
            let buf = &input[self.in_start..self.in_end];
            let Some(head) = FrameHeader::parse(buf) else { return true };
            let end = FRAME_HEADER_LEN + head.length as usize;
            if buf.len() < end {
                return end <= input.len();
            }
            let payload = &buf[FRAME_HEADER_LEN..end];
            self.in_start += end;
            let Ok(f) = Frame::parse(head, payload) else { return false };
            match f {
                Frame::Settings(s) if !s.ack => {
                    for setting in s.iter() {
                        if let Setting::MaxFrameSize(n) = setting {
                            self.peer_max_frame = n;
                        }
                    }
                    frame::settings::encode_ack(&mut self.out);
                }
                Frame::Ping(p) if !p.ack => frame::ping::encode(true, p.payload, &mut self.out),
                Frame::WindowUpdate(w) if w.stream_id == 0 => self.send_window += i64::from(w.increment),
                Frame::Headers(h) => {
                    self.block.clear();
                    self.block.extend_from_slice(h.fragment);
                    self.block_stream = h.stream_id;
                    self.block_end_stream = h.end_stream;
                    if h.end_headers && !self.header_block(expected, counts, latencies) {
                        return false;
                    }
                }
                Frame::Continuation(c) => {
                    self.block.extend_from_slice(c.fragment);
                    if c.end_headers && !self.header_block(expected, counts, latencies) {
                        return false;
                    }
                }
                Frame::Data(d) => {
                    self.received_unacked += d.flow_len;
                    if self.received_unacked > 1 << 30 {
                        frame::window_update::encode(0, self.received_unacked, &mut self.out);
                        self.received_unacked = 0;
                    }
                    if let Some(call) = self.calls.get_mut(&d.stream_id) {
                        call.got = call.got.and_then(|at| {
                            (expected.get(at..at + d.data.len()) == Some(d.data)).then_some(at + d.data.len())
                        });
                        if d.end_stream {
                            // a response without trailers is not a gRPC answer
                            self.calls.remove(&d.stream_id);
                            counts.error("no trailers");
                        }
                    }
                }
                Frame::RstStream(r) => {
                    if self.calls.remove(&r.stream_id).is_some() {
                        counts.error(if r.error_code == ErrorCode::RefusedStream {
                            "refused"
                        } else {
                            "reset"
                        });
                    }
                    self.cancelled.remove(&r.stream_id);
                }
                Frame::GoAway(g) => {
                    self.goaway = true;
                    let last = g.last_stream_id;
                    let before = self.calls.len();
                    self.calls.retain(|&id, _| id <= last);
                    for _ in self.calls.len()..before {
                        counts.error("not processed (GOAWAY)");
                    }
                }
                _ => {}
            }
        }
    }

    /// A complete header block on `block_stream`: response headers or trailers.
    fn header_block(&mut self, expected: &[u8], counts: &mut Counts, latencies: &mut Vec<u32>) -> bool {
        // every block is decoded, answered or not, to keep HPACK in step
        self.decoded.clear();
        if self.decoder.decode(&self.block, &self.limits, &mut self.decoded).is_err() {
            return false;
        }
        let id = self.block_stream;
        let Some(call) = self.calls.get_mut(&id) else {
            if self.block_end_stream {
                self.cancelled.remove(&id);
            }
            return true;
        };
        let field = |name: &[u8]| self.decoded.iter().find(|(n, _, _)| *n == name).map(|(_, v, _)| v);
        if !call.headers {
            call.headers = true;
            if field(b":status") != Some(b"200") {
                self.calls.remove(&id);
                counts.error("HTTP status");
                return true;
            }
            if !self.block_end_stream {
                return true;
            }
        }
        if !self.block_end_stream {
            self.calls.remove(&id);
            counts.error("trailers without END_STREAM");
            return true;
        }
        let status_ok = field(b"grpc-status") == Some(b"0");
        let call = self.calls.remove(&id).expect("the call");
        if !status_ok {
            counts.error("grpc-status");
        } else if call.got != Some(expected.len()) {
            counts.error("payload");
        } else {
            counts.ok += 1;
            latencies.push(call.due.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
        }
        true
    }
}
