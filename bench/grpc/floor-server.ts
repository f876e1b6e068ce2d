// The transport floor: a grpc-js server of the same OnEvents method that
// decodes nothing and answers each EventBatch with an empty FindingBatch.
// Usage: node floor-server.js SOCKET_PATH
import * as grpc from '@grpc/grpc-js';
import { signatureServiceDefinition } from '../../src/wire/services.js';

const socket = process.argv[2];
const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
const EMPTY = Buffer.alloc(0);
server.addService(signatureServiceDefinition(), {
  OnEvents: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
    call.on('data', () => {
      if (!call.write(EMPTY)) {
        call.pause();
        call.once('drain', () => call.resume());
      }
    });
    call.on('end', () => call.end());
  },
});
server.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
  process.stderr.write('floor: listening on unix:' + socket + '\n');
});
process.on('SIGTERM', () => server.forceShutdown());
