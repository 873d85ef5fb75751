/**
 * Runs async operations one at a time, in call order. The seal and the barrier's rotation are
 * read-modify-write sequences across awaits; two interleaved unseal submissions or rotations
 * would otherwise both read the same state.
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
