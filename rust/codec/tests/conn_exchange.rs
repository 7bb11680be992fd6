//! A client Connection and a server Connection of our own, talking through buffers: thousands
//! of random exchanges (body sizes, concurrency, resets, window sizes, frame sizes, split
//! feeds), deterministic per seed. Checks: every DATA byte delivered exactly once and in
//! order, END_STREAM exactly once, no protocol error, windows always within bounds, and a
//! blocked sender resumes only on a WINDOW_OPENED event.

#[path = "conn_support.rs"]
mod support;

use std::collections::{BTreeMap, HashMap};

use h2native_codec::abi::testing::Event;
use h2native_codec::abi::Connection;
use h2native_codec::abi::{ev_flags, testing};
use h2native_codec::conn::{Config, SendError};
use h2native_codec::error::ErrorCode;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn size(&mut self) -> u32 {
        match self.below(10) {
            0 => 0,
            1 => self.below(100_000) as u32,
            _ => self.below(16_000) as u32,
        }
    }
}

/// Byte `off` of the body sent on `stream` by the client (`dir` 0) or the server (1).
fn body_byte(stream: u32, off: u64, dir: u64) -> u8 {
    (u64::from(stream).wrapping_mul(31) + off.wrapping_mul(7) + dir * 101) as u8 % 251
}

#[derive(Default)]
struct Outgoing {
    total: u64,
    sent: u64,
    trailers: bool,
    blocked: bool,
    done: bool,
}

#[derive(Default)]
struct Incoming {
    received: u64,
    ended: bool,
}

struct Side {
    conn: Connection,
    dir: u64,
    inbox: Vec<u8>,
    out: BTreeMap<u32, Outgoing>,
    tags: HashMap<u32, (u32, u64)>,
    next_tag: u32,
    incoming: HashMap<u32, Incoming>,
    reset: std::collections::HashSet<u32>,
    unconsumed: Vec<(u32, u32)>,
}

impl Side {
    fn new(conn: Connection, dir: u64) -> Side {
        Side {
            conn,
            dir,
            inbox: Vec::new(),
            out: BTreeMap::new(),
            tags: HashMap::new(),
            next_tag: 0,
            incoming: HashMap::new(),
            reset: Default::default(),
            unconsumed: Vec::new(),
        }
    }

    /// Sends what windows allow on every unblocked stream; true if anything was written.
    fn pump_sends(&mut self, rng: &mut Rng) -> bool {
        let mut progress = false;
        let ids: Vec<u32> = self.out.keys().copied().collect();
        for id in ids {
            let o = self.out.get_mut(&id).unwrap();
            if o.done || o.blocked {
                continue;
            }
            let left = o.total - o.sent;
            let want = if rng.chance(30) { left.min(rng.below(40_000) + 1) } else { left } as u32;
            let fin = want as u64 == left && !o.trailers;
            let tag = self.next_tag;
            match self.conn.send_data(id, want, fin, tag) {
                Ok(n) => {
                    self.next_tag += 1;
                    self.tags.insert(tag, (id, o.sent));
                    o.sent += u64::from(n);
                    if n < want {
                        o.blocked = true;
                    }
                    if o.sent == o.total && (n == want) {
                        if o.trailers {
                            self.conn
                                .send_headers(id, [(&b"grpc-status"[..], &b"0"[..], false)], true)
                                .unwrap();
                        }
                        o.done = true;
                    }
                    progress |= n > 0 || fin;
                }
                Err(SendError::StreamGone) => o.done = true,
                Err(e) => panic!("send_data on {id}: {e}"),
            }
        }
        progress
    }

    /// The output with payloads spliced in, then cleared.
    fn take_wire(&mut self) -> Vec<u8> {
        let out = self.conn.output();
        let mut v = Vec::with_capacity(out.len());
        let mut pos = 0;
        for s in self.conn.segments().iter().copied() {
            v.extend_from_slice(&out[pos..s.out_pos as usize]);
            let (stream, base) = self.tags[&s.tag];
            let start = base + u64::from(s.payload_off);
            v.extend((start..start + u64::from(s.len)).map(|o| body_byte(stream, o, self.dir)));
            pos = s.out_pos as usize;
        }
        v.extend_from_slice(&out[pos..]);
        self.conn.clear_output();
        v
    }
}

struct Stats {
    exchanges: u32,
    resets: u32,
    bytes: u64,
}

fn check_windows(c: &Connection) {
    assert!(c.connection_send_window() < (1 << 31));
    assert!((0..(1 << 31)).contains(&c.connection_recv_window()), "{}", c.connection_recv_window());
}

