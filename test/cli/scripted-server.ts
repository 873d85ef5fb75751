/**
 * A scripted HTTP server on 127.0.0.1:0 for in-process CLI tests: it records every request
 * (method, path, query, headers, parsed JSON body) and answers from a route function. The
 * server is scaffolding; the CLI under test (flags, client, output) is real.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runWith } from '../../src/cli/main.js';
import { CaptureUi } from './capture-ui.js';

export interface Recorded {
  readonly method: string;
  /** Path without /v1/ and without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: any;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
}

export type Route = (req: Recorded) => Reply | undefined;

export class ScriptedServer {
  readonly requests: Recorded[] = [];
  route: Route = () => undefined;

  private constructor(
    private readonly server: Server,
    readonly addr: string,
  ) {}

  static async start(): Promise<ScriptedServer> {
    let self: ScriptedServer | undefined;
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString('utf8')));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        let body: any;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          body = text;
        }
        const rec: Recorded = { method: req.method ?? '', path: url.pathname.replace(/^\/v1\//, ''), query: url.searchParams, headers: req.headers, body };
        self!.requests.push(rec);
        const reply = self!.route(rec) ?? { status: 404, body: { errors: ['no handler for route'] } };
        res.writeHead(reply.status, { 'Content-Type': 'application/json' });
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new ScriptedServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  /** The last request, or the last one to `path`. */
  last(path?: string): Recorded {
    const list = path === undefined ? this.requests : this.requests.filter((r) => r.path === path);
    const r = list[list.length - 1];
    if (r === undefined) throw new Error(`no request${path === undefined ? '' : ` to ${path}`} was made`);
    return r;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Run the CLI in-process with a captured terminal. */
export async function runCapture(argv: string[], env: Record<string, string>, opts: { stdin?: string; tty?: boolean } = {}): Promise<CliRun> {
  const ui = new CaptureUi(opts.stdin ?? '', false, opts.tty ?? false);
  const code = await runWith(argv, { ui, env });
  return { code, out: ui.stdout, err: ui.stderr };
}
