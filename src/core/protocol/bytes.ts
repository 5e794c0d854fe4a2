/**
 * Big-endian 32-bit reads and writes by hand, for the per-message paths (a frame, a disk record,
 * a FIN's id): Buffer's readInt32BE/writeUInt32BE are not inlined and check their arguments,
 * ~6.5 ns a call against ~2 ns for the four byte accesses here. The caller checks the bounds.
 */

/** The signed int32 at `at`. */
export function int32At(buf: Uint8Array, at: number): number {
  return ((buf[at] as number) << 24) | ((buf[at + 1] as number) << 16) | ((buf[at + 2] as number) << 8) | (buf[at + 3] as number)
}

/** Store the low 32 bits of `v` at `at`. */
export function putInt32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 24
  buf[at + 1] = v >>> 16
  buf[at + 2] = v >>> 8
  buf[at + 3] = v
}
