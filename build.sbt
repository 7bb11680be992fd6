// h2native: a Rust HTTP/2 engine for Pekko, built by cargo from within sbt.
import CargoBuild.{buildLibrary, cargo, libraryFileName, platform}

val PekkoVersion = "1.2.1" // newest with every module we need on Maven Central (pekko-discovery stops at 1.2.1)
val PekkoHttpVersion = "1.3.0"
// pekko-grpc's own version is the sbt plugin's (project/plugins.sbt): 1.1.1
val ScalaTestVersion = "3.2.19"

ThisBuild / organization := "io.h2native"
ThisBuild / version := "0.1.0-SNAPSHOT"
val Scala213 = "2.13.18"
val Scala3 = "3.3.7" // the long-term-support line, as Pekko's own Scala 3 builds
ThisBuild / scalaVersion := Scala213
ThisBuild / crossScalaVersions := Seq(Scala213) // h2native itself: both
ThisBuild / scalacOptions ++= Seq("-deprecation", "-feature", "-unchecked", "-release", "17")
// -Xlint is Scala 2's; each project adds it for its own Scala version
lazy val lint = Def.setting(if (scalaVersion.value.startsWith("2.")) Seq("-Xlint") else Nil)
ThisBuild / javacOptions ++= Seq("--release", "17")
ThisBuild / licenses := Seq("Apache-2.0" -> url("https://www.apache.org/licenses/LICENSE-2.0"))
// MiMa checks h2native against its releases; nothing is released yet and the other modules never are.
ThisBuild / mimaFailOnNoPrevious := false

val cargoFmtCheck = taskKey[Unit]("cargo fmt --all --check")
val cargoClippy = taskKey[Unit]("cargo clippy --workspace --all-targets -- -D warnings")
val cargoTest = taskKey[Unit]("cargo test --workspace")
val nativeLibrary = taskKey[File]("builds libh2native with cargo")
val fuzzSmoke = taskKey[Unit]("a short cargo-fuzz run of every target (scripts/fuzz-smoke.sh)")
val testPeers = taskKey[Unit]("installs the tests' real peers, pinned (h2spec, h2load/nghttp, ghz, grpcio)")
val testOnJdk25 = taskKey[Unit]("h2native's JVM tests again on JDK 25 (H2NATIVE_JDK25_HOME), where it is installed")

// A second JDK for h2native's tests: JDK 24+ restricts JNI (JEP 472) and the loader must stay warning-free there.
lazy val Jdk25 = config("jdk25").extend(Test)
lazy val jdk25Home =
  sys.env.get("H2NATIVE_JDK25_HOME").map(file).getOrElse(file("/usr/lib/jvm/temurin-25-jdk-amd64"))

// `./sbt test` runs everything: the root's test sequence below (Rust checks and tests, formatting, the JVM tests
// on Scala 2.13), then the h2native library's tests again on Scala 3.
addCommandAlias("test", s";Test/test ;++$Scala3 h2native/test ;++$Scala213")

lazy val root = project
  .in(file("."))
  .aggregate(h2native, benchGrpc, benchJmh, samples)
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
    fuzzSmoke := cargo(Seq("bash", "scripts/fuzz-smoke.sh", "10"), baseDirectory.value, streams.value.log),
    // Before any JVM test runs, so that a fresh machine has every client the tests start.
    testPeers := {
      val log = streams.value.log
      cargo(Seq("bash", "scripts/install-tools.sh"), baseDirectory.value, log)
      Seq("ghz", "grpcio").foreach(t => cargo(Seq("bash", "scripts/bench-grpc-tools.sh", t), baseDirectory.value, log))
    },
    testOnJdk25 := Def.taskDyn {
      if ((jdk25Home / "bin" / "java").exists) h2native / Jdk25 / test
      else
        Def.task(streams.value.log.warn(s"no JDK at $jdk25Home (H2NATIVE_JDK25_HOME): h2native's tests ran on one JDK"))
    }.value,
    // `./sbt test` runs everything, one after the other, so the runners' summaries stay readable:
    // the Rust checks and tests, the formatting and binary-compatibility checks, then the JVM tests (h2native's
    // twice: on the build's JDK and on JDK 25), and last the sample built on the published jar.
    test / aggregate := false,
    Test / test := Def
      .sequential(
        cargoFmtCheck,
        cargoClippy,
        cargoTest,
        fuzzSmoke,
        Compile / scalafmtSbtCheck,
        h2native / scalafmtCheckAll,
        benchGrpc / scalafmtCheckAll,
        benchJmh / scalafmtCheckAll,
        samples / scalafmtCheckAll,
        h2native / mimaReportBinaryIssues,
        testPeers,
        h2native / Test / test,
        testOnJdk25,
        benchGrpc / Test / test,
        benchJmh / Test / test,
        samples / Test / test
      )
      .value
  )

