/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server

import java.io.ByteArrayInputStream
import java.util.concurrent.atomic.LongAdder
import java.util.concurrent.{ConcurrentHashMap, ConcurrentLinkedQueue, Executors, TimeoutException}

import scala.collection.mutable
import scala.concurrent.duration._
import scala.concurrent.{Await, ExecutionContext, Future, Promise}
import scala.jdk.CollectionConverters._
import scala.util.{Failure, Random, Try}

import com.typesafe.config.ConfigFactory
import org.apache.pekko.NotUsed
import org.apache.pekko.actor.{Actor, ActorSystem}
import org.apache.pekko.event.Logging
import org.apache.pekko.http.scaladsl.model._
import org.apache.pekko.http.scaladsl.model.headers.RawHeader
import org.apache.pekko.http.shaded.com.twitter.hpack.{Decoder, HeaderListener}
import org.apache.pekko.pattern.{after => later}
import org.apache.pekko.stream.scaladsl.{Flow, Keep, Sink, Source}
import org.apache.pekko.util.{ByteString, ByteStringBuilder}
import org.scalatest.BeforeAndAfterAll
import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

import h2native.attacks.{H2, Hpack}
import h2native.impl.{Http2Connection, NativeBindings, NativeLibrary}
import h2native.ServerMetrics
import h2native.scaladsl.settings.ServerSettings

/**
 * Random, mutated and known-bad client byte streams through the real `Http2ServerStage`, in memory: every connection
 * must end once its input ends (or by itself once the engine has answered a connection error), and so must every
 * request and response entity; every native connection must be freed. The stage answers protocol errors with GOAWAY and
 * handler failures with 500 or RST_STREAM, and completes: a stream failure or an unexpected error in the log is an
 * exception that escaped its code, and fails the case too.
 *
 * Each case is generated from its own seed; a failure names it. Replay one case with `H2NATIVE_FUZZ_SEED=<seed>` in the
 * environment of `./sbt "h2native/testOnly h2native.impl.server.StageFuzzSpec"`.
 */
class StageFuzzSpec extends AnyWordSpec with Matchers with BeforeAndAfterAll {
  import StageFuzzSpec._

  implicit val system: ActorSystem = ActorSystem(
    "StageFuzzSpec",
    // errors go to CapturingLogger only: thousands of expected handler failures would drown the test output
    ConfigFactory
      .parseString(s"""
        pekko.loglevel = ERROR
        pekko.stdout-loglevel = OFF
        pekko.loggers = ["${classOf[CapturingLogger].getName}"]
      """)
      .withFallback(ConfigFactory.load())
  )
  import system.dispatcher

  private val settings = ServerSettings(ConfigFactory.load())
  private val registry = new ConnectionRegistry(new ServerMetrics(ServerMetrics.Native))

  /** Handler calls by path: shows that the generated streams get through to the application. */
  private val calls = new ConcurrentHashMap[String, LongAdder]

  override def afterAll(): Unit = Await.result(system.terminate(), 30.seconds)

