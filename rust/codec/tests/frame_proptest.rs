//! Properties: encode-then-parse is the identity for every frame type (padded variants
//! included), every strict prefix of a frame needs more input, a stream of frames cut at
//! random points demuxes to the same frames, and arbitrary input never panics.

use h2native_codec::error::{ErrorCode, H2Error};
use h2native_codec::frame::*;
use proptest::collection::vec;
use proptest::prelude::*;

/// One frame to encode, with everything needed to know what parsing must give back.
#[derive(Debug, Clone)]
enum Case {
    Data {
        stream_id: u32,
        payload: Vec<u8>,
        end_stream: bool,
        pad: Option<u8>,
    },
    Headers {
        stream_id: u32,
        fragment: Vec<u8>,
        end_stream: bool,
        end_headers: bool,
        priority: Option<PrioritySpec>,
        pad: Option<u8>,
    },
    Priority {
        stream_id: u32,
        spec: PrioritySpec,
    },
    RstStream {
        stream_id: u32,
        code: u32,
    },
    Settings {
        ack: bool,
        settings: Vec<Setting>,
    },
    PushPromise {
        stream_id: u32,
        promised: u32,
        fragment: Vec<u8>,
        end_headers: bool,
        pad: Option<u8>,
    },
    Ping {
        ack: bool,
        payload: [u8; 8],
    },
    GoAway {
        last_stream_id: u32,
        code: u32,
        debug: Vec<u8>,
    },
    WindowUpdate {
        stream_id: u32,
        increment: u32,
    },
    Continuation {
        stream_id: u32,
        fragment: Vec<u8>,
        end_headers: bool,
    },
    Unknown {
        kind: u8,
        flags: u8,
        stream_id: u32,
        payload: Vec<u8>,
    },
}

impl Case {
    fn encode(&self, dst: &mut Vec<u8>) {
        match self {
            Case::Data {
                stream_id,
                payload,
                end_stream,
                pad,
            } => match pad {
                None => data::encode(*stream_id, payload, *end_stream, dst),
                Some(p) => data::encode_padded(*stream_id, payload, *end_stream, *p, dst),
            },
            Case::Headers {
                stream_id,
                fragment,
                end_stream,
                end_headers,
                priority,
                pad,
            } => match pad {
                None => headers::encode(
                    *stream_id,
                    fragment,
                    *end_stream,
                    *end_headers,
                    *priority,
                    dst,
                ),
                Some(p) => headers::encode_padded(
                    *stream_id,
                    fragment,
                    *end_stream,
                    *end_headers,
                    *priority,
                    *p,
                    dst,
                ),
            },
            Case::Priority { stream_id, spec } => priority::encode(*stream_id, *spec, dst),
            Case::RstStream { stream_id, code } => {
                rst_stream::encode(*stream_id, ErrorCode::from_u32(*code), dst)
            }
            Case::Settings { ack: true, .. } => settings::encode_ack(dst),
            Case::Settings {
                ack: false,
                settings,
            } => settings::encode(settings, dst),
            Case::PushPromise {
                stream_id,
                promised,
                fragment,
                end_headers,
                pad,
            } => match pad {
                None => push_promise::encode(*stream_id, *promised, fragment, *end_headers, dst),
                Some(p) => push_promise::encode_padded(
                    *stream_id,
                    *promised,
                    fragment,
                    *end_headers,
                    *p,
                    dst,
                ),
            },
            Case::Ping { ack, payload } => ping::encode(*ack, *payload, dst),
            Case::GoAway {
                last_stream_id,
                code,
                debug,
            } => goaway::encode(*last_stream_id, ErrorCode::from_u32(*code), debug, dst),
            Case::WindowUpdate {
                stream_id,
                increment,
            } => window_update::encode(*stream_id, *increment, dst),
            Case::Continuation {
                stream_id,
                fragment,
                end_headers,
            } => continuation::encode(*stream_id, fragment, *end_headers, dst),
            Case::Unknown {
                kind,
                flags,
                stream_id,
                payload,
            } => {
                FrameHeader::new(*kind, *flags, *stream_id, payload.len() as u32).encode(dst);
                dst.extend_from_slice(payload);
            }
        }
    }

