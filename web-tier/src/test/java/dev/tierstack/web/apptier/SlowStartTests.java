package dev.tierstack.web.apptier;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Slow start of an app instance that has just joined the healthy list: a share of the
 * requests it would get that grows from 10 % to all of them over the window.
 */
class SlowStartTests {

	private static final Duration WINDOW = Duration.ofSeconds(10);

	private final ServiceInstance a = instance("10.0.3.2");

	private final ServiceInstance b = instance("10.0.3.3");

	private final AtomicLong now = new AtomicLong(TimeUnit.HOURS.toNanos(1));

	/** Fixed draws, so that "with probability p" is exact over 100 requests. */
	private final AtomicLong draw = new AtomicLong();

	private final SlowStart slowStart = new SlowStart(WINDOW, this.now::get,
			() -> (this.draw.getAndIncrement() % 100) / 100.0);

	@Test
	void instancesThereFromTheFirstListAreNotNew() {
		assertThat(offer(this.slowStart, List.of(this.a, this.b))).containsExactly(this.a, this.b);
		assertThat(timesOffered(this.b, List.of(this.a, this.b))).isEqualTo(100);
	}

	@Test
	void anInstanceThatJoinsLaterGrowsFromATenthToItsFullShare() {
		offer(this.slowStart, List.of(this.a));
		offer(this.slowStart, List.of(this.a, this.b));
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
		offer(this.slowStart, List.of(this.a, this.b));
		this.now.addAndGet(WINDOW.toNanos() * 3);
		offer(this.slowStart, List.of(this.a));
		offer(this.slowStart, List.of(this.a, this.b));
		assertThat(timesOffered(this.b, List.of(this.a, this.b))).isEqualTo(10);
	}

	@Test
	void anInstanceThatReplacesAnotherInAListOfTheSameSizeStartsItsWindow() {
		ServiceInstance c = instance("10.0.3.4");
		offer(this.slowStart, List.of(this.a, this.b));
		this.now.addAndGet(WINDOW.toNanos() * 3);
		offer(this.slowStart, List.of(this.a, c));
		assertThat(timesOffered(c, List.of(this.a, c))).isEqualTo(10);
	}

	@Test
	void theSameInstancesInAnotherOrderStartNoWindow() {
		offer(this.slowStart, List.of(this.a, this.b));
		this.now.addAndGet(WINDOW.toNanos() / 2);
		assertThat(timesOffered(this.b, List.of(this.b, this.a))).isEqualTo(100);
	}

	@Test
	void theSameInstancesInNewObjectsStartNoWindow() {
		offer(this.slowStart, List.of(this.a, this.b));
		this.now.addAndGet(WINDOW.toNanos() / 2);
		ServiceInstance sameB = instance("10.0.3.3");
		assertThat(timesOffered(sameB, List.of(this.a, sameB))).isEqualTo(100);
	}

	@Test
	void whenNoInstanceHasSettledEveryInstanceIsOffered() {
		offer(this.slowStart, List.of(this.a));
		offer(this.slowStart, List.of());
		assertThat(timesOffered(this.b, List.of(this.b))).isEqualTo(100);
		offer(this.slowStart, List.of(this.a, this.b));
		assertThat(offer(this.slowStart, List.of(this.a, this.b))).containsExactly(this.a, this.b);
	}

	@Test
	void aZeroWindowIsNoSlowStart() {
		SlowStart none = new SlowStart(Duration.ZERO, this.now::get, () -> 0.99);
		offer(none, List.of(this.a));
		assertThat(offer(none, List.of(this.a, this.b))).containsExactly(this.a, this.b);
	}

	private static List<ServiceInstance> offer(SlowStart slowStart, List<ServiceInstance> instances) {
		slowStart.track(instances);
		return slowStart.ease(instances);
	}

	private long timesOffered(ServiceInstance instance, List<ServiceInstance> list) {
		return IntStream.range(0, 100).filter((i) -> offer(this.slowStart, list).contains(instance)).count();
	}

	private static ServiceInstance instance(String host) {
		return new DefaultServiceInstance(host + ":8081", AppTierProperties.SERVICE_ID, host, 8081, false);
	}

}
