import * as grpc from '@grpc/grpc-js'

// A real OTLP/gRPC receiver on loopback. It records each export's metadata
// and raw protobuf bytes, and answers with an empty ExportTraceServiceResponse
// (zero bytes is a valid empty protobuf message), so no .proto file is needed.
// https://opentelemetry.io/docs/specs/otlp/#otlpgrpc

export interface OtlpGrpcExport {
  metadata: Record<string, unknown>
  body: Buffer
}

const passThrough = (value: Buffer) => value

export async function startOtlpGrpcReceiver (): Promise<{ url: string, exports: OtlpGrpcExport[], close: () => Promise<void> }> {
  const exports: OtlpGrpcExport[] = []
  const server = new grpc.Server()
  server.addService({
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      requestStream: false,
      responseStream: false,
      requestSerialize: passThrough,
      requestDeserialize: passThrough,
      responseSerialize: passThrough,
      responseDeserialize: passThrough,
    },
  }, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      exports.push({ metadata: call.metadata.getMap(), body: call.request })
      callback(null, Buffer.alloc(0))
    },
  })
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, boundPort) => error === null ? resolve(boundPort) : reject(error))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  }
}
