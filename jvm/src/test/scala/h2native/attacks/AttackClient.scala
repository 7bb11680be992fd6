/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.attacks

import java.io.{ByteArrayInputStream, ByteArrayOutputStream, DataInputStream, IOException}
import java.net.{InetSocketAddress, Socket}
import java.nio.charset.StandardCharsets.US_ASCII
import java.util.concurrent.TimeoutException

import scala.collection.mutable
import scala.concurrent.duration._

import org.apache.pekko.http.shaded.com.twitter.hpack.{Decoder, HeaderListener}

/** Frame types, flags, error codes and settings of RFC 9113, and raw frame builders: 9-octet header + payload. */
object H2 {
  final val DATA = 0x0
  final val HEADERS = 0x1
  final val PRIORITY = 0x2
  final val RST_STREAM = 0x3
  final val SETTINGS = 0x4
  final val PUSH_PROMISE = 0x5
  final val PING = 0x6
  final val GOAWAY = 0x7
  final val WINDOW_UPDATE = 0x8
  final val CONTINUATION = 0x9

  final val END_STREAM = 0x1
  final val ACK = 0x1
  final val END_HEADERS = 0x4

  final val NO_ERROR = 0x0
  final val PROTOCOL_ERROR = 0x1
  final val FLOW_CONTROL_ERROR = 0x3
  final val SETTINGS_TIMEOUT = 0x4
  final val STREAM_CLOSED = 0x5
  final val FRAME_SIZE_ERROR = 0x6
  final val REFUSED_STREAM = 0x7
  final val CANCEL = 0x8
  final val ENHANCE_YOUR_CALM = 0xb

  final val SETTINGS_HEADER_TABLE_SIZE = 0x1
  final val SETTINGS_MAX_CONCURRENT_STREAMS = 0x3
  final val SETTINGS_INITIAL_WINDOW_SIZE = 0x4
  final val SETTINGS_MAX_FRAME_SIZE = 0x5

  final val MaxWindow = Int.MaxValue // 2^31-1

  val Preface: Array[Byte] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(US_ASCII)

  def frame(tpe: Int, flags: Int, stream: Int, payload: Array[Byte]): Array[Byte] =
    frameHeader(payload.length, tpe, flags, stream) ++ payload

  /** Only the 9-octet header: a length the payload need not match (oversized frames). */
  def frameHeader(length: Int, tpe: Int, flags: Int, stream: Int): Array[Byte] = Array(
    (length >>> 16).toByte,
    (length >>> 8).toByte,
    length.toByte,
    tpe.toByte,
    flags.toByte,
    (stream >>> 24).toByte,
    (stream >>> 16).toByte,
    (stream >>> 8).toByte,
    stream.toByte
  )

  def u32(v: Int): Array[Byte] = Array((v >>> 24).toByte, (v >>> 16).toByte, (v >>> 8).toByte, v.toByte)

  def headers(stream: Int, block: Array[Byte], endStream: Boolean, endHeaders: Boolean = true): Array[Byte] =
    frame(HEADERS, (if (endStream) END_STREAM else 0) | (if (endHeaders) END_HEADERS else 0), stream, block)

  def continuation(stream: Int, block: Array[Byte], endHeaders: Boolean): Array[Byte] =
    frame(CONTINUATION, if (endHeaders) END_HEADERS else 0, stream, block)

  def data(stream: Int, payload: Array[Byte], endStream: Boolean): Array[Byte] =
    frame(DATA, if (endStream) END_STREAM else 0, stream, payload)

  def rst(stream: Int, code: Int): Array[Byte] = frame(RST_STREAM, 0, stream, u32(code))

  def settings(entries: (Int, Int)*): Array[Byte] =
    frame(SETTINGS, 0, 0, entries.toArray.flatMap { case (id, v) => Array((id >>> 8).toByte, id.toByte) ++ u32(v) })

  val settingsAck: Array[Byte] = frame(SETTINGS, ACK, 0, Array.emptyByteArray)

  def ping(payload: Long, ack: Boolean = false): Array[Byte] =
    frame(PING, if (ack) ACK else 0, 0, u32((payload >>> 32).toInt) ++ u32(payload.toInt))

  def windowUpdate(stream: Int, increment: Int): Array[Byte] = frame(WINDOW_UPDATE, 0, stream, u32(increment))
}

/**
 * Just enough HPACK (RFC 7541) to write requests by hand: literals without indexing and without Huffman, literals with
 * incremental indexing, indexed fields.
 */
object Hpack {

