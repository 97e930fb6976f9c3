package dev.tierstack.web.forward;

import java.util.List;

import reactor.core.publisher.Flux;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.loadbalancer.core.DelegatingServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/**
 * Leaves out the instances in {@link RecentlyFailedInstances} when the load balancer
 * chooses.
 */
class SkipRecentlyFailedInstances extends DelegatingServiceInstanceListSupplier {

	private final RecentlyFailedInstances recentlyFailed;

	SkipRecentlyFailedInstances(ServiceInstanceListSupplier delegate, RecentlyFailedInstances recentlyFailed) {
		super(delegate);
		this.recentlyFailed = recentlyFailed;
	}

	@Override
	public Flux<List<ServiceInstance>> get() {
		return this.delegate.get().map(this.recentlyFailed::withoutRecentlyFailed);
	}

	@Override
	public Flux<List<ServiceInstance>> get(Request request) {
		return this.delegate.get(request).map(this.recentlyFailed::withoutRecentlyFailed);
	}

}
