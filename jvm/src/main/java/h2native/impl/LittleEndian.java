/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import org.apache.pekko.annotation.InternalApi;

/**
 * INTERNAL API
 *
 * <p>Little-endian int and long stores into a byte array, one store each. In Java because the JIT
 * folds a VarHandle only when it sits in a static final field, which a Scala object's val is not.
 */
@InternalApi
final class LittleEndian {
  private LittleEndian() {}

  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  static void putInt(byte[] array, int index, int value) {
    INT.set(array, index, value);
  }

  static void putLong(byte[] array, int index, long value) {
    LONG.set(array, index, value);
  }
}
