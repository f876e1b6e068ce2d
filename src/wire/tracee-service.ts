// Tracee's own gRPC service (`tracee.v1beta1.TraceeService`) as a grpc-js
// service definition built from our .proto files: the `attach` client calls it,
// the tests serve it. Messages travel as protobufjs plain objects (proto field
// names, 64-bit integers as strings, enums by name); a Buffer passed where a
// message is expected is sent as already-serialized bytes.
import type * as grpc from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import { protoRoot } from './proto.js';

export const TRACEE_SERVICE = 'tracee.v1beta1.TraceeService';

const OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: String, enums: String, defaults: false, arrays: true };

function serializer(type: protobuf.Type): (value: unknown) => Buffer {
  return (value) => {
    if (Buffer.isBuffer(value)) return value;
    const bytes = type.encode(type.fromObject(value as Record<string, unknown>)).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => Record<string, unknown> {
  return (bytes) => type.toObject(type.decode(bytes), OBJECT_OPTIONS);
}

let definition: grpc.ServiceDefinition | undefined;

/** Every TraceeService method with its path and (de)serializers, for grpc-js clients and servers. */
export function traceeServiceDefinition(): grpc.ServiceDefinition {
  if (definition) return definition;
  const service = protoRoot().lookupService(TRACEE_SERVICE);
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    out[method.name] = {
      path: `/${TRACEE_SERVICE}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      originalName: method.name,
    };
  }
  definition = out;
  return out;
}

/** One TraceeService method's definition; throws on a name the service does not have. */
export function traceeMethod(name: string): grpc.MethodDefinition<unknown, unknown> {
  const method = traceeServiceDefinition()[name];
  if (!method) throw new Error(`${TRACEE_SERVICE} has no method ${name}`);
  return method;
}
