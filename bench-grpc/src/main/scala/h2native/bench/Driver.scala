/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import java.io.File
import java.nio.file.Files
import java.time.LocalDateTime
import java.time.format.DateTimeFormatter

import scala.concurrent.{Await, Future}
import scala.concurrent.duration._
import scala.util.Try
import scala.util.control.NonFatal

import com.typesafe.config.ConfigFactory
import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.http.scaladsl.Http
import org.apache.pekko.http.scaladsl.model.{HttpEntity, HttpMethods, HttpRequest, StatusCodes}
import org.apache.pekko.stream.scaladsl.{Sink, Source}

/** A grpc_bench scenario: its proto (in src/main/protobuf), the method ghz calls, its payload (in payloads/). */
final case class Scenario(name: String, proto: String, call: String, payload: String)

object Scenario {
  val all: Seq[Scenario] = Seq(
    Scenario("complex_proto", "complex_proto.proto", "bench.complex.Greeter.SayHello", "complex_proto.json"),
    Scenario("string_100B", "string_100b.proto", "bench.string100b.Greeter.SayHello", "string_100B.json")
  )
}

/** ghz's load: concurrent workers over so many connections. */
final case class Load(concurrency: Int, connections: Int) {
  def label: String = s"c=$concurrency/conns=$connections"
}

object Load {

  /** grpc_bench's load (`--concurrency=1000 --connections=50`), then a lighter one. */
  val defaults: Seq[Load] = Seq(Load(1000, 50), Load(50, 5))

  def parse(s: String): Load = s.split('x') match {
    case Array(c, n) => Load(c.trim.toInt, n.trim.toInt)
    case _           => throw new IllegalArgumentException(s"a load is CONCURRENCYxCONNECTIONS, e.g. 1000x50: $s")
  }
}

/** The presets: warm-up per server and scenario, each measured run's duration, repetitions. */
final case class Mode(name: String, warmup: FiniteDuration, duration: FiniteDuration, reps: Int)

object Mode {
  val quick: Mode = Mode("quick", 5.seconds, 5.seconds, 2)
  val full: Mode = Mode("full", 15.seconds, 20.seconds, 5)
  // long enough that a loaded CI machine still completes calls at c=1000 (a 2 s run once saw none finish)
  val smoke: Mode = Mode("smoke", 2.seconds, 3.seconds, 1)
  val all: Seq[Mode] = Seq(quick, full, smoke)
}

final case class DriverConfig(
    mode: Mode,
    backends: Seq[Backend],
    scenarios: Seq[Scenario],
    loads: Seq[Load],
    outDir: File,
    pin: Boolean,
    host: String
) {
  def warmup: FiniteDuration = mode.warmup
  def duration: FiniteDuration = mode.duration
  def reps: Int = mode.reps
}

object DriverConfig {
  val usage: String =
    """usage: bench [quick|full|smoke] [--duration 5s] [--warmup 5s] [--reps N]
      |             [--concurrency N --connections M | --loads 1000x50,50x5]
      |             [--backends h2native,pekko-http,grpc-java] [--scenarios complex_proto,string_100B]
      |             [--out DIR] [--no-pin]""".stripMargin

