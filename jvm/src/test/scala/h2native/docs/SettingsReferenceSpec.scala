/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.docs

import java.nio.file.{Files, Path, Paths}

import scala.jdk.CollectionConverters._

import com.typesafe.config.{ConfigException, ConfigFactory}
import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

import h2native.impl.{Abi, EngineConfig}
import h2native.scaladsl.settings.ServerSettings

/** The README's settings table is reference.conf's keys and defaults, so that the two cannot drift apart. */
class SettingsReferenceSpec extends AnyWordSpec with Matchers {

  private def readme: Path =
    Seq(Paths.get("../README.md"), Paths.get("README.md")).find(Files.exists(_)).getOrElse(fail("README.md not found"))

  /** `key = value` lines of reference.conf, with the path of the blocks around them. */
  private def referenceEntries: Seq[(String, String)] = {
    val text = new String(getClass.getClassLoader.getResourceAsStream("reference.conf").readAllBytes(), "UTF-8")
    var path = List.empty[String]
    text.linesIterator.map(_.trim).filterNot(l => l.isEmpty || l.startsWith("#")).toSeq.flatMap { line =>
      if (line.endsWith("{")) { path = line.dropRight(1).trim :: path; None }
      else if (line == "}") { path = path.tail; None }
      else {
        val eq = line.indexOf('=')
        Some((path.reverse :+ line.take(eq).trim).mkString(".") -> line.drop(eq + 1).trim)
      }
    }
  }

  /** Rows `| `key` | `default` | ... |` between the settings markers of the README. */
  private def documentedEntries: Seq[(String, String)] = {
    val lines = Files.readAllLines(readme).asScala.toSeq
    val from = lines.indexWhere(_.contains("<!-- settings:begin -->"))
    val to = lines.indexWhere(_.contains("<!-- settings:end -->"))
    withClue("settings markers in README.md: ")(from should (be >= 0 and be < to))
    val Row = """\|\s*`([^`]+)`\s*\|\s*`([^`]*)`\s*\|.*""".r
    lines.slice(from + 1, to).collect { case Row(k, v) => k -> v }
  }

  "The README's settings reference" should {
    "list every key of reference.conf with its default, and nothing else" in {
      documentedEntries shouldBe referenceEntries
    }

    "describe only settings that the settings classes read" in {
      val reference = ConfigFactory.defaultReference()
      ServerSettings(reference).http2.maxConcurrentStreams shouldBe 100
      val engine = Abi.CONFIG_NAMES.toSet.map((n: String) => s"h2native.server.http2.$n")
      for ((key, _) <- referenceEntries) withClue(s"$key: ") {
        // an engine setting falls back to the engine's default; every other key is required
        if (engine(key)) ServerSettings(reference.withoutPath(key)) shouldBe ServerSettings(reference)
        else intercept[ConfigException.Missing](ServerSettings(reference.withoutPath(key)))
      }
    }
  }

  "reference.conf" should {
    "list every engine setting (but the engine's own idle timeout) with the engine's default" in {
      val http2 = ConfigFactory.defaultReference().getConfig("h2native.server.http2")
      for (name <- Abi.CONFIG_NAMES if name != "idle-timeout") withClue(s"$name: ")(http2.hasPath(name) shouldBe true)
      // read back by the generic reader, reference.conf's values are the Rust defaults, field by field
      EngineConfig.fromConfig(http2).toMap shouldBe EngineConfig.Defaults.toMap
      http2.root.keySet.asScala.toSet -- Abi.CONFIG_NAMES.toSet shouldBe Set("min-collect-strict-entity-size")
    }
  }
}