    /// Asserts that `f` is what this case encodes.
    fn check(&self, f: &Frame<'_>) {
        let pad_cost = |pad: &Option<u8>| pad.map_or(0, |p| 1 + u32::from(p));
        match (self, f) {
            (
                Case::Data {
                    stream_id,
                    payload,
                    end_stream,
                    pad,
                },
                _,
            ) => {
                let flow_len = payload.len() as u32 + pad_cost(pad);
                let expected = Data {
                    stream_id: *stream_id,
                    end_stream: *end_stream,
                    data: payload,
                    flow_len,
                };
                assert_eq!(f, &Frame::Data(expected));
            }
            (
                Case::Headers {
                    stream_id,
                    fragment,
                    end_stream,
                    end_headers,
                    priority,
                    ..
                },
                _,
            ) => {
                let expected = Headers {
                    stream_id: *stream_id,
                    end_stream: *end_stream,
                    end_headers: *end_headers,
                    priority: *priority,
                    fragment,
                };
                assert_eq!(f, &Frame::Headers(expected));
            }
            (Case::Priority { stream_id, spec }, _) => {
                assert_eq!(
                    f,
                    &Frame::Priority(Priority {
                        stream_id: *stream_id,
                        spec: *spec
                    })
                )
            }
            (Case::RstStream { stream_id, code }, _) => assert_eq!(
                f,
                &Frame::RstStream(RstStream {
                    stream_id: *stream_id,
                    error_code: ErrorCode::from_u32(*code)
                })
            ),
            (Case::Settings { ack, settings }, Frame::Settings(s)) => {
                assert_eq!(s.ack, *ack);
                assert_eq!(s.len(), settings.len());
                assert!(s.iter().eq(settings.iter().copied()));
            }
            (
                Case::PushPromise {
                    stream_id,
                    promised,
                    fragment,
                    end_headers,
                    ..
                },
                _,
            ) => assert_eq!(
                f,
                &Frame::PushPromise(PushPromise {
                    stream_id: *stream_id,
                    end_headers: *end_headers,
                    promised_stream_id: *promised,
                    fragment,
                })
            ),
            (Case::Ping { ack, payload }, _) => {
                assert_eq!(
                    f,
                    &Frame::Ping(Ping {
                        ack: *ack,
                        payload: *payload
                    })
                )
            }
            (
                Case::GoAway {
                    last_stream_id,
                    code,
                    debug,
                },
                _,
            ) => assert_eq!(
                f,
                &Frame::GoAway(GoAway {
                    last_stream_id: *last_stream_id,
                    error_code: ErrorCode::from_u32(*code),
                    debug_data: debug,
                })
            ),
            (
                Case::WindowUpdate {
                    stream_id,
                    increment,
                },
                _,
            ) => assert_eq!(
                f,
                &Frame::WindowUpdate(WindowUpdate {
                    stream_id: *stream_id,
                    increment: *increment
                })
            ),
            (
                Case::Continuation {
                    stream_id,
                    fragment,
                    end_headers,
                },
                _,
            ) => assert_eq!(
                f,
                &Frame::Continuation(Continuation {
                    stream_id: *stream_id,
                    end_headers: *end_headers,
                    fragment,
                })
            ),
            (
                Case::Unknown {
                    kind,
                    flags,
                    stream_id,
                    payload,
                },
                _,
            ) => assert_eq!(
                f,
                &Frame::Unknown(FrameHeader {
                    length: payload.len() as u32,
                    kind: *kind,
                    flags: *flags,
                    stream_id: *stream_id,
                })
            ),
            (case, f) => panic!("{case:?} parsed as {f:?}"),
        }
    }
}

fn stream_id() -> impl Strategy<Value = u32> {
    prop_oneof![1..=9u32, 1..=MAX_WINDOW_SIZE]
}

fn any_id() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), stream_id()]
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=max)
}

fn spec() -> impl Strategy<Value = PrioritySpec> {
    (any_id(), any::<bool>(), any::<u8>()).prop_map(|(dependency, exclusive, weight)| {
        PrioritySpec {
            dependency,
            exclusive,
            weight,
        }
    })
}

/// A stream id and a priority that does not depend on it (§5.3.1).
fn id_and_spec() -> impl Strategy<Value = (u32, PrioritySpec)> {
    (stream_id(), spec()).prop_filter("self-dependency", |(id, s)| s.dependency != *id)
}