  /** RFC 7541 5.1: an integer with an N-bit prefix; `first` holds the representation's pattern bits. */
  def int(value: Int, prefixBits: Int, first: Int): Array[Byte] = {
    val max = (1 << prefixBits) - 1
    if (value < max) Array((first | value).toByte)
    else {
      val out = mutable.ArrayBuilder.make[Byte]
      out += (first | max).toByte
      var v = value - max
      while (v >= 128) { out += ((v & 0x7f) | 0x80).toByte; v >>>= 7 }
      out += v.toByte
      out.result()
    }
  }

  private def string(s: String): Array[Byte] = {
    val b = s.getBytes(US_ASCII)
    int(b.length, 7, 0x00) ++ b
  }

  /** 6.2.2: literal field, new name, without indexing. */
  def literal(name: String, value: String): Array[Byte] = Array(0x00.toByte) ++ string(name) ++ string(value)

  /** 6.2.1: literal field, new name, with incremental indexing (becomes dynamic index 62). */
  def literalIndexed(name: String, value: String): Array[Byte] = Array(0x40.toByte) ++ string(name) ++ string(value)

  /** 6.1: an indexed field (static 1..61, dynamic from 62). */
  def indexed(index: Int): Array[Byte] = int(index, 7, 0x80)

  def request(path: String, method: String = "GET", extra: Seq[(String, String)] = Nil): Array[Byte] =
    (Seq(":method" -> method, ":scheme" -> "http", ":path" -> path, ":authority" -> "127.0.0.1") ++ extra)
      .map { case (n, v) => literal(n, v) }
      .reduce(_ ++ _)
}

/** One frame the server sent; HEADERS carry their decoded fields (the CONTINUATIONs folded in). */
final case class Frame(tpe: Int, flags: Int, stream: Int, payload: Array[Byte], fields: Seq[(String, String)] = Nil) {
  import H2._
  private def int(at: Int): Int =
    ((payload(at) & 0xff) << 24) | ((payload(at + 1) & 0xff) << 16) | ((payload(at + 2) & 0xff) << 8) |
      (payload(at + 3) & 0xff)
  def has(flag: Int): Boolean = (flags & flag) != 0

  /** RST_STREAM's or GOAWAY's error code. */
  def errorCode: Int = if (tpe == GOAWAY) int(4) else int(0)
  def lastStreamId: Int = int(0) & 0x7fffffff
  def debug: String = if (tpe == GOAWAY) new String(payload, 8, payload.length - 8, US_ASCII) else ""
  def status: Option[String] = fields.collectFirst { case (":status", s) => s }

  override def toString: String = tpe match {
    case GOAWAY     => f"GOAWAY(last=$lastStreamId, code=0x$errorCode%x, '$debug')"
    case RST_STREAM => f"RST_STREAM($stream, code=0x$errorCode%x)"
    case HEADERS    => s"HEADERS($stream, flags=$flags, ${fields.mkString(",")})"
    case t          => s"Frame(type=$t, flags=$flags, stream=$stream, ${payload.length} octets)"
  }
}

/** A response as the raw client saw it. */
final case class Response(status: String, body: String, fields: Seq[(String, String)])

/**
 * A raw HTTP/2 client over a plain socket for attacking the server: the test writes whatever octets it wants; a reader
 * thread records every frame the server sends (decoding response headers with HPACK) and ACKs the server's SETTINGS, so
 * that no attack ends on SETTINGS_TIMEOUT by accident. Writes tolerate the server closing: `send` returns false then.
 */
final class AttackClient(port: Int, autoAckSettings: Boolean = true) extends AutoCloseable {
  import H2._

  private val socket = new Socket()
  socket.setTcpNoDelay(true)
  socket.connect(new InetSocketAddress("127.0.0.1", port), 5000)
  private val out = socket.getOutputStream
  private val in = new DataInputStream(socket.getInputStream)

  private val lock = new Object
  private val frames = mutable.ArrayBuffer.empty[Frame]
  // kept as frames arrive, so that waiting on them costs O(1) per frame even under a flood
  private val counts = new Array[Int](256)
  private val dataOctets = mutable.LongMap.empty[Long]
  private val ended = mutable.Set.empty[Int]
  private val reset = mutable.Set.empty[Int]
  @volatile private var goaway: Option[Frame] = None
  @volatile private var eof: Option[String] = None
  @volatile private var sentBytes = 0L
  @volatile private var writeFailed = false

  /** Octets written so far (for the CPU-per-octet figures). */
  def bytesSent: Long = sentBytes

  /** The server closed the connection (EOF or reset) and its reason. */
  def closedBy: Option[String] = eof

  private val reader = new Thread(() => readLoop(), s"attack-client-reader-$port")
  reader.setDaemon(true)

  /** Starts reading; attacks that model a peer which never reads do not call it. */
  def startReading(): this.type = { reader.start(); this }

  /** Writes the preface and our SETTINGS, starts the reader, and waits for the server's SETTINGS. */
  def handshake(settings: (Int, Int)*): this.type = {
    send(Preface ++ H2.settings(settings: _*))
    startReading()
    awaitFrame(5.seconds)(f => f.tpe == SETTINGS && !f.has(ACK))
    this
  }

