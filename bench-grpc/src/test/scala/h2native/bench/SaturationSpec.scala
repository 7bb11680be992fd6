/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import java.nio.file.Files

import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

/**
 * The saturating benchmark's smoke mode end to end: the three server JVMs, h2native-load, the report files. No timing
 * is asserted: only that every server completed calls with their payloads checked, saturated and at the fixed rate,
 * with no error, and that the figures the report needs are there.
 */
class SaturationSpec extends AnyWordSpec with Matchers {

  "The saturating benchmark's smoke mode" should {
    "saturate every server with h2native-load, measure CPU per call and latency at a fixed rate, and write the report" in {
      val out = Files.createTempDirectory("bench-saturate-test").toFile
      val config = SaturationConfig
        .parse(List("smoke", "--shapes", "identical,grpc-timeout", "--connections", "4", "--out", out.getPath))
        .fold(e => fail(e), identity)
      val outcome = Saturation.run(config)
      withClue(outcome.problems.mkString("\n")) {
        outcome.problems shouldBe empty
        outcome.rows should have size (Backend.all.size * 2)
        for (r <- outcome.rows) withClue(s"${r.backend} ${r.shape.name}: ") {
          r.errors shouldBe 0
          r.rps.get should be > 0.0
          r.cpuMicrosPerCall.get should be > 0.0
          r.rate.get should be > 0.0
          r.p99Ms.get should be >= r.p50Ms.get
        }
        // every saturated and fixed-rate run completed calls, each checked by h2native-load against the reply
        outcome.runs.foreach(run => run.result.map(_.ok).getOrElse(0L) should be > 0L)
        outcome.runs.count(_.rate.isDefined) shouldBe Backend.all.size * 2
        // all servers at the same fixed rate, half of pekko-http's median
        outcome.rows.groupBy(_.shape).values.foreach(rows => rows.flatMap(_.rate).distinct should have size 1)
      }
      val names = outcome.files.map(_.getName)
      for (ext <- Seq(".md", ".csv", ".png")) names should contain(s"saturation-latest$ext")
      outcome.files.foreach(f => withClue(f)(f.length should be > 0L))
      val md = new String(Files.readAllBytes(out.toPath.resolve("saturation-latest.md")), "UTF-8")
      for (b <- Backend.all) md should include(s"| string_100B | grpc-timeout | ${b.name} | ")
    }
  }
}
