/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.attacks

import java.lang.management.ManagementFactory
import java.nio.file.{Files, Paths}
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.atomic.{AtomicInteger, AtomicLong}

import scala.collection.mutable
import scala.concurrent.duration._
import scala.concurrent.{Await, Future}
import scala.jdk.CollectionConverters._
import scala.sys.process._
import scala.util.control.NonFatal

import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.http.scaladsl.Http
import org.apache.pekko.http.scaladsl.model._
import org.apache.pekko.pattern.{after => later}
import org.apache.pekko.stream.scaladsl.Source
import org.apache.pekko.util.ByteString
import org.scalatest.BeforeAndAfterAll
import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

import h2native.impl.NativeBindings
import h2native.scaladsl.NativeHttp2

/**
 * Attacks on a running server, one test per class of the HTTP/2 denial-of-service catalogue: each checks the answer RFC
 * 9113 and the engine's limits (rust/codec/src/conn/limits.rs) call for, that heap, RSS and native connections stay
 * bounded, and that a well-behaved client on another connection is served during and after the attack. The figures
 * (printed with `info`, and as a table to target/attack-figures.md) fill SECURITY.md.
 */
class AttackSpec extends AnyWordSpec with Matchers with BeforeAndAfterAll {
  import AttackSpec._
  import H2._

  implicit val system: ActorSystem = ActorSystem("AttackSpec")
  import system.dispatcher

  /** Response octets the `/big` sources produced: what the server pulled from the application. */
  private val produced = new AtomicLong

  private val chunk = ByteString(Array.fill[Byte](16 * 1024)('z'))

  private val handler: HttpRequest => Future[HttpResponse] = { req =>
    req.uri.path.toString match {
      // answers late: its stream stays open meanwhile, without reading the request entity
      case "/hold" => later(3.seconds)(Future.successful(HttpResponse(entity = HttpEntity("held"))))
      case "/count" =>
        req.entity.dataBytes.runFold(0L)(_ + _.length).map(n => HttpResponse(entity = HttpEntity(n.toString)))
      case "/big" =>
        // `n` octets, produced only as the server pulls them
        val n = req.uri.query().get("n").fold(1L << 20)(_.toLong)
        val data = Source.repeat(chunk).take(n / chunk.length).map { c => produced.addAndGet(c.length); c }
        Future.successful(
          HttpResponse(entity = HttpEntity.Chunked.fromData(ContentTypes.`application/octet-stream`, data))
        )
      case _ => Future.successful(HttpResponse(entity = HttpEntity(Hello)))
    }
  }

  private lazy val binding: Http.ServerBinding =
    Await.result(NativeHttp2(system).newServerAt("127.0.0.1", 0).bind(handler), 30.seconds)
  private def port: Int = binding.localAddress.getPort

  /** A server with short timeouts, for the slow clients. */
  private lazy val slowBinding: Http.ServerBinding = Await.result(
    NativeHttp2(system)
      .newServerAt("127.0.0.1", 0)
      .adaptSettings(_.withIdleTimeout(30.seconds).adaptHttp2(_.withEngineSetting("settings-timeout", 1.second)))
      .bind(handler),
    30.seconds
  )

  /** A server that collects request bodies before dispatch (min-collect-strict-entity-size) up to a small limit. */
  private lazy val collectBinding: Http.ServerBinding = Await.result(
    NativeHttp2(system)
      .newServerAt("127.0.0.1", 0)
      .adaptSettings(_.withMaxRequestEntitySize(256 * 1024).adaptHttp2(_.withMinCollectStrictEntitySize(1 << 20)))
      .bind(handler),
    30.seconds
  )

  private val figures = mutable.ArrayBuffer.empty[Figures]

  override def beforeAll(): Unit = {
    binding
    slowBinding
    collectBinding
    // Warm up (JIT, buffers) so that the first attack's RSS does not count the server's start-up.
    (1 to 20).foreach(_ => curl(port)._2 shouldBe Hello)
    val c = new AttackClient(port).handshake()
    (0 until 200).foreach(i => c.get(2 * i + 1).status shouldBe "200")
    c.close()
  }

  override def afterAll(): Unit = {
    val table = (Figures.header +: figures.map(_.row).toSeq).mkString("\n")
    println(table)
    try Files.writeString(Paths.get("target", "attack-figures.md"), table + "\n")
    catch { case NonFatal(_) => () }
    Await.result(slowBinding.terminate(2.seconds), 30.seconds)
    Await.result(collectBinding.terminate(2.seconds), 30.seconds)
    Await.result(binding.terminate(2.seconds), 30.seconds)
    Await.result(system.terminate(), 30.seconds)
  }

  /** What one attack may use: its attack connections (closed by the harness) and the port it targets. */
  final class Attack(val port: Int, val heapBefore: Long) {
    private[AttackSpec] val clients = mutable.ArrayBuffer.empty[AttackClient]
    def client(autoAckSettings: Boolean = true): AttackClient = {
      val c = new AttackClient(port, autoAckSettings)
      clients += c
      c
    }
    def bytesSent: Long = clients.map(_.bytesSent).sum
  }