  def parse(args: List[String]): Either[String, DriverConfig] = Try {
    val (modeArgs, rest) = args.span(a => !a.startsWith("--"))
    val mode = modeArgs match {
      case Nil         => Mode.quick
      case name :: Nil => Mode.all.find(_.name == name).getOrElse(throw new IllegalArgumentException(s"no mode $name"))
      case more        => throw new IllegalArgumentException(s"one mode at most: ${more.mkString(" ")}")
    }
    val flags = Set("--no-pin")
    def options(xs: List[String], acc: Map[String, String]): Map[String, String] = xs match {
      case Nil                                                         => acc
      case f :: tail if flags.contains(f)                              => options(tail, acc + (f.drop(2) -> "true"))
      case k :: v :: tail if k.startsWith("--") && !v.startsWith("--") => options(tail, acc + (k.drop(2) -> v))
      case other :: _ => throw new IllegalArgumentException(s"unexpected: $other")
    }
    val o = options(rest, Map.empty)
    val known = Set(
      "duration",
      "warmup",
      "reps",
      "concurrency",
      "connections",
      "loads",
      "backends",
      "scenarios",
      "out",
      "no-pin",
      "host"
    )
    o.keys.find(!known.contains(_)).foreach(k => throw new IllegalArgumentException(s"unknown option --$k"))
    def list(s: String) = s.split(',').map(_.trim).filter(_.nonEmpty).toSeq
    def duration(s: String) = Duration(s) match {
      case d: FiniteDuration => d
      case _                 => throw new IllegalArgumentException(s"not a finite duration: $s")
    }
    val loads = (o.get("concurrency"), o.get("connections"), o.get("loads")) match {
      case (None, None, None)     => Load.defaults
      case (None, None, Some(ls)) => list(ls).map(Load.parse)
      case (c, n, None)           => Seq(Load(c.getOrElse("1000").toInt, n.getOrElse("50").toInt))
      case _ => throw new IllegalArgumentException("--loads or --concurrency/--connections, not both")
    }
    DriverConfig(
      mode = mode.copy(
        warmup = o.get("warmup").map(duration).getOrElse(mode.warmup),
        duration = o.get("duration").map(duration).getOrElse(mode.duration),
        reps = o.get("reps").map(_.toInt).getOrElse(mode.reps)
      ),
      backends = o.get("backends").map(list).getOrElse(Backend.all.map(_.name)).map { n =>
        Backend
          .byName(n)
          .getOrElse(throw new IllegalArgumentException(s"no backend $n (${Backend.all.mkString(", ")})"))
      },
      scenarios = o.get("scenarios").map(list).getOrElse(Scenario.all.map(_.name)).map { n =>
        Scenario.all
          .find(_.name == n)
          .getOrElse(throw new IllegalArgumentException(s"no scenario $n (${Scenario.all.map(_.name).mkString(", ")})"))
      },
      loads = loads,
      outDir = o.get("out").map(new File(_)).getOrElse(BenchPaths.resultsDir),
      pin = !o.contains("no-pin"),
      host = o.getOrElse("host", "127.0.0.1")
    )
  }.toEither.left.map(_.getMessage).flatMap { c =>
    if (c.reps < 1) Left("--reps must be at least 1")
    else if (c.loads.exists(l => l.connections < 1 || l.concurrency < l.connections))
      Left("each load needs 1 <= connections <= concurrency")
    else Right(c)
  }
}

/** One measured (or failed) ghz run against one server. */
final case class Measurement(
    scenario: Scenario,
    load: Load,
    backend: Backend,
    rep: Int,
    result: Either[String, GhzResult],
    serverCpuSeconds: Option[Double]
) {
  def cpuMicrosPerRequest: Option[Double] = for {
    cpu <- serverCpuSeconds
    r <- result.toOption if r.count > 0
  } yield cpu * 1e6 / r.count
}

/** What a server answered outside the measurements: the echo through a real gRPC client, and `/`. */
final case class ServerChecks(echo: Either[String, Unit], root: Option[Either[String, Unit]]) {
  def ok: Boolean = echo.isRight && root.forall(_.isRight)
}

/** The state of one backend in a run. */
sealed trait ServerStatus
object ServerStatus {
  final case class NotBuilt(why: String) extends ServerStatus
  final case class Failed(why: String) extends ServerStatus
  final case class Ran(checks: ServerChecks) extends ServerStatus
}

final case class RunOutcome(
    config: DriverConfig,
    statuses: Map[Backend, ServerStatus],
    measurements: Seq[Measurement],
    rows: Seq[Row],
    files: Seq[File],
    problems: Seq[String],
    summary: String
) {
  def exitCode: Int = if (problems.isEmpty) 0 else 1
}

/**
 * The benchmark driver: starts each server in its own JVM pinned to one CPU, checks it answers, then runs ghz (pinned
 * to the other CPU) for each scenario and load: a warm-up per server, then interleaved repetitions (A B C A B C ...),
 * and reports medians (see bench-grpc/README.md).
 */
object Driver {
  private val started = System.nanoTime()
  private def elapsed: String = {
    val s = (System.nanoTime() - started) / 1000000000L
    f"${s / 60}%d:${s % 60}%02d"
  }
  private[bench] def progress(line: String): Unit = {
    println(s"[bench $elapsed] $line")
    System.out.flush()
  }

