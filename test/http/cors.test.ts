import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corsStep } from '../../src/http/cors.js';

const policy = { allowedOrigins: ['https://app.example'], allowedHeaders: ['Content-Type', 'X-Vault-Token'] };

test('no Origin or no policy: nothing to do', () => {
  assert.equal(corsStep(undefined, 'GET', { origin: 'https://app.example' }), undefined);
  assert.equal(corsStep(policy, 'GET', {}), undefined);
});

test('an allowed origin gets its headers; a preflight is answered; others are refused', () => {
  assert.deepEqual(corsStep(policy, 'GET', { origin: 'https://app.example' }), { headers: { 'Access-Control-Allow-Origin': 'https://app.example', Vary: 'Origin' } });
  const pre = corsStep(policy, 'OPTIONS', { origin: 'https://app.example', 'access-control-request-method': 'PUT' });
  assert.ok(pre !== undefined && 'answer' in pre);
  assert.equal(pre.answer.status, 204);
  assert.equal(pre.answer.headers['Access-Control-Allow-Headers'], 'Content-Type,X-Vault-Token');
  assert.equal(pre.answer.headers['Access-Control-Allow-Methods'], 'DELETE, GET, OPTIONS, POST, PUT, LIST');
  const refused = corsStep(policy, 'GET', { origin: 'https://evil.example' });
  assert.ok(refused !== undefined && 'answer' in refused);
  assert.equal(refused.answer.status, 403);
  assert.equal(refused.answer.body, '{"errors":["origin not allowed"]}');
  assert.deepEqual(corsStep({ ...policy, allowedOrigins: ['*'] }, 'GET', { origin: 'https://any.example' }), { headers: { 'Access-Control-Allow-Origin': 'https://any.example', Vary: 'Origin' } });
});
