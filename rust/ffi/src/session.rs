//! Connection sessions behind `long` handles, and the per-connection "IO block" they write to.
//!
//! A [`Session`] owns one codec [`Connection`]. Sessions live in one global registry, the only one
//! of the library: the JNI exports and the C ABI both reach sessions through [`insert`],
//! [`remove`] and [`with_session`], with one concurrency rule. Slots have generation counters and
//! live in chunks that never move, each behind its own standard mutex. A handle is
//! `(generation << 32) | index`, never 0; a stale handle (slot reused) or a closed one is simply
//! not found. A call takes its slot's mutex with `try_lock`: a second thread calling into the
//! same connection at the same time is refused ([`SessionError::Concurrent`]), never blocked and
//! never let in.
//!
//! After each call the session copies the connection's events, output, segments and command
//! results into the caller's IO block (layout in `rust/ffi/JNI.md`) and clears its own buffers.
//! If they do not fit, the block says OVERFLOW and the capacity needed, nothing is cleared, and
//! the caller grows its block and calls [`Session::flush`]; feeding or applying more in between
//! is refused (events of two inputs would mix, results would be lost).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError, TryLockError};

use h2native_codec::abi::{self, apply_commands, AbiError, Connection};
use h2native_codec::conn::Config;

/// Size of the control area at the start of the IO block.
pub const CONTROL_LEN: usize = 64;
/// Control status: everything was copied.
pub const STATUS_OK: u32 = 0;
/// Control status: the block is too small; `needed` says how large it must be.
pub const STATUS_OVERFLOW: u32 = 1;
/// Connection flag bits in the control area.
pub const FLAG_CLOSED: u32 = 0x1;
pub const FLAG_DRAINED: u32 = 0x2;
/// The feed stopped at the event bound with whole frames left: feed the rest again.
pub const FLAG_INPUT_LEFT: u32 = 0x4;

/// Offsets of the control fields (all u32, little-endian).
pub mod control {
    pub const STATUS: usize = 0;
    pub const VALUE: usize = 4;
    pub const EVENTS: usize = 8;
    pub const OUTPUT: usize = 16;
    pub const SEGMENTS: usize = 24;
    pub const RESULTS: usize = 32;
    pub const NEEDED: usize = 40;
    pub const FLAGS: usize = 44;
}

/// Why a call on a session could not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionError {
    /// Unknown, stale or closed handle.
    Closed,
    /// Another thread is inside a call on this connection.
    Concurrent,
    /// An earlier call panicked while holding the connection.
    Failed,
    /// An OVERFLOW is pending: the caller must `flush` first.
    OverflowPending,
    /// The IO block is smaller than the control area.
    BlockTooSmall(usize),
    /// A malformed command buffer.
    Abi(AbiError),
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionError::Closed => f.write_str("h2native connection is closed"),
            SessionError::Concurrent => f.write_str("h2native: concurrent call on one connection"),
            SessionError::Failed => {
                f.write_str("h2native connection failed: an earlier call hit an internal error; close it")
            }
            SessionError::OverflowPending => {
                f.write_str("h2native: the IO block overflowed; grow it and call flush before feeding more")
            }
            SessionError::BlockTooSmall(n) => {
                write!(
                    f,
                    "h2native: IO block of {n} octets is smaller than its {CONTROL_LEN}-octet control area"
                )
            }
            SessionError::Abi(e) => write!(f, "h2native: {e}"),
        }
    }
}

/// One connection and its scratch.
pub struct Session {
    pub conn: Connection,
    pub results: Vec<u8>,
    /// The output's segment records, written for each copy into the IO block (or for C's
    /// `h2native_conn_segments`).
    pub segments: Vec<u8>,
    /// The value (consumed / applied) of the call whose copy overflowed, or `None`.
    pending: Option<u32>,
}

fn align8(n: usize) -> usize {
    (n + 7) & !7
}

