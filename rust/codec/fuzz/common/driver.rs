//! Shared driver of the `server_conn` and `client_conn` targets: feeds a `Connection` the way
//! the JVM does (events and output read and cleared after every call, unconsumed tails fed
//! again with more bytes appended, CONSUMED for delivered DATA, responses to requests) and
//! checks the invariants a caller relies on.
//!
//! Input: `[n] [n control octets] [peer bytes...]`. The peer bytes are the traffic (frames);
//! the control octets are a script, read in a cycle, of what to do next:
//!
//! | `op & 3` | action |
//! |---|---|
//! | 0, 1 | feed the next `CHUNKS[op >> 2 & 15]` peer octets (`op & 0x80`: skip auto-CONSUMED) |
//! | 2 | `set_now(now + DELAYS[op >> 2 & 15])` |
//! | 3 | a command: structured (`op >> 2` < 48) or the next `op >> 2 & 15` × 8 control octets as a raw command buffer |
//!
//! With no control octets, the traffic is fed in 1 KiB chunks. Seeds are `[0] ++ frames`
//! (peer frames after the prefix the target adds).

use h2native_codec::abi::testing::{self, CommandWriter, Event};
use h2native_codec::abi::{self, apply_commands, Connection};
use h2native_codec::conn::Segment;
use h2native_codec::error::ErrorCode;
use h2native_codec::frame::{self, FRAME_HEADER_LEN, MAX_MAX_FRAME_SIZE};

const CHUNKS: [usize; 16] = [1, 2, 3, 5, 8, 9, 13, 17, 24, 64, 100, 333, 1024, 4096, 16_393, 70_000];
const DELAYS: [u64; 16] =
    [0, 1, 5, 50, 500, 999, 1_000, 5_000, 9_999, 10_001, 29_999, 30_001, 60_000, 600_000, 0, 3_600_000];
/// Bounds the work of one input (the script cycles while it feeds).
const MAX_STEPS: usize = 4096;
/// Bound on each reusable buffer after a call: the event bound (32 KiB) plus one event of up to
/// 16 KiB of fields and 256 records; the others stay far below.
const MAX_BUFFER_CAPACITY: usize = 256 << 10;

pub struct Driver {
    pub conn: Connection,
    now: u64,
    /// Unconsumed peer octets, fed again with more appended.
    pending: Vec<u8>,
    cmds: CommandWriter,
    results: Vec<u8>,
    /// Streams seen in events, for structured commands.
    streams: Vec<u32>,
    /// Received DATA not yet reported CONSUMED: (stream, octets).
    unconsumed: Vec<(u32, u32)>,
    client: bool,
}

impl Driver {
    pub fn new(conn: Connection, client: bool) -> Driver {
        let mut d = Driver {
            conn,
            now: 0,
            pending: Vec::new(),
            cmds: CommandWriter::default(),
            results: Vec::new(),
            streams: Vec::new(),
            unconsumed: Vec::new(),
            client,
        };
        let out = d.conn.output();
        let frames = if client {
            assert!(out.starts_with(h2native_codec::conn::PREFACE));
            &out[h2native_codec::conn::PREFACE.len()..]
        } else {
            out
        };
        check_frames(frames, d.conn.segments());
        d.conn.clear_output();
        d.after_call(None);
        d
    }

