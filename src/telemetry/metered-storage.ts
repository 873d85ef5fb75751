/**
 * Storage latency metrics: a Physical decorator timing every call that reaches the physical
 * store (vault.<backend>.get/put/delete/list/batch), and the same timers on a barrier
 * instance (vault.barrier.*), which include decryption and read-cache hits.
 */
import { performance } from 'node:perf_hooks';
import type { Storage } from '../logical/storage.js';
import type { BatchOp, Physical } from '../storage/physical.js';
import type { StorageTimers } from './telemetry.js';

/** vault.barrier.get times one call in this many. */
export const GET_SAMPLE = 16;

export class MeteredPhysical implements Physical {
  constructor(
    /** The store being measured; exposed so code that needs the concrete backend can reach it. */
    readonly inner: Physical,
    private readonly timers: StorageTimers,
  ) {}

  async get(key: string): Promise<Buffer | undefined> {
    const t = performance.now();
    try {
      return await this.inner.get(key);
    } finally {
      this.timers.get.observe(performance.now() - t);
    }
  }

  async put(key: string, value: Buffer): Promise<void> {
    const t = performance.now();
    try {
      await this.inner.put(key, value);
    } finally {
      this.timers.put.observe(performance.now() - t);
    }
  }

  async delete(key: string): Promise<void> {
    const t = performance.now();
    try {
      await this.inner.delete(key);
    } finally {
      this.timers.delete.observe(performance.now() - t);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const t = performance.now();
    try {
      return await this.inner.list(prefix);
    } finally {
      this.timers.list.observe(performance.now() - t);
    }
  }

  async listPage(prefix: string, after: string, limit: number): Promise<string[]> {
    const t = performance.now();
    try {
      return await this.inner.listPage(prefix, after, limit);
    } finally {
      this.timers.list.observe(performance.now() - t);
    }
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    const t = performance.now();
    try {
      await this.inner.batch(ops);
    } finally {
      this.timers.batch.observe(performance.now() - t);
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Time a barrier's storage methods by shadowing them on the instance (the barrier class is
 * used everywhere by its concrete type, so a wrapper object would not fit). Returns the same
 * instance.
 */
export function meterBarrier<T extends Storage>(barrier: T, timers: StorageTimers): T {
  const target = barrier as Storage;
  const get = target.get.bind(barrier);
  const put = target.put.bind(barrier);
  const del = target.delete.bind(barrier);
  const list = target.list.bind(barrier);
  const batch = target.batch.bind(barrier);
  // Reads sit on every request's path and mostly hit the read cache: one in GET_SAMPLE is timed,
  // the others pass straight through (no timer, no extra promise).
  let calls = 0;
  const timedGet = async (key: string): Promise<Buffer | undefined> => {
    const t = performance.now();
    try {
      return await get(key);
    } finally {
      timers.get.observe(performance.now() - t);
    }
  };
  target.get = (key) => (++calls % GET_SAMPLE === 0 ? timedGet(key) : get(key));
  target.put = async (key, value) => {
    const t = performance.now();
    try {
      await put(key, value);
    } finally {
      timers.put.observe(performance.now() - t);
    }
  };
  target.delete = async (key) => {
    const t = performance.now();
    try {
      await del(key);
    } finally {
      timers.delete.observe(performance.now() - t);
    }
  };
  target.list = async (prefix) => {
    const t = performance.now();
    try {
      return await list(prefix);
    } finally {
      timers.list.observe(performance.now() - t);
    }
  };
  target.batch = async (ops) => {
    const t = performance.now();
    try {
      await batch(ops);
    } finally {
      timers.batch.observe(performance.now() - t);
    }
  };
  return barrier;
}
