/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl

import java.nio.charset.StandardCharsets

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.util.ByteString

/**
 * INTERNAL API
 *
 * The cursor over the event records of a connection's last call (rust/codec/ABI.md, offsets from the generated
 * [[Abi]]), and the header objects the HEADERS events are read into: one [[HeaderField]] per HPACK static entry and per
 * dynamic entry, cached (bounded by count and by octets), so that an indexed field costs no allocation. One reusable
 * object; `next()` moves to the next event; events are valid until the connection's next call.
 */
@InternalApi
final class EventReader private[impl] (conn: NativeConnection, headerTableSize: Long) {
  import EventReader._

  private[this] var pos = 0
  private[this] var end = 0
  private[this] var at = -1

  conn.afterCall = () => rewind()

  private def rewind(): Unit = {
    val region = conn.io.getLong(Abi.IO_EVENTS)
    pos = region.toInt
    end = pos + (region >>> 32).toInt
    at = -1
  }

  def next(): Boolean = {
    if (at >= 0) pos += math.max(Abi.RECORD_HEADER_LEN, conn.io.getInt(at + Abi.RECORD_LENGTH))
    if (pos + Abi.RECORD_HEADER_LEN > end) { at = -1; false }
    else { at = pos; true }
  }

  private def u32(o: Int): Int = conn.io.getInt(at + o)

  def kind: Int = conn.io.getShort(at + Abi.RECORD_KIND) & 0xffff
  def flags: Int = conn.io.getShort(at + Abi.RECORD_FLAGS) & 0xffff
  def endStream: Boolean = (flags & Abi.EVENT_FLAG_END_STREAM) != 0

  /**
   * Stream id of HEADERS, DATA, RESET, WINDOW_OPENED, STREAM_ERROR; last stream id of CONNECTION_ERROR: the same offset
   * in each (`Abi.HEADERS_STREAM_ID`, `DATA_STREAM_ID`, `PAIR_FIRST`, `ERROR_ID`; Http2ConnectionSpec checks it), read
   * without looking at the kind.
   */
  def streamId: Int = u32(Abi.HEADERS_STREAM_ID)

  /** HEADERS: number of fields. */
  def fieldCount: Int = u32(Abi.HEADERS_FIELD_COUNT)

  /**
   * HEADERS: field `i`, from the per-connection cache when HPACK indexed it. A repeated request block carries the field
   * set id of the fields made for it before (ABI.md): then field `i` is the object made last time, found with one read.
   */
  def field(i: Int): HeaderField = {
    val entry = at + Abi.HEADERS_FIELDS + Abi.FIELD_ENTRY_LEN * i
    if (i < SetMemoSize) {
      val set = conn.io.getInt(entry + Abi.FIELD_SET)
      if (set != 0 && setIds(i) == set) setFields(i)
      else {
        val f = fieldAt(entry)
        if (set != 0) { setIds(i) = set; setFields(i) = f }
        f
      }
    } else fieldAt(entry)
  }

  /** DATA: the payload, a zero-copy slice of the fed ByteString. */
  def dataSlice: ByteString = {
    val off = u32(Abi.DATA_OFFSET)
    conn.input.slice(off, off + u32(Abi.DATA_LENGTH))
  }

  /** RESET, GOAWAY, CONNECTION_ERROR, STREAM_ERROR: the error code. */
  def errorCode: Int = kind match {
    case Abi.EVENT_GOAWAY                                    => u32(Abi.GOAWAY_CODE)
    case Abi.EVENT_CONNECTION_ERROR | Abi.EVENT_STREAM_ERROR => u32(Abi.ERROR_CODE)
    case _                                                   => u32(Abi.PAIR_SECOND)
  }

  /** WINDOW_OPENED: octets that may be sent now. */
  def value: Int = u32(Abi.PAIR_SECOND)

  /** LIMIT: which limit was hit (`Abi.LIMIT_NAMES`). */
  def limit: Int = u32(Abi.PAIR_FIRST)

  /** LIMIT: the stream it was hit on, or 0. */
  def limitStreamId: Int = u32(Abi.PAIR_SECOND)

  /** CONNECTION_ERROR / STREAM_ERROR: the reason; GOAWAY: its debug data (UTF-8). */
  def reason: String = kind match {
    case Abi.EVENT_GOAWAY =>
      val off = u32(Abi.GOAWAY_DEBUG_OFFSET)
      conn.input.slice(off, off + u32(Abi.GOAWAY_DEBUG_LENGTH)).utf8String
    case Abi.EVENT_CONNECTION_ERROR | Abi.EVENT_STREAM_ERROR =>
      val n = u32(Abi.ERROR_REASON_LENGTH)
      val b = new Array[Byte](n)
      conn.io.get(at + Abi.ERROR_REASON, b, 0, n)
      new String(b, StandardCharsets.UTF_8)
    case _ => ""
  }

  /** PING_ACK: the 8-octet payload as a long (little-endian read of the octets). */
  def pingPayload: Long = conn.io.getLong(at + Abi.PING_PAYLOAD)

  /** SETTINGS: the field at `offset` (`Abi.SETTINGS_*`). */
  def settingsField(offset: Int): Int = u32(offset)

  // ---------------------------------------------------------------- header objects

