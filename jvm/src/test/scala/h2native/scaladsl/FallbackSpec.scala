/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.scaladsl

import scala.concurrent.duration._
import scala.concurrent.{Await, Future}
import scala.sys.process._

import com.typesafe.config.ConfigFactory
import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.http.scaladsl.model.{HttpEntity, HttpRequest, HttpResponse}
import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

import h2native.ServerMetrics
import h2native.impl.NativeLibraryException

/** What `NativeHttp2` does when the native library cannot be used, with and without `h2native.fallback`. */
class FallbackSpec extends AnyWordSpec with Matchers {
  private val handler: HttpRequest => Future[HttpResponse] =
    _ => Future.successful(HttpResponse(entity = HttpEntity("served anyway")))

  private def withSystem(fallback: String)(test: ActorSystem => Unit): Unit = {
    val system = ActorSystem("FallbackSpec", ConfigFactory.parseString(s"h2native.fallback = $fallback"))
    try test(system)
    finally Await.result(system.terminate(), 30.seconds)
  }

  "NativeHttp2 without its native library" should {
    "fail the bind with the loader's reason by default" in withSystem("none") { system =>
      val bound = NativeHttp2(system).newServerAt("127.0.0.1", 0).bindWithoutNativeLibrary("simulated: no lib", handler)
      val e = intercept[NativeLibraryException](Await.result(bound, 30.seconds))
      e.getMessage shouldBe "simulated: no lib"
    }

    "serve through stock pekko-http over HTTP/2 with h2native.fallback = pekko-http, and say so in a metric" in
      withSystem("pekko-http") { system =>
        val binding = Await.result(
          NativeHttp2(system).newServerAt("127.0.0.1", 0).bindWithoutNativeLibrary("simulated: no lib", handler),
          30.seconds
        )
        try {
          val url = s"http://127.0.0.1:${binding.localAddress.getPort}/"
          Seq(
            "curl",
            "-sS",
            "--http2-prior-knowledge",
            "--max-time",
            "20",
            "-w",
            "\\n%{http_version}",
            url
          ).!!.trim shouldBe
            "served anyway\n2"
          NativeHttp2(system).metrics(binding.localAddress).map(_.engine) shouldBe Some(ServerMetrics.PekkoHttp)
        } finally Await.result(binding.terminate(5.seconds), 30.seconds)
        NativeHttp2(system).metrics(binding.localAddress) shouldBe None
      }

    "reject an unknown fallback name with a clear message" in {
      val e = intercept[IllegalArgumentException](h2native.Fallback("netty"))
      e.getMessage should include("'none' or 'pekko-http'")
    }
  }
}