fn run(seed: u64, stats: &mut Stats) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let cfg = |rng: &mut Rng| Config {
        max_concurrent_streams: 1 + rng.below(150) as u32,
        initial_stream_window: [100, 16_384, 65_535, 1 << 20][rng.below(4) as usize],
        initial_connection_window: [65_535, 200_000, 1 << 20][rng.below(3) as usize],
        max_frame_size: [16_384, 20_000, 65_536][rng.below(3) as usize],
        ..Config::default()
    };
    let (scfg, ccfg) = (cfg(&mut rng), cfg(&mut rng));
    let mut server = Side::new(Connection::server(scfg), 1);
    let mut client = Side::new(Connection::client(ccfg), 0);
    let n_requests = 20 + rng.below(120) as u32;
    let mut opened = 0;
    let mut expect: HashMap<u32, (u32, u32)> = HashMap::new(); // stream -> (request len, response len)
    let mut finished = 0;
    let mut idle_rounds = 0;

    let mut rounds = 0;
    while idle_rounds < 3 {
        rounds += 1;
        assert!(rounds < 100_000, "seed {seed}: no end");
        let mut progress = false;
        // Client opens streams while allowed.
        while opened < n_requests && rng.chance(70) {
            let req = [
                (&b":method"[..], &b"POST"[..], false),
                (b":scheme", b"http", false),
                (b":path", b"/svc/Method", false),
                (b":authority", b"x", false),
                (b"content-type", b"application/grpc", false),
            ];
            let body = rng.size();
            match client.conn.send_headers(0, req, false) {
                Ok(id) => {
                    opened += 1;
                    expect.insert(id, (body, rng.size()));
                    client.out.insert(
                        id,
                        Outgoing { total: u64::from(body), trailers: false, ..Default::default() },
                    );
                    progress = true;
                }
                Err(SendError::Blocked) => break,
                Err(e) => panic!("{e}"),
            }
        }
        // Random resets by either side.
        if rng.chance(3) {
            let side = if rng.chance(50) { &mut client } else { &mut server };
            if let Some((&id, _)) = side.out.iter().find(|(_, o)| !o.done) {
                if side.conn.send_reset(id, ErrorCode::Cancel).is_ok() {
                    side.out.get_mut(&id).unwrap().done = true;
                    side.reset.insert(id);
                    stats.resets += 1;
                }
            }
        }
        progress |= client.pump_sends(&mut rng);
        progress |= server.pump_sends(&mut rng);

        for (from, to) in [(0, 1), (1, 0)] {
            let (a, b) = if from == 0 { (&mut client, &mut server) } else { (&mut server, &mut client) };
            let wire = a.take_wire();
            progress |= !wire.is_empty();
            b.inbox.extend_from_slice(&wire);
            // Feed in random pieces; a piece that holds no whole frame is followed by all of it,
            // as more bytes arriving from the socket would be.
            let mut whole = false;
            while !b.inbox.is_empty() {
                let len = b.inbox.len();
                let k = if whole { len } else { (1 + rng.below(len as u64 + 5000) as usize).min(len) };
                let used = b.conn.feed(&b.inbox[..k]);
                let evs: Vec<u8> = b.conn.events().to_vec();
                b.conn.clear_events();
                let dir = 1 - b.dir;
                for e in testing::events(&evs) {
                    match e {
                        Event::Headers { stream_id, flags, fields } => {
                            assert_eq!(flags & ev_flags::TOO_LARGE, 0);
                            let inc = b.incoming.entry(stream_id).or_default();
                            assert!(!inc.ended, "headers after end on {stream_id}");
                            if to == 1 && flags & ev_flags::TRAILERS == 0 {
                                // Server: a new request; respond at once (full duplex).
                                assert_eq!(fields[0].name, b":method");
                                let (_, resp) = expect[&stream_id];
                                let status = [(&b":status"[..], &b"200"[..], false)];
                                match b.conn.send_headers(stream_id, status, false) {
                                    Ok(_) => {
                                        let total = u64::from(resp);
                                        b.out.insert(
                                            stream_id,
                                            Outgoing { total, trailers: true, ..Default::default() },
                                        );
                                    }
                                    // Reset by the client later in the same input.
                                    Err(SendError::StreamGone) => {
                                        b.reset.insert(stream_id);
                                    }
                                    Err(e) => panic!("{e}"),
                                }
                            }
                            if flags & ev_flags::END_STREAM != 0 {
                                inc.ended = true;
                            }
                        }
                        Event::Data { stream_id, end_stream, offset, len } => {
                            let inc = b.incoming.get_mut(&stream_id).expect("data before headers");
                            assert!(!inc.ended);
                            let bytes = &b.inbox[offset as usize..(offset + len) as usize];
                            for (i, &x) in bytes.iter().enumerate() {
                                assert_eq!(
                                    x,
                                    body_byte(stream_id, inc.received + i as u64, dir),
                                    "stream {stream_id}"
                                );
                            }
                            inc.received += u64::from(len);
                            stats.bytes += u64::from(len);
                            inc.ended |= end_stream;
                            b.unconsumed.push((stream_id, len));
                        }
                        Event::Reset { stream_id, .. } => {
                            if let Some(o) = b.out.get_mut(&stream_id) {
                                o.done = true;
                            }
                            b.reset.insert(stream_id);
                        }
                        Event::WindowOpened { stream_id: 0, .. } => {
                            b.out.values_mut().for_each(|o| o.blocked = false)
                        }
                        Event::WindowOpened { stream_id, .. } => {
                            if let Some(o) = b.out.get_mut(&stream_id) {
                                o.blocked = false;
                            }
                        }
                        Event::Settings { .. } | Event::SettingsAcked => {}
                        e => panic!("seed {seed}: unexpected event {e:?}"),
                    }
                }
                b.inbox.drain(..used);
                if used == 0 {
                    if k == len {
                        break;
                    }
                    whole = true;
                }
            }
            check_windows(&b.conn);
            // The application consumes, sometimes later.
            if rng.chance(80) {
                for (id, n) in b.unconsumed.drain(..) {
                    b.conn.consumed(id, n);
                }
            }
        }
        // Streams fully done on both sides.
        let done: Vec<u32> = expect
            .keys()
            .copied()
            .filter(|id| {
                let c_in = client.incoming.get(id).is_some_and(|i| i.ended);
                let s_in = server.incoming.get(id).is_some_and(|i| i.ended);
                (c_in && s_in) || client.reset.contains(id) || server.reset.contains(id)
            })
            .collect();
        for id in done {
            let (req, resp) = expect.remove(&id).unwrap();
            if !client.reset.contains(&id) && !server.reset.contains(&id) {
                assert_eq!(server.incoming[&id].received, u64::from(req), "request body of {id}");
                assert_eq!(client.incoming[&id].received, u64::from(resp), "response body of {id}");
                stats.exchanges += 1;
            }
            finished += 1;
        }
        idle_rounds = if progress || opened < n_requests { 0 } else { idle_rounds + 1 };
        if !progress {
            // Nothing moved: the held data must be consumed to reopen windows.
            for s in [&mut client, &mut server] {
                for (id, n) in s.unconsumed.drain(..) {
                    s.conn.consumed(id, n);
                }
            }
            idle_rounds = if client.conn.output().is_empty() && server.conn.output().is_empty() {
                idle_rounds
            } else {
                0
            };
        }
    }
    assert!(!client.conn.is_closed() && !server.conn.is_closed(), "seed {seed}");
    assert_eq!(opened, n_requests, "seed {seed}: all requests opened");
    for id in expect.keys() {
        for (name, s) in [("client", &client), ("server", &server)] {
            let o = s.out.get(id).map(|o| (o.total, o.sent, o.blocked, o.done));
            let i = s.incoming.get(id).map(|i| (i.received, i.ended));
            eprintln!(
                "{name} inbox {} output {} unconsumed {:?}",
                s.inbox.len(),
                s.conn.output().len(),
                s.unconsumed
            );
            eprintln!(
                "{name} {id}: out {o:?} in {i:?} state {:?} windows {:?} conn send {} cap {}",
                s.conn.stream_state(*id),
                s.conn.stream_windows(*id),
                s.conn.connection_send_window(),
                s.conn.send_capacity(*id)
            );
        }
    }
    assert!(
        expect.is_empty(),
        "seed {seed}: streams never finished: {:?}",
        expect.keys().collect::<Vec<_>>()
    );
    assert_eq!(finished, n_requests);
}

