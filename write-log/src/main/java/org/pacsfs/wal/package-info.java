/**
 * The local write-ahead log of pacsfs (issue 3): every change is appended here first, made durable by
 * {@link org.pacsfs.wal.WriteLog#sync(long)} (group commit) and shipped to S3 later, after which
 * {@link org.pacsfs.wal.WriteLog#release(long)} trims it.
 *
 * <p>Entry point: {@link org.pacsfs.wal.WriteLog#open(WriteLogConfig)}. The on-disk format is described in
 * {@code docs/FORMAT.md} (section "Write-ahead log") and implemented by {@code SegmentHeader} and
 * {@code RecordFormat}. This package depends on the JDK only.
 */
package org.pacsfs.wal;
