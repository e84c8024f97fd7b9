package org.pacsfs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;
import org.pacsfs.core.store.embedded.S3ProxyProcess;

/** The S3Proxy child process and the extension built on it. */
@WithS3Proxy
class S3ProxyProcessIT {

    @Test
    void eachTestGetsAFreshEmptyBucketOnTheSharedServer(S3TestBucket bucket, S3ProxyProcess server) {
        ObjectStore store = bucket.newStore();

        assertThat(store.listAll("")).isEmpty();
        store.put("k", new byte[] {1}, PutCondition.none());
        assertThat(bucket.endpoint()).isEqualTo(server.endpoint());
        assertThat(bucket.name()).startsWith("t").contains("eachtestgetsafresh");
        assertThat(server.isAlive()).isTrue();
    }

    @Test
    void aSecondBucketCanBeCreatedAndAnExistingOneIsRefused(S3TestBucket bucket) {
        bucket.server().createBucket(bucket.name() + "-2");

        assertThatThrownBy(() -> bucket.server().createBucket(bucket.name()))
                .isInstanceOf(ObjectStoreException.class).hasMessageContaining(bucket.endpoint().toString());
    }

    @Test
    void stopEndsTheProcessAndDeletesItsDirectory() throws Exception {
        S3ProxyProcess server = S3ProxyProcess.builder(S3ProxyExtension.locateJar()).start();
        ProcessHandle handle = ProcessHandle.of(server.pid()).orElseThrow();
        Path log = server.logFile();
        assertThat(log).exists();

        server.stop();
        server.stop();

        assertThat(handle.isAlive()).isFalse();
        assertThat(log.getParent()).doesNotExist();
    }

    @Test
    void aChosenDataDirectoryOutlivesTheServer(@TempDir Path data) throws Exception {
        try (S3ProxyProcess server = S3ProxyProcess.builder(S3ProxyExtension.locateJar()).dataDirectory(data).start()) {
            server.createBucket("kept");
            try (var store = org.pacsfs.core.store.s3.S3ObjectStore.open(server.configFor("kept").build())) {
                store.put("pacsfs.json", new byte[] {'{', '}'}, PutCondition.ifNoneMatch());
            }
        }
        try (S3ProxyProcess again = S3ProxyProcess.builder(S3ProxyExtension.locateJar()).dataDirectory(data).start();
                var store = org.pacsfs.core.store.s3.S3ObjectStore.open(again.configFor("kept").build())) {
            assertThat(store.listAll("").map(ObjectInfo::key)).containsExactly("pacsfs.json");
        }
    }

    @Test
    void aServerThatCannotStartFailsWithItsLogTail(@TempDir Path dir) throws Exception {
        Path notAJar = Files.writeString(dir.resolve("s3proxy.jar"), "not a jar");

        assertThatThrownBy(() -> S3ProxyProcess.builder(notAJar).startupTimeout(Duration.ofSeconds(20)).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("S3Proxy exited")
                .hasMessageContaining("Invalid or corrupt jarfile");
    }

    @Test
    void aMissingJarIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope.jar");

        assertThatThrownBy(() -> S3ProxyProcess.builder(missing).start()).hasMessageContaining(missing.toString());
    }

    @Test
    void theServerRefusesUnsignedRequests(S3TestBucket bucket) throws Exception {
        bucket.newStore().put("k", new byte[] {1}, PutCondition.none());
        var get = (java.net.HttpURLConnection) bucket.endpoint().resolve("/" + bucket.name() + "/k").toURL()
                .openConnection();
        var put = (java.net.HttpURLConnection) bucket.endpoint().resolve("/" + bucket.name() + "/k2").toURL()
                .openConnection();
        put.setRequestMethod("PUT");
        put.setDoOutput(true);
        put.getOutputStream().write(1);

        assertThat(get.getResponseCode()).isEqualTo(403);
        assertThat(put.getResponseCode()).isEqualTo(403);
    }
}
