/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import java.nio.file.{Files, Path}

import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

/**
 * The driver's smoke mode end to end: real server JVMs, real ghz runs, real report files. No timing is asserted: only
 * that every expected server answered every scenario and load correctly.
 */
class BenchDriverSpec extends AnyWordSpec with Matchers {

  /**
   * The servers this build must have. THE place to change when h2native is wired (PekkoBinders.h2native): add
   * Backend.H2Native.
   */
  val ExpectedBackends: Seq[Backend] = Seq(Backend.H2Native, Backend.PekkoHttp, Backend.GrpcJava)

  "The bench-grpc driver's smoke mode" should {
    "run ghz against every expected server and scenario without an error and write the md, csv and png" in {
      Backend.built should contain allElementsOf ExpectedBackends

      val out: Path = Files.createTempDirectory("bench-grpc-spec-")
      // Every backend, so that one that is not built is reported as such, not dropped.
      val config = DriverConfig.parse(List("smoke", "--out", out.toString)).fold(e => fail(e), identity)
      val outcome = Driver.run(config)

      withClue(outcome.problems.mkString("problems:\n", "\n", "\n")) {
        for (backend <- ExpectedBackends) {
          // The echo through a real pekko-grpc client, and `GET /`/`POST /` where the server has them.
          outcome.statuses.get(backend) match {
            case Some(ServerStatus.Ran(checks)) =>
              checks.echo shouldBe Right(())
              if (backend == Backend.GrpcJava) checks.root shouldBe None else checks.root shouldBe Some(Right(()))
            case other => fail(s"$backend: $other")
          }
          for (scenario <- Scenario.all; load <- Load.defaults) {
            val row = outcome.rows.find(r => r.scenario == scenario && r.load == load && r.backend == backend).get
            withClue(s"$backend ${scenario.name} ${load.label}: ") {
              row.status shouldBe "ok"
              row.reps should have size 1
              row.errors shouldBe 0
              row.requests should be > 0L
              row.rps.get should be > 0.0
              row.p99Ms.get should be > 0.0
            }
          }
        }
        Backend.all.filterNot(ExpectedBackends.contains).foreach { b =>
          outcome.statuses.get(b) shouldBe a[Some[_]]
          outcome.statuses(b) shouldBe a[ServerStatus.NotBuilt]
        }
        outcome.problems shouldBe empty
        outcome.exitCode shouldBe 0
      }

      val names = outcome.files.map(_.getName)
      for (ext <- Seq(".md", ".csv", "-reps.csv", ".png")) names should contain(s"latest$ext")
      outcome.files.foreach(f => withClue(f)(f.length should be > 0L))
      val md = new String(Files.readAllBytes(out.resolve("latest.md")), "UTF-8")
      for (b <- ExpectedBackends; s <- Scenario.all) md should include(s"| ${s.name} | ")
      md should include(outcome.summary)
      val csv = new String(Files.readAllBytes(out.resolve("latest.csv")), "UTF-8").linesIterator.toSeq
      csv.head shouldBe Report.csvHeader
      csv.size shouldBe 1 + Scenario.all.size * Load.defaults.size * Backend.all.size
      val png = Files.readAllBytes(out.resolve("latest.png"))
      png.take(8).toSeq shouldBe Seq(0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n').map(_.toByte)
      outcome.summary should startWith("summary [")
    }
  }
}
