package org.pacsfs.wal;

/**
 * When the log forces appended records to stable storage <em>in addition to</em> explicit
 * {@link WriteLog#sync(long)} calls. A policy only ever adds forces: a requested sync always forces.
 */
public enum SyncPolicy {
    /** Force only when {@link WriteLog#sync(long)} is called (and when the unsynced buffer fills). The default. */
    ON_REQUEST,
    /** {@link WriteLog#append} returns only after its record is forced (concurrent appends still share forces). */
    EVERY_WRITE,
    /** A background thread forces everything appended once per {@link WriteLogConfig#syncInterval()}. */
    INTERVAL
}
