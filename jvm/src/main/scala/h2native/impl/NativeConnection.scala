/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl

import java.lang.ref.Cleaner
import java.nio.{ByteBuffer, ByteOrder}
import java.util.function.IntFunction

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.util.{ByteString, ByteStringBuilder}

/**
 * INTERNAL API
 *
 * One native connection's handle, buffers and lifecycle: the IO block every call writes into (events, output, segments,
 * command results; rust/ffi/JNI.md), the input handed to `feed`, and the output gathered across calls until
 * `takeOutput`. Reading events ([[EventReader]]) and writing commands ([[CommandWriter]]) are separate.
 *
 * NOT thread-safe: one owner calls it; the native side refuses concurrent calls with an IllegalStateException rather
 * than racing. `close()` frees the native connection at once and is idempotent; a Cleaner closes it if the object is
 * dropped unclosed. After `close()` every call throws IllegalStateException.
 */
@InternalApi
final class NativeConnection(server: Boolean, config: EngineConfig) {
  import NativeConnection._

  NativeLibrary.ensureLoaded()

  private[this] val state = new HandleState(NativeBindings.open(server, config.record))
  private[this] val cleanable = cleaner.register(this, state)

  /** The IO block of the last call: its regions are valid until the next call. */
  private[impl] var io: ByteBuffer = _
  private[this] var ioAddress = 0L
  private[this] var inBuf: ByteBuffer = _
  private[this] var inAddress = 0L

  /** Unconsumed tail of the last input, fed again in front of the next bytes. */
  private[this] var pending: ByteString = ByteString.empty
  // checked on every feed: a field read instead of a call on the ByteString
  private[this] var pendingLength = 0

  /** The input of the last feed: DATA and GOAWAY offsets point into it. */
  private[impl] var input: ByteString = ByteString.empty

  /** Called after every native call, once the IO block holds its results (the event cursor rewinds). */
  private[impl] var afterCall: Runnable = () => ()

  // Output accumulated across calls: control/header octets and segment records (outPos, tag, off, len).
  private[this] var outBytes = new Array[Byte](OutputCapacity)
  private[this] var outLen = 0
  private[this] var segs = new Array[Int](64)
  private[this] var segCount = 0

  /**
   * Inputs of at least this many octets whose ByteString is compact (one whole array) are pinned (`feedArray`); smaller
   * or fragmented ones are copied into the reused direct input buffer. 0: always pin compact inputs; Int.MaxValue:
   * always copy (up to `KeepCapacity`). Default from the figures in rust/ffi/JNI.md.
   */
  var pinThreshold: Int = DefaultPinThreshold

  private[this] var flagsWord = 0

  growIo(IoCapacity)
  call(NativeBindings.flush(handle, ioAddress, io.capacity))

  private[impl] def handle: Long = {
    val h = state.handle
    if (h == 0) throw new IllegalStateException("h2native connection is closed")
    h
  }

