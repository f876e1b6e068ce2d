// Bench-only preload (`node --require dist/bench/grpc/http2-window.js ...`): every
// HTTP/2 server the process creates receives with larger flow-control windows
// (stream and connection: HTTP2_WINDOW_BYTES, default 1 MiB instead of HTTP/2's
// 64 KiB). grpc-js's server has no option for this, so the latency benchmark
// measures with it whether a batch bigger than the default window (100 events
// are about 67 KB) waits for a WINDOW_UPDATE.
// The module object itself (an ES namespace import would be a read-only copy of it).
import http2 = require('node:http2');

const windowBytes = Number(process.env.HTTP2_WINDOW_BYTES ?? 1024 * 1024);

function widened<T extends http2.Http2Server | http2.Http2SecureServer>(server: T): T {
  server.on('session', (session: http2.ServerHttp2Session) => session.setLocalWindowSize(windowBytes));
  return server;
}

const plain = http2.createServer;
const secure = http2.createSecureServer;
type Options = { settings?: http2.Settings };
const withWindow = <O extends Options>(options: O | undefined): O => ({ ...options, settings: { ...options?.settings, initialWindowSize: windowBytes } }) as O;

type Listener = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;
Object.assign(http2, {
  createServer: (options?: http2.ServerOptions, listener?: Listener) => widened(plain(withWindow(options), listener!)),
  createSecureServer: (options?: http2.SecureServerOptions, listener?: Listener) => widened(secure(withWindow(options), listener!)),
});
