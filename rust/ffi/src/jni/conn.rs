//! The connection natives: `open`, `close`, `feed`, `feedArray`, `apply`, `flush`,
//! `liveConnections` and `address`. Primitives only; no Java object is created here and nothing
//! calls back into Java. Semantics and the IO block layout: `rust/ffi/JNI.md`.

use jni::objects::{JByteArray, JByteBuffer, JClass, JLongArray, ReleaseMode};
use jni::sys::{jboolean, jint, jlong, JNI_FALSE};
use jni::JNIEnv;

use h2native_codec::abi::config_from_record;
use h2native_codec::conn::{CONFIG_FIELDS, FRAME_KINDS};

use super::guard::{guarded, Thrown};
use crate::clock;
use crate::session::{self, Session, SessionError};

impl From<SessionError> for Thrown {
    fn from(e: SessionError) -> Self {
        let class = match e {
            SessionError::Abi(_) | SessionError::BlockTooSmall(_) => "java/lang/IllegalArgumentException",
            _ => "java/lang/IllegalStateException",
        };
        Thrown { class, message: e.to_string() }
    }
}

/// Entries of a config record `open` reads at most: the version and an (id, value) pair per field.
const MAX_RECORD: usize = 1 + 2 * CONFIG_FIELDS.len();

fn length(what: &str, n: jint) -> Result<usize, Thrown> {
    usize::try_from(n).map_err(|_| Thrown::illegal_argument(format!("negative {what} {n}")))
}

/// # Safety
/// `address` must point to `len` bytes valid for the call (a live direct buffer of the caller).
unsafe fn slice<'a>(what: &str, address: jlong, len: usize) -> Result<&'a [u8], Thrown> {
    if len == 0 {
        return Ok(&[]);
    }
    if address == 0 {
        return Err(Thrown::illegal_argument(format!("{what} address is 0")));
    }
    // SAFETY: the caller guarantees `len` readable bytes at `address`, non-null checked above.
    Ok(unsafe { std::slice::from_raw_parts(address as *const u8, len) })
}

/// # Safety
/// `address` must point to `len` writable bytes not aliased by any other argument.
unsafe fn slice_mut<'a>(address: jlong, len: usize) -> Result<&'a mut [u8], Thrown> {
    if address == 0 || len == 0 {
        return Err(Thrown::illegal_argument("IO block address is 0 or its capacity is 0"));
    }
    // SAFETY: as documented on this function; non-null checked above.
    Ok(unsafe { std::slice::from_raw_parts_mut(address as *mut u8, len) })
}

pub extern "system" fn address(mut env: JNIEnv, _class: JClass, buffer: JByteBuffer) -> jlong {
    guarded(&mut env, 0, |env| {
        if buffer.is_null() {
            return Err(Thrown::illegal_argument("buffer is null"));
        }
        let address = env
            .get_direct_buffer_address(&buffer)
            .map_err(|_| Thrown::illegal_argument("buffer is not a direct ByteBuffer"))?;
        Ok(address as jlong)
    })
}

pub extern "system" fn open(mut env: JNIEnv, _class: JClass, server: jboolean, config: JLongArray) -> jlong {
    guarded(&mut env, 0, |env| {
        let mut record = [0i64; MAX_RECORD];
        let n = if config.is_null() {
            0
        } else {
            let n =
                env.get_array_length(&config).map_err(|e| Thrown::illegal_argument(e.to_string()))? as usize;
            if n > MAX_RECORD {
                return Err(Thrown::illegal_argument(format!(
                    "config record of {n} entries; this library reads at most {MAX_RECORD}"
                )));
            }
            env.get_long_array_region(&config, 0, &mut record[..n])
                .map_err(|e| Thrown::illegal_argument(e.to_string()))?;
            n
        };
        let cfg = config_from_record(&record[..n]).map_err(Thrown::illegal_argument)?;
        session::insert(Session::new(server != JNI_FALSE, cfg)).ok_or_else(|| Thrown {
            class: "java/lang/IllegalStateException",
            message: "h2native: too many connections open at once (1,048,576)".to_string(),
        })
    })
}

pub extern "system" fn close(mut env: JNIEnv, _class: JClass, handle: jlong) -> jboolean {
    guarded(&mut env, 0, |_| Ok(session::remove(handle) as jboolean))
}

pub extern "system" fn live_connections(mut env: JNIEnv, _class: JClass) -> jlong {
    guarded(&mut env, 0, |_| Ok(session::live_sessions() as jlong))
}

#[allow(clippy::too_many_arguments)]
pub extern "system" fn feed(
    mut env: JNIEnv,
    _class: JClass,
    handle: jlong,
    now_ms: jlong,
    in_address: jlong,
    in_length: jint,
    io_address: jlong,
    io_capacity: jint,
) -> jint {
    guarded(&mut env, 0, |_| {
        let in_len = length("input length", in_length)?;
        let io_cap = length("IO capacity", io_capacity)?;
        // SAFETY: the JVM passes the address of its live direct input buffer with at least
        // `in_length` bytes, and of its distinct IO block of `io_capacity` bytes (JNI.md).
        let input = unsafe { slice("input", in_address, in_len)? };
        // SAFETY: as above; the IO block does not overlap the input.
        let block = unsafe { slice_mut(io_address, io_cap)? };
        let value = session::with_session(handle, |s| s.feed(clock::resolve(now_ms), input, block))??;
        Ok(value as jint)
    })
}

