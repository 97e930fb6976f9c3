package dev.tierstack.web.forward;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.RetryableRequestContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Slow start of an app instance that has just joined the healthy list: a share of the
 * requests it would get that grows from 10 % to all of them over the window.
 */
class SlowStartInstancesTests {

	private static final Duration WINDOW = Duration.ofSeconds(10);

	private final ServiceInstance a = instance("10.0.3.2");

	private final ServiceInstance b = instance("10.0.3.3");

	private final AtomicLong now = new AtomicLong(TimeUnit.HOURS.toNanos(1));

	/** Fixed draws, so that "with probability p" is exact over 100 requests. */
	private final AtomicLong draw = new AtomicLong();

	private final SlowStartInstances slowStart = new SlowStartInstances(new FixedInstances(List.of()), WINDOW,
			this.now::get, () -> (this.draw.getAndIncrement() % 100) / 100.0);

	@Test
	void instancesThereFromTheFirstListAreNotNew() {
		assertThat(this.slowStart.ease(List.of(this.a, this.b))).containsExactly(this.a, this.b);
		assertThat(timesOffered(this.b, List.of(this.a, this.b))).isEqualTo(100);
	}

	@Test
	void anInstanceThatJoinsLaterGrowsFromATenthToItsFullShare() {
		this.slowStart.ease(List.of(this.a));
		this.slowStart.ease(List.of(this.a, this.b));
		assertThat(timesOffered(this.b, List.of(this.a, this.b))).isEqualTo(10);
		this.now.addAndGet(WINDOW.toNanos() / 2);
		assertThat(timesOffered(this.b, List.of(this.a, this.b))).isEqualTo(55);
		this.now.addAndGet(WINDOW.toNanos() / 2);
		assertThat(timesOffered(this.b, List.of(this.a, this.b))).isEqualTo(100);
		// The settled instance is never held back.
		assertThat(timesOffered(this.a, List.of(this.a, this.b))).isEqualTo(100);
	}

	@Test
	void anInstanceThatLeftAndCameBackStartsAgain() {
		this.slowStart.ease(List.of(this.a, this.b));
		this.now.addAndGet(WINDOW.toNanos() * 3);
		this.slowStart.ease(List.of(this.a));
		this.slowStart.ease(List.of(this.a, this.b));
		assertThat(timesOffered(this.b, List.of(this.a, this.b))).isEqualTo(10);
	}

	@Test
	void whenNoInstanceHasSettledEveryInstanceIsOffered() {
		this.slowStart.ease(List.of(this.a));
		this.slowStart.ease(List.of());
		assertThat(timesOffered(this.b, List.of(this.b))).isEqualTo(100);
		this.slowStart.ease(List.of(this.a, this.b));
		assertThat(this.slowStart.ease(List.of(this.a, this.b))).containsExactly(this.a, this.b);
	}

	@Test
	void aRetryIsNeverHeldBack() {
		SlowStartInstances overB = new SlowStartInstances(
				new FixedInstances(List.of(URI.create("http://10.0.3.2:8081"), URI.create("http://10.0.3.3:8081"))),
				WINDOW, this.now::get, () -> 0.99);
		overB.ease(List.of(this.a));
		assertThat(overB.get(new DefaultRequest<>()).blockFirst()).containsExactly(this.a);
		assertThat(overB.get(new DefaultRequest<>(new RetryableRequestContext(this.a))).blockFirst())
			.containsExactly(this.a, this.b);
	}

	@Test
	void aZeroWindowIsNoSlowStart() {
		SlowStartInstances none = new SlowStartInstances(new FixedInstances(List.of()), Duration.ZERO, this.now::get,
				() -> 0.99);
		none.ease(List.of(this.a));
		assertThat(none.ease(List.of(this.a, this.b))).containsExactly(this.a, this.b);
	}

	private long timesOffered(ServiceInstance instance, List<ServiceInstance> list) {
		return IntStream.range(0, 100).filter((i) -> this.slowStart.ease(list).contains(instance)).count();
	}

	private static ServiceInstance instance(String host) {
		return new DefaultServiceInstance(host + ":8081", AppTierProperties.SERVICE_ID, host, 8081, false);
	}

}
