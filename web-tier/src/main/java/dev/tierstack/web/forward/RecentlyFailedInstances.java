package dev.tierstack.web.forward;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.cloud.client.ServiceInstance;

/**
 * App instances that refused or dropped a connection a moment ago. Health checks run
 * every few seconds; in between, this keeps requests from trying a node that has just
 * gone away, each paying a failed attempt.
 */
public class RecentlyFailedInstances {

	private final Map<String, Instant> pausedUntil = new ConcurrentHashMap<>();

	private final Duration pause;

	private final Clock clock;

	public RecentlyFailedInstances(Duration pause) {
		this(pause, Clock.systemUTC());
	}

	RecentlyFailedInstances(Duration pause, Clock clock) {
		this.pause = pause;
		this.clock = clock;
	}

	void failed(ServiceInstance instance) {
		this.pausedUntil.put(InstanceKey.of(instance), this.clock.instant().plus(this.pause));
	}

	/**
	 * The given instances less those that failed recently; all of them if every one did,
	 * since trying a node that may be back beats refusing the request outright.
	 * @param instances the candidates
	 * @return the instances worth trying first
	 */
	List<ServiceInstance> withoutRecentlyFailed(List<ServiceInstance> instances) {
		Instant now = this.clock.instant();
		this.pausedUntil.values().removeIf(now::isAfter);
		List<ServiceInstance> healthy = instances.stream()
			.filter((instance) -> !this.pausedUntil.containsKey(InstanceKey.of(instance)))
			.toList();
		return healthy.isEmpty() ? instances : healthy;
	}

}
