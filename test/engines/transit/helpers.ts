/** A transit engine on in-memory storage with a fake clock, and shorthands for its tests. */
import assert from 'node:assert/strict';
import { isArcaError } from '../../../src/errors.js';
import type { LogicalBackend } from '../../../src/logical/backend.js';
import type { Operation, Response } from '../../../src/logical/request.js';
import { transitFactory } from '../../../src/engines/transit/backend.js';
import { call, makeHarness, type Harness } from '../../framework/harness.js';

export interface Transit extends Harness {
  readonly transit: LogicalBackend;
  /** update (POST) and return the response, failing the test on an error. */
  write(path: string, data?: Record<string, unknown>): Promise<Response>;
  read(path: string, data?: Record<string, unknown>): Promise<Response | undefined>;
  /** Expect the request to fail with this status and exact message. */
  fails(op: Operation, path: string, data: Record<string, unknown>, status: number, message: string): Promise<void>;
}

export function setupTransit(): Transit {
  const h = makeHarness({ type: 'transit' });
  const transit = transitFactory(h.ctx) as LogicalBackend;
  return {
    ...h,
    transit,
    async write(path, data = {}) {
      const resp = await call(transit, 'update', path, data);
      assert.ok(resp !== undefined, `no response from ${path}`);
      return resp;
    },
    read: (path, data = {}) => call(transit, 'read', path, data),
    async fails(op, path, data, status, message) {
      await assert.rejects(call(transit, op, path, data), (err: unknown) => {
        assert.ok(isArcaError(err), `not an ArcaError: ${String(err)}`);
        assert.equal(err.message, message);
        assert.equal(err.status, status);
        return true;
      });
    },
  };
}

export const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
export const unb64 = (s: unknown): string => Buffer.from(String(s), 'base64').toString('utf8');

/** Every key type with what it supports. */
export const SYMMETRIC = ['aes128-gcm96', 'aes256-gcm96', 'chacha20-poly1305'] as const;
export const ASYMMETRIC = ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;
