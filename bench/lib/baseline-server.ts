/**
 * The platform baseline: a bare node:http server in its own process answering every request
 * with one fixed JSON body. Run as `node baseline-server.js <bodyBytes>`; prints
 * "baseline listening <port>" once bound to 127.0.0.1 on an ephemeral port.
 */
import { createServer } from 'node:http';
import { fixedJsonBody } from './payload.js';

const body = fixedJsonBody(Number(process.argv[2]));
const server = createServer((req, res) => {
  // Drain any request body so keep-alive connections stay usable, as a real server must.
  req.resume();
  req.on('end', () => {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Content-Length': body.length,
    });
    res.end(body);
  });
});
server.keepAliveTimeout = 300_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('baseline: no TCP address');
  process.stdout.write(`baseline listening ${addr.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
