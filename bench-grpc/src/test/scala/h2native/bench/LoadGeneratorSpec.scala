/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import java.nio.file.Files

import scala.concurrent.Await
import scala.concurrent.duration._

import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.http.scaladsl.Http
import org.scalatest.BeforeAndAfterAll
import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec
import spray.json._

import h2native.scaladsl.NativeHttp2

/**
 * h2native-load against the bench Greeter on h2native and on stock pekko-http, in this JVM: every shape of header
 * block, every call answered and its payload checked; a wrong expected payload is reported as such (the check can
 * fail); the payload files are the messages of the JSON payloads ghz sends.
 */
class LoadGeneratorSpec extends AnyWordSpec with Matchers with BeforeAndAfterAll {
  implicit val system: ActorSystem = ActorSystem("LoadGeneratorSpec")

  private lazy val h2native: Http.ServerBinding =
    Await.result(NativeHttp2(system).newServerAt("127.0.0.1", 0).bind(GreeterServices.serverHandler), 30.seconds)
  private lazy val pekkoHttp: Http.ServerBinding = Await.result(
    Http().newServerAt("127.0.0.1", 0).adaptSettings(_.withEnableHttp2(true)).bind(GreeterServices.serverHandler),
    30.seconds
  )
  private val dir = Files.createTempDirectory("h2native-load").toFile

  override def afterAll(): Unit = Await.result(system.terminate(), 30.seconds)

  private def run(port: Int, scenario: Scenario, flags: String*): LoadGenerator.Result =
    LoadGenerator.run(LoadGenerator.command(scenario, dir, "127.0.0.1", port, flags))

  "The payload files" should {
    "carry the messages of the JSON payloads ghz sends" in {
      Scenario.all.foreach { s =>
        val json = new String(Files.readAllBytes(BenchPaths.payloadDir.toPath.resolve(s.payload)), "UTF-8")
        val request = json.parseJson.asJsObject.fields("request").asJsObject.fields
        val hello = if (s.name == "complex_proto") Payloads.complexHello.name else Payloads.stringHello.name
        request("name") shouldBe JsString(hello)
        val (req, resp) = Payloads.frames(s.name)
        req(0) shouldBe 0 // uncompressed
        java.nio.ByteBuffer.wrap(req, 1, 4).getInt shouldBe req.length - 5
        resp shouldBe req // the Greeter echoes `request` into `response`, both field 1
      }
      Payloads.complexHello.pets.map(_.name) shouldBe Seq("Rex the dog", "Tom the cat")
    }
  }

  "h2native-load" should {
    for (shape <- Seq("identical", "grpc-timeout", "traceparent"); scenario <- Scenario.all)
      s"complete every call with the expected payload: $shape, ${scenario.name}, on h2native and pekko-http" in {
        Seq(h2native, pekkoHttp).foreach { b =>
          val r = run(
            b.localAddress.getPort,
            scenario,
            "--requests",
            "3000",
            "--connections",
            "4",
            "--streams",
            "10",
            "--shape",
            shape
          )
          withClue(r.raw)((r.calls, r.ok, r.errorCount) shouldBe ((3000L, 3000L, 0L)))
        }
      }

    "report a payload that differs from the expected one" in {
      val scenario = Scenario.all.head
      val (req, _) = Payloads.write(scenario.name, dir)
      val wrong = new java.io.File(dir, "wrong.bin")
      val bytes = Files.readAllBytes(req.toPath)
      bytes(bytes.length - 1) = (bytes(bytes.length - 1) ^ 1).toByte
      Files.write(wrong.toPath, bytes)
      val cmd =
        LoadGenerator.command(scenario, dir, "127.0.0.1", h2native.localAddress.getPort, Seq("--requests", "100"))
      val r = LoadGenerator.run(cmd.updated(cmd.indexOf("--response") + 1, wrong.getPath))
      withClue(r.raw)((r.ok, r.errors) shouldBe ((0L, Map("payload" -> 100L))))
    }

    "cancel, churn connections and keep a fixed rate" in {
      val port = h2native.localAddress.getPort
      val scenario = Scenario.all.last
      val churn = run(
        port,
        scenario,
        "--requests",
        "4000",
        "--connections",
        "4",
        "--calls-per-connection",
        "100",
        "--cancel-percent",
        "10"
      )
      withClue(churn.raw) {
        churn.errorCount shouldBe 0
        churn.ok + churn.cancelled shouldBe 4000
        churn.cancelled should be > 0L
        churn.connectionsOpened should be >= 40L // 100 calls each
      }
      val rate = run(port, scenario, "--duration", "2", "--rate", "1000", "--connections", "2")
      withClue(rate.raw) {
        rate.errorCount shouldBe 0
        rate.ok.toDouble should (be >= 1900.0 and be <= 2100.0)
      }
    }
  }
}
