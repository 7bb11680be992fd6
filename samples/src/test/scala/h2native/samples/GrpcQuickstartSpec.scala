/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.samples

import java.io.File
import java.nio.charset.StandardCharsets.UTF_8
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import java.util.jar.JarFile

import scala.jdk.CollectionConverters._

import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

/**
 * The published h2native as a user gets it: the jar and POM that `publishLocal` wrote (sbt runs it before this test),
 * and samples/grpc-quickstart, a separate sbt build depending on that artifact, run with its own sbt to answer a real
 * gRPC call.
 */
class GrpcQuickstartSpec extends AnyWordSpec with Matchers {
  private def prop(name: String): String = sys.props.getOrElse(name, fail(s"-D$name is not set: run me from sbt"))

  private val root = new File(prop("h2native.root"))
  private val version = prop("h2native.version")
  private val artifact = prop("h2native.artifact")
  private val organization = new File(prop("h2native.ivy.local"), "io.h2native")
  private val published = new File(organization, s"$artifact/$version")
  private val sample = new File(root, "samples/grpc-quickstart")

  private def read(f: File): String = new String(Files.readAllBytes(f.toPath), UTF_8)

  "The published h2native" should {
    "carry the native library and Enable-Native-Access in its jar" in {
      val jar = new JarFile(new File(published, s"jars/$artifact.jar"))
      try {
        jar.getEntry(prop("h2native.native.entry")) should not be null
        jar.getManifest.getMainAttributes.getValue("Enable-Native-Access") shouldBe "ALL-UNNAMED"
      } finally jar.close()
    }

    "list only run-time dependencies in its POM" in {
      val pom = read(new File(published, s"poms/$artifact.pom"))
      pom should include("<artifactId>pekko-stream_")
      pom should not include "<scope>test</scope>"
      pom should not include "scalatest"
      pom should not include "bench"
    }

    "be the only module published: bench-grpc, bench-grpc-java and samples are not" in {
      organization.list().toSeq.filterNot(_.startsWith("h2native_")) shouldBe empty
    }
  }

  "samples/grpc-quickstart" should {
    "pin the same sbt and pekko-grpc plugin as this build" in {
      def pins(build: File, file: String, what: String) =
        read(new File(build, file)).linesIterator.filter(_.contains(what)).toList
      val pinned = Seq("project/build.properties" -> "sbt.version", "project/plugins.sbt" -> "pekko-grpc-sbt-plugin")
      for ((file, what) <- pinned) pins(sample, file, what) shouldBe pins(root, file, what)
    }

    "build with its own sbt on the published jar and answer a gRPC call" in {
      val log = Files.createTempFile("grpc-quickstart", ".log").toFile
      // Through the repository's launcher: the same sbt, ivy and coursier caches, the same single repository
      // (Maven Central or its mirror) plus the local ivy repository that publishLocal has just written.
      val pb = new ProcessBuilder(new File(root, "sbt").getPath, "run --self-test")
        .directory(sample)
        .redirectErrorStream(true)
        .redirectOutput(log)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
      val sbtOpts = (sys.env.get("SBT_OPTS").toSeq :+ s"-Dh2native.version=$version").mkString(" ")
      pb.environment().put("SBT_OPTS", sbtOpts)
      val process = pb.start()
      val finished = process.waitFor(6, TimeUnit.MINUTES)
      if (!finished) process.descendants().iterator().asScala.foreach(_.destroy())
      if (!finished) process.destroy()
      val output = read(log)
      Files.delete(log.toPath)
      withClue(s"sbt in $sample said:\n${output.linesIterator.toSeq.takeRight(60).mkString("\n")}\n") {
        finished shouldBe true
        process.exitValue() shouldBe 0
        output should include("on h2native at /127.0.0.1:")
        output should include("reply: Hello, h2native")
      }
    }
  }
}
