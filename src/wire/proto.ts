// Loads our .proto files (proto/: Tracee's tracee.v1beta1, wire-compatible; our
// tracee.sig.v1 SignatureService; grpc.health.v1) with protobufjs, keeping proto
// field names (snake_case) as Tracee's JSON does.
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

/** The proto/ folder of this package (dist/src/wire/proto.js -> ../../../proto). */
export const PROTO_DIR = path.resolve(__dirname, '..', '..', '..', 'proto');

let root: protobuf.Root | undefined;

export function protoRoot(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : path.join(PROTO_DIR, target));
  r.loadSync(['tracee/v1beta1/event.proto', 'tracee/v1beta1/tracee.proto', 'tracee/sig/v1/signature.proto', 'grpc/health/v1/health.proto'], { keepCase: true });
  r.resolveAll();
  root = r;
  return r;
}

export function protoType(name: string): protobuf.Type {
  return protoRoot().lookupType(name);
}

export function protoEnum(name: string): protobuf.Enum {
  return protoRoot().lookupEnum(name);
}

export function protoService(name: string): protobuf.Service {
  return protoRoot().lookupService(name);
}
