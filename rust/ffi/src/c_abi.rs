//! The C ABI of libh2native: `h2native_*` functions over one [`Connection`] per opaque handle.
//!
//! The functions move buffers and the flat records of `rust/codec/ABI.md` across the boundary;
//! the header `include/h2native.h` is generated from this file by cbindgen
//! (`H2NATIVE_BLESS=1 cargo test -p h2native-ffi --test header_up_to_date`).
//!
//! Conventions, for every function:
//! - It returns an `int` status: [`H2NATIVE_OK`] (0) or a negative `H2NATIVE_ERR_*` code, and
//!   then [`h2native_last_error`] tells why (a per-thread message, like `errno`: successful
//!   calls do not clear it).
//! - A NULL pointer argument is [`H2NATIVE_ERR_NULL`], never a crash. (An input buffer may be
//!   NULL when its length is 0.)
//! - A panic inside the engine is caught and reported as [`H2NATIVE_ERR_PANIC`]; it never
//!   unwinds into C. The connection it happened on is then *poisoned*: every later call on it
//!   but [`h2native_conn_free`] fails with [`H2NATIVE_ERR_POISONED`].
//!
//! Handles. An `h2native_conn` is a 64-bit handle of the library's one session registry
//! (`session.rs`), the same the JVM's connections live in: never 0, and a closed or stale handle
//! (its slot reused by a later connection) is never found again, so a double free or a freed
//! handle is [`H2NATIVE_ERR_BAD_HANDLE`], never undefined behaviour. Calls on one handle from two
//! threads at the same time are refused ([`H2NATIVE_ERR_CONCURRENT`]), not raced; distinct handles
//! may be used from distinct threads. Pointers *returned* by the accessors are only valid until
//! the next call on the same handle.
//!
//! Thread-safety of the library itself: all functions may be called from any thread.

#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_camel_case_types)]

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, c_int};
use std::panic::{catch_unwind, AssertUnwindSafe};

use h2native_codec::abi::{self, apply_commands};
use h2native_codec::conn::{Config, ConfigField};

use crate::session::{self, Session, SessionError};

// ----- status codes -----

/// Success.
pub const H2NATIVE_OK: c_int = 0;
/// A required pointer argument was NULL.
pub const H2NATIVE_ERR_NULL: c_int = -1;
/// The connection handle is not a live handle returned by `h2native_conn_new_*` (already
/// freed, or not a handle at all).
pub const H2NATIVE_ERR_BAD_HANDLE: c_int = -2;
/// The engine panicked (a bug in h2native); the connection is now poisoned.
pub const H2NATIVE_ERR_PANIC: c_int = -3;
/// An earlier call panicked on this connection: only `h2native_conn_free` is allowed.
pub const H2NATIVE_ERR_POISONED: c_int = -4;
/// A command buffer is malformed (see ABI.md); the records before the bad one were applied.
pub const H2NATIVE_ERR_MALFORMED: c_int = -5;
/// A buffer is too large (`feed` input over 4 GiB - 1, since event offsets are 32-bit).
pub const H2NATIVE_ERR_TOO_LARGE: c_int = -6;
/// A configuration field name this library does not know.
pub const H2NATIVE_ERR_UNKNOWN: c_int = -7;
/// Another thread is inside a call on the same connection.
pub const H2NATIVE_ERR_CONCURRENT: c_int = -8;

// ----- the flat ABI (ABI.md), mirrored for C; checked against the codec below -----

/// Version of the flat event/command/segment format (ABI.md). Compare with
/// `h2native_abi_version()` at load time.
pub const H2NATIVE_ABI_VERSION: u32 = 3;
/// Size of every event and command record header: `{u16 kind, u16 flags, u32 len}`.
pub const H2NATIVE_RECORD_HEADER_LEN: u32 = 8;
/// Size of one field entry in a HEADERS event.
pub const H2NATIVE_FIELD_ENTRY_LEN: u32 = 32;
/// Offset of the first field entry in a HEADERS event.
pub const H2NATIVE_HEADERS_FIELDS_OFFSET: u32 = 24;
/// Size of one segment record (no header).
pub const H2NATIVE_SEGMENT_LEN: u32 = 16;

/// Event kinds.
pub const H2NATIVE_EV_HEADERS: u16 = 1;
pub const H2NATIVE_EV_DATA: u16 = 2;
pub const H2NATIVE_EV_RESET: u16 = 3;
pub const H2NATIVE_EV_WINDOW_OPENED: u16 = 4;
pub const H2NATIVE_EV_GOAWAY: u16 = 5;
pub const H2NATIVE_EV_PING_ACK: u16 = 6;
pub const H2NATIVE_EV_SETTINGS: u16 = 7;
pub const H2NATIVE_EV_SETTINGS_ACKED: u16 = 8;
pub const H2NATIVE_EV_CONNECTION_ERROR: u16 = 9;
pub const H2NATIVE_EV_STREAM_ERROR: u16 = 10;
pub const H2NATIVE_EV_HTTP1_DETECTED: u16 = 11;
pub const H2NATIVE_EV_LIMIT: u16 = 12;
pub const H2NATIVE_EV_DRAINED: u16 = 13;

