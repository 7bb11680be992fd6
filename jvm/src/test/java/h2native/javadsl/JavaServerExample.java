/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.javadsl;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;

/**
 * The Java API as a Java user of pekko-grpc writes it: a {@code Function<HttpRequest,
 * CompletionStage<HttpResponse>>} (the type pekko-grpc's Java code generator returns) bound with
 * one line. Compiled by javac; JavaApiSpec drives it with a real client.
 */
public final class JavaServerExample {
  private JavaServerExample() {}

  public static CompletionStage<ServerBinding> bind(ActorSystem system) {
    Materializer materializer = Materializer.createMaterializer(system);
    Function<HttpRequest, CompletionStage<HttpResponse>> handler =
        request -> {
          if (request.getUri().path().equals("/java")) {
            return CompletableFuture.completedFuture(
                HttpResponse.create().withEntity("hello from a Java handler"));
          }
          // echo the body, read as a stream of the request entity
          return request
              .entity()
              .toStrict(5000, materializer)
              .thenApply(strict -> HttpResponse.create().withEntity(strict.getData()));
        };
    return NativeHttp2.get(system).newServerAt("127.0.0.1", 0).bind(handler);
  }
}
