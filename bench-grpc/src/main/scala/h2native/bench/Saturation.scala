/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import java.io.File
import java.nio.file.Files
import java.time.LocalDateTime
import java.time.format.DateTimeFormatter
import java.util.Locale

import scala.concurrent.duration._
import scala.util.Try
import scala.util.control.NonFatal

/** A shape of request header blocks, as h2native-load sends them (its `--shape`). */
final case class Shape(name: String, description: String)

object Shape {
  val identical: Shape = Shape("identical", "every request's header block repeats the previous one")
  val grpcTimeout: Shape = Shape("grpc-timeout", "a new grpc-timeout per call, inserted in the table (grpc-go)")
  val traceparent: Shape = Shape("traceparent", "a new W3C traceparent per call, not indexed (tracing)")
  val all: Seq[Shape] = Seq(identical, grpcTimeout, traceparent)
}

/**
 * The saturating benchmark's presets. `warmup` is spent on each server before its first measurement, `warmupEach`
 * before each further scenario and shape; `latency` is the run at a fixed rate.
 */
final case class SaturationMode(
    name: String,
    warmup: FiniteDuration,
    warmupEach: FiniteDuration,
    duration: FiniteDuration,
    reps: Int,
    latency: FiniteDuration,
    scenarios: Seq[Scenario],
    shapes: Seq[Shape]
)

object SaturationMode {
  private val string100B = Scenario.all.filter(_.name == "string_100B")
  // under 5 minutes on two cores, with three servers
  val quick: SaturationMode = SaturationMode(
    "quick",
    35.seconds,
    5.seconds,
    5.seconds,
    3,
    5.seconds,
    string100B,
    Seq(Shape.identical, Shape.grpcTimeout)
  )
  val full: SaturationMode =
    SaturationMode("full", 60.seconds, 10.seconds, 10.seconds, 5, 10.seconds, Scenario.all, Shape.all)
  val smoke: SaturationMode =
    SaturationMode("smoke", 2.seconds, 1.second, 2.seconds, 1, 2.seconds, string100B, Seq(Shape.identical))
  val all: Seq[SaturationMode] = Seq(quick, full, smoke)
}

final case class SaturationConfig(
    mode: SaturationMode,
    backends: Seq[Backend],
    connections: Int,
    streams: Int,
    outDir: File,
    pin: Boolean,
    host: String
)

object SaturationConfig {
  val usage: String =
    """usage: saturate [quick|full|smoke] [--backends h2native,pekko-http,grpc-java]
      |                [--scenarios complex_proto,string_100B] [--shapes identical,grpc-timeout,traceparent]
      |                [--reps N] [--duration 5s] [--connections 50] [--streams 20] [--out DIR] [--no-pin]""".stripMargin

  def parse(args: List[String]): Either[String, SaturationConfig] = Try {
    val (modeArgs, rest) = args.span(a => !a.startsWith("--"))
    val mode = modeArgs match {
      case Nil => SaturationMode.quick
      case name :: Nil =>
        SaturationMode.all.find(_.name == name).getOrElse(throw new IllegalArgumentException(s"no mode $name"))
      case more => throw new IllegalArgumentException(s"one mode at most: ${more.mkString(" ")}")
    }
    def options(xs: List[String], acc: Map[String, String]): Map[String, String] = xs match {
      case Nil                                                         => acc
      case "--no-pin" :: tail                                          => options(tail, acc + ("no-pin" -> "true"))
      case k :: v :: tail if k.startsWith("--") && !v.startsWith("--") => options(tail, acc + (k.drop(2) -> v))
      case other :: _ => throw new IllegalArgumentException(s"unexpected: $other")
    }
    val o = options(rest, Map.empty)
    val known = Set("backends", "scenarios", "shapes", "reps", "duration", "connections", "streams", "out", "no-pin")
    o.keys.find(!known.contains(_)).foreach(k => throw new IllegalArgumentException(s"unknown option --$k"))
    def list[T](key: String, all: Seq[T], name: T => String): Option[Seq[T]] = o.get(key).map { s =>
      s.split(',').map(_.trim).filter(_.nonEmpty).toSeq.map { n =>
        all.find(name(_) == n).getOrElse(throw new IllegalArgumentException(s"no $key value $n"))
      }
    }
    val duration = o.get("duration").map(Duration(_)).collect { case d: FiniteDuration => d }
    SaturationConfig(
      mode.copy(
        scenarios = list[Scenario]("scenarios", Scenario.all, _.name).getOrElse(mode.scenarios),
        shapes = list[Shape]("shapes", Shape.all, _.name).getOrElse(mode.shapes),
        reps = o.get("reps").map(_.toInt).getOrElse(mode.reps),
        duration = duration.getOrElse(mode.duration)
      ),
      list[Backend]("backends", Backend.all, _.name).getOrElse(Backend.all),
      o.get("connections").map(_.toInt).getOrElse(50),
      o.get("streams").map(_.toInt).getOrElse(20),
      o.get("out").map(new File(_)).getOrElse(BenchPaths.resultsDir),
      !o.contains("no-pin"),
      "127.0.0.1"
    )
  }.toEither.left.map(_.getMessage).flatMap { c =>
    if (c.mode.reps < 1) Left("--reps must be at least 1")
    else if (c.connections < 1 || c.streams < 1) Left("--connections and --streams must be at least 1")
    else Right(c)
  }
}