/// Event flags (per kind).
pub const H2NATIVE_EV_FLAG_END_STREAM: u16 = 0x1;
pub const H2NATIVE_EV_FLAG_TRAILERS: u16 = 0x2;
pub const H2NATIVE_EV_FLAG_TOO_LARGE: u16 = 0x4;
pub const H2NATIVE_EV_FLAG_INFORMATIONAL: u16 = 0x8;
pub const H2NATIVE_EV_FLAG_BY_GOAWAY: u16 = 0x1;
pub const H2NATIVE_EV_FLAG_CONNECT_PROTOCOL: u16 = 0x1;

/// `source` octet of a HEADERS event field entry.
pub const H2NATIVE_SOURCE_LITERAL: u8 = 0;
pub const H2NATIVE_SOURCE_STATIC: u8 = 1;
pub const H2NATIVE_SOURCE_DYNAMIC: u8 = 2;
pub const H2NATIVE_SOURCE_STATIC_NAME: u8 = 3;
pub const H2NATIVE_SOURCE_DYNAMIC_NAME: u8 = 4;
pub const H2NATIVE_SOURCE_INSERTED: u8 = 5;

/// Command opcodes.
pub const H2NATIVE_CMD_HEADERS: u16 = 1;
pub const H2NATIVE_CMD_DATA: u16 = 2;
pub const H2NATIVE_CMD_RESET: u16 = 3;
pub const H2NATIVE_CMD_PING: u16 = 4;
pub const H2NATIVE_CMD_GOAWAY: u16 = 5;
pub const H2NATIVE_CMD_CONSUMED: u16 = 6;

/// Command flags.
pub const H2NATIVE_CMD_FLAG_END_STREAM: u16 = 0x1;
pub const H2NATIVE_CMD_FLAG_GRACEFUL: u16 = 0x1;
/// Bit 31 of a HEADERS command field entry's `value_len`: never index this field.
pub const H2NATIVE_CMD_SENSITIVE: u32 = 0x8000_0000;

/// Status word of a command result (`{u32 status, u32 value}` per record).
pub const H2NATIVE_STATUS_OK: u32 = 0;
pub const H2NATIVE_STATUS_STREAM_GONE: u32 = 1;
pub const H2NATIVE_STATUS_BLOCKED: u32 = 2;
pub const H2NATIVE_STATUS_INVALID: u32 = 3;
pub const H2NATIVE_STATUS_CLOSED: u32 = 4;

// The values above are the codec's (cbindgen needs literals): a change there fails the build.
const _: () = {
    use abi::{cmd, cmd_flags, ev, ev_flags, source, status};
    assert!(H2NATIVE_ABI_VERSION == abi::ABI_VERSION);
    assert!(H2NATIVE_RECORD_HEADER_LEN as usize == abi::RECORD_HEADER_LEN);
    assert!(H2NATIVE_FIELD_ENTRY_LEN as usize == abi::FIELD_ENTRY_LEN);
    assert!(H2NATIVE_HEADERS_FIELDS_OFFSET as usize == abi::HEADERS_FIELDS_OFFSET);
    assert!(H2NATIVE_EV_HEADERS == ev::HEADERS);
    assert!(H2NATIVE_EV_DATA == ev::DATA);
    assert!(H2NATIVE_EV_RESET == ev::RESET);
    assert!(H2NATIVE_EV_WINDOW_OPENED == ev::WINDOW_OPENED);
    assert!(H2NATIVE_EV_GOAWAY == ev::GOAWAY);
    assert!(H2NATIVE_EV_PING_ACK == ev::PING_ACK);
    assert!(H2NATIVE_EV_SETTINGS == ev::SETTINGS);
    assert!(H2NATIVE_EV_SETTINGS_ACKED == ev::SETTINGS_ACKED);
    assert!(H2NATIVE_EV_CONNECTION_ERROR == ev::CONNECTION_ERROR);
    assert!(H2NATIVE_EV_STREAM_ERROR == ev::STREAM_ERROR);
    assert!(H2NATIVE_EV_HTTP1_DETECTED == ev::HTTP1_DETECTED);
    assert!(H2NATIVE_EV_LIMIT == ev::LIMIT);
    assert!(H2NATIVE_EV_DRAINED == ev::DRAINED);
    assert!(H2NATIVE_EV_FLAG_END_STREAM == ev_flags::END_STREAM);
    assert!(H2NATIVE_EV_FLAG_TRAILERS == ev_flags::TRAILERS);
    assert!(H2NATIVE_EV_FLAG_TOO_LARGE == ev_flags::TOO_LARGE);
    assert!(H2NATIVE_EV_FLAG_INFORMATIONAL == ev_flags::INFORMATIONAL);
    assert!(H2NATIVE_EV_FLAG_BY_GOAWAY == ev_flags::BY_GOAWAY);
    assert!(H2NATIVE_EV_FLAG_CONNECT_PROTOCOL == ev_flags::CONNECT_PROTOCOL);
    assert!(H2NATIVE_SOURCE_LITERAL == source::LITERAL);
    assert!(H2NATIVE_SOURCE_STATIC == source::STATIC);
    assert!(H2NATIVE_SOURCE_DYNAMIC == source::DYNAMIC);
    assert!(H2NATIVE_SOURCE_STATIC_NAME == source::STATIC_NAME);
    assert!(H2NATIVE_SOURCE_DYNAMIC_NAME == source::DYNAMIC_NAME);
    assert!(H2NATIVE_SOURCE_INSERTED == source::INSERTED);
    assert!(H2NATIVE_CMD_HEADERS == cmd::HEADERS);
    assert!(H2NATIVE_CMD_DATA == cmd::DATA);
    assert!(H2NATIVE_CMD_RESET == cmd::RESET);
    assert!(H2NATIVE_CMD_PING == cmd::PING);
    assert!(H2NATIVE_CMD_GOAWAY == cmd::GOAWAY);
    assert!(H2NATIVE_CMD_CONSUMED == cmd::CONSUMED);
    assert!(H2NATIVE_CMD_FLAG_END_STREAM == cmd_flags::END_STREAM);
    assert!(H2NATIVE_CMD_FLAG_GRACEFUL == cmd_flags::GRACEFUL);
    assert!(H2NATIVE_CMD_SENSITIVE == cmd_flags::SENSITIVE);
    assert!(H2NATIVE_STATUS_OK == status::OK);
    assert!(H2NATIVE_STATUS_STREAM_GONE == status::STREAM_GONE);
    assert!(H2NATIVE_STATUS_BLOCKED == status::BLOCKED);
    assert!(H2NATIVE_STATUS_INVALID == status::INVALID);
    assert!(H2NATIVE_STATUS_CLOSED == status::CLOSED);
};

