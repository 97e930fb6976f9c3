package dev.tierstack.web.apptier;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.client.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * App instances behind one DNS name.
 */
class DnsInstancesTests {

	@Test
	void dnsNameResolvesToAnInstancePerAddressAndIsResolvedAgainAfterTheRefreshInterval() {
		MutableClock clock = new MutableClock();
		DnsInstances dns = new DnsInstances("localhost", 8081, Duration.ofSeconds(5), clock);
		List<ServiceInstance> first = dns.get().blockFirst();
		assertThat(first).isNotEmpty().allSatisfy((instance) -> assertThat(instance.getPort()).isEqualTo(8081));
		assertThat(first).extracting(ServiceInstance::getHost).contains("127.0.0.1");
		assertThat(dns.get().blockFirst()).as("cached within the interval").isSameAs(first);
		clock.advance(Duration.ofSeconds(6));
		assertThat(dns.get().blockFirst()).as("resolved again").isNotSameAs(first).isEqualTo(first);
	}

	private static final class MutableClock extends Clock {

		private Instant now = Instant.parse("2026-11-29T12:00:00Z");

		void advance(Duration duration) {
			this.now = this.now.plus(duration);
		}

		@Override
		public Instant instant() {
			return this.now;
		}

		@Override
		public ZoneOffset getZone() {
			return ZoneOffset.UTC;
		}

		@Override
		public Clock withZone(ZoneId zone) {
			return this;
		}

	}

}