fn put_u32(block: &mut [u8], at: usize, v: u32) {
    block[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

impl Session {
    pub fn new(server: bool, config: Config) -> Session {
        let conn = if server { Connection::server(config) } else { Connection::client(config) };
        Session { conn, results: Vec::with_capacity(64), segments: Vec::with_capacity(64), pending: None }
    }

    fn check(&self, block: &[u8]) -> Result<(), SessionError> {
        if self.pending.is_some() {
            return Err(SessionError::OverflowPending);
        }
        if block.len() < CONTROL_LEN {
            return Err(SessionError::BlockTooSmall(block.len()));
        }
        Ok(())
    }

    /// Feeds `input` at time `now_ms`, then writes the IO block (value: octets
    /// consumed). Returns the block's status.
    pub fn feed(&mut self, now_ms: u64, input: &[u8], block: &mut [u8]) -> Result<u32, SessionError> {
        self.check(block)?;
        self.conn.set_now(now_ms);
        self.results.clear();
        let consumed = self.conn.feed(input) as u32;
        Ok(self.write_block(consumed, block))
    }

    /// Applies a command buffer at time `now_ms`, then writes the IO block (value:
    /// records applied). Returns the block's status.
    pub fn apply(&mut self, now_ms: u64, cmds: &[u8], block: &mut [u8]) -> Result<u32, SessionError> {
        self.check(block)?;
        self.conn.set_now(now_ms);
        match apply_commands(&mut self.conn, cmds, &mut self.results) {
            Ok(n) => Ok(self.write_block(n as u32, block)),
            Err(e) => {
                // Records before the bad one were applied: their effects stay in the buffers and
                // go out with the next call's block. Their results are dropped with the error.
                self.results.clear();
                Err(SessionError::Abi(e))
            }
        }
    }

    /// Writes what is pending (after an OVERFLOW, or the initial SETTINGS after open).
    pub fn flush(&mut self, block: &mut [u8]) -> Result<u32, SessionError> {
        if block.len() < CONTROL_LEN {
            return Err(SessionError::BlockTooSmall(block.len()));
        }
        let value = self.pending.take().unwrap_or(0);
        Ok(self.write_block(value, block))
    }

    /// Copies events, output, segments and results into `block` and clears them; or, if they do
    /// not fit, writes OVERFLOW and the capacity needed and keeps everything. Returns the status.
    fn write_block(&mut self, value: u32, block: &mut [u8]) -> u32 {
        self.segments.clear();
        abi::write_segments(self.conn.segments(), &mut self.segments);
        let regions: [&[u8]; 4] = [self.conn.events(), self.conn.output(), &self.segments, &self.results];
        let mut needed = CONTROL_LEN;
        for r in regions {
            needed = align8(needed + r.len());
        }
        let mut flags = 0;
        if self.conn.is_closed() {
            flags |= FLAG_CLOSED;
        }
        if self.conn.is_drained() {
            flags |= FLAG_DRAINED;
        }
        if self.conn.input_left() {
            flags |= FLAG_INPUT_LEFT;
        }
        block[..CONTROL_LEN].fill(0);
        put_u32(block, control::VALUE, value);
        put_u32(block, control::NEEDED, u32::try_from(needed).unwrap_or(u32::MAX));
        put_u32(block, control::FLAGS, flags);
        if needed > block.len() {
            put_u32(block, control::STATUS, STATUS_OVERFLOW);
            self.pending = Some(value);
            return STATUS_OVERFLOW;
        }
        let mut at = CONTROL_LEN;
        for (i, r) in regions.iter().enumerate() {
            // An empty copy still calls memcpy; most calls leave two or three regions empty.
            if !r.is_empty() {
                block[at..at + r.len()].copy_from_slice(r);
            }
            put_u32(block, control::EVENTS + 8 * i, at as u32);
            put_u32(block, control::EVENTS + 8 * i + 4, r.len() as u32);
            at = align8(at + r.len());
        }
        self.conn.clear_events();
        self.conn.clear_output();
        self.results.clear();
        self.pending = None;
        STATUS_OK
    }
}

/// Slots per chunk of the registry.
const CHUNK: usize = 256;
/// Chunks: at most `CHUNKS * CHUNK` (1,048,576) connections open at once.
const CHUNKS: usize = 4096;

/// One registry slot: the session behind a standard mutex, and the generation of the handle
/// that may reach it. A call takes the mutex with `try_lock` (one compare-exchange): a second
/// thread calling into the same connection at the same time is refused, never blocked. A call
/// that panics poisons the mutex: the session may be half-updated, so every later call is
/// refused until it is closed.
struct Slot {
    /// Changed only while the mutex is held; read by anyone first, so that a stale or unknown
    /// handle is reported closed, never "concurrent", whoever is using the slot now.
    generation: AtomicU32,
    session: Mutex<Option<Box<Session>>>,
}

/// Slots live in chunks that are allocated once and never moved or freed, so a slot can be
/// found from a handle without any lock; only opening and closing take `ALLOCATOR`.
static SLOTS: [OnceLock<Box<[Slot]>>; CHUNKS] = [const { OnceLock::new() }; CHUNKS];

struct Allocator {
    /// Slots handed out so far (free ones included).
    next: usize,
    free: Vec<u32>,
    live: usize,
}

static ALLOCATOR: Mutex<Allocator> = Mutex::new(Allocator { next: 0, free: Vec::new(), live: 0 });

fn split(handle: i64) -> (u32, usize) {
    ((handle as u64 >> 32) as u32, (handle as u64 & 0xffff_ffff) as usize)
}

fn allocator() -> MutexGuard<'static, Allocator> {
    // Only short, panic-free code holds this lock; a poisoned one still holds consistent data.
    ALLOCATOR.lock().unwrap_or_else(PoisonError::into_inner)
}

fn slot(index: usize) -> Option<&'static Slot> {
    SLOTS.get(index / CHUNK)?.get().map(|chunk| &chunk[index % CHUNK])
}

