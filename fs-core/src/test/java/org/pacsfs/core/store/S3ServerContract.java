package org.pacsfs.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.pacsfs.core.store.ObjectStoreException.Permanent.Reason;
import org.pacsfs.core.store.s3.ChecksumPolicy;
import org.pacsfs.core.store.s3.HttpClientKind;
import org.pacsfs.core.store.s3.S3Config;
import org.pacsfs.core.store.s3.S3Credentials;
import org.pacsfs.core.store.s3.S3ObjectStore;
import org.pacsfs.testing.FullBacklogListener;
import org.pacsfs.testing.SilentServer;

/**
 * The {@link ObjectStoreContract} against a real S3 server through {@link S3ObjectStore}, plus what
 * only a real server can show: how wrong credentials, a missing bucket and an unreachable endpoint
 * fail, the other HTTP client, the checksum setting and the key prefix.
 */
public abstract class S3ServerContract extends ObjectStoreContract {

    private final List<S3ObjectStore> opened = new ArrayList<>();
    private S3ObjectStore store;

    /** A working config for a fresh, empty bucket of the server under test. */
    protected abstract S3Config.Builder config();

    @Override
    protected final ObjectStore store() {
        if (store == null) {
            store = open(config());
        }
        return store;
    }

    /** Opens a store that is closed after the test. */
    protected S3ObjectStore open(S3Config.Builder config) {
        S3ObjectStore s = S3ObjectStore.open(config.build());
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeStores() {
        opened.forEach(S3ObjectStore::close);
    }

    @Test
    void wrongSecretIsAClearAuthenticationError() {
        S3Config good = config().build();
        var keys = (S3Credentials.Static) good.credentials();
        ObjectStore wrong = open(config().credentials(S3Credentials.of(keys.accessKeyId(), "not-the-secret")));

        assertThatThrownBy(() -> wrong.put("k", bytes("x"), PutCondition.none()))
                .isInstanceOfSatisfying(ObjectStoreException.Permanent.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
                    assertThat(e.httpStatus()).isEqualTo(403);
                    assertThat(e.getMessage()).contains("authentication failed", good.describeEndpoint(),
                            good.bucket(), "k").doesNotContain("not-the-secret");
                });
    }