    /// Runs a whole fuzz input (see the module doc); `prefix` (the client preface, the
    /// server's SETTINGS) goes in front of the peer bytes, in the same chunks.
    pub fn run(&mut self, prefix: &[u8], data: &[u8]) {
        let Some((&n, rest)) = data.split_first() else { return };
        let (control, traffic) = rest.split_at(usize::from(n).min(rest.len()));
        let all = [prefix, traffic].concat();
        let mut traffic = &all[..];
        if control.is_empty() {
            while !traffic.is_empty() {
                let (chunk, tail) = traffic.split_at(traffic.len().min(1024));
                self.feed(chunk, true);
                traffic = tail;
            }
            return;
        }
        let mut pc = 0;
        // Every cycle through the script either feeds or, once the traffic is out, stops.
        let mut steps_without_feed = 0;
        let mut steps = 0;
        while steps_without_feed <= control.len() && steps < MAX_STEPS {
            steps += 1;
            let op = control[pc % control.len()];
            pc += 1;
            steps_without_feed += 1;
            match op & 3 {
                0 | 1 => {
                    if traffic.is_empty() {
                        continue;
                    }
                    let len = CHUNKS[usize::from(op >> 2 & 15)].min(traffic.len());
                    let (chunk, tail) = traffic.split_at(len);
                    traffic = tail;
                    self.feed(chunk, op & 0x80 == 0);
                    steps_without_feed = 0;
                }
                2 => {
                    self.now += DELAYS[usize::from(op >> 2 & 15)];
                    self.conn.set_now(self.now);
                    self.after_call(None);
                }
                _ => {
                    let sel = op >> 2;
                    if sel < 48 {
                        let arg = control[pc % control.len()];
                        pc += 1;
                        self.structured_command(sel, arg);
                    } else {
                        let len = usize::from(sel & 15) * 8;
                        let raw: Vec<u8> = (0..len).map(|i| control[(pc + i) % control.len()]).collect();
                        pc += len;
                        self.commands_raw(&raw);
                    }
                }
            }
        }
    }

    /// Client: opens stream 1 with a gRPC request (HEADERS command, no END_STREAM) and a
    /// 5-octet message.
    pub fn request(&mut self) {
        self.cmds.clear();
        self.cmds.headers(0, &request(0), false);
        self.cmds.data(1, 5, false, 1);
        self.apply();
        let st = u32::from_le_bytes(self.results[..4].try_into().unwrap());
        let id = u32::from_le_bytes(self.results[4..8].try_into().unwrap());
        assert_eq!((st, id), (abi::status::OK, 1), "request refused");
        self.streams.push(1);
    }

    fn feed(&mut self, chunk: &[u8], auto_consume: bool) {
        self.pending.extend_from_slice(chunk);
        let mut input = std::mem::take(&mut self.pending);
        let mut n = self.conn.feed(&input);
        assert!(n <= input.len(), "feed consumed {n} of {} octets", input.len());
        self.after_call(Some(&input));
        // What the JVM does when a feed stopped at the event bound: the rest again, at once.
        while self.conn.input_left() {
            assert!(n > 0, "input left but nothing consumed");
            input.drain(..n);
            n = self.conn.feed(&input);
            self.after_call(Some(&input));
        }
        let tail = &input[n..];
        if !self.conn.is_closed() {
            // feed takes every complete frame: what is left is less than one frame (or a
            // partial preface).
            assert!(
                tail.len() < FRAME_HEADER_LEN + self.conn.config().max_frame_size as usize,
                "{} octets left unconsumed",
                tail.len()
            );
            if let Some(h) = frame::FrameHeader::parse(tail) {
                assert!(tail.len() < FRAME_HEADER_LEN + h.length as usize, "a whole frame left unconsumed");
            }
        } else {
            assert!(tail.is_empty(), "closed connection left input unconsumed");
        }
        self.pending = tail.to_vec();
        if auto_consume && !self.unconsumed.is_empty() {
            // What the JVM does once the application read the DATA.
            self.cmds.clear();
            for (id, len) in std::mem::take(&mut self.unconsumed) {
                self.cmds.consumed(id, len);
            }
            self.apply();
        }
    }

