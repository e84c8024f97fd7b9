package org.pacsfs.core.bucket;

import org.pacsfs.core.store.ForwardingObjectStore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectData;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.PutCondition;

class SuperblockTest {

    private static final UUID ID = UUID.fromString("0b6f3c1e-8d0a-4f57-9a53-2a8f0f7f4c11");
    private static final Instant T = Instant.parse("2025-06-01T12:00:00.123456Z");
    private static final Clock CLOCK = Clock.fixed(T, ZoneOffset.UTC);
    private final BucketKeys keys = BucketKeys.under("fs1");

    private static String crc(String s) {
        CRC32C c = new CRC32C();
        c.update(s.getBytes(StandardCharsets.UTF_8));
        return String.format("crc32c:%08x", c.getValue());
    }

    private static String doc(String magic, String version, String fsId, String createdAt, String checksum) {
        return "{\"magic\":\"" + magic + "\",\"formatVersion\":" + version + ",\"fsId\":\"" + fsId
                + "\",\"createdAt\":\"" + createdAt + "\",\"checksum\":\"" + checksum + "\"}";
    }

    private static String valid(String fsId, String createdAt) {
        return doc("pacsfs", "1", fsId, createdAt, crc("pacsfs\n1\n" + fsId + "\n" + createdAt));
    }