/** One h2native-load run against one server: saturating (`rate` None) or at a fixed rate. */
final case class LoadRun(
    scenario: Scenario,
    shape: Shape,
    backend: Backend,
    rep: Int,
    rate: Option[Double],
    result: Either[String, LoadGenerator.Result],
    serverCpuSeconds: Option[Double]
) {
  def cpuMicrosPerCall: Option[Double] = for {
    cpu <- serverCpuSeconds
    r <- result.toOption if r.ok > 0
  } yield cpu * 1e6 / r.ok
  def errors: Long = result.fold(_ => 0L, _.errorCount)
}

/** A server's medians for one scenario and shape. */
final case class SaturationRow(
    scenario: Scenario,
    shape: Shape,
    backend: Backend,
    rps: Option[Double],
    cpuMicrosPerCall: Option[Double],
    rate: Option[Double],
    p50Ms: Option[Double],
    p99Ms: Option[Double],
    errors: Long,
    failures: Seq[String]
)

final case class SaturationOutcome(
    rows: Seq[SaturationRow],
    runs: Seq[LoadRun],
    files: Seq[File],
    problems: Seq[String]
)

/**
 * The headline benchmark: every server saturated by h2native-load, a load generator that is not the ceiling (about 180k
 * calls/s on one core against h2native, where ghz tops out at 8-18k). The servers run side by side, each pinned to the
 * server CPU and loaded in turn, the generator on the other CPU: interleaved repetitions (A B C A B C ...) per scenario
 * and shape, medians of req/s and of server CPU per call; then each at a fixed rate of half pekko-http's saturated rate
 * for p50/p99 at equal load (no server wins by queueing).
 */
object Saturation {

  def main(args: List[String]): Int = SaturationConfig.parse(args) match {
    case Left(error) =>
      System.err.println(error)
      System.err.println(SaturationConfig.usage)
      2
    case Right(config) => if (run(config).problems.isEmpty) 0 else 1
  }

  def run(config: SaturationConfig): SaturationOutcome = {
    val m = config.mode
    val combos = for (s <- m.scenarios; sh <- m.shapes) yield (s, sh)
    val estimate = config.backends.size * (m.warmup.toSeconds + (combos.size - 1) * m.warmupEach.toSeconds +
      combos.size * (m.reps * (m.duration.toSeconds + 1) + m.latency.toSeconds + 1))
    Driver.progress(
      s"saturate ${m.name}: ${config.backends.mkString(", ")} × ${m.scenarios.map(_.name).mkString(", ")} × " +
        s"${m.shapes.map(_.name).mkString(", ")}; ${m.reps} × ${m.duration}, ${config.connections} connections × " +
        s"${config.streams} streams (about ${estimate / 60} min ${estimate % 60} s)"
    )
    val pinning = Pinning.decide(config.pin)
    Driver.progress(pinning.note)
    val workDir = Files.createTempDirectory("bench-saturate-").toFile
    Driver.progress(s"h2native-load: ${LoadGenerator.binary}")
    val runs = Seq.newBuilder[LoadRun]
    val (statuses, servers) = Driver.startServers(config.backends, config.host, pinning, workDir)
    val failed = statuses.collect {
      case (b, ServerStatus.NotBuilt(why))   => s"${b.name}: $why"
      case (b, ServerStatus.Failed(why))     => s"${b.name}: $why"
      case (b, ServerStatus.Ran(c)) if !c.ok => s"${b.name}: answered wrongly ($c)"
    }.toSeq
    try
      for (((scenario, shape), i) <- combos.zipWithIndex) {
        val warm = if (i == 0) m.warmup else m.warmupEach
        for (server <- servers if server.alive) {
          Driver.progress(s"warm-up ${server.backend.name} ${scenario.name} ${shape.name} $warm")
          load(server, scenario, shape, warm, None, 0, config, pinning, workDir).result.left
            .foreach(why => Driver.progress(s"  warm-up failed: $why"))
        }
        val saturated = for (rep <- 1 to m.reps; server <- servers) yield {
          val r = load(server, scenario, shape, m.duration, None, rep, config, pinning, workDir)
          Driver.progress(s"${scenario.name} ${shape.name} rep $rep ${server.backend.name}: ${describe(r)}")
          r
        }
        runs ++= saturated
        // half of pekko-http's saturated rate (of the slowest server when pekko-http is not in the run)
        val medians = servers.map(s => s.backend -> median(saturated.filter(_.backend == s.backend).flatMap(rps)))
        val reference = medians
          .collectFirst { case (Backend.PekkoHttp, Some(r)) => r }
          .orElse(medians.flatMap(_._2).minOption)
        reference.foreach { ref =>
          val rate = math.max(1.0, math.floor(ref / 2))
          for (server <- servers) {
            val r = load(server, scenario, shape, m.latency, Some(rate), 0, config, pinning, workDir)
            Driver.progress(s"${scenario.name} ${shape.name} at $rate/s ${server.backend.name}: ${describe(r)}")
            runs += r
          }
        }
      }
    finally {
      servers.foreach(s => Try(s.stop()))
      Driver.deleteRecursively(workDir)
    }
    val all = runs.result()
    val rows = for ((scenario, shape) <- combos; b <- config.backends) yield row(scenario, shape, b, all)
    val problems = failed ++ rows.collect {
      case r if r.failures.nonEmpty => s"${r.backend.name} ${r.scenario.name} ${r.shape.name}: ${r.failures.head}"
      case r if r.errors > 0        => s"${r.backend.name} ${r.scenario.name} ${r.shape.name}: ${r.errors} errors"
    }
    val timestamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
    val markdown = SaturationReport.markdown(config, pinning, rows, problems, timestamp)
    val files = SaturationReport.write(config.outDir, timestamp, markdown, rows, msg => Driver.progress(msg))
    println()
    println(markdown)
    files.foreach(f => println(s"wrote $f"))
    problems.foreach(p => println(s"PROBLEM: $p"))
    SaturationOutcome(rows, all, files, problems)
  }

