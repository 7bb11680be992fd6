/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server;

import java.util.Optional;
import javax.net.ssl.SSLEngine;

import org.apache.pekko.annotation.InternalApi;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.scaladsl.Http;
import org.apache.pekko.http.scaladsl.HttpsConnectionContext;

import scala.Function1;
import scala.Option;
import scala.Tuple2;
import scala.util.Either;

/**
 * INTERNAL API
 *
 * <p>Two members of pekko-http that are {@code private[http]} in Scala and public in bytecode,
 * reached from Java because a drop-in server needs exactly them: the javadsl {@code ServerBinding}
 * constructor (Java users expect that type, as pekko-http's own {@code bind} returns it) and the
 * SSLEngine factory an {@code HttpsConnectionContext} carries (what {@code
 * ConnectionContext.httpsServer(...)} was given). Both are stable across pekko-http 1.x.
 */
@InternalApi
public final class PekkoHttpAccess {
  private PekkoHttpAccess() {}

  public static ServerBinding toJava(Http.ServerBinding binding) {
    return new ServerBinding(binding);
  }

  /** The context's engine factory, or empty for a context built from SSLContext + options. */
  public static Optional<Function1<Option<Tuple2<String, Object>>, SSLEngine>> engineCreator(
      HttpsConnectionContext context) {
    Either<?, Function1<Option<Tuple2<String, Object>>, SSLEngine>> data = context.sslContextData();
    return data.isRight() ? Optional.of(data.toOption().get()) : Optional.empty();
  }
}
