/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import java.net.InetSocketAddress

import io.grpc.Server
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder
import io.grpc.stub.StreamObserver

import h2native.bench.grpcjava.{complex => jcomplex, string100b => jstring100b}

/** The grpc_bench Greeter on grpc-java's generated service classes (module bench-grpc-java). */
final class GrpcJavaComplexGreeter extends jcomplex.GreeterGrpc.GreeterImplBase {
  override def sayHello(in: jcomplex.HelloRequest, out: StreamObserver[jcomplex.HelloReply]): Unit = {
    out.onNext(jcomplex.HelloReply.newBuilder().setResponse(in.getRequest).build())
    out.onCompleted()
  }
}

final class GrpcJavaString100bGreeter extends jstring100b.GreeterGrpc.GreeterImplBase {
  override def sayHello(in: jstring100b.HelloRequest, out: StreamObserver[jstring100b.HelloReply]): Unit = {
    out.onNext(jstring100b.HelloReply.newBuilder().setResponse(in.getRequest).build())
    out.onCompleted()
  }
}

/**
 * The grpc-java peer: grpc-java's Netty server (the shaded Netty that grpc-netty-shaded carries, with its native epoll
 * transport on Linux) with both Greeters. `directExecutor()` runs the service on Netty's event loop, as grpc_bench's
 * java_grpc_bench does. It answers gRPC only: grpc-java rejects any other request (405 for `GET /`, 415 for a `POST /`
 * without a gRPC content type).
 */
object GrpcJavaServer {
  val version: String = io.grpc.internal.GrpcUtil.IMPLEMENTATION_VERSION

  def start(host: String, port: Int): Server =
    NettyServerBuilder
      .forAddress(new InetSocketAddress(host, port))
      .directExecutor()
      .addService(new GrpcJavaComplexGreeter)
      .addService(new GrpcJavaString100bGreeter)
      .build()
      .start()
}
