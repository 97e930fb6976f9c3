package dev.tierstack.web.apptier;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

import org.springframework.cloud.client.ServiceInstance;

/**
 * Eases an app instance that has just joined the healthy list (a restarted node, a new
 * replica) into its share of requests, as HAProxy's {@code slowstart} does one tier up.
 * During the window each request leaves it out with a probability that falls linearly
 * from 90 % to none, as long as an instance past its window remains to take the request.
 * The instances there when this web node first saw the list are not new. The reason is in
 * {@code docs/design.md} ("Slow start").
 */
class SlowStart {

	static final double FIRST_SHARE = 0.1;

	private final long windowNanos;

	private final LongSupplier nanoClock;

	private final DoubleSupplier random;

	/** When each instance of the current list joined it. */
	private final Map<String, Long> joinedAt = new ConcurrentHashMap<>();

	private volatile boolean seenAny;

	/** The list last given to {@link #track}, to pass over the same list unlocked. */
	private volatile List<ServiceInstance> tracked = List.of();

	SlowStart(Duration window) {
		this(window, System::nanoTime, () -> ThreadLocalRandom.current().nextDouble());
	}

	SlowStart(Duration window, LongSupplier nanoClock, DoubleSupplier random) {
		this.windowNanos = window.toNanos();
		this.nanoClock = nanoClock;
		this.random = random;
	}

	/**
	 * Notes which instances joined or left the list since the last call: one that left
	 * and came back starts its window again. Every request passes its list here; between
	 * two rounds of health checks it is the same instances, which need no lock.
	 * @param instances the current list
	 */
	void track(List<ServiceInstance> instances) {
		if (!instances.equals(this.tracked)) {
			update(instances);
		}
	}

	private synchronized void update(List<ServiceInstance> instances) {
		if (instances.equals(this.tracked)) {
			return;
		}
		long now = this.nanoClock.getAsLong();
		Set<String> current = instances.stream().map(FewestInFlightLoadBalancer::key).collect(Collectors.toSet());
		this.joinedAt.keySet().retainAll(current);
		long joined = (this.seenAny || instances.isEmpty()) ? now : now - this.windowNanos;
		current.forEach((key) -> this.joinedAt.putIfAbsent(key, joined));
		this.seenAny |= !instances.isEmpty();
		this.tracked = List.copyOf(instances);
	}

	/**
	 * The instances a request may go to: every instance past its window, and each one
	 * within it with the probability of its current share; all of them if none is past
	 * its window.
	 * @param instances candidates from a list given to {@link #track}
	 * @return the eased candidates
	 */
	List<ServiceInstance> ease(List<ServiceInstance> instances) {
		long now = this.nanoClock.getAsLong();
		List<ServiceInstance> eased = new ArrayList<>(instances.size());
		boolean anySettled = false;
		for (ServiceInstance instance : instances) {
			long age = now - this.joinedAt.getOrDefault(FewestInFlightLoadBalancer.key(instance), now);
			if (age >= this.windowNanos) {
				eased.add(instance);
				anySettled = true;
			}
			else if (this.random.getAsDouble() < share(age)) {
				eased.add(instance);
			}
		}
		return anySettled ? eased : instances;
	}

	/** The share of its requests an instance gets at this age (1 once settled). */
	double share(long ageNanos) {
		if (ageNanos >= this.windowNanos) {
			return 1;
		}
		return FIRST_SHARE + (1 - FIRST_SHARE) * Math.max(0, ageNanos) / this.windowNanos;
	}

}
