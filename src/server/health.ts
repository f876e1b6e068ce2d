// grpc.health.v1.Health: Check and Watch for the whole server ("") and for
// tracee.sig.v1.SignatureService. SERVING once the service is ready,
// NOT_SERVING while it shuts down.
import * as grpc from '@grpc/grpc-js';
import { SIGNATURE_SERVICE } from '../wire/services.js';

export type ServingStatus = 'SERVING' | 'NOT_SERVING';

type Request = { service?: string };
type Response = { status: string };

export class HealthService {
  private status: ServingStatus = 'NOT_SERVING';
  private readonly watchers = new Set<grpc.ServerWritableStream<Request, Response>>();
  private readonly known = new Set(['', SIGNATURE_SERVICE]);

  setStatus(status: ServingStatus): void {
    this.status = status;
    for (const w of this.watchers) w.write({ status });
  }

  /** Ends every Watch stream (at shutdown, after the last status was sent). */
  endWatches(): void {
    for (const w of this.watchers) w.end();
    this.watchers.clear();
  }

  handlers(): grpc.UntypedServiceImplementation {
    return {
      Check: (call: grpc.ServerUnaryCall<Request, Response>, callback: grpc.sendUnaryData<Response>) => {
        const service = call.request.service ?? '';
        if (!this.known.has(service)) {
          callback({ code: grpc.status.NOT_FOUND, details: `unknown service "${service}"; this server serves "" and "${SIGNATURE_SERVICE}"` });
          return;
        }
        callback(null, { status: this.status });
      },
      Watch: (call: grpc.ServerWritableStream<Request, Response>) => {
        const service = call.request.service ?? '';
        if (!this.known.has(service)) {
          call.write({ status: 'SERVICE_UNKNOWN' });
          return; // stays open, as the protocol says: the service may appear later (here it never does)
        }
        call.write({ status: this.status });
        this.watchers.add(call);
        const forget = () => this.watchers.delete(call);
        call.on('cancelled', forget);
        call.on('close', forget);
      },
    };
  }
}
