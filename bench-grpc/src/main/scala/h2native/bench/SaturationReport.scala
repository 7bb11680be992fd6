/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import java.io.File
import java.util.Locale

/** The saturating benchmark's markdown, CSV and chart (scripts/bench-grpc-saturation-chart.py). */
object SaturationReport {
  private def f(pattern: String, x: Option[Double]): String =
    x.map(v => String.format(Locale.ROOT, pattern, Double.box(v))).getOrElse("n/a")

  def markdown(
      config: SaturationConfig,
      pinning: Pinning,
      rows: Seq[SaturationRow],
      problems: Seq[String],
      timestamp: String
  ): String = {
    val m = config.mode
    val b = new StringBuilder
    b ++= s"# bench-grpc saturate ${m.name}, $timestamp\n\n"
    b ++= s"h2native-load (bench-grpc/load) with ${config.connections} connections × ${config.streams} streams; " +
      s"${pinning.note}. Each server saturated in turn, ${m.reps} interleaved runs of ${m.duration} after a warm-up " +
      s"of ${m.warmup} (then ${m.warmupEach} per scenario and shape); medians. Latency: one run of ${m.latency} per " +
      "server at a fixed rate of half pekko-http's saturated rate.\n\n"
    b ++= "| scenario | shape | server | req/s | server CPU µs/call | CPU/call vs pekko-http | fixed rate/s | " +
      "p50 ms | p99 ms | errors |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n"
    for (r <- rows) {
      val ref = rows.find(x => x.scenario == r.scenario && x.shape == r.shape && x.backend == Backend.PekkoHttp)
      val ratio = for (c <- r.cpuMicrosPerCall; p <- ref.flatMap(_.cpuMicrosPerCall)) yield c / p
      b ++= s"| ${r.scenario.name} | ${r.shape.name} | ${r.backend.name} | ${f("%.0f", r.rps)} | " +
        s"${f("%.2f", r.cpuMicrosPerCall)} | ${f("%.2fx", ratio)} | ${f("%.0f", r.rate)} | ${f("%.2f", r.p50Ms)} | " +
        s"${f("%.2f", r.p99Ms)} | ${r.errors} |\n"
    }
    b ++= "\nShapes: " + m.shapes.map(s => s"`${s.name}`: ${s.description}").mkString("; ") + ".\n"
    if (problems.nonEmpty) b ++= problems.map(p => s"\nPROBLEM: $p").mkString + "\n"
    b.result()
  }

  def csvLines(rows: Seq[SaturationRow]): Seq[String] =
    "scenario,shape,server,rps,cpu_us_per_call,rate,p50_ms,p99_ms,errors" +: rows.map { r =>
      def o(x: Option[Double]) = x.map(v => String.format(Locale.ROOT, "%.3f", Double.box(v))).getOrElse("")
      Seq(r.scenario.name, r.shape.name, r.backend.name, o(r.rps), o(r.cpuMicrosPerCall), o(r.rate), o(r.p50Ms))
        .mkString(",") + s",${o(r.p99Ms)},${r.errors}"
    }

  def write(
      dir: File,
      timestamp: String,
      markdown: String,
      rows: Seq[SaturationRow],
      log: String => Unit
  ): Seq[File] = {
    val csv = csvLines(rows).mkString("", "\n", "\n")
    Report.writeFiles(
      dir,
      timestamp,
      Seq(s"saturation-$timestamp.md" -> markdown, s"saturation-$timestamp.csv" -> csv)
    ) { written =>
      Report.chart(BenchPaths.saturationChartScript, written(1), new File(dir, s"saturation-$timestamp.png"), log)
    }
  }
}
