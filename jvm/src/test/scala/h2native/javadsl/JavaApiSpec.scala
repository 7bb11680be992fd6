/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.javadsl

import java.time.Duration
import java.util.concurrent.TimeUnit

import scala.concurrent.Await
import scala.concurrent.duration._
import scala.sys.process._

import org.apache.pekko.actor.ActorSystem
import org.scalatest.BeforeAndAfterAll
import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

/** The javadsl server, bound from Java code (JavaServerExample), answering curl over HTTP/2. */
class JavaApiSpec extends AnyWordSpec with Matchers with BeforeAndAfterAll {
  private val system = ActorSystem("JavaApiSpec")

  override def afterAll(): Unit = Await.result(system.terminate(), 30.seconds)

  private def curl(args: String*): (Int, String) = {
    val out = new StringBuilder
    val code = (Seq("curl", "-sS", "--http2-prior-knowledge", "--max-time", "20") ++ args)
      .!(ProcessLogger(l => out.append(l).append('\n'), l => out.append(l).append('\n')))
    (code, out.toString.trim)
  }

  "The Java API" should {
    "serve a Java handler over HTTP/2 and terminate gracefully" in {
      val binding = JavaServerExample.bind(system).toCompletableFuture.get(30, TimeUnit.SECONDS)
      val base = s"http://127.0.0.1:${binding.localAddress.getPort}"
      curl("-w", "\\n%{http_version}", s"$base/java") shouldBe ((0, "hello from a Java handler\n2"))
      curl("--data-binary", "a body from curl", s"$base/echo") shouldBe ((0, "a body from curl"))
      binding.terminate(Duration.ofSeconds(5)).toCompletableFuture.get(30, TimeUnit.SECONDS)
      curl(s"$base/java")._1 should not be 0 // unbound
    }
  }
}