    private static Superblock parse(String text) throws SuperblockException {
        return Superblock.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void fileLayout() {
        String text = new String(new Superblock(ID, T).toBytes(), StandardCharsets.UTF_8);
        String created = "2025-06-01T12:00:00.123Z";
        assertThat(text).isEqualTo("{\n"
                + "  \"magic\": \"pacsfs\",\n"
                + "  \"formatVersion\": 1,\n"
                + "  \"fsId\": \"0b6f3c1e-8d0a-4f57-9a53-2a8f0f7f4c11\",\n"
                + "  \"createdAt\": \"" + created + "\",\n"
                + "  \"checksum\": \"" + crc("pacsfs\n1\n" + ID + "\n" + created) + "\"\n"
                + "}\n");
        // the example in docs/FORMAT.md
        assertThat(text).contains("\"checksum\": \"crc32c:d4bc9d21\"");
    }

    @Test
    void roundTrip() throws Exception {
        Superblock sb = Superblock.newFilesystem(CLOCK);
        assertThat(sb.createdAt()).isEqualTo(Instant.parse("2025-06-01T12:00:00.123Z"));
        assertThat(sb.formatVersion()).isEqualTo(1);
        Superblock back = Superblock.parse(sb.toBytes());
        assertThat(back).isEqualTo(sb);
        assertThat(back.fsId()).isEqualTo(sb.fsId());
        assertThat(Superblock.newFilesystem(CLOCK).fsId()).isNotEqualTo(sb.fsId());
    }

    @Test
    void whitespaceAndMemberOrderDoNotMatter() throws Exception {
        String created = "2025-06-01T12:00:00Z";
        String sum = crc("pacsfs\n1\n" + ID + "\n" + created);
        Superblock sb = parse(" {\r\n\t\"checksum\" : \"" + sum + "\", \"createdAt\":\"" + created + "\",\n\"fsId\":\""
                + ID + "\",\"formatVersion\":1, \"magic\":\"pacsfs\"}\n\n");
        assertThat(sb.fsId()).isEqualTo(ID);
        assertThat(sb.createdAt()).isEqualTo(Instant.parse(created));
    }

    @Test
    void newerFormatIsRefusedWithUpgradeAdvice() {
        // a future format may look different in every other respect: the version check comes first
        String v2 = "{\"magic\":\"pacsfs\",\"formatVersion\":2,\"fsId\":{\"nested\":[1,2.5e3,true,null]},\"x\":\"y\"}";
        assertThatThrownBy(() -> parse(v2)).isInstanceOf(SuperblockException.class)
                .hasMessage("this pacsfs reads format 1; the bucket has format 2: upgrade pacsfs")
                .extracting(e -> ((SuperblockException) e).reason())
                .isEqualTo(SuperblockException.Reason.UNSUPPORTED_FORMAT);
        assertThatThrownBy(() -> parse(doc("pacsfs", "17", ID.toString(), "2025-06-01T12:00:00Z", "crc32c:00000000")))
                .hasMessageContaining("the bucket has format 17: upgrade pacsfs");
    }

    @Test
    void garbageIsRefused() {
        String c = "2025-06-01T12:00:00.000Z";
        String id = ID.toString();
        String sum = crc("pacsfs\n1\n" + id + "\n" + c);
        List<String[]> cases = List.of(
                new String[] {"", "not JSON"},
                new String[] {"garbage", "not JSON"},
                new String[] {"[1,2]", "not a JSON object"},
                new String[] {"\"pacsfs\"", "not a JSON object"},
                new String[] {valid(id, c) + "x", "not JSON"},
                new String[] {valid(id, c) + valid(id, c), "not JSON"},
                new String[] {valid(id, c).replace("{", "{\"magic\":\"pacsfs\","), "duplicate member \"magic\""},
                new String[] {doc("PACSFS", "1", id, c, sum), "\"magic\" is \"PACSFS\""},
                new String[] {"{\"formatVersion\":1}", "\"magic\" is missing"},
                new String[] {doc("pacsfs", "\"1\"", id, c, sum), "\"formatVersion\" is \"1\""},
                new String[] {doc("pacsfs", "0", id, c, sum), "\"formatVersion\" is 0"},
                new String[] {doc("pacsfs", "-1", id, c, sum), "\"formatVersion\" is -1"},
                new String[] {doc("pacsfs", "1.5", id, c, sum), "\"formatVersion\" is 1.5"},
                new String[] {doc("pacsfs", "01", id, c, sum), "not JSON"},
                new String[] {doc("pacsfs", "99999999999", id, c, sum), "formatVersion"},
                new String[] {valid(id, c).replace("}", ",\"extra\":1}"), "unknown member \"extra\""},
                new String[] {valid(id, c).replace(",\"checksum\":\"" + sum + "\"", ""), "\"checksum\" is missing"},
                new String[] {valid(id, c).replace("\"" + c + "\"", "12345"), "\"createdAt\" is 12345"},
                new String[] {doc("pacsfs", "1", id, c, "crc32c:XYZ"), "\"checksum\" is \"crc32c:XYZ\""},
                new String[] {doc("pacsfs", "1", UUID.randomUUID().toString(), c, sum), "checksum mismatch"},
                new String[] {doc("pacsfs", "1", id, "2025-06-01T12:00:01.000Z", sum), "checksum mismatch"},
                new String[] {valid(id.toUpperCase(), c), "\"fsId\" is"},
                new String[] {valid("1-1-1-1-1", c), "\"fsId\" is \"1-1-1-1-1\""},
                new String[] {valid(id, "2025-06-01T12:00:00+01:00"), "\"createdAt\" is"},
                new String[] {valid(id, "2025-06-01 12:00:00Z"), "\"createdAt\" is"},
                new String[] {valid(id, "yesterday"), "\"createdAt\" is \"yesterday\""},
                new String[] {"{\"magic\":\"pac\\u0073fs\\x\"}", "not JSON"},
                new String[] {"{\"magic\":\"pacsfs\n\"}", "not JSON"});
        for (String[] c1 : cases) {
            assertThatThrownBy(() -> parse(c1[0])).as(c1[0]).isInstanceOf(SuperblockException.class)
                    .hasMessageContaining("not a valid pacsfs superblock").hasMessageContaining(c1[1])
                    .extracting(e -> ((SuperblockException) e).reason()).isEqualTo(SuperblockException.Reason.INVALID);
        }
        assertThatThrownBy(() -> Superblock.parse(new byte[] {'{', (byte) 0xC3, '}'}))
                .isInstanceOf(SuperblockException.class).hasMessageContaining("not UTF-8");
        assertThatThrownBy(() -> Superblock.parse(new byte[Superblock.MAX_BYTES + 1]))
                .isInstanceOf(SuperblockException.class).hasMessageContaining("at most");
        byte[] good = new Superblock(ID, T).toBytes();
        good[good.length / 2] ^= 0x01;
        assertThatThrownBy(() -> Superblock.parse(good)).isInstanceOf(SuperblockException.class);
    }

    @Test
    void escapesInStringsAreDecodedBeforeChecking() throws Exception {
        String c = "2025-06-01T12:00:00.000Z";
        String escaped = valid(ID.toString(), c).replace("\"pacsfs\"", "\"pac\\u0073fs\"");
        assertThat(parse(escaped).fsId()).isEqualTo(ID);
    }

    @Test
    void createOrReadCreatesOnceUnderTheKey() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        assertThat(Superblock.read(store, keys)).isEmpty();
        Superblock created = Superblock.createOrRead(store, keys, CLOCK);
        assertThat(store.head("fs1/pacsfs.json")).isPresent();
        assertThat(Superblock.read(store, keys)).contains(created);
        Clock later = Clock.offset(CLOCK, java.time.Duration.ofDays(1));
        assertThat(Superblock.createOrRead(store, keys, later)).isEqualTo(created);
        assertThat(Superblock.createOrRead(store, BucketKeys.under("fs2"), later).fsId()).isNotEqualTo(created.fsId());
    }

