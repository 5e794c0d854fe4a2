/** A growable ring-buffer FIFO: O(1) push/shift with no per-item allocation. */
export class Deque<T> {
  private items: (T | undefined)[]
  private head = 0
  private size = 0
  private mask: number

  constructor(initialCapacity = 16) {
    let cap = 16
    while (cap < initialCapacity) cap *= 2
    this.items = new Array<T | undefined>(cap)
    this.mask = cap - 1
  }

  get length(): number {
    return this.size
  }

  push(item: T): void {
    if (this.size === this.items.length) this.grow()
    this.items[(this.head + this.size) & this.mask] = item
    this.size++
  }

  /** Put an item back at the front. */
  unshift(item: T): void {
    if (this.size === this.items.length) this.grow()
    this.head = (this.head - 1) & this.mask
    this.items[this.head] = item
    this.size++
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head = (this.head + 1) & this.mask
    this.size--
    return item
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head]
  }

  clear(): void {
    this.items = new Array<T | undefined>(16)
    this.mask = 15
    this.head = 0
    this.size = 0
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.items[(this.head + i) & this.mask] as T
  }

  private grow(): void {
    const old = this.items
    const cap = old.length * 2
    const next = new Array<T | undefined>(cap)
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & this.mask]
    this.items = next
    this.head = 0
    this.mask = cap - 1
  }
}