  def main(args: List[String]): Int = DriverConfig.parse(args) match {
    case Left(error) =>
      System.err.println(error)
      System.err.println(DriverConfig.usage)
      2
    case Right(config) => run(config).exitCode
  }

  def run(config: DriverConfig): RunOutcome = {
    val runs = config.scenarios.size * config.loads.size * config.backends.size * config.reps
    val estimate = config.backends.size * (10 + config.scenarios.size * config.warmup.toSeconds) +
      runs * (config.duration.toSeconds + 1)
    progress(
      s"${config.mode.name}: ${config.backends.mkString(", ")} × ${config.scenarios.map(_.name).mkString(", ")} × " +
        s"${config.loads.map(_.label).mkString(", ")}; warm-up ${config.warmup}, ${config.reps} × ${config.duration}" +
        s" (about ${estimate / 60} min ${estimate % 60} s)"
    )

    val ghz = Tools.ensure("ghz") match {
      case Right(path) => path
      case Left(why) =>
        val problem = s"cannot run without ghz: $why"
        System.err.println(problem)
        return RunOutcome(config, Map.empty, Nil, Nil, Nil, Seq(problem), "summary: not run (no ghz)")
    }
    val pinning = Pinning.decide(config.pin)
    progress(pinning.note)
    val workDir = Files.createTempDirectory("bench-grpc-").toFile

    val measurements = Seq.newBuilder[Measurement]
    val (statuses, servers) = startServers(config.backends, config.host, pinning, workDir)
    try {
      val total = config.scenarios.size * config.loads.size * config.reps * servers.size
      var index = 0
      for (scenario <- config.scenarios; (load, loadIndex) <- config.loads.zipWithIndex) {
        if (loadIndex == 0 && config.warmup > Duration.Zero) for (server <- servers if server.alive) {
          progress(s"warm-up ${server.backend.name} ${scenario.name} ${load.label} ${config.warmup}")
          measure(ghz, server, scenario, load, config.warmup, 0, pinning, workDir).result.left
            .foreach(why => progress(s"  warm-up failed: $why"))
        }
        for (rep <- 1 to config.reps; server <- servers) {
          index += 1
          progress(s"run $index/$total: ${scenario.name} ${load.label} rep $rep/${config.reps} ${server.backend.name}")
          val m =
            if (server.alive) measure(ghz, server, scenario, load, config.duration, rep, pinning, workDir)
            else
              Measurement(scenario, load, server.backend, rep, Left(s"server died: ${server.logTail(5)}"), None)
          measurements += m
          progress("  " + Report.describe(m))
        }
      }
    } finally servers.foreach(s => Try(s.stop()))

    val all = measurements.result()
    val rows = Report.rows(config, statuses, all)
    val problems = Report.problems(statuses, all)
    val timestamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
    val (markdown, summary) = Report.markdown(config, pinning, statuses, rows, problems, timestamp)
    val files = Report.write(config.outDir, timestamp, markdown, rows, all, msg => progress(msg))
    deleteRecursively(workDir)
    println()
    println(markdown)
    files.foreach(f => println(s"wrote $f"))
    problems.foreach(p => println(s"PROBLEM: $p"))
    println(summary)
    System.out.flush()
    RunOutcome(config, statuses, all, rows, files, problems, summary)
  }

  private def measure(
      ghz: String,
      server: ServerProcess,
      scenario: Scenario,
      load: Load,
      duration: FiniteDuration,
      rep: Int,
      pinning: Pinning,
      workDir: File
  ): Measurement = {
    val tag = s"${server.backend.name}-${scenario.name}-${load.concurrency}x${load.connections}-$rep"
    val output = new File(workDir, s"ghz-$tag.json")
    val log = new File(workDir, s"ghz-$tag.log")
    val command = Ghz.command(ghz, scenario, load, duration, server.host, server.port, pinning.client, output)
    val before = server.cpuSeconds
    val result = Ghz.run(command, output, log, duration + 2.minutes)
    val after = server.cpuSeconds
    output.delete()
    val cpu = for (b <- before; a <- after) yield a - b
    val checked = result.flatMap(r => if (server.alive) Right(r) else Left(s"server died: ${server.logTail(5)}"))
    Measurement(scenario, load, server.backend, rep, checked, cpu)
  }