    @Test
    void unknownAccessKeyIsAClearAuthenticationError() {
        ObjectStore wrong = open(config().credentials(S3Credentials.of("AKIAUNKNOWN", "whatever")));

        assertThatThrownBy(() -> wrong.list("", null, 10))
                .isInstanceOfSatisfying(ObjectStoreException.Permanent.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
                    assertThat(e.getMessage()).contains("authentication failed", "AKIAUNKNOWN");
                });
    }

    @Test
    void missingBucketIsAClearNoSuchBucketError() {
        String missing = "missing-" + UUID.randomUUID().toString().substring(0, 8);
        ObjectStore store = open(config().bucket(missing));

        assertThatThrownBy(() -> store.put("k", bytes("x"), PutCondition.none()))
                .isInstanceOfSatisfying(ObjectStoreException.Permanent.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.NO_SUCH_BUCKET);
                    assertThat(e.httpStatus()).isEqualTo(404);
                    assertThat(e.getMessage()).contains("no such bucket '" + missing + "'");
                });
        assertThatThrownBy(() -> store.get("k")).isInstanceOfSatisfying(ObjectStoreException.Permanent.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.NO_SUCH_BUCKET));
        assertThatThrownBy(() -> store.list("", null, 10)).isInstanceOfSatisfying(ObjectStoreException.Permanent.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.NO_SUCH_BUCKET));
    }

    @ParameterizedTest
    @EnumSource(HttpClientKind.class)
    void closedPortFailsWithinTheTimeoutNamingTheEndpoint(HttpClientKind client) throws Exception {
        String endpoint = "http://127.0.0.1:" + portWithNothingListening();
        assertUnreachable(endpoint, client);
    }

    @ParameterizedTest
    @EnumSource(HttpClientKind.class)
    void silentServerFailsWithinTheRequestTimeoutNamingTheEndpoint(HttpClientKind client) throws Exception {
        try (SilentServer silent = SilentServer.start()) {
            assertUnreachable(silent.endpoint().toString(), client);
        }
    }

    @ParameterizedTest
    @EnumSource(HttpClientKind.class)
    void blackholedEndpointFailsWithinTheConnectTimeoutNamingTheEndpoint(HttpClientKind client) throws Exception {
        Optional<FullBacklogListener> blackhole = FullBacklogListener.open();
        assumeTrue(blackhole.isPresent(), "this kernel does not drop SYNs to a full accept queue");
        try (FullBacklogListener listener = blackhole.get()) {
            assertUnreachable(listener.endpoint().toString(), client);
        }
    }

    @Test
    void apache5ClientPassesTheEssentials() {
        ObjectStore apache = open(config().httpClient(HttpClientKind.APACHE5).maxConnections(4));
        roundTripEssentials(apache);
    }

    @Test
    void whenRequiredChecksumsPassTheEssentials() {
        ObjectStore whenRequired = open(config().checksums(ChecksumPolicy.WHEN_REQUIRED));
        roundTripEssentials(whenRequired);
    }

    @Test
    void aPrefixIsAddedToEveryKeyAndHiddenFromTheCaller() {
        ObjectStore fs1 = open(config().prefix("fs1/"));
        fs1.put("pacsfs.json", bytes("{}"), PutCondition.ifNoneMatch());
        fs1.put("log/0001", bytes("segment"), PutCondition.none());

        assertThat(store().head("fs1/pacsfs.json")).isPresent();
        assertThat(fs1.listAll("").map(ObjectInfo::key)).containsExactlyInAnyOrder("pacsfs.json", "log/0001");
        assertThat(fs1.listAll("log/").map(ObjectInfo::key)).containsExactly("log/0001");
        assertThat(fs1.deleteAll(List.of("log/0001")).deleted()).containsExactly("log/0001");
        assertThat(store().listAll("").map(ObjectInfo::key)).containsExactly("fs1/pacsfs.json");
    }

    private void roundTripEssentials(ObjectStore s) {
        byte[] body = randomBytes(300_000, 9);
        String etag = s.put("e/obj", body, PutCondition.ifNoneMatch());
        assertThat(s.get("e/obj").bytes()).isEqualTo(body);
        assertThat(s.get("e/obj", ByteRange.of(1000, 10)).bytes())
                .isEqualTo(java.util.Arrays.copyOfRange(body, 1000, 1010));
        assertThatThrownBy(() -> s.put("e/obj", body, PutCondition.ifNoneMatch()))
                .isInstanceOf(ObjectStoreException.PreconditionFailed.class);
        s.put("e/obj", bytes("v2"), PutCondition.ifMatch(etag));
        assertThat(s.deleteAll(List.of("e/obj", "e/none")).isComplete()).isTrue();
        assertThat(s.head("e/obj")).isEmpty();
    }

    private void assertUnreachable(String endpoint, HttpClientKind client) {
        Duration requestTimeout = Duration.ofSeconds(2);
        ObjectStore unreachable = open(config().endpoint(endpoint).httpClient(client)
                .connectTimeout(Duration.ofSeconds(1)).requestTimeout(requestTimeout));

        long start = System.nanoTime();
        assertThatThrownBy(() -> unreachable.get("k"))
                .isInstanceOfSatisfying(ObjectStoreException.Transient.class, e -> {
                    assertThat(e.httpStatus()).isZero();
                    assertThat(e.getMessage()).contains(endpoint, config().build().bucket(), "k");
                });
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        assertThat(elapsed).isLessThan(requestTimeout.plusMillis(1500));
    }

    private static int portWithNothingListening() throws Exception {
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
