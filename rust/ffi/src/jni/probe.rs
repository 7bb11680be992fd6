//! The two probes the loader uses: the ABI version, and a round trip of bytes through a direct
//! ByteBuffer, which proves the chain (jar -> extracted library -> RegisterNatives -> memory).

use jni::objects::{JByteBuffer, JClass};
use jni::sys::{jint, jlong};
use jni::JNIEnv;

use super::guard::{guarded, Thrown};

pub extern "system" fn abi_version(_env: JNIEnv, _class: JClass) -> jint {
    crate::ABI_VERSION as jint
}

pub extern "system" fn fnv1a(
    mut env: JNIEnv,
    _class: JClass,
    buffer: JByteBuffer,
    offset: jint,
    length: jint,
) -> jlong {
    guarded(&mut env, 0, |env| {
        if buffer.is_null() {
            return Err(Thrown::illegal_argument("buffer is null"));
        }
        let address = env
            .get_direct_buffer_address(&buffer)
            .map_err(|_| Thrown::illegal_argument("buffer is not a direct ByteBuffer"))?;
        let capacity = env
            .get_direct_buffer_capacity(&buffer)
            .map_err(|_| Thrown::illegal_argument("buffer is not a direct ByteBuffer"))?;
        let (Ok(offset), Ok(length)) = (usize::try_from(offset), usize::try_from(length)) else {
            return Err(Thrown::illegal_argument(format!("negative offset {offset} or length {length}")));
        };
        if offset.checked_add(length).is_none_or(|end| end > capacity) {
            return Err(Thrown::illegal_argument(format!(
                "range [{offset}, {offset}+{length}) outside buffer of capacity {capacity}"
            )));
        }
        // SAFETY: `address` is the start of a direct buffer of `capacity` bytes, kept alive by
        // the Java caller for the duration of this call; the range was checked against capacity.
        let bytes = unsafe { std::slice::from_raw_parts(address.add(offset), length) };
        Ok(crate::fnv1a64(bytes) as jlong)
    })
}
