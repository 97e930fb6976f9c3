package dev.tierstack.web.apptier;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.StringUtils;
import org.springframework.util.unit.DataSize;

/**
 * How the web tier finds and talks to the app tier.
 *
 * @param urls fixed base URLs of the app instances ({@code APP_TIER_URLS}, comma
 * separated); used unless {@code dnsName} is set
 * @param dnsName one DNS name with an address per app instance
 * ({@code APP_TIER_DNS_NAME}, as Docker gives a scaled service); resolved again every
 * {@code dnsRefresh}
 * @param port the app instances' port when found through DNS ({@code APP_TIER_PORT})
 * @param dnsRefresh how often the instances are listed again (the DNS name resolved, the
 * fixed URLs taken), for the readiness checks to probe a changed list at once
 * @param healthChecks whether instances are probed on their readiness endpoint and
 * skipped while not ready (interval: {@code spring.cloud.loadbalancer.health-check.*})
 * @param connectTimeout time to open a connection; a dead node costs at most this
 * @param readTimeout time to wait for an answer to a request that may not be repeated (a
 * POST without {@code Idempotency-Key}): the first instance may act on it, so it is
 * waited for
 * @param requestTimeout time a request that may be repeated (an idempotent method, or an
 * {@code Idempotency-Key}) has for all its attempts ({@code APP_TIER_REQUEST_TIMEOUT}):
 * every attempt's wait for its answer ends by this deadline, 2 s after the first began,
 * under the 2.2 s HAProxy gives each attempt at a web node, so that HAProxy gets the web
 * tier's answer (at worst a 503) rather than giving up on the node. A hung instance
 * accepts connections (its kernel does) and never answers; one cut off from the network
 * costs {@code connectTimeout} instead, which the deadline counts too: a connect timeout,
 * then an answer awaited for the 1 s left. Only the last attempt's time to connect comes
 * on top (none on a pooled connection; two instances cut off cost two connect timeouts, 2
 * s, as before). No attempt waits for a pooled connection while {@code maxConnections} is
 * at least Tomcat's thread count (each request thread holds one at a time)
 * @param attemptTimeout the longest an attempt at such a request waits for its answer
 * when a retry on another instance could follow it ({@code APP_TIER_ATTEMPT_TIMEOUT});
 * one that times out is tried once more there. The request's last chance (the retry, or
 * an attempt with no other instance to go to: every other one tried, paused or absent)
 * waits for all the time left instead, so that a single slow instance still answers (a
 * hung instance, then a retry: 800 ms, then up to 1 s)
 * @param maxConnections pooled connections to all app instances together
 * @param failedInstancePause how long an instance that refused a connection or let an
 * attempt time out is left out
 * @param slowStart how long an instance that has just joined the healthy list takes to
 * get its full share of requests (see {@link SlowStart}); zero: at once
 * @param maxRequestBody the largest body the {@code /api} route accepts
 */
@ConfigurationProperties("tierstack.app-tier")
public record AppTierProperties(List<URI> urls, String dnsName, int port, Duration dnsRefresh, boolean healthChecks,
		Duration connectTimeout, Duration readTimeout, Duration requestTimeout, Duration attemptTimeout,
		int maxConnections, Duration failedInstancePause, Duration slowStart, DataSize maxRequestBody) {

	/** The service id the load balancer knows the app tier by. */
	public static final String SERVICE_ID = "app-tier";

	boolean usesDns() {
		return StringUtils.hasText(this.dnsName);
	}

}
