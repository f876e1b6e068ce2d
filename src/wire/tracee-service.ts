// Tracee's own gRPC service (`tracee.v1beta1.TraceeService`) as a grpc-js
// service definition built from our .proto files: the `attach` client calls it,
// the tests serve it. Messages travel as plain objects (proto field names,
// 64-bit integers as strings, enums by name); a Buffer passed where a message
// is expected is sent as already-serialized bytes.
import type * as grpc from '@grpc/grpc-js';
import { serviceDefinition } from './services.js';

export const TRACEE_SERVICE = 'tracee.v1beta1.TraceeService';

function bytesOrMessage(serialize: (value: unknown) => Buffer): (value: unknown) => Buffer {
  return (value) => (Buffer.isBuffer(value) ? value : serialize(value));
}

let definition: grpc.ServiceDefinition | undefined;

/** Every TraceeService method with its path and (de)serializers, for grpc-js clients and servers. */
export function traceeServiceDefinition(): grpc.ServiceDefinition {
  if (definition) return definition;
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(serviceDefinition(TRACEE_SERVICE))) {
    out[name] = { ...method, requestSerialize: bytesOrMessage(method.requestSerialize), responseSerialize: bytesOrMessage(method.responseSerialize) };
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