    @Test
    void existingGarbageIsRefusedAndLeftAlone() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        byte[] junk = "{\"hello\":1}".getBytes(StandardCharsets.UTF_8);
        store.put(keys.superblock(), junk, PutCondition.none());
        assertThatThrownBy(() -> Superblock.createOrRead(store, keys, CLOCK)).isInstanceOf(SuperblockException.class)
                .hasMessageContaining("fs1/pacsfs.json").hasMessageContaining(store.location())
                .hasMessageContaining("\"magic\" is missing");
        assertThat(store.get(keys.superblock()).bytes()).isEqualTo(junk);

        InMemoryObjectStore v2 = new InMemoryObjectStore();
        v2.put(keys.superblock(), "{\"magic\":\"pacsfs\",\"formatVersion\":2}".getBytes(StandardCharsets.UTF_8),
                PutCondition.none());
        assertThatThrownBy(() -> Superblock.createOrRead(v2, keys, CLOCK)).isInstanceOf(SuperblockException.class)
                .hasMessageContaining("this pacsfs reads format 1; the bucket has format 2: upgrade pacsfs")
                .hasMessageContaining("fs1/pacsfs.json");
    }

    /** Both racers read "absent" before either puts: one put wins, the other gets 412 and reads the winner's. */
    @Test
    void concurrentCreatorsEndWithTheSameFilesystem() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 50; round++) {
                InMemoryObjectStore memory = new InMemoryObjectStore();
                CyclicBarrier bothRead = new CyclicBarrier(2);
                ObjectStore store = new Delegating(memory) {
                    private final Set<Thread> waited = java.util.concurrent.ConcurrentHashMap.newKeySet();

                    @Override
                    public ObjectData get(String key) {
                        try {
                            return super.get(key);
                        } finally {
                            if (waited.add(Thread.currentThread())) {
                                await(bothRead);
                            }
                        }
                    }
                };
                List<Future<Superblock>> results = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    results.add(pool.submit(() -> Superblock.createOrRead(store, keys, CLOCK)));
                }
                Set<UUID> ids = new HashSet<>();
                for (Future<Superblock> f : results) {
                    ids.add(f.get(10, TimeUnit.SECONDS).fsId());
                }
                assertThat(ids).hasSize(1);
                assertThat(Superblock.read(memory, keys).orElseThrow().fsId()).isEqualTo(ids.iterator().next());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void manyConcurrentCreatorsWithoutForcedInterleaving() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            InMemoryObjectStore store = new InMemoryObjectStore();
            CyclicBarrier start = new CyclicBarrier(8);
            List<Future<Superblock>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    await(start);
                    return Superblock.createOrRead(store, keys, CLOCK);
                }));
            }
            Set<UUID> ids = new HashSet<>();
            for (Future<Superblock> f : results) {
                ids.add(f.get(10, TimeUnit.SECONDS).fsId());
            }
            assertThat(ids).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Forwards everything to another store; tests override what they need. */
    private static class Delegating extends ForwardingObjectStore {
        private final ObjectStore d;

        Delegating(ObjectStore d) {
             super(d);
            this.d = d;
        }









    }
}
