/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl

import java.lang.ref.Cleaner
import java.nio.{ByteBuffer, ByteOrder}
import java.nio.charset.StandardCharsets
import java.util.function.IntFunction

import scala.annotation.nowarn

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.http.scaladsl.model.{ContentType, ContentTypes, HttpHeader}
import org.apache.pekko.http.scaladsl.model.headers.RawHeader
import org.apache.pekko.util.{ByteString, ByteStringBuilder}

/**
 * INTERNAL API
 *
 * Every field of the Rust `Config` (rust/codec/src/conn/limits.rs), with the same defaults. The order of `toArray` is
 * the index order of `NativeBindings.open` (rust/ffi/JNI.md).
 */
@InternalApi
final case class EngineSettings(
    maxConcurrentStreams: Long = 100,
    initialStreamWindow: Long = 1 << 20,
    initialConnectionWindow: Long = 1 << 20,
    maxFrameSize: Long = 16384,
    headerTableSize: Long = 4096,
    maxEncoderTableSize: Long = 4096,
    maxHeaderListSize: Long = 16 << 10,
    maxHeaderCount: Long = 256,
    maxHeaderBlockSize: Long = 64 << 10,
    maxContinuationFrames: Long = 8,
    maxSettingsEntries: Long = 32,
    maxSettingsPerWindow: Long = 100,
    maxQueuedControlReplies: Long = 1000,
    maxResetsReceivedPerWindow: Long = 200,
    maxResetsSentPerWindow: Long = 200,
    maxEmptyFramesPerWindow: Long = 100,
    limitWindowMs: Long = 30000,
    closedStreamsRemembered: Long = 128,
    settingsTimeoutMs: Long = 10000,
    idleTimeoutMs: Long = 0
) {
  def toArray: Array[Long] = productIterator.map(_.asInstanceOf[Long]).toArray
}

/** INTERNAL API: event kinds, flags and constants of the flat ABI (rust/codec/ABI.md). */
@InternalApi
object H2Abi {
  final val Headers = 1
  final val Data = 2
  final val Reset = 3
  final val WindowOpened = 4
  final val GoAway = 5
  final val PingAck = 6
  final val Settings = 7
  final val SettingsAcked = 8
  final val ConnectionError = 9
  final val StreamError = 10
  final val Http1Detected = 11
  final val Limit = 12
  final val Drained = 13

  final val EndStream = 0x1
  final val Trailers = 0x2
  final val TooLarge = 0x4

  final val SourceLiteral = 0
  final val SourceStatic = 1
  final val SourceDynamic = 2
  final val SourceStaticName = 3
  final val SourceDynamicName = 4
  final val SourceInserted = 5

  private val LimitNames = Vector(
    "unknown",
    "max-concurrent-streams",
    "max-header-list-size",
    "max-header-count",
    "max-continuation-frames",
    "max-header-block-size",
    "max-settings-entries",
    "max-settings-per-window",
    "max-queued-control-replies",
    "max-resets-received-per-window",
    "max-resets-sent-per-window",
    "max-empty-frames-per-window",
    "settings-timeout",
    "idle-timeout"
  )

  final val LimitMaxConcurrentStreams = 1
  def LimitCount: Int = LimitNames.size

  /** The setting name (reference.conf, `h2native.server.http2`) of a LIMIT event's limit number. */
  def limitName(limit: Int): String = if (limit > 0 && limit < LimitNames.size) LimitNames(limit) else s"limit $limit"

  /** IO block control area (rust/ffi/JNI.md). */
  final val ControlLen = 64
  final val StatusOverflow = 1
}

/**
 * INTERNAL API
 *
 * One header field as materialised on the JVM: the name, the value and the pekko-http header, created once per HPACK
 * table entry and shared by every request that references that entry.
 */
@InternalApi
final class HeaderField(val name: String, val value: String) {
  def isPseudo: Boolean = name.nonEmpty && name.charAt(0) == ':'
  private[this] var _header: HttpHeader = _
  private[this] var _contentType: ContentType = _

