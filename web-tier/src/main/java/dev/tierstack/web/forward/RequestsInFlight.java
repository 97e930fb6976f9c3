package dev.tierstack.web.forward;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.cloud.client.ServiceInstance;

/**
 * How many requests this web node has sent to each app instance and not yet had an answer
 * to. An instance that answers slowly (a JVM fresh from a restart, a node short of CPU)
 * collects more of them than the others.
 */
public class RequestsInFlight {

	private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

	void started(ServiceInstance instance) {
		this.counts.computeIfAbsent(InstanceKey.of(instance), (key) -> new AtomicInteger()).incrementAndGet();
	}

	void finished(ServiceInstance instance) {
		AtomicInteger count = this.counts.get(InstanceKey.of(instance));
		if (count != null) {
			count.decrementAndGet();
		}
	}

	int count(ServiceInstance instance) {
		AtomicInteger count = this.counts.get(InstanceKey.of(instance));
		return (count != null) ? count.get() : 0;
	}

}
