/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import java.io.File
import java.nio.charset.StandardCharsets.UTF_8
import java.nio.file.{Files, StandardCopyOption}
import java.util.Locale

import scala.util.Try

/** One table row: a server's medians over the repetitions of one scenario and load. */
final case class Row(scenario: Scenario, load: Load, backend: Backend, status: String, reps: Seq[Measurement]) {
  private def ok = reps.flatMap(_.result.toOption)
  def rps: Option[Double] = Report.median(ok.map(_.rps))
  def p50Ms: Option[Double] = Report.median(ok.map(_.p50Ms).filterNot(_.isNaN))
  def p99Ms: Option[Double] = Report.median(ok.map(_.p99Ms).filterNot(_.isNaN))
  def cpuMicrosPerRequest: Option[Double] = Report.median(reps.flatMap(_.cpuMicrosPerRequest))
  def errors: Long = ok.map(_.errors).sum
  def requests: Long = ok.map(_.count).sum
}

object Report {
  def median(xs: Seq[Double]): Option[Double] =
    if (xs.isEmpty) None
    else {
      val s = xs.sorted
      Some(if (s.size % 2 == 1) s(s.size / 2) else (s(s.size / 2 - 1) + s(s.size / 2)) / 2)
    }

  private def fmt(pattern: String, x: Double): String = String.format(Locale.ROOT, pattern, Double.box(x))
  private def num(x: Option[Double], pattern: String): String = x.map(fmt(pattern, _)).getOrElse("n/a")

  def describe(m: Measurement): String = m.result match {
    case Left(why) => s"FAILED: $why"
    case Right(r) =>
      s"${fmt("%.0f", r.rps)} req/s, p50 ${fmt("%.2f", r.p50Ms)} ms, p99 ${fmt("%.2f", r.p99Ms)} ms, " +
        s"${r.errors} errors, server CPU ${num(m.cpuMicrosPerRequest, "%.1f")} µs/req" +
        (if (r.errors > 0) s" (${r.errorKinds.take(3).mkString("; ")})" else "")
  }

  def rows(config: DriverConfig, statuses: Map[Backend, ServerStatus], all: Seq[Measurement]): Seq[Row] =
    for {
      scenario <- config.scenarios
      load <- config.loads
      backend <- config.backends
    } yield {
      val reps = all.filter(m => m.scenario == scenario && m.load == load && m.backend == backend).sortBy(_.rep)
      val status = statuses.get(backend) match {
        case Some(ServerStatus.NotBuilt(_))                    => "not built"
        case Some(ServerStatus.Failed(_)) | None               => "failed"
        case _ if reps.isEmpty || reps.exists(_.result.isLeft) => "failed"
        case _ if reps.exists(_.result.exists(_.errors > 0))   => "errors"
        case _                                                 => "ok"
      }
      Row(scenario, load, backend, status, reps)
    }

  def problems(statuses: Map[Backend, ServerStatus], all: Seq[Measurement]): Seq[String] =
    statuses.toSeq.sortBy(s => Backend.all.indexOf(s._1)).flatMap {
      case (b, ServerStatus.Failed(why))               => Seq(s"${b.name}: $why")
      case (b, ServerStatus.Ran(checks)) if !checks.ok => Seq(s"${b.name}: check failed: $checks")
      case _                                           => Nil
    } ++ all.flatMap { m =>
      val what = s"${m.backend.name} ${m.scenario.name} ${m.load.label} rep ${m.rep}"
      m.result match {
        case Left(why)                => Some(s"$what: $why")
        case Right(r) if r.errors > 0 => Some(s"$what: ${r.errors} errors: ${r.errorKinds.take(3).mkString("; ")}")
        case _                        => None
      }
    }

  /** a/b of one figure of two servers' rows, when both have it. */
  private def ratio(rows: Seq[Row], scenario: Scenario, load: Load, a: Backend, b: Backend)(
      f: Row => Option[Double]
  ): Option[Double] = {
    def of(x: Backend) = rows.find(r => r.scenario == scenario && r.load == load && r.backend == x).flatMap(f)
    for (x <- of(a); y <- of(b) if y > 0) yield x / y
  }

  private def ratios(rows: Seq[Row], scenario: Scenario, load: Load, a: Backend, b: Backend): Seq[Option[Double]] =
    Seq[Row => Option[Double]](_.rps, _.p99Ms, _.cpuMicrosPerRequest).map(ratio(rows, scenario, load, a, b))

  private val ratioPairs: Seq[(Backend, Backend)] = Seq(
    Backend.H2Native -> Backend.PekkoHttp,
    Backend.H2Native -> Backend.GrpcJava,
    Backend.PekkoHttp -> Backend.GrpcJava
  )

