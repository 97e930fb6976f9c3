package dev.tierstack.web.forward;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

import dev.tierstack.support.IdempotencyKey;
import dev.tierstack.web.apptier.AppTierProperties;
import dev.tierstack.web.apptier.AttemptBudget;
import dev.tierstack.web.apptier.FewestInFlightLoadBalancer;
import org.jspecify.annotations.Nullable;

import org.springframework.cloud.gateway.server.mvc.common.MvcUtils;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.core.retry.RetryException;
import org.springframework.core.retry.RetryListener;
import org.springframework.core.retry.RetryPolicy;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.core.retry.Retryable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import org.springframework.web.servlet.function.HandlerFilterFunction;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * The web tier's one retry policy for requests to the app tier, applied to the
 * {@code /api} route and to the pages' client alike; HAProxy applies the same rules one
 * tier up ({@code docs/design.md}, "Retries"). A request is tried once more, on another
 * instance:
 * <ul>
 * <li>whatever it is, when no connection could be made (nothing reached the app);
 * <li>when it may be repeated (an idempotent method, or an {@code Idempotency-Key} whose
 * outcome the app tier stores and replays), also when the connection broke before the
 * whole answer arrived, the attempt timed out, or the app answered 502, 503 or 504.
 * </ul>
 * Such a request has {@code request-timeout} for all its attempts, bound around them as
 * an {@link AttemptBudget} for the client to read: an attempt that a retry on another
 * instance could follow waits at most {@code attempt-timeout}, so that a hung instance
 * costs it one short wait; its last chance (the retry, or an attempt with no other
 * instance to go to, which the balancer tells the budget) waits until the deadline, so
 * that a single slow instance still answers. One that may not be repeated waits
 * {@code read-timeout} once, as the first instance may act on it. Answers are read whole
 * inside each attempt, so that one cut off is retried instead of reaching the client
 * truncated (they are small).
 */
final class AppTierRetry {