// ----- types -----

/// Configuration of connections (opaque): every field of the engine's `Config`, set by its
/// name, the same as the key under `h2native.server.http2` in the JVM's reference.conf (e.g.
/// "max-concurrent-streams"; the list and units: `rust/codec/src/conn/limits.rs`). Created by
/// `h2native_config_new` with the defaults, released by `h2native_config_free`.
pub struct h2native_config {
    config: Config,
}

/// An HTTP/2 connection: a handle of the library's session registry (never 0). Created by
/// `h2native_conn_new_server`/`_client`, released by `h2native_conn_free`.
pub type h2native_conn = i64;

// ----- errors -----

struct Error {
    code: c_int,
    msg: String,
}

impl Error {
    fn new(code: c_int, msg: impl Into<String>) -> Error {
        Error { code, msg: msg.into() }
    }

    fn null(what: &str) -> Error {
        Error::new(H2NATIVE_ERR_NULL, format!("{what} is NULL"))
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

fn set_last_error(func: &str, msg: &str) {
    let _ = LAST_ERROR.try_with(|e| {
        if let Ok(mut e) = e.try_borrow_mut() {
            e.clear();
            e.push_str(func);
            e.push_str(": ");
            // The message goes to C as a NUL-terminated string.
            e.extend(msg.chars().filter(|&c| c != '\0'));
        }
    });
}

fn panic_message(p: &(dyn Any + Send)) -> &str {
    if let Some(s) = p.downcast_ref::<&str>() {
        s
    } else if let Some(s) = p.downcast_ref::<String>() {
        s
    } else {
        "panic with a non-string payload"
    }
}

/// Runs `f`, turning an `Err` or a panic into a status code and the thread's last error.
fn guard(func: &str, f: impl FnOnce() -> Result<(), Error>) -> c_int {
    let r = catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|p| Err(Error::new(H2NATIVE_ERR_PANIC, format!("panic: {}", panic_message(&*p)))));
    match r {
        Ok(()) => H2NATIVE_OK,
        Err(e) => {
            // Even the error path must not unwind into C.
            let _ = catch_unwind(AssertUnwindSafe(|| set_last_error(func, &e.msg)));
            e.code
        }
    }
}

fn session_error(e: SessionError) -> Error {
    let code = match e {
        SessionError::Closed => H2NATIVE_ERR_BAD_HANDLE,
        SessionError::Concurrent => H2NATIVE_ERR_CONCURRENT,
        SessionError::Failed => H2NATIVE_ERR_POISONED,
        SessionError::Abi(_) => H2NATIVE_ERR_MALFORMED,
        SessionError::OverflowPending | SessionError::BlockTooSmall(_) => H2NATIVE_ERR_TOO_LARGE,
    };
    Error::new(code, e.to_string())
}

/// Runs an operation on the session of `conn` (the registry's rule: refused if closed, stale,
/// in use by another thread or failed). A panic is caught by `guard` and leaves it poisoned.
fn with_conn(func: &str, conn: h2native_conn, f: impl FnOnce(&mut Session) -> Result<(), Error>) -> c_int {
    guard(func, || session::with_session(conn, f).map_err(session_error)?)
}

/// Writes `v` through an out-pointer that the caller checked for NULL.
///
/// # Safety
/// `out` must be NULL or valid for writes of a `T`.
unsafe fn put<T>(out: *mut T, what: &str, v: T) -> Result<(), Error> {
    if out.is_null() {
        return Err(Error::null(what));
    }
    // SAFETY: not NULL (checked above); valid and aligned for writes by the caller's contract.
    unsafe { out.write(v) };
    Ok(())
}

/// Returns a buffer through `ptr`/`len` out-pointers.
///
/// # Safety
/// `ptr` and `len` must be NULL or valid for writes.
unsafe fn put_buf(ptr: *mut *const u8, len: *mut usize, buf: &[u8]) -> Result<(), Error> {
    if ptr.is_null() {
        return Err(Error::null("ptr"));
    }
    if len.is_null() {
        return Err(Error::null("len"));
    }
    // SAFETY: both pointers are non-NULL (checked above) and valid for writes by the caller's
    // contract.
    unsafe {
        ptr.write(buf.as_ptr());
        len.write(buf.len());
    }
    Ok(())
}

/// A byte slice from a C pointer and length; NULL is accepted for length 0.
///
/// # Safety
/// Unless `len` is 0, `p` must be valid for reads of `len` octets for `'a`, and not be
/// written to meanwhile.
unsafe fn slice<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a [u8], Error> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::null(what));
    }
    if len > isize::MAX as usize {
        return Err(Error::new(H2NATIVE_ERR_TOO_LARGE, format!("{what}: length {len} is too large")));
    }
    // SAFETY: `p` is non-NULL (checked), `u8` has alignment 1, `len <= isize::MAX` (checked), and
    // the caller guarantees `len` readable octets that are not mutated during the call.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