  private def rps(r: LoadRun): Option[Double] = r.result.toOption.filter(_.ok > 0).map(_.rps)
  private def median(xs: Seq[Double]): Option[Double] = Report.median(xs)

  private def row(scenario: Scenario, shape: Shape, b: Backend, all: Seq[LoadRun]): SaturationRow = {
    val mine = all.filter(r => r.scenario == scenario && r.shape == shape && r.backend == b)
    val (fixed, saturated) = mine.partition(_.rate.isDefined)
    val latency = fixed.flatMap(_.result.toOption).headOption
    SaturationRow(
      scenario,
      shape,
      b,
      median(saturated.flatMap(rps)),
      median(saturated.flatMap(_.cpuMicrosPerCall)),
      fixed.headOption.flatMap(_.rate),
      latency.map(_.p50Us / 1000.0),
      latency.map(_.p99Us / 1000.0),
      mine.map(_.errors).sum,
      (if (mine.isEmpty) Seq("not measured") else Nil) ++ mine.flatMap(_.result.left.toOption)
    )
  }

  private def describe(r: LoadRun): String = r.result match {
    case Left(why) => s"FAILED: $why"
    case Right(x) =>
      String.format(
        Locale.ROOT,
        "%.0f calls/s, p50 %.2f ms, p99 %.2f ms, %d errors, server CPU %s µs/call",
        Double.box(x.rps),
        Double.box(x.p50Us / 1000.0),
        Double.box(x.p99Us / 1000.0),
        Long.box(x.errorCount),
        r.cpuMicrosPerCall.map(c => String.format(Locale.ROOT, "%.2f", Double.box(c))).getOrElse("n/a")
      )
  }

  private def load(
      server: ServerProcess,
      scenario: Scenario,
      shape: Shape,
      duration: FiniteDuration,
      rate: Option[Double],
      rep: Int,
      config: SaturationConfig,
      pinning: Pinning,
      workDir: File
  ): LoadRun = {
    val flags = Seq(
      "--duration",
      (duration.toMillis / 1000.0).toString,
      "--connections",
      config.connections.toString,
      "--streams",
      config.streams.toString,
      "--shape",
      shape.name
    ) ++ rate.toSeq.flatMap(r => Seq("--rate", r.toString))
    val before = server.cpuSeconds
    val result =
      try
        Right(
          LoadGenerator.run(LoadGenerator.command(scenario, workDir, server.host, server.port, flags), pinning.client)
        )
      catch { case NonFatal(e) => Left(e.getMessage) }
    val after = server.cpuSeconds
    val checked = result.flatMap(r => if (server.alive) Right(r) else Left(s"server died: ${server.logTail(5)}"))
    LoadRun(scenario, shape, server.backend, rep, rate, checked, for (b <- before; a <- after) yield a - b)
  }
}