  /**
   * Runs `body` (which returns a short description of the server's answer) with the measurements around it: heap after
   * GC, RSS, native connections and CPU before, during (attack connections still open) and after (closed), and a good
   * client on its own connection throughout.
   */
  private def attack(name: String, sends: String, server: => Int = port, rssPeakBound: Long = 128 * MiB)(
      body: Attack => String
  ): Unit = {
    val live0 = NativeBindings.liveConnections()
    val heap0 = heapUsed()
    val native0 = nativeUsed()
    val rss0 = rss()
    val good = new GoodClient(server)
    val rssPeak = new AtomicLong(rss0)
    val sampler = new Thread(() =>
      try while (true) { rssPeak.accumulateAndGet(rss(), math.max); Thread.sleep(20) }
      catch { case _: InterruptedException => () }
    )
    sampler.setDaemon(true)
    sampler.start()
    val a = new Attack(server, heap0)
    try {
      good.awaitOk(1, 10.seconds) shouldBe true
      val cpu0 = cpuTime()
      val goodAtStart = good.ok.get
      val answer = body(a)
      val cpu = cpuTime() - cpu0
      // the attack connections are still open: the good client must keep being served meanwhile
      good.awaitOk(goodAtStart + 3, 10.seconds) shouldBe true
      val goodDuring = good.ok.get - goodAtStart
      val heapDuring = heapUsed()
      val nativeDuring = nativeUsed()
      a.clients.foreach(_.close())
      good.close()
      sampler.interrupt()
      withClue(good.failures.asScala.take(5).mkString("; "))(good.failures shouldBe empty)
      val (code, out) = curl(server)
      withClue("curl after the attack")((code, out) shouldBe ((0, Hello)))
      awaitLive(live0) shouldBe true
      val heap1 = heapUsed()
      val native1 = nativeUsed()
      val rss1 = rss()
      val f = Figures(
        name,
        sends,
        answer,
        a.bytesSent,
        cpu,
        heap0,
        heapDuring,
        heap1,
        native0,
        nativeDuring,
        native1,
        rss0,
        rssPeak.get,
        rss1,
        goodDuring,
        live0,
        NativeBindings.liveConnections()
      )
      figures += f
      info(f.describe)
      withClue(f.describe) {
        (heapDuring - heap0) should be < 64 * MiB
        (heap1 - heap0) should be < 64 * MiB
        (nativeDuring - native0) should be < 64 * MiB
        (native1 - native0) should be < 8 * MiB
        (rss1 - rss0) should be < 64 * MiB
        (rssPeak.get - rss0) should be < rssPeakBound
        // a very generous sanity bound: a millisecond of CPU per attacker octet would be an algorithmic blow-up
        cpu should be < math.max(a.bytesSent, 1L) * 1000000L + 10.seconds.toNanos
      }
    } finally {
      a.clients.foreach(_.close())
      good.close()
      sampler.interrupt()
    }
  }

  private def awaitLive(expected: Long): Boolean = {
    val deadline = System.nanoTime() + 10.seconds.toNanos
    while (NativeBindings.liveConnections() > expected && System.nanoTime() < deadline) Thread.sleep(20)
    NativeBindings.liveConnections() <= expected
  }

  /** The ids of `n` client streams from `first` on. */
  private def ids(n: Int, first: Int = 1): Iterator[Int] = Iterator.iterate(first)(_ + 2).take(n)

  private def expectGoAway(c: AttackClient, code: Int): Frame = {
    val g = c.awaitGoAway()
    withClue(s"$g: ")(g.errorCode shouldBe code)
    withClue("the server closes the connection after a connection error: ")(c.awaitClosed() shouldBe true)
    g
  }

