package dev.tierstack.web.apptier;

import java.util.List;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/**
 * Hands on a list of instances only when it differs from the last one handed on, for
 * Spring Cloud's health checker, which asks its source again every
 * {@code refetch-instances-interval} and starts a new round of probes on every list it
 * gets, dropping the round under way. Asked every second, as a new instance should be met
 * within about one, the same list would otherwise end every round that a slow probe (up
 * to {@code interval}) keeps open for longer, and no round would publish its result; now
 * an unchanged list leaves the rounds to their own interval, and only a change starts one
 * at once. Only for the checker: a balancer without health checks takes the first list of
 * each request from its source, and must always get one.
 */
class ChangedInstances implements ServiceInstanceListSupplier {

	private final ServiceInstanceListSupplier source;

	private @Nullable List<String> last;

	ChangedInstances(ServiceInstanceListSupplier source) {
		this.source = source;
	}

	@Override
	public String getServiceId() {
		return this.source.getServiceId();
	}

	@Override
	public Flux<List<ServiceInstance>> get() {
		return this.source.get().filter(this::changed);
	}

	private synchronized boolean changed(List<ServiceInstance> instances) {
		List<String> keys = instances.stream().map(FewestInFlightLoadBalancer::key).toList();
		if (keys.equals(this.last)) {
			return false;
		}
		this.last = keys;
		return true;
	}

}
