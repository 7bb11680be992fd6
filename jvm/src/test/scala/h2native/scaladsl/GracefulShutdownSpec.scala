/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.scaladsl

import java.util.concurrent.ThreadLocalRandom
import java.util.concurrent.atomic.{AtomicInteger, AtomicLong}

import scala.collection.mutable
import scala.concurrent.duration._
import scala.concurrent.{Await, Future}

import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.http.scaladsl.model._
import org.apache.pekko.pattern.{after => later}
import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

import h2native.attacks.{AttackClient, Frame, H2, Hpack}
import h2native.impl.NativeBindings

/**
 * `ServerBinding.terminate(deadline)` while clients keep the server saturated: no call the server accepted is lost.
 * Counted from the client side: every stream up to the final GOAWAY's last-stream-id is answered in full (its own id
 * echoed) or refused with REFUSED_STREAM, nothing above it was processed, and the handler ran exactly as many times as
 * clients got answers.
 */
class GracefulShutdownSpec extends AnyWordSpec with Matchers {
  import GracefulShutdownSpec._

  "terminate(deadline) under saturation" should {
    "answer or refuse every stream, and run the handler only for the answered ones" in {
      implicit val system: ActorSystem = ActorSystem("GracefulShutdownSpec")
      val handled = new AtomicLong
      // one call in four answers after 1-20 ms, so that calls are in the handler when the GOAWAY goes out
      val handler: HttpRequest => Future[HttpResponse] = { req =>
        handled.incrementAndGet()
        val body = HttpEntity(req.uri.path.toString)
        val random = ThreadLocalRandom.current()
        if (random.nextInt(4) != 0) Future.successful(HttpResponse(entity = body))
        else later((1 + random.nextInt(20)).millis)(Future.successful(HttpResponse(entity = body)))
      }
      val binding = Await.result(NativeHttp2(system).newServerAt("127.0.0.1", 0).bind(handler), 30.seconds)
      val live0 = NativeBindings.liveConnections() // the library is loaded now
      try {
        val port = binding.localAddress.getPort
        // half the clients acknowledge the server's PING, half never do (the final GOAWAY then follows a timeout)
        val loads = (1 to Connections).map(i => new Load(port, ackPings = i % 2 == 0))
        loads.foreach(_.start())
        // saturated: every connection keeps InFlight streams open for a while
        val deadline = System.nanoTime() + 20.seconds.toNanos
        while (loads.map(_.completed.get).sum < 5000 && System.nanoTime() < deadline) Thread.sleep(10)
        val before = loads.map(_.completed.get).sum
        Await.result(binding.terminate(10.seconds), 30.seconds)
        loads.foreach(_.join())
        val results = loads.map(_.result())
        val completed = results.map(_.completed).sum
        val refused = results.map(_.refused).sum
        val unprocessed = results.map(_.unprocessed).sum
        info(
          s"$Connections connections x $InFlight streams in flight: $before calls before terminate, $completed in " +
            s"all; at shutdown $refused refused (REFUSED_STREAM), $unprocessed above GOAWAY's last-stream-id"
        )
        results.foreach { r =>
          withClue(s"connection: ${r.problems.take(5).mkString("; ")}: ")(r.problems shouldBe empty)
        }
        completed should be > before
        handled.get shouldBe completed
        NativeBindings.liveConnections() shouldBe live0
      } finally Await.result(system.terminate(), 30.seconds)
    }
  }

}

object GracefulShutdownSpec {
  import H2._

  final val Connections = 8
  final val InFlight = 40

  final case class Outcome(completed: Long, refused: Int, unprocessed: Int, problems: Vector[String])

  /** One connection sending GETs for `/<id>` with `InFlight` outstanding, until the server's final GOAWAY. */
  final class Load(port: Int, ackPings: Boolean) extends Thread {
    setDaemon(true)
    val completed = new AtomicLong
    private val client = new AttackClient(port).handshake()
    client.send(windowUpdate(0, MaxWindow - 65535))
    private val open = mutable.LongMap.empty[StringBuilder] // stream -> body so far
    private val outcomes = mutable.LongMap.empty[String] // stream -> "ok" | "refused" | what went wrong
    private var goawayLast = Int.MaxValue
    private var sawGoaway = false
    private var finalAt = 0L
    private var next = 1
    private val refused = new AtomicInteger

    override def run(): Unit = {
      var ended = false
      while (!ended) {
        // A client stops opening streams once it has read a GOAWAY. These go on until 50 ms after the final one (its
        // last-stream-id below 2^31-1), as a client whose requests crossed it on the wire: streams above it are seen.
        if ((finalAt == 0 || System.nanoTime() - finalAt < 50.millis.toNanos) && open.size < InFlight) {
          val ids = Iterator.continually { val id = next; next += 2; id }.take(InFlight - open.size).toVector
          ids.foreach(id => open(id.toLong) = new StringBuilder)
          client.sendAll(ids.iterator.map(id => headers(id, Hpack.request(s"/$id"), endStream = true)))
        }
        val frames = client.drain(200.millis)
        frames.foreach(onFrame)
        ended = frames.isEmpty && client.closedBy.isDefined
      }
      client.close()
    }

    private def onFrame(f: Frame): Unit = f.tpe match {
      case PING if ackPings && !f.has(ACK) => client.send(frame(PING, ACK, 0, f.payload))
      case GOAWAY =>
        if (f.lastStreamId < Int.MaxValue && finalAt == 0) finalAt = System.nanoTime()
        sawGoaway = true
        goawayLast = math.min(goawayLast, f.lastStreamId)
      case HEADERS if f.status.exists(_ != "200") => outcomes(f.stream.toLong) = s"status ${f.status}"
      case DATA =>
        open.get(f.stream.toLong).foreach(_.append(new String(f.payload, "UTF-8")))
        if (f.has(END_STREAM)) finish(f.stream)
      case HEADERS if f.has(END_STREAM) => finish(f.stream)
      case RST_STREAM =>
        open.remove(f.stream.toLong)
        if (f.errorCode == REFUSED_STREAM) { outcomes(f.stream.toLong) = "refused"; refused.incrementAndGet() }
        else outcomes(f.stream.toLong) = s"reset with 0x${f.errorCode.toHexString}"
      case _ => ()
    }

    private def finish(id: Int): Unit =
      open.remove(id.toLong).foreach { body =>
        if (body.toString == s"/$id") { outcomes(id.toLong) = "ok"; completed.incrementAndGet() }
        else outcomes(id.toLong) = s"body '$body'"
      }

    def result(): Outcome = {
      val problems = Vector.newBuilder[String]
      var unprocessed = 0
      var id = 1
      while (id < next) {
        val o = outcomes.get(id.toLong)
        if (id <= goawayLast) {
          if (!o.contains("ok") && !o.contains("refused"))
            problems += s"stream $id (<= last $goawayLast): ${o.getOrElse("no answer")}"
        } else if (o.exists(_ != "refused")) problems += s"stream $id (> last $goawayLast) processed: ${o.get}"
        else unprocessed += 1
        id += 2
      }
      if (!sawGoaway) problems += "no GOAWAY"
      Outcome(completed.get, refused.get, unprocessed, problems.result())
    }
  }
}