// ----- the API -----

/// The version of the flat event/command/segment format (ABI.md) this library implements.
/// Equal to `H2NATIVE_ABI_VERSION` for a header that matches the library.
#[no_mangle]
pub extern "C" fn h2native_abi_version() -> u32 {
    abi::ABI_VERSION
}

/// Copies the calling thread's last error message into `buf` (NUL-terminated, truncated to
/// `cap - 1` octets). Returns the full message length in octets (without the NUL; 0 if no call
/// failed on this thread yet), so a caller may size `buf` with a first call
/// `h2native_last_error(NULL, 0)`. Returns `H2NATIVE_ERR_NULL` if `buf` is NULL but `cap` is
/// not 0.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `cap` octets.
#[no_mangle]
pub unsafe extern "C" fn h2native_last_error(buf: *mut c_char, cap: usize) -> c_int {
    let r = catch_unwind(AssertUnwindSafe(|| {
        if buf.is_null() && cap != 0 {
            return H2NATIVE_ERR_NULL;
        }
        LAST_ERROR
            .try_with(|e| {
                let e = e.borrow();
                let msg = e.as_bytes();
                if cap > 0 {
                    let n = msg.len().min(cap - 1);
                    // SAFETY: `buf` is non-NULL (cap > 0 and checked above) and valid for `cap`
                    // octets by the caller's contract; `n + 1 <= cap`; `msg` is our own String,
                    // which cannot overlap the caller's buffer.
                    unsafe {
                        std::ptr::copy_nonoverlapping(msg.as_ptr(), buf.cast::<u8>(), n);
                        buf.add(n).write(0);
                    }
                }
                c_int::try_from(msg.len()).unwrap_or(c_int::MAX)
            })
            .unwrap_or(0)
    }));
    r.unwrap_or(H2NATIVE_ERR_PANIC)
}

/// A new configuration holding the engine's defaults; NULL only if allocation failed.
#[no_mangle]
pub extern "C" fn h2native_config_new() -> *mut h2native_config {
    catch_unwind(|| Box::into_raw(Box::new(h2native_config { config: Config::default() })))
        .unwrap_or(std::ptr::null_mut())
}

/// Releases a configuration (connections made with it keep their own copy). NULL is a no-op.
///
/// # Safety
/// `config` must be NULL or a pointer returned by `h2native_config_new`, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn h2native_config_free(config: *mut h2native_config) -> c_int {
    guard("h2native_config_free", || {
        if !config.is_null() {
            // SAFETY: by the caller's contract, from `Box::into_raw` in `h2native_config_new`.
            drop(unsafe { Box::from_raw(config) });
        }
        Ok(())
    })
}

/// The field named `name`, or an error naming it.
///
/// # Safety
/// `name` NULL or a NUL-terminated string.
unsafe fn config_field(name: *const c_char) -> Result<&'static ConfigField, Error> {
    if name.is_null() {
        return Err(Error::null("name"));
    }
    // SAFETY: non-NULL (checked) and NUL-terminated by the caller's contract.
    let name = unsafe { std::ffi::CStr::from_ptr(name) }.to_string_lossy();
    ConfigField::by_name(&name).map_err(|e| Error::new(H2NATIVE_ERR_UNKNOWN, e.to_string()))
}

/// Sets the field `name` to `value`. An unknown name is `H2NATIVE_ERR_UNKNOWN`; a value the
/// field cannot hold is `H2NATIVE_ERR_TOO_LARGE` (nothing is changed). Milliseconds for
/// durations, octets for sizes.
///
/// # Safety
/// `config` NULL or from `h2native_config_new`; `name` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn h2native_config_set(
    config: *mut h2native_config,
    name: *const c_char,
    value: u64,
) -> c_int {
    guard("h2native_config_set", || {
        // SAFETY: forwarded contract.
        let field = unsafe { config_field(name) }?;
        if config.is_null() {
            return Err(Error::null("config"));
        }
        // SAFETY: non-NULL (checked), from `h2native_config_new` by the caller's contract.
        let c = unsafe { &mut (*config).config };
        field.set(c, value).map_err(|e| Error::new(H2NATIVE_ERR_TOO_LARGE, e.to_string()))
    })
}

/// `*value` = the field `name` of `config`.
///
/// # Safety
/// `config` NULL or from `h2native_config_new`; `name` NULL or a NUL-terminated string; `value`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn h2native_config_get(
    config: *const h2native_config,
    name: *const c_char,
    value: *mut u64,
) -> c_int {
    guard("h2native_config_get", || {
        // SAFETY: forwarded contract.
        let field = unsafe { config_field(name) }?;
        if config.is_null() {
            return Err(Error::null("config"));
        }
        // SAFETY: non-NULL (checked), from `h2native_config_new`; `value` NULL or writable.
        unsafe { put(value, "value", field.get(&(*config).config)) }
    })
}

