/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import java.io.File
import java.nio.file.Files

import scala.concurrent.Await
import scala.concurrent.duration._
import scala.sys.process._

import io.grpc.{Status, StatusRuntimeException}
import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.grpc.GrpcClientSettings
import org.apache.pekko.http.scaladsl.Http
import org.apache.pekko.stream.scaladsl.{Keep, Sink, Source}
import org.apache.pekko.stream.{OverflowStrategy, QueueOfferResult}
import org.scalatest.BeforeAndAfterAll
import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

import h2native.scaladsl.NativeHttp2
import h2native.test.echo.{EchoClient, EchoHandler, EchoReply, EchoRequest}

/**
 * A pekko-grpc generated service served by h2native, called by real gRPC clients over loopback: pekko-grpc's own client
 * (grpc-java on Netty underneath) and Python's grpcio. Every call shape, errors, deadlines and cancellation.
 */
class GrpcOnH2nativeSpec extends AnyWordSpec with Matchers with BeforeAndAfterAll {
  implicit val system: ActorSystem = ActorSystem("GrpcOnH2nativeSpec")

  private val service = new EchoService
  private lazy val binding: Http.ServerBinding =
    Await.result(NativeHttp2(system).newServerAt("127.0.0.1", 0).bind(EchoHandler(service)), 30.seconds)
  private def port: Int = binding.localAddress.getPort
  private lazy val client =
    EchoClient(GrpcClientSettings.connectToServiceAt("127.0.0.1", port).withTls(false))

  override def afterAll(): Unit = {
    client.close()
    Await.result(binding.terminate(5.seconds), 30.seconds)
    Await.result(system.terminate(), 30.seconds)
  }

  private def await[T](f: scala.concurrent.Future[T]): T = Await.result(f, 30.seconds)

  private def statusOf(e: Throwable): Status = e match {
    case s: StatusRuntimeException => s.getStatus
    case other                     => fail(s"not a gRPC status: $other")
  }

  "pekko-grpc's client against a pekko-grpc service on h2native" should {
    "complete unary calls" in {
      (1 to 50).foreach(i => await(client.unary(EchoRequest(s"hello $i"))) shouldBe EchoReply(s"hello $i"))
    }

    "stream replies from the server" in {
      await(client.serverStream(EchoRequest("s", count = 200)).runWith(Sink.seq)) shouldBe
        (1 to 200).map(i => EchoReply(s"s-$i", i))
    }

    "stream requests from the client, including a large one" in {
      val texts = (1 to 100).map(i => s"c$i") :+ ("x" * 300000)
      await(client.clientStream(Source(texts.map(EchoRequest(_))))) shouldBe EchoReply(texts.mkString(","), texts.size)
    }

    "answer each bidi request before the client sends the next (the request entity streams)" in {
      val (queue, requests) = Source.queue[EchoRequest](8, OverflowStrategy.fail).preMaterialize()
      val replies = client.bidi(requests).toMat(Sink.queue())(Keep.right).run()
      for (i <- 1 to 5) {
        await(queue.offer(EchoRequest(s"b$i"))) shouldBe QueueOfferResult.Enqueued
        await(replies.pull()) shouldBe Some(EchoReply(s"b$i", i))
      }
      queue.complete()
      await(replies.pull()) shouldBe None
    }

    "carry a service error as its gRPC status and message" in {
      val e = intercept[StatusRuntimeException](await(client.unary(EchoRequest("nope", fail = true))))
      e.getStatus.getCode shouldBe Status.Code.INVALID_ARGUMENT
      e.getStatus.getDescription shouldBe "bad text: nope"
      await(client.unary(EchoRequest("after error"))) shouldBe EchoReply("after error")
    }

    "end a call whose deadline expires with DEADLINE_EXCEEDED and keep serving" in {
      val hurried = EchoClient(
        GrpcClientSettings.connectToServiceAt("127.0.0.1", port).withTls(false).withDeadline(300.millis)
      )
      try {
        val e = intercept[Exception](await(hurried.unary(EchoRequest("late", delayMs = 3000))))
        statusOf(e).getCode shouldBe Status.Code.DEADLINE_EXCEEDED
        await(hurried.unary(EchoRequest("on time"))) shouldBe EchoReply("on time")
      } finally hurried.close()
    }

    "stop the server's stream when the client cancels" in {
      val before = service.serverStreamEnds.size
      val firstThree =
        await(client.serverStream(EchoRequest("slow", count = 10000, delayMs = 20)).take(3).runWith(Sink.seq))
      firstThree.map(_.index) shouldBe Seq(1, 2, 3)
      val deadline = System.nanoTime() + 10.seconds.toNanos
      while (service.serverStreamEnds.size == before && System.nanoTime() < deadline) Thread.sleep(20)
      service.serverStreamEnds.size shouldBe before + 1
      // the server's source ends (cancelled) long before its 10000 elements at 20 ms each
      Await.ready(service.serverStreamEnds.toArray.last.asInstanceOf[scala.concurrent.Future[_]], 10.seconds)
      await(client.unary(EchoRequest("after cancel"))) shouldBe EchoReply("after cancel")
    }
  }

  "Python's grpcio against the same service" should {
    "pass every call shape, the error and the deadline" in {
      val benchDir = BenchPaths.benchDir
      val python = new File(BenchPaths.repoDir, "scripts/bench-grpc-tools.sh")
      val interpreter = Seq("bash", python.getPath, "grpcio").!!.trim.linesIterator.toList.last
      val work = Files.createTempDirectory("grpcio-")
      val script = new File(benchDir, "src/test/python/echo_client.py")
      val proto = new File(benchDir, "src/test/protobuf")
      val lines = Vector.newBuilder[String]
      val code = Process(Seq(interpreter, script.getPath, proto.getPath, work.toString, s"127.0.0.1:$port"))
        .!(ProcessLogger(l => lines += l, l => lines += l))
      val out = lines.result()
      withClue(out.mkString("\n")) {
        code shouldBe 0
        out should contain allElementsOf Seq(
          "ok unary",
          "ok server_stream",
          "ok client_stream",
          "ok bidi",
          "ok error",
          "ok deadline",
          "ok cancel"
        )
      }
    }
  }
}
