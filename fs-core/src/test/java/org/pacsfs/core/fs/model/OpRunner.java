package org.pacsfs.core.fs.model;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.pacsfs.core.fs.Attributes;
import org.pacsfs.core.fs.Caller;
import org.pacsfs.core.fs.Errno;
import org.pacsfs.core.fs.FileType;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.OpenFlags;
import org.pacsfs.core.fs.model.ReferenceModel.Handle;
import org.pacsfs.core.fs.model.ReferenceModel.ModelError;

/**
 * Runs {@link Op}s against a {@link LocalFileSystem} and a {@link ReferenceModel} side by side, asserting that both
 * succeed with the same result or fail with the same errno. Tracks the open handles of both and the sync bound: the
 * number of the last operation a returned fsync/fsyncdir/syncAll made durable.
 */
public final class OpRunner {
    public static final int SLOTS = 3;
    /** Counts of outcomes per operation kind when -Dpacsfs.model.stats=true (to see what a run exercised). */
    public static final java.util.Map<String, Integer> OUTCOMES = Boolean.getBoolean("pacsfs.model.stats")
            ? new java.util.concurrent.ConcurrentSkipListMap<>() : null;

    private LocalFileSystem fs;
    private ReferenceModel model;
    private final long[] fh = new long[SLOTS];
    private final Handle[] mh = new Handle[SLOTS];
    /** Operations are numbered from 1; {@link #done()} of them have run. */
    private int done;
    private int syncBound;

    public OpRunner(LocalFileSystem fs, ReferenceModel model) {
        this.fs = fs;
        this.model = model;
    }

    public LocalFileSystem fs() {
        return fs;
    }

    public ReferenceModel model() {
        return model;
    }

    public int done() {
        return done;
    }

    /** The last operation (by number) whose effects a returned sync made durable. */
    public int syncBound() {
        return syncBound;
    }

    /** After a crash and reopen: handles are gone; continue with {@code fs} and {@code model}. */
    public void restart(LocalFileSystem newFs, ReferenceModel newModel, int newSyncBound) {
        this.fs = newFs;
        this.model = newModel;
        model.dropAllHandles();
        Arrays.fill(mh, null);
        Arrays.fill(fh, 0);
        syncBound = newSyncBound;
    }

    private interface FsCall<T> {
        T run() throws FsException;
    }

    private interface ModelCall<T> {
        T run() throws ModelError;
    }

    private record Both<A, B>(A fs, B model, boolean ok) {
    }

    private <A, B> Both<A, B> both(Op op, FsCall<A> f, ModelCall<B> m) {
        A a = null;
        B b = null;
        FsException fe = null;
        ModelError me = null;
        try {
            a = f.run();
        } catch (FsException e) {
            fe = e;
        }
        try {
            b = m.run();
        } catch (ModelError e) {
            me = e;
        }
        if (fe == null && me != null) {
            throw new AssertionError("op #" + done + " " + op + ": fs succeeded but the model says " + me.getMessage());
        }
        if (fe != null && me == null) {
            throw new AssertionError("op #" + done + " " + op + ": fs failed with " + fe.errno() + " (" + fe.getMessage()
                    + ") but the model succeeds", fe);
        }
        if (fe != null && fe.errno() != me.errno) {
            throw new AssertionError("op #" + done + " " + op + ": fs failed with " + fe.errno() + " (" + fe.getMessage()
                    + ") but the model says " + me.getMessage(), fe);
        }
        if (OUTCOMES != null) {
            OUTCOMES.merge(op.getClass().getSimpleName() + " " + (fe == null ? "ok" : fe.errno().toString()), 1, Integer::sum);
        }
        return new Both<>(a, b, fe == null);
    }

