package org.pacsfs.fuse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.FsSettings;
import org.pacsfs.core.history.HeadAnchor;
import org.pacsfs.core.history.VerifyReport;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.PutCondition;

/** verify reports the filesystem's settings.json: none, what it says, or a damaged one as a problem (exit 3). */
class VerifySettingsTest {

    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final String key = BucketKeys.under("").settings();

    private String report(VerifyCommand.SettingsCheck settings) {
        VerifyReport r = new VerifyReport(UUID.randomUUID(), new HeadAnchor(1, new byte[32]), 1, 0, 0, 1, 0, List.of());
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        VerifyCommand.print(new PrintStream(b, true, StandardCharsets.UTF_8), "s3://b/", r, settings);
        return b.toString(StandardCharsets.UTF_8);
    }

    @Test
    void noSettingsAreTheDefaults() {
        VerifyCommand.SettingsCheck c = VerifyCommand.SettingsCheck.of(store);
        assertThat(c.problem()).isNull();
        assertThat(report(c)).contains("settings:   none stored yet: WORM off, retention 180d").contains("result:     OK");
    }

    @Test
    void settingsMissingFromAFilesystemWithALogAreAProblem() {
        store.put(BucketKeys.under("").logSegment(1), new byte[] {1}, PutCondition.none());
        VerifyCommand.SettingsCheck c = VerifyCommand.SettingsCheck.of(store);
        assertThat(c.problem()).startsWith("PROBLEM SETTINGS_MISSING").contains("deleted or lost").contains("--retention 180d");
        assertThat(report(c)).contains("settings:   (missing)").contains("result:     1 problem(s)");
    }

    @Test
    void storedSettingsAreShown() {
        store.put(key, new FsSettings(true, Duration.ofDays(3660), Duration.ofSeconds(60)).toBytes(), PutCondition.ifNoneMatch());
        assertThat(report(VerifyCommand.SettingsCheck.of(store))).contains("settings:   WORM on (grace 60s), retention 10y")
                .contains("result:     OK");
    }

    @Test
    void damagedSettingsAreAProblem() {
        byte[] b = new FsSettings(true, Duration.ofDays(30), Duration.ofSeconds(60)).toBytes();
        String text = new String(b, StandardCharsets.UTF_8).replace("\"worm\": true", "\"worm\": false");
        store.put(key, text.getBytes(StandardCharsets.UTF_8), PutCondition.none());
        VerifyCommand.SettingsCheck c = VerifyCommand.SettingsCheck.of(store);
        assertThat(c.problem()).startsWith("PROBLEM SETTINGS_DAMAGED settings.json:");
        assertThat(report(c)).contains("settings:   (damaged)").contains(c.problem()).contains("result:     1 problem(s)");
    }
}