  private def handler(t: Tracker): HttpRequest => Future[HttpResponse] = { req =>
    val path = req.uri.path.toString
    calls.computeIfAbsent(if (Paths.contains(path)) path else "other", _ => new LongAdder).increment()
    val query = Try(req.uri.query()).getOrElse(Uri.Query.Empty)
    def param(name: String, default: Int, max: Int): Int =
      query.get(name).flatMap(_.toIntOption).fold(default)(v => math.max(0, math.min(v, max)))
    def chunks(n: Int, size: Int): Source[HttpEntity.ChunkStreamPart, NotUsed] =
      t.watch(Source(1 to n).map(i => HttpEntity.Chunk(ByteString(Array.fill(size)(('a' + i % 26).toByte)))))
    val ct = ContentTypes.`application/octet-stream`
    path match {
      case "/strict" => Future.successful(HttpResponse(entity = HttpEntity("ok")))
      case "/empty"  => Future.successful(HttpResponse(StatusCodes.NoContent))
      case "/strict-trailers" =>
        Future.successful(
          HttpResponse(entity = HttpEntity("body"))
            .addAttribute(AttributeKeys.trailer, Trailer(Seq(RawHeader("grpc-status", "0"))))
        )
      case "/chunked" =>
        Future.successful(
          HttpResponse(entity = HttpEntity.Chunked(ct, chunks(param("n", 3, 8), param("size", 100, 4000))))
        )
      case "/big" =>
        // more than the peer's initial window: the rest waits for WINDOW_UPDATE
        Future.successful(HttpResponse(entity = HttpEntity.Chunked(ct, chunks(param("n", 6, 8), 16 * 1024))))
      case "/trailers" =>
        val parts = Source(
          List(HttpEntity.Chunk(ByteString("a")), HttpEntity.LastChunk(trailer = List(RawHeader("grpc-status", "0"))))
        )
        Future.successful(HttpResponse(entity = HttpEntity.Chunked(ct, t.watch(parts))))
      case "/default" =>
        val size = param("size", 5000, 20000)
        val data = t.watch(
          Source(
            List(ByteString(Array.fill(size / 2)('d'.toByte)), ByteString(Array.fill(size - size / 2)('e'.toByte)))
          )
        )
        Future.successful(HttpResponse(entity = HttpEntity.Default(ct, size.toLong, data)))
      case "/read" =>
        t.track(req.entity.dataBytes.runFold(0L)(_ + _.length)).map(n => HttpResponse(entity = HttpEntity(n.toString)))
      case "/read-one" =>
        // cancels the request entity after its first element
        t.track(req.entity.dataBytes.take(1).runWith(Sink.ignore)).map(_ => HttpResponse(entity = HttpEntity("one")))
      case "/echo" =>
        Future.successful(HttpResponse(entity = HttpEntity.Chunked.fromData(ct, t.watch(req.entity.dataBytes))))
      case "/slow"  => later(param("ms", 2, 20).millis)(Future.successful(HttpResponse(entity = HttpEntity("slow"))))
      case "/fail"  => Future.failed(new RuntimeException("fuzz: the handler failed"))
      case "/throw" => throw new RuntimeException("fuzz: the handler threw")
      case "/never" => Promise[HttpResponse]().future
      case "/fail-stream" =>
        val parts = Source.single(HttpEntity.Chunk(ByteString("x"))) ++
          Source.failed(new RuntimeException("fuzz: the response entity failed"))
        Future.successful(HttpResponse(entity = HttpEntity.Chunked(ct, t.watch(parts))))
      case _ => Future.successful(HttpResponse(StatusCodes.NotFound))
    }
  }

  /**
   * Runs one connection. With `holdOpen`, the input stays open after the chunks for `settle`, and a connection the
   * engine has ended (connection error or HTTP/1.1 refusal written) must then complete without its input completing.
   * Then the input completes and the stage must complete within `CaseTimeout`, and so must whatever the handler
   * started.
   */
  private def connect(chunks: Vector[ByteString], holdOpen: Boolean, settle: FiniteDuration): Run = {
    val tracker = new Tracker
    val out = new ConcurrentLinkedQueue[ByteString]
    def output = out.asScala.foldLeft(ByteString.empty)(_ ++ _)
    Try(
      Source(chunks)
        .concatMat(Source.maybe[ByteString])(Keep.right)
        .via(Flow.fromGraph(new Http2ServerStage(settings, handler(tracker), None, registry)))
        .toMat(Sink.foreach[ByteString](out.add))(Keep.both)
        .run()
    ).fold(
      e => Run(ByteString.empty, endedByItself = false, Some(s"materialization threw $e")),
      { case (eof, done) => awaitEnd(tracker, output, eof, done, holdOpen, settle) }
    )
  }

  private def awaitEnd(
      tracker: Tracker,
      output: => ByteString,
      eof: Promise[Option[ByteString]],
      done: Future[Any],
      holdOpen: Boolean,
      settle: FiniteDuration
  ): Run = {
    var failure: Option[String] = None
    var endedByItself = false
    if (holdOpen) {
      ready(done, settle)
      if (!done.isCompleted && endsConnection(output)) {
        if (!ready(done, CaseTimeout))
          failure = Some("the engine ended the connection but the stage kept running while its input stayed open")
      }
      endedByItself = done.isCompleted
    }
    eof.trySuccess(None)
    if (failure.isEmpty) {
      if (!ready(done, CaseTimeout)) failure = Some(s"stuck: the stage did not complete within $CaseTimeout")
      else
        done.value match {
          case Some(Failure(e)) => failure = Some(s"the stream failed: $e\n${stackOf(e)}")
          case _ =>
            val open = tracker.pending.asScala.filterNot(f => ready(f, CaseTimeout))
            if (open.nonEmpty) failure = Some(s"${open.size} request or response entities did not end")
        }
    }
    Run(output, endedByItself, failure)
  }

