/**
 * JSON over one HTTP/2 stream, for HA request forwarding on the cluster port (ha/forward-server.ts;
 * the replication RPCs have their own framing, replication/frame-rpc.ts).
 */
import type * as http2 from 'node:http2';

/** Answer a stream with a JSON body, unless the peer already went away. */
export function respondJson(stream: http2.ServerHttp2Stream, status: number, body: unknown): void {
  if (stream.destroyed || stream.closed) return;
  if (!stream.headersSent) stream.respond({ ':status': status, 'content-type': 'application/json' });
  // End once the body is written, not with it: node's stream.end(body) settles that write after the
  // stream was destroyed and builds an ERR_STREAM_DESTROYED (a stack trace) per answer, ~9 % of
  // a small RPC's cost in a profile.
  stream.write(JSON.stringify(body), () => {
    if (!stream.destroyed) stream.end();
  });
}

/** The whole request body, refused once it passes `limit` bytes (a peer cannot make us buffer more). */
export function readStreamBody(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) reject(new Error('body too large'));
      else chunks.push(c);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
