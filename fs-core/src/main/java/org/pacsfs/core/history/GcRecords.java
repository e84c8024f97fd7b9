package org.pacsfs.core.history;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkId;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;

/** Reads the GC records of a filesystem ({@code gc/}): which chunks GC removed, by which run. Shared by verify and scrub. */
final class GcRecords {
    private GcRecords() {
    }

    /**
     * Every chunk named by a record that verifies, belongs to {@code fsId} (when known) and sits under its own key,
     * with that record. Each other record is given to {@code problems} (what it names is not trusted).
     */
    static Map<ChunkId, GcRecord> read(ObjectStore store, BucketKeys keys, UUID fsId, Consumer<Problem> problems) {
        Map<ChunkId, GcRecord> removed = new HashMap<>();
        for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.gcPrefix())::iterator) {
            String rel = o.key().substring(keys.prefix().length());
            try {
                GcRecord r = GcRecord.decode(store.get(o.key()).bytes(), rel);
                if (fsId != null && !fsId.equals(r.fsId())) {
                    problems.accept(new Problem(Problem.Kind.GC_RECORD_MISMATCH, rel, "belongs to filesystem " + r.fsId()));
                } else if (!o.key().equals(keys.gcRecord(r.run(), r.part()))) {
                    problems.accept(new Problem(Problem.Kind.GC_RECORD_MISMATCH, rel, "says it is part " + r.part() + " of run " + r.run()));
                } else {
                    r.entries().forEach(e -> removed.put(e.id(), r));
                }
            } catch (IllegalArgumentException e) {
                problems.accept(new Problem(Problem.Kind.GC_RECORD_MISMATCH, rel, e.getMessage()));
            } catch (ObjectStoreException.NotFound e) {
                // removed between listing and reading
            } catch (ObjectStoreException e) {
                problems.accept(new Problem(Problem.Kind.UNREADABLE, rel, e.getMessage()));
            }
        }
        return removed;
    }

    /** True if a trusted record says GC removed the chunk {@code id} that segment {@code seq} references as expired. */
    static boolean expired(Map<ChunkId, GcRecord> removed, ChunkId id, long seq) {
        GcRecord r = removed.get(id);
        return r != null && seq <= r.baseSeq();
    }
}