    fn structured_command(&mut self, sel: u8, arg: u8) {
        let pick = |d: &Driver| -> u32 {
            match d.streams.len() {
                0 => u32::from(arg) | 1,
                n => d.streams[usize::from(arg) % n],
            }
        };
        let id = pick(self);
        self.cmds.clear();
        match sel % 12 {
            0 if self.client => self.cmds.headers(0, &request(arg), arg & 1 != 0),
            0 | 1 => self.cmds.headers(id, &response(arg), arg & 1 != 0),
            2 => self.cmds.headers(id, &[(b"grpc-status", b"0", false)], true),
            3 => self.cmds.data(id, u32::from(arg) * 997, arg & 1 != 0, u32::from(arg)),
            4 => self.cmds.data(id, 0, true, 7),
            5 => self.cmds.reset(id, ErrorCode::from_u32(u32::from(arg % 16))),
            6 => self.cmds.ping([arg; 8]),
            7 => self.cmds.goaway(true, ErrorCode::NoError, b""),
            8 => self.cmds.goaway(false, ErrorCode::from_u32(u32::from(arg % 16)), b"fuzz"),
            9 => self.cmds.consumed(id, u32::from(arg) << 8),
            10 => {
                // A CONSUMED of everything received: what the JVM does when the app drops it.
                for (id, len) in std::mem::take(&mut self.unconsumed) {
                    self.cmds.consumed(id, len);
                }
            }
            _ => {
                let big = vec![b'x'; usize::from(arg) * 64];
                self.cmds.headers(
                    id,
                    &[(b":status", b"200", false), (b"x-big", &big[..], arg & 2 != 0)],
                    false,
                );
            }
        }
        self.apply();
    }

    fn apply(&mut self) {
        let cmds = std::mem::take(&mut self.cmds);
        let r = apply_commands(&mut self.conn, &cmds.buf, &mut self.results);
        assert!(r.is_ok(), "well-formed commands refused: {r:?}");
        self.cmds = cmds;
        self.check_results(r.ok());
        self.after_call(None);
    }

    fn commands_raw(&mut self, raw: &[u8]) {
        let r = apply_commands(&mut self.conn, raw, &mut self.results);
        self.check_results(r.ok());
        self.after_call(None);
    }

    fn check_results(&self, n: Option<usize>) {
        assert_eq!(self.results.len() % 8, 0);
        if let Some(n) = n {
            assert_eq!(self.results.len(), n * 8);
        }
        for r in self.results.chunks_exact(8) {
            let status = u32::from_le_bytes(r[..4].try_into().unwrap());
            assert!(status <= abi::status::CLOSED, "unknown result status {status}");
        }
    }

    /// What the JVM does after every native call: read the events, write the output, clear.
    fn after_call(&mut self, input: Option<&[u8]>) {
        let c = &self.conn;
        for b in c.buffer_capacities() {
            assert!(b <= MAX_BUFFER_CAPACITY, "buffer capacities {:?}", c.buffer_capacities());
        }
        assert!(c.event_sink().capacity() <= MAX_BUFFER_CAPACITY, "events {}", c.event_sink().capacity());
        check_events(c.events(), input);
        for e in testing::events(c.events()) {
            match e {
                Event::Headers { stream_id, .. } => {
                    if !self.streams.contains(&stream_id) {
                        if self.streams.len() == 64 {
                            self.streams.remove(0);
                        }
                        self.streams.push(stream_id);
                    }
                }
                Event::Data { stream_id, len, .. } if len > 0 => self.unconsumed.push((stream_id, len)),
                _ => {}
            }
        }
        check_frames(c.output(), c.segments());
        self.conn.clear_events();
        self.conn.clear_output();
    }
}

fn request(arg: u8) -> Vec<(&'static [u8], &'static [u8], bool)> {
    let mut v: Vec<(&'static [u8], &'static [u8], bool)> = vec![
        (b":method", b"POST", false),
        (b":scheme", b"https", false),
        (b":path", b"/helloworld.Greeter/SayHello", false),
        (b":authority", b"localhost:50051", false),
        (b"content-type", b"application/grpc", false),
        (b"te", b"trailers", false),
    ];
    if arg & 2 != 0 {
        v.push((b"authorization", b"Bearer secret", true));
    }
    if arg & 4 != 0 {
        v[0] = (b":method", b"GET", false);
    }
    v
}

