/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.attacks

import java.io.{BufferedReader, InputStreamReader, PrintWriter}
import java.nio.file.{Files, Paths}

import scala.concurrent.duration._
import scala.concurrent.{Await, Future}
import scala.util.control.NonFatal

import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.http.scaladsl.Http
import org.apache.pekko.http.scaladsl.model._
import org.scalatest.BeforeAndAfterAll
import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

import h2native.impl.NativeBindings
import h2native.scaladsl.NativeHttp2

/**
 * What a connection costs the server, measured with the clients in another process (jvm/src/test/python/h2_clients.py)
 * so that heap and native memory are the server's alone: heap after GC and native memory (the library's allocations
 * plus direct buffers) per idle connection, per connection with 100 open streams, per stream with a 1 MiB request body
 * held for a handler that does not read it. Then 10,000 idle connections against `max-connections = 4000`: 4,000 are
 * served, the rest wait in the accept backlog (served as others close), memory stays within what the idle figure
 * predicts, and a client connected before is served throughout. The figures go to target/connection-memory.md (README).
 */
class ConnectionMemorySpec extends AnyWordSpec with Matchers with BeforeAndAfterAll {
  import AttackSpec.{heapUsed, nativeUsed, GoodClient, MiB}
  import ConnectionMemorySpec._

  implicit val system: ActorSystem = ActorSystem("ConnectionMemorySpec")

  private val handler: HttpRequest => Future[HttpResponse] = { req =>
    // "/hold" never answers and never reads its entity: its stream, and whatever body arrived, stay
    if (req.uri.path.toString == "/hold") Future.never
    else Future.successful(HttpResponse(entity = HttpEntity(AttackSpec.Hello)))
  }

  private lazy val binding: Http.ServerBinding = Await.result(
    NativeHttp2(system)
      .newServerAt("127.0.0.1", 0)
      .adaptSettings(_.withMaxConnections(MaxConnections).withBacklog(4096).withIdleTimeout(10.minutes))
      .bind(handler),
    30.seconds
  )
  private def port: Int = binding.localAddress.getPort

  private var clients: Process = _
  private var toClients: PrintWriter = _
  private var fromClients: BufferedReader = _
  private val figures = Vector.newBuilder[String]

  /** Sends one command to the client process and returns its answer line. */
  private def command(line: String): String = {
    toClients.println(line)
    toClients.flush()
    val answer = fromClients.readLine()
    if (answer eq null) fail(s"the client process ended after '$line'")
    answer
  }

  private def open(n: Int, streams: Int = 0, body: Int = 0): Int = {
    val answer = command(s"open $n $streams $body")
    answer.split(' ') match { case Array("opened", _, "served", s) => s.toInt; case _ => fail(answer) }
  }

  private def served(): Int = command("served").split(' ')(1).toInt

  private def close(n: Int): Unit = command(s"close $n") shouldBe s"closed $n"

  private def awaitLive(expected: Long): Boolean = {
    val deadline = System.nanoTime() + 20.seconds.toNanos
    while (NativeBindings.liveConnections() > expected && System.nanoTime() < deadline) Thread.sleep(20)
    NativeBindings.liveConnections() <= expected
  }

  /** Heap and native memory after GC, in octets. */
  private def memory(): (Long, Long) = { val h = heapUsed(); (h, nativeUsed()) }

  /** Opens connections, measures what they add, closes them, and checks that the memory went back. */
  private def perUnit(
      what: String,
      units: Int,
      n: Int,
      streams: Int,
      body: Int,
      settle: FiniteDuration
  ): (Long, Long) = {
    val live0 = NativeBindings.liveConnections()
    val (heap0, native0) = memory()
    open(n, streams, body) shouldBe n
    Thread.sleep(settle.toMillis) // the streams' HEADERS and DATA arrive after the SETTINGS
    val (heap1, native1) = memory()
    close(n)
    withClue(s"$what: native connections after closing: ")(awaitLive(live0) shouldBe true)
    val (heap2, native2) = memory()
    val per = ((heap1 - heap0) / units, (native1 - native0) / units)
    figures += f"| $what | $units | ${kib(per._1)} | ${kib(per._2)} | ${mib(heap2 - heap0)} / ${mib(native2 - native0)} |"
    withClue(s"$what: memory after closing, heap ${mib(heap2 - heap0)} MiB, native ${mib(native2 - native0)} MiB: ") {
      (heap2 - heap0) should be < 8 * MiB
      (native2 - native0) should be < 8 * MiB
    }
    per
  }