  private def growIo(capacity: Int): Unit = {
    io = ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN)
    ioAddress = NativeBindings.address(io)
  }

  /**
   * Before a call: an IO block that grew past `IoKeepCapacity` for a burst (its events are read by now) is replaced by
   * one of the initial size, so a burst a peer provoked once is not kept for the connection's life.
   */
  private[impl] def ioBlock(): Long = {
    if (io.capacity > IoKeepCapacity) growIo(IoCapacity)
    ioAddress
  }

  /** Takes a native status; on OVERFLOW grows the block and flushes; then collects the output. Returns the value. */
  private[impl] def call(status0: Int): Int = {
    var status = status0
    while (status == Abi.IO_STATUS_OVERFLOW) {
      val needed = io.getInt(Abi.IO_NEEDED)
      growIo(math.max(needed, io.capacity * 2))
      status = NativeBindings.flush(handle, ioAddress, io.capacity)
    }
    flagsWord = io.getInt(Abi.IO_FLAGS)
    collectOutput()
    afterCall.run()
    io.getInt(Abi.IO_VALUE)
  }

  private def collectOutput(): Unit = {
    // (offset, length) pairs, one read each (the block is little-endian)
    val o = io.getLong(Abi.IO_OUTPUT)
    val sg = io.getLong(Abi.IO_SEGMENTS)
    val oOff = o.toInt
    val oLen = (o >>> 32).toInt
    val sOff = sg.toInt
    val sLen = (sg >>> 32).toInt
    val base = outLen
    if (oLen > 0) {
      if (outLen + oLen > outBytes.length)
        outBytes = java.util.Arrays.copyOf(outBytes, math.max(outLen + oLen, outBytes.length * 2))
      io.get(oOff, outBytes, outLen, oLen)
      outLen += oLen
    }
    val n = sLen / Abi.SEGMENT_LEN
    if (n > 0) {
      if ((segCount + n) * 4 > segs.length)
        segs = java.util.Arrays.copyOf(segs, math.max((segCount + n) * 4, segs.length * 2))
      var i = 0
      while (i < n) {
        val at = sOff + Abi.SEGMENT_LEN * i
        val k = (segCount + i) * 4
        segs(k) = io.getInt(at + Abi.SEGMENT_OUT_POS) + base
        segs(k + 1) = io.getInt(at + Abi.SEGMENT_TAG)
        segs(k + 2) = io.getInt(at + Abi.SEGMENT_PAYLOAD_OFFSET)
        segs(k + 3) = io.getInt(at + Abi.SEGMENT_LENGTH)
        i += 1
      }
      segCount += n
    }
  }

  /**
   * Feeds received bytes (all frames in them, one native call). Returns the octets consumed of the input, which is the
   * unconsumed tail of earlier feeds followed by `bytes`; the tail is kept and fed again next time.
   */
  def feed(bytes: ByteString): Int = {
    val h = handle
    val in = if (pendingLength == 0) bytes else pending ++ bytes
    input = in
    val len = in.length
    val block = ioBlock()
    val consumed =
      if ((len >= pinThreshold && in.isCompact) || len > KeepCapacity) {
        // a large fragmented input is joined on the heap and pinned: a direct copy would keep its size
        val arr = if (in.isCompact) in.toArrayUnsafe() else in.toArray
        call(NativeBindings.feedArray(h, LibraryClock, arr, 0, len, block, io.capacity))
      } else {
        if ((inBuf eq null) || inBuf.capacity < len) {
          inBuf = ByteBuffer.allocateDirect(math.max(len, InputCapacity))
          inAddress = NativeBindings.address(inBuf)
        }
        inBuf.clear()
        in.copyToBuffer(inBuf)
        call(NativeBindings.feed(h, LibraryClock, inAddress, len, block, io.capacity))
      }
    // reference stores into this long-lived object cost a GC barrier: skip the usual no-op one
    if (consumed < len) { pending = in.drop(consumed); pendingLength = len - consumed }
    else if (pendingLength != 0) { pending = ByteString.empty; pendingLength = 0 }
    consumed
  }

  def isClosed: Boolean = (flagsWord & Abi.IO_FLAG_CLOSED) != 0
  def isDrained: Boolean = (flagsWord & Abi.IO_FLAG_DRAINED) != 0

  /**
   * The last `feed` stopped at the engine's event bound (32 KiB of events, rust/codec/src/conn/limits.rs) with whole
   * frames left: read its events, then `feed(ByteString.empty)` to go on with the rest.
   */
  def inputLeft: Boolean = (flagsWord & Abi.IO_FLAG_INPUT_LEFT) != 0

  // ---------------------------------------------------------------- output

  def hasOutput: Boolean = outLen > 0 || segCount > 0

  /**
   * The bytes to write: the control/header octets accumulated since the last take, with the DATA payloads
   * (`payloads(tag)`, sliced) in their places. Clears the accumulated output.
   *
   * When every payload is at most `ChainThreshold` octets (a unary gRPC message, typically), the result is one array:
   * the payloads are copied in, as hyperium/h2 copies DATA below 256 octets, because a rope node costs more than such a
   * copy. Otherwise nothing is copied: the payloads are chained between slices of the control octets.
   */
  def takeOutput(payloads: IntFunction[ByteString]): ByteString = {
    handle
    var copied = outLen
    var i = 0
    while (i < segCount && copied >= 0) {
      val len = segs(i * 4 + 3)
      copied = if (len <= ChainThreshold) copied + len else -1
      i += 1
    }
    val result = if (copied >= 0) copiedOutput(payloads, copied) else chainedOutput(payloads)
    outLen = 0
    segCount = 0
    if (outBytes.length > KeepCapacity) outBytes = new Array[Byte](OutputCapacity)
    if (segs.length > KeepCapacity / 4) segs = new Array[Int](64)
    result
  }

  private def copiedOutput(payloads: IntFunction[ByteString], size: Int): ByteString = {
    val out = new Array[Byte](size)
    var prev = 0
    var at = 0
    var i = 0
    while (i < segCount) {
      val k = i * 4
      val pos = segs(k)
      System.arraycopy(outBytes, prev, out, at, pos - prev)
      at += pos - prev
      val len = segs(k + 3)
      payload(payloads, k).copyToArray(out, at, len)
      at += len
      prev = pos
      i += 1
    }
    System.arraycopy(outBytes, prev, out, at, outLen - prev)
    ByteString.fromArrayUnsafe(out)
  }

  private def chainedOutput(payloads: IntFunction[ByteString]): ByteString = {
    val octets = java.util.Arrays.copyOf(outBytes, outLen)
    val b = new ByteStringBuilder
    var prev = 0
    var i = 0
    while (i < segCount) {
      val k = i * 4
      val pos = segs(k)
      if (pos > prev) b ++= ByteString.fromArrayUnsafe(octets, prev, pos - prev)
      b ++= payload(payloads, k)
      prev = pos
      i += 1
    }
    if (outLen > prev) b ++= ByteString.fromArrayUnsafe(octets, prev, outLen - prev)
    b.result()
  }

  /** The payload of segment record `k`: its octets of `payloads(tag)`, which must hold them. */
  private def payload(payloads: IntFunction[ByteString], k: Int): ByteString = {
    val tag = segs(k + 1)
    val off = segs(k + 2)
    val len = segs(k + 3)
    val p = payloads(tag)
    if ((p eq null) || p.length < off + len)
      throw new IllegalStateException(
        s"DATA payload for tag $tag has ${if (p eq null) "no"
          else p.length.toString} octets; its DATA command sent octets $off until ${off + len}"
      )
    p.slice(off, off + len)
  }

  /**
   * Frames received and sent so far by type, into `out` (at least 2 × `Abi.FRAME_KINDS` entries): received first, then
   * sent, each by `Abi.FRAME_KIND_NAMES`. One native call: for metrics, not per frame.
   */
  def frameCounts(out: Array[Long]): Unit = NativeBindings.frameCounts(handle, out)

  /** Frees the native connection now; idempotent. */
  def close(): Unit = cleanable.clean()
}

