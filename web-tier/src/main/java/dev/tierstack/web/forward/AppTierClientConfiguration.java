package dev.tierstack.web.forward;

import java.io.InterruptedIOException;
import java.io.UncheckedIOException;

import dev.tierstack.web.apptier.AppTierInstances;
import dev.tierstack.web.apptier.AppTierProperties;
import dev.tierstack.web.apptier.AttemptBudget;
import dev.tierstack.web.system.TierHeadersInterceptor;
import org.apache.hc.client5.http.classic.HttpClient;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

import org.springframework.cloud.client.loadbalancer.LoadBalancerClient;
import org.springframework.cloud.client.loadbalancer.LoadBalancerInterceptor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.HttpComponentsClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

/**
 * The HTTP client to the app tier, shared by the {@code /api} route (Spring Cloud Gateway
 * takes the {@code ClientHttpRequestFactory} bean) and the pages
 * ({@code appTierRestClient}): Apache HttpClient 5 with a connection pool, its instance
 * chosen per attempt by Spring Cloud LoadBalancer with {@link AppTierInstances}.
 */
@Configuration(proxyBeanMethods = false)
@org.springframework.cloud.loadbalancer.annotation.LoadBalancerClient(name = AppTierProperties.SERVICE_ID,
		configuration = AppTierInstances.class)
class AppTierClientConfiguration {

	/**
	 * As many pooled connections as Tomcat has threads: each holds at most one at a time,
	 * and one instance may have to take them all. Retries are decided in
	 * {@link AppTierRetry}; an attempt at a request that may be repeated waits what its
	 * {@link AttemptBudget} allows for its answer instead of {@code read-timeout}, and is
	 * not sent at all when the request's deadline has come (0 would mean no timeout). The
	 * context factory runs when the attempt's request is created, after the balancer has
	 * chosen its instance and so told the budget whether it is the last chance: the
	 * gateway's {@code lb()} filter chooses before it hands on to the proxy exchange, and
	 * the pages' {@link LoadBalancerInterceptor} chooses before the end of the
	 * interceptor chain creates the request. The budget reaches HttpClient as the request
	 * context's {@link RequestConfig}, which Spring passes on as it is, not merged with
	 * the client's default: hence a copy of the default. HttpClient sets the socket
	 * timeout to the response timeout for each exchange, after the connection config's
	 * socket timeout (set at connect and at lease), which so neither lengthens nor caps
	 * it.
	 */
	@Bean
	HttpComponentsClientHttpRequestFactory appTierRequestFactory(AppTierProperties properties) {
		Timeout connectTimeout = Timeout.of(properties.connectTimeout());
		Timeout readTimeout = Timeout.of(properties.readTimeout());
		RequestConfig requests = RequestConfig.custom()
			.setConnectionRequestTimeout(connectTimeout)
			.setResponseTimeout(readTimeout)
			.build();
		HttpClient client = HttpClients.custom()
			.setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
				.setMaxConnTotal(properties.maxConnections())
				.setMaxConnPerRoute(properties.maxConnections())
				.setDefaultConnectionConfig(ConnectionConfig.custom()
					.setConnectTimeout(connectTimeout)
					.setSocketTimeout(readTimeout)
					.setValidateAfterInactivity(TimeValue.ofSeconds(2))
					.setTimeToLive(TimeValue.ofMinutes(5))
					.build())
				.build())
			.setDefaultRequestConfig(requests)
			.disableAutomaticRetries()
			.disableRedirectHandling()
			.disableCookieManagement()
			.evictExpiredConnections()
			.evictIdleConnections(TimeValue.ofSeconds(30))
			.build();
		HttpComponentsClientHttpRequestFactory requestFactory = new HttpComponentsClientHttpRequestFactory(client);
		requestFactory.setHttpContextFactory((method, uri) -> {
			HttpClientContext context = HttpClientContext.create();
			AttemptBudget budget = AttemptBudget.CURRENT.isBound() ? AttemptBudget.CURRENT.get() : null;
			if (budget != null) {
				context.setRequestConfig(forAttempt(requests, budget));
			}
			return context;
		});
		return requestFactory;
	}

	private static RequestConfig forAttempt(RequestConfig requests, AttemptBudget budget) {
		long millis = budget.attemptMillis();
		if (millis <= 0) {
			throw new UncheckedIOException(new InterruptedIOException("No time left before the request's deadline"));
		}
		return RequestConfig.copy(requests).setResponseTimeout(Timeout.ofMilliseconds(millis)).build();
	}

	/**
	 * The pages' client: the request id out and the app node back, then the retry policy,
	 * then the choice of instance for each attempt.
	 */
	@Bean
	RestClient appTierRestClient(RestClient.Builder builder, HttpComponentsClientHttpRequestFactory requestFactory,
			LoadBalancerClient loadBalancer, AppTierProperties properties) {
		return builder.requestFactory(requestFactory)
			.baseUrl("http://" + AppTierProperties.SERVICE_ID)
			.bufferContent((uri, method) -> true)
			.requestInterceptor(new TierHeadersInterceptor())
			.requestInterceptor(AppTierRetry.interceptor(properties))
			.requestInterceptor(new LoadBalancerInterceptor(loadBalancer))
			.build();
	}

}
