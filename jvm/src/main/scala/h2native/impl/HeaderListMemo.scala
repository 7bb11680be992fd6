/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl

import org.apache.pekko.annotation.InternalApi

/**
 * INTERNAL API
 *
 * The HEADERS command records of the last few header lists written. A server writes the same lists response after
 * response (`:status` + content-type, `grpc-status: 0`); a list equal to a remembered one is copied from its record
 * with the stream id and flags patched instead of written string by string, and the engine then recognises the record
 * and sends the block it encoded last time (rust/codec/src/abi/sent_blocks.rs). Turned off alone, each cost 6-8% more
 * CPU per call at saturation (identical request blocks, paired runs, README "Engine figures").
 *
 * Lists are compared by value, field by field, and only Lists (what the server stage and `Seq(...)` build): walking
 * other Seqs would take an iterator per entry compared. The strings are kept by reference and the records in
 * preallocated arrays: no allocation, hit or miss. Bounded: [[HeaderListMemo.Size]] lists of at most
 * [[HeaderListMemo.MaxFields]] fields and [[HeaderListMemo.MaxRecord]] octets.
 */
@InternalApi
final private[impl] class HeaderListMemo {
  import HeaderListMemo._

  private[this] val names = Array.fill(Size)(new Array[String](MaxFields))
  private[this] val values = Array.fill(Size)(new Array[String](MaxFields))
  private[this] val counts = new Array[Int](Size) // 0: empty (a HEADERS list has a field)
  private[this] val records = Array.fill(Size)(new Array[Byte](MaxRecord))
  private[this] val lengths = new Array[Int](Size)
  private[this] var next = 0

  private def matches(k: Int, fields: List[(String, String)]): Boolean = {
    val ns = names(k)
    val vs = values(k)
    val n = counts(k)
    var i = 0
    var rest = fields
    while (i < n && rest.nonEmpty) {
      val f = rest.head
      if (!(f._1 == ns(i)) || !(f._2 == vs(i))) return false
      rest = rest.tail
      i += 1
    }
    i == n && rest.isEmpty
  }

  /** The slot of a list equal to `fields`, or -1. */
  def find(fields: Seq[(String, String)]): Int = fields match {
    case list: List[(String, String)] =>
      var k = 0
      while (k < Size) { if (counts(k) > 0 && matches(k, list)) return k; k += 1 }
      -1
    case _ => -1
  }

  /** Octets of slot `k`'s record. */
  def length(k: Int): Int = lengths(k)

  /** Copies slot `k`'s record to `cmd` at `at` for `streamId` with record flags `flags`. */
  def copy(k: Int, cmd: Array[Byte], at: Int, streamId: Int, flags: Int): Unit = {
    System.arraycopy(records(k), 0, cmd, at, lengths(k))
    LittleEndian.putInt(cmd, at, Abi.CMD_HEADERS | (flags << 16))
    LittleEndian.putInt(cmd, at + Abi.CMD_STREAM_ID, streamId)
  }

  /** Remembers `fields` (`n` of them), just written as the record `cmd(start until start + length)`, if small. */
  def remember(fields: Seq[(String, String)], n: Int, cmd: Array[Byte], start: Int, length: Int): Unit =
    if (n <= MaxFields && length <= MaxRecord && fields.isInstanceOf[List[_]]) {
      val k = next
      next = (k + 1) % Size
      val ns = names(k)
      val vs = values(k)
      var i = 0
      var rest = fields.asInstanceOf[List[(String, String)]]
      while (rest.nonEmpty) { ns(i) = rest.head._1; vs(i) = rest.head._2; rest = rest.tail; i += 1 }
      while (i < MaxFields) { ns(i) = null; vs(i) = null; i += 1 }
      System.arraycopy(cmd, start, records(k), 0, length)
      lengths(k) = length
      counts(k) = n
    }
}

/** INTERNAL API */
@InternalApi
private[impl] object HeaderListMemo {

  /** Lists remembered: a response's headers and trailers, and a couple of variants. */
  final val Size = 4
  final val MaxFields = 8
  final val MaxRecord = 256
}