fn setting() -> impl Strategy<Value = Setting> {
    let known = [1u16, 2, 3, 4, 5, 6, 8];
    prop_oneof![
        any::<u32>().prop_map(Setting::HeaderTableSize),
        any::<bool>().prop_map(Setting::EnablePush),
        any::<u32>().prop_map(Setting::MaxConcurrentStreams),
        (0..=MAX_WINDOW_SIZE).prop_map(Setting::InitialWindowSize),
        (DEFAULT_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).prop_map(Setting::MaxFrameSize),
        any::<u32>().prop_map(Setting::MaxHeaderListSize),
        any::<bool>().prop_map(Setting::EnableConnectProtocol),
        (any::<u16>(), any::<u32>())
            .prop_filter("known id", move |(id, _)| !known.contains(id))
            .prop_map(|(id, v)| Setting::Unknown(id, v)),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let pad = proptest::option::of(any::<u8>());
    prop_oneof![
        (stream_id(), bytes(300), any::<bool>(), pad.clone()).prop_map(
            |(stream_id, payload, end_stream, pad)| {
                Case::Data {
                    stream_id,
                    payload,
                    end_stream,
                    pad,
                }
            }
        ),
        (
            stream_id(),
            bytes(100),
            any::<bool>(),
            any::<bool>(),
            pad.clone()
        )
            .prop_map(|(stream_id, fragment, end_stream, end_headers, pad)| {
                Case::Headers {
                    stream_id,
                    fragment,
                    end_stream,
                    end_headers,
                    priority: None,
                    pad,
                }
            }),
        (
            id_and_spec(),
            bytes(100),
            any::<bool>(),
            any::<bool>(),
            pad.clone()
        )
            .prop_map(
                |((stream_id, spec), fragment, end_stream, end_headers, pad)| Case::Headers {
                    stream_id,
                    fragment,
                    end_stream,
                    end_headers,
                    priority: Some(spec),
                    pad,
                }
            ),
        id_and_spec().prop_map(|(stream_id, spec)| Case::Priority { stream_id, spec }),
        (stream_id(), any::<u32>())
            .prop_map(|(stream_id, code)| Case::RstStream { stream_id, code }),
        Just(Case::Settings {
            ack: true,
            settings: vec![]
        }),
        vec(setting(), 0..12).prop_map(|settings| Case::Settings {
            ack: false,
            settings
        }),
        (stream_id(), stream_id(), bytes(100), any::<bool>(), pad).prop_map(
            |(stream_id, promised, fragment, end_headers, pad)| Case::PushPromise {
                stream_id,
                promised,
                fragment,
                end_headers,
                pad,
            }
        ),
        (any::<bool>(), any::<[u8; 8]>()).prop_map(|(ack, payload)| Case::Ping { ack, payload }),
        (any_id(), any::<u32>(), bytes(64)).prop_map(|(last_stream_id, code, debug)| {
            Case::GoAway {
                last_stream_id,
                code,
                debug,
            }
        }),
        (any_id(), 1..=MAX_WINDOW_SIZE).prop_map(|(stream_id, increment)| Case::WindowUpdate {
            stream_id,
            increment
        }),
        (stream_id(), bytes(100), any::<bool>()).prop_map(|(stream_id, fragment, end_headers)| {
            Case::Continuation {
                stream_id,
                fragment,
                end_headers,
            }
        }),
        (10u8.., any::<u8>(), any_id(), bytes(64)).prop_map(|(kind, flags, stream_id, payload)| {
            Case::Unknown {
                kind,
                flags,
                stream_id,
                payload,
            }
        }),
    ]
}

/// Demuxes `input`, handed over in pieces of the given sizes, as a socket reader would:
/// append, parse all complete frames, keep the rest. Returns how many frames were seen.
fn demux_in_pieces(input: &[u8], cuts: &[usize], expected: &[Case]) -> usize {
    let mut buf = Vec::new();
    let mut seen = 0;
    let mut pos = 0;
    let mut cuts = cuts.iter().copied().chain(std::iter::repeat(usize::MAX));
    while pos < input.len() {
        let n = cuts.next().unwrap().min(input.len() - pos);
        buf.extend_from_slice(&input[pos..pos + n]);
        pos += n;
        let mut start = 0;
        while let Some((f, n)) = parse_frame(&buf[start..], MAX_MAX_FRAME_SIZE).unwrap() {
            expected[seen].check(&f);
            seen += 1;
            start += n;
        }
        buf.drain(..start);
    }
    assert!(buf.is_empty());
    seen
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_parse_is_identity(case in case(), prefix in bytes(4)) {
        let mut buf = prefix.clone();
        case.encode(&mut buf);
        let frame_bytes = &buf[prefix.len()..];
        let (f, n) = parse_frame(frame_bytes, MAX_MAX_FRAME_SIZE).unwrap().unwrap();
        prop_assert_eq!(n, frame_bytes.len());
        case.check(&f);
        // Header length agrees, and the smallest legal max frame size is enough for these.
        prop_assert_eq!(FrameHeader::parse(frame_bytes).unwrap().length as usize + FRAME_HEADER_LEN, n);
        prop_assert!(parse_frame(frame_bytes, DEFAULT_MAX_FRAME_SIZE).unwrap().is_some());
    }

    #[test]
    fn every_strict_prefix_needs_more(case in case()) {
        let mut buf = Vec::new();
        case.encode(&mut buf);
        for k in 0..buf.len() {
            prop_assert_eq!(parse_frame(&buf[..k], MAX_MAX_FRAME_SIZE), Ok(None), "prefix {}", k);
        }
    }

    #[test]
    fn stream_cut_at_random_points_demuxes_to_the_same_frames(
        cases in vec(case(), 1..24),
        cuts in vec(0usize..80, 0..200),
    ) {
        let mut input = Vec::new();
        for c in &cases {
            c.encode(&mut input);
        }
        prop_assert_eq!(demux_in_pieces(&input, &cuts, &cases), cases.len());
    }

    #[test]
    fn encode_block_splits_and_reassembles(
        id in stream_id(),
        block in bytes(2000),
        end_stream in any::<bool>(),
        max in 1u32..600,
    ) {
        let mut buf = Vec::new();
        headers::encode_block(id, &block, end_stream, max, &mut buf);
        let mut rest = &buf[..];
        let mut got = Vec::new();
        let mut frames = 0;
        let mut done = false;
        while let Some((f, n)) = parse_frame(rest, max).unwrap() {
            prop_assert!(!done, "frame after END_HEADERS");
            prop_assert_eq!(f.stream_id(), id);
            match f {
                Frame::Headers(h) if frames == 0 => {
                    prop_assert_eq!(h.end_stream, end_stream);
                    prop_assert_eq!(h.priority, None);
                    got.extend_from_slice(h.fragment);
                    done = h.end_headers;
                }
                Frame::Continuation(c) if frames > 0 => {
                    prop_assert!(!c.fragment.is_empty());
                    got.extend_from_slice(c.fragment);
                    done = c.end_headers;
                }
                f => prop_assert!(false, "unexpected {:?}", f),
            }
            frames += 1;
            rest = &rest[n..];
        }
        prop_assert!(rest.is_empty() && done);
        prop_assert_eq!(frames, block.len().div_ceil(max as usize).max(1));
        prop_assert_eq!(got, block);
    }

    /// Garbage in: no panic; a frame is only returned whole; stream errors only once the
    /// whole frame is there (the caller must be able to skip it).
    #[test]
    fn arbitrary_input_never_panics(
        head in any::<[u8; 9]>(),
        small_len in any::<bool>(),
        tail in bytes(64),
    ) {
        let mut buf = head.to_vec();
        if small_len {
            buf[0] = 0;
            buf[1] = 0;
            buf[2] %= 80;
        }
        buf.extend_from_slice(&tail);
        let h = FrameHeader::parse(&buf).unwrap();
        let whole = FRAME_HEADER_LEN + h.length as usize;
        match parse_frame(&buf, DEFAULT_MAX_FRAME_SIZE) {
            Ok(Some((_, n))) => prop_assert_eq!(n, whole),
            Ok(None) => prop_assert!(buf.len() < whole),
            Err(H2Error::Stream { stream_id, .. }) => {
                prop_assert!(buf.len() >= whole);
                prop_assert!(stream_id != 0 && stream_id == h.stream_id);
            }
            Err(H2Error::Connection { .. }) => {}
        }
    }
}
