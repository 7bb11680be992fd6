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

  /** The native address of a direct buffer (JNI GetDirectBufferAddress); call once per buffer and cache it. */
  public static native long address(ByteBuffer direct);

  /**
   * Opens a connection. {@code config}: one entry per field of the Rust {@code Config}, in the order of
   * rust/ffi/JNI.md (a shorter array keeps the defaults of the rest; null: all defaults). Returns the handle (never
   * 0). The initial output (client preface, SETTINGS) is fetched with {@link #flush}.
   */
  public static native long open(boolean server, long[] config);

  /** Frees the connection now. Returns false if the handle was already closed or unknown. */
  public static native boolean close(long handle);

  /**
   * Feeds {@code inLength} octets at {@code inAddress}, then writes the IO block. Returns its status: 0 OK, 1
   * OVERFLOW (grow the block to the capacity it names and call {@link #flush}). The control area's value is the
   * number of octets consumed (whole frames only: keep the rest and feed it again with more).
   */
  public static native int feed(long handle, long nowMs, long inAddress, int inLength, long ioAddress, int ioCapacity);

  /** As {@link #feed}, from a heap array pinned for the call (GetPrimitiveArrayCritical). */
  public static native int feedArray(
      long handle, long nowMs, byte[] array, int offset, int length, long ioAddress, int ioCapacity);

  /** Applies a command buffer (ABI.md), then writes the IO block. The control area's value: records applied. */
  public static native int apply(long handle, long nowMs, long cmdAddress, int cmdLength, long ioAddress, int ioCapacity);

  /** Writes what is pending into the IO block (after an OVERFLOW, or after open). */
  public static native int flush(long handle, long ioAddress, int ioCapacity);

  /** Connections opened and not yet closed, in this process. */
  public static native long liveConnections();

  /**
   * Copies the connection's frame counters into {@code out} (at least 22 entries): frames received by type (0 DATA ..
   * 9 CONTINUATION, 10 unknown types), then frames sent by type. Returns true.
   */
  public static native boolean frameCounts(long handle, long[] out);

  /** Octets of native memory the library holds now (all connections), from its counting allocator. */
  public static native long allocatedBytes();
}