fn new_chunk() -> Box<[Slot]> {
    (0..CHUNK).map(|_| Slot { generation: AtomicU32::new(1), session: Mutex::new(None) }).collect()
}

/// The slot's session, waiting for a call running on another thread (open and close only); a
/// poisoned mutex is taken as it is: the caller replaces or drops the session.
fn lock(slot: &Slot) -> MutexGuard<'_, Option<Box<Session>>> {
    slot.session.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Registers a session; returns its handle (never 0), or `None` when the registry is full.
pub fn insert(session: Session) -> Option<i64> {
    let index = {
        let mut a = allocator();
        let index = match a.free.pop() {
            Some(i) => i as usize,
            None if a.next < CHUNKS * CHUNK => {
                a.next += 1;
                a.next - 1
            }
            None => return None,
        };
        a.live += 1;
        index
    };
    let slot = &SLOTS[index / CHUNK].get_or_init(new_chunk)[index % CHUNK];
    // A stale handle of the slot's previous session may be inside for a moment (it fails the
    // generation check and leaves): `lock` waits for it.
    let mut held = lock(slot);
    *held = Some(Box::new(session));
    slot.session.clear_poison();
    let generation = slot.generation.load(Ordering::Relaxed);
    drop(held);
    Some(((u64::from(generation) << 32) | index as u64) as i64)
}

/// Removes a session; true if the handle was live. Waits for a call still running on another
/// thread, then frees the session.
pub fn remove(handle: i64) -> bool {
    let (generation, index) = split(handle);
    let Some(slot) = slot(index) else { return false };
    let session = {
        let mut held = lock(slot);
        if slot.generation.load(Ordering::Relaxed) != generation || held.is_none() {
            return false;
        }
        // Generation 0 is never handed out, so a handle is never 0.
        slot.generation.store(generation.wrapping_add(1).max(1), Ordering::Relaxed);
        slot.session.clear_poison();
        held.take()
    };
    drop(session);
    let mut a = allocator();
    a.live -= 1;
    a.free.push(index as u32);
    true
}

/// Runs `f` on the session of `handle`, holding its slot. A panic in `f` unwinds to the caller
/// (each door catches it) and leaves the session failed until it is closed.
pub fn with_session<T>(handle: i64, f: impl FnOnce(&mut Session) -> T) -> Result<T, SessionError> {
    let (generation, index) = split(handle);
    let Some(slot) = slot(index).filter(|s| s.generation.load(Ordering::Relaxed) == generation) else {
        return Err(SessionError::Closed);
    };
    let mut held = match slot.session.try_lock() {
        Ok(held) => held,
        Err(TryLockError::WouldBlock) => return Err(SessionError::Concurrent),
        Err(TryLockError::Poisoned(_)) => return Err(SessionError::Failed),
    };
    // Checked again now that the slot is ours: a close may have run in between.
    if slot.generation.load(Ordering::Relaxed) != generation {
        return Err(SessionError::Closed);
    }
    let session = held.as_deref_mut().ok_or(SessionError::Closed)?;
    Ok(f(session))
}

/// Sessions opened and not yet closed.
pub fn live_sessions() -> usize {
    allocator().live
}

#[cfg(test)]
mod tests {
    use super::*;
    use h2native_codec::abi::testing::{events, CommandWriter, Event};

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    fn region(b: &[u8], which: usize) -> &[u8] {
        let off = u32_at(b, which) as usize;
        let len = u32_at(b, which + 4) as usize;
        &b[off..off + len]
    }

    #[test]
    fn handles_are_never_zero_and_stale_handles_are_closed() {
        let h = insert(Session::new(true, Config::default())).unwrap();
        assert_ne!(h, 0);
        assert!(with_session(h, |_| ()).is_ok());
        assert!(remove(h));
        assert!(!remove(h));
        assert_eq!(with_session(h, |_| ()).unwrap_err(), SessionError::Closed);
        let h2 = insert(Session::new(true, Config::default())).unwrap();
        assert_ne!(h, h2, "a reused slot gets a new generation");
        assert_eq!(with_session(h, |_| ()).unwrap_err(), SessionError::Closed);
        assert_eq!(with_session(0, |_| ()).unwrap_err(), SessionError::Closed);
        assert!(remove(h2));
    }

