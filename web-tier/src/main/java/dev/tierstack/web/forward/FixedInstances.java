package dev.tierstack.web.forward;

import java.net.URI;
import java.util.List;

import reactor.core.publisher.Flux;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/**
 * App instances from a fixed list of base URLs ({@code APP_TIER_URLS}).
 */
class FixedInstances implements ServiceInstanceListSupplier {

	private final List<ServiceInstance> instances;

	FixedInstances(List<URI> urls) {
		this.instances = urls.stream().map(FixedInstances::instance).toList();
	}

	private static ServiceInstance instance(URI url) {
		boolean secure = "https".equalsIgnoreCase(url.getScheme());
		int port = (url.getPort() != -1) ? url.getPort() : (secure ? 443 : 80);
		return new DefaultServiceInstance(url.getHost() + ":" + port, AppTierProperties.SERVICE_ID, url.getHost(), port,
				secure);
	}

	@Override
	public String getServiceId() {
		return AppTierProperties.SERVICE_ID;
	}

	@Override
	public Flux<List<ServiceInstance>> get() {
		return Flux.just(this.instances);
	}

}
