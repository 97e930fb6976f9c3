package dev.tierstack.web.forward;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.jspecify.annotations.Nullable;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.LoadBalancerClient;
import org.springframework.cloud.client.loadbalancer.RequestData;
import org.springframework.cloud.client.loadbalancer.RetryableRequestContext;
import org.springframework.core.retry.RetryException;
import org.springframework.core.retry.RetryPolicy;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.http.client.support.HttpRequestWrapper;
import org.springframework.util.LinkedMultiValueMap;

/**
 * Sends each request to an app instance chosen by Spring Cloud LoadBalancer (the healthy
 * instance with the fewest requests in flight, see {@link FewestInFlightLoadBalancer})
 * and, where that is safe, retries it once on another instance.
 * <p>
 * Safe means the request can be repeated without doing something twice: a GET or HEAD, or
 * a write carrying an {@code Idempotency-Key} (the app tier stores the outcome under the
 * key and replays it). It is retried when the connection failed or broke (a node going
 * away, a pooled connection it closed, an answer cut off before its end) or the app
 * answered 502/503/504 (it did not do the work). A POST without a key is sent once,
 * whatever happens. A read timeout is not retried: the app may be slow rather than down,
 * and a second wait would double the time the user waits.
 */
class LoadBalancingInterceptor implements ClientHttpRequestInterceptor {

	static final String IDEMPOTENCY_KEY = "Idempotency-Key";

	private static final Log logger = LogFactory.getLog(LoadBalancingInterceptor.class);

	private static final Set<Integer> RETRYABLE_STATUSES = Set.of(502, 503, 504);

	private static final Set<HttpMethod> SAFE_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

	private final LoadBalancerClient loadBalancer;

	private final RecentlyFailedInstances recentlyFailed;

	private final RequestsInFlight inFlight;

	private final RetryTemplate onceMore = new RetryTemplate(RetryPolicy.builder()
		.maxRetries(1)
		.delay(Duration.ZERO)
		.predicate((failure) -> failure instanceof RetryableStatus || isConnectionFailure(failure)
				|| isBrokenConnection(failure))
		.build());

	LoadBalancingInterceptor(LoadBalancerClient loadBalancer, RecentlyFailedInstances recentlyFailed,
			RequestsInFlight inFlight) {
		this.loadBalancer = loadBalancer;
		this.recentlyFailed = recentlyFailed;
		this.inFlight = inFlight;
	}

