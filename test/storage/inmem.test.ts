import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InjectedFaultError } from '../../src/storage/errors.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import { runConformance } from './conformance.js';

runConformance('inmem', async () => {
  const physical = new InmemPhysical();
  return { physical, cleanup: () => physical.close() };
});

test('inmem faults: failWrites rejects writes and changes nothing', async () => {
  const p = new InmemPhysical();
  await p.put('k', Buffer.from('v'));
  p.faults.failWrites = true;
  await assert.rejects(p.put('k', Buffer.from('w')), InjectedFaultError);
  await assert.rejects(p.delete('k'), InjectedFaultError);
  await assert.rejects(p.batch([{ type: 'put', key: 'n', value: Buffer.from('x') }]), InjectedFaultError);
  assert.deepEqual(await p.get('k'), Buffer.from('v'));
  assert.deepEqual(await p.list(''), ['k']);
  p.faults.failWrites = false;
  await p.put('k', Buffer.from('w'));
  assert.deepEqual(await p.get('k'), Buffer.from('w'));
});

test('inmem faults: failReads rejects reads, writes still work', async () => {
  const p = new InmemPhysical();
  p.faults.failReads = true;
  await p.put('k', Buffer.from('v'));
  await assert.rejects(p.get('k'), /injected storage read failure/);
  await assert.rejects(p.list(''), InjectedFaultError);
  await assert.rejects(p.listPage('', '', 1), InjectedFaultError);
  p.faults.failReads = false;
  assert.deepEqual(await p.get('k'), Buffer.from('v'));
});

test('inmem faults: delayMs delays every call', async () => {
  const p = new InmemPhysical();
  p.faults.delayMs = 30;
  const started = performance.now();
  await p.put('k', Buffer.from('v'));
  await p.get('k');
  assert.ok(performance.now() - started >= 55);
  // A close during the delay makes the delayed call reject instead of acting on a closed store.
  const pending = p.put('late', Buffer.from('v'));
  await p.close();
  await assert.rejects(pending, /closed/);
});

test('inmem: listing stays cheap with 1,000,000 keys', async () => {
  const p = new InmemPhysical();
  // 1,000 folders of 1,000 leaves each, inserted in an order that is not sorted.
  for (let f = 0; f < 1000; f++) {
    const folder = `big/${String((f * 7919) % 1000).padStart(3, '0')}/`;
    const ops = [];
    for (let i = 0; i < 1000; i++) ops.push({ type: 'put' as const, key: `${folder}${(i * 613) % 1000}`, value: Buffer.alloc(0) });
    await p.batch(ops);
  }
  await p.put('small/one', Buffer.from('1'));
  assert.equal(p.size, 1_000_001);

  // A full scan per call would be 200 * 1,000,000 key visits; seeking makes it a few thousand.
  const started = performance.now();
  for (let i = 0; i < 100; i++) {
    assert.deepEqual(await p.list(''), ['big/', 'small/']);
    assert.deepEqual(await p.listPage('big/', '500/', 3), ['501/', '502/', '503/']);
  }
  assert.equal((await p.list('big/')).length, 1000);
  assert.equal((await p.list('big/123/')).length, 1000);
  assert.ok(performance.now() - started < 2000, 'one-level listing must not scan the whole store');

  await p.delete('big/123/5');
  assert.equal((await p.list('big/123/')).length, 999);
  assert.equal(p.size, 1_000_000);
});
