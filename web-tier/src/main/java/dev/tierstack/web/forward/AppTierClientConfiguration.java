package dev.tierstack.web.forward;

import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

import org.springframework.cloud.client.loadbalancer.LoadBalancerClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.HttpComponentsClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

/**
 * The one HTTP client to the app tier: Apache HttpClient 5 with a connection pool, under
 * a {@link RestClient} that balances each request over the app instances.
 */
@Configuration(proxyBeanMethods = false)
@org.springframework.cloud.loadbalancer.annotation.LoadBalancerClient(name = AppTierProperties.SERVICE_ID,
		configuration = AppTierInstancesConfiguration.class)
class AppTierClientConfiguration {

	@Bean
	RecentlyFailedInstances recentlyFailedInstances(AppTierProperties properties) {
		return new RecentlyFailedInstances(properties.failedInstancePause());
	}

	@Bean
	RequestsInFlight requestsInFlight() {
		return new RequestsInFlight();
	}

	/**
	 * The pool. Each request thread of the web tier holds at most one connection to the
	 * app tier at a time, so the pool is as large as Tomcat's thread pool (200): fewer
	 * would queue page requests behind the pool, more would never be used. Any single
	 * instance may have to take all of them when the others are down.
	 */
	@Bean(destroyMethod = "close")
	CloseableHttpClient appTierHttpClient(AppTierProperties properties) {
		Timeout connectTimeout = Timeout.of(properties.connectTimeout());
		Timeout readTimeout = Timeout.of(properties.readTimeout());
		PoolingHttpClientConnectionManager pool = PoolingHttpClientConnectionManagerBuilder.create()
			.setMaxConnTotal(properties.maxConnections())
			.setMaxConnPerRoute(properties.maxConnections())
			.setDefaultConnectionConfig(ConnectionConfig.custom()
				.setConnectTimeout(connectTimeout)
				.setSocketTimeout(readTimeout)
				// A connection the app closed while idle is found out before use,
				// not by a failed request.
				.setValidateAfterInactivity(TimeValue.ofSeconds(2))
				.setTimeToLive(TimeValue.ofMinutes(5))
				.build())
			.build();
		return HttpClients.custom()
			.setConnectionManager(pool)
			.setDefaultRequestConfig(RequestConfig.custom()
				// Waiting for a pooled connection counts like connecting: fail fast.
				.setConnectionRequestTimeout(connectTimeout)
				.setResponseTimeout(readTimeout)
				.build())
			// Retries are decided in one place (LoadBalancingInterceptor), redirects and
			// cookies are the browser's business.
			.disableAutomaticRetries()
			.disableRedirectHandling()
			.disableCookieManagement()
			.evictExpiredConnections()
			.evictIdleConnections(TimeValue.ofSeconds(30))
			.build();
	}

	@Bean
	RestClient appTierRestClient(RestClient.Builder builder, CloseableHttpClient appTierHttpClient,
			LoadBalancerClient loadBalancer, RecentlyFailedInstances recentlyFailed, RequestsInFlight inFlight) {
		return builder.requestFactory(new HttpComponentsClientHttpRequestFactory(appTierHttpClient))
			.baseUrl("http://" + AppTierProperties.SERVICE_ID)
			// Answers are read whole inside each attempt, so that one cut off is retried;
			// they are small (pages of books, an order).
			.bufferContent((uri, method) -> true)
			// In this order: the request id and app node are handled once per
			// request, the choice of instance once per attempt.
			.requestInterceptor(new TierHeadersInterceptor())
			.requestInterceptor(new LoadBalancingInterceptor(loadBalancer, recentlyFailed, inFlight))
			.build();
	}

}
