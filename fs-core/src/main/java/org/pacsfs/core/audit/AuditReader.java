package org.pacsfs.core.audit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;

/**
 * Reads the access-audit trail of a filesystem: every stream under {@code audit/}, oldest first, each segment in order,
 * verifying as it goes: the header, the AES-GCM tag (nothing was altered), that the segment is at its place in the
 * stream's hash chain (nothing removed, replaced or reordered), and that the stream ends with its final segment.
 * Everything found is reported to the {@link Listener}; reading never stops at the first problem. One segment is in
 * memory at a time.
 */
public final class AuditReader {

    /** What can be wrong with the trail. */
    public enum ProblemKind {
        /** a segment the chain needs is not there (a gap in the sequence numbers) */
        SEGMENT_MISSING,
        /** a segment does not verify: header, authentication tag, or events */
        SEGMENT_DAMAGED,
        /** a segment verifies but is not the link the chain needs (moved, replaced, reordered, after the final one) */
        SEGMENT_OUT_OF_CHAIN,
        /** an object under audit/ that is not a segment key */
        UNEXPECTED_OBJECT,
        /** an object could not be read */
        UNREADABLE
    }

    public record Problem(ProblemKind kind, String key, String detail) {
        @Override
        public String toString() {
            return "PROBLEM " + kind + " " + key + ": " + detail;
        }
    }

    /** Receives what the reader finds, in order. */
    public interface Listener {
        /** A stream starts; {@code readable} false when it was written with another key (its events are skipped). */
        default void stream(String streamHex, boolean readable, String detail) {
        }

        default void event(String streamHex, long seq, AuditEvent event) {
        }

        /** Events that were dropped (queue full, or a segment that could not be written) before segment {@code seq}. */
        default void dropped(String streamHex, long seq, long count) {
        }

        default void problem(Problem problem) {
        }

        /** A stream that ends without its final segment (still mounted, a crash, or its last segments removed). */
        default void unfinished(String streamHex, long lastSeq) {
        }
    }

    /** Totals of a read. */
    public record Summary(int streams, int streamsOtherKey, long segments, long events, long dropped, int problems,
                          int unfinished) {
    }

    private static final Pattern SEGMENT = Pattern.compile("([0-9a-f]{32})/([0-9]{20})");

    private AuditReader() {
    }

