package dev.tierstack.web.apptier;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
		DnsInstances dns = new DnsInstances("localhost", 8081, Duration.ofSeconds(5), clock, InetAddress::getAllByName);
		List<ServiceInstance> first = dns.get().blockFirst();
		assertThat(first).isNotEmpty().allSatisfy((instance) -> assertThat(instance.getPort()).isEqualTo(8081));
		assertThat(first).extracting(ServiceInstance::getHost).contains("127.0.0.1");
		assertThat(dns.get().blockFirst()).as("cached within the interval").isSameAs(first);
		clock.advance(Duration.ofSeconds(6));
		assertThat(dns.get().blockFirst()).as("resolved again").isNotSameAs(first).isEqualTo(first);
	}

	@Test
	void aLookupThatFailsKeepsTheInstancesOfTheLastAnswer() throws UnknownHostException {
		MutableClock clock = new MutableClock();
		InetAddress[] both = { address(10), address(11) };
		Deque<Object> answers = new ArrayDeque<>(List.of(new UnknownHostException("not yet registered"), both,
				new UnknownHostException("Temporary failure in name resolution"), new InetAddress[] { address(11) }));
		DnsInstances dns = new DnsInstances("app", 8081, Duration.ofSeconds(1), clock, (name) -> {
			Object answer = answers.removeFirst();
			if (answer instanceof UnknownHostException ex) {
				throw ex;
			}
			return (InetAddress[]) answer;
		});
		assertThat(dns.get().blockFirst()).as("before the name resolves").isEmpty();
		clock.advance(Duration.ofSeconds(2));
		assertThat(hosts(dns)).containsExactly("10.0.3.10", "10.0.3.11");
		clock.advance(Duration.ofSeconds(2));
		assertThat(hosts(dns)).as("the lookup failed").containsExactly("10.0.3.10", "10.0.3.11");
		clock.advance(Duration.ofSeconds(2));
		assertThat(hosts(dns)).as("an answer without 10.0.3.10").containsExactly("10.0.3.11");
	}

	@Test
	void whileOneLookupWaitsForTheDnsTheOtherCallersTakeTheLastAnswer() throws Exception {
		MutableClock clock = new MutableClock();
		CountDownLatch asked = new CountDownLatch(1);
		CountDownLatch answer = new CountDownLatch(1);
		AtomicInteger lookups = new AtomicInteger();
		InetAddress[] one = { address(10) };
		DnsInstances dns = new DnsInstances("app", 8081, Duration.ofSeconds(1), clock, (name) -> {
			if (lookups.incrementAndGet() == 2) {
				asked.countDown();
				try {
					answer.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
			return one;
		});
		assertThat(hosts(dns)).containsExactly("10.0.3.10");
		clock.advance(Duration.ofSeconds(2));
		CompletableFuture<List<String>> waiting = CompletableFuture.supplyAsync(() -> hosts(dns));
		assertThat(asked.await(5, TimeUnit.SECONDS)).as("the second lookup began").isTrue();
		assertThat(hosts(dns)).as("another caller meanwhile").containsExactly("10.0.3.10");
		assertThat(lookups).as("lookups").hasValue(2);
		answer.countDown();
		assertThat(waiting.get(5, TimeUnit.SECONDS)).containsExactly("10.0.3.10");
	}

	private static List<String> hosts(DnsInstances dns) {
		return dns.get().blockFirst().stream().map(ServiceInstance::getHost).toList();
	}

	private static InetAddress address(int last) throws UnknownHostException {
		return InetAddress.getByAddress(new byte[] { 10, 0, 3, (byte) last });
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