lazy val h2native = project
  .in(file("jvm"))
  .configs(Jdk25)
  .settings(
    name := "h2native",
    crossScalaVersions := Seq(Scala213, Scala3),
    scalacOptions ++= lint.value,
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
    // JDK 24+ warns when class path code loads a native library (JEP 472). The JDK reads this attribute only from
    // the jar started with `java -jar`; applications with h2native on the class path pass
    // --enable-native-access=ALL-UNNAMED or set it in their own manifest (README, "Using h2native").
    Compile / packageBin / packageOptions += Package.ManifestAttributes("Enable-Native-Access" -> "ALL-UNNAMED"),
    // Users get what the jar needs at run time: the POM leaves out test-scoped dependencies.
    pomPostProcess := Packaging.dropTestDependencies,
    // No release yet, so no baseline (MiMa says "mimaPreviousArtifacts is empty, not analyzing"); after the first
    // one: Set(organization.value %% name.value % "<last release>"). Exclusions: mima-filters/<version>.backwards.excludes
    mimaPreviousArtifacts := Set.empty,
    mimaFiltersDirectory := (ThisBuild / baseDirectory).value / "mima-filters",
    // Tests load the native library: give them their own JVM. Its classes come from directories, not the jar, so
    // the manifest attribute does not apply: the option keeps JDK 24+ from warning (JDK 17 accepts it too).
    Test / fork := true,
    Test / javaOptions ++= Seq("-Xmx1g", "--enable-native-access=ALL-UNNAMED"),
    Test / testOptions += Tests.Argument(TestFrameworks.ScalaTest, "-oD"),
    // Another JDK for one run: H2NATIVE_TEST_JAVA_HOME=/usr/lib/jvm/... ./sbt h2native/test
    Test / javaHome := sys.env.get("H2NATIVE_TEST_JAVA_HOME").map(file),
    // h2native/Jdk25/test: the same tests on JDK 25 (testOnJdk25 runs it in `./sbt test` when that JDK is there).
    inConfig(Jdk25)(Defaults.testTasks),
    // (forkOptions, not javaHome: the test tasks in Jdk25 take Test's fork options unless given their own)
    Jdk25 / forkOptions := (Test / forkOptions).value.withJavaHome(Some(jdk25Home)),
    Jdk25 / testOptions += Tests.Argument(TestFrameworks.ScalaTest, "-oD")
  )

val GrpcJavaVersion = "1.67.1" // the grpc-java that pekko-grpc-runtime 1.1.1 brings: one grpc-java in the JVM
val SprayJsonVersion = "1.3.6" // parses ghz's JSON report

lazy val benchGrpc = Project("bench-grpc", file("bench-grpc"))
  .enablePlugins(PekkoGrpcPlugin)
  .dependsOn(h2native, benchGrpcJava)
  .settings(
    name := "h2native-bench-grpc",
    scalacOptions ++= lint.value,
    publish / skip := true,
    libraryDependencies ++= Seq(
      "org.apache.pekko" %% "pekko-http" % PekkoHttpVersion,
      "org.apache.pekko" %% "pekko-stream" % PekkoVersion,
      "org.apache.pekko" %% "pekko-discovery" % PekkoVersion,
      "io.grpc" % "grpc-netty-shaded" % GrpcJavaVersion,
      "io.spray" %% "spray-json" % SprayJsonVersion,
      "org.scalatest" %% "scalatest" % ScalaTestVersion % Test
    ),
    run / fork := true,
    Test / fork := true,
    // The driver starts each server as its own JVM on this classpath and finds the payloads, the
    // protos and scripts/ from the module's directory, whatever the working directory.
    run / javaOptions ++= benchDriverProperties.value,
    // The driver's report on stdout as it is (no "[info] " before each line of the Markdown table).
    run / outputStrategy := Some(StdoutOutput),
    Test / javaOptions ++= benchDriverProperties.value,
    Test / testOptions += Tests.Argument(TestFrameworks.ScalaTest, "-oD")
  )

lazy val benchDriverProperties = Def.task {
  Seq(
    s"-Dh2native.bench.dir=${baseDirectory.value}",
    s"-Dh2native.bench.classpath=${(Runtime / fullClasspath).value.files.mkString(java.io.File.pathSeparator)}"
  )
}

