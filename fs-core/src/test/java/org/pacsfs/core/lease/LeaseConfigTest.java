package org.pacsfs.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LeaseConfigTest {

    private final LeaseConfig d = LeaseConfig.defaults();

    @Test
    void defaults() {
        assertThat(d.leaseDuration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.renewInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(d.retryInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(d.permanentErrorRetryInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.attempts()).isEqualTo(5);
        assertThat(d.hostName()).isNotBlank();
        assertThat(d.withTimingsScaledTo(Duration.ofSeconds(2)).renewInterval()).isEqualTo(Duration.ofMillis(333));
    }

    @Test
    void renewIntervalMustBeLessThanHalfTheLease() {
        assertThat(d.withRenewInterval(Duration.ofMillis(29_999)).renewInterval()).isEqualTo(Duration.ofMillis(29_999));
        assertThatThrownBy(() -> d.withRenewInterval(Duration.ofSeconds(30)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("renewInterval must be at least 10 ms and less than half of leaseDuration (60 s), got 30 s");
        assertThatThrownBy(() -> d.withRenewInterval(Duration.ofMillis(5)))
                .hasMessageContaining("renewInterval must be at least 10 ms");
        assertThatThrownBy(() -> d.withLeaseDuration(Duration.ofSeconds(20)))
                .hasMessage("renewInterval must be at least 10 ms and less than half of leaseDuration (20 s), got 10 s");
    }

    @Test
    void everyOptionNamesItselfAndItsRange() {
        assertThatThrownBy(() -> d.withLeaseDuration(Duration.ofMillis(500)))
                .hasMessage("leaseDuration must be between 1 s and 1 h, got 500 ms");
        assertThatThrownBy(() -> d.withLeaseDuration(Duration.ofHours(2)))
                .hasMessage("leaseDuration must be between 1 s and 1 h, got 2 h");
        assertThatThrownBy(() -> d.withRetryInterval(Duration.ZERO))
                .hasMessage("retryInterval must be between 1 ms and 10 s, got 0 s");
        assertThatThrownBy(() -> d.withRetryInterval(Duration.ofSeconds(11)))
                .hasMessage("retryInterval must be between 1 ms and 10 s, got 11 s");
        assertThatThrownBy(() -> d.withPermanentErrorRetryInterval(Duration.ofSeconds(5)))
                .hasMessage("permanentErrorRetryInterval must be between 10 s and 1 h, got 5 s");
        assertThatThrownBy(() -> d.withAttempts(0)).hasMessage("attempts must be in 1..100, got 0");
        assertThatThrownBy(() -> d.withAttempts(101)).hasMessage("attempts must be in 1..100, got 101");
        assertThatThrownBy(() -> d.withHostName("")).hasMessageStartingWith("hostName: lease host name must have");
        assertThatThrownBy(() -> d.withHostName("a\nb")).hasMessageContaining("hostName:", "control characters");
        assertThatThrownBy(() -> d.withLeaseDuration(Duration.ofSeconds(-1)))
                .hasMessage("leaseDuration must be between 1 s and 1 h, got -1 s");
        assertThatThrownBy(() -> d.withLeaseDuration(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("leaseDuration");
    }
}