  private def runCase(seed: Long): Option[String] =
    Try(new Gen(seed).input()).fold(
      e => Some(s"seed $seed: the generator threw $e"),
      { input =>
        val r = connect(input.chunks, input.holdOpen, Settle)
        kinds.computeIfAbsent(input.kind, _ => new LongAdder).increment()
        if (r.endedByItself) endedByItself.increment()
        r.failure.map(f => s"seed $seed (${input.describe}): $f")
      }
    )

  private val kinds = new ConcurrentHashMap[String, LongAdder]
  private val endedByItself = new LongAdder

  "Http2ServerStage" should {

    s"end every connection of $Cases random, mutated and valid client byte streams" in {
      val replay = sys.env.get("H2NATIVE_FUZZ_SEED").map(_.toLong)
      val seeds = replay.fold((0L until Cases).map(BaseSeed + _))(Vector(_))
      NativeLibrary.ensureLoaded()
      val liveBefore = NativeBindings.liveConnections()
      val start = System.nanoTime()
      val pool = Executors.newFixedThreadPool(Parallelism)
      val failures =
        try {
          // the cases block on their own threads, never on the system's dispatcher
          val cases = ExecutionContext.fromExecutor(pool)
          Await.result(Future.sequence(seeds.map(s => Future(runCase(s))(cases))), 10.minutes).flatten
        } finally pool.shutdown()
      val took = (System.nanoTime() - start).nanos.toMillis
      def counts(m: ConcurrentHashMap[String, LongAdder]): String =
        m.asScala.toSeq.sortBy(_._1).map { case (k, n) => s"$k ${n.sum}" }.mkString(", ")
      val (expected, unexpected) =
        CapturedErrors.asScala.toList.partition(e => ExpectedErrors.exists(String.valueOf(e.message).startsWith))
      info(
        s"${seeds.size} cases in $took ms (${counts(kinds)}); ${endedByItself.sum} ended by themselves; " +
          s"handler calls: ${counts(calls)}; ${expected.size} expected errors logged"
      )
      withClue(s"${failures.size} failing cases, the first ones:\n${failures.take(5).mkString("\n")}\n")(
        failures.size shouldBe 0
      )
      withClue("native connections left open: ")(awaitLive(liveBefore) shouldBe liveBefore)
      registry.metrics.getConnectionsActive shouldBe 0
      withClue(s"unexpected errors logged: ${unexpected.take(5).map(e => s"${e.message} ${e.cause}").mkString("; ")}")(
        unexpected.size shouldBe 0
      )
    }

    "answer known-bad protocol with GOAWAY and end the connection by itself" in {
      val preface = H2.Preface ++ H2.settings()
      val cases = List(
        ("DATA on stream 0", H2.data(0, Array[Byte](1, 2, 3), endStream = false), H2.PROTOCOL_ERROR),
        ("HEADERS on an even stream", H2.headers(2, Hpack.request("/strict"), endStream = true), H2.PROTOCOL_ERROR),
        ("SETTINGS of 5 octets", H2.frame(H2.SETTINGS, 0, 0, new Array[Byte](5)), H2.FRAME_SIZE_ERROR),
        ("WINDOW_UPDATE of 0 on the connection", H2.windowUpdate(0, 0), H2.PROTOCOL_ERROR),
        ("PING of 7 octets", H2.frame(H2.PING, 0, 0, new Array[Byte](7)), H2.FRAME_SIZE_ERROR),
        ("CONTINUATION without HEADERS", H2.continuation(1, Hpack.request("/"), endHeaders = true), H2.PROTOCOL_ERROR)
      )
      NativeLibrary.ensureLoaded()
      val liveBefore = NativeBindings.liveConnections()
      cases.foreach { case (name, frame, code) =>
        withClue(s"$name: ") {
          val r = connect(Vector(ByteString(preface ++ frame)), holdOpen = true, CaseTimeout)
          r.failure shouldBe None
          r.endedByItself shouldBe true
          val goaways = frames(r.output).filter(_.tpe == H2.GOAWAY)
          goaways.map(_.errorCode) shouldBe List(code)
        }
      }
      withClue("a damaged preface: ") {
        val r = connect(Vector(ByteString("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n")), holdOpen = true, CaseTimeout)
        r.failure shouldBe None
        r.endedByItself shouldBe true
        frames(r.output).filter(_.tpe == H2.GOAWAY).map(_.errorCode) shouldBe List(H2.PROTOCOL_ERROR)
      }
      withClue("an HTTP/1.1 request: ") {
        val r = connect(Vector(ByteString("GET / HTTP/1.1\r\nHost: a\r\n\r\n")), holdOpen = true, CaseTimeout)
        r.failure shouldBe None
        r.endedByItself shouldBe true
        r.output.utf8String should startWith("HTTP/1.1 505 ")
      }
      awaitLive(liveBefore) shouldBe liveBefore
    }

    "answer requests pekko-http's model refuses on their own stream and keep the connection" in {
      def block(fields: (String, String)*): Array[Byte] =
        fields.map { case (n, v) => Hpack.literal(n, v) }.reduce(_ ++ _)
      def req(method: String, path: String = "/strict", scheme: String = "http") =
        block(":method" -> method, ":scheme" -> scheme, ":path" -> path, ":authority" -> "a")
      val frames = List(
        H2.headers(1, req("GET", scheme = "ftp"), endStream = true),
        H2.headers(3, req(""), endStream = true),
        H2.headers(5, req("HEAD"), endStream = false),
        H2.data(5, "abc".getBytes, endStream = true),
        // an empty body is no entity: served
        H2.headers(7, req("HEAD"), endStream = false),
        H2.data(7, Array.emptyByteArray, endStream = true),
        H2.headers(9, req("TRACE"), endStream = false),
        H2.data(9, "abc".getBytes, endStream = false),
        H2.headers(11, req("GET"), endStream = true)
      )
      val r =
        connect(Vector(ByteString(H2.Preface ++ H2.settings() ++ frames.reduce(_ ++ _))), holdOpen = true, 200.millis)
      r.failure shouldBe None
      r.endedByItself shouldBe false
      statuses(r.output) shouldBe Map(1 -> "400", 3 -> "400", 5 -> "422", 7 -> "200", 9 -> "422", 11 -> "200")
    }
  }
}

