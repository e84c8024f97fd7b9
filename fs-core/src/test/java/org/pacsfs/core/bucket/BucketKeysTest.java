package org.pacsfs.core.bucket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.store.ObjectKeys;

class BucketKeysTest {

    private static final ChunkId ID = ChunkId.parse("0123456789abcdef0123456789abcdef");

    @Test
    void layoutUnderThePrefix() {
        BucketKeys k = BucketKeys.under("archive/pacs1");
        assertThat(k.prefix()).isEqualTo("archive/pacs1/");
        assertThat(k.superblock()).isEqualTo("archive/pacs1/pacsfs.json");
        assertThat(k.lease()).isEqualTo("archive/pacs1/lease");
        assertThat(k.chunk(ID)).isEqualTo("archive/pacs1/chunks/" + BucketKeys.shard(ID) + "/" + ID);
        assertThat(k.chunksPrefix()).isEqualTo("archive/pacs1/chunks/");
        assertThat(k.logPrefix()).isEqualTo("archive/pacs1/log/");
        assertThat(k.logSegment(42)).isEqualTo("archive/pacs1/log/00000000000000000042");
        assertThat(k.logSegment(Long.MAX_VALUE)).isEqualTo("archive/pacs1/log/09223372036854775807");
        assertThat(k.checkpointsPrefix()).isEqualTo("archive/pacs1/checkpoints/");
        assertThat(k.checkpointPrefix(7)).isEqualTo("archive/pacs1/checkpoints/00000000000000000007/");
        assertThat(k.checkpoint(7, "inodes/0001")).isEqualTo("archive/pacs1/checkpoints/00000000000000000007/inodes/0001");
    }

    @Test
    void rootPrefix() {
        BucketKeys k = BucketKeys.under("");
        assertThat(k.superblock()).isEqualTo("pacsfs.json");
        assertThat(k.logSegment(0)).isEqualTo("log/00000000000000000000");
        assertThat(k.chunk(ID)).matches("chunks/[0-9a-f]{2}/" + ID);
    }

    @Test
    void shardIsTheFirstByteOfSha256OfTheIdBytes() throws Exception {
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(ID.toBytes());
        assertThat(BucketKeys.shard(ID)).isEqualTo(String.format("%02x", digest[0] & 0xff));
        // fixed example, so that a change of the derivation (a format change) fails here
        assertThat(BucketKeys.under("").chunk(ID)).isEqualTo("chunks/" + BucketKeys.shard(ID) + "/" + ID);
        assertThat(BucketKeys.shard(ChunkId.parse("00000000000000000000000000000000"))).isEqualTo("37");
    }

    @Test
    void shardsSpreadEvenly() {
        Map<String, Integer> counts = new HashMap<>();
        int n = 256 * 200;
        for (int i = 0; i < n; i++) {
            counts.merge(BucketKeys.shard(ChunkId.random()), 1, Integer::sum);
        }
        assertThat(counts).hasSize(256);
        assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(100, 300));
    }

    @Test
    void prefixNormalization() {
        assertThat(BucketKeys.under("a").prefix()).isEqualTo("a/");
        assertThat(BucketKeys.under("a/b/").prefix()).isEqualTo("a/b/");
        assertThat(BucketKeys.under("a/b")).isEqualTo(BucketKeys.under("a/b/"));
        assertThat(BucketKeys.under("é/日本").prefix()).isEqualTo("é/日本/");
    }

    @Test
    void badPrefixesAreRefusedNamingTheValue() {
        for (String bad : new String[] {"/a", "a//b", "a/./b", "../a", "a/..", "/", "//", "a\\b", "a\nb", "a\u007fb"}) {
            assertThatThrownBy(() -> BucketKeys.under(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
        }
        assertThatThrownBy(() -> BucketKeys.under(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
        String longPrefix = "x".repeat(BucketKeys.MAX_PREFIX_BYTES);
        assertThatThrownBy(() -> BucketKeys.under(longPrefix)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("UTF-8 bytes");
        assertThat(BucketKeys.under("x".repeat(BucketKeys.MAX_PREFIX_BYTES - 1)).prefix()).hasSize(512);
    }

    @Test
    void longestKeysFitS3() {
        BucketKeys k = BucketKeys.under("x".repeat(BucketKeys.MAX_PREFIX_BYTES - 1));
        ObjectKeys.requireValid(k.chunk(ID));
        ObjectKeys.requireValid(k.logSegment(Long.MAX_VALUE));
        ObjectKeys.requireValid(k.checkpoint(Long.MAX_VALUE, "p".repeat(BucketKeys.MAX_PART_BYTES)));
    }

    @Test
    void logSeqRoundTripsAndSortsNumerically() {
        BucketKeys k = BucketKeys.under("fs");
        List<String> keys = new ArrayList<>();
        for (long seq : new long[] {0, 1, 9, 10, 99, 100, 123456789, Long.MAX_VALUE}) {
            String key = k.logSegment(seq);
            assertThat(k.parseLogSeq(key)).isEqualTo(seq);
            keys.add(key);
        }
        assertThat(keys).isSortedAccordingTo(ObjectKeys.S3_ORDER);
        assertThatThrownBy(() -> k.logSegment(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    }

    @Test
    void parseLogSeqIsStrict() {
        BucketKeys k = BucketKeys.under("fs");
        for (String bad : new String[] {"fs/log/42", "fs/log/000000000000000000420", "fs/log/0000000000000000004x",
                "other/log/00000000000000000042", "log/00000000000000000042", "fs/log/", "fs/log/+0000000000000000042",
                "fs/log/99999999999999999999", "fs/log/00000000000000000042/x", "fs/lease"}) {
            assertThatThrownBy(() -> k.parseLogSeq(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
        }
        assertThatThrownBy(() -> k.parseLogSeq(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void checkpointKeys() {
        BucketKeys k = BucketKeys.under("");
        assertThat(k.parseCheckpointSeq(k.checkpoint(5, "manifest"))).isEqualTo(5);
        assertThat(k.parseCheckpointSeq(k.checkpointPrefix(6))).isEqualTo(6);
        for (String bad : new String[] {"", "/a", "a/", "a//b", "..", "a/../b", "a\\b"}) {
            assertThatThrownBy(() -> k.checkpoint(1, bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
        }
        assertThatThrownBy(() -> k.checkpoint(1, "p".repeat(BucketKeys.MAX_PART_BYTES + 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> k.parseCheckpointSeq("checkpoints/5/x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("checkpoints/5/x");
    }

    @Test
    void chunkKeysParseBackStrictly() {
        BucketKeys k = BucketKeys.under("p");
        assertThat(k.parseChunk(k.chunk(ID))).isEqualTo(ID);
        String good = k.chunk(ID);
        String wrongShard = "p/chunks/" + (BucketKeys.shard(ID).equals("00") ? "01" : "00") + "/" + ID;
        for (String bad : new String[] {wrongShard, good.toUpperCase(), good + "0", good.substring(0, good.length() - 1),
                "chunks/" + BucketKeys.shard(ID) + "/" + ID, good.replace("/" + ID, "-" + ID)}) {
            assertThatThrownBy(() -> k.parseChunk(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
        }
    }
}