/// # Safety
/// `config` NULL or from `h2native_config_new`; `out` NULL or writable.
unsafe fn new_conn(
    func: &str,
    config: *const h2native_config,
    out: *mut h2native_conn,
    server: bool,
) -> c_int {
    guard(func, || {
        if out.is_null() {
            return Err(Error::null("out"));
        }
        let cfg = if config.is_null() {
            Config::default()
        } else {
            // SAFETY: non-NULL (checked), from `h2native_config_new` by the caller's contract.
            unsafe { (*config).config.clone() }
        };
        let handle = session::insert(Session::new(server, cfg)).ok_or_else(|| {
            Error::new(H2NATIVE_ERR_TOO_LARGE, "too many connections open at once (1,048,576)")
        })?;
        // SAFETY: `out` is non-NULL (checked) and writable by the caller's contract.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Creates a server connection with `config` (NULL: the defaults). Its SETTINGS are in the
/// output right away. On success `*out` is the new handle; on failure `*out` is left unchanged.
///
/// # Safety
/// `config` must be NULL or from `h2native_config_new`; `out` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn h2native_conn_new_server(
    config: *const h2native_config,
    out: *mut h2native_conn,
) -> c_int {
    // SAFETY: same contract as ours.
    unsafe { new_conn("h2native_conn_new_server", config, out, true) }
}

/// Creates a client connection. The output holds the preface and SETTINGS right away.
///
/// # Safety
/// As `h2native_conn_new_server`.
#[no_mangle]
pub unsafe extern "C" fn h2native_conn_new_client(
    config: *const h2native_config,
    out: *mut h2native_conn,
) -> c_int {
    // SAFETY: same contract as ours.
    unsafe { new_conn("h2native_conn_new_client", config, out, false) }
}

/// Releases a connection. 0 is a no-op (returns `H2NATIVE_OK`). A handle that is not live (e.g.
/// freed twice) is `H2NATIVE_ERR_BAD_HANDLE`. Waits for a call running on another thread. A
/// poisoned connection may (and should) be freed.
#[no_mangle]
pub extern "C" fn h2native_conn_free(conn: h2native_conn) -> c_int {
    guard("h2native_conn_free", || {
        if conn == 0 || session::remove(conn) {
            Ok(())
        } else {
            Err(Error::new(
                H2NATIVE_ERR_BAD_HANDLE,
                format!("{conn:#x} is not a live connection handle (double free?)"),
            ))
        }
    })
}

/// Tells the connection the caller's time in milliseconds (any monotonic origin); drives the
/// per-window limits and the SETTINGS and idle timeouts.
#[no_mangle]
pub extern "C" fn h2native_conn_set_now(conn: h2native_conn, now_ms: u64) -> c_int {
    with_conn("h2native_conn_set_now", conn, |h| {
        h.conn.set_now(now_ms);
        Ok(())
    })
}

/// Processes the complete frames at the front of `input[0..len]`; `*consumed` is set to the
/// octets consumed. The unconsumed tail must be fed again: with more bytes appended when it is
/// a partial frame, or at once (after reading and clearing the events) when the call stopped
/// because its events reached 32 KiB (`MAX_EVENTS_PER_FEED`; see `h2native_conn_input_left`).
/// DATA and GOAWAY events point into `input`: read them before reusing it.
///
/// # Safety
/// `input` must be readable for `len` octets (or NULL with `len` 0); `consumed` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn h2native_conn_feed(
    conn: h2native_conn,
    input: *const u8,
    len: usize,
    consumed: *mut usize,
) -> c_int {
    with_conn("h2native_conn_feed", conn, |h| {
        if consumed.is_null() {
            return Err(Error::null("consumed"));
        }
        if u32::try_from(len).is_err() {
            return Err(Error::new(H2NATIVE_ERR_TOO_LARGE, format!("input of {len} octets (max 2^32 - 1)")));
        }
        // SAFETY: forwarded contract: `input` readable for `len` octets during this call.
        let input = unsafe { slice(input, len, "input") }?;
        let n = h.conn.feed(input);
        // SAFETY: `consumed` is non-NULL (checked) and writable by the caller's contract.
        unsafe { consumed.write(n) };
        Ok(())
    })
}

/// `*ptr`/`*len`: the event records (ABI.md) appended since the last `clear_events`. Valid
/// until the next call that mutates the connection.
///
/// # Safety
/// `ptr` and `len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn h2native_conn_events(
    conn: h2native_conn,
    ptr: *mut *const u8,
    len: *mut usize,
) -> c_int {
    // SAFETY: forwarded contract (the out-pointers are NULL or writable).
    with_conn("h2native_conn_events", conn, |h| unsafe { put_buf(ptr, len, h.conn.events()) })
}

/// `*ptr`/`*len`: the octets to write to the peer, DATA payloads excluded: splice them in at
/// the positions given by `h2native_conn_segments`. Valid until the next mutating call.
///
/// # Safety
/// As `h2native_conn_events`.
#[no_mangle]
pub unsafe extern "C" fn h2native_conn_output(
    conn: h2native_conn,
    ptr: *mut *const u8,
    len: *mut usize,
) -> c_int {
    // SAFETY: forwarded contract (the out-pointers are NULL or writable).
    with_conn("h2native_conn_output", conn, |h| unsafe { put_buf(ptr, len, h.conn.output()) })
}

