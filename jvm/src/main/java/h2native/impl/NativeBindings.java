/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl;

import java.nio.ByteBuffer;

import org.apache.pekko.annotation.InternalApi;

/**
 * INTERNAL API: the JNI entry points of libh2native, registered by its {@code JNI_OnLoad}
 * (RegisterNatives). Static natives: no receiver object crosses the boundary. Load the library
 * through {@link NativeLibrary} before calling any of these.
 */
@InternalApi
public final class NativeBindings {
  private NativeBindings() {}

  /** The version of the flat event/command format the library speaks. */
  public static native int abiVersion();

  /** FNV-1a 64 of {@code length} bytes at {@code offset} of a direct buffer (a round-trip probe). */
  public static native long fnv1a(ByteBuffer direct, int offset, int length);
}