    /**
     * Reads and verifies the whole trail.
     *
     * @param fsId the filesystem the trail must belong to (the superblock's), or null not to check
     */
    public static Summary read(ObjectStore store, BucketKeys keys, AuditKey key, UUID fsId, Listener listener) {
        Map<String, TreeMap<Long, String>> streams = new TreeMap<>();
        int problems = 0;
        String prefix = keys.auditPrefix();
        for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(prefix)::iterator) {
            Matcher m = SEGMENT.matcher(o.key().substring(prefix.length()));
            if (!m.matches()) {
                listener.problem(new Problem(ProblemKind.UNEXPECTED_OBJECT, o.key(), "not an audit segment key (audit/<32 hex>/<20 digits>)"));
                problems++;
                continue;
            }
            streams.computeIfAbsent(m.group(1), s -> new TreeMap<>()).put(Long.parseLong(m.group(2)), o.key());
        }
        StreamWalk total = new StreamWalk(store, key, fsId, listener);
        for (Map.Entry<String, TreeMap<Long, String>> s : streams.entrySet()) {
            total.walk(s.getKey(), s.getValue());
        }
        return new Summary(streams.size(), total.otherKey, total.segments, total.events, total.dropped, problems + total.problems,
                total.unfinished);
    }

    /** The walk of the streams, one after the other; carries the totals. */
    private static final class StreamWalk {
        private final ObjectStore store;
        private final AuditKey key;
        private final UUID fsId;
        private final Listener listener;
        int otherKey;
        long segments;
        long events;
        long dropped;
        int problems;
        int unfinished;

        StreamWalk(ObjectStore store, AuditKey key, UUID fsId, Listener listener) {
            this.store = store;
            this.key = key;
            this.fsId = fsId;
            this.listener = listener;
        }

        void walk(String stream, TreeMap<Long, String> segs) {
            long expected = 1;
            byte[] previous = null; // the previous segment's bytes, when it was read
            boolean announced = false;
            boolean finalSeen = false;
            long lastSeq = 0;
            for (Map.Entry<Long, String> s : segs.entrySet()) {
                long seq = s.getKey();
                String k = s.getValue();
                if (seq != expected) {
                    problem(ProblemKind.SEGMENT_MISSING, k, seq < expected ? "sequence number " + seq + " is not valid"
                            : "segment" + (seq - expected == 1 ? " " + expected : "s " + expected + ".." + (seq - 1))
                            + " of stream " + stream + " before it " + (seq - expected == 1 ? "is" : "are") + " missing");
                    previous = null;
                }
                expected = seq + 1;
                lastSeq = seq;
                byte[] object;
                try {
                    object = store.get(k).bytes();
                } catch (ObjectStoreException e) {
                    problem(ProblemKind.UNREADABLE, k, e.getMessage());
                    previous = null;
                    continue;
                }
                AuditSegment.Decoded d;
                try {
                    d = AuditSegment.decode(key, object);
                } catch (AuditSegment.FormatException e) {
                    if (e.wrongKey() && !announced) {
                        listener.stream(stream, false, e.getMessage());
                        otherKey++;
                        return;
                    }
                    problem(ProblemKind.SEGMENT_DAMAGED, k, e.getMessage());
                    previous = null;
                    continue;
                }
                if (!announced) {
                    listener.stream(stream, true, "");
                    announced = true;
                }
                String wrongPlace = placeProblem(d.header(), stream, seq, previous, finalSeen);
                if (wrongPlace != null) {
                    problem(ProblemKind.SEGMENT_OUT_OF_CHAIN, k, wrongPlace);
                }
                finalSeen |= d.header().isFinal();
                segments++;
                if (d.droppedBefore() > 0) {
                    dropped += d.droppedBefore();
                    listener.dropped(stream, seq, d.droppedBefore());
                }
                for (AuditEvent e : d.events()) {
                    events++;
                    listener.event(stream, seq, e);
                }
                previous = object;
            }
            if (announced && !finalSeen) {
                unfinished++;
                listener.unfinished(stream, lastSeq);
            }
        }

        /** Why a segment that verifies is not at its place in the chain, or null. */
        private String placeProblem(AuditSegment.Header h, String stream, long seq, byte[] previous, boolean finalSeen) {
            if (!h.streamHex().equals(stream) || h.seq() != seq) {
                return "it holds segment " + h.seq() + " of stream " + h.streamHex() + " (moved or copied here)";
            }
            if (fsId != null && !h.fsId().equals(fsId)) {
                return "it belongs to filesystem " + h.fsId() + ", not " + fsId;
            }
            if (finalSeen) {
                return "it follows the stream's final segment";
            }
            if (seq == 1 && !Arrays.equals(h.previousSha256(), new byte[32])) {
                return "the first segment of a stream names a predecessor";
            }
            if (previous != null && !Arrays.equals(h.previousSha256(), AuditSegment.sha256(previous))) {
                return "it does not name the SHA-256 of segment " + (seq - 1) + " as its predecessor (replaced or reordered)";
            }
            return null;
        }

        private void problem(ProblemKind kind, String key, String detail) {
            problems++;
            listener.problem(new Problem(kind, key, detail));
        }
    }

    /** All events of a trail, for tests and small trails. */
    public static List<AuditEvent> events(ObjectStore store, BucketKeys keys, AuditKey key) {
        List<AuditEvent> all = new ArrayList<>();
        read(store, keys, key, null, new Listener() {
            @Override
            public void event(String streamHex, long seq, AuditEvent event) {
                all.add(event);
            }
        });
        return all;
    }
}
