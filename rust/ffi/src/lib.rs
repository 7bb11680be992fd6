//! libh2native: the JNI and C boundary over h2native-codec.
