package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Set;
import org.pacsfs.core.audit.AuditKey;
import org.pacsfs.core.audit.AuditTrail;
import org.pacsfs.core.bucket.FsSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * The options of {@code pacsfs mount} that turn on the access-audit trail (docs/AUDIT.md), and where its key comes from:
 * a file, or the environment variable {@value AuditKey#ENVIRONMENT}. The key is read before anything starts, so a
 * missing, unreadable or malformed key fails the mount at once; it is never logged (only its id).
 */
final class AuditOptions {
    private static final Logger LOG = LoggerFactory.getLogger(AuditOptions.class);

    @Option(names = "--audit-key-file", paramLabel = "FILE", description = "Record who opened, read, wrote, renamed and removed "
            + "what (uid, gid, pid, process, path) in an encrypted trail in the bucket (audit/), AES-256-GCM with the 32-byte key "
            + "in FILE (64 hex digits, base64, or 32 raw bytes; e.g. openssl rand -hex 32 > FILE; chmod 600 FILE). "
            + "Read it with: pacsfs audit. Default: off.")
    Path keyFile;

    @Option(names = "--audit", description = "Record the access-audit trail with the key in the environment variable "
            + AuditKey.ENVIRONMENT + " (64 hex digits or base64). Implied by --audit-key-file.")
    boolean audit;

    @Option(names = "--audit-interval", paramLabel = "DURATION", description = "With the audit on: the longest time between an "
            + "access and the encrypted segment that holds it in the bucket (a crash loses at most this much of the trail; "
            + "1s..1h, e.g. 10s, 300s, 1h). Default: 30s.")
    String interval;

    boolean enabled() {
        return audit || keyFile != null;
    }

    /** The key, or null when the audit is off. */
    AuditKey key() throws CliException {
        if (!enabled()) {
            if (interval != null) {
                throw new CliException("--audit-interval needs --audit-key-file or --audit");
            }
            return null;
        }
        if (keyFile != null) {
            return fromFile(keyFile);
        }
        String env = System.getenv(AuditKey.ENVIRONMENT);
        if (env == null || env.isBlank()) {
            throw new CliException("--audit needs the key in the environment variable " + AuditKey.ENVIRONMENT
                    + " (64 hex digits or base64 of 32 bytes), or give --audit-key-file FILE");
        }
        try {
            return AuditKey.parse(env, "the environment variable " + AuditKey.ENVIRONMENT);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }

    static AuditKey fromFile(Path file) throws CliException {
        try {
            AuditKey key = AuditKey.read(file);
            warnIfOthersCanRead(file);
            return key;
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CliException("audit key file " + file + " does not exist");
        } catch (IOException e) {
            throw new CliException("cannot read the audit key file " + file + ": " + e.getMessage());
        }
    }

    private static void warnIfOthersCanRead(Path file) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                System.err.println("pacsfs: warning: the audit key file " + file + " can be read by other users; chmod 600 it");
                LOG.warn("the audit key file {} can be read by other users; chmod 600 it", file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX filesystem: nothing to check
        }
    }

    AuditTrail.Config config() throws CliException {
        AuditTrail.Config c = AuditTrail.Config.defaults();
        if (interval == null) {
            return c;
        }
        Duration d;
        try {
            d = FsSettings.parseDuration(interval);
        } catch (IllegalArgumentException e) {
            throw new CliException("--audit-interval: " + e.getMessage());
        }
        if (d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(Duration.ofHours(1)) > 0) {
            throw new CliException("--audit-interval must be between 1s and 1h, got " + interval);
        }
        return c.withInterval(d);
    }
}