  /** Writes octets; false when the server has closed (further sends are no-ops). */
  def send(bytes: Array[Byte]): Boolean =
    out.synchronized {
      if (writeFailed) false
      else
        try {
          out.write(bytes)
          out.flush()
          sentBytes += bytes.length
          true
        } catch { case _: IOException => writeFailed = true; false }
    }

  /** A batch of frames in one write, as an attacker would pipeline them. */
  def sendAll(frames: Iterator[Array[Byte]], batch: Int = 64 * 1024): Boolean = {
    val buf = new ByteArrayOutputStream(batch + 1024)
    var ok = true
    while (ok && frames.hasNext) {
      buf.write(frames.next())
      if (buf.size >= batch) { ok = send(buf.toByteArray); buf.reset() }
    }
    if (ok && buf.size > 0) ok = send(buf.toByteArray)
    ok
  }

  /** `count` copies of one frame, written from one reused batch: a flood of tiny frames without a garbage flood. */
  def sendRepeated(frame: Array[Byte], count: Int, batch: Int = 64 * 1024): Boolean = {
    val perBatch = math.max(1, batch / frame.length)
    val full = Array.fill(perBatch)(frame).flatten
    var left = count
    var ok = true
    while (ok && left > 0) {
      val n = math.min(left, perBatch)
      ok = send(if (n == perBatch) full else full.take(n * frame.length))
      left -= n
    }
    ok
  }

  private def readLoop(): Unit = {
    val decoder = new Decoder(1 << 20, 4096)
    var block: ByteArrayOutputStream = null
    var blockHead: (Int, Int) = null // (flags, stream) of the HEADERS a CONTINUATION completes
    def decode(bytes: Array[Byte]): Seq[(String, String)] = {
      val fields = Vector.newBuilder[(String, String)]
      decoder.decode(
        new ByteArrayInputStream(bytes),
        new HeaderListener {
          override def addHeader(name: String, value: String, parsed: AnyRef, sensitive: Boolean): AnyRef = {
            fields += name -> value
            null
          }
        }
      )
      decoder.endHeaderBlock()
      fields.result()
    }
    try {
      val head = new Array[Byte](9)
      while (true) {
        in.readFully(head)
        val len = ((head(0) & 0xff) << 16) | ((head(1) & 0xff) << 8) | (head(2) & 0xff)
        val tpe = head(3) & 0xff
        val flags = head(4) & 0xff
        val stream = ((head(5) & 0x7f) << 24) | ((head(6) & 0xff) << 16) | ((head(7) & 0xff) << 8) | (head(8) & 0xff)
        val payload = new Array[Byte](len)
        in.readFully(payload)
        if (tpe == SETTINGS && (flags & ACK) == 0 && autoAckSettings) send(settingsAck)
        val frame =
          if (tpe == HEADERS) {
            val padded = (flags & 0x8) != 0
            val pad = if (padded) payload(0) & 0xff else 0
            val start = (if (padded) 1 else 0) + (if ((flags & 0x20) != 0) 5 else 0)
            val fragment = payload.slice(start, payload.length - pad)
            if ((flags & END_HEADERS) != 0) Some(Frame(tpe, flags, stream, payload, decode(fragment)))
            else {
              block = new ByteArrayOutputStream(); block.write(fragment); blockHead = (flags, stream); None
            }
          } else if (tpe == CONTINUATION && (block ne null)) {
            block.write(payload)
            if ((flags & END_HEADERS) != 0) {
              val f = Frame(HEADERS, blockHead._1 | END_HEADERS, blockHead._2, payload, decode(block.toByteArray))
              block = null
              Some(f)
            } else None
          } else Some(Frame(tpe, flags, stream, payload))
        frame.foreach { f =>
          lock.synchronized {
            frames += f
            counts(f.tpe) += 1
            if (f.tpe == DATA) dataOctets(f.stream) = dataOctets.getOrElse(f.stream, 0L) + f.payload.length
            if ((f.tpe == DATA || f.tpe == HEADERS) && f.has(END_STREAM)) ended += f.stream
            if (f.tpe == RST_STREAM) reset += f.stream
            if (f.tpe == GOAWAY && goaway.isEmpty) goaway = Some(f)
            lock.notifyAll()
          }
        }
      }
    } catch {
      case e: IOException =>
        lock.synchronized { eof = Some(e.toString); lock.notifyAll() }
    }
  }

  /** Every frame received so far. */
  def received: Vector[Frame] = lock.synchronized(frames.toVector)