  "The server under attack" should {

    "withstand an HPACK bomb (CVE-2016-6581): 431 per block, HPACK stays in step" in attack(
      "HPACK bomb (CVE-2016-6581)",
      "one 4 kB header inserted in the dynamic table, then referenced 16,000 times per block, 100 blocks"
    ) { a =>
      val c = a.client().handshake()
      val big = "a" * 4000
      val first = Hpack.request("/") ++ Hpack.literalIndexed("x-bomb", big) ++ Array.fill[Byte](12000)(0xbe.toByte)
      val refs = Hpack.request("/") ++ Array.fill[Byte](16000)(0xbe.toByte) // 0xbe: indexed field 62, the bomb
      c.send(headers(1, first, endStream = true))
      c.sendAll(ids(99, 3).map(id => headers(id, refs, endStream = true)))
      ids(100).foreach(id => withClue(s"stream $id: ")(c.awaitResponse(id).status shouldBe "431"))
      // the table kept the bomb (the decoder stayed in step): one reference in a small request still decodes
      c.send(headers(201, Hpack.request("/") ++ Hpack.indexed(62), endStream = true))
      c.awaitResponse(201).status shouldBe "200"
      c.get(203).body shouldBe Hello
      "431 on each of 100 streams; the connection stays usable"
    }

    "keep no state that grows with new header values on one long-lived connection" in attack(
      "Header value churn",
      s"one connection, one request after another (20 in flight): $Churn requests per header, each with a new " +
        "3 kB value (every other one HPACK-indexed), of content-type, :path, :authority, user-agent, grpc-timeout, " +
        "grpc-encoding, custom and -bin metadata; 150 new te values",
      // ~100 MB of requests turned into garbage grows the young generation, so RSS peaks up to -Xmx whatever is
      // kept: the heap after GC (below) and native memory are this attack's measure
      rssPeakBound = 1024 * MiB
    ) { a =>
      val c = a.client().handshake()
      c.send(windowUpdate(0, MaxWindow - 65535)) // the answers' DATA must not stall on our receive window
      val rnd = new scala.util.Random(16)
      def fresh(n: Int): String = rnd.alphanumeric.take(n).mkString
      val base = Seq(":method" -> "GET", ":scheme" -> "http", ":path" -> "/", ":authority" -> "127.0.0.1")
      def block(name: String, value: String, indexed: Boolean): Array[Byte] = {
        val fields =
          if (name.startsWith(":")) base.map { case (n, v) => n -> (if (n == name) value else v) }
          else base :+ (name -> value)
        fields
          .map { case (n, v) => if (n == name && indexed) Hpack.literalIndexed(n, v) else Hpack.literal(n, v) }
          .reduce(_ ++ _)
      }
      // (header, a new value, how many, the answer each request gets)
      val classes: Seq[(String, () => String, Int, String)] = Seq(
        ("content-type", () => s"application/grpc+proto; v=${fresh(3000)}", Churn, "200"),
        (":path", () => s"/helloworld.Greeter/${fresh(3000)}", Churn, "200"),
        (":authority", () => s"${fresh(3000)}.example:8080", Churn, "200"),
        ("user-agent", () => s"grpc-java-netty/1.68.0 ${fresh(3000)}", Churn, "200"),
        ("grpc-timeout", () => s"${fresh(3000)}m", Churn, "200"),
        ("grpc-encoding", () => s"x-${fresh(3000)}", Churn, "200"),
        ("x-tenant", () => fresh(3000), Churn, "200"),
        (
          "x-trace-bin",
          () => java.util.Base64.getEncoder.encodeToString(fresh(2200).getBytes("US-ASCII")),
          Churn,
          "200"
        ),
        // RFC 9113 8.2.2: te other than "trailers" is malformed; 150 stays under the 200 resets-sent limit
        ("te", () => s"trailers, ${fresh(3000)}", 150, "RST_STREAM(PROTOCOL_ERROR)")
      )
      var id = 1
      (1 to 10).foreach { _ =>
        c.sendAll(ids(20, id).map(i => headers(i, block("x-warm", fresh(100), indexed = true), endStream = true)))
        ids(20, id).foreach(i => c.awaitResponse(i).status shouldBe "200")
        c.clear()
        id += 40
      }
      val heapStart = heapUsed()
      val growth = classes.filter(k => ChurnHeaders.forall(_.contains(k._1))).map { case (name, value, count, answer) =>
        var sent = 0
        while (sent < count) {
          val batch = math.min(20, count - sent)
          val batchIds = ids(batch, id).toSeq
          c.sendAll(batchIds.iterator.zipWithIndex.map { case (s, k) =>
            headers(s, block(name, value(), indexed = (sent + k) % 2 == 0), endStream = true)
          })
          batchIds.foreach { s =>
            withClue(s"$name, stream $s: ") {
              if (answer == "200") c.awaitResponse(s).status shouldBe "200"
              else c.awaitFrame(10.seconds)(f => f.tpe == RST_STREAM && f.stream == s).errorCode shouldBe PROTOCOL_ERROR
            }
          }
          c.clear()
          sent += batch
          id += 2 * batch
        }
        // the connection is still open: whatever the server keeps for it is still reachable
        name -> (heapUsed() - heapStart)
      }
      c.get(id).status shouldBe "200"
      val worst = growth.maxBy(_._2)
      withClue(growth.map { case (n, g) => f"$n%s ${g.toDouble / MiB}%.1f MiB" }.mkString(", ")) {
        growth.foreach { case (_, g) => g should be < ChurnHeapBound }
      }
      f"every request answered (te: RST_STREAM(PROTOCOL_ERROR)); heap after GC, connection open: at most " +
        f"${worst._2.toDouble / MiB}%.1f MiB above the start (after ${worst._1}), bound ${ChurnHeapBound / MiB} MiB"
    }

    "keep no buffer at the size of a burst of header blocks that decode to far more than they cost" in attack(
      "HPACK amplification",
      "20 connections: one 4 kB header inserted in the table, then 1,000 requests of ~50 octets each referencing " +
        "it 3 times (12 kB decoded), 100 per write"
    ) { a =>
      val big = "a" * 4000
      val conns = (1 to 20).map(_ => a.client().handshake())
      conns.foreach { c =>
        c.send(windowUpdate(0, MaxWindow - 65535))
        c.send(headers(1, Hpack.request("/") ++ Hpack.literalIndexed("x-big", big), endStream = true))
        c.awaitResponse(1).status shouldBe "200"
        c.clear()
      }
      val native0 = nativeUsed()
      val refs = Hpack.request("/") ++ Hpack.indexed(62) ++ Hpack.indexed(62) ++ Hpack.indexed(62)
      var id = 3
      (1 to 10).foreach { _ =>
        conns.foreach(_.sendAll(ids(100, id).map(i => headers(i, refs, endStream = true))))
        conns.foreach { c =>
          ids(100, id).foreach(i => withClue(s"stream $i: ")(c.awaitResponse(i).status shouldBe "200"))
          c.clear()
        }
        id += 200
      }
      // ~1.2 MB of HEADERS events per write: taken 64 KiB at a time, no buffer keeps the burst's size
      val held = nativeUsed() - native0
      withClue(s"native memory after the bursts, connections open: ${held / 1024} KiB: ")(held should be < 8 * MiB)
      s"every request answered (200 x 20,020); native memory held after the bursts: ${held / 1024} KiB for 20 " +
        "connections"
    }

    "refuse request bodies collected before dispatch beyond max-request-entity-size with 413" in attack(
      "Bodies collected before dispatch",
      "100 POSTs each sending 320 KiB without END_STREAM, to a server collecting up to 1 MiB before dispatch " +
        "(min-collect-strict-entity-size) with max-request-entity-size 256 KiB",
      collectBinding.localAddress.getPort
    ) { a =>
      val c = a.client().handshake()
      val chunk = new Array[Byte](16 * 1024)
      // in rounds of 20 streams (each round's 6.4 MB is answered before the next)
      ids(5, 1).foreach { first =>
        val round = ids(20, 40 * (first / 2) + 1).toVector
        c.sendAll(round.iterator.flatMap { id =>
          Iterator(headers(id, Hpack.request("/count", "POST"), endStream = false)) ++
            Iterator.fill(20)(data(id, chunk, endStream = false))
        })
        round.foreach { id =>
          withClue(s"stream $id: ") {
            c.awaitFrame(10.seconds)(f => f.tpe == HEADERS && f.stream == id).status shouldBe Some("413")
            c.awaitFrame(10.seconds)(f => f.tpe == RST_STREAM && f.stream == id).errorCode shouldBe NO_ERROR
          }
        }
        c.clear()
      }
      c.get(401).status shouldBe "200"
      "413 on each of 100 streams, once 256 KiB were collected (and RST_STREAM(NO_ERROR)); the connection stays usable"
    }

    "refuse a header count flood with 431" in attack(
      "Header count flood",
      "4,000 empty-valued headers `a:` per HEADERS (16 kB), 100 streams"
    ) { a =>
      val c = a.client().handshake()
      val block = Hpack.request("/") ++ Array.fill(4000)(Hpack.literal("a", "")).flatten
      c.sendAll(ids(100).map(id => headers(id, block, endStream = true)))
      ids(100).foreach(id => withClue(s"stream $id: ")(c.awaitResponse(id).status shouldBe "431"))
      c.get(201).status shouldBe "200"
      "431 on each of 100 streams; the connection stays usable"
    }

    "end a CONTINUATION flood (CVE-2024-27316) with GOAWAY(ENHANCE_YOUR_CALM)" in attack(
      "CONTINUATION flood (CVE-2024-27316)",
      "HEADERS without END_HEADERS, then up to 10,000 CONTINUATION of 16 kB (conn 1) or empty (conn 2), never ending"
    ) { a =>
      val big = a.client().handshake()
      val filler = Hpack.literal("x-filler", "f" * 16370)
      big.send(headers(1, Hpack.request("/") ++ filler.take(16000), endStream = true, endHeaders = false))
      var sent = 0
      while (sent < 10000 && big.send(continuation(1, filler, endHeaders = false))) sent += 1
      val g1 = expectGoAway(big, ENHANCE_YOUR_CALM)
      val empty = a.client().handshake()
      empty.send(headers(1, Hpack.request("/"), endStream = true, endHeaders = false))
      empty.sendRepeated(continuation(1, Array.emptyByteArray, endHeaders = false), 10000)
      val g2 = expectGoAway(empty, ENHANCE_YOUR_CALM)
      s"GOAWAY(ENHANCE_YOUR_CALM '${g1.debug}') after ${big.bytesSent / 1024} kB written; " +
        s"GOAWAY(ENHANCE_YOUR_CALM '${g2.debug}')"
    }

    "end Rapid Reset (CVE-2023-44487) with GOAWAY(ENHANCE_YOUR_CALM) after 200 resets" in attack(
      "Rapid Reset (CVE-2023-44487)",
      "HEADERS then RST_STREAM(CANCEL), 1,000 streams pipelined"
    ) { a =>
      val c = a.client().handshake()
      c.sendAll(ids(1000).flatMap(id => Iterator(headers(id, Hpack.request("/"), endStream = false), rst(id, CANCEL))))
      val g = expectGoAway(c, ENHANCE_YOUR_CALM)
      // The 201st counted RST_STREAM trips the limit and nothing after it is processed. A reset that arrives after
      // the response started is not counted (limits.rs): that happens when the server read a stream's HEADERS in one
      // call and its RST_STREAM in the next (input arrives in chunks, and the engine takes 32 KiB of events per call).
      val answered = c.received.count(f => f.tpe == HEADERS && f.stream <= g.lastStreamId)
      ((g.lastStreamId + 1) / 2 - answered) shouldBe 201
      s"GOAWAY(ENHANCE_YOUR_CALM, last stream ${g.lastStreamId}) at the 201st counted reset ($answered streams " +
        "answered before their reset)"
    }

    "end MadeYouReset (CVE-2025-8671) with GOAWAY(ENHANCE_YOUR_CALM) after 200 provoked resets" in attack(
      "MadeYouReset (CVE-2025-8671)",
      "600 streams alternating WINDOW_UPDATE(0) on an open stream and DATA on a half-closed (remote) one"
    ) { a =>
      val c = a.client().handshake()
      val hold = Hpack.request("/hold")
      c.sendAll(ids(600).zipWithIndex.flatMap { case (id, i) =>
        if (i % 2 == 0) Iterator(headers(id, hold, endStream = false), windowUpdate(id, 0))
        else Iterator(headers(id, hold, endStream = true), data(id, Array[Byte](1), endStream = false))
      })
      val g = expectGoAway(c, ENHANCE_YOUR_CALM)
      val resets = c.received.filter(_.tpe == RST_STREAM)
      resets.foreach { r =>
        val expected = if (((r.stream - 1) / 2) % 2 == 0) PROTOCOL_ERROR else STREAM_CLOSED
        withClue(s"$r: ")(r.errorCode shouldBe expected)
      }
      resets.size shouldBe 200 // the limit: the one over it is not sent, the GOAWAY is
      s"RST_STREAM(PROTOCOL_ERROR / STREAM_CLOSED) x${resets.size}, then GOAWAY(ENHANCE_YOUR_CALM, last ${g.lastStreamId})"
    }

    "bound a ping flood (CVE-2019-9512)" in attack(
      "Ping flood (CVE-2019-9512)",
      "20,000 PINGs in one write"
    ) { a =>
      val c = a.client().handshake()
      c.send(Iterator.tabulate(20000)(i => ping(i.toLong)).flatten.toArray)
      val g = expectGoAway(c, ENHANCE_YOUR_CALM)
      val acks = c.received.count(f => f.tpe == PING && f.has(ACK))
      acks should be < 20000
      s"$acks PING ACKs, then GOAWAY(ENHANCE_YOUR_CALM '${g.debug}')"
    }

    "end a reset flood (CVE-2019-9514) with GOAWAY(ENHANCE_YOUR_CALM)" in attack(
      "Reset flood (CVE-2019-9514)",
      "50 malformed requests (uppercase field name), 100 held streams, then 300 streams over MAX_CONCURRENT_STREAMS"
    ) { a =>
      val c = a.client().handshake()
      val malformed = Hpack.request("/", extra = Seq("X-Bad" -> "1"))
      c.sendAll(ids(50).map(id => headers(id, malformed, endStream = true)))
      c.sendAll(ids(400, 101).map(id => headers(id, Hpack.request("/hold"), endStream = true)))
      val g = expectGoAway(c, ENHANCE_YOUR_CALM)
      val resets = c.received.filter(_.tpe == RST_STREAM)
      resets.filter(_.stream < 100).map(_.errorCode).distinct shouldBe Seq(PROTOCOL_ERROR)
      resets.filter(_.stream < 100).size shouldBe 50
      // streams 101..299 are the 100 held ones, open; beyond them every stream is refused
      resets.filter(_.stream >= 101).map(_.stream).min shouldBe 301
      resets.filter(_.stream >= 101).map(_.errorCode).distinct shouldBe Seq(REFUSED_STREAM)
      resets.size shouldBe 200 // the limit: the one over it is not sent, the GOAWAY is
      s"RST_STREAM(PROTOCOL_ERROR) x50, RST_STREAM(REFUSED_STREAM) x${resets.size - 50}, " +
        s"then GOAWAY(ENHANCE_YOUR_CALM, last ${g.lastStreamId})"
    }

    "end a settings flood (CVE-2019-9515) with GOAWAY(ENHANCE_YOUR_CALM)" in attack(
      "Settings flood (CVE-2019-9515)",
      "1,000 SETTINGS frames pipelined (conn 1); one SETTINGS of 33 entries (conn 2)"
    ) { a =>
      val c = a.client().handshake()
      c.sendAll(Iterator.fill(1000)(settings(SETTINGS_MAX_CONCURRENT_STREAMS -> 5)))
      val g = expectGoAway(c, ENHANCE_YOUR_CALM)
      val acks = c.received.count(f => f.tpe == SETTINGS && f.has(ACK))
      // the handshake's SETTINGS and 99 more in the window are acknowledged, the 101st is refused
      acks should be <= 100
      val wide = a.client().handshake()
      wide.send(settings((0 until 33).map(i => (0x100 + i) -> 0): _*))
      expectGoAway(wide, ENHANCE_YOUR_CALM)
      s"$acks SETTINGS ACKs then GOAWAY(ENHANCE_YOUR_CALM '${g.debug}'); 33 entries: GOAWAY(ENHANCE_YOUR_CALM)"
    }

    "bound 0-length headers (CVE-2019-9516): 431, or RST_STREAM(PROTOCOL_ERROR) for an empty name" in attack(
      "0-length headers (CVE-2019-9516)",
      "5,000 fields of empty name and value per HEADERS, 100 streams; one request with a single empty field"
    ) { a =>
      val c = a.client().handshake()
      val empties = Array.fill(5000)(Hpack.literal("", "")).flatten
      c.sendAll(ids(100).map(id => headers(id, Hpack.request("/") ++ empties, endStream = true)))
      ids(100).foreach(id => withClue(s"stream $id: ")(c.awaitResponse(id).status shouldBe "431"))
      c.send(headers(201, Hpack.request("/") ++ Hpack.literal("", ""), endStream = true))
      c.awaitFrame(5.seconds)(f => f.tpe == RST_STREAM && f.stream == 201).errorCode shouldBe PROTOCOL_ERROR
      c.get(203).status shouldBe "200"
      "431 on each of 100 streams; RST_STREAM(PROTOCOL_ERROR) for an empty name; the connection stays usable"
    }

    "not buffer responses for a zero-window or non-reading client (CVE-2019-9517)" in attack(
      "Internal data buffering (CVE-2019-9517)",
      "INITIAL_WINDOW_SIZE=0 and 100 x GET of 16 MiB (conn 1); huge windows, 20 x GET of 64 MiB, never reads (conn 2)"
    ) { a =>
      produced.set(0)
      val zero = a.client().handshake(SETTINGS_INITIAL_WINDOW_SIZE -> 0)
      zero.sendAll(ids(100).map(id => headers(id, Hpack.request(s"/big?n=${16 * MiB}"), endStream = true)))
      zero.awaitCondition(10.seconds)(zero.count(HEADERS) >= 100) shouldBe true
      zero.received.filter(_.tpe == HEADERS).flatMap(_.status).distinct shouldBe Seq("200")
      // the windows are closed: no DATA; one stream's window opened by 10,000: exactly that much DATA
      zero.received.count(_.tpe == DATA) shouldBe 0
      zero.send(windowUpdate(1, 10000))
      zero.awaitCondition(10.seconds)(zero.dataReceived(1) >= 10000) shouldBe true
      Thread.sleep(200) // time for an excess frame to show
      zero.dataReceived(1) shouldBe 10000
      zero.received.count(f => f.tpe == DATA && f.stream != 1) shouldBe 0

      val deaf = a.client()
      deaf.send(
        Preface ++ settings(SETTINGS_INITIAL_WINDOW_SIZE -> MaxWindow) ++ settingsAck ++
          windowUpdate(0, MaxWindow - 65535) ++
          ids(20).flatMap(id => headers(id, Hpack.request(s"/big?n=${64 * MiB}"), endStream = true)).toArray
      )
      // the server writes until the socket buffers are full, then must stop pulling the responses
      var last = -1L
      while (produced.get != last) { last = produced.get; Thread.sleep(300) }
      val pulled = produced.get
      withClue(s"pulled ${pulled / MiB} MiB of the 100 x 16 MiB + 20 x 64 MiB asked for: ")(
        pulled should be < 64 * MiB
      )
      s"200 HEADERS, no DATA while the window is 0, exactly 10,000 octets for a 10,000 update; " +
        s"non-reader: ${pulled / MiB} MiB pulled of 2,880 MiB asked"
    }

    "end an empty-frames flood (CVE-2019-9518) with GOAWAY(ENHANCE_YOUR_CALM)" in attack(
      "Empty frames flood (CVE-2019-9518)",
      "HEADERS, then 10,000 empty DATA frames without END_STREAM"
    ) { a =>
      val c = a.client().handshake()
      c.send(headers(1, Hpack.request("/"), endStream = false))
      c.sendRepeated(data(1, Array.emptyByteArray, endStream = false), 10000)
      val g = expectGoAway(c, ENHANCE_YOUR_CALM)
      s"GOAWAY(ENHANCE_YOUR_CALM '${g.debug}')"
    }

    "stay correct and bounded under a data dribble (CVE-2019-9511)" in attack(
      "Data dribble (CVE-2019-9511)",
      "windows of 1 and 2,000 WINDOW_UPDATE(1) on each of 10 streams (conn 1); 20,000 one-octet DATA to a reader " +
        "and 500,000 to a handler that does not read (conn 2)"
    ) { a =>
      produced.set(0)
      val down = a.client().handshake(SETTINGS_INITIAL_WINDOW_SIZE -> 1)
      down.sendAll(ids(10).map(id => headers(id, Hpack.request(s"/big?n=$MiB"), endStream = true)))
      down.sendAll(Iterator.fill(2000)(ids(10).map(id => windowUpdate(id, 1))).flatten)
      down.awaitCondition(20.seconds)(ids(10).forall(down.dataReceived(_) >= 2001)) shouldBe true
      Thread.sleep(200) // time for an excess frame to show
      ids(10).foreach(id => withClue(s"stream $id: ")(down.dataReceived(id) shouldBe 2001))
      val frames = down.count(DATA)

      val up = a.client().handshake()
      up.send(headers(1, Hpack.request("/count", "POST"), endStream = false))
      up.sendRepeated(data(1, Array[Byte]('x'), endStream = false), 20000)
      up.send(data(1, Array(), endStream = true))
      val counted = up.awaitResponse(1, 20.seconds)
      (counted.status, counted.body) shouldBe (("200", "20000"))
      // a handler that never reads: the octets are held within the stream's 1 MiB window, not copied per frame
      up.send(headers(3, Hpack.request("/hold", "POST"), endStream = false))
      up.sendRepeated(data(3, Array[Byte]('x'), endStream = false), 500000)
      up.get(5).status shouldBe "200" // every dribbled frame before it was processed
      // 500,000 octets are held for the handler: they should cost about that, not an object and an input chunk each
      val held = heapUsed() - a.heapBefore
      withClue(s"heap held for 500,000 dribbled octets: ${held / 1024} KiB: ")(held should be < 8 * MiB)
      s"exactly the window granted: 2,001 octets per stream in $frames DATA frames; the upload counted 20000"
    }

    "send all of a streamed response whose source ends while its last DATA waits for window" in {
      // 2 x 16 KiB; a 20,000-octet window takes the first and 3,616 of the second, then the source ends
      val c = new AttackClient(port).handshake(SETTINGS_INITIAL_WINDOW_SIZE -> 20000)
      try {
        c.send(headers(1, Hpack.request(s"/big?n=${2 * chunk.length}"), endStream = true))
        c.awaitCondition(10.seconds)(c.dataReceived(1) >= 20000) shouldBe true
        Thread.sleep(200) // time for an END_STREAM that would overtake the rest
        c.received.exists(f => f.stream == 1 && f.has(END_STREAM)) shouldBe false
        c.send(windowUpdate(1, 20000))
        val r = c.awaitResponse(1)
        (r.status, r.body.length) shouldBe (("200", 2 * chunk.length))
      } finally c.close()
    }

    "refuse stream id reuse and even stream ids with GOAWAY(PROTOCOL_ERROR)" in attack(
      "Stream id exhaustion and reuse",
      "GET on 1 and 2^31-1, then HEADERS on 2^31-3 (conn 1); HEADERS on stream 2 (conn 2); GET on 1 twice (conn 3)"
    ) { a =>
      val c = a.client().handshake()
      c.get(1).status shouldBe "200"
      c.get(Int.MaxValue).status shouldBe "200" // the last id a client may use
      c.send(headers(Int.MaxValue - 2, Hpack.request("/"), endStream = true))
      val g = expectGoAway(c, PROTOCOL_ERROR)
      g.lastStreamId shouldBe Int.MaxValue
      val even = a.client().handshake()
      even.send(headers(2, Hpack.request("/"), endStream = true))
      val g2 = expectGoAway(even, PROTOCOL_ERROR)
      g2.lastStreamId shouldBe 0
      // the same id again after its END_STREAM: a frame on a closed stream (RFC 9113 5.1)
      val again = a.client().handshake()
      again.get(1).status shouldBe "200"
      again.send(headers(1, Hpack.request("/"), endStream = true))
      expectGoAway(again, STREAM_CLOSED)
      "GOAWAY(PROTOCOL_ERROR, last 2^31-1) for a lower id; GOAWAY(PROTOCOL_ERROR, last 0) for an even id; " +
        "GOAWAY(STREAM_CLOSED) for a closed id reused"
    }

    "refuse window overflow with FLOW_CONTROL_ERROR" in attack(
      "Window overflow",
      "WINDOW_UPDATE(0, 2^31-1) (conn 1); WINDOW_UPDATE(stream, 2^31-1) on an open stream (conn 2); " +
        "a stream window at 2^31-1 then SETTINGS_INITIAL_WINDOW_SIZE + 1 (conn 3)"
    ) { a =>
      val conn = a.client().handshake()
      conn.send(windowUpdate(0, MaxWindow))
      expectGoAway(conn, FLOW_CONTROL_ERROR)

      val stream = a.client().handshake()
      stream.send(headers(1, Hpack.request("/hold"), endStream = true) ++ windowUpdate(1, MaxWindow))
      stream.awaitFrame(5.seconds)(f => f.tpe == RST_STREAM && f.stream == 1).errorCode shouldBe FLOW_CONTROL_ERROR
      stream.get(3).status shouldBe "200" // a stream error only

      val settingsDelta = a.client().handshake()
      settingsDelta.send(
        headers(1, Hpack.request("/hold"), endStream = true) ++ windowUpdate(1, MaxWindow - 65535) ++
          settings(SETTINGS_INITIAL_WINDOW_SIZE -> 65536)
      )
      expectGoAway(settingsDelta, FLOW_CONTROL_ERROR)
      "GOAWAY(FLOW_CONTROL_ERROR); RST_STREAM(FLOW_CONTROL_ERROR) and the connection goes on; GOAWAY(FLOW_CONTROL_ERROR)"
    }

    "refuse oversized frames with GOAWAY(FRAME_SIZE_ERROR) without buffering them" in attack(
      "Oversized frames",
      "a DATA header announcing 16 MiB - 1 then 1 MiB of it (conn 1); an unknown-type frame of 16,385 octets (conn 2)"
    ) { a =>
      val huge = a.client().handshake()
      huge.send(headers(1, Hpack.request("/count", "POST"), endStream = false))
      huge.send(frameHeader((1 << 24) - 1, DATA, 0, 1))
      Iterator.fill(64)(new Array[Byte](16384)).takeWhile(huge.send).foreach(_ => ())
      expectGoAway(huge, FRAME_SIZE_ERROR)
      val over = a.client().handshake()
      over.send(frame(0xfa, 0, 0, new Array[Byte](16385)))
      expectGoAway(over, FRAME_SIZE_ERROR)
      "GOAWAY(FRAME_SIZE_ERROR) from the frame header alone; GOAWAY(FRAME_SIZE_ERROR)"
    }

    "close slowloris connections that never finish the preface" in attack(
      "Slowloris preface",
      "20 connections sending 12 of the 24 preface octets then nothing; 5 sending nothing; 1 sending one preface " +
        "octet per 300 ms (idle-timeout 30 s, settings-timeout 1 s)",
      slowBinding.localAddress.getPort
    ) { a =>
      val half = (1 to 20).map { _ =>
        val c = a.client(autoAckSettings = false)
        c.send(Preface.take(12))
        c.startReading()
      }
      val silent = (1 to 5).map(_ => a.client().startReading())
      val dribbler = a.client(autoAckSettings = false).startReading()
      var i = 0
      while (i < Preface.length && dribbler.send(Array(Preface(i))) && dribbler.closedBy.isEmpty) {
        i += 1
        Thread.sleep(300)
      }
      // the server's SETTINGS went out after the first octets; unacknowledged for 1 s: SETTINGS_TIMEOUT
      expectGoAway(dribbler, SETTINGS_TIMEOUT)
      i should be < Preface.length
      half.foreach(expectGoAway(_, SETTINGS_TIMEOUT))
      // nothing sent, nothing answered: closed once the settings timeout passes, long before the idle timeout
      silent.foreach { c =>
        withClue("settings-timeout 1 s, idle-timeout 30 s: ")(c.awaitClosed(10.seconds) shouldBe true)
        c.received shouldBe empty
      }
      "half preface and dribbled preface: GOAWAY(SETTINGS_TIMEOUT) and closed; silent: closed after the settings timeout"
    }
  }
}