fn response(arg: u8) -> Vec<(&'static [u8], &'static [u8], bool)> {
    let status: &'static [u8] = match arg % 4 {
        0 => b"200",
        1 => b"100",
        2 => b"404",
        _ => b"103",
    };
    vec![(b":status", status, false), (b"content-type", b"application/grpc", false)]
}

/// Every event record is well-formed and its offsets point where the ABI says.
fn check_events(ev: &[u8], input: Option<&[u8]>) {
    let mut pos = 0;
    while pos < ev.len() {
        assert!(ev.len() - pos >= 8, "truncated event header");
        let kind = abi::get_u16(ev, pos);
        let len = abi::get_u32(ev, pos + 4) as usize;
        assert!(len >= 8 && len % 8 == 0 && len <= ev.len() - pos, "event {kind} has bad length {len}");
        let rec = &ev[pos..pos + len];
        let u = |o: usize| abi::get_u32(rec, o) as usize;
        match kind {
            abi::ev::HEADERS => {
                let n = u(12);
                let (boff, blen) = (u(16), u(20));
                assert_eq!(len, (24 + 32 * n + blen).next_multiple_of(8), "HEADERS event size");
                assert_eq!(boff, pos + 24 + 32 * n);
                for i in 0..n {
                    let e = 24 + 32 * i;
                    assert!(rec[e] <= abi::source::INSERTED);
                    for (o, l) in [(u(e + 4), u(e + 8)), (u(e + 12), u(e + 16))] {
                        assert!(o >= boff && o + l <= boff + blen, "field octets outside the bytes region");
                    }
                }
            }
            abi::ev::DATA => {
                assert_eq!(len, 24);
                let input = input.expect("DATA event outside feed");
                assert!(u(12) + u(16) <= input.len(), "DATA points past the fed input");
            }
            abi::ev::GOAWAY => {
                assert_eq!(len, 24);
                let input = input.expect("GOAWAY event outside feed");
                assert!(u(16) + u(20) <= input.len(), "GOAWAY debug points past the fed input");
            }
            abi::ev::CONNECTION_ERROR | abi::ev::STREAM_ERROR => {
                assert!(24 + u(16) <= len);
                assert!(std::str::from_utf8(&rec[24..24 + u(16)]).is_ok());
            }
            abi::ev::RESET | abi::ev::WINDOW_OPENED | abi::ev::PING_ACK | abi::ev::LIMIT => {
                assert_eq!(len, 16)
            }
            abi::ev::SETTINGS => assert_eq!(len, 32),
            abi::ev::SETTINGS_ACKED | abi::ev::HTTP1_DETECTED | abi::ev::DRAINED => assert_eq!(len, 8),
            k => panic!("unknown event kind {k}"),
        }
        pos += len;
    }
}

/// The output with payloads spliced in per the segments is a sequence of whole, valid frames.
fn check_frames(out: &[u8], segs: &[Segment]) {
    let mut wire = Vec::with_capacity(out.len());
    let mut pos = 0;
    for s in segs {
        let at = s.out_pos as usize;
        assert!(at >= pos && at <= out.len(), "segment out_pos {at} out of order or past the output");
        wire.extend_from_slice(&out[pos..at]);
        wire.resize(wire.len() + s.len as usize, 0);
        pos = at;
    }
    wire.extend_from_slice(&out[pos..]);
    let mut b = &wire[..];
    while !b.is_empty() {
        match frame::parse_frame(b, MAX_MAX_FRAME_SIZE) {
            Ok(Some((_, n))) => b = &b[n..],
            Ok(None) => panic!("output ends inside a frame: {:02x?}", &b[..b.len().min(32)]),
            Err(e) => panic!("output frame does not parse: {e}: {:02x?}", &b[..b.len().min(32)]),
        }
    }
}
