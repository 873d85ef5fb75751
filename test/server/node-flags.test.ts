/**
 * The V8 pool size the server should run with (src/server/node-flags.ts), and the hint a
 * server process logs when it was started with Node's default on a machine where that costs
 * latency.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { NODE_DEFAULT_V8_POOL_SIZE, recommendedNodeFlags, recommendedV8PoolSize, startedV8PoolSize, v8PoolHint } from '../../src/server/node-flags.js';
import { removeDir, startServer, tempDir } from '../cli/cli-process.js';

test('the recommended pool leaves the event loop its core, between 1 and node\'s default', () => {
  assert.equal(recommendedV8PoolSize(1), 1);
  assert.equal(recommendedV8PoolSize(2), 1);
  assert.equal(recommendedV8PoolSize(3), 2);
  assert.equal(recommendedV8PoolSize(5), 4);
  assert.equal(recommendedV8PoolSize(64), NODE_DEFAULT_V8_POOL_SIZE);
});

test('the pool size a process was started with: command line over NODE_OPTIONS, both spellings', () => {
  assert.equal(startedV8PoolSize([], undefined), undefined);
  assert.equal(startedV8PoolSize(['--v8-pool-size=2'], undefined), 2);
  assert.equal(startedV8PoolSize(['--v8-pool-size', '3'], undefined), 3);
  assert.equal(startedV8PoolSize([], '--max-old-space-size=512  --v8-pool-size=1'), 1);
  assert.equal(startedV8PoolSize(['--v8-pool-size=2'], '--v8-pool-size=1'), 2);
  assert.equal(startedV8PoolSize(['--v8-pool-size=lots'], undefined), undefined);
});

test('the hint names the flag only where the default oversubscribes the machine and nobody chose a size', () => {
  assert.match(v8PoolHint(2, [], undefined) ?? '', /node --v8-pool-size=1 bin\/arca server/);
  assert.match(v8PoolHint(4, [], '') ?? '', /--v8-pool-size=3/);
  assert.equal(v8PoolHint(2, ['--v8-pool-size=4'], undefined), undefined, 'a size chosen on purpose is left alone');
  assert.equal(v8PoolHint(2, [], '--v8-pool-size=2'), undefined);
  assert.equal(v8PoolHint(16, [], undefined), undefined, 'many cores: the default fits');
  assert.deepEqual(recommendedNodeFlags(2), ['--v8-pool-size=1']);
  assert.deepEqual(recommendedNodeFlags(8), ['--v8-pool-size=4']);
});

test('a server process logs the hint unless started with a pool size', async () => {
  // The server inherits this process's NODE_OPTIONS (cleanEnv), which may itself name a size.
  const expectHint = v8PoolHint(availableParallelism(), [], process.env['NODE_OPTIONS']) !== undefined;
  for (const nodeArgs of [[], ['--v8-pool-size=1']]) {
    const home = tempDir('arca-pool-');
    const server = await startServer(['-dev', '-dev-root-token-id=root', '-dev-listen-address=127.0.0.1:0'], home, nodeArgs);
    try {
      // The banner is printed after the hint; allow the logger a moment to flush.
      await new Promise((r) => setTimeout(r, 200));
      const hinted = server.output().includes('--v8-pool-size=');
      assert.equal(hinted, expectHint && nodeArgs.length === 0, `node ${nodeArgs.join(' ')}: output\n${server.output()}`);
    } finally {
      await server.stop();
      removeDir(home);
    }
  }
});