  /** The pekko-http header (a `RawHeader`), created on first use and then cached with the field. */
  def header: HttpHeader = {
    if (_header eq null) _header = RawHeader(name, value)
    _header
  }

  /**
   * The value parsed as a content-type (`application/octet-stream` when it does not parse), cached with the field: a
   * field HPACK indexed is parsed once per connection, and the cache is the header cache's, with its bound (no map
   * keyed by values the peer chooses).
   */
  def contentType: ContentType = {
    if (_contentType eq null)
      _contentType = ContentType.parse(value).getOrElse(ContentTypes.`application/octet-stream`)
    _contentType
  }
}

/**
 * INTERNAL API
 *
 * The JVM side of one native HTTP/2 connection: a handle, a reused direct IO block (events, output, segments and
 * command results land there after each call), a reused direct command buffer, and a header cache.
 *
 * NOT thread-safe: one owner (the connection's GraphStage) calls it; the native side rejects concurrent calls with an
 * IllegalStateException rather than racing. Events are valid until the next call (`feed`, `submit`, `flush`): read them
 * first. Output accumulates on the JVM side until `takeOutput`.
 *
 * `close()` frees the native connection at once and is idempotent; a Cleaner closes it if the object is dropped
 * unclosed. After `close()` every call throws IllegalStateException.
 */
@InternalApi
final class Http2Connection private (server: Boolean, settings: EngineSettings) {
  import H2Abi._
  import Http2Connection._

  NativeLibrary.ensureLoaded()

  private[this] val state = new HandleState(NativeBindings.open(server, settings.toArray))
  private[this] val cleanable = cleaner.register(this, state)

  private[this] var io: ByteBuffer = _
  private[this] var ioAddress = 0L
  private[this] var inBuf: ByteBuffer = _
  private[this] var inAddress = 0L

  /** Unconsumed tail (a partial frame) of the last input, fed again in front of the next bytes. */
  private[this] var pending: ByteString = ByteString.empty
  // checked on every feed: a field read instead of a call on the ByteString
  private[this] var pendingLength = 0

  /** The input of the last feed: DATA and GOAWAY offsets point into it. */
  private[this] var input: ByteString = ByteString.empty

  // Output accumulated across calls: control/header octets and segment records (outPos, tag, off, len).
  private[this] var outBytes = new Array[Byte](OutputCapacity)
  private[this] var outLen = 0
  private[this] var segs = new Array[Int](64)
  private[this] var segCount = 0

  /**
   * Inputs of at least this many octets whose ByteString is compact (one whole array) are pinned (`feedArray`); smaller
   * or fragmented ones are copied into the reused direct input buffer. 0: always pin compact inputs; Int.MaxValue:
   * always copy. Default from the figures in rust/ffi/JNI.md.
   */
  var pinThreshold: Int = Http2Connection.DefaultPinThreshold

  private[this] var flagsWord = 0

  growIo(IoCapacity)
  call(NativeBindings.flush(handle, ioAddress, io.capacity))