object AttackSpec {
  final val Hello = "hello from h2native"
  final val MiB = 1024L * 1024

  /** Requests per header in the churn attack (`H2NATIVE_CHURN` overrides, for the figures in SECURITY.md). */
  val Churn: Int = sys.env.get("H2NATIVE_CHURN").map(_.toInt).getOrElse(4000)

  /** Only these headers' classes (`H2NATIVE_CHURN_HEADERS=content-type,:path`); all by default. */
  val ChurnHeaders: Option[Set[String]] = sys.env.get("H2NATIVE_CHURN_HEADERS").map(_.split(',').toSet)

  /** What one connection may keep, whatever values its peer sends: the header cache's bound plus a margin. */
  final val ChurnHeapBound = 8 * MiB

  private val osBean =
    ManagementFactory.getOperatingSystemMXBean.asInstanceOf[com.sun.management.OperatingSystemMXBean]

  def cpuTime(): Long = osBean.getProcessCpuTime

  def heapUsed(): Long = {
    val rt = Runtime.getRuntime
    System.gc()
    System.gc()
    rt.totalMemory - rt.freeMemory
  }

  private val directPool = ManagementFactory
    .getPlatformMXBeans(classOf[java.lang.management.BufferPoolMXBean])
    .asScala
    .find(_.getName == "direct")
    .get