// The grpc-java peer of the benchmark: Java messages and a GENERATED grpc-java service
// (protoc-gen-grpc-java from Maven Central through sbt-protoc) for bench-grpc's own protos. The
// protos are copied with `java_package` set to h2native.bench.grpcjava.<name>, so the Java classes
// never clash with ScalaPB's (package bench.<name>) on the one classpath. Java only: no Scala here.
lazy val benchGrpcJava = Project("bench-grpc-java", file("bench-grpc-java"))
  .enablePlugins(ProtocPlugin)
  .settings(
    name := "h2native-bench-grpc-java",
    publish / skip := true,
    crossPaths := false,
    autoScalaLibrary := false,
    libraryDependencies ++= Seq(
      "io.grpc" % "grpc-protobuf" % GrpcJavaVersion,
      "io.grpc" % "grpc-stub" % GrpcJavaVersion,
      ("io.grpc" % "protoc-gen-grpc-java" % GrpcJavaVersion).asProtocPlugin()
    ),
    // protoc as bench-grpc's (3.25.5, sbt-protoc's through pekko-grpc), so that the Java code matches
    // the protobuf-java runtime ScalaPB brings.
    PB.protocVersion := (LocalProject("bench-grpc") / PB.protocVersion).value,
    Compile / PB.protoSources := Seq((Compile / sourceManaged).value / "protobuf-java"),
    Compile / PB.targets := Seq(
      PB.gens.java(PB.protocVersion.value) -> (Compile / sourceManaged).value / "grpc-java",
      // No @javax.annotation.Generated: that annotation is not in the JDK since Java 11.
      PB.Target(PB.gens.plugin("grpc-java"), (Compile / sourceManaged).value / "grpc-java", Seq("@generated=omit"))
    ),
    Compile / PB.generate := (Compile / PB.generate).dependsOn(benchJavaProtos).value
  )

lazy val benchJavaProtos = Def.task {
  val out = (Compile / sourceManaged).value / "protobuf-java"
  val sources = ((LocalProject("bench-grpc") / baseDirectory).value / "src" / "main" / "protobuf" * "*.proto").get
  val written = sources.map { src =>
    val text = IO.read(src)
    val pkg = "(?m)^package\\s+([\\w.]+)\\s*;".r.findFirstMatchIn(text).getOrElse(sys.error(s"$src: no package"))
    val javaPkg = "h2native.bench.grpcjava." + pkg.group(1).split('.').last
    val options = s"""\noption java_package = "$javaPkg";\noption java_multiple_files = true;"""
    val target = out / src.getName
    val content = text.substring(0, pkg.end) + options + text.substring(pkg.end)
    // Rewritten only when changed, so that protoc does not run again for nothing.
    if (!target.exists || IO.read(target) != content) IO.write(target, content)
    target
  }
  (out * "*.proto").get.filterNot(written.contains).foreach(IO.delete)
  written
}

val NettyVersion = "4.2.20.Final" // newest on Maven Central; grpc-java 1.67.1 shades its own 4.1.x

// JMH benchmarks of the JVM path through JNI against Netty's and pekko-http's codecs on the same bytes.
// Run: ./sbt "bench-jmh/Jmh/run -prof gc". Its test checks that the three paths do the same work.
lazy val benchJmh = Project("bench-jmh", file("bench-jmh"))
  .enablePlugins(JmhPlugin)
  .dependsOn(h2native)
  .settings(
    name := "h2native-bench-jmh",
    scalacOptions ++= lint.value,
    publish / skip := true,
    libraryDependencies ++= Seq(
      "io.netty" % "netty-codec-http2" % NettyVersion,
      "org.apache.pekko" %% "pekko-http-core" % PekkoHttpVersion,
      "org.scalatest" %% "scalatest" % ScalaTestVersion % Test
    ),
    Test / fork := true,
    Test / testOptions += Tests.Argument(TestFrameworks.ScalaTest, "-oD")
  )

// samples/grpc-quickstart is a separate sbt build, as a user would write it, on the published h2native jar.
// This module's test publishes h2native locally, runs the sample with its own sbt (through ./sbt, with the same
// caches), and checks the published jar and POM. Not published.
lazy val samples = project
  .in(file("samples"))
  .settings(
    name := "h2native-samples",
    publish / skip := true,
    libraryDependencies += "org.scalatest" %% "scalatest" % ScalaTestVersion % Test,
    Test / fork := true,
    Test / javaOptions ++= Seq(
      s"-Dh2native.root=${(ThisBuild / baseDirectory).value}",
      s"-Dh2native.version=${(h2native / version).value}",
      s"-Dh2native.artifact=${(h2native / projectID).value.name}_${scalaBinaryVersion.value}",
      s"-Dh2native.ivy.local=${Packaging.ivyLocal(ivyPaths.value.ivyHome)}",
      s"-Dh2native.native.entry=native/$platform/$libraryFileName"
    ),
    Test / testOptions += Tests.Argument(TestFrameworks.ScalaTest, "-oD"),
    // The sample resolves h2native from the local ivy repository, so that comes first (testOnly too).
    Test / test := (Test / test).dependsOn(h2native / publishLocal).value,
    Test / testOnly := (Test / testOnly).dependsOn(h2native / publishLocal).evaluated
  )