/** INTERNAL API */
@InternalApi
object NativeConnection {

  /**
   * `nowMs` for the natives: the library reads its own coarse monotonic clock, cheaper than a clock read here per call
   * (rust/ffi/JNI.md).
   */
  final val LibraryClock = -1L

  /** Copy below, pin from (rust/ffi/JNI.md: copying wins for small chunks, pinning for 16 KiB). */
  final val DefaultPinThreshold = 8192

  /**
   * Initial sizes of the per-connection buffers: the IO block, the direct input copy (inputs above it are pinned), the
   * command records, the output octets. A buffer grown past `KeepCapacity` for a burst goes back to its initial size
   * after the call that needed it (SECURITY.md: a peer's burst is not kept for the connection's life); the input copy
   * never grows past it (larger inputs are pinned).
   */
  final val IoCapacity = 16 << 10
  final val InputCapacity = 16 << 10
  final val CommandCapacity = 4096
  final val OutputCapacity = 4096
  final val KeepCapacity = 64 << 10

  /**
   * The IO block is kept up to this size: what one feed can need under the engine's event bound (32 KiB of events plus
   * one HEADERS event of up to 24 KiB, control replies, segments) after doubling from 16 KiB. Only a larger burst (a
   * huge command batch's output) gets a block that is dropped after its call.
   */
  final val IoKeepCapacity = 128 << 10

  /** DATA payloads up to this many octets may be copied into the output instead of chained (`takeOutput`). */
  final val ChainThreshold = 256

  private val cleaner: Cleaner = Cleaner.create()

  /** The cleaning action: holds only the handle, never the connection. */
  final private class HandleState(@volatile var handle: Long) extends Runnable {
    def run(): Unit = {
      val h = handle
      handle = 0
      if (h != 0) NativeBindings.close(h)
    }
  }
}