  override def beforeAll(): Unit = {
    binding
    val script = Paths.get("src/test/python/h2_clients.py")
    require(Files.exists(script), s"$script (run from the jvm module's directory)")
    clients = new ProcessBuilder("python3", script.toString, port.toString).redirectErrorStream(true).start()
    toClients = new PrintWriter(clients.getOutputStream)
    fromClients = new BufferedReader(new InputStreamReader(clients.getInputStream))
    // warm-up: JIT, pools, the first connections' one-off costs
    (1 to 3).foreach { _ => open(200, 1) shouldBe 200; close(200) }
  }

  override def afterAll(): Unit = {
    try command("exit")
    catch { case NonFatal(_) => () }
    if (clients ne null) clients.destroy()
    val table = (TableHeader +: figures.result()).mkString("\n")
    println(table)
    try Files.writeString(Paths.get("target", "connection-memory.md"), table + "\n")
    catch { case NonFatal(_) => () }
    Await.result(binding.terminate(2.seconds), 30.seconds)
    Await.result(system.terminate(), 30.seconds)
  }

  "A connection" should {
    "cost a bounded, stated amount of heap and native memory when idle" in {
      val (heap, native) = perUnit("idle connection", 1000, 1000, 0, 0, 200.millis)
      info(s"idle connection: heap ${kib(heap)} KiB, native ${kib(native)} KiB")
      heap should be < IdleHeapBound
      native should be < IdleNativeBound
      idle = (heap, native)
    }

    "cost a bounded amount with 100 streams open" in {
      val (heap, native) = perUnit("connection with 100 open streams", 20, 20, 100, 0, 1.second)
      info(s"connection with 100 open streams: heap ${kib(heap)} KiB, native ${kib(native)} KiB")
      heap should be < 2 * MiB
      native should be < MiB
    }

    "hold about the body itself for a stream with a 1 MiB request body in flight" in {
      val (heap, native) = perUnit("stream with a 1 MiB body held", 20, 20, 1, 1 << 20, 2.seconds)
      info(s"stream with a 1 MiB body held: heap ${kib(heap)} KiB, native ${kib(native)} KiB")
      // the body itself, held on the heap as received (a window's worth at most), plus its stream's cost
      heap should (be > 900L * 1024 and be < 2 * MiB)
      native should be < 256L * 1024
    }
  }

  "10,000 concurrent idle connections" should {
    "be served up to max-connections, the rest wait, memory as the idle figure predicts, a good client served" in {
      val good = new GoodClient(port)
      try {
        good.awaitOk(1, 10.seconds) shouldBe true
        val live0 = NativeBindings.liveConnections()
        val (heap0, native0) = memory()
        val first = open(10000)
        val servedNow = served()
        withClue(s"served at first $first, now $servedNow: ")(servedNow shouldBe MaxConnections - 1) // + the good one
        val (heap1, native1) = memory()
        val heapPer = (heap1 - heap0) / servedNow
        val nativePer = (native1 - native0) / servedNow
        val okBefore = good.ok.get
        good.awaitOk(okBefore + 3, 10.seconds) shouldBe true
        // the rest waited in the backlog: they are served as others go
        close(1000)
        val deadline = System.nanoTime() + 30.seconds.toNanos
        while (served() < MaxConnections - 1 && System.nanoTime() < deadline) Thread.sleep(200)
        val afterClose = served()
        close(9000)
        withClue(s"native connections after closing: ")(awaitLive(live0) shouldBe true)
        withClue(good.failures.toString)(good.failures.isEmpty shouldBe true)
        val row =
          f"| 10,000 idle connections, max-connections $MaxConnections | ${MaxConnections - 1} served | " +
            f"${kib(heapPer)} | ${kib(nativePer)} | ${mib(heap1 - heap0)} / ${mib(native1 - native0)} MiB in all; " +
            f"after 1,000 closed: $afterClose served |"
        figures += row
        info(row)
        afterClose shouldBe (MaxConnections - 1) // 1,000 waiting ones took the places of the closed ones
        // what the idle figure predicts, with room for the accept backlog's connections and for noise
        heapPer should be < idle._1 * 3 / 2 + 4096
        nativePer should be < idle._2 * 3 / 2 + 4096
      } finally good.close()
    }
  }

  private var idle: (Long, Long) = (IdleHeapBound, IdleNativeBound)
}

object ConnectionMemorySpec {
  final val MaxConnections = 4000
  final val IdleHeapBound = 64L * 1024
  final val IdleNativeBound = 64L * 1024

  def kib(n: Long): String = f"${n.toDouble / 1024}%.1f"
  def mib(n: Long): String = f"${n.toDouble / (1024 * 1024)}%.1f"

  val TableHeader: String =
    "| What | Count | Heap KiB each | Native KiB each | Left after closing (heap / native MiB) |\n|---|---|---|---|---|"
}
