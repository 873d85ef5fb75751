/** The pino-backed logger: hclog's JSON keys and standard text form, levels, children, redaction. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, parseLogLevel, standardLine } from '../../src/util/logger.js';

function capture(opts: Parameters<typeof createLogger>[0] = {}): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ ...opts, out: { write: (s: string) => lines.push(s) } }) };
}

test('json format: hclog keys, fields, errors as messages, module from child bindings', () => {
  const { lines, logger } = capture({ format: 'json', level: 'debug' });
  logger.info('core: vault is unsealed', { count: 2 });
  logger.child({ module: 'audit' }).error('device failed', { path: 'file/', error: new Error('ENOSPC') });
  logger.trace('not at debug level');
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(first['@level'], 'info');
  assert.equal(first['@message'], 'core: vault is unsealed');
  assert.match(String(first['@timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(first['count'], 2);
  const second = JSON.parse(lines[1]!) as Record<string, unknown>;
  assert.equal(second['@module'], 'audit');
  assert.equal(second['error'], 'ENOSPC');
  assert.equal(second['@level'], 'error');
});

test('standard format: timestamp, padded level tag, module, message and key=value fields', () => {
  const { lines, logger } = capture();
  logger.info('listener started', { address: '127.0.0.1', port: 8200 });
  logger.child({ module: 'storage.postgresql' }).warn('slow query', { took: '2 s', sql: 'select "x"' });
  logger.debug('hidden at info');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z \[INFO\]  listener started: address=127\.0\.0\.1 port=8200\n$/);
  assert.match(lines[1]!, /\[WARN\]  storage\.postgresql: slow query: took="2 s" sql="select \\"x\\""\n$/);
  assert.equal(standardLine('not json'), 'not json');
});

test('levels and secret-named fields are redacted', () => {
  assert.equal(parseLogLevel('ERR'), 'error');
  assert.equal(parseLogLevel('warning'), 'warn');
  assert.throws(() => parseLogLevel('loud'), /unknown log level/);
  const { lines, logger } = capture({ format: 'json', level: 'warn' });
  logger.info('dropped');
  logger.warn('careless call', { token: 's.abcdef', nested: { password: 'hunter2', ok: 'yes' }, client_token: 'x' });
  assert.equal(lines.length, 1);
  const text = lines[0]!;
  assert.ok(!text.includes('s.abcdef') && !text.includes('hunter2'), text);
  const obj = JSON.parse(text) as Record<string, any>;
  assert.equal(obj['token'], '[redacted]');
  assert.equal(obj['nested']['password'], '[redacted]');
  assert.equal(obj['nested']['ok'], 'yes');
});