object StageFuzzSpec {

  /** What the handler started that must end once the connection has: request entity reads, response entities. */
  final class Tracker {
    val pending = new ConcurrentLinkedQueue[Future[Any]]
    def track[T](f: Future[T]): Future[T] = { pending.add(f); f }
    def watch[T](s: Source[T, Any]): Source[T, NotUsed] =
      s.watchTermination() { (_, done) => pending.add(done); NotUsed }
  }

  /** The result of one connection: its output and whether the stage ended before its input did. */
  final case class Run(output: ByteString, endedByItself: Boolean, failure: Option[String])

  final val BaseSeed = 0x5eed0000L
  final val Cases = 6000
  final val Parallelism = 4
  val CaseTimeout: FiniteDuration = 5.seconds

  /** How long a held-open input waits before its end: time for the handler's late answers and for a self-close. */
  val Settle: FiniteDuration = 20.millis

  /** The handler's paths (everything else is a 404). */
  val Paths: Vector[String] = Vector(
    "/strict",
    "/empty",
    "/strict-trailers",
    "/chunked",
    "/big",
    "/trailers",
    "/default",
    "/read",
    "/read-one",
    "/echo",
    "/slow",
    "/fail",
    "/throw",
    "/never",
    "/fail-stream"
  )

  /** The stage logs these at ERROR for the handler's own failures: expected. */
  val ExpectedErrors: List[String] = List("request handler failed", "response entity of stream")

  val CapturedErrors = new ConcurrentLinkedQueue[Logging.Error]

  def ready(f: Future[Any], d: FiniteDuration): Boolean =
    try { Await.ready(f, d); true }
    catch { case _: TimeoutException => false }

  def stackOf(e: Throwable): String = e.getStackTrace.take(12).mkString("  at ", "\n  at ", "")

