/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import java.io.{File, InputStreamReader}
import java.nio.charset.StandardCharsets.UTF_8
import java.nio.file.{Files, Paths}
import java.util.concurrent.TimeUnit

import scala.concurrent.duration._
import scala.jdk.CollectionConverters._
import scala.util.Try

import spray.json._

/** Where the module's files are: payloads, protos, results, and the repository's scripts/. */
object BenchPaths {

  /** bench-grpc/, from the property the build sets, else the working directory or its bench-grpc/. */
  lazy val benchDir: File = sys.props.get("h2native.bench.dir").map(new File(_)).getOrElse {
    val cwd = new File(".").getAbsoluteFile.getParentFile
    Seq(cwd, new File(cwd, "bench-grpc")).find(d => new File(d, "payloads").isDirectory).getOrElse(cwd)
  }
  def repoDir: File = benchDir.getAbsoluteFile.getParentFile
  def protoDir: File = new File(benchDir, "src/main/protobuf")
  def payloadDir: File = new File(benchDir, "payloads")
  def resultsDir: File = new File(benchDir, "results")
  def toolsScript: File = new File(repoDir, "scripts/bench-grpc-tools.sh")
  def chartScript: File = new File(repoDir, "scripts/bench-grpc-chart.py")
  def saturationChartScript: File = new File(repoDir, "scripts/bench-grpc-saturation-chart.py")
}

/** How every server process is started: same JVM, same flags, same classpath, whatever the backend. */
object ServerJvm {

  /** Fixed heap (no resizing during a run), G1, and one core as seen by the JVM: the server is pinned to one. */
  val Flags: Seq[String] = Seq("-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:ActiveProcessorCount=1")

  def java: String = Paths.get(sys.props("java.home"), "bin", "java").toString

  /** bench-grpc's runtime classpath, as the build passes it, else this JVM's own. */
  def classpath: String = sys.props.getOrElse("h2native.bench.classpath", sys.props("java.class.path"))

  def command(backend: Backend, host: String, port: Int, cpu: Option[Int]): Seq[String] =
    cpu.toSeq.flatMap(c => Seq("taskset", "-c", c.toString)) ++ Seq(java) ++ Flags ++
      Seq(
        "-cp",
        classpath,
        "h2native.bench.Main",
        "serve",
        "--backend",
        backend.name,
        "--host",
        host,
        "--port",
        s"$port"
      )
}

/** A process's CPU time, user + system, all threads, from /proc/<pid>/stat. */
object ProcStat {
  lazy val clockTicksPerSecond: Long =
    Try(scala.sys.process.Process(Seq("getconf", "CLK_TCK")).!!.trim.toLong).getOrElse(100L)

  def cpuSeconds(pid: Long): Option[Double] = Try {
    val stat = new String(Files.readAllBytes(Paths.get(s"/proc/$pid/stat")), UTF_8)
    // Fields after "(comm)": 3 state, 4 ppid, ... 14 utime, 15 stime (in clock ticks).
    val fields = stat.substring(stat.lastIndexOf(')') + 2).trim.split(' ')
    (fields(11).toLong + fields(12).toLong).toDouble / clockTicksPerSecond
  }.toOption
}

/**
 * Server on one CPU, the load generator (ghz or h2native-load) on another, with taskset; or no pinning, with the
 * reason.
 */
final case class Pinning(server: Option[Int], client: Option[Int], note: String)

object Pinning {
  def allowedCpus: Seq[Int] = Try {
    val line = Files.readAllLines(Paths.get("/proc/self/status")).asScala.find(_.startsWith("Cpus_allowed_list:")).get
    line.split(':')(1).trim.split(',').toSeq.flatMap { part =>
      part.split('-') match {
        case Array(a, b) => a.trim.toInt to b.trim.toInt
        case Array(a)    => Seq(a.trim.toInt)
        case _           => Nil
      }
    }
  }.getOrElse(Nil)

  def hasTaskset: Boolean =
    sys.env.getOrElse("PATH", "").split(File.pathSeparatorChar).exists(d => new File(d, "taskset").canExecute)

