/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import scala.concurrent.Await
import scala.concurrent.duration._

import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.http.scaladsl.Http

/**
 * The bench-grpc entry point.
 *
 *   - `saturate [quick|full|smoke] [flags]` (the default, quick): the servers saturated by h2native-load, CPU per call,
 *     latency at equal load; see [[SaturationConfig.usage]] and bench-grpc/README.md.
 *   - `bench [quick|full|smoke] [flags]`: the ghz comparison (ghz is the ceiling on one core); see
 *     [[DriverConfig.usage]].
 *   - `serve --backend h2native|pekko-http|grpc-java [--host H] [--port N]`: serve the Greeter until killed.
 *   - `server-command --backend B [--host H] [--port N]`: print the command the driver runs for a server.
 *   - `demo`: start the Greeter on stock pekko-http, call it once through a real pekko-grpc client, report.
 *   - `payload --scenario S --out DIR`: write the scenario's request and reply as gRPC frames (for h2native-load).
 */
object Main {
  private val usage =
    s"""usage: bench-grpc [saturate] ...   (the default: saturate quick)
       |${SaturationConfig.usage.linesIterator.map("       " + _).mkString("\n")}
       |${DriverConfig.usage.linesIterator.map("       " + _).mkString("\n")}
       |       bench-grpc serve --backend ${Backend.all.mkString("|")} [--host 127.0.0.1] [--port 50051]
       |       bench-grpc server-command --backend B [--host H] [--port N]
       |       bench-grpc demo
       |       bench-grpc payload --scenario complex_proto|string_100B --out DIR""".stripMargin

  def main(args: Array[String]): Unit = args.toList match {
    case Nil                => sys.exit(Saturation.main(Nil))
    case "saturate" :: rest => sys.exit(Saturation.main(rest))
    case "bench" :: rest    => sys.exit(Driver.main(rest))
    case "serve" :: rest    => withServer(rest)((b, h, p) => Serve.run(b, h, p))
    case "server-command" :: rest =>
      withServer(rest) { (b, h, p) =>
        println(ServerJvm.command(b, h, p, Some(0)).map(a => if (a.contains(' ')) s"'$a'" else a).mkString(" "))
      }
    case "demo" :: Nil => demo()
    case "payload" :: "--scenario" :: scenario :: "--out" :: dir :: Nil =>
      val (req, resp) = Payloads.write(scenario, new java.io.File(dir))
      println(s"$req $resp")
    case other =>
      System.err.println(s"unknown arguments: ${other.mkString(" ")}")
      System.err.println(usage)
      sys.exit(2)
  }

  private def withServer(args: List[String])(f: (Backend, String, Int) => Unit): Unit = {
    val opts = args.grouped(2).collect { case List(k, v) if k.startsWith("--") => k.drop(2) -> v }.toMap
    val unknown = opts.keySet -- Set("backend", "host", "port")
    val backend = Backend.byName(opts.getOrElse("backend", "pekko-http"))
    if (unknown.nonEmpty || args.size % 2 != 0 || backend.isEmpty) {
      System.err.println(s"bad arguments: ${args.mkString(" ")}")
      System.err.println(usage)
      sys.exit(2)
    }
    f(backend.get, opts.getOrElse("host", "127.0.0.1"), opts.getOrElse("port", "50051").toInt)
  }

  private def demo(): Unit = {
    implicit val system: ActorSystem = ActorSystem("bench-grpc-demo")
    try {
      val binding = Await.result(Http().newServerAt("127.0.0.1", 0).bind(GreeterServices.handler), 30.seconds)
      val port = binding.localAddress.getPort
      val ok = Await.result(Demo.roundTrip("127.0.0.1", port), 30.seconds)
      println(s"demo: Greeter on stock pekko-http at 127.0.0.1:$port answered ${if (ok) "correctly" else "WRONGLY"}")
      if (!ok) sys.exit(1)
    } finally Await.result(system.terminate(), 30.seconds)
  }
}
