package dev.tierstack.web.forward;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import reactor.core.publisher.Mono;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.NoopServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/**
 * Chooses, among the instances the supplier chain offers, the one with the fewest
 * requests in flight from this web node; instances level with each other take turns. With
 * every node answering quickly that is round robin; a node that answers slowly is given
 * fewer new requests until it catches up, where round robin would keep handing it its
 * full share to queue (HAProxy's {@code leastconn}, one tier down).
 */
class FewestInFlightLoadBalancer implements ReactorServiceInstanceLoadBalancer {

	private final ObjectProvider<ServiceInstanceListSupplier> suppliers;

	private final RequestsInFlight inFlight;

	private final AtomicInteger turn = new AtomicInteger();

	FewestInFlightLoadBalancer(ObjectProvider<ServiceInstanceListSupplier> suppliers, RequestsInFlight inFlight) {
		this.suppliers = suppliers;
		this.inFlight = inFlight;
	}

	@Override
	@SuppressWarnings("rawtypes")
	public Mono<Response<ServiceInstance>> choose(Request request) {
		ServiceInstanceListSupplier supplier = this.suppliers.getIfAvailable(NoopServiceInstanceListSupplier::new);
		return supplier.get(request).next().map(this::choose);
	}

	Response<ServiceInstance> choose(List<ServiceInstance> instances) {
		if (instances.isEmpty()) {
			return new EmptyResponse();
		}
		int first = (this.turn.getAndIncrement() & Integer.MAX_VALUE) % instances.size();
		ServiceInstance chosen = null;
		int fewest = Integer.MAX_VALUE;
		for (int i = 0; i < instances.size(); i++) {
			ServiceInstance candidate = instances.get((first + i) % instances.size());
			int count = this.inFlight.count(candidate);
			if (count < fewest) {
				chosen = candidate;
				fewest = count;
			}
		}
		return new DefaultResponse(chosen);
	}

}
