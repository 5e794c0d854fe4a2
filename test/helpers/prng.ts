/**
 * mulberry32: a tiny seeded PRNG, so fuzz and randomised tests feed the same values every run.
 * `mulberry32u` gives uint32s; `mulberry32` gives floats in [0, 1).
 */
export function mulberry32u(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

export function mulberry32(seed: number): () => number {
  const next = mulberry32u(seed)
  return () => next() / 4294967296
}