  /** The first frame received (from the start) that matches, waiting up to `timeout`; fails the test if none. */
  def awaitFrame(timeout: FiniteDuration)(p: Frame => Boolean): Frame =
    findFrame(timeout)(p).getOrElse(
      throw new TimeoutException(s"no matching frame within $timeout; received ${summary()}; closed: $eof")
    )

  def findFrame(timeout: FiniteDuration)(p: Frame => Boolean): Option[Frame] = {
    val deadline = System.nanoTime() + timeout.toNanos
    lock.synchronized {
      // scans each frame once: floods deliver tens of thousands of them
      var i = 0
      var found: Option[Frame] = None
      def scan(): Unit = while (found.isEmpty && i < frames.size) {
        if (p(frames(i))) found = Some(frames(i))
        i += 1
      }
      scan()
      while (found.isEmpty && eof.isEmpty && System.nanoTime() < deadline) {
        lock.wait(math.max(1, (deadline - System.nanoTime()) / 1000000))
        scan()
      }
      scan()
      found
    }
  }

  def awaitGoAway(timeout: FiniteDuration = 10.seconds): Frame = awaitFrame(timeout)(_.tpe == GOAWAY)

  /** Waits until the server closes the connection; true if it did within `timeout`. */
  def awaitClosed(timeout: FiniteDuration = 10.seconds): Boolean = {
    val deadline = System.nanoTime() + timeout.toNanos
    lock.synchronized {
      while (eof.isEmpty && System.nanoTime() < deadline)
        lock.wait(math.max(1, (deadline - System.nanoTime()) / 1000000))
    }
    eof.isDefined
  }

  /** Frames of type `tpe` received so far. */
  def count(tpe: Int): Int = lock.synchronized(counts(tpe))

  /** DATA payload octets received on `stream` so far. */
  def dataReceived(stream: Int): Long = lock.synchronized(dataOctets.getOrElse(stream, 0L))

  /** Waits until `p` holds (evaluated under the lock, after each frame: keep it cheap). */
  def awaitCondition(timeout: FiniteDuration)(p: => Boolean): Boolean = {
    val deadline = System.nanoTime() + timeout.toNanos
    lock.synchronized {
      while (!p && eof.isEmpty && System.nanoTime() < deadline)
        lock.wait(math.max(1, (deadline - System.nanoTime()) / 1000000))
      p
    }
  }

  /**
   * The frames received since the last `drain` (or `clear`), forgotten here; waits up to `timeout` for at least one.
   * Empty once the connection has ended and every frame was taken.
   */
  def drain(timeout: FiniteDuration): Vector[Frame] = lock.synchronized {
    val deadline = System.nanoTime() + timeout.toNanos
    while (frames.isEmpty && eof.isEmpty && System.nanoTime() < deadline)
      lock.wait(math.max(1, (deadline - System.nanoTime()) / 1000000))
    val taken = frames.toVector
    frames.clear()
    taken
  }

  /** Forgets the frames received so far (a long-lived client's memory stays flat). */
  def clear(): Unit = lock.synchronized {
    frames.clear()
    dataOctets.clear()
    ended.clear()
    reset.clear()
  }

  /** The response on `stream`: its HEADERS and DATA until END_STREAM, or a RST_STREAM/GOAWAY as an exception. */
  def awaitResponse(stream: Int, timeout: FiniteDuration = 10.seconds): Response = {
    val ok = awaitCondition(timeout)(ended(stream) || reset(stream) || goaway.isDefined)
    val fs = received.filter(_.stream == stream)
    fs.find(_.tpe == RST_STREAM).foreach(r => throw new IOException(s"stream $stream reset: $r"))
    if (!ok || !fs.exists(_.has(END_STREAM)))
      throw new IOException(s"no complete response on $stream within $timeout: ${fs.mkString(", ")}; ${summary()}")
    val head = fs.find(_.tpe == HEADERS).get
    val body = new ByteArrayOutputStream()
    fs.filter(_.tpe == DATA).foreach(f => body.write(f.payload))
    Response(head.status.getOrElse(""), body.toString("UTF-8"), head.fields)
  }

  /** A plain GET on a new stream, waiting for the whole response. */
  def get(stream: Int, path: String = "/", timeout: FiniteDuration = 10.seconds): Response = {
    send(headers(stream, Hpack.request(path), endStream = true))
    awaitResponse(stream, timeout)
  }

  /** Counts of received frames by type, for failure messages. */
  def summary(): String = lock.synchronized {
    val byType = frames.groupBy(_.tpe).map { case (t, fs) => s"type $t: ${fs.size}" }.mkString(", ")
    val special = frames.filter(f => f.tpe == GOAWAY).take(3).mkString(", ")
    s"[$byType] $special"
  }

  override def close(): Unit = {
    try socket.close()
    catch { case _: IOException => () }
    if (reader.isAlive) reader.join(5000)
  }
}
