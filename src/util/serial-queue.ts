/**
 * Runs async operations one at a time, in call order (KeyedMutex does the same per key). The
 * seal, the barrier's rotation and the mount tables are read-modify-write sequences across
 * awaits; two interleaved unseal submissions, rotations or mounts would otherwise both read the
 * same state.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    // Keep the chain alive whatever fn does; callers see their own rejection through `result`.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