  def awaitLive(expected: Long): Long = {
    val deadline = System.nanoTime() + 5.seconds.toNanos
    while (NativeBindings.liveConnections() > expected && System.nanoTime() < deadline) Thread.sleep(10)
    NativeBindings.liveConnections()
  }

  final case class OutFrame(tpe: Int, flags: Int, stream: Int, payload: ByteString) {
    def errorCode: Int =
      if (payload.length >= 8) payload.drop(4).iterator.take(4).foldLeft(0)((a, b) => (a << 8) | (b & 0xff)) else -1
  }

  /** The server's frames (it sends no preface): whole frames only. */
  def frames(out: ByteString): Vector[OutFrame] = {
    val b = Vector.newBuilder[OutFrame]
    var pos = 0
    var whole = true
    while (whole && pos + 9 <= out.length) {
      val len = ((out(pos) & 0xff) << 16) | ((out(pos + 1) & 0xff) << 8) | (out(pos + 2) & 0xff)
      if (pos + 9 + len > out.length) whole = false
      else {
        val stream = out.slice(pos + 5, pos + 9).foldLeft(0)((a, x) => (a << 8) | (x & 0xff)) & 0x7fffffff
        b += OutFrame(out(pos + 3) & 0xff, out(pos + 4) & 0xff, stream, out.slice(pos + 9, pos + 9 + len))
        pos += 9 + len
      }
    }
    b.result()
  }

  /** The `:status` of each response, from the server's HEADERS frames (blocks in one frame: small responses). */
  def statuses(out: ByteString): Map[Int, String] = {
    val decoder = new Decoder(1 << 20, 4096)
    frames(out)
      .filter(_.tpe == H2.HEADERS)
      .flatMap { f =>
        var status = Option.empty[String]
        decoder.decode(
          new ByteArrayInputStream(f.payload.toArray),
          new HeaderListener {
            override def addHeader(name: String, value: String, parsed: AnyRef, sensitive: Boolean): AnyRef = {
              if (name == ":status") status = Some(value)
              null
            }
          }
        )
        decoder.endHeaderBlock()
        status.map(f.stream -> _)
      }
      .toMap
  }

  /** The engine has ended the connection: the HTTP/1.1 refusal, or GOAWAY with an error code. */
  def endsConnection(out: ByteString): Boolean =
    out.startsWith(ByteString("HTTP/1.1 ")) || frames(out).exists(f => f.tpe == H2.GOAWAY && f.errorCode != H2.NO_ERROR)

  /** One generated case: the chunks the client sends and whether it keeps its side open after them. */
  final case class Input(chunks: Vector[ByteString], holdOpen: Boolean, kind: String) {
    def describe: String = s"$kind, ${chunks.map(_.length).sum} octets in ${chunks.size} chunks, holdOpen=$holdOpen"
  }

  /** All randomness of one case comes from its seed. */
  final class Gen(seed: Long) {
    private val rnd = new Random(seed)
    private def chance(p: Double): Boolean = rnd.nextDouble() < p
    private def pick[T](xs: collection.Seq[T]): T = xs(rnd.nextInt(xs.size))
    private def bytes(n: Int): Array[Byte] = { val a = new Array[Byte](n); rnd.nextBytes(a); a }
    private def between(lo: Int, hi: Int): Int = lo + rnd.nextInt(hi - lo + 1)

    def input(): Input = {
      val (kind, stream) = rnd.nextInt(20) match {
        case n if n < 5  => "valid" -> valid()
        case n if n < 7  => "engine-client" -> engineClient()
        case n if n < 14 => "mutated" -> mutate(if (chance(0.8)) valid() else engineClient())
        case n if n < 16 => "random" -> ByteString(bytes(rnd.nextInt(2000)))
        case n if n < 18 => "preface+random" -> (ByteString(H2.Preface) ++ ByteString(bytes(rnd.nextInt(2000))))
        case _           => "random-frames" -> randomFrames()
      }
      Input(split(stream), holdOpen = chance(0.3), kind)
    }

    /** Random chunk sizes, from one octet at a time to all at once. */
    private def split(b: ByteString): Vector[ByteString] = {
      val max = rnd.nextInt(6) match {
        case 0 => b.length max 1
        case 1 => if (b.length <= 4096) 1 else 64
        case 2 => 16
        case 3 => 512
        case _ => 8192
      }
      val out = Vector.newBuilder[ByteString]
      var rest = b
      while (rest.nonEmpty) {
        val n = 1 + rnd.nextInt(max)
        out += rest.take(n)
        rest = rest.drop(n)
      }
      out.result()
    }

