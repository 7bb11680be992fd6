// h2native: a Rust HTTP/2 engine for Pekko, built by cargo from within sbt.
import CargoBuild.{buildLibrary, cargo, libraryFileName, platform}

val PekkoVersion = "1.2.1" // newest with every module we need on Maven Central (pekko-discovery stops at 1.2.1)
val PekkoHttpVersion = "1.3.0"
// pekko-grpc's own version is the sbt plugin's (project/plugins.sbt): 1.1.1
val ScalaTestVersion = "3.2.19"

ThisBuild / organization := "io.h2native"
ThisBuild / version := "0.1.0-SNAPSHOT"
ThisBuild / scalaVersion := "2.13.18"
ThisBuild / scalacOptions ++= Seq("-deprecation", "-feature", "-unchecked", "-Xlint", "-release", "17")
ThisBuild / javacOptions ++= Seq("--release", "17")
ThisBuild / licenses := Seq("Apache-2.0" -> url("https://www.apache.org/licenses/LICENSE-2.0"))

val cargoFmtCheck = taskKey[Unit]("cargo fmt --all --check")
val cargoClippy = taskKey[Unit]("cargo clippy --workspace --all-targets -- -D warnings")
val cargoTest = taskKey[Unit]("cargo test --workspace")
val nativeLibrary = taskKey[File]("builds libh2native with cargo")

lazy val root = project
  .in(file("."))
  .aggregate(h2native, benchGrpc)
  .settings(
    name := "h2native-root",
    publish / skip := true,
    // cargo owns ./target; keep sbt's own files of the root project apart from it.
    target := baseDirectory.value / "target" / "sbt",
    cargoFmtCheck := cargo(Seq("cargo", "fmt", "--all", "--check"), baseDirectory.value, streams.value.log),
    cargoClippy := cargo(
      Seq("cargo", "clippy", "--locked", "--workspace", "--all-targets", "--", "-D", "warnings"),
      baseDirectory.value,
      streams.value.log
    ),
    cargoTest := cargo(Seq("cargo", "test", "--locked", "--workspace"), baseDirectory.value, streams.value.log),
    // `./sbt test` runs everything, one after the other, so the runners' summaries stay readable:
    // the Rust checks and tests, the formatting checks, then the JVM tests.
    test / aggregate := false,
    Test / test := Def
      .sequential(
        cargoFmtCheck,
        cargoClippy,
        cargoTest,
        Compile / scalafmtSbtCheck,
        h2native / scalafmtCheckAll,
        benchGrpc / scalafmtCheckAll,
        h2native / Test / test,
        benchGrpc / Test / test
      )
      .value
  )

lazy val h2native = project
  .in(file("jvm"))
  .settings(
    name := "h2native",
    libraryDependencies ++= Seq(
      "org.apache.pekko" %% "pekko-stream" % PekkoVersion,
      "org.apache.pekko" %% "pekko-http-core" % PekkoHttpVersion,
      "org.scalatest" %% "scalatest" % ScalaTestVersion % Test
    ),
    nativeLibrary := buildLibrary((ThisBuild / baseDirectory).value, streams.value.log),
    // The library travels in the jar under native/<platform>/, where h2native.impl.NativeLibrary looks.
    Compile / resourceGenerators += Def.task {
      val out = (Compile / resourceManaged).value / "native" / platform / libraryFileName
      IO.copyFile(nativeLibrary.value, out)
      Seq(out)
    },
    // Tests load the native library: give them their own JVM.
    Test / fork := true,
    Test / javaOptions ++= Seq("-Xmx1g"),
    Test / testOptions += Tests.Argument(TestFrameworks.ScalaTest, "-oD")
  )

lazy val benchGrpc = Project("bench-grpc", file("bench-grpc"))
  .enablePlugins(PekkoGrpcPlugin)
  .dependsOn(h2native)
  .settings(
    name := "h2native-bench-grpc",
    publish / skip := true,
    libraryDependencies ++= Seq(
      "org.apache.pekko" %% "pekko-http" % PekkoHttpVersion,
      "org.apache.pekko" %% "pekko-stream" % PekkoVersion,
      "org.apache.pekko" %% "pekko-discovery" % PekkoVersion,
      "org.scalatest" %% "scalatest" % ScalaTestVersion % Test
    ),
    run / fork := true,
    Test / fork := true
  )
