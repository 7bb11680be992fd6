//! JNI exports. Natives are registered once in `JNI_OnLoad` (RegisterNatives) on
//! `h2native.impl.NativeBindings`, so no symbol lookup happens per call and a class/library
//! mismatch fails at load time with a clear `UnsatisfiedLinkError` instead of at first use.

mod conn;
mod guard;
mod probe;

use std::ffi::c_void;

use jni::sys::{jint, JNI_ERR, JNI_VERSION_1_8};
use jni::{JNIEnv, JavaVM, NativeMethod};

/// The Java class holding the `native` declarations.
pub const BINDINGS_CLASS: &str = "h2native/impl/NativeBindings";

fn native_methods() -> Vec<NativeMethod> {
    vec![
        NativeMethod {
            name: "abiVersion".into(),
            sig: "()I".into(),
            fn_ptr: probe::abi_version as *mut c_void,
        },
        NativeMethod {
            name: "fnv1a".into(),
            sig: "(Ljava/nio/ByteBuffer;II)J".into(),
            fn_ptr: probe::fnv1a as *mut c_void,
        },
        NativeMethod {
            name: "address".into(),
            sig: "(Ljava/nio/ByteBuffer;)J".into(),
            fn_ptr: conn::address as *mut c_void,
        },
        NativeMethod { name: "open".into(), sig: "(Z[J)J".into(), fn_ptr: conn::open as *mut c_void },
        NativeMethod { name: "close".into(), sig: "(J)Z".into(), fn_ptr: conn::close as *mut c_void },
        NativeMethod { name: "feed".into(), sig: "(JJJIJI)I".into(), fn_ptr: conn::feed as *mut c_void },
        NativeMethod {
            name: "feedArray".into(),
            sig: "(JJ[BIIJI)I".into(),
            fn_ptr: conn::feed_array as *mut c_void,
        },
        NativeMethod { name: "apply".into(), sig: "(JJJIJI)I".into(), fn_ptr: conn::apply as *mut c_void },
        NativeMethod { name: "flush".into(), sig: "(JJI)I".into(), fn_ptr: conn::flush as *mut c_void },
        NativeMethod {
            name: "frameCounts".into(),
            sig: "(J[J)Z".into(),
            fn_ptr: conn::frame_counts as *mut c_void,
        },
        NativeMethod {
            name: "allocatedBytes".into(),
            sig: "()J".into(),
            fn_ptr: conn::allocated_bytes as *mut c_void,
        },
        NativeMethod {
            name: "liveConnections".into(),
            sig: "()J".into(),
            fn_ptr: conn::live_connections as *mut c_void,
        },
    ]
}

fn register(env: &mut JNIEnv) -> jni::errors::Result<()> {
    let class = env.find_class(BINDINGS_CLASS)?;
    env.register_native_methods(&class, &native_methods())
}

/// Called by the JVM when `System.load` loads this library.
#[no_mangle]
pub extern "system" fn JNI_OnLoad(vm: JavaVM, _reserved: *mut c_void) -> jint {
    let registered = std::panic::catch_unwind(|| {
        let mut env = vm.get_env()?;
        register(&mut env)
    });
    match registered {
        Ok(Ok(())) => JNI_VERSION_1_8,
        // A pending NoClassDefFoundError/NoSuchMethodError from find_class or RegisterNatives
        // stays pending and becomes the cause the JVM reports from System.load.
        _ => JNI_ERR,
    }
}