  /**
   * Starts each backend in its own JVM (pinned to the server CPU) and checks it answers; the servers stop with this JVM
   * (they exit when its stdin closes) or when the caller stops them.
   */
  private[bench] def startServers(
      backends: Seq[Backend],
      host: String,
      pinning: Pinning,
      workDir: File
  ): (Map[Backend, ServerStatus], Seq[ServerProcess]) = {
    var statuses = Map.empty[Backend, ServerStatus]
    var servers = Seq.empty[ServerProcess]
    for (backend <- backends) Backend.notBuilt(backend) match {
      case Some(why) =>
        progress(s"${backend.name}: $why")
        statuses += backend -> ServerStatus.NotBuilt(why)
      case None =>
        progress(s"${backend.name}: starting")
        ServerProcess.start(backend, host, pinning.server, workDir) match {
          case Left(why) =>
            progress(s"${backend.name}: FAILED to start: $why")
            statuses += backend -> ServerStatus.Failed(s"did not start: ${why.linesIterator.next()}")
          case Right(server) =>
            progress(s"${backend.name}: listening on ${server.host}:${server.port} (pid ${server.pid})")
            servers :+= server
        }
    }
    checkAll(servers).foreach { case (server, checks) =>
      progress(s"${server.backend.name}: ${describe(checks)}")
      statuses += server.backend -> ServerStatus.Ran(checks)
    }
    (statuses, servers)
  }

  private def describe(c: ServerChecks): String = {
    val echo = c.echo.fold(e => s"echo WRONG ($e)", _ => "echo ok (pekko-grpc client, both scenarios)")
    val root = c.root match {
      case None           => "GET/POST / n/a (gRPC only)"
      case Some(Right(_)) => "GET/POST / 200 ok"
      case Some(Left(e))  => s"GET/POST / WRONG ($e)"
    }
    s"$echo; $root"
  }

  /** The checks run from this JVM, with a client actor system that is gone before any measurement. */
  private def checkAll(servers: Seq[ServerProcess]): Seq[(ServerProcess, ServerChecks)] =
    if (servers.isEmpty) Nil
    else {
      implicit val system: ActorSystem = ActorSystem(
        "bench-grpc-driver",
        ConfigFactory.parseString("pekko.loglevel = WARNING").withFallback(ConfigFactory.load())
      )
      try servers.map(s => s -> check(s))
      finally Await.result(system.terminate(), 30.seconds)
    }

  private def check(server: ServerProcess)(implicit system: ActorSystem): ServerChecks = {
    val echo =
      try
        if (Await.result(Demo.roundTrip(server.host, server.port), 30.seconds)) Right(())
        else Left("a reply differs from its request")
      catch { case NonFatal(e) => Left(e.toString) }
    val root = server.backend match {
      case Backend.GrpcJava => None
      case _                => Some(checkRoot(server))
    }
    ServerChecks(echo, root)
  }

  /** `GET /` and `POST /` over HTTP/2 with prior knowledge (as h2load and h2spec speak), 200 and the body. */
  private def checkRoot(server: ServerProcess)(implicit system: ActorSystem): Either[String, Unit] = {
    import system.dispatcher
    def ask(req: HttpRequest): Future[Either[String, Unit]] = Source
      .single(req)
      .via(Http().connectionTo(server.host).toPort(server.port).http2WithPriorKnowledge())
      .mapAsync(1)(resp => resp.entity.toStrict(10.seconds).map(e => resp.status -> e.data.utf8String))
      .runWith(Sink.head)
      .map { case (status, body) =>
        if (status == StatusCodes.OK && body == GreeterServices.rootBody) Right(())
        else Left(s"${req.method.value} / answered $status ${body.take(80).trim}")
      }
    val requests = Seq(
      HttpRequest(HttpMethods.GET, "/"),
      HttpRequest(HttpMethods.POST, "/", entity = HttpEntity("some body"))
    )
    try requests.map(r => Await.result(ask(r), 30.seconds)).collectFirst { case Left(e) => e }.toLeft(())
    catch { case NonFatal(e) => Left(e.toString) }
  }

  private[bench] def deleteRecursively(f: File): Unit = {
    Option(f.listFiles()).foreach(_.foreach(deleteRecursively))
    f.delete()
  }
}
