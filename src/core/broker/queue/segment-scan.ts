/**
 * Counting the whole records of a segment file from an offset (a disk queue's recovery of what a
 * crash left after its last metadata sync): go-diskqueue's `[4-byte big-endian size][data]`.
 */
import {MIN_RECORD_DATA_SIZE, RECORD_PREFIX_SIZE} from '../../protocol/diskqueue.js'
import type {DiskIO} from './disk-io.js'

export interface SegmentScan {
  records: number
  /** where the last whole record ends */
  end: number
  /** the file could not be opened or read (EMFILE, EIO): `records` is what was counted before */
  error: Error | null
}

/** Whole records in [pos, size) of `path` whose data size is within MIN_RECORD_DATA_SIZE .. maxData. */
export function scanSegment(io: DiskIO, path: string, pos: number, size: number, maxData: number): SegmentScan {
  if (pos >= size) return {records: 0, end: pos, error: null}
  let fd: number
  try {
    fd = io.openSync(path, 'r')
  } catch (err) {
    return {records: 0, end: pos, error: err as Error}
  }
  const head = Buffer.allocUnsafe(RECORD_PREFIX_SIZE)
  let records = 0
  let error: Error | null = null
  try {
    while (pos + RECORD_PREFIX_SIZE <= size) {
      if (io.readSync(fd, head, 0, RECORD_PREFIX_SIZE, pos) < RECORD_PREFIX_SIZE) break
      const len = head.readInt32BE(0)
      if (len < MIN_RECORD_DATA_SIZE || len > maxData || pos + RECORD_PREFIX_SIZE + len > size) break
      pos += RECORD_PREFIX_SIZE + len
      records++
    }
  } catch (err) {
    error = err as Error
  } finally {
    try {
      io.closeSync(fd)
    } catch {
      // closing is best effort
    }
  }
  return {records, end: pos, error}
}