#[allow(clippy::too_many_arguments)]
pub extern "system" fn feed_array(
    mut env: JNIEnv,
    _class: JClass,
    handle: jlong,
    now_ms: jlong,
    array: JByteArray,
    offset: jint,
    length_: jint,
    io_address: jlong,
    io_capacity: jint,
) -> jint {
    guarded(&mut env, 0, |env| {
        if array.is_null() {
            return Err(Thrown::illegal_argument("array is null"));
        }
        let off = length("offset", offset)?;
        let len = length("length", length_)?;
        let io_cap = length("IO capacity", io_capacity)?;
        let array_len =
            env.get_array_length(&array).map_err(|e| Thrown::illegal_argument(e.to_string()))? as usize;
        if off.checked_add(len).is_none_or(|end| end > array_len) {
            return Err(Thrown::illegal_argument(format!(
                "range [{off}, {off}+{len}) outside array of length {array_len}"
            )));
        }
        // SAFETY: the JVM passes its live IO block of `io_capacity` bytes (JNI.md).
        let block = unsafe { slice_mut(io_address, io_cap)? };
        let outcome = {
            // SAFETY: no JNI call happens while the critical region is held (the session work is
            // pure Rust); the elements are released (without copy-back) when `elements` drops.
            let elements = unsafe { env.get_array_elements_critical(&array, ReleaseMode::NoCopyBack) }
                .map_err(|e| Thrown::illegal_argument(e.to_string()))?;
            // SAFETY: `elements` points at `array_len` bytes, pinned until it drops; the range
            // was checked against `array_len` above.
            let input = unsafe { std::slice::from_raw_parts(elements.as_ptr().add(off) as *const u8, len) };
            session::with_session(handle, |s| s.feed(clock::resolve(now_ms), input, block))
        };
        Ok(outcome?? as jint)
    })
}

#[allow(clippy::too_many_arguments)]
pub extern "system" fn apply(
    mut env: JNIEnv,
    _class: JClass,
    handle: jlong,
    now_ms: jlong,
    cmd_address: jlong,
    cmd_length: jint,
    io_address: jlong,
    io_capacity: jint,
) -> jint {
    guarded(&mut env, 0, |_| {
        let cmd_len = length("command length", cmd_length)?;
        let io_cap = length("IO capacity", io_capacity)?;
        // SAFETY: the JVM passes its live direct command buffer with `cmd_length` bytes.
        let cmds = unsafe { slice("command", cmd_address, cmd_len)? };
        // SAFETY: the JVM passes its distinct live IO block of `io_capacity` bytes.
        let block = unsafe { slice_mut(io_address, io_cap)? };
        let value = session::with_session(handle, |s| s.apply(clock::resolve(now_ms), cmds, block))??;
        Ok(value as jint)
    })
}

pub extern "system" fn flush(
    mut env: JNIEnv,
    _class: JClass,
    handle: jlong,
    io_address: jlong,
    io_capacity: jint,
) -> jint {
    guarded(&mut env, 0, |_| {
        let io_cap = length("IO capacity", io_capacity)?;
        // SAFETY: the JVM passes its live IO block of `io_capacity` bytes.
        let block = unsafe { slice_mut(io_address, io_cap)? };
        let value = session::with_session(handle, |s| s.flush(block))??;
        Ok(value as jint)
    })
}

/// Copies the connection's frame counters into `out`: received by type, then sent by type
/// (`FRAME_KINDS` each). Not on the hot path: the stage reads them when a connection ends.
pub extern "system" fn frame_counts(
    mut env: JNIEnv,
    _class: JClass,
    handle: jlong,
    out: JLongArray,
) -> jboolean {
    guarded(&mut env, 0, |env| {
        if out.is_null() {
            return Err(Thrown::illegal_argument("out is null"));
        }
        let n = env.get_array_length(&out).map_err(|e| Thrown::illegal_argument(e.to_string()))? as usize;
        if n < 2 * FRAME_KINDS {
            return Err(Thrown::illegal_argument(format!("out has {n} entries, needs {}", 2 * FRAME_KINDS)));
        }
        let counts = session::with_session(handle, |s| *s.conn.frame_counts())?;
        let mut values = [0i64; 2 * FRAME_KINDS];
        for (v, c) in values.iter_mut().zip(counts.received.iter().chain(counts.sent.iter())) {
            *v = *c as i64;
        }
        env.set_long_array_region(&out, 0, &values).map_err(|e| Thrown::illegal_argument(e.to_string()))?;
        Ok(1)
    })
}

/// Octets the library holds now (its counting allocator).
pub extern "system" fn allocated_bytes(mut env: JNIEnv, _class: JClass) -> jlong {
    guarded(&mut env, 0, |_| Ok(crate::alloc::allocated_bytes() as jlong))
}