/// `*ptr`/`*len`: the segment records (16 octets each, ABI.md) of the current output.
///
/// # Safety
/// As `h2native_conn_events`.
#[no_mangle]
pub unsafe extern "C" fn h2native_conn_segments(
    conn: h2native_conn,
    ptr: *mut *const u8,
    len: *mut usize,
) -> c_int {
    // SAFETY: forwarded contract (the out-pointers are NULL or writable).
    with_conn("h2native_conn_segments", conn, |h| {
        h.segments.clear();
        abi::write_segments(h.conn.segments(), &mut h.segments);
        // SAFETY: forwarded contract (the out-pointers are NULL or writable).
        unsafe { put_buf(ptr, len, &h.segments) }
    })
}

/// Clears the event buffer.
#[no_mangle]
pub extern "C" fn h2native_conn_clear_events(conn: h2native_conn) -> c_int {
    with_conn("h2native_conn_clear_events", conn, |h| {
        h.conn.clear_events();
        Ok(())
    })
}

/// Clears the output and its segments (call once they are written).
#[no_mangle]
pub extern "C" fn h2native_conn_clear_output(conn: h2native_conn) -> c_int {
    with_conn("h2native_conn_clear_output", conn, |h| {
        h.conn.clear_output();
        Ok(())
    })
}

/// Applies the command records `cmds[0..len]` (ABI.md) in order. `*results`/`*results_len`:
/// 8 octets `{u32 status, u32 value}` per applied record, valid until the next `apply` or
/// `free`. A malformed record stops the batch with `H2NATIVE_ERR_MALFORMED` (the message names
/// its offset); the results of the records before it are still returned.
///
/// # Safety
/// `cmds` readable for `len` octets (or NULL with `len` 0); `results` and `results_len` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn h2native_conn_apply(
    conn: h2native_conn,
    cmds: *const u8,
    len: usize,
    results: *mut *const u8,
    results_len: *mut usize,
) -> c_int {
    with_conn("h2native_conn_apply", conn, |h| {
        if results.is_null() {
            return Err(Error::null("results"));
        }
        if results_len.is_null() {
            return Err(Error::null("results_len"));
        }
        // SAFETY: forwarded contract: `cmds` readable for `len` octets during this call.
        let cmds = unsafe { slice(cmds, len, "cmds") }?;
        let r = apply_commands(&mut h.conn, cmds, &mut h.results);
        // SAFETY: both out-pointers are non-NULL (checked) and writable by the caller's contract.
        unsafe { put_buf(results, results_len, &h.results) }?;
        r.map(|_| ()).map_err(|e| Error::new(H2NATIVE_ERR_MALFORMED, e.to_string()))
    })
}

/// `*closed` = whether the connection is closed (GOAWAY with an error went either way, or a
/// fatal error): write the remaining output, then close the socket.
///
/// # Safety
/// `closed` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn h2native_conn_is_closed(conn: h2native_conn, closed: *mut bool) -> c_int {
    // SAFETY: forwarded contract (`closed` is NULL or writable).
    with_conn("h2native_conn_is_closed", conn, |h| unsafe { put(closed, "closed", h.conn.is_closed()) })
}

/// `*drained` = whether a GOAWAY went either way and no stream is left.
///
/// # Safety
/// `drained` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn h2native_conn_is_drained(conn: h2native_conn, drained: *mut bool) -> c_int {
    // SAFETY: forwarded contract (`drained` is NULL or writable).
    with_conn("h2native_conn_is_drained", conn, |h| unsafe { put(drained, "drained", h.conn.is_drained()) })
}

/// `*left` = whether the last `h2native_conn_feed` stopped at the event bound with whole
/// frames left in its input: read and clear the events, then feed the unconsumed rest again.
///
/// # Safety
/// `left` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn h2native_conn_input_left(conn: h2native_conn, left: *mut bool) -> c_int {
    // SAFETY: forwarded contract (`left` is NULL or writable).
    with_conn("h2native_conn_input_left", conn, |h| unsafe { put(left, "left", h.conn.input_left()) })
}

/// Entries of each array `h2native_conn_frame_counts` fills: one per frame type of RFC 9113
/// (0 DATA ..= 9 CONTINUATION), then one for all unknown types.
pub const H2NATIVE_FRAME_KINDS: usize = 11;
const _: () = assert!(H2NATIVE_FRAME_KINDS == h2native_codec::conn::FRAME_KINDS);

/// Frames received, and sent up to the last `h2native_conn_clear_output`, by frame type:
/// `received` and `sent` each get `H2NATIVE_FRAME_KINDS` counters.
///
/// # Safety
/// `received` and `sent` NULL or writable for `H2NATIVE_FRAME_KINDS` `uint64_t`s.
#[no_mangle]
pub unsafe extern "C" fn h2native_conn_frame_counts(
    conn: h2native_conn,
    received: *mut u64,
    sent: *mut u64,
) -> c_int {
    with_conn("h2native_conn_frame_counts", conn, |h| {
        let counts = *h.conn.frame_counts();
        // SAFETY: forwarded contract: each pointer is NULL (reported) or writable for
        // H2NATIVE_FRAME_KINDS u64s, which is exactly one [u64; FRAME_KINDS] with u64 alignment.
        unsafe {
            put(received.cast::<[u64; H2NATIVE_FRAME_KINDS]>(), "received", counts.received)?;
            put(sent.cast::<[u64; H2NATIVE_FRAME_KINDS]>(), "sent", counts.sent)
        }
    })
}