	@Override
	public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution) {
		Attempts attempts = new Attempts(request, body, execution);
		if (!isRetryable(request)) {
			try {
				return attempts.next(false);
			}
			catch (IOException | AppTierUnavailableException ex) {
				throw unavailable(request, ex);
			}
		}
		try {
			return this.onceMore.execute(() -> attempts.next(true));
		}
		catch (RetryException ex) {
			ClientHttpResponse lastAnswer = attempts.lastAnswer;
			if (lastAnswer != null) {
				return lastAnswer;
			}
			// The first failure says why; a second one is often just "no other instance".
			throw unavailable(request, ex.getExceptions().isEmpty() ? ex : ex.getExceptions().get(0));
		}
	}

	static boolean isRetryable(HttpRequest request) {
		return SAFE_METHODS.contains(request.getMethod()) || request.getHeaders().containsHeader(IDEMPOTENCY_KEY);
	}

	// Nothing reached the instance, and the next request would likely fare the same.
	private static boolean isConnectionFailure(Throwable failure) {
		return failure instanceof ConnectException || failure instanceof ConnectTimeoutException
				|| failure instanceof NoRouteToHostException || failure instanceof UnknownHostException;
	}

	// An established connection failed: closed under us, reset, no answer at all.
	private static boolean isBrokenConnection(Throwable failure) {
		return failure instanceof IOException && !(failure instanceof InterruptedIOException)
				&& !(failure instanceof RetryableStatus);
	}

	private static AppTierUnavailableException unavailable(HttpRequest request, @Nullable Throwable cause) {
		if (cause instanceof AppTierUnavailableException unavailable) {
			logger.warn("App tier unavailable for " + request.getMethod() + " " + request.getURI().getRawPath() + ": "
					+ unavailable.getMessage());
			return unavailable;
		}
		String reason = (cause instanceof InterruptedIOException) ? "no answer in time" : String.valueOf(cause);
		logger.warn("App tier unavailable for " + request.getMethod() + " " + request.getURI().getRawPath() + ": "
				+ reason);
		return new AppTierUnavailableException("The app tier did not answer: " + reason, cause);
	}

	/**
	 * The attempts at one request: which instance was tried last, and the last answer
	 * that asked for a retry (relayed if the retry cannot be made).
	 */
	private final class Attempts {

		private final HttpRequest request;

		private final byte[] body;

		private final ClientHttpRequestExecution execution;

		private @Nullable ServiceInstance previous;

		private @Nullable ClientHttpResponse lastAnswer;

		Attempts(HttpRequest request, byte[] body, ClientHttpRequestExecution execution) {
			this.request = request;
			this.body = body;
			this.execution = execution;
		}

		ClientHttpResponse next(boolean retryOnStatus) throws IOException {
			ServiceInstance instance = choose();
			if (this.lastAnswer != null) {
				this.lastAnswer.close();
				this.lastAnswer = null;
			}
			this.previous = instance;
			URI uri = LoadBalancingInterceptor.this.loadBalancer.reconstructURI(instance, this.request.getURI());
			ClientHttpResponse response;
			// In flight until the answer's head arrives: by then the app has done the
			// work.
			LoadBalancingInterceptor.this.inFlight.started(instance);
			try {
				response = this.execution.execute(new TargetedRequest(this.request, uri), this.body);
			}
			catch (IOException ex) {
				if (isConnectionFailure(ex)) {
					LoadBalancingInterceptor.this.recentlyFailed.failed(instance);
				}
				throw ex;
			}
			finally {
				LoadBalancingInterceptor.this.inFlight.finished(instance);
			}
			try {
				// The whole body, here (the client buffers it, see
				// AppTierClientConfiguration): an instance that dies while sending it has
				// broken the connection, which a safe request is retried past like any
				// other broken connection, instead of a truncated answer reaching the
				// page or the client.
				response.getBody();
			}
			catch (IOException ex) {
				response.close();
				throw ex;
			}
			if (retryOnStatus && RETRYABLE_STATUSES.contains(response.getStatusCode().value())) {
				this.lastAnswer = response;
				throw new RetryableStatus(instance, response.getStatusCode().value());
			}
			return response;
		}

		private ServiceInstance choose() {
			RequestData data = new RequestData(this.request.getMethod(), this.request.getURI(),
					this.request.getHeaders(), new LinkedMultiValueMap<>(), Map.of());
			ServiceInstance instance = LoadBalancingInterceptor.this.loadBalancer.choose(AppTierProperties.SERVICE_ID,
					new DefaultRequest<>(new RetryableRequestContext(this.previous, data)));
			if (instance == null) {
				throw new AppTierUnavailableException("no app instance is available");
			}
			if (instance.equals(this.previous)) {
				// "Once more" means on another instance; the same one would likely fail
				// again.
				throw new AppTierUnavailableException("no other app instance to retry on");
			}
			return instance;
		}

	}

	/** An answer that says the instance could not do the work (502/503/504). */
	static final class RetryableStatus extends IOException {

		RetryableStatus(ServiceInstance instance, int status) {
			super("App instance " + instance.getInstanceId() + " answered " + status);
		}

	}

	private static final class TargetedRequest extends HttpRequestWrapper {

		private final URI uri;

		TargetedRequest(HttpRequest request, URI uri) {
			super(request);
			this.uri = uri;
		}

		@Override
		public URI getURI() {
			return this.uri;
		}

	}

}
