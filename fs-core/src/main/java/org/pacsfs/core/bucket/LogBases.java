package org.pacsfs.core.bucket;

import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;

/**
 * Finds the filesystem's {@link LogBase}: the one under {@code logbase/} with the highest first segment. Older ones
 * are left over from earlier prunes (GC deletes them after a newer one is written) and say nothing any more.
 *
 * <p>The newest one must verify: the segments before it may already be gone, so falling back to an older base would
 * only move the failure to a missing segment. A damaged or foreign newest base therefore stops every reader with its
 * key named ({@code pacsfs verify} reports it as {@code LOG_BASE_DAMAGED}).
 */
public final class LogBases {
    private LogBases() {
    }

    /** Every object under {@code logbase/} whose key is a log base key, by its first segment. */
    public static TreeMap<Long, String> list(ObjectStore store, BucketKeys keys) {
        TreeMap<Long, String> out = new TreeMap<>();
        for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.logBasePrefix())::iterator) {
            try {
                out.put(keys.parseLogBaseSeq(o.key()), o.key());
            } catch (IllegalArgumentException e) {
                // not ours: verify names it; readers ignore it
            }
        }
        return out;
    }

    /**
     * The base of the log of filesystem {@code fsId}; empty if the log was never pruned.
     *
     * @throws IllegalStateException naming the key if the newest base does not verify, is another filesystem's, or
     *                               sits under another position's key
     */
    public static Optional<LogBase> newest(ObjectStore store, BucketKeys keys, UUID fsId) {
        TreeMap<Long, String> all = list(store, keys);
        if (all.isEmpty()) {
            return Optional.empty();
        }
        String key = all.lastEntry().getValue();
        LogBase base = check(store.get(key).bytes(), key, all.lastKey(), fsId);
        return Optional.of(base);
    }

    /**
     * Decodes the base stored under the key of position {@code keySeq}.
     *
     * @throws IllegalStateException naming the key and what is wrong
     */
    public static LogBase check(byte[] bytes, String key, long keySeq, UUID fsId) {
        LogBase base;
        try {
            base = LogBase.decode(bytes, key);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the log base " + e.getMessage() + " (run pacsfs verify)", e);
        }
        if (base.seq() != keySeq) {
            throw new IllegalStateException("the log base " + key + " says the log begins at segment " + base.seq()
                    + ", not at " + keySeq + " as its key does (run pacsfs verify)");
        }
        if (fsId != null && !fsId.equals(base.fsId())) {
            throw new IllegalStateException("the log base " + key + " belongs to filesystem " + base.fsId() + ", not " + fsId
                    + " (run pacsfs verify)");
        }
        return base;
    }
}