  def decide(requested: Boolean): Pinning =
    if (!requested) Pinning(None, None, "no pinning (--no-pin)")
    else if (!hasTaskset) Pinning(None, None, "WARNING: no pinning: taskset is missing (Debian package util-linux)")
    else
      allowedCpus.sorted match {
        case s +: c +: _ =>
          Pinning(Some(s), Some(c), s"server pinned to CPU $s, the load generator to CPU $c (taskset)")
        case cpus =>
          Pinning(None, None, s"WARNING: no pinning: fewer than 2 CPUs allowed (${cpus.mkString(",")})")
      }
}

/** The external tools, installed once into the cache by scripts/bench-grpc-tools.sh. */
object Tools {

  /** Runs the tools script for one tool; its last stdout line is the tool's path. */
  def ensure(tool: String): Either[String, String] = {
    val script = BenchPaths.toolsScript
    if (!script.isFile) Left(s"$script is missing")
    else {
      val pb = new ProcessBuilder("bash", script.getPath, tool).redirectError(ProcessBuilder.Redirect.INHERIT)
      Try {
        val p = pb.start()
        p.getOutputStream.close()
        val out = new String(p.getInputStream.readAllBytes(), UTF_8)
        val rc = p.waitFor()
        val path = out.linesIterator.filter(_.nonEmpty).toSeq.lastOption.getOrElse("")
        if (rc == 0 && new File(path).canExecute) Right(path)
        else Left(s"scripts/bench-grpc-tools.sh $tool failed (exit $rc)")
      }.fold(e => Left(s"scripts/bench-grpc-tools.sh $tool: $e"), identity)
    }
  }

  /** The pinned versions, as the script states them (for the report). */
  def pinnedVersion(name: String): String = Try {
    val re = s"""(?m)^$name=([^\\s#]+)""".r
    re.findFirstMatchIn(new String(Files.readAllBytes(BenchPaths.toolsScript.toPath), UTF_8)).get.group(1)
  }.getOrElse("?")
}

/** A started server process (`Main serve`), its log in a file. */
final class ServerProcess(val backend: Backend, process: Process, val log: File, val host: String, val port: Int) {
  def pid: Long = process.pid()
  def alive: Boolean = process.isAlive
  def cpuSeconds: Option[Double] = ProcStat.cpuSeconds(pid)

  def stop(): Unit = {
    Try(process.getOutputStream.close())
    process.destroy()
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly()
      process.waitFor(15, TimeUnit.SECONDS)
    }
  }

  def logTail(lines: Int = 20): String = ServerProcess.tail(log, lines)
}

object ServerProcess {
  def start(
      backend: Backend,
      host: String,
      cpu: Option[Int],
      workDir: File,
      timeout: FiniteDuration = 90.seconds
  ): Either[String, ServerProcess] = {
    val log = new File(workDir, s"server-${backend.name}.log")
    val pb = new ProcessBuilder(ServerJvm.command(backend, host, 0, cpu): _*)
      .redirectErrorStream(true)
      .redirectOutput(log)
    // stdin stays a pipe from this JVM: the server exits when it closes, even if this JVM is killed.
    pb.environment().put(Serve.ExitWithParentEnv, "1")
    val process = pb.start()
    val deadline = timeout.fromNow
    def listening: Option[Int] =
      Try(
        Files.readAllLines(log.toPath).asScala.collectFirst { case Serve.ListeningLine(_, p) => p.toInt }
      ).toOption.flatten
    var port = listening
    while (port.isEmpty && process.isAlive && deadline.hasTimeLeft()) {
      Thread.sleep(100)
      port = listening
    }
    port match {
      case Some(p) => Right(new ServerProcess(backend, process, log, host, p))
      case None =>
        val why =
          if (process.isAlive) s"not listening after $timeout" else s"exited with code ${process.exitValue()}"
        process.destroyForcibly()
        Left(s"${backend.name} $why; its log ends with:\n${tail(log, 20)}")
    }
  }

  def tail(file: File, lines: Int): String =
    Try(Files.readAllLines(file.toPath).asScala.takeRight(lines).mkString("\n")).getOrElse("(no log)")
}

/** One ghz run's figures, from its JSON report (`--format json`). Latencies in milliseconds. */
final case class GhzResult(
    count: Long,
    rps: Double,
    p50Ms: Double,
    p99Ms: Double,
    errors: Long,
    errorKinds: Seq[String]
)

object GhzResult {

  /**
   * Parses ghz's JSON report. ghz appends every call's details (up to a million) after the summary fields: only the
   * part before `"details"` is read, so a long run's report costs no memory.
   */
  def parseFile(file: File): GhzResult = parse(summaryPart(file))

