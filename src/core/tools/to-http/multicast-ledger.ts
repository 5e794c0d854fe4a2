/**
 * Multicast's memory (beyond nsq_to_http, NSQ-SPEC §1.3): which endpoints already took a message.
 * Go sends to every endpoint in turn, stops at the first failure, and on redelivery sends to all
 * of them again, so every endpoint before the failing one gets a duplicate per retry. Here a
 * message goes to every endpoint at once; the ones that answered are remembered by message id,
 * and a redelivery of that id to this process goes only to the endpoints still owed.
 *
 * Bounded: at most `capacity` ids are remembered (the oldest forgotten first, which at worst
 * means Go's duplicates for that message); an id is forgotten when its message is FINed.
 */
export class MulticastLedger {
  private readonly done = new Map<string, Set<number>>()

  constructor(
    private readonly endpoints: number,
    private readonly capacity = 100_000,
  ) {}

  /** The endpoints (indices) message `id` is still owed. */
  owed(id: string): number[] {
    const got = this.done.get(id)
    const out: number[] = []
    for (let i = 0; i < this.endpoints; i++) if (!got?.has(i)) out.push(i)
    return out
  }

  /** Endpoint `index` took message `id`. */
  delivered(id: string, index: number): void {
    let got = this.done.get(id)
    if (got === undefined) {
      if (this.done.size >= this.capacity) this.done.delete(this.done.keys().next().value as string)
      got = new Set()
      this.done.set(id, got)
    }
    got.add(index)
  }

  /** The message is done with (FINed): nothing more to remember. */
  forget(id: string): void {
    this.done.delete(id)
  }

  get size(): number {
    return this.done.size
  }
}
