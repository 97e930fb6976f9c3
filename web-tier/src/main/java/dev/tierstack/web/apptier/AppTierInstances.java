package dev.tierstack.web.apptier;

import java.util.function.BiFunction;

import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.HealthCheckServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpStatus;
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
		return properties.healthChecks() ? ready(base, context, properties) : base;
	}

	/**
	 * The instances of {@code base}, asked of it again every {@code dns-refresh}, that
	 * answer their readiness probes ({@code spring.cloud.loadbalancer.health-check}).
	 * @param base where the instances come from
	 * @param context the load balancer's child context
	 * @param properties the app tier's settings
	 * @return the ready instances
	 */
	static ServiceInstanceListSupplier ready(ServiceInstanceListSupplier base, ConfigurableApplicationContext context,
			AppTierProperties properties) {
		return ServiceInstanceListSupplier.builder()
			.withBase(new ChangedInstances(base, properties.dnsRefresh()))
			.with((loadBalancerContext, instances) -> new HealthCheckServiceInstanceListSupplier(instances,
					loadBalancerContext.getBean(LoadBalancerClientFactory.class), readiness(properties)))
			.build(context);
	}

	/**
	 * The choice among the instances, with its view of them in the application's metrics
	 * (this child context has no meter binding of its own).
	 * @param readyInstances the ready instances
	 * @param properties the app tier's settings
	 * @param meters the application's meter registry, when it has one
	 * @return the load balancer
	 */
	@Bean
	FewestInFlightLoadBalancer fewestInFlightLoadBalancer(ServiceInstanceListSupplier readyInstances,
			AppTierProperties properties, ObjectProvider<MeterRegistry> meters) {
		FewestInFlightLoadBalancer balancer = new FewestInFlightLoadBalancer(readyInstances,
				new SlowStart(properties.slowStart()), properties.failedInstancePause());
		meters.ifAvailable(balancer::bindTo);
		return balancer;
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
	 * Whether an instance answers its readiness endpoint with 200, asked by a separate,
	 * unpooled client within a request's time ({@code request-timeout}, to connect and to
	 * answer): a node too slow to say whether it is ready in that time could not serve a
	 * request either, while one that is merely slow (a JVM fresh from a start, on a busy
	 * host, alone while the other restarts) stays in the list. A hung node is left out
	 * sooner by the requests that time out on it ({@link FewestInFlightLoadBalancer}).
	 * Spring Cloud's blocking checks ({@code withBlockingHealthChecks}) probe the
	 * instances one after another on one thread and publish the list once the round is
	 * over, so a hung instance held up every other probe for its whole timeout; here each
	 * probe has a thread of its own, and a round lasts as long as its slowest probe.
	 * Rounds start 3 s after the last ended
	 * ({@code spring.cloud.loadbalancer.health-check.interval}, which the checker also
	 * takes as each probe's limit: shorter, a busy lone instance failed its probe and the
	 * list was empty), so an instance that hangs leaves the list within 5 s; requests
	 * leave it out within one attempt.
	 * @param properties the app tier's settings
	 * @return the probe, for {@link HealthCheckServiceInstanceListSupplier}
	 */
	private static BiFunction<ServiceInstance, String, Mono<Boolean>> readiness(AppTierProperties properties) {
		SimpleClientHttpRequestFactory requestFactory = new SimpleClientHttpRequestFactory();
		requestFactory.setConnectTimeout(properties.requestTimeout());
		requestFactory.setReadTimeout(properties.requestTimeout());
		RestClient client = RestClient.builder().requestFactory(requestFactory).build();
		return (instance, path) -> Mono
			.fromCallable(() -> client.get()
				.uri(instance.getUri().resolve(path))
				.exchange((request, response) -> response.getStatusCode().isSameCodeAs(HttpStatus.OK)))
			.onErrorReturn(false)
			.subscribeOn(Schedulers.boundedElastic());
	}

}
