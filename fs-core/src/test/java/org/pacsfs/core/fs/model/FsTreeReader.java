package org.pacsfs.core.fs.model;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.pacsfs.core.fs.Attributes;
import org.pacsfs.core.fs.DirEntry;
import org.pacsfs.core.fs.FileType;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.OpenFlags;

/** Reads a whole {@link LocalFileSystem} tree through its public API into a {@link TreeState}. */
public final class FsTreeReader {
    private FsTreeReader() {
    }

    public static TreeState read(LocalFileSystem fs) throws FsException {
        TreeMap<String, Attributes> attrs = new TreeMap<>();
        TreeMap<String, String> contents = new TreeMap<>();
        TreeMap<String, TreeMap<String, String>> xattrs = new TreeMap<>();
        walk(fs, "/", attrs, contents, xattrs);
        Map<Long, String> firstPath = new HashMap<>();
        attrs.forEach((p, a) -> firstPath.putIfAbsent(a.ino(), p));
        TreeMap<String, TreeState.Entry> entries = new TreeMap<>();
        attrs.forEach((p, a) -> entries.put(p, new TreeState.Entry(a.type(), a.permissions(), a.nlink(), a.size(),
                contents.get(p), xattrs.get(p), firstPath.get(a.ino()))));
        return new TreeState(entries, fs.inodeCount(), fs.bytesStored());
    }

    private static void walk(LocalFileSystem fs, String path, TreeMap<String, Attributes> attrs,
                             TreeMap<String, String> contents, TreeMap<String, TreeMap<String, String>> xattrs) throws FsException {
        Attributes a = fs.getattr(path);
        if ((a.mode() & 0170000) != a.type().modeBits()) {
            throw new AssertionError(path + ": st_mode 0" + Integer.toOctalString(a.mode()) + " does not match type " + a.type());
        }
        attrs.put(path, a);
        TreeMap<String, String> x = new TreeMap<>();
        for (String name : fs.listxattr(path)) {
            x.put(name, HexFormat.of().formatHex(fs.getxattr(path, name)));
        }
        xattrs.put(path, x);
        switch (a.type()) {
            case REGULAR -> contents.put(path, ReferenceModel.digest(readAll(fs, path, a.size())));
            case SYMLINK -> contents.put(path, fs.readlink(path));
            case DIRECTORY -> {
                contents.put(path, "");
                for (DirEntry e : list(fs, path)) {
                    String child = path.equals("/") ? "/" + e.name() : path + "/" + e.name();
                    walk(fs, child, attrs, contents, xattrs);
                    Attributes ca = attrs.get(child);
                    if (ca.ino() != e.ino() || ca.type() != e.type()) {
                        throw new AssertionError("readdir of " + path + " says " + e + " but getattr(" + child + ") says " + ca);
                    }
                }
            }
        }
    }

    /** All entries of a directory except "." and "..", checked to be unique. */
    public static List<DirEntry> list(LocalFileSystem fs, String path) throws FsException {
        long dh = fs.opendir(path);
        try {
            List<DirEntry> out = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            long off = 0;
            while (true) {
                List<DirEntry> batch = fs.readdir(dh, off, 7);
                if (batch.isEmpty()) {
                    break;
                }
                for (DirEntry e : batch) {
                    if (!seen.add(e.name())) {
                        throw new AssertionError("readdir of " + path + " returned " + e.name() + " twice");
                    }
                    if (!e.name().equals(".") && !e.name().equals("..")) {
                        out.add(e);
                    }
                }
                off = batch.get(batch.size() - 1).nextOffset();
            }
            if (!seen.contains(".") || !seen.contains("..")) {
                throw new AssertionError("readdir of " + path + " lacks . or ..: " + seen);
            }
            return out;
        } finally {
            fs.releasedir(dh);
        }
    }

    static byte[] readAll(LocalFileSystem fs, String path, long size) throws FsException {
        long fh = fs.open(path, OpenFlags.O_RDONLY);
        try {
            return readAll(fs, fh, size);
        } finally {
            fs.release(fh);
        }
    }

    /** Reads {@code size} bytes through a handle, then checks that reading at the end returns 0. */
    public static byte[] readAll(LocalFileSystem fs, long fh, long size) throws FsException {
        ByteBuffer b = ByteBuffer.allocate((int) size);
        while (b.hasRemaining()) {
            int n = fs.read(fh, b.position(), b);
            if (n <= 0) {
                throw new AssertionError("read returned " + n + " at " + b.position() + " of a " + size + "-byte file");
            }
        }
        int more = fs.read(fh, size, ByteBuffer.allocate(16));
        if (more != 0) {
            throw new AssertionError("read at end of file (" + size + ") returned " + more + " bytes");
        }
        return b.array();
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
