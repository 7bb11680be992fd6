/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import scala.concurrent.Await
import scala.concurrent.duration._

import com.typesafe.config.ConfigFactory
import org.apache.pekko.actor.ActorSystem

/**
 * `serve --backend B --host H --port P`: one server until the process is killed. Prints exactly one line, `listening on
 * H:P` (P the bound port, so `--port 0` works), once it accepts connections.
 */
object Serve {
  val ListeningLine = """listening on (.+):(\d+)""".r

  /** Set by the driver: the server exits when its stdin (a pipe from the driver) closes, so none outlives it. */
  val ExitWithParentEnv = "H2NATIVE_BENCH_EXIT_ON_STDIN_EOF"

  /**
   * Set by scripts/soak.sh: every this many milliseconds the server prints `stats: heap_after_gc_mb=...
   * native_connections=... native_memory_mb=...` (a System.gc() first, so the heap figure is what stays live).
   */
  val StatsEveryEnv = "H2NATIVE_BENCH_STATS_EVERY_MS"

  def run(backend: Backend, host: String, port: Int): Unit = {
    if (sys.env.contains(ExitWithParentEnv)) exitWhenStdinCloses()
    Backend.notBuilt(backend).foreach { why =>
      System.err.println(s"backend ${backend.name} is $why")
      sys.exit(3)
    }
    backend match {
      case Backend.H2Native  => servePekko(PekkoBinders.h2native.get, host, port)
      case Backend.PekkoHttp => servePekko(PekkoBinders.pekkoHttp, host, port)
      case Backend.GrpcJava =>
        val server = GrpcJavaServer.start(host, port)
        sys.addShutdownHook(server.shutdownNow())
        listening(host, server.getPort)
        server.awaitTermination()
    }
  }

  /** The server's actor system: bench-server.conf (dispatcher, limits) over application.conf. */
  def serverConfig = ConfigFactory.parseResources("bench-server.conf").withFallback(ConfigFactory.load())

  private def servePekko(binder: HandlerBinder, host: String, port: Int): Unit = {
    implicit val system: ActorSystem = ActorSystem("bench-grpc-server", serverConfig)
    val binding =
      try Await.result(binder.bind(system, host, port, GreeterServices.serverHandler), 30.seconds)
      catch {
        case e: Exception =>
          System.err.println(s"cannot bind $host:$port: $e")
          system.terminate()
          sys.exit(1)
      }
    listening(host, binding.localAddress.getPort)
    sys.env
      .get(StatsEveryEnv)
      .map(_.toLong)
      .foreach(every => printStats(every, native = binder eq PekkoBinders.h2native.get))
  }

  private def printStats(everyMs: Long, native: Boolean): Unit = {
    val t = new Thread(
      () =>
        while (true) {
          Thread.sleep(everyMs)
          System.gc()
          val heap = java.lang.management.ManagementFactory.getMemoryMXBean.getHeapMemoryUsage.getUsed
          val (conns, mem) =
            if (native) (h2native.impl.NativeBindings.liveConnections(), h2native.impl.NativeBindings.allocatedBytes())
            else (0L, 0L)
          println(
            f"stats: heap_after_gc_mb=${heap / 1048576.0}%.1f native_connections=$conns native_memory_mb=${mem / 1048576.0}%.2f"
          )
          System.out.flush()
        },
      "soak-stats"
    )
    t.setDaemon(true)
    t.start()
  }

  private def exitWhenStdinCloses(): Unit = {
    val watcher = new Thread(
      () => {
        while (System.in.read() >= 0) ()
        System.err.println("stdin closed: the driver is gone, stopping")
        sys.exit(0)
      },
      "exit-with-parent"
    )
    watcher.setDaemon(true)
    watcher.start()
  }

  private def listening(host: String, port: Int): Unit = {
    println(s"listening on $host:$port")
    System.out.flush()
  }
}
