/**
 * One operation at a time per key: concurrent fetches for the same (AS, RS origin, requesting party)
 * run one grant after another, so the second sees the first one's RPT (and upgrades it) instead of
 * spending a second ticket. Keys for different parties never wait for each other.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
export class SingleFlight {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier call for `key` has settled. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
