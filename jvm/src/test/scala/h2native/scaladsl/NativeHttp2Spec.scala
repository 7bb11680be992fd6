/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.scaladsl

import java.io.File
import java.lang.management.ManagementFactory
import javax.management.ObjectName
import java.nio.file.{Files, Paths}
import java.security.{KeyStore, SecureRandom}
import javax.net.ssl.{KeyManagerFactory, SSLContext}

import scala.concurrent.duration._
import scala.concurrent.{Await, Future, Promise}
import scala.sys.process._

import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.http.scaladsl.{ConnectionContext, Http, HttpsConnectionContext}
import org.apache.pekko.http.scaladsl.model._
import org.apache.pekko.stream.scaladsl.Source
import org.apache.pekko.util.ByteString
import org.scalatest.BeforeAndAfterAll
import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

import h2native.ServerMetrics
import h2native.impl.NativeBindings

/** The server against real clients on loopback: curl, h2load and h2spec (installed by scripts/install-tools.sh). */
class NativeHttp2Spec extends AnyWordSpec with Matchers with BeforeAndAfterAll {
  implicit val system: ActorSystem = ActorSystem("NativeHttp2Spec")
  import system.dispatcher

  private val slowGate = Promise[Unit]()

  private val handler: HttpRequest => Future[HttpResponse] = { req =>
    req.uri.path.toString match {
      case "/echo" =>
        // a Strict request entity comes back Strict, a streamed one is streamed back as it arrives
        Future.successful(req.entity match {
          case HttpEntity.Strict(_, data) =>
            HttpResponse(entity = HttpEntity(ContentTypes.`application/octet-stream`, data))
          case streamed =>
            HttpResponse(entity =
              HttpEntity.Chunked.fromData(ContentTypes.`application/octet-stream`, streamed.dataBytes)
            )
        })
      case "/kind" =>
        req.entity.dataBytes.runFold(0L)(_ + _.length).map { n =>
          HttpResponse(entity = HttpEntity(s"${req.entity.getClass.getSimpleName} $n"))
        }
      case "/trailers" =>
        Future.successful(
          HttpResponse(entity = HttpEntity("body"))
            .addAttribute(AttributeKeys.trailer, Trailer(Seq(headers.RawHeader("grpc-status", "0"))))
        )
      case "/chunked" =>
        Future.successful(
          HttpResponse(entity =
            HttpEntity.Chunked(
              ContentTypes.`text/plain(UTF-8)`,
              Source(List("a", "b", "c").map(s => HttpEntity.Chunk(ByteString(s))) :+ HttpEntity.LastChunk)
            )
          )
        )
      case "/hop-by-hop" =>
        // headers an HTTP/1.1 handler may set and HTTP/2 forbids (RFC 9113 8.2.2)
        val hopByHop = List("Connection" -> "close", "Keep-Alive" -> "timeout=5", "Upgrade" -> "h2c", "X-Kept" -> "1")
        Future.successful(
          HttpResponse(headers = hopByHop.map { case (n, v) => headers.RawHeader(n, v) }, entity = HttpEntity("hop"))
        )
      case "/throw"  => throw new RuntimeException("boom (expected by the test)")
      case "/failed" => Future.failed(new RuntimeException("failed future (expected by the test)"))
      case "/slow"   => slowGate.future.map(_ => HttpResponse(entity = HttpEntity("slow done")))
      case _         => Future.successful(HttpResponse(entity = HttpEntity("hello from h2native")))
    }
  }

  // min-collect-strict-entity-size = 1: a small body is Strict whether curl's HEADERS and DATA arrive in one read
  // or two (with 0, a HEADERS-only read hands the request over at once, with a streamed entity)
  private lazy val binding: Http.ServerBinding =
    Await.result(
      NativeHttp2(system)
        .newServerAt("127.0.0.1", 0)
        .adaptSettings(_.adaptHttp2(_.withMinCollectStrictEntitySize(1)))
        .bind(handler),
      30.seconds
    )
  private def port: Int = binding.localAddress.getPort
  private def url(path: String) = s"http://127.0.0.1:$port$path"

  private lazy val toolsBin: String = {
    val script = new File("../scripts/install-tools.sh").getCanonicalFile
    val script2 = if (script.exists) script else new File("scripts/install-tools.sh").getCanonicalFile
    Seq("bash", script2.getPath).!!.trim.linesIterator.toList.last
  }

