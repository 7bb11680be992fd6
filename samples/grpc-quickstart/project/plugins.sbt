// The same pekko-grpc sbt plugin as the h2native build.
addSbtPlugin("org.apache.pekko" % "pekko-grpc-sbt-plugin" % "1.1.1")
