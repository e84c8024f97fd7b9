package org.pacsfs.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/** What the kernel says is mounted where (/proc/self/mountinfo, as mount(8) reads it). */
public final class MountTable {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountTable() {
    }

    /** The filesystem type mounted exactly at {@code mp} (e.g. "fuse.pacsfs"), if any; the last mount wins. */
    public static Optional<String> typeAt(Path mp) {
        String target = mp.toAbsolutePath().normalize().toString();
        String found = null;
        try {
            for (String line : Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8)) {
                // id parent major:minor root mount-point options [optional fields] - fstype source super-options
                String[] f = line.split(" ");
                int dash = line.indexOf(" - ");
                if (f.length < 5 || dash < 0) {
                    continue;
                }
                if (unescape(f[4]).equals(target)) {
                    found = line.substring(dash + 3).split(" ")[0];
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.ofNullable(found);
    }

    public static boolean isMountPoint(Path mp) {
        return typeAt(mp).isPresent();
    }

    public static boolean isFuseMount(Path mp) {
        return typeAt(mp).map(t -> t.equals("fuse") || t.startsWith("fuse.")).orElse(false);
    }

    static String fsType(Path mp) {
        return typeAt(mp).orElse("nothing");
    }

    /** A FUSE mount whose process is gone answers every call with ENOTCONN ("Transport endpoint is not connected"). */
    public static boolean isStale(Path mp) {
        // Not a stat of the mount point itself: the kernel answers that from its attribute cache for up to attr_timeout
        // after the process died. A lookup of a name that does not exist is never cached (negative_timeout 0), so it
        // reaches the FUSE connection: ENOENT from a live one, ENOTCONN from a dead one.
        Path probe = mp.resolve(".pacsfs-probe-" + Long.toHexString(System.nanoTime()));
        try {
            Files.readAttributes(probe, BasicFileAttributes.class);
            return false;
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return String.valueOf(e.getMessage()).contains("Transport endpoint is not connected");
        }
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo (octal byte values). */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(utf8.length);
        for (int i = 0; i < utf8.length; i++) {
            if (utf8[i] == '\\' && isOctal(utf8, i + 1)) {
                out.write((utf8[i + 1] - '0') * 64 + (utf8[i + 2] - '0') * 8 + (utf8[i + 3] - '0'));
                i += 3;
            } else {
                out.write(utf8[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean isOctal(byte[] s, int at) {
        if (at + 3 > s.length) {
            return false;
        }
        for (int i = at; i < at + 3; i++) {
            if (s[i] < '0' || s[i] > '7') {
                return false;
            }
        }
        return true;
    }
}
