/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import java.io.File

import scala.sys.process._

import spray.json._

/**
 * h2native-load (bench-grpc/load): the saturating gRPC load generator, built by cargo on first use. One run's result is
 * its JSON line.
 */
object LoadGenerator {

  /** The release binary, built (once per build) with cargo from the repository's workspace. */
  lazy val binary: File = {
    val log = new StringBuilder
    val code = Process(Seq("cargo", "build", "--release", "--locked", "-p", "h2native-load"), BenchPaths.repoDir)
      .!(ProcessLogger(l => log.append(l).append('\n'), l => log.append(l).append('\n')))
    if (code != 0) throw new IllegalStateException(s"cargo build -p h2native-load failed:\n$log")
    new File(BenchPaths.repoDir, "target/release/h2native-load")
  }

  final case class Result(
      calls: Long,
      ok: Long,
      cancelled: Long,
      errors: Map[String, Long],
      connectionsOpened: Long,
      rps: Double,
      p50Us: Long,
      p99Us: Long,
      raw: String
  ) {
    def errorCount: Long = errors.values.sum
  }

  def parse(line: String): Result = {
    val o = line.parseJson.asJsObject.fields
    def num(k: String): BigDecimal = o(k).asInstanceOf[JsNumber].value
    Result(
      num("calls").toLong,
      num("ok").toLong,
      num("cancelled").toLong,
      o("errors").asJsObject.fields.map { case (k, v) => k -> v.asInstanceOf[JsNumber].value.toLong },
      num("connections_opened").toLong,
      num("rps").toDouble,
      num("p50_us").toLong,
      num("p99_us").toLong,
      line
    )
  }

  /** The command line for one run against `host:port`; `flags` as h2native-load takes them (see its main.rs). */
  def command(scenario: Scenario, payloads: File, host: String, port: Int, flags: Seq[String]): Seq[String] = {
    val (req, resp) = Payloads.write(scenario.name, payloads)
    Seq(
      binary.getPath,
      "--target",
      s"$host:$port",
      "--path",
      "/" + scenario.call.reverse.replaceFirst("\\.", "/").reverse,
      "--request",
      req.getPath,
      "--response",
      resp.getPath
    ) ++ flags
  }

  /** Runs it (optionally under `taskset -c cpu`) and returns its result; fails if it printed none. */
  def run(cmd: Seq[String], cpu: Option[Int] = None): Result = {
    val out = new StringBuilder
    val err = new StringBuilder
    val full = cpu.fold(cmd)(c => Seq("taskset", "-c", c.toString) ++ cmd)
    val code = Process(full).!(ProcessLogger(l => out.append(l).append('\n'), l => err.append(l).append('\n')))
    val line = out.toString.linesIterator.find(_.startsWith("{"))
    line.map(parse).getOrElse(throw new IllegalStateException(s"h2native-load exited with $code: $err$out"))
  }
}