  /** The one-line summary: h2native against each peer at the first load (grpc_bench's by default). */
  def summary(config: DriverConfig, statuses: Map[Backend, ServerStatus], rows: Seq[Row]): String = {
    val load = config.loads.head
    val perScenario = config.scenarios.map { scenario =>
      val pairs = ratioPairs.take(2).map { case (a, b) =>
        val figures = ratios(rows, scenario, load, a, b).map(num(_, "%.2f"))
        Seq("rps", "p99", "cpu").zip(figures).map { case (k, v) => s"$k=$v" }.mkString(s"$a/$b ", " ", "")
      }
      s"${scenario.name} ${pairs.mkString("; ")}"
    }
    val note = statuses.get(Backend.H2Native) match {
      case Some(ServerStatus.NotBuilt(_)) => " (h2native not built yet)"
      case None                           => " (h2native not in this run)"
      case _                              => ""
    }
    s"summary [${load.label}]: ${perScenario.mkString(" | ")}$note"
  }

  def markdown(
      config: DriverConfig,
      pinning: Pinning,
      statuses: Map[Backend, ServerStatus],
      rows: Seq[Row],
      problems: Seq[String],
      timestamp: String
  ): (String, String) = {
    val sb = new StringBuilder
    def line(s: String = ""): Unit = sb.append(s).append('\n')
    line(s"# bench-grpc: ${config.mode.name} run, $timestamp")
    line()
    for (b <- config.backends) {
      val state = statuses.get(b) match {
        case Some(ServerStatus.NotBuilt(why)) => why
        case Some(ServerStatus.Failed(why))   => s"FAILED: $why"
        case Some(ServerStatus.Ran(c)) =>
          val echo = c.echo.fold(e => s"echo WRONG: $e", _ => "echo checked with a pekko-grpc client")
          val root = c.root.fold("`/`: n/a (gRPC only)")(_.fold(e => s"`/` WRONG: $e", _ => "`GET /`, `POST /`: 200"))
          s"$echo; $root"
        case None => "not run"
      }
      line(s"- **${b.name}**: ${b.description}. $state.")
    }
    line(s"- server JVM: `java ${ServerJvm.Flags.mkString(" ")}`, one process per server; ${pinning.note}")
    line(
      s"- ghz ${Tools.pinnedVersion("GHZ_VERSION")} `--insecure`, load as in the table; warm-up ${config.warmup} per " +
        s"server and scenario, then ${config.reps} × ${config.duration} per server, interleaved (A B C A B C ...); " +
        "figures are medians over the repetitions"
    )
    line(
      s"- machine: ${Runtime.getRuntime.availableProcessors} CPUs ($cpuModel), " +
        s"${sys.props("os.name")} ${sys.props("os.version")}, Java ${sys.props("java.version")}"
    )
    line()
    line("| scenario | load | server | req/s | p50 ms | p99 ms | errors | server CPU µs/req | req/s per rep |")
    line("|---|---|---|---:|---:|---:|---:|---:|---|")
    for (r <- rows) {
      val perRep = r.reps.map(m => m.result.fold(_ => "failed", x => fmt("%.0f", x.rps))).mkString(", ")
      val errors = if (r.status == "not built" || r.status == "failed") r.status else s"${r.errors}"
      line(
        s"| ${r.scenario.name} | ${r.load.label} | ${r.backend.name} | ${num(r.rps, "%.0f")} | ${num(r.p50Ms, "%.2f")} " +
          s"| ${num(r.p99Ms, "%.2f")} | $errors | ${num(r.cpuMicrosPerRequest, "%.1f")} | $perRep |"
      )
    }
    line()
    line("Ratios (req/s: above 1 is better for the first; p99 and CPU per request: below 1 is better):")
    line()
    val header = ratioPairs.map { case (a, b) => s"$a/$b req/s | p99 | CPU/req" }.mkString(" | ")
    line(s"| scenario | load | $header |")
    line("|---|---|" + "---:|" * (3 * ratioPairs.size))
    for (scenario <- config.scenarios; load <- config.loads) {
      val cells = ratioPairs.flatMap { case (a, b) => ratios(rows, scenario, load, a, b).map(num(_, "%.2f")) }
      line(s"| ${scenario.name} | ${load.label} | ${cells.mkString(" | ")} |")
    }
    if (problems.nonEmpty) {
      line()
      line("Problems:")
      line()
      problems.foreach(p => line(s"- ${p.replace('\n', ' ')}"))
    }
    val sum = summary(config, statuses, rows)
    line()
    line(sum)
    (sb.toString, sum)
  }

