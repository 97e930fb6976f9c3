package dev.tierstack.web.forward;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

import reactor.core.publisher.Flux;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RetryableRequestContext;
import org.springframework.cloud.loadbalancer.core.DelegatingServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/**
 * Eases an app instance that has just joined the healthy list (a restarted node, a new
 * replica) into its share of requests, as HAProxy's {@code slowstart} does one tier up
 * and Envoy's slow start mode does elsewhere. During the window each request leaves it
 * out with a probability that falls linearly from 90 % to none, as long as an instance
 * past its window remains to take the request.
 * <p>
 * A JVM fresh from a start spends two to five times the CPU per request for its first few
 * hundred requests (interpreter, then C1); handed its full share at once, on a small host
 * it slows down every node beside it. The instances there when this web node first saw
 * the list are not new, and a retry is never held back (it is already moving away from an
 * instance that failed).
 */
class SlowStartInstances extends DelegatingServiceInstanceListSupplier {

	static final double FIRST_SHARE = 0.1;

	private final long windowNanos;

	private final LongSupplier nanoClock;

	private final DoubleSupplier random;

	/** When each instance of the current list joined it. */
	private final Map<String, Long> joinedAt = new ConcurrentHashMap<>();

	private volatile boolean seenAny;

	SlowStartInstances(ServiceInstanceListSupplier delegate, Duration window) {
		this(delegate, window, System::nanoTime, () -> ThreadLocalRandom.current().nextDouble());
	}

	SlowStartInstances(ServiceInstanceListSupplier delegate, Duration window, LongSupplier nanoClock,
			DoubleSupplier random) {
		super(delegate);
		this.windowNanos = window.toNanos();
		this.nanoClock = nanoClock;
		this.random = random;
	}

	@Override
	public Flux<List<ServiceInstance>> get() {
		return this.delegate.get().map(this::ease);
	}

	@Override
	@SuppressWarnings("rawtypes")
	public Flux<List<ServiceInstance>> get(Request request) {
		if (request.getContext() instanceof RetryableRequestContext retry
				&& retry.getPreviousServiceInstance() != null) {
			return this.delegate.get(request).map(this::track);
		}
		return this.delegate.get(request).map(this::ease);
	}

	/**
	 * The instances a request may go to: every instance past its window, and each one
	 * within it with the probability of its current share; all of them if none is past
	 * its window.
	 */
	List<ServiceInstance> ease(List<ServiceInstance> instances) {
		long now = track(instances, this.nanoClock.getAsLong());
		List<ServiceInstance> eased = new ArrayList<>(instances.size());
		boolean anySettled = false;
		for (ServiceInstance instance : instances) {
			long age = now - this.joinedAt.getOrDefault(InstanceKey.of(instance), now);
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

	private List<ServiceInstance> track(List<ServiceInstance> instances) {
		track(instances, this.nanoClock.getAsLong());
		return instances;
	}

	/**
	 * Notes which instances joined or left the list since the last call: one that left
	 * and came back starts its window again.
	 */
	private long track(List<ServiceInstance> instances, long now) {
		Set<String> current = new HashSet<>();
		instances.forEach((instance) -> current.add(InstanceKey.of(instance)));
		this.joinedAt.keySet().retainAll(current);
		long joined = (this.seenAny || instances.isEmpty()) ? now : now - this.windowNanos;
		current.forEach((key) -> this.joinedAt.putIfAbsent(key, joined));
		if (!instances.isEmpty()) {
			this.seenAny = true;
		}
		return now;
	}

	/** The share of its requests an instance gets at this age (1 once settled). */
	double share(long ageNanos) {
		if (ageNanos >= this.windowNanos) {
			return 1;
		}
		return FIRST_SHARE + (1 - FIRST_SHARE) * Math.max(0, ageNanos) / this.windowNanos;
	}

}