  def parse(json: String): GhzResult = {
    val fields = json.parseJson.asJsObject.fields
    def number(name: String): Double = fields.get(name) match {
      case Some(JsNumber(n)) => n.toDouble
      case _                 => 0.0
    }
    def counts(name: String): Map[String, Long] = fields.get(name) match {
      case Some(JsObject(m)) => m.collect { case (k, JsNumber(n)) => k -> n.toLong }
      case _                 => Map.empty
    }
    val latencies: Map[Int, Double] = fields.get("latencyDistribution") match {
      case Some(JsArray(items)) =>
        items.flatMap {
          case JsObject(f) =>
            (f.get("percentage"), f.get("latency")) match {
              case (Some(JsNumber(p)), Some(JsNumber(ns))) => Some(p.toInt -> ns.toDouble / 1e6)
              case _                                       => None
            }
          case _ => None
        }.toMap
      case _ => Map.empty
    }
    val errorDist = counts("errorDistribution")
    val notOk = counts("statusCodeDistribution").filter { case (status, _) => status != "OK" }
    GhzResult(
      count = number("count").toLong,
      rps = number("rps"),
      p50Ms = latencies.getOrElse(50, Double.NaN),
      p99Ms = latencies.getOrElse(99, Double.NaN),
      errors = math.max(errorDist.values.sum, notOk.values.sum),
      errorKinds = (errorDist ++ notOk).toSeq.sortBy(-_._2).map { case (k, n) => s"$n × $k" }
    )
  }

  private val DetailsKey = ",\"details\":"

  private def summaryPart(file: File): String = {
    val reader = new InputStreamReader(Files.newInputStream(file.toPath), UTF_8)
    try {
      val sb = new java.lang.StringBuilder
      val buf = new Array[Char](1 << 16)
      var cut = -1
      var n = reader.read(buf)
      while (n > 0 && cut < 0) {
        val from = math.max(0, sb.length - DetailsKey.length)
        sb.append(buf, 0, n)
        cut = sb.indexOf(DetailsKey, from)
        n = if (cut < 0) reader.read(buf) else -1
      }
      if (cut < 0) sb.toString else sb.substring(0, cut) + "}"
    } finally reader.close()
  }
}

/** How ghz is run: grpc_bench's flags, the scenario's proto, call and payload, JSON out. */
object Ghz {
  def command(
      ghz: String,
      scenario: Scenario,
      load: Load,
      duration: FiniteDuration,
      host: String,
      port: Int,
      cpu: Option[Int],
      output: File
  ): Seq[String] =
    cpu.toSeq.flatMap(c => Seq("taskset", "-c", c.toString)) ++ Seq(
      ghz,
      "--insecure",
      s"--proto=${new File(BenchPaths.protoDir, scenario.proto).getPath}",
      s"--call=${scenario.call}",
      s"--data-file=${new File(BenchPaths.payloadDir, scenario.payload).getPath}",
      s"--concurrency=${load.concurrency}",
      s"--connections=${load.connections}",
      s"--duration=${goDuration(duration)}",
      // Calls still in flight when the duration is up are left out, not counted as errors.
      "--duration-stop=ignore",
      "--format=json",
      s"--output=${output.getPath}"
    ) ++ cpu.map(_ => "--cpus=1").toSeq ++ Seq(s"$host:$port")

  def goDuration(d: FiniteDuration): String =
    if (d.toMillis % 1000 == 0) s"${d.toSeconds}s" else s"${d.toMillis}ms"

  /** Runs ghz to the end; the report, or why there is none. */
  def run(command: Seq[String], output: File, log: File, timeout: FiniteDuration): Either[String, GhzResult] = Try {
    val p = new ProcessBuilder(command: _*)
      .redirectErrorStream(true)
      .redirectOutput(log)
      .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
      .start()
    if (!p.waitFor(timeout.toMillis, TimeUnit.MILLISECONDS)) {
      p.destroyForcibly()
      Left(s"ghz did not finish within $timeout")
    } else if (!output.isFile || output.length == 0)
      Left(s"ghz exited with code ${p.exitValue()} and no report: ${ServerProcess.tail(log, 5)}")
    else Right(GhzResult.parseFile(output))
  }.fold(e => Left(s"ghz: $e"), identity)
}