  private def cpuModel: String = Try {
    val info = new String(Files.readAllBytes(new File("/proc/cpuinfo").toPath), UTF_8)
    info.linesIterator.find(_.startsWith("model name")).map(_.split(':')(1).trim).get
  }.getOrElse("unknown CPU")

  private def csv(cells: Any*): String = cells
    .map {
      case None      => ""
      case Some(x)   => x.toString
      case d: Double => fmt("%.4f", d)
      case x         => x.toString
    }
    .map(c => if (c.exists(ch => ch == ',' || ch == '"' || ch == '\n')) "\"" + c.replace("\"", "\"\"") + "\"" else c)
    .mkString(",")

  val csvHeader: String =
    "scenario,concurrency,connections,server,status,reps,requests,rps,p50_ms,p99_ms,errors,server_cpu_us_per_req"

  def csvLines(rows: Seq[Row]): Seq[String] = csvHeader +: rows.map { r =>
    csv(
      r.scenario.name,
      r.load.concurrency,
      r.load.connections,
      r.backend.name,
      r.status,
      r.reps.size,
      r.requests,
      r.rps.map(fmt("%.1f", _)),
      r.p50Ms.map(fmt("%.3f", _)),
      r.p99Ms.map(fmt("%.3f", _)),
      r.errors,
      r.cpuMicrosPerRequest.map(fmt("%.2f", _))
    )
  }

  def repsCsvLines(all: Seq[Measurement]): Seq[String] =
    "scenario,concurrency,connections,server,rep,requests,rps,p50_ms,p99_ms,errors,server_cpu_s,server_cpu_us_per_req,failure" +:
      all.map { m =>
        val r = m.result.toOption
        csv(
          m.scenario.name,
          m.load.concurrency,
          m.load.connections,
          m.backend.name,
          m.rep,
          r.map(_.count),
          r.map(x => fmt("%.1f", x.rps)),
          r.map(x => fmt("%.3f", x.p50Ms)),
          r.map(x => fmt("%.3f", x.p99Ms)),
          r.map(_.errors),
          m.serverCpuSeconds.map(fmt("%.2f", _)),
          m.cpuMicrosPerRequest.map(fmt("%.2f", _)),
          m.result.left.toOption.map(_.replace('\n', ' '))
        )
      }

  /** Writes <timestamp>.md/.csv/-reps.csv/.png and the same as latest.*; returns the files written. */
  def write(
      dir: File,
      timestamp: String,
      markdown: String,
      rows: Seq[Row],
      all: Seq[Measurement],
      log: String => Unit
  ): Seq[File] = {
    val csv = csvLines(rows).mkString("", "\n", "\n")
    val reps = repsCsvLines(all).mkString("", "\n", "\n")
    writeFiles(
      dir,
      timestamp,
      Seq(s"$timestamp.md" -> markdown, s"$timestamp.csv" -> csv, s"$timestamp-reps.csv" -> reps)
    ) { written =>
      chart(BenchPaths.chartScript, written(1), new File(dir, s"$timestamp.png"), log)
    }
  }

  /**
   * Writes `texts` (name -> content) to `dir`, then the chart `png` draws from them, then a copy of each named with
   * `latest` for `timestamp`; returns every file written.
   */
  private[bench] def writeFiles(dir: File, timestamp: String, texts: Seq[(String, String)])(
      png: Seq[File] => Option[File]
  ): Seq[File] = {
    dir.mkdirs()
    val files = texts.map { case (name, text) =>
      val f = new File(dir, name)
      Files.write(f.toPath, text.getBytes(UTF_8))
      f
    }
    val written = files ++ png(files)
    written ++ written.map { f =>
      val l = new File(dir, f.getName.replace(timestamp, "latest"))
      Files.copy(f.toPath, l.toPath, StandardCopyOption.REPLACE_EXISTING)
      l
    }
  }

  /**
   * The PNG chart, by `script` (scripts/bench-grpc-*chart.py) in the pinned matplotlib venv; None, with a warning, if
   * not.
   */
  private[bench] def chart(script: File, csvFile: File, png: File, log: String => Unit): Option[File] =
    Tools.ensure("python") match {
      case Left(why) =>
        log(s"WARNING: no chart: $why")
        None
      case Right(python) =>
        val rc = Try {
          new ProcessBuilder(python, script.getPath, csvFile.getPath, png.getPath)
            .inheritIO()
            .start()
            .waitFor()
        }.getOrElse(-1)
        if (rc == 0 && png.isFile) Some(png)
        else {
          log(s"WARNING: no chart: scripts/bench-grpc-chart.py exited with $rc")
          None
        }
    }
}
