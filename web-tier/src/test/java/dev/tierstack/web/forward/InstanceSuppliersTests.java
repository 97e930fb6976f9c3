package dev.tierstack.web.forward;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Where the instances come from, and which are left out for a while.
 */
class InstanceSuppliersTests {

	@Test
	void fixedUrlsBecomeOneInstanceEach() {
		List<ServiceInstance> instances = new FixedInstances(
				List.of(URI.create("http://app1:8081"), URI.create("http://app2"), URI.create("https://app3")))
			.get()
			.blockFirst();
		assertThat(instances).extracting(ServiceInstance::getHost, ServiceInstance::getPort, ServiceInstance::isSecure)
			.containsExactly(tuple("app1", 8081, false), tuple("app2", 80, false), tuple("app3", 443, true));
	}

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

	@Test
	void recentlyFailedInstancesAreLeftOutForTheirPauseUnlessAllFailed() {
		MutableClock clock = new MutableClock();
		RecentlyFailedInstances failed = new RecentlyFailedInstances(Duration.ofSeconds(5), clock);
		ServiceInstance a = instance("a");
		ServiceInstance b = instance("b");
		failed.failed(a);
		assertThat(failed.withoutRecentlyFailed(List.of(a, b))).containsExactly(b);
		failed.failed(b);
		assertThat(failed.withoutRecentlyFailed(List.of(a, b))).as("all failed: try them all").containsExactly(a, b);
		clock.advance(Duration.ofSeconds(6));
		failed.failed(b);
		assertThat(failed.withoutRecentlyFailed(List.of(a, b))).as("a's pause is over").containsExactly(a);
	}

	private static ServiceInstance instance(String host) {
		return new DefaultServiceInstance(host, AppTierProperties.SERVICE_ID, host, 8081, false);
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