  /** A self-signed certificate made for this run by the JDK's keytool, in an SSLContext. */
  private lazy val httpsContext: HttpsConnectionContext = {
    val dir = Files.createTempDirectory("h2native-tls")
    val store = dir.resolve("server.p12")
    val password = "h2native-test"
    val keytool = Paths.get(sys.props("java.home"), "bin", "keytool").toString
    val (code, out) = run(
      Seq(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname") ++
        Seq("CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12") ++
        Seq("-keystore", store.toString, "-storepass", password, "-keypass", password)
    )
    withClue(out)(code shouldBe 0)
    val keys = KeyStore.getInstance("PKCS12")
    val in = Files.newInputStream(store)
    try keys.load(in, password.toCharArray)
    finally in.close()
    val kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm)
    kmf.init(keys, password.toCharArray)
    val ssl = SSLContext.getInstance("TLS")
    ssl.init(kmf.getKeyManagers, null, new SecureRandom)
    ConnectionContext.httpsServer(ssl)
  }

  private lazy val tlsBinding: Http.ServerBinding =
    Await.result(NativeHttp2(system).newServerAt("127.0.0.1", 0).enableHttps(httpsContext).bind(handler), 30.seconds)
  private def tlsUrl(path: String) = s"https://127.0.0.1:${tlsBinding.localAddress.getPort}$path"

  private def h2spec(port: Int, options: String*): Unit = {
    val (code, out) =
      run(Seq(s"$toolsBin/h2spec", "-S", "-h", "127.0.0.1", "-p", port.toString, "-o", "5") ++ options)
    val summary = out.linesIterator.filter(_.matches(""".*\d+ tests, \d+ passed.*""")).mkString
    info(s"h2spec ${options.mkString(" ")}: $summary")
    withClue(
      out.linesIterator
        .filter(l => l.contains("×") || l.contains("Expected") || l.contains("Actual"))
        .take(80)
        .mkString("\n")
    ) {
      code shouldBe 0
      summary should include("0 failed")
    }
  }

  private def run(cmd: Seq[String]): (Int, String) = {
    val lines = Vector.newBuilder[String]
    val code = Process(cmd).!(ProcessLogger(l => lines += l, l => lines += l))
    (code, lines.result().mkString("\n"))
  }

  private def curl(args: String*): (Int, String) =
    run(Seq("curl", "-sS", "--http2-prior-knowledge", "--max-time", "20") ++ args)

  override def afterAll(): Unit = {
    Await.result(tlsBinding.terminate(5.seconds), 30.seconds)
    Await.result(binding.terminate(5.seconds), 30.seconds)
    Await.result(system.terminate(), 30.seconds)
  }

