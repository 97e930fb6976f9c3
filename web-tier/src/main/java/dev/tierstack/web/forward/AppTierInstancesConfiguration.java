package dev.tierstack.web.forward;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.ReactorLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplierBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

/**
 * Where the load balancer gets the app instances from, in the load balancer's own child
 * context for {@code app-tier} (so not a {@code @Configuration}: component scanning must
 * not pick it up; public for the ahead-of-time processed child context). From the inside
 * out: the instances from {@code APP_TIER_URLS} or DNS; only those whose readiness
 * endpoint answers 200; of those that have just joined, only a growing share of requests
 * (slow start); less those that just refused a connection; less the one a retry is moving
 * away from. Of those, the one with the fewest requests in flight is chosen.
 */
public class AppTierInstancesConfiguration {

	@Bean
	ServiceInstanceListSupplier appTierInstances(ConfigurableApplicationContext context, AppTierProperties properties,
			RecentlyFailedInstances recentlyFailed) {
		ServiceInstanceListSupplierBuilder builder = ServiceInstanceListSupplier.builder().withBase(base(properties));
		if (properties.healthChecks()) {
			builder = builder.withBlockingHealthChecks(healthCheckClient(properties));
		}
		return builder.with((ctx, delegate) -> new SlowStartInstances(delegate, properties.slowStart()))
			.with((ctx, delegate) -> new SkipRecentlyFailedInstances(delegate, recentlyFailed))
			.withRetryAwareness()
			.build(context);
	}

	@Bean
	ReactorLoadBalancer<ServiceInstance> fewestInFlightLoadBalancer(
			ObjectProvider<ServiceInstanceListSupplier> appTierInstances, RequestsInFlight inFlight) {
		return new FewestInFlightLoadBalancer(appTierInstances, inFlight);
	}

	private static ServiceInstanceListSupplier base(AppTierProperties properties) {
		if (properties.usesDns()) {
			return new DnsInstances(properties.dnsName(), properties.port(), properties.dnsRefresh());
		}
		return new FixedInstances(properties.urls());
	}

	/**
	 * A separate, unpooled client for readiness probes, with the same timeouts as
	 * requests: a node too slow to say whether it is ready would be too slow to serve a
	 * page.
	 */
	private static RestClient healthCheckClient(AppTierProperties properties) {
		SimpleClientHttpRequestFactory requestFactory = new SimpleClientHttpRequestFactory();
		requestFactory.setConnectTimeout(properties.connectTimeout());
		requestFactory.setReadTimeout(properties.readTimeout());
		return RestClient.builder().requestFactory(requestFactory).build();
	}

}