fn run_seeds(seeds: std::ops::Range<u64>) {
    let mut stats = Stats { exchanges: 0, resets: 0, bytes: 0 };
    for seed in seeds {
        run(seed, &mut stats);
    }
    eprintln!("{} exchanges, {} resets, {} body octets", stats.exchanges, stats.resets, stats.bytes);
    assert!(stats.exchanges > 1_500, "{} exchanges", stats.exchanges);
    assert!(stats.resets > 10);
    assert!(stats.bytes > 5_000_000);
}

#[test]
fn random_exchanges_a() {
    run_seeds(0..30);
}

#[test]
fn random_exchanges_b() {
    run_seeds(30..60);
}

#[test]
fn frames_are_counted_by_type_in_both_directions() {
    let mut client = Connection::client(Config::default());
    let mut server = Connection::server(Config::default());
    // client preface + SETTINGS + WINDOW_UPDATE, then the server's SETTINGS + WINDOW_UPDATE + SETTINGS ACK
    let out = client.output().to_vec();
    client.clear_output();
    assert_eq!(server.feed(&out), out.len());
    let reply = server.output().to_vec();
    server.clear_output();
    client.feed(&reply);
    let (c, s) = (client.frame_counts(), server.frame_counts());
    assert_eq!(c.sent, s.received, "what one side sent is what the other received");
    assert_eq!(s.received[4], 1, "one SETTINGS");
    assert_eq!(s.received[8], 1, "one WINDOW_UPDATE");
    assert_eq!(s.sent, c.received);
    assert_eq!(s.sent[4], 2, "SETTINGS and its ACK");
    assert_eq!(s.received[10] + s.received[0], 0);
}