    private def settingsFrame(): Array[Byte] = {
      val all = List(
        H2.SETTINGS_HEADER_TABLE_SIZE -> pick(List(0, 256, 4096, 65536)),
        0x2 -> 0, // ENABLE_PUSH
        H2.SETTINGS_MAX_CONCURRENT_STREAMS -> pick(List(0, 1, 100)),
        // small windows hold our responses back until the client's WINDOW_UPDATE
        H2.SETTINGS_INITIAL_WINDOW_SIZE -> pick(List(0, 1, 100, 16384, 65535, 1 << 20)),
        H2.SETTINGS_MAX_FRAME_SIZE -> pick(List(16384, 20000, (1 << 24) - 1)),
        0x6 -> pick(List(100, 16384)), // MAX_HEADER_LIST_SIZE
        0x99 -> rnd.nextInt() // unknown: ignored
      )
      H2.settings(all.filter(_ => chance(0.4)): _*)
    }

    /**
     * A request's fields (mostly well-formed; now and then odd values the engine lets through) and whether a body
     * follows.
     */
    private def request(): (Seq[(String, String)], Boolean) = {
      val base = pick(Paths ++ Vector("/missing", "/"))
      val path = base match {
        case "/chunked" => s"/chunked?n=${rnd.nextInt(9)}&size=${rnd.nextInt(4001)}"
        case "/big"     => s"/big?n=${between(1, 8)}"
        case "/default" => s"/default?size=${rnd.nextInt(20001)}"
        case "/slow"    => s"/slow?ms=${rnd.nextInt(11)}"
        case p if chance(0.05) =>
          pick(List("*", s"$p#fragment", s"$p?%zz", "//x", "http://other.example/x", s"$p?a=b&c"))
        case p => p
      }
      val method =
        if (chance(0.9)) pick(List("GET", "GET", "POST", "POST", "PUT", "HEAD", "DELETE"))
        else pick(List("OPTIONS", "PATCH", "TRACE", "CONNECT", "FOO", "G@T", "get", ""))
      val scheme = if (chance(0.95)) "http" else pick(List("https", "ftp", "h", "HTTP"))
      val authority = if (chance(0.9)) "localhost:8080" else pick(List("a", "[::1]:80", "bad^host", "x:99999", "@"))
      val hasBody = (method == "POST" || method == "PUT" || chance(0.15)) && !chance(0.1)
      val extra = mutable.ListBuffer.empty[(String, String)]
      if (chance(0.3))
        extra += "content-type" -> pick(List("application/json", "text/plain; charset=utf-8", "x/;;", "a"))
      if (chance(0.2)) extra += "te" -> "trailers"
      if (chance(0.3)) extra += "x-fuzz" -> rnd.alphanumeric.take(rnd.nextInt(40)).mkString
      if (chance(0.1)) extra += "cookie" -> "a=b"
      val fields =
        (if (chance(0.03)) Nil else List(":method" -> method)) ++
          List(":scheme" -> scheme, ":path" -> path) ++
          (if (chance(0.9)) List(":authority" -> authority) else Nil)
      (fields ++ extra, hasBody)
    }

    /** A literal HPACK block, mixing the representations (none references the dynamic table). */
    private def hpack(fields: Seq[(String, String)]): Array[Byte] =
      fields
        .map { case (n, v) =>
          (n, v) match {
            case (":method", "GET") if chance(0.5)  => Hpack.indexed(2)
            case (":method", "POST") if chance(0.5) => Hpack.indexed(3)
            case (":scheme", "http") if chance(0.5) => Hpack.indexed(6)
            case _ if chance(0.2)                   => Hpack.literalIndexed(n, v)
            case _                                  => Hpack.literal(n, v)
          }
        }
        .foldLeft(Array.emptyByteArray)(_ ++ _)