  "NativeHttp2" should {
    "answer curl --http2-prior-knowledge over HTTP/2" in {
      val (code, out) = curl("-w", "\\n%{http_version} %{response_code}", url("/"))
      code shouldBe 0
      out shouldBe "hello from h2native\n2 200"
    }

    "echo a request body and deliver trailers and chunked responses" in {
      curl("--data-binary", "some request body", url("/echo"))._2 shouldBe "some request body"
      val big = "x" * 200000
      val file = File.createTempFile("h2native-body", ".txt")
      java.nio.file.Files.writeString(file.toPath, big)
      curl("--data-binary", s"@${file.getPath}", url("/echo"))._2.length shouldBe big.length
      curl(url("/chunked"))._2 shouldBe "abc"
      // one small chunk with END_STREAM: Strict; 200 kB over several reads: streamed (Default: it has a content-length)
      curl("--data-binary", "small", url("/kind"))._2 shouldBe "Strict 5"
      curl("--data-binary", s"@${file.getPath}", url("/kind"))._2 shouldBe s"Default ${big.length}"
      // nghttp -v prints every received header field, trailers included
      val (code, withTrailers) = run(Seq("nghttp", "-v", url("/trailers")))
      code shouldBe 0
      withTrailers should include("body")
      withTrailers should include("grpc-status: 0")
    }

    "answer HEAD with the headers only (RFC 9113 8.1.1)" in {
      val (code, out) = run(Seq("nghttp", "-v", "-H", ":method: HEAD", url("/")))
      withClue(out) {
        code shouldBe 0
        out should include("content-length: 19") // what GET would carry: "hello from h2native"
        out should not include "recv DATA frame"
        out should include("END_STREAM")
      }
    }

    "leave out connection-specific response headers the handler set (RFC 9113 8.2.2)" in {
      val (code, out) = run(Seq("nghttp", "-v", url("/hop-by-hop")))
      withClue(out) {
        code shouldBe 0
        out should include("x-kept: 1")
        out should include("hop")
        Seq("connection:", "keep-alive:", "upgrade:").foreach(h => out should not include h)
      }
    }

    "turn a throwing handler and a failed future into 500 and keep serving" in {
      curl("-w", "%{response_code}", "-o", "/dev/null", url("/throw"))._2 shouldBe "500"
      curl("-w", "%{response_code}", "-o", "/dev/null", url("/failed"))._2 shouldBe "500"
      curl(url("/"))._2 shouldBe "hello from h2native"
    }

    "refuse HTTP/1.1 clearly instead of hanging" in {
      val (code, out) = run(Seq("curl", "-sS", "--http1.1", "--max-time", "10", "-i", url("/")))
      code shouldBe 0
      out should include("505")
      out should include("HTTP/2")
    }

    "complete every request of h2load with many streams per connection" in {
      val (code, out) = run(Seq("h2load", "-n", "2000", "-c", "4", "-m", "50", url("/")))
      withClue(out) {
        code shouldBe 0
        out should include("2000 succeeded, 0 failed, 0 errored")
      }
    }

    "pass h2spec in strict mode" in h2spec(port)

    "serve curl over TLS, negotiating h2 with ALPN" in {
      val (code, out) = curl("-k", "--http2", "-w", "\n%{http_version} %{response_code}", tlsUrl("/"))
      withClue(out)(code shouldBe 0)
      out shouldBe "hello from h2native\n2 200"
      curl("-k", "--http2", "--data-binary", "over tls", tlsUrl("/echo"))._2 shouldBe "over tls"
    }

    "refuse a TLS client that offers only HTTP/1.1 in ALPN" in {
      val (code, _) = run(Seq("curl", "-sS", "-k", "--http1.1", "--max-time", "10", tlsUrl("/")))
      code should not be 0
      curl("-k", "--http2", tlsUrl("/"))._2 shouldBe "hello from h2native"
    }

    "pass h2spec in strict mode over TLS" in h2spec(tlsBinding.localAddress.getPort, "-t", "-k")

    "count connections, streams and bytes, readable from the API and over JMX" in {
      val metrics = NativeHttp2(system).metrics(binding.localAddress).get
      val streamsBefore = metrics.getStreamsOpened
      (1 to 5).foreach(_ => curl(url("/"))._1 shouldBe 0)
      metrics.engine shouldBe ServerMetrics.Native
      metrics.getStreamsOpened shouldBe streamsBefore + 5
      metrics.getConnectionsAccepted should be >= 5L
      metrics.getBytesIn should be > 0L
      metrics.getBytesOut should be > 0L
      val jmx = ManagementFactory.getPlatformMBeanServer
      val name = new ObjectName(s"""h2native:type=Server,address="127.0.0.1:$port"""")
      jmx.getAttribute(name, "StreamsOpened") shouldBe java.lang.Long.valueOf(metrics.getStreamsOpened)
      jmx.getAttribute(name, "Engine") shouldBe "native"
      // curl's connections have ended: their frames are counted (HEADERS both ways, SETTINGS and ACKs)
      val deadline = System.nanoTime() + 10.seconds.toNanos
      while (metrics.getConnectionsActive > 0 && System.nanoTime() < deadline) Thread.sleep(20)
      metrics.framesReceived("HEADERS") should be >= 5L
      metrics.framesSent("HEADERS") should be >= 5L
      metrics.framesSent("SETTINGS") should be >= 10L
      metrics.getNativeMemoryBytes should be > 0L
    }

    "leave no native connection behind" in {
      (1 to 20).foreach(_ => curl(url("/"))._1 shouldBe 0)
      val deadline = System.nanoTime() + 10.seconds.toNanos
      while (NativeBindings.liveConnections() > 0 && System.nanoTime() < deadline) Thread.sleep(50)
      NativeBindings.liveConnections() shouldBe 0L
    }

    "drain in-flight requests on graceful termination" in {
      val server = Await.result(NativeHttp2(system).newServerAt("127.0.0.1", 0).bind(handler), 30.seconds)
      val inFlight = Future(curl(s"http://127.0.0.1:${server.localAddress.getPort}/slow"))
      Thread.sleep(1000) // the request is in the handler now
      val terminated = server.terminate(10.seconds)
      Thread.sleep(200)
      slowGate.success(())
      Await.result(inFlight, 30.seconds) shouldBe ((0, "slow done"))
      Await.result(terminated, 30.seconds) shouldBe Http.HttpServerTerminated
    }
  }
}