  /**
   * Native memory the server holds: the library's allocations and the JVM's direct buffers (IO blocks), after a GC has
   * let the Cleaner free the direct buffers nothing references any more.
   */
  def nativeUsed(): Long = {
    System.gc()
    var last = -1L
    var now = directPool.getMemoryUsed
    var tries = 0
    while (now != last && tries < 50) { Thread.sleep(20); last = now; now = directPool.getMemoryUsed; tries += 1 }
    NativeBindings.allocatedBytes() + now
  }

  /** VmRSS of this process (the test JVM is the server). */
  def rss(): Long = {
    val line = Files.readAllLines(Paths.get("/proc/self/status")).asScala.find(_.startsWith("VmRSS:")).get
    line.split("\\s+")(1).toLong * 1024
  }

  def curl(port: Int): (Int, String) = {
    val out = new StringBuilder
    val code = Seq("curl", "-sS", "--http2-prior-knowledge", "--max-time", "10", s"http://127.0.0.1:$port/")
      .!(ProcessLogger(l => out.append(l), l => out.append(l)))
    (code, out.toString)
  }

  /** A well-behaved client: GETs on its own connection, one after another, until closed. */
  final class GoodClient(port: Int) extends AutoCloseable {
    val ok = new AtomicInteger
    val failures = new ConcurrentLinkedQueue[String]
    @volatile private var running = true
    private val client = new AttackClient(port).handshake()
    private val thread = new Thread(
      () => {
        var id = 1
        while (running) {
          try {
            val r = client.get(id)
            client.clear()
            if (r.status == "200" && r.body == Hello) ok.incrementAndGet()
            else failures.add(s"stream $id: $r")
          } catch {
            case NonFatal(e) => if (running) failures.add(s"stream $id: $e")
          }
          id += 2
          Thread.sleep(5)
        }
      },
      "good-client"
    )
    thread.setDaemon(true)
    thread.start()