  private def handle: Long = {
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
  private def ioBlock(): Long = {
    if (io.capacity > IoKeepCapacity) growIo(IoCapacity)
    ioAddress
  }

  /** Takes a native status; on OVERFLOW grows the block and flushes; then collects the output. */
  private def call(status0: Int): Int = {
    var status = status0
    while (status == StatusOverflow) {
      val needed = io.getInt(40)
      growIo(math.max(needed, io.capacity * 2))
      status = NativeBindings.flush(handle, ioAddress, io.capacity)
    }
    flagsWord = io.getInt(44)
    collectOutput()
    events.reset()
    io.getInt(4)
  }

  private def collectOutput(): Unit = {
    // offset and length pairs, one read each (the block is little-endian)
    val o = io.getLong(16)
    val sg = io.getLong(24)
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
    val n = sLen / 16
    if (n > 0) {
      if ((segCount + n) * 4 > segs.length)
        segs = java.util.Arrays.copyOf(segs, math.max((segCount + n) * 4, segs.length * 2))
      var i = 0
      while (i < n) {
        val at = sOff + 16 * i
        val k = (segCount + i) * 4
        segs(k) = io.getInt(at) + base
        segs(k + 1) = io.getInt(at + 4)
        segs(k + 2) = io.getInt(at + 8)
        segs(k + 3) = io.getInt(at + 12)
        i += 1
      }
      segCount += n
    }
  }

  /**
   * Feeds received bytes (all frames in them, one native call). Returns the octets consumed of the input, which is the
   * unconsumed tail of earlier feeds followed by `bytes`; the tail of an incomplete frame is kept and fed again next
   * time. Then iterate `events`.
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

  def isClosed: Boolean = (flagsWord & 1) != 0
  def isDrained: Boolean = (flagsWord & 2) != 0

  /**
   * The last `feed` stopped at the engine's event bound (32 KiB of events, rust/codec/src/conn/limits.rs) with whole
   * frames left: read its events, then `feed(ByteString.empty)` to go on with the rest.
   */
  def inputLeft: Boolean = (flagsWord & 4) != 0

  // ---------------------------------------------------------------- header cache

  private[this] val staticFields = new Array[HeaderField](62)
  private[this] val staticNames = new Array[String](62)
  private[this] val dynIds = Array.fill[Long](DynamicCacheSize)(-1L)
  private[this] val dynFields = new Array[HeaderField](DynamicCacheSize)

  // Octets of names and values the cache holds. Its slots outlive the HPACK entries they were made for (the peer's
  // table holds at most `headerTableSize` octets, the slots up to 256 evicted entries), so a peer inserting a new large
  // value per request would have 256 of them kept: the cache is emptied when it would exceed this budget.
  private[this] val dynBudget = dynamicCacheOctets(settings.headerTableSize)
  private[this] var dynOctets = 0L
  private[this] var scratch = new Array[Byte](256)

  /** Header objects created (fields and strings): a counter for tests and metrics. */
  var materialized: Long = 0

  private def string(off: Int, len: Int): String = {
    if (len > scratch.length) scratch = new Array[Byte](math.max(len, scratch.length * 2))
    io.get(off, scratch, 0, len)
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
    val old = dynFields(slot)
    if (old ne null) dynOctets -= old.name.length + old.value.length
    if (dynOctets + size > dynBudget) {
      java.util.Arrays.fill(dynIds, -1L)
      java.util.Arrays.fill(dynFields.asInstanceOf[Array[AnyRef]], null)
      dynOctets = 0
    }
    dynIds(slot) = id
    dynFields(slot) = f
    dynOctets += size
  }

  /** Octets of header names and values the dynamic-table cache holds now (at most `dynamicCacheOctets`). */
  def cachedHeaderOctets: Long = dynOctets

  private def field(entry: Int): HeaderField = {
    val source = io.get(entry) & 0xff
    val id = io.getLong(entry + 24)
    // A cache hit (the warm case: nearly every gRPC header is indexed) needs only the source and the id.
    source match {
      case SourceStatic if id > 0 && id < 62 =>
        val f = staticFields(id.toInt)
        if (f ne null) f
        else { val g = fresh(entry); staticFields(id.toInt) = g; g }
      case SourceDynamic =>
        val f = dynamic(id)
        if (f ne null) f
        else { val g = fresh(entry); storeDynamic(id, g); g }
      case SourceStaticName if id > 0 && id < 62 =>
        var name = staticNames(id.toInt)
        if (name eq null) { name = string(nameOffset(entry), io.getInt(entry + 8)); staticNames(id.toInt) = name }
        materialized += 1
        new HeaderField(name, string(valueOffset(entry), io.getInt(entry + 16)))
      case SourceDynamicName =>
        val cached = dynamic(id)
        val name = if (cached ne null) cached.name else string(nameOffset(entry), io.getInt(entry + 8))
        materialized += 1
        new HeaderField(name, string(valueOffset(entry), io.getInt(entry + 16)))
      case SourceInserted =>
        val f = fresh(entry)
        storeDynamic(id, f)
        f
      case _ => fresh(entry)
    }
  }

  // Offsets in HEADERS events are absolute in the event buffer, which starts at the events region.
  private def nameOffset(entry: Int): Int = io.getInt(8) + io.getInt(entry + 4)
  private def valueOffset(entry: Int): Int = io.getInt(8) + io.getInt(entry + 12)

  private def fresh(entry: Int): HeaderField = {
    materialized += 1
    new HeaderField(string(nameOffset(entry), io.getInt(entry + 8)), string(valueOffset(entry), io.getInt(entry + 16)))
  }

  // ---------------------------------------------------------------- events

  /** The event cursor: one reusable object; `next()` moves to the next event of the last call. */
  object events {
    private[this] var pos = 0
    private[this] var end = 0
    private[this] var at = -1

    private[Http2Connection] def reset(): Unit = {
      val region = io.getLong(8)
      pos = region.toInt
      end = pos + (region >>> 32).toInt
      at = -1
    }

    def next(): Boolean = {
      if (at >= 0) pos += math.max(8, io.getInt(at + 4))
      if (pos + 8 > end) { at = -1; false }
      else { at = pos; true }
    }

    private def u32(o: Int): Int = io.getInt(at + o)

    def kind: Int = io.getShort(at) & 0xffff
    def flags: Int = io.getShort(at + 2) & 0xffff
    def endStream: Boolean = (flags & EndStream) != 0

    /** Stream id of HEADERS, DATA, RESET, WINDOW_OPENED, STREAM_ERROR; last stream id of GOAWAY/CONNECTION_ERROR. */
    def streamId: Int = u32(8)

    /** HEADERS: number of fields. */
    def fieldCount: Int = u32(12)

    /** HEADERS: field `i`, from the per-connection cache when HPACK indexed it. */
    def field(i: Int): HeaderField = Http2Connection.this.field(at + 24 + 32 * i)

    /** DATA: the payload, a zero-copy slice of the fed ByteString. */
    def dataSlice: ByteString = { val off = u32(12); input.slice(off, off + u32(16)) }

    /** RESET, GOAWAY, CONNECTION_ERROR, STREAM_ERROR: the error code. */
    def errorCode: Int = u32(12)

    /** WINDOW_OPENED: octets that may be sent now. */
    def value: Int = u32(12)

    /** LIMIT: which limit was hit (ABI.md; `H2Abi.limitName`). */
    def limit: Int = u32(8)

    /** LIMIT: the stream it was hit on, or 0. */
    def limitStreamId: Int = u32(12)

    /** CONNECTION_ERROR / STREAM_ERROR: the reason; GOAWAY: its debug data (UTF-8). */
    def reason: String = kind match {
      case GoAway => input.slice(u32(16), u32(16) + u32(20)).utf8String
      case ConnectionError | StreamError =>
        val n = u32(16); val b = new Array[Byte](n); io.get(at + 24, b, 0, n); new String(b, StandardCharsets.UTF_8)
      case _ => ""
    }

    /** PING_ACK: the 8-octet payload as a long (little-endian read of the octets). */
    def pingPayload: Long = io.getLong(at + 8)

    /** SETTINGS: field at `offset` (8 max frame size, 12 max concurrent streams, 16 initial window, ...). */
    def settingsField(offset: Int): Int = u32(offset)
  }

  // ---------------------------------------------------------------- commands

  /** The reusable command writer: append commands, then `submit()` them in one native call. */
  object commands {
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

    /** A HEADERS command: `fields` (names lowercase) are copied into the record now. */
    def headers(streamId: Int, fields: Seq[(String, String)], endStream: Boolean): this.type = {
      val flags = if (endStream) EndStream else 0
      var n = 0
      var size = 16
      var it = fields.iterator
      while (it.hasNext) { val f = it.next(); size += 8 + f._1.length + f._2.length; n += 1 }
      val start = begin(1, flags, size)
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
      this
    }

    def data(streamId: Int, len: Int, endStream: Boolean, tag: Int): this.type = {
      val start = begin(2, if (endStream) EndStream else 0, 24)
      pair(streamId, len); pair(tag, 0); finish(start); this
    }

    def reset(streamId: Int, code: Int): this.type = {
      val start = begin(3, 0, 16); pair(streamId, code); finish(start); this
    }

    def ping(payload: Long): this.type = {
      // The 8 payload octets as a little-endian long (what `events.pingPayload` reads).
      val start = begin(4, 0, 16); pair(payload.toInt, (payload >>> 32).toInt); finish(start); this
    }

    def goaway(graceful: Boolean, code: Int, debug: String): this.type = {
      val d = debug.getBytes(StandardCharsets.UTF_8)
      val start = begin(5, if (graceful) 1 else 0, 16 + d.length)
      pair(code, d.length); System.arraycopy(d, 0, cmd, len, d.length); len += d.length; finish(start); this
    }

    def consumed(streamId: Int, n: Int): this.type = {
      val start = begin(6, 0, 16); pair(streamId, n); finish(start); this
    }

    /** Applies the batch in one native call; results readable from `results` until the next call. */
    def submit(): Results = {
      val h = handle
      val n = len
      len = 0
      if (buf.capacity < n || (buf.capacity > KeepCapacity && n <= CommandCapacity)) {
        // grown for a large batch only while one needs it
        buf = ByteBuffer.allocateDirect(math.max(n, CommandCapacity)); addr = NativeBindings.address(buf)
      }
      buf.put(0, cmd, 0, n)
      if (cmd.length > KeepCapacity) cmd = new Array[Byte](CommandCapacity)
      call(NativeBindings.apply(h, LibraryClock, addr, n, ioBlock(), io.capacity))
      results
    }
  }

  /** Results of the last `submit()`: per command, a status (ABI.md: 0 OK, 1 STREAM_GONE, ...) and a value. */
  object results extends Results {
    def count: Int = io.getInt(36) / 8
    def status(i: Int): Int = io.getInt(io.getInt(32) + 8 * i)
    def value(i: Int): Int = io.getInt(io.getInt(32) + 8 * i + 4)
  }

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
   * Frames received and sent so far by type, into `out` (at least 2 × `FrameKinds` entries): received 0 DATA .. 9
   * CONTINUATION, 10 unknown types, then sent likewise. One native call: for metrics, not per frame.
   */
  def frameCounts(out: Array[Long]): Unit = NativeBindings.frameCounts(handle, out)

  /** Frees the native connection now; idempotent. */
  def close(): Unit = cleanable.clean()
}

/** INTERNAL API: the results of one command batch. */
@InternalApi
trait Results {
  def count: Int
  def status(i: Int): Int
  def value(i: Int): Int
}

@InternalApi
object Http2Connection {

  /** Frame types counted per direction by `frameCounts`: the ten of RFC 9113, then "unknown". */
  final val FrameKinds = 11
  val FrameKindNames: Vector[String] = Vector(
    "DATA",
    "HEADERS",
    "PRIORITY",
    "RST_STREAM",
    "SETTINGS",
    "PUSH_PROMISE",
    "PING",
    "GOAWAY",
    "WINDOW_UPDATE",
    "CONTINUATION",
    "unknown"
  )

  /** Dynamic-table entries cached per connection, by id modulo this size (see JNI.md). */
  final val DynamicCacheSize = 256

  /**
   * The octets (names and values) the dynamic-table cache may hold: four decoder tables' worth, at least 16 KiB. Live
   * entries never exceed one table, so well-behaved traffic keeps its entries; evicted ones are dropped in bulk.
   */
  def dynamicCacheOctets(headerTableSize: Long): Long = math.max(4 * headerTableSize, 16L << 10)

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

  def server(settings: EngineSettings = EngineSettings()): Http2Connection = new Http2Connection(true, settings)
  def client(settings: EngineSettings = EngineSettings()): Http2Connection = new Http2Connection(false, settings)
}
