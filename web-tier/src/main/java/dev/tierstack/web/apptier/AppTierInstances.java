package dev.tierstack.web.apptier;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

/**
 * The app instances and the choice among them, in Spring Cloud LoadBalancer's own child
 * context for {@code app-tier} (so not a {@code @Configuration}: component scanning must
 * not pick it up; public for the ahead-of-time processed child context). The instances
 * come from {@code APP_TIER_URLS} or DNS, less those whose readiness endpoint does not
 * answer 200; {@link FewestInFlightLoadBalancer} chooses one for each attempt.
 */
public class AppTierInstances {

	@Bean
	ServiceInstanceListSupplier readyInstances(ConfigurableApplicationContext context, AppTierProperties properties) {
		ServiceInstanceListSupplier base = properties.usesDns()
				? new DnsInstances(properties.dnsName(), properties.port(), properties.dnsRefresh())
				: ServiceInstanceListSuppliers.from(AppTierProperties.SERVICE_ID, fixed(properties));
		if (!properties.healthChecks()) {
			return base;
		}
		return ServiceInstanceListSupplier.builder()
			.withBase(base)
			.withBlockingHealthChecks(healthCheckClient(properties))
			.build(context);
	}

	@Bean
	FewestInFlightLoadBalancer fewestInFlightLoadBalancer(ServiceInstanceListSupplier readyInstances,
			AppTierProperties properties) {
		return new FewestInFlightLoadBalancer(readyInstances, new SlowStart(properties.slowStart()),
				properties.failedInstancePause());
	}

	static ServiceInstance[] fixed(AppTierProperties properties) {
		return properties.urls().stream().map((url) -> {
			boolean secure = "https".equals(url.getScheme());
			int port = (url.getPort() != -1) ? url.getPort() : (secure ? 443 : 80);
			return new DefaultServiceInstance(url.getHost() + ":" + port, AppTierProperties.SERVICE_ID, url.getHost(),
					port, secure);
		}).toArray(ServiceInstance[]::new);
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