    def awaitOk(n: Int, timeout: FiniteDuration): Boolean = {
      val deadline = System.nanoTime() + timeout.toNanos
      while (ok.get < n && failures.isEmpty && System.nanoTime() < deadline) Thread.sleep(5)
      ok.get >= n
    }

    override def close(): Unit = {
      running = false
      thread.join(15000)
      client.close()
    }
  }

  final case class Figures(
      name: String,
      sends: String,
      answer: String,
      bytesSent: Long,
      cpuNanos: Long,
      heap0: Long,
      heapDuring: Long,
      heap1: Long,
      native0: Long,
      nativeDuring: Long,
      native1: Long,
      rss0: Long,
      rssPeak: Long,
      rss1: Long,
      goodDuring: Int,
      live0: Long,
      live1: Long
  ) {
    private def mib(n: Long) = f"${n.toDouble / MiB}%.1f"
    private def sent = if (bytesSent < 10240) s"$bytesSent B" else s"${bytesSent / 1024} kB"
    def cpuPerByte: Double = cpuNanos.toDouble / math.max(bytesSent, 1L)
    def describe: String =
      s"$name: sent $sent; answer: $answer; heap ${mib(heap0)} -> ${mib(heapDuring)} (during) -> " +
        s"${mib(heap1)} MiB; native ${mib(native0)} -> ${mib(nativeDuring)} -> ${mib(native1)} MiB; RSS ${mib(
            rss0
          )} -> ${mib(rssPeak)} (peak) -> ${mib(rss1)} MiB; CPU ${cpuNanos / 1000000} ms " +
        f"($cpuPerByte%.0f ns/octet); good client: $goodDuring OK during, 0 failed; native connections $live0 -> $live1"
    def row: String =
      s"| $name | $sends | $answer | ${mib(heap0)} → ${mib(heapDuring)} → ${mib(heap1)} | " +
        s"${mib(native0)} → ${mib(nativeDuring)} → ${mib(native1)} | " +
        s"${mib(rss0)} → ${mib(rssPeak)} → ${mib(rss1)} | $sent, ${cpuNanos / 1000000} ms, " +
        f"$cpuPerByte%.0f ns/octet | $goodDuring OK, 0 failed; curl after OK |"
  }
  object Figures {
    val header: String =
      "| Attack | Client sends | Server answer | Heap MiB before → during → after " +
        "| Native MiB before → during → after | RSS MiB before → peak → after " +
        "| Sent, CPU | Good client during / after |\n|---|---|---|---|---|---|---|---|"
  }
}