    public static byte[] bytes(long seed, int len) {
        byte[] b = new byte[len];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Runs one operation on both sides and compares outcomes (not yet the trees). */
    public void step(Op op) {
        done++;
        model.setOpIndex(done);
        if (op instanceof Op.Mkdir o) {
            both(op, () -> fs.mkdir(o.path(), o.perm(), Caller.ROOT), () -> {
                model.mkdir(o.path(), o.perm());
                return null;
            });
        } else if (op instanceof Op.Rmdir o) {
            both(op, () -> {
                fs.rmdir(o.path());
                return null;
            }, () -> {
                model.rmdir(o.path());
                return null;
            });
        } else if (op instanceof Op.Create o) {
            releaseSlot(op, o.slot());
            Both<Long, Handle> r = both(op, () -> fs.create(o.path(), o.perm(), o.flags() | OpenFlags.O_CREAT, Caller.ROOT),
                    () -> model.create(o.path(), o.perm(), o.flags() | OpenFlags.O_CREAT));
            if (r.ok()) {
                keep(op, o.slot(), r);
            }
        } else if (op instanceof Op.Open o) {
            releaseSlot(op, o.slot());
            Both<Long, Handle> r = both(op, () -> fs.open(o.path(), o.flags()), () -> model.open(o.path(), o.flags()));
            if (r.ok()) {
                keep(op, o.slot(), r);
            }
        } else if (op instanceof Op.Write o) {
            if (mh[o.slot()] != null) {
                byte[] data = bytes(o.seed(), o.len());
                Both<Integer, Void> r = both(op, () -> fs.write(fh[o.slot()], o.offset(), ByteBuffer.wrap(data)), () -> {
                    model.write(mh[o.slot()], o.offset(), data);
                    return null;
                });
                if (r.ok() && r.fs() != o.len()) {
                    throw new AssertionError("op #" + done + " " + op + ": write returned " + r.fs());
                }
            }
        } else if (op instanceof Op.SmallWrites o) {
            if (mh[o.slot()] != null) {
                for (Op.Write w : o.expand()) {
                    byte[] data = bytes(w.seed(), w.len());
                    Both<Integer, Void> r = both(op, () -> fs.write(fh[o.slot()], w.offset(), ByteBuffer.wrap(data)), () -> {
                        model.write(mh[o.slot()], w.offset(), data);
                        return null;
                    });
                    if (!r.ok()) {
                        break;
                    }
                }
            }
        } else if (op instanceof Op.Read o) {
            if (mh[o.slot()] != null) {
                Both<byte[], byte[]> r = both(op, () -> {
                    ByteBuffer b = ByteBuffer.allocate(o.len());
                    int n = fs.read(fh[o.slot()], o.offset(), b);
                    return Arrays.copyOf(b.array(), n);
                }, () -> model.read(mh[o.slot()], o.offset(), o.len()));
                if (r.ok() && !Arrays.equals(r.fs(), r.model())) {
                    throw new AssertionError("op #" + done + " " + op + ": read " + r.fs().length + " bytes "
                            + ReferenceModel.digest(r.fs()) + ", model " + ReferenceModel.digest(r.model())
                            + " (first difference at " + Arrays.mismatch(r.fs(), r.model()) + ")");
                }
            }
        } else if (op instanceof Op.Release o) {
            releaseSlot(op, o.slot());
        } else if (op instanceof Op.Fsync o) {
            if (mh[o.slot()] != null) {
                Handle h = mh[o.slot()];
                Both<Void, Void> r = both(op, () -> {
                    fs.fsync(fh[o.slot()], false);
                    return null;
                }, () -> null);
                if (r.ok()) {
                    syncBound = Math.max(syncBound, h.node.lastTouched());
                }
            }
        } else if (op instanceof Op.Truncate o) {
            both(op, () -> {
                fs.truncate(o.path(), o.size());
                return null;
            }, () -> {
                model.truncate(o.path(), o.size());
                return null;
            });
        } else if (op instanceof Op.Ftruncate o) {
            if (mh[o.slot()] != null) {
                both(op, () -> {
                    fs.truncate(fh[o.slot()], o.size());
                    return null;
                }, () -> {
                    model.ftruncate(mh[o.slot()], o.size());
                    return null;
                });
            }
        } else if (op instanceof Op.Rename o) {
            both(op, () -> {
                fs.rename(o.from(), o.to(), o.noReplace() ? OpenFlags.RENAME_NOREPLACE : 0);
                return null;
            }, () -> {
                model.rename(o.from(), o.to(), o.noReplace());
                return null;
            });
        } else if (op instanceof Op.Unlink o) {
            both(op, () -> {
                fs.unlink(o.path());
                return null;
            }, () -> {
                model.unlink(o.path());
                return null;
            });
        } else if (op instanceof Op.Link o) {
            both(op, () -> fs.link(o.from(), o.to()), () -> {
                model.link(o.from(), o.to());
                return null;
            });
        } else if (op instanceof Op.Symlink o) {
            both(op, () -> fs.symlink(o.target(), o.path(), Caller.ROOT), () -> {
                model.symlink(o.target(), o.path());
                return null;
            });
        } else if (op instanceof Op.Readlink o) {
            Both<String, String> r = both(op, () -> fs.readlink(o.path()), () -> model.readlink(o.path()));
            if (r.ok() && !r.fs().equals(r.model())) {
                throw new AssertionError("op #" + done + " " + op + ": readlink " + r.fs() + ", model " + r.model());
            }
        } else if (op instanceof Op.Chmod o) {
            both(op, () -> {
                fs.chmod(o.path(), o.perm());
                return null;
            }, () -> {
                model.chmod(o.path(), o.perm());
                return null;
            });
        } else if (op instanceof Op.SetXattr o) {
            byte[] v = bytes(o.seed(), o.len());
            both(op, () -> {
                fs.setxattr(o.path(), o.name(), v, o.flags());
                return null;
            }, () -> {
                model.setxattr(o.path(), o.name(), v, o.flags());
                return null;
            });
        } else if (op instanceof Op.GetXattr o) {
            Both<byte[], byte[]> r = both(op, () -> fs.getxattr(o.path(), o.name()), () -> model.getxattr(o.path(), o.name()));
            if (r.ok() && !Arrays.equals(r.fs(), r.model())) {
                throw new AssertionError("op #" + done + " " + op + ": getxattr differs");
            }
        } else if (op instanceof Op.RemoveXattr o) {
            both(op, () -> {
                fs.removexattr(o.path(), o.name());
                return null;
            }, () -> {
                model.removexattr(o.path(), o.name());
                return null;
            });
        } else if (op instanceof Op.FsyncDir o) {
            Both<Void, ReferenceModel.Node> r = both(op, () -> {
                long dh = fs.opendir(o.path());
                try {
                    fs.fsyncdir(dh, false);
                } finally {
                    fs.releasedir(dh);
                }
                return null;
            }, () -> {
                ReferenceModel.Node n = model.resolve(o.path());
                if (n.type() != FileType.DIRECTORY) {
                    throw new ModelError(Errno.ENOTDIR, o.path());
                }
                return n;
            });
            if (r.ok()) {
                syncBound = Math.max(syncBound, r.model().lastTouched());
            }
        } else if (op instanceof Op.Crash) {
            throw new IllegalArgumentException("the test handles Crash itself");
        } else if (op instanceof Op.SyncAll) {
            try {
                fs.syncAll();
            } catch (FsException e) {
                throw new AssertionError("op #" + done + " syncAll failed", e);
            }
            syncBound = done;
        }
    }

    private void keep(Op op, int slot, Both<Long, Handle> r) {
        if (r.model().node.type() == FileType.DIRECTORY) {
            // a directory opened for reading: close it again at once (the ops only use file handles)
            try {
                fs.release(r.fs());
                model.release(r.model());
            } catch (FsException | ModelError e) {
                throw new AssertionError("op #" + done + " " + op + ": releasing a directory handle failed", e);
            }
            return;
        }
        fh[slot] = r.fs();
        mh[slot] = r.model();
    }

    private void releaseSlot(Op op, int slot) {
        if (mh[slot] == null) {
            return;
        }
        Handle h = mh[slot];
        long f = fh[slot];
        mh[slot] = null;
        both(op, () -> {
            fs.release(f);
            return null;
        }, () -> {
            model.release(h);
            return null;
        });
    }

    /** Releases every handle on both sides. */
    public void releaseAll() {
        for (int i = 0; i < SLOTS; i++) {
            releaseSlot(new Op.Release(i), i);
        }
    }

    /** Compares what the open handles see: size, link count and bytes (also of unlinked files). */
    public void checkHandles() throws FsException {
        for (int i = 0; i < SLOTS; i++) {
            Handle h = mh[i];
            if (h == null) {
                continue;
            }
            Attributes a = fs.getattr(fh[i]);
            byte[] want = h.node.data();
            if (a.size() != want.length || a.nlink() != h.node.nlinkForTest()) {
                throw new AssertionError("after op #" + done + ": handle in slot " + i + ": fs size " + a.size() + " nlink "
                        + a.nlink() + ", model size " + want.length + " nlink " + h.node.nlinkForTest());
            }
            if (h.readable()) {
                byte[] got = FsTreeReader.readAll(fs, fh[i], want.length);
                if (!Arrays.equals(got, want)) {
                    throw new AssertionError("after op #" + done + ": handle in slot " + i + " reads other bytes (first difference at "
                            + Arrays.mismatch(got, want) + ")");
                }
            }
        }
    }
}