    /** A well-formed client connection built frame by frame. */
    def valid(): ByteString = {
      val b = new ByteStringBuilder
      def put(a: Array[Byte]): Unit = b.putBytes(a)
      put(H2.Preface)
      put(settingsFrame())
      if (chance(0.7)) put(H2.settingsAck)
      var next = 1
      val open = mutable.ArrayBuffer.empty[Int]
      var budget = 128 * 1024 // request octets: stays within the windows we grant (1 MiB)
      def used(): Int = 2 * rnd.nextInt(next / 2) + 1
      def endBody(id: Int): Unit = {
        put(H2.data(id, bytes(rnd.nextInt(100)), endStream = true)); open -= id
      }
      (0 until between(1, 20)).foreach { _ =>
        rnd.nextInt(12) match {
          case 0 | 1 | 2 | 3 =>
            val id = next
            next += 2
            val (fields, hasBody) = request()
            val hasLength = hasBody && chance(0.3)
            val body = if (hasLength) bytes(rnd.nextInt(3000)) else Array.emptyByteArray
            val all = if (hasLength) fields :+ ("content-length" -> body.length.toString) else fields
            val block = hpack(all)
            val endStream = !hasBody
            if (block.length > 8 && chance(0.2)) {
              val cut = between(1, block.length - 1)
              put(H2.headers(id, block.take(cut), endStream, endHeaders = false))
              put(H2.continuation(id, block.drop(cut), endHeaders = true))
            } else put(H2.headers(id, block, endStream))
            if (hasLength) { put(H2.data(id, body, endStream = true)); budget -= body.length }
            else if (hasBody) open += id
          case 4 | 5 | 6 if open.nonEmpty =>
            val id = pick(open)
            val n = math.min(budget, pick(List(0, 1, 100, 4000, 16384)))
            budget -= n
            val end = chance(0.3)
            put(H2.data(id, bytes(n), end))
            if (end) open -= id
          case 7 if open.nonEmpty =>
            val id = pick(open)
            put(H2.headers(id, hpack(List("x-trailer" -> "1")), endStream = true))
            open -= id
          case 8 if next > 1 =>
            // streams opened so far only: RST_STREAM on an idle stream is a connection error
            val id = if (open.nonEmpty && chance(0.5)) pick(open) else used()
            put(H2.rst(id, pick(List(H2.NO_ERROR, H2.CANCEL))))
            open -= id
          case 9 => put(H2.ping(rnd.nextLong(), ack = chance(0.1)))
          case 10 =>
            val id = if (next == 1 || chance(0.5)) 0 else used()
            put(H2.windowUpdate(id, pick(List(1, 1000, 65535, 1 << 20))))
          case _ =>
            // PRIORITY (deprecated, still legal) or another SETTINGS
            if (chance(0.5)) put(H2.frame(H2.PRIORITY, 0, between(0, next) | 1, H2.u32(0) :+ 16.toByte))
            else put(settingsFrame())
        }
      }
      if (chance(0.5)) open.toList.foreach(endBody)
      if (chance(0.2)) put(H2.frame(H2.GOAWAY, 0, 0, H2.u32(0) ++ H2.u32(H2.NO_ERROR)))
      b.result()
    }

    /** A connection written by the engine's own client role (HPACK with Huffman and the dynamic table). */
    def engineClient(): ByteString = {
      val c = Http2Connection.client()
      try {
        val out = new ByteStringBuilder
        val payloads = mutable.ArrayBuffer.empty[ByteString]
        val open = mutable.ArrayBuffer.empty[Int]
        def take(): Unit = { out ++= c.takeOutput(payloads(_)); payloads.clear() }
        take()
        (0 until between(1, 12)).foreach { _ =>
          rnd.nextInt(6) match {
            case 0 | 1 | 2 =>
              val (fields, hasBody) = request()
              val r = c.commands.headers(0, fields, endStream = !hasBody).submit()
              if (hasBody && r.count > 0 && r.status(0) == 0) open += r.value(0)
            case 3 if open.nonEmpty =>
              val id = pick(open)
              payloads += ByteString(bytes(pick(List(0, 10, 3000))))
              val end = chance(0.5)
              c.commands.data(id, payloads.last.length, end, payloads.size - 1).submit()
              if (end) open -= id
            case 4 if open.nonEmpty =>
              val id = pick(open)
              c.commands.reset(id, H2.CANCEL).submit()
              open -= id
            case _ => c.commands.ping(rnd.nextLong()).submit()
          }
          take()
        }
        out.result()
      } finally c.close()
    }

