/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl

import java.nio.ByteBuffer
import java.nio.charset.StandardCharsets

import scala.annotation.nowarn

import org.apache.pekko.annotation.InternalApi

/**
 * INTERNAL API
 *
 * The command records of a connection (rust/codec/ABI.md, opcodes from the generated [[Abi]]): append commands, then
 * `submit()` them in one native call; `results` holds each command's status and value until the next call.
 */
@InternalApi
final class CommandWriter private[impl] (conn: NativeConnection) {
  import NativeConnection._

  // Records are written into a heap array (plain stores, no buffer bookkeeping per field) and copied into the
  // direct buffer the native side reads in one bulk put per batch.
  private[this] var cmd = new Array[Byte](CommandCapacity)
  private[this] var len = 0
  private[this] var buf = ByteBuffer.allocateDirect(CommandCapacity)
  private[this] var addr = NativeBindings.address(buf)

  private def ensure(n: Int): Unit =
    if (len + n > cmd.length) cmd = java.util.Arrays.copyOf(cmd, math.max(cmd.length * 2, len + n))

  /** Little-endian, as the whole ABI. */
  private def intAt(i: Int, v: Int): Unit = LittleEndian.putInt(cmd, i, v)

  /** Two ints in one store: `a` first. */
  private def pairAt(i: Int, a: Int, b: Int): Unit =
    LittleEndian.putLong(cmd, i, (a & 0xffffffffL) | (b.toLong << 32))

  private def pair(a: Int, b: Int): Unit = { pairAt(len, a, b); len += 8 }

  private def begin(op: Int, flags: Int, minLen: Int): Int = {
    ensure(minLen + 16); val start = len
    pair(op | (flags << 16), 0); start
  }

  // `begin` reserved 16 octets past the record, so one long store zeroes the padding.
  private def finish(start: Int): Unit = {
    val padded = (len - start + 7) & ~7
    LittleEndian.putLong(cmd, len, 0L)
    len = start + padded
    intAt(start + 4, padded)
  }

  /**
   * Header names and values are ISO-8859-1 on the wire: one char, one octet (the low 8 bits, which is what the
   * deprecated `String.getBytes(int, int, byte[], int)` copies: an array copy for the JDK's compact Latin-1 strings).
   */
  @nowarn("cat=deprecation")
  private def putLatin1(at: Int, s: String): Int = {
    val n = s.length
    s.getBytes(0, n, cmd, at)
    at + n
  }

  private[this] val memo = new HeaderListMemo

  /** A HEADERS command: `fields` (names lowercase) are copied into the record now, or from an equal list's. */
  def headers(streamId: Int, fields: Seq[(String, String)], endStream: Boolean): this.type = {
    val flags = if (endStream) Abi.CMD_FLAG_END_STREAM else 0
    val k = memo.find(fields)
    if (k >= 0) {
      ensure(memo.length(k))
      memo.copy(k, cmd, len, streamId, flags)
      len += memo.length(k)
      return this
    }
    var n = 0
    var size = 16
    var it = fields.iterator
    while (it.hasNext) { val f = it.next(); size += 8 + f._1.length + f._2.length; n += 1 }
    val start = begin(Abi.CMD_HEADERS, flags, size)
    pair(streamId, n)
    // one pass writes the length entries and, after them, the octets
    var entry = len
    var data = len + 8 * n
    it = fields.iterator
    while (it.hasNext) {
      val f = it.next()
      val name = f._1
      val value = f._2
      pairAt(entry, name.length, value.length)
      entry += 8
      data = putLatin1(putLatin1(data, name), value)
    }
    len = data
    finish(start)
    memo.remember(fields, n, cmd, start, len - start)
    this
  }

  def data(streamId: Int, len: Int, endStream: Boolean, tag: Int): this.type = {
    val start = begin(Abi.CMD_DATA, if (endStream) Abi.CMD_FLAG_END_STREAM else 0, 24)
    pair(streamId, len); pair(tag, 0); finish(start); this
  }

  def reset(streamId: Int, code: Int): this.type = {
    val start = begin(Abi.CMD_RESET, 0, 16); pair(streamId, code); finish(start); this
  }

  def ping(payload: Long): this.type = {
    // The 8 payload octets as a little-endian long (what `EventReader.pingPayload` reads).
    val start = begin(Abi.CMD_PING, 0, 16); pair(payload.toInt, (payload >>> 32).toInt); finish(start); this
  }

  def goaway(graceful: Boolean, code: Int, debug: String): this.type = {
    val d = debug.getBytes(StandardCharsets.UTF_8)
    val start = begin(Abi.CMD_GOAWAY, if (graceful) Abi.CMD_FLAG_GRACEFUL else 0, 16 + d.length)
    pair(code, d.length); System.arraycopy(d, 0, cmd, len, d.length); len += d.length; finish(start); this
  }

  def consumed(streamId: Int, n: Int): this.type = {
    val start = begin(Abi.CMD_CONSUMED, 0, 16); pair(streamId, n); finish(start); this
  }

  /** Applies the batch in one native call; results readable from `results` until the next call. */
  def submit(): Results = {
    val h = conn.handle
    val n = len
    len = 0
    if (buf.capacity < n || (buf.capacity > KeepCapacity && n <= CommandCapacity)) {
      // grown for a large batch only while one needs it
      buf = ByteBuffer.allocateDirect(math.max(n, CommandCapacity)); addr = NativeBindings.address(buf)
    }
    buf.put(0, cmd, 0, n)
    if (cmd.length > KeepCapacity) cmd = new Array[Byte](CommandCapacity)
    val block = conn.ioBlock()
    conn.call(NativeBindings.apply(h, LibraryClock, addr, n, block, conn.io.capacity))
    results
  }

  /** Results of the last `submit()`: per command, a status (`Abi.RESULT_*`) and a value. */
  object results extends Results {
    def count: Int = conn.io.getInt(Abi.IO_RESULTS + 4) / Abi.RESULT_LEN
    def status(i: Int): Int = conn.io.getInt(conn.io.getInt(Abi.IO_RESULTS) + Abi.RESULT_LEN * i)
    def value(i: Int): Int = conn.io.getInt(conn.io.getInt(Abi.IO_RESULTS) + Abi.RESULT_LEN * i + 4)
  }
}

/** INTERNAL API: the results of one command batch. */
@InternalApi
trait Results {
  def count: Int
  def status(i: Int): Int
  def value(i: Int): Int
}