  // Field `i` of the last set read with an id (`field`).
  private[this] val setIds = new Array[Int](SetMemoSize)
  private[this] val setFields = new Array[HeaderField](SetMemoSize)
  private[this] val staticFields = new Array[HeaderField](62)
  private[this] val staticNames = new Array[String](62)
  private[this] val dynIds = Array.fill[Long](DynamicCacheSize)(-1L)
  private[this] val dynFields = new Array[HeaderField](DynamicCacheSize)
  // Octets of each slot's name and value, kept beside the slot: the field a new entry replaces was made hundreds of
  // entries ago, and reading its strings' lengths cost a cache miss per insertion (~70 ns a call, async-profiler).
  private[this] val dynSizes = new Array[Int](DynamicCacheSize)

  // Octets of names and values the cache holds. Its slots outlive the HPACK entries they were made for (the peer's
  // table holds at most `headerTableSize` octets, the slots up to 256 evicted entries), so a peer inserting a new large
  // value per request would have 256 of them kept: the cache is emptied when it would exceed this budget.
  private[this] val dynBudget = dynamicCacheOctets(headerTableSize)
  private[this] var dynOctets = 0L
  private[this] var scratch = new Array[Byte](256)

  /** Header objects created (fields and strings): a counter for tests and metrics. */
  var materialized: Long = 0

  /** Octets of header names and values the dynamic-table cache holds now (at most `dynamicCacheOctets`). */
  def cachedHeaderOctets: Long = dynOctets

  private def string(off: Int, len: Int): String = {
    if (len > scratch.length) scratch = new Array[Byte](math.max(len, scratch.length * 2))
    conn.io.get(off, scratch, 0, len)
    materialized += 1
    new String(scratch, 0, len, StandardCharsets.ISO_8859_1)
  }

  private def dynamic(id: Long): HeaderField = {
    val slot = (id & (DynamicCacheSize - 1)).toInt
    if (dynIds(slot) == id) dynFields(slot) else null
  }

  private def storeDynamic(id: Long, f: HeaderField): Unit = {
    val slot = (id & (DynamicCacheSize - 1)).toInt
    val size = f.name.length + f.value.length
    dynOctets -= dynSizes(slot)
    if (dynOctets + size > dynBudget) {
      java.util.Arrays.fill(dynIds, -1L)
      java.util.Arrays.fill(dynFields.asInstanceOf[Array[AnyRef]], null)
      java.util.Arrays.fill(dynSizes, 0)
      dynOctets = 0
    }
    dynIds(slot) = id
    dynFields(slot) = f
    dynSizes(slot) = size
    dynOctets += size
  }

  private def fieldAt(entry: Int): HeaderField = {
    val io = conn.io
    val source = io.get(entry + Abi.FIELD_SOURCE) & 0xff
    val id = io.getLong(entry + Abi.FIELD_ID)
    // A cache hit (the warm case: nearly every gRPC header is indexed) needs only the source and the id.
    source match {
      case Abi.SOURCE_STATIC if id > 0 && id < 62 =>
        val f = staticFields(id.toInt)
        if (f ne null) f
        else { val g = fresh(entry); staticFields(id.toInt) = g; g }
      case Abi.SOURCE_DYNAMIC =>
        val f = dynamic(id)
        if (f ne null) f
        else { val g = fresh(entry); storeDynamic(id, g); g }
      case Abi.SOURCE_STATIC_NAME if id > 0 && id < 62 =>
        var name = staticNames(id.toInt)
        if (name eq null) { name = string(nameOffset(entry), nameLength(entry)); staticNames(id.toInt) = name }
        materialized += 1
        new HeaderField(name, string(valueOffset(entry), valueLength(entry)))
      case Abi.SOURCE_DYNAMIC_NAME =>
        val cached = dynamic(id)
        val name = if (cached ne null) cached.name else string(nameOffset(entry), nameLength(entry))
        materialized += 1
        new HeaderField(name, string(valueOffset(entry), valueLength(entry)))
      case Abi.SOURCE_INSERTED =>
        val f = fresh(entry)
        storeDynamic(id, f)
        f
      case _ => fresh(entry)
    }
  }

  // Offsets in HEADERS events are absolute in the event buffer, which starts at the events region.
  private def nameOffset(entry: Int): Int =
    conn.io.getInt(Abi.IO_EVENTS) + conn.io.getInt(entry + Abi.FIELD_NAME_OFFSET)
  private def nameLength(entry: Int): Int = conn.io.getInt(entry + Abi.FIELD_NAME_LENGTH)
  private def valueOffset(entry: Int): Int =
    conn.io.getInt(Abi.IO_EVENTS) + conn.io.getInt(entry + Abi.FIELD_VALUE_OFFSET)
  private def valueLength(entry: Int): Int = conn.io.getInt(entry + Abi.FIELD_VALUE_LENGTH)

  private def fresh(entry: Int): HeaderField = {
    materialized += 1
    new HeaderField(string(nameOffset(entry), nameLength(entry)), string(valueOffset(entry), valueLength(entry)))
  }
}

/** INTERNAL API */
@InternalApi
object EventReader {

  /**
   * Fields per HEADERS event remembered by field set id (`field`). With the repeated-block shortcut in the engine, this
   * saved 3-4% CPU per call on the identical-request shape (bench-grpc, paired run, README "Engine figures").
   */
  final val SetMemoSize = 32

  /** Dynamic-table entries cached per connection, by id modulo this size (see JNI.md). */
  final val DynamicCacheSize = 256

  /**
   * The octets (names and values) the dynamic-table cache may hold: four decoder tables' worth, at least 16 KiB. Live
   * entries never exceed one table, so well-behaved traffic keeps its entries; evicted ones are dropped in bulk.
   */
  def dynamicCacheOctets(headerTableSize: Long): Long = math.max(4 * headerTableSize, 16L << 10)
}