	private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
			HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);

	private static final Set<Integer> STATUSES = Set.of(502, 503, 504);

	/** The load balancer's time for the request at this node, in milliseconds. */
	static final String BUDGET_HEADER = "X-Request-Budget";

	private static final Pattern BUDGET = Pattern.compile("[0-9]{1,6}");

	private AppTierRetry() {
	}

	static boolean mayRepeat(HttpMethod method, HttpHeaders headers) {
		return IDEMPOTENT.contains(method) || headers.containsHeader(IdempotencyKey.HEADER);
	}

	// An established connection that failed: reset, closed, an answer cut off or refused.
	private static boolean isBroken(Throwable failure) {
		Throwable cause = NestedExceptionUtils.getMostSpecificCause(failure);
		return cause instanceof IOException && !(cause instanceof InterruptedIOException);
	}

	/** The policy as a filter of the gateway route, around the choice of instance. */
	static HandlerFilterFunction<ServerResponse, ServerResponse> filter(AppTierProperties properties) {
		return (request, next) -> {
			boolean mayRepeat = mayRepeat(request.method(), request.headers().asHttpHeaders());
			AtomicReference<byte[]> lastWhole = new AtomicReference<>();
			ServerResponse response = retry(mayRepeat, properties, () -> {
				ServerResponse answer = next.handle(request);
				InputStream body = MvcUtils.getAttribute(request, MvcUtils.CLIENT_RESPONSE_INPUT_STREAM_ATTR);
				if (body != null) {
					lastWhole.set(readWhole(body, MvcUtils.getAttribute(request, MvcUtils.CLIENT_RESPONSE_ATTR)));
				}
				return check(mayRepeat, answer.statusCode().value(), answer);
			});
			if (lastWhole.get() != null) {
				// The body the relayed answer writes: that of the last answer read whole.
				request.attributes()
					.put(MvcUtils.CLIENT_RESPONSE_INPUT_STREAM_ATTR, new ByteArrayInputStream(lastWhole.get()));
			}
			return response;
		};
	}

	/** The policy as an interceptor of a client, before the one choosing the instance. */
	static ClientHttpRequestInterceptor interceptor(AppTierProperties properties) {
		return (request, body, execution) -> {
			boolean mayRepeat = mayRepeat(request.getMethod(), request.getHeaders());
			return retry(mayRepeat, properties, () -> {
				ClientHttpResponse response = execution.execute(request, body);
				readWhole(response.getBody(), response);
				return check(mayRepeat, response.getStatusCode().value(), response);
			});
		};
	}

	private static byte[] readWhole(InputStream body, @Nullable ClientHttpResponse response) throws IOException {
		try {
			return body.readAllBytes();
		}
		catch (IOException ex) {
			if (response != null) {
				response.close();
			}
			throw ex;
		}
	}

	private static <T> T check(boolean mayRepeat, int status, T response) throws RetryableStatus {
		if (mayRepeat && STATUSES.contains(status)) {
			throw new RetryableStatus(status, response);
		}
		return response;
	}

	/**
	 * Runs the attempts; when none succeeded, relays the last answer that asked for a
	 * retry, or else the first failure (a second is often just "no other instance").
	 */
	@SuppressWarnings("unchecked")
	private static <T> T retry(boolean mayRepeat, AppTierProperties properties, Retryable<T> attempt)
			throws IOException {
		RetryTemplate template = new RetryTemplate(RetryPolicy.builder()
			.maxRetries(1)
			.delay(Duration.ZERO)
			.predicate((failure) -> FewestInFlightLoadBalancer.isConnectionFailure(failure)
					|| (mayRepeat && (isBroken(failure) || FewestInFlightLoadBalancer.isTimeout(failure))))
			.build());
		ScopedValue.Carrier scope = ScopedValue.where(FewestInFlightLoadBalancer.TRIED, ConcurrentHashMap.newKeySet());
		if (mayRepeat) {
			AttemptBudget budget = new AttemptBudget(requestTimeout(properties), properties.attemptTimeout());
			// The one retry is the request's last chance.
			template.setRetryListener(new RetryListener() {

				@Override
				public void beforeRetry(RetryPolicy policy, Retryable<?> retryable) {
					budget.lastChance();
				}

			});
			scope = scope.where(AttemptBudget.CURRENT, budget);
		}
		try {
			return scope.call(() -> template.execute(attempt));
		}
		catch (RetryException ex) {
			List<Throwable> failures = ex.getExceptions();
			for (Throwable failure : failures.reversed()) {
				if (failure instanceof RetryableStatus status) {
					return (T) status.response;
				}
			}
			Throwable first = failures.isEmpty() ? ex.getLastException() : failures.get(0);
			// Such as no instance to choose: for the caller, the app tier did not answer.
			throw (first instanceof IOException io) ? io : new IOException(first.getMessage(), first);
		}
	}

	/**
	 * The time for all attempts at a request that may be repeated: what the load balancer
	 * gives it ({@value #BUDGET_HEADER}, in milliseconds: shorter than its own attempt,
	 * so that the web node answers first), else {@code APP_TIER_REQUEST_TIMEOUT}; never
	 * longer than a request that may not be repeated waits.
	 */
	private static Duration requestTimeout(AppTierProperties properties) {
		if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes) {
			String budget = attributes.getRequest().getHeader(BUDGET_HEADER);
			if (budget != null && BUDGET.matcher(budget).matches()) {
				long millis = Math.clamp(Long.parseLong(budget), 100, properties.readTimeout().toMillis());
				return Duration.ofMillis(millis);
			}
		}
		return properties.requestTimeout();
	}

	/** An answer that says the instance could not do the work (502/503/504). */
	private static final class RetryableStatus extends IOException {

		private final transient Object response;

		RetryableStatus(int status, Object response) {
			super("The app instance answered " + status);
			this.response = response;
		}

	}

}
