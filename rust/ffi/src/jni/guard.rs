//! Every exported function runs its body through [`guarded`]: panics and errors become Java
//! exceptions; nothing unwinds across the `extern "system"` boundary.

use std::panic::{catch_unwind, AssertUnwindSafe};

use jni::JNIEnv;

/// An error to raise in Java: the exception class (JNI name) and its message.
pub struct Thrown {
    pub class: &'static str,
    pub message: String,
}

impl Thrown {
    pub fn illegal_argument(message: impl Into<String>) -> Self {
        Self { class: "java/lang/IllegalArgumentException", message: message.into() }
    }
}

/// Runs `body`; on `Err` or panic, throws the corresponding Java exception and returns
/// `on_error` (the JVM ignores the return value while an exception is pending).
pub fn guarded<T: Copy>(
    env: &mut JNIEnv,
    on_error: T,
    body: impl FnOnce(&mut JNIEnv) -> Result<T, Thrown>,
) -> T {
    let outcome = catch_unwind(AssertUnwindSafe(|| body(env)));
    let thrown = match outcome {
        Ok(Ok(value)) => return value,
        Ok(Err(thrown)) => thrown,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Thrown {
                class: "java/lang/IllegalStateException",
                message: format!("h2native: internal error in native code (please report): {what}"),
            }
        }
    };
    // If an exception is already pending (a failed JNI call), keep that one: it is the cause.
    if !env.exception_check().unwrap_or(true) {
        let _ = env.throw_new(thrown.class, thrown.message);
    }
    on_error
}