    /** Frame starts (after a leading preface), as far as the length fields can be followed. */
    private def frameStarts(b: ByteString): Vector[Int] = {
      val starts = Vector.newBuilder[Int]
      var pos = if (b.startsWith(ByteString(H2.Preface))) H2.Preface.length else 0
      while (pos + 9 <= b.length) {
        starts += pos
        pos += 9 + (((b(pos) & 0xff) << 16) | ((b(pos + 1) & 0xff) << 8) | (b(pos + 2) & 0xff))
      }
      starts.result()
    }

    /** One to four damages: bit flips, truncation, duplicated or dropped ranges or frames, random header fields. */
    def mutate(valid: ByteString): ByteString =
      (0 until between(1, 4)).foldLeft(valid) { (b, _) =>
        if (b.isEmpty) b
        else {
          val a = b.toArray
          val starts = frameStarts(b)
          def range(): (Int, Int) = {
            val from = rnd.nextInt(a.length); (from, between(from, math.min(a.length, from + 200)))
          }
          rnd.nextInt(8) match {
            case 0 =>
              (0 until between(1, 8)).foreach { _ =>
                val i = rnd.nextInt(a.length)
                a(i) = (a(i) ^ (1 << rnd.nextInt(8))).toByte
              }
              ByteString(a)
            case 1 => b.take(rnd.nextInt(b.length))
            case 2 =>
              val (from, to) = range()
              b.take(to) ++ b.slice(from, to) ++ b.drop(to)
            case 3 =>
              val (from, to) = range()
              b.take(from) ++ b.drop(to)
            case 4 if starts.nonEmpty =>
              // a length field: near the real one, or anything
              val at = pick(starts)
              val real = ((a(at) & 0xff) << 16) | ((a(at + 1) & 0xff) << 8) | (a(at + 2) & 0xff)
              val len = if (chance(0.5)) math.max(0, real + between(-16, 16)) else rnd.nextInt(1 << 24)
              a(at) = (len >>> 16).toByte; a(at + 1) = (len >>> 8).toByte; a(at + 2) = len.toByte
              ByteString(a)
            case 5 if starts.nonEmpty =>
              // type, flags or stream id
              val at = pick(starts)
              rnd.nextInt(3) match {
                case 0 => a(at + 3) = rnd.nextInt(12).toByte
                case 1 => a(at + 4) = rnd.nextInt(256).toByte
                case _ => a(at + 5 + rnd.nextInt(4)) = rnd.nextInt(256).toByte
              }
              ByteString(a)
            case 6 if starts.size > 1 =>
              // a whole frame repeated or left out
              val i = rnd.nextInt(starts.size - 1)
              val frame = b.slice(starts(i), starts(i + 1))
              if (chance(0.5)) b.take(starts(i + 1)) ++ frame ++ b.drop(starts(i + 1))
              else b.take(starts(i)) ++ b.drop(starts(i + 1))
            case _ =>
              val (from, to) = range()
              (from until to).foreach(i => a(i) = rnd.nextInt(256).toByte)
              ByteString(a)
          }
        }
      }

    /** Frames with valid headers but random types, flags, stream ids and payloads, after a valid preface. */
    def randomFrames(): ByteString = {
      val b = new ByteStringBuilder
      b.putBytes(H2.Preface).putBytes(settingsFrame())
      (0 until between(1, 30)).foreach { _ =>
        val tpe = if (chance(0.9)) rnd.nextInt(10) else rnd.nextInt(256)
        val stream = pick(List(0, 1, 3, between(0, 101), rnd.nextInt() & 0x7fffffff))
        val payload =
          if (tpe == H2.HEADERS && chance(0.5)) { val (f, _) = request(); hpack(f) }
          else bytes(pick(List(0, 4, 5, 8, rnd.nextInt(300))))
        b.putBytes(H2.frame(tpe, rnd.nextInt(256), stream, payload))
      }
      b.result()
    }
  }
}

/** The test's only logger: keeps the errors for StageFuzzSpec to check. */
final class CapturingLogger extends Actor {
  override def receive: Receive = {
    case Logging.InitializeLogger(_) => sender() ! Logging.LoggerInitialized
    case e: Logging.Error            => StageFuzzSpec.CapturedErrors.add(e)
    case _                           => ()
  }
}
