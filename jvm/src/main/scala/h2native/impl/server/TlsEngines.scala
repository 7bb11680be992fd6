/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server

import javax.net.ssl.SSLEngine

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.http.scaladsl.HttpsConnectionContext

/** INTERNAL API: server SSLEngines from pekko-http's HTTPS context, offering ALPN `h2` only (RFC 9113 3.2). */
@InternalApi
private[h2native] object TlsEngines {
  final val Alpn: Array[String] = Array("h2")

  def factory(context: HttpsConnectionContext): () => SSLEngine = {
    val engineFor = PekkoHttpAccess.engineCreator(context)
    if (!engineFor.isPresent)
      throw new IllegalArgumentException(
        "h2native needs an HttpsConnectionContext made by ConnectionContext.httpsServer(...); the deprecated " +
          "ConnectionContext.https(sslContext, ...) form is not supported"
      )
    () => {
      val engine = engineFor.get.apply(None)
      engine.setUseClientMode(false)
      val params = engine.getSSLParameters
      // A client whose ALPN offer lacks h2 gets the no_application_protocol alert: nothing else is served here.
      params.setApplicationProtocols(Alpn)
      engine.setSSLParameters(params)
      engine
    }
  }
}
