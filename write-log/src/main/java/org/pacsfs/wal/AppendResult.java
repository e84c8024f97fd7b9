package org.pacsfs.wal;

/**
 * What {@link WriteLog#append} assigned to a record.
 *
 * @param lsn     the record's log sequence number (1, 2, 3, ... across restarts)
 * @param pointer where the record was written, for random access
 */
public record AppendResult(long lsn, RecordPointer pointer) {
}
