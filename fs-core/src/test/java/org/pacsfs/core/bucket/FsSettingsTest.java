package org.pacsfs.core.bucket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.PutCondition;

/** The settings object: format, corruption, duration parsing, and that it is chosen once and never changed. */
class FsSettingsTest {
    static final FsSettings WORM = new FsSettings(true, Duration.ofDays(3660), Duration.ofSeconds(60));
    final InMemoryObjectStore store = new InMemoryObjectStore();
    final BucketKeys keys = BucketKeys.under("p/");

    @Test
    void roundTripsAndIsDocumentedJson() {
        String text = new String(WORM.toBytes(), StandardCharsets.UTF_8);
        assertThat(text).contains("\"magic\": \"pacsfs-settings\"", "\"worm\": true", "\"retentionSeconds\": 316224000",
                "\"wormGraceSeconds\": 60", "\"checksum\": \"crc32c:3536f3a6\""); // the example in docs/FORMAT.md
        assertThat(FsSettings.parse(WORM.toBytes())).isEqualTo(WORM);
        assertThat(FsSettings.parse(FsSettings.DEFAULTS.toBytes())).isEqualTo(FsSettings.DEFAULTS);
        assertThat(WORM).hasToString("WORM on (grace 60s), retention 10y");
    }

    @Test
    void refusesAChangedValueAnUnknownMemberANewerVersionAndGarbage() {
        String text = new String(WORM.toBytes(), StandardCharsets.UTF_8);
        assertRefused(text.replace("\"worm\": true", "\"worm\": false"), "checksum mismatch");
        assertRefused(text.replace("316224000", "86400"), "checksum mismatch");
        assertRefused(text.replace("\"worm\"", "\"extra\": 1, \"worm\""), "unknown member \"extra\"");
        assertRefused(text.replace("\"formatVersion\": 1", "\"formatVersion\": 2"), "upgrade pacsfs");
        assertRefused(text.replace("pacsfs-settings", "other"), "magic");
        assertRefused(text.replace("true", "\"yes\""), "expected true or false");
        assertRefused("{", "");
    }

    static void assertRefused(String text, String message) {
        assertThatThrownBy(() -> FsSettings.parse(text.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void durationsHaveUnitsAndABadOneNamesTheAcceptedForms() {
        assertThat(FsSettings.parseDuration("30d")).isEqualTo(Duration.ofDays(30));
        assertThat(FsSettings.parseDuration("10y")).isEqualTo(Duration.ofDays(3660));
        assertThat(FsSettings.parseDuration("6m")).isEqualTo(Duration.ofDays(186));
        assertThat(FsSettings.parseDuration("2w")).isEqualTo(Duration.ofDays(14));
        assertThat(FsSettings.parseDuration("12h")).isEqualTo(Duration.ofHours(12));
        assertThat(FsSettings.parseDuration("45s")).isEqualTo(Duration.ofSeconds(45));
        for (String bad : new String[] {"10", "10 years", "-1d", "1.5y", "d", ""}) {
            assertThatThrownBy(() -> FsSettings.parseDuration(bad)).hasMessageContaining("'" + bad + "' is not a duration")
                    .hasMessageContaining("30d").hasMessageContaining("10y").hasMessageContaining("6m");
        }
        assertThatThrownBy(() -> new FsSettings(true, Duration.ofDays(366L * 101), Duration.ZERO)).hasMessageContaining("100y");
        assertThatThrownBy(() -> new FsSettings(true, Duration.ofDays(1), Duration.ofDays(8))).hasMessageContaining("7d");
    }

    @Test
    void isWrittenOnceAtCreationAndCannotBeChangedOrTurnedOffLater() {
        assertThat(FsSettings.read(store, keys)).isEmpty();
        assertThat(FsSettings.establish(store, keys, WORM, true)).isEqualTo(WORM);
        assertThat(FsSettings.read(store, keys)).contains(WORM);
        assertThat(FsSettings.establish(store, keys, FsSettings.DEFAULTS, false)).isEqualTo(WORM); // options not given
        assertThat(FsSettings.establish(store, keys, WORM, true)).isEqualTo(WORM); // the same values again
        FsSettings off = new FsSettings(false, WORM.retention(), WORM.wormGrace());
        FsSettings shorter = new FsSettings(true, Duration.ofDays(30), WORM.wormGrace());
        for (FsSettings changed : new FsSettings[] {off, shorter}) {
            assertThatThrownBy(() -> FsSettings.establish(store, keys, changed, true))
                    .hasMessageContaining("created with WORM on (grace 60s), retention 10y").hasMessageContaining("cannot be changed");
        }
        assertThat(FsSettings.read(store, keys)).contains(WORM);
    }

    @Test
    void settingsLostFromAFilesystemWithALogAreNeverGuessedButCanBeStatedAgain() {
        store.put(keys.logSegment(1), new byte[] {1}, PutCondition.none());
        // Guessing the defaults would turn WORM off and give gc a retention shorter than the archive's.
        assertThatThrownBy(() -> FsSettings.establish(store, keys, FsSettings.DEFAULTS, false))
                .hasMessageContaining("are missing").hasMessageContaining("deleted or lost").hasMessageContaining("--worm --retention");
        assertThatThrownBy(() -> FsSettings.require(store, keys)).hasMessageContaining("are missing");
        assertThat(FsSettings.read(store, keys)).isEmpty();

        assertThat(FsSettings.establish(store, keys, WORM, true)).isEqualTo(WORM); // the operator states them again
        assertThat(FsSettings.read(store, keys)).contains(WORM);
        assertThat(FsSettings.require(store, keys)).isEqualTo(WORM);
    }

    @Test
    void aNewFilesystemWithoutALogHasTheDefaultsUntilItStoresSome() {
        assertThat(FsSettings.require(store, keys)).isEqualTo(FsSettings.DEFAULTS);
        assertThat(FsSettings.establish(store, keys, FsSettings.DEFAULTS, false)).isEqualTo(FsSettings.DEFAULTS);
        assertThat(FsSettings.read(store, keys)).contains(FsSettings.DEFAULTS);
    }
}
