package org.pacsfs.core.fs.model;

/** One step of a random operation sequence; handles are named by slot (0..{@link OpRunner#SLOTS}-1). */
public sealed interface Op {
    record Mkdir(String path, int perm) implements Op {
    }

    record Rmdir(String path) implements Op {
    }

    record Create(int slot, String path, int perm, int flags) implements Op {
    }

    record Open(int slot, String path, int flags) implements Op {
    }

    record Write(int slot, long offset, int len, long seed) implements Op {
    }

    /** Many tiny writes at random small offsets into one block (extent-map fragmentation and compaction). */
    record SmallWrites(int slot, int count, long seed) implements Op {
        /** The same writes as single {@link Write}s (one write-log record each). */
        public java.util.List<Write> expand() {
            java.util.Random rnd = new java.util.Random(seed);
            java.util.List<Write> out = new java.util.ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                long off = rnd.nextInt(3000);
                int len = 1 + rnd.nextInt(12);
                out.add(new Write(slot, off, len, rnd.nextLong()));
            }
            return out;
        }
    }

    record Read(int slot, long offset, int len) implements Op {
    }

    record Release(int slot) implements Op {
    }

    record Fsync(int slot) implements Op {
    }

    record Truncate(String path, long size) implements Op {
    }

    record Ftruncate(int slot, long size) implements Op {
    }

    record Rename(String from, String to, boolean noReplace) implements Op {
    }

    record Unlink(String path) implements Op {
    }

    record Link(String from, String to) implements Op {
    }

    record Symlink(String target, String path) implements Op {
    }

    record Readlink(String path) implements Op {
    }

    record Chmod(String path, int perm) implements Op {
    }

    record SetXattr(String path, String name, int len, long seed, int flags) implements Op {
    }

    record GetXattr(String path, String name) implements Op {
    }

    record RemoveXattr(String path, String name) implements Op {
    }

    record FsyncDir(String path) implements Op {
    }

    record SyncAll() implements Op {
    }

    /** A crash and reopen (crash tests only; {@link OpRunner#step} refuses it). */
    record Crash() implements Op {
    }
}