    #[test]
    fn nested_call_is_concurrent() {
        let h = insert(Session::new(true, Config::default())).unwrap();
        let inner = with_session(h, |_| with_session(h, |_| ()).unwrap_err()).unwrap();
        assert_eq!(inner, SessionError::Concurrent);
        remove(h);
    }

    #[test]
    fn a_panicking_call_fails_the_session_until_it_is_closed() {
        let h = insert(Session::new(true, Config::default())).unwrap();
        let caught = std::panic::catch_unwind(|| with_session(h, |_| panic!("injected")));
        assert!(caught.is_err());
        assert_eq!(with_session(h, |_| ()).unwrap_err(), SessionError::Failed);
        assert!(remove(h));
        assert_eq!(with_session(h, |_| ()).unwrap_err(), SessionError::Closed);
        // The slot is free again and usable by the next session.
        let h2 = insert(Session::new(true, Config::default())).unwrap();
        assert!(with_session(h2, |_| ()).is_ok());
        assert!(remove(h2));
    }

    #[test]
    fn a_call_from_another_thread_is_refused_while_one_runs_and_close_waits_for_it() {
        let h = insert(Session::new(true, Config::default())).unwrap();
        let (inside, release) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|t| {
            let running = t.spawn(|| {
                with_session(h, |_| {
                    inside.wait();
                    release.wait();
                })
            });
            inside.wait();
            assert_eq!(with_session(h, |_| ()).unwrap_err(), SessionError::Concurrent);
            let closing = t.spawn(|| remove(h));
            release.wait();
            assert!(running.join().unwrap().is_ok());
            assert!(closing.join().unwrap(), "close waits for the running call, then frees");
        });
        assert_eq!(with_session(h, |_| ()).unwrap_err(), SessionError::Closed);
    }

    #[test]
    fn client_server_round_trip_through_blocks_with_overflow() {
        let mut client = Session::new(false, Config::default());
        let mut server = Session::new(true, Config::default());
        let mut block = vec![0u8; 4096];
        // Client preface + SETTINGS.
        assert_eq!(client.flush(&mut block).unwrap(), 0);
        let out = region(&block, control::OUTPUT).to_vec();
        assert!(out.starts_with(b"PRI * HTTP/2.0"));
        // A tiny block overflows; feeding again is refused until flush.
        let mut small = vec![0u8; CONTROL_LEN];
        assert_eq!(server.feed(1, &out, &mut small).unwrap(), STATUS_OVERFLOW);
        assert_eq!(u32_at(&small, control::VALUE), out.len() as u32);
        assert_eq!(u32_at(&small, control::STATUS), STATUS_OVERFLOW);
        let needed = u32_at(&small, control::NEEDED) as usize;
        assert!(needed > CONTROL_LEN);
        assert_eq!(server.feed(1, &out, &mut small).unwrap_err(), SessionError::OverflowPending);
        let mut big = vec![0u8; needed];
        assert_eq!(server.flush(&mut big).unwrap(), STATUS_OK);
        assert_eq!(u32_at(&big, control::VALUE), out.len() as u32);
        assert_eq!(u32_at(&big, control::STATUS), STATUS_OK);
        let evs: Vec<_> = events(region(&big, control::EVENTS)).collect();
        assert!(evs.iter().any(|e| matches!(e, Event::Settings { .. })));
        // A request.
        let mut w = CommandWriter::default();
        w.headers(
            0,
            &[
                (b":method", b"GET", false),
                (b":path", b"/", false),
                (b":scheme", b"http", false),
                (b":authority", b"x", false),
            ],
            true,
        );
        assert_eq!(client.apply(2, &w.buf, &mut block).unwrap(), STATUS_OK);
        assert_eq!(u32_at(&block, control::VALUE), 1);
        let results = region(&block, control::RESULTS);
        assert_eq!((u32_at(results, 0), u32_at(results, 4)), (0, 1));
        let out = region(&block, control::OUTPUT).to_vec();
        assert_eq!(server.feed(3, &out, &mut block).unwrap(), STATUS_OK);
        let mut big = block.clone();
        let evs: Vec<_> = events(region(&big, control::EVENTS)).collect();
        assert!(evs.iter().any(|e| matches!(e, Event::Headers { stream_id: 1, .. })), "{evs:?}");
        // A malformed command buffer is an error naming the offset.
        let err = server.apply(4, &[1, 0, 0, 0, 3, 0, 0, 0], &mut big).unwrap_err();
        assert!(err.to_string().contains("offset 0"), "{err}");
    }
}
