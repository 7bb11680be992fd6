// A pekko-grpc service served by h2native. The only h2native thing here is the published artifact.
// The h2native build's test passes the version it has just published (-Dh2native.version).
val H2nativeVersion = sys.props.getOrElse("h2native.version", "0.1.0-SNAPSHOT")

ThisBuild / scalaVersion := "2.13.18"

lazy val root = project
  .in(file("."))
  .enablePlugins(PekkoGrpcPlugin)
  .settings(
    name := "grpc-quickstart",
    libraryDependencies ++= Seq(
      "io.h2native" %% "h2native" % H2nativeVersion,
      // h2native brings Pekko 1.2.1; pekko-grpc-runtime 1.1.1 brings pekko-discovery 1.1.2, and Pekko refuses to
      // start with mixed module versions: align it.
      "org.apache.pekko" %% "pekko-discovery" % "1.2.1"
    ),
    run / fork := true,
    // JDK 24+ warns when code on the class path loads a native library (JEP 472); JDK 17+ accept the option.
    run / javaOptions += "--enable-native-access=ALL-UNNAMED"
  )
