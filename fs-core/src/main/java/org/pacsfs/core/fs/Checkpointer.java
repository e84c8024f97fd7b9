package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes checkpoints of the index to the bucket and loads the newest one at mount (format: {@link CheckpointFormat}).
 *
 * <p>The entries come from a {@link CheckpointCapture}: the keys changed since the previous checkpoint (the index
 * tracks them), copied while the filesystem's {@link Gate} is closed for a moment, then moved along as the flusher
 * ships up to the captured position, so that they are exactly the state as of the segment that ends there — also
 * while writes go on. Written by the flusher's checkpoint thread, one at a time. Parts first, then the manifest with If-None-Match: the
 * manifest is the commit. Every {@code maxIncrementals} checkpoints the chain is merged into one FULL checkpoint at
 * the same position, streaming the sorted runs part by part. Old checkpoints stay (history); nothing is deleted.
 */
final class Checkpointer {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);
    static final int PART_ENTRIES = 100_000;
    static final String FULL = "full";
    static final String INCR = "incr";
    private static final java.security.SecureRandom TAGS = new java.security.SecureRandom();

    private final ObjectStore store;
    private final BucketKeys keys;
    private final UUID fsId;
    private final int maxIncrementals;
    /** The checkpoints the next incremental builds on, oldest (a FULL) first; empty before the first. */
    private List<CheckpointFormat.Ref> chain;
    private volatile long lastSeq;
    private volatile long lastNanos = System.nanoTime();
    /** Checkpoints before this position are not loaded (see {@link #floor}). */
    private long floor;

    Checkpointer(ObjectStore store, BucketKeys keys, UUID fsId, int maxIncrementals, List<CheckpointFormat.Ref> chain, long lastSeq) {
        this.store = store;
        this.keys = keys;
        this.fsId = fsId;
        this.maxIncrementals = maxIncrementals;
        this.chain = new ArrayList<>(chain);
        this.lastSeq = lastSeq;
    }

    long lastSeq() {
        return lastSeq;
    }

    long nanosSinceLast() {
        return System.nanoTime() - lastNanos;
    }

    /** Writes the captured entries as the checkpoint at {@code seq}; consolidates when the chain is long. */
    void write(long seq, byte[] logSha, long maxIno, Map<UUID, CheckpointFormat.Writer> writers, List<CheckpointFormat.Entry> entries) {
        boolean first = chain.isEmpty();
        byte kind = first ? CheckpointFormat.FULL : CheckpointFormat.INCREMENTAL;
        String name = newName(first ? FULL : INCR);
        List<CheckpointFormat.PartInfo> parts = writeParts(seq, name, first ? withoutTombstones(entries).iterator() : entries.iterator());
        CheckpointFormat.Manifest m = new CheckpointFormat.Manifest(seq, logSha, fsId, kind, first ? List.of() : List.copyOf(chain),
                maxIno, writers, parts);
        put(keys.checkpoint(seq, name + ".manifest"), CheckpointFormat.encodeManifest(m));
        LOG.info("checkpoint {} ({}) written: {} entries", seq, first ? "full" : "incremental, chain " + (chain.size() + 1), entries.size());
        chain.add(new CheckpointFormat.Ref(seq, name));
        lastSeq = seq;
        lastNanos = System.nanoTime();
        if (chain.size() > maxIncrementals) {
            consolidate(m);
        }
    }

    /** Merges the chain ending at {@code head} into a FULL checkpoint at the same position. */
    void consolidate(CheckpointFormat.Manifest head) {
        List<Iterator<CheckpointFormat.Entry>> runs = new ArrayList<>();
        for (CheckpointFormat.Ref ref : chain) {
            CheckpointFormat.Manifest m = readManifest(ref.seq(), ref.name());
            runs.add(new RunIterator(ref.seq(), ref.name(), m.parts().size()));
        }
        Iterator<CheckpointFormat.Entry> merged = withoutTombstonesLazy(new MergeIterator(runs));
        String name = newName(FULL);
        List<CheckpointFormat.PartInfo> parts = writeParts(head.seq(), name, merged);
        CheckpointFormat.Manifest full = new CheckpointFormat.Manifest(head.seq(), head.logSha256(), fsId, CheckpointFormat.FULL,
                List.of(), head.maxIno(), head.writers(), parts);
        put(keys.checkpoint(head.seq(), name + ".manifest"), CheckpointFormat.encodeManifest(full));
        LOG.info("checkpoint {} consolidated: {} incrementals merged into a full checkpoint", head.seq(), chain.size() - 1);
        chain = new ArrayList<>(List.of(new CheckpointFormat.Ref(head.seq(), name)));
    }

    private static String newName(String kind) {
        return kind + "-" + String.format("%08x", TAGS.nextInt());
    }

    private List<CheckpointFormat.PartInfo> writeParts(long seq, String name, Iterator<CheckpointFormat.Entry> entries) {
        List<CheckpointFormat.PartInfo> parts = new ArrayList<>();
        List<CheckpointFormat.Entry> batch = new ArrayList<>();
        while (entries.hasNext() || !batch.isEmpty() || parts.isEmpty()) {
            if (entries.hasNext()) {
                batch.add(entries.next());
            }
            if (batch.size() >= PART_ENTRIES || !entries.hasNext()) {
                byte[] part = CheckpointFormat.encodePart(batch);
                put(keys.checkpoint(seq, String.format("%s.part-%05d", name, parts.size())), part);
                parts.add(new CheckpointFormat.PartInfo(batch.size(), MetaSegment.sha256(part)));
                batch = new ArrayList<>();
                if (!entries.hasNext()) {
                    break;
                }
            }
        }
        return parts;
    }

    private void put(String key, byte[] body) {
        long delay = 100;
        while (true) {
            try {
                store.put(key, ByteBuffer.wrap(body), PutCondition.ifNoneMatch());
                return;
            } catch (ObjectStoreException.PreconditionFailed e) {
                if (!Arrays.equals(store.get(key).bytes(), body)) {
                    throw new IllegalStateException("checkpoint object " + key + " exists with other content: another writer?", e);
                }
                return;
            } catch (ObjectStoreException.Transient e) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                delay = Math.min(5000, delay * 2);
            }
        }
    }

    private CheckpointFormat.Manifest readManifest(long seq, String name) {
        String key = keys.checkpoint(seq, name + ".manifest");
        CheckpointFormat.Manifest m = CheckpointFormat.decodeManifest(store.get(key).bytes(), key);
        if (m.seq() != seq || !m.fsId().equals(fsId)) {
            throw new IllegalStateException(key + " describes filesystem " + m.fsId() + " position " + m.seq());
        }
        return m;
    }

    private List<CheckpointFormat.Entry> readPart(long seq, String name, int i, CheckpointFormat.Manifest m) {
        String key = keys.checkpoint(seq, String.format("%s.part-%05d", name, i));
        byte[] bytes = store.get(key).bytes();
        if (!Arrays.equals(MetaSegment.sha256(bytes), m.parts().get(i).sha256())) {
            throw new IllegalStateException(key + " does not match the SHA-256 its manifest records");
        }
        return CheckpointFormat.decodePart(bytes, key);
    }

    // ---------------------------------------------------------------- loading at mount

    /** What a mount found: the newest loadable checkpoint. */
    record Loaded(CheckpointFormat.Manifest manifest, List<CheckpointFormat.Ref> chain) {
    }

    /**
     * The newest checkpoint whose whole chain verifies; its entries are loaded into {@code index} if not null.
     * A damaged checkpoint is skipped with a warning (the log is complete, so an older one or none still works).
     * Checkpoints before {@link #floor(long) the floor} are not considered: the log after them was pruned.
     */
    Optional<Loaded> loadNewest(LocalIndex index) {
        TreeMap<Long, TreeSet<String>> found = new TreeMap<>();
        store.listAll(keys.checkpointsPrefix()).forEach(o -> {
            String k = o.key();
            if (k.endsWith(".manifest")) {
                String name = k.substring(k.lastIndexOf('/') + 1, k.length() - ".manifest".length());
                found.computeIfAbsent(keys.parseCheckpointSeq(k), x -> new TreeSet<>()).add(name);
            }
        });
        for (Long seq : found.tailMap(floor, true).descendingKeySet()) {
            for (String name : found.get(seq)) { // "full-..." sorts before "incr-...": a full one is preferred
                try {
                    return Optional.of(load(seq, name, index));
                } catch (RuntimeException e) {
                    LOG.warn("checkpoint {} ({}) cannot be used: {}", seq, name, e.getMessage());
                    if (index != null) {
                        throw new IllegalStateException("checkpoint " + seq + " failed while loading: " + e.getMessage(), e);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** Ignore checkpoints before log position {@code seq} (the log base's checkpoint: the log before it is pruned). */
    Checkpointer floor(long seq) {
        this.floor = seq;
        return this;
    }

    /**
     * Loads checkpoint {@code name} at {@code seq} with its chain (all verified) into {@code index} if not null, and
     * makes it the one the next incremental builds on.
     *
     * @throws RuntimeException naming what does not verify
     */
    Loaded load(long seq, String name, LocalIndex index) {
        CheckpointFormat.Manifest m = readManifest(seq, name);
        List<CheckpointFormat.Ref> chain = new ArrayList<>(m.chain());
        chain.add(new CheckpointFormat.Ref(seq, name));
        if (index != null) {
            for (CheckpointFormat.Ref ref : chain) {
                CheckpointFormat.Manifest cm = ref.seq() == seq ? m : readManifest(ref.seq(), ref.name());
                for (int i = 0; i < cm.parts().size(); i++) {
                    for (CheckpointFormat.Entry e : readPart(ref.seq(), ref.name(), i, cm)) {
                        index.load(e.key(), e.value());
                    }
                }
            }
            index.maxIno.accumulateAndGet(m.maxIno(), Math::max);
        }
        this.chain = chain;
        this.lastSeq = seq;
        return new Loaded(m, chain);
    }

    /**
     * Reads checkpoint {@code name} at {@code seq} and its chain without loading it: every manifest and every part
     * (its SHA-256 as the manifest records it, and its own checks). Returns the chain, oldest first.
     *
     * @throws RuntimeException naming what does not verify
     */
    List<CheckpointFormat.Ref> verifyWhole(long seq, String name) {
        CheckpointFormat.Manifest m = readManifest(seq, name);
        List<CheckpointFormat.Ref> chain = new ArrayList<>(m.chain());
        chain.add(new CheckpointFormat.Ref(seq, name));
        for (CheckpointFormat.Ref ref : chain) {
            CheckpointFormat.Manifest cm = ref.seq() == seq ? m : readManifest(ref.seq(), ref.name());
            for (int i = 0; i < cm.parts().size(); i++) {
                readPart(ref.seq(), ref.name(), i, cm);
            }
        }
        return chain;
    }

    /**
     * Streams the state checkpoint {@code name} at {@code seq} holds (its chain merged, newest wins, no tombstones) in
     * key order, one part at a time; every part's SHA-256 is checked as it is read.
     */
    void forEachEntry(long seq, String name, java.util.function.Consumer<CheckpointFormat.Entry> out) {
        CheckpointFormat.Manifest m = readManifest(seq, name);
        List<CheckpointFormat.Ref> refs = new ArrayList<>(m.chain());
        refs.add(new CheckpointFormat.Ref(seq, name));
        List<Iterator<CheckpointFormat.Entry>> runs = new ArrayList<>();
        for (CheckpointFormat.Ref ref : refs) {
            runs.add(new RunIterator(ref.seq(), ref.name(), (ref.seq() == seq ? m : readManifest(ref.seq(), ref.name())).parts().size()));
        }
        withoutTombstonesLazy(new MergeIterator(runs)).forEachRemaining(out);
    }

    // ---------------------------------------------------------------- streaming merge

    private static List<CheckpointFormat.Entry> withoutTombstones(List<CheckpointFormat.Entry> in) {
        return in.stream().filter(e -> e.value() != null).toList();
    }

    private static Iterator<CheckpointFormat.Entry> withoutTombstonesLazy(Iterator<CheckpointFormat.Entry> in) {
        return new Iterator<>() {
            CheckpointFormat.Entry next = advance();

            private CheckpointFormat.Entry advance() {
                while (in.hasNext()) {
                    CheckpointFormat.Entry e = in.next();
                    if (e.value() != null) {
                        return e;
                    }
                }
                return null;
            }

            public boolean hasNext() {
                return next != null;
            }

            public CheckpointFormat.Entry next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                CheckpointFormat.Entry e = next;
                next = advance();
                return e;
            }
        };
    }

    /** The entries of one checkpoint, fetched one part at a time. */
    private final class RunIterator implements Iterator<CheckpointFormat.Entry> {
        private final long seq;
        private final String name;
        private final int parts;
        private CheckpointFormat.Manifest manifest;
        private int part;
        private Iterator<CheckpointFormat.Entry> current = java.util.Collections.emptyIterator();

        RunIterator(long seq, String name, int parts) {
            this.seq = seq;
            this.name = name;
            this.parts = parts;
        }

        public boolean hasNext() {
            while (!current.hasNext() && part < parts) {
                if (manifest == null) {
                    manifest = readManifest(seq, name);
                }
                current = readPart(seq, name, part++, manifest).iterator();
            }
            return current.hasNext();
        }

        public CheckpointFormat.Entry next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return current.next();
        }
    }

    /** Merges sorted runs; for equal keys the later run (newer checkpoint) wins. */
    private static final class MergeIterator implements Iterator<CheckpointFormat.Entry> {
        private record Head(CheckpointFormat.Entry entry, int run) {
        }

        private final List<Iterator<CheckpointFormat.Entry>> runs;
        private final PriorityQueue<Head> heap = new PriorityQueue<>((a, b) -> {
            int c = a.entry.key().compareTo(b.entry.key());
            return c != 0 ? c : Integer.compare(b.run, a.run);
        });

        MergeIterator(List<Iterator<CheckpointFormat.Entry>> runs) {
            this.runs = runs;
            for (int i = 0; i < runs.size(); i++) {
                pull(i);
            }
        }

        private void pull(int run) {
            if (runs.get(run).hasNext()) {
                heap.add(new Head(runs.get(run).next(), run));
            }
        }

        public boolean hasNext() {
            return !heap.isEmpty();
        }

        public CheckpointFormat.Entry next() {
            Head top = heap.poll();
            if (top == null) {
                throw new NoSuchElementException();
            }
            pull(top.run);
            while (!heap.isEmpty() && heap.peek().entry.key().equals(top.entry.key())) {
                pull(heap.poll().run);
            }
            return top.entry;
        }
    }

    static Map<UUID, CheckpointFormat.Writer> copy(Map<UUID, CheckpointFormat.Writer> w) {
        return new LinkedHashMap<>(w);
    }
}