/// Octets of memory this library holds now (all connections, buffers and tables), from its
/// counting allocator.
#[no_mangle]
pub extern "C" fn h2native_allocated_bytes() -> usize {
    crate::alloc::allocated_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use h2native_codec::abi::testing::CommandWriter;
    use std::ptr::{null, null_mut};

    fn last_error() -> String {
        let mut buf = [0 as c_char; 512];
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { h2native_last_error(buf.as_mut_ptr(), buf.len()) };
        assert!(n >= 0);
        // SAFETY: `h2native_last_error` NUL-terminated the buffer.
        unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
    }

    fn new(server: bool) -> h2native_conn {
        let mut out = 0;
        // SAFETY: valid out-pointer; a NULL config means the defaults.
        unsafe {
            let f = if server { h2native_conn_new_server } else { h2native_conn_new_client };
            assert_eq!(f(null(), &mut out), H2NATIVE_OK);
        }
        assert_ne!(out, 0);
        out
    }

    #[test]
    fn config_fields_by_name() {
        let c = h2native_config_new();
        let mut v = 0u64;
        // SAFETY: `c` is live until freed at the end; names are NUL-terminated literals.
        unsafe {
            assert_eq!(h2native_config_get(c, c"max-concurrent-streams".as_ptr(), &mut v), H2NATIVE_OK);
            assert_eq!(v, 100);
            assert_eq!(h2native_config_set(c, c"settings-timeout".as_ptr(), 1500), H2NATIVE_OK);
            assert_eq!((*c).config.settings_timeout_ms, 1500);
            assert_eq!(h2native_config_set(c, c"max-concurent-streams".as_ptr(), 1), H2NATIVE_ERR_UNKNOWN);
            assert!(
                last_error().contains("unknown configuration field 'max-concurent-streams'"),
                "{}",
                last_error()
            );
            assert_eq!(
                h2native_config_set(c, c"max-concurrent-streams".as_ptr(), 1 << 32),
                H2NATIVE_ERR_TOO_LARGE
            );
            assert_eq!((*c).config.max_concurrent_streams, 100);
            assert_eq!(h2native_config_set(c, null(), 1), H2NATIVE_ERR_NULL);
            assert_eq!(h2native_config_get(c, c"max-frame-size".as_ptr(), null_mut()), H2NATIVE_ERR_NULL);
            let mut out = 0;
            assert_eq!(h2native_conn_new_server(c, &mut out), H2NATIVE_OK);
            assert_eq!(h2native_config_free(c), H2NATIVE_OK);
            // the connection kept its own copy
            let kept = session::with_session(out, |s| s.conn.config().settings_timeout_ms);
            assert_eq!(kept, Ok(1500));
            assert_eq!(h2native_conn_free(out), H2NATIVE_OK);
            assert_eq!(h2native_config_free(null_mut()), H2NATIVE_OK);
        }
        assert_eq!(h2native_abi_version(), H2NATIVE_ABI_VERSION);
    }

    #[test]
    fn null_arguments_are_errors() {
        let conn = new(false);
        let mut p: *const u8 = null();
        let mut n = 0usize;
        let mut b = false;
        // SAFETY: every pointer is NULL or valid; NULLs are what we test.
        unsafe {
            assert_eq!(h2native_conn_new_client(null(), null_mut()), H2NATIVE_ERR_NULL);
            assert_eq!(h2native_conn_feed(0, b"x".as_ptr(), 1, &mut n), H2NATIVE_ERR_BAD_HANDLE);
            assert_eq!(last_error(), "h2native_conn_feed: h2native connection is closed");
            assert_eq!(h2native_conn_feed(conn, null(), 1, &mut n), H2NATIVE_ERR_NULL);
            assert_eq!(h2native_conn_feed(conn, b"x".as_ptr(), 1, null_mut()), H2NATIVE_ERR_NULL);
            assert_eq!(h2native_conn_feed(conn, null(), 0, &mut n), H2NATIVE_OK);
            assert_eq!(n, 0);
            assert_eq!(h2native_conn_events(conn, null_mut(), &mut n), H2NATIVE_ERR_NULL);
            assert_eq!(h2native_conn_output(conn, &mut p, null_mut()), H2NATIVE_ERR_NULL);
            assert_eq!(h2native_conn_segments(conn, &mut p, null_mut()), H2NATIVE_ERR_NULL);
            assert_eq!(h2native_conn_apply(conn, null(), 8, &mut p, &mut n), H2NATIVE_ERR_NULL);
            assert_eq!(h2native_conn_apply(conn, null(), 0, null_mut(), &mut n), H2NATIVE_ERR_NULL);
            assert_eq!(h2native_conn_apply(conn, null(), 0, &mut p, &mut n), H2NATIVE_OK);
            assert_eq!(n, 0);
            assert_eq!(h2native_conn_is_closed(conn, null_mut()), H2NATIVE_ERR_NULL);
            assert_eq!(h2native_conn_is_closed(conn, &mut b), H2NATIVE_OK);
            assert_eq!(h2native_last_error(null_mut(), 4), H2NATIVE_ERR_NULL);
            assert!(h2native_last_error(null_mut(), 0) > 0);
            assert_eq!(h2native_conn_free(0), H2NATIVE_OK);
            assert_eq!(h2native_conn_free(conn), H2NATIVE_OK);
        }
    }

    #[test]
    fn client_output_is_the_preface() {
        let conn = new(false);
        let (mut p, mut n) = (null(), 0usize);
        let mut closed = true;
        // SAFETY: valid handle and out-pointers; the returned buffer is read before any
        // mutating call.
        unsafe {
            assert_eq!(h2native_conn_output(conn, &mut p, &mut n), H2NATIVE_OK);
            assert!(std::slice::from_raw_parts(p, n).starts_with(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
            assert_eq!(h2native_conn_clear_output(conn), H2NATIVE_OK);
            assert_eq!(h2native_conn_output(conn, &mut p, &mut n), H2NATIVE_OK);
            assert_eq!(n, 0);
            assert_eq!(h2native_conn_is_closed(conn, &mut closed), H2NATIVE_OK);
            assert!(!closed);
            assert_eq!(h2native_conn_set_now(conn, 1_000), H2NATIVE_OK);
            assert_eq!(h2native_conn_free(conn), H2NATIVE_OK);
        }
    }

    #[test]
    fn double_free_stale_and_garbage_handles_are_bad_handles() {
        let conn = new(true);
        let mut n = 0usize;
        assert_eq!(h2native_conn_free(conn), H2NATIVE_OK);
        assert_eq!(h2native_conn_free(conn), H2NATIVE_ERR_BAD_HANDLE);
        assert!(last_error().contains("double free"), "{}", last_error());
        // SAFETY: valid input and out-pointer; the handle is what is under test.
        assert_eq!(unsafe { h2native_conn_feed(conn, b"x".as_ptr(), 1, &mut n) }, H2NATIVE_ERR_BAD_HANDLE);
        assert!(last_error().contains("closed"), "{}", last_error());
        // a later connection may reuse the slot: the stale handle still does not reach it
        let next = new(true);
        assert_eq!(h2native_conn_clear_events(conn), H2NATIVE_ERR_BAD_HANDLE);
        assert_eq!(h2native_conn_clear_events(next), H2NATIVE_OK);
        assert_eq!(h2native_conn_clear_events(0x7777_0000_1234), H2NATIVE_ERR_BAD_HANDLE);
        assert_eq!(h2native_conn_free(-1), H2NATIVE_ERR_BAD_HANDLE);
        assert_eq!(h2native_conn_free(next), H2NATIVE_OK);
    }

    #[test]
    fn a_call_while_another_thread_is_inside_is_refused() {
        let conn = new(true);
        let (inside, release) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|t| {
            let running = t.spawn(|| {
                with_conn("test_op", conn, |_| {
                    inside.wait();
                    release.wait();
                    Ok(())
                })
            });
            inside.wait();
            assert_eq!(h2native_conn_clear_events(conn), H2NATIVE_ERR_CONCURRENT);
            release.wait();
            assert_eq!(running.join().unwrap(), H2NATIVE_OK);
        });
        assert_eq!(h2native_conn_free(conn), H2NATIVE_OK);
    }

    #[test]
    fn malformed_commands_report_the_offset_and_keep_earlier_results() {
        let conn = new(false);
        let mut w = CommandWriter::default();
        w.ping(*b"12345678");
        w.buf.extend_from_slice(&[0xff, 0, 0, 0, 8, 0, 0, 0]); // unknown opcode 255
        let (mut p, mut n) = (null(), 0usize);
        // SAFETY: valid handle, buffers and out-pointers.
        unsafe {
            let r = h2native_conn_apply(conn, w.buf.as_ptr(), w.buf.len(), &mut p, &mut n);
            assert_eq!(r, H2NATIVE_ERR_MALFORMED);
            assert_eq!(
                last_error(),
                "h2native_conn_apply: malformed command record at offset 16: unknown opcode"
            );
            assert_eq!(n, 8);
            assert_eq!(std::slice::from_raw_parts(p, n), &[0u8; 8]); // PING: OK, 0
            assert_eq!(h2native_conn_free(conn), H2NATIVE_OK);
        }
    }

    #[test]
    fn last_error_truncates_and_reports_the_full_length() {
        set_last_error("f", "0123456789");
        let mut buf = [0x55 as c_char; 5];
        // SAFETY: `buf` is writable for 5 octets.
        let n = unsafe { h2native_last_error(buf.as_mut_ptr(), buf.len()) };
        assert_eq!(n, 13); // "f: 0123456789"
        assert_eq!(buf.map(|c| c as u8), *b"f: 0\0");
    }

    #[test]
    fn panics_are_contained_and_poison_the_connection() {
        let conn = new(true);
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {})); // keep the test output clean
        let r = with_conn("test_op", conn, |_| panic!("boom"));
        let e1 = last_error();
        let r2 = guard("test_fn", || panic!("{}", String::from("formatted")));
        std::panic::set_hook(prev);
        assert_eq!(r, H2NATIVE_ERR_PANIC);
        assert_eq!(e1, "test_op: panic: boom");
        assert_eq!(last_error(), "test_fn: panic: formatted");
        assert_eq!(h2native_conn_set_now(conn, 1), H2NATIVE_ERR_POISONED);
        assert_eq!(h2native_conn_free(conn), H2NATIVE_OK);
        assert_eq!(r2, H2NATIVE_ERR_PANIC);
    }
}
