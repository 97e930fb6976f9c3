package dev.tierstack.web.apptier;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/**
 * Chooses the app instance for each attempt at a request: of the ready instances, less
 * those this request already tried and those that refused a connection or let an attempt
 * time out a moment ago (outlier ejection, until the health checks have caught up), eased
 * by {@link SlowStart}, the one with the fewest requests in flight from this web node;
 * instances level with each other take turns. With every node answering quickly that is
 * round robin; a slow node gets fewer new requests until it catches up (HAProxy's
 * {@code leastconn}, one tier down). As a {@link LoadBalancerLifecycle} it sees every
 * request start and end, whichever client (the {@code /api} route, the pages) sent it.
 *
 * <p>
 * As a {@link MeterBinder} it shows this web node's view of the app tier: for each app
 * instance it has listed, {@code tierstack_app_instance_ready} is 1 while a request could
 * go there (in the last list of ready instances, not paused) and 0 otherwise, as of the
 * last choice it made.
 */
public class FewestInFlightLoadBalancer implements ReactorServiceInstanceLoadBalancer,
		LoadBalancerLifecycle<Object, Object, ServiceInstance>, MeterBinder {

	/**
	 * The instances (see {@link #key}) the current request has tried, bound by a client
	 * that retries around its attempts; read on the thread that asks for a choice.
	 */
	public static final ScopedValue<Set<String>> TRIED = ScopedValue.newInstance();

	private final ServiceInstanceListSupplier instances;

	private final SlowStart slowStart;

	private final long pauseNanos;

	private final LongSupplier nanoClock;

	private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

	private final Map<String, Long> pausedUntil = new ConcurrentHashMap<>();

	private final AtomicInteger turn = new AtomicInteger();

	private volatile List<ServiceInstance> lastListed = List.of();

	private final Set<String> shown = ConcurrentHashMap.newKeySet();

	private volatile @Nullable MeterRegistry meters;

	FewestInFlightLoadBalancer(ServiceInstanceListSupplier instances, SlowStart slowStart, Duration failedPause) {
		this(instances, slowStart, failedPause, System::nanoTime);
	}

	FewestInFlightLoadBalancer(ServiceInstanceListSupplier instances, SlowStart slowStart, Duration failedPause,
			LongSupplier nanoClock) {
		this.instances = instances;
		this.slowStart = slowStart;
		this.pauseNanos = failedPause.toNanos();
		this.nanoClock = nanoClock;
	}

	/** What identifies an instance, whichever supplier handed it over. */
	static String key(ServiceInstance instance) {
		return instance.getHost() + ":" + instance.getPort();
	}

	/**
	 * Whether a failure means no connection was made (nothing reached the instance).
	 * @param failure a failure, with its causes
	 * @return whether it is a connection failure
	 */
	public static boolean isConnectionFailure(@Nullable Throwable failure) {
		return anyCause(failure,
				(cause) -> cause instanceof ConnectException || cause instanceof ConnectTimeoutException
						|| cause instanceof NoRouteToHostException || cause instanceof UnknownHostException);
	}

	/**
	 * Whether a failure is an instance's silence: no connection or no answer in time (not
	 * a wait for a pooled connection, which says nothing about the instance).
	 * @param failure a failure, with its causes
	 * @return whether it is a timeout
	 */
	public static boolean isTimeout(@Nullable Throwable failure) {
		return anyCause(failure, SocketTimeoutException.class::isInstance);
	}

	private static boolean anyCause(@Nullable Throwable failure, Predicate<Throwable> test) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (test.test(cause)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Chooses the instance for an attempt at a request. When the client that retries has
	 * bound the request's {@link #TRIED} instances and {@link AttemptBudget}, the choice
	 * is added to the former, and the latter learns when no other instance is left to
	 * retry on: the attempt is then the request's last chance.
	 */
	@Override
	@SuppressWarnings("rawtypes")
	public Mono<Response<ServiceInstance>> choose(Request request) {
		Set<String> tried = TRIED.isBound() ? TRIED.get() : new HashSet<>();
		AttemptBudget budget = AttemptBudget.CURRENT.isBound() ? AttemptBudget.CURRENT.get() : null;
		return this.instances.get(request).next().map((all) -> {
			Response<ServiceInstance> choice = choose(all, tried);
			if (budget != null && !anyLeftToRetry(all, tried)) {
				budget.lastChance();
			}
			return choice;
		});
	}

	Response<ServiceInstance> choose(List<ServiceInstance> all, Set<String> tried) {
		this.slowStart.track(all);
		this.lastListed = all;
		all.forEach(this::show);
		List<ServiceInstance> untried = all.stream().filter((instance) -> !tried.contains(key(instance))).toList();
		long now = this.nanoClock.getAsLong();
		this.pausedUntil.values().removeIf((until) -> until - now < 0);
		List<ServiceInstance> candidates = untried.stream().filter((instance) -> !isPaused(instance)).toList();
		// Trying a node that may be back beats refusing the request; a retry is never
		// held back by slow start (it is already moving away from a failed instance).
		candidates = candidates.isEmpty() ? untried : tried.isEmpty() ? this.slowStart.ease(candidates) : candidates;
		ServiceInstance chosen = fewestInFlight(candidates);
		if (chosen == null) {
			return new EmptyResponse();
		}
		tried.add(key(chosen));
		return new DefaultResponse(chosen);
	}

	// After a choice (the instance chosen is tried): whether a retry could go to another
	// instance, one neither tried nor paused.
	boolean anyLeftToRetry(List<ServiceInstance> all, Set<String> tried) {
		return all.stream().anyMatch((instance) -> !tried.contains(key(instance)) && !isPaused(instance));
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		this.meters = registry;
		this.lastListed.forEach(this::show);
	}

	private void show(ServiceInstance instance) {
		MeterRegistry registry = this.meters;
		String key = key(instance);
		if (registry != null && this.shown.add(key)) {
			Gauge.builder("tierstack.app.instance.ready", this, (balancer) -> balancer.isReady(key) ? 1 : 0)
				.description("1 while this web node may send a request to the app instance: listed as ready by "
						+ "its health checks and not paused after a failure, as of its last choice")
				.tag("app", key)
				.register(registry);
		}
	}

	/**
	 * Whether a request could go to an instance: it was in the last list of ready
	 * instances and is not paused.
	 * @param key the instance's {@link #key}
	 * @return whether it is ready
	 */
	boolean isReady(String key) {
		Long until = this.pausedUntil.get(key);
		boolean paused = until != null && until - this.nanoClock.getAsLong() > 0;
		return !paused && this.lastListed.stream().anyMatch((instance) -> key(instance).equals(key));
	}

	private boolean isPaused(ServiceInstance instance) {
		return this.pausedUntil.containsKey(key(instance));
	}

	private @Nullable ServiceInstance fewestInFlight(List<ServiceInstance> candidates) {
		int first = candidates.isEmpty() ? 0 : (this.turn.getAndIncrement() & Integer.MAX_VALUE) % candidates.size();
		ServiceInstance chosen = null;
		int fewest = Integer.MAX_VALUE;
		for (int i = 0; i < candidates.size(); i++) {
			ServiceInstance candidate = candidates.get((first + i) % candidates.size());
			int count = inFlight(candidate);
			if (count < fewest) {
				chosen = candidate;
				fewest = count;
			}
		}
		return chosen;
	}

	int inFlight(ServiceInstance instance) {
		AtomicInteger count = this.inFlight.get(key(instance));
		return (count != null) ? count.get() : 0;
	}

	@Override
	public void onStart(Request<Object> request) {
	}

	@Override
	public void onStartRequest(Request<Object> request, Response<ServiceInstance> response) {
		if (response.hasServer()) {
			this.inFlight.computeIfAbsent(key(response.getServer()), (key) -> new AtomicInteger()).incrementAndGet();
		}
	}

	// In flight until the answer's head arrives: by then the app has done the work. Both
	// clients report a failed attempt with its exception (the gateway's wrapped in a
	// ResourceAccessException).
	@Override
	public void onComplete(CompletionContext<Object, ServiceInstance, Object> completion) {
		Response<ServiceInstance> response = completion.getLoadBalancerResponse();
		if (response == null || !response.hasServer()) {
			return;
		}
		String key = key(response.getServer());
		AtomicInteger count = this.inFlight.get(key);
		if (count != null) {
			count.decrementAndGet();
		}
		if (isConnectionFailure(completion.getThrowable()) || isTimeout(completion.getThrowable())) {
			this.pausedUntil.put(key, this.nanoClock.getAsLong() + this.pauseNanos);
		}
	}

}
