/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import scala.concurrent.duration._
import scala.concurrent.Await

import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.http.scaladsl.Http

/**
 * The bench-grpc entry point.
 *
 *   - `serve --backend pekko-http --port N`: serve the Greeter until killed.
 *   - `demo` (default): start the Greeter, call it once through a real pekko-grpc client, report.
 */
object Main {
  def main(args: Array[String]): Unit = args.toList match {
    case "serve" :: rest     => serve(options(rest))
    case Nil | "demo" :: Nil => demo()
    case other =>
      System.err.println(s"unknown arguments: ${other.mkString(" ")}")
      System.err.println("usage: serve --backend pekko-http [--host H] [--port N] | demo")
      sys.exit(2)
  }

  private def options(args: List[String]): Map[String, String] =
    args.grouped(2).collect { case List(k, v) if k.startsWith("--") => k.drop(2) -> v }.toMap

  private def serve(opts: Map[String, String]): Unit = {
    val backend = opts.getOrElse("backend", "pekko-http")
    val host = opts.getOrElse("host", "127.0.0.1")
    val port = opts.getOrElse("port", "50051").toInt
    implicit val system: ActorSystem = ActorSystem("bench-grpc")
    backend match {
      case "pekko-http" =>
        val binding = Await.result(Http().newServerAt(host, port).bind(GreeterServices.handler), 30.seconds)
        system.log.info("serving the Greeter on pekko-http at {}", binding.localAddress)
      case other =>
        System.err.println(s"backend '$other' is not built yet (available: pekko-http)")
        system.terminate()
        sys.exit(2)
    }
  }

  private def demo(): Unit = {
    implicit val system: ActorSystem = ActorSystem("bench-grpc-demo")
    try {
      val binding = Await.result(Http().newServerAt("127.0.0.1", 0).bind(GreeterServices.handler), 30.seconds)
      val port = binding.localAddress.getPort
      val ok = Await.result(Demo.roundTrip("127.0.0.1", port), 30.seconds)
      println(s"demo: Greeter on stock pekko-http at 127.0.0.1:$port answered ${if (ok) "correctly" else "WRONGLY"}")
      println("demo: not built yet: the h2native backend (issue 6), the ghz driver comparing backends (issue 7)")
      if (!ok) sys.exit(1)
    } finally Await.result(system.terminate(), 30.seconds)
  }
}
