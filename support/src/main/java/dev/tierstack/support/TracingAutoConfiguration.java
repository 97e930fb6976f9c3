package dev.tierstack.support;

import brave.Tracing;
import brave.handler.SpanHandler;
import io.micrometer.common.KeyValue;
import io.micrometer.observation.ObservationFilter;
import io.micrometer.observation.ObservationPredicate;
import org.slf4j.MDC;
import zipkin2.reporter.brave.AsyncZipkinSpanHandler;
import zipkin2.reporter.urlconnection.URLConnectionSender;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;
import org.springframework.http.server.observation.ServerRequestObservationContext;

/**
 * Tracing as every node of a Java tier does it, on top of Spring Boot's (Micrometer
 * Tracing with Brave, W3C {@code traceparent}, {@code management.tracing.*}): every span
 * of a request carries its request id, health probes and Actuator make no traces, and
 * spans go to Zipkin only when {@code tierstack.tracing.zipkin-endpoint}
 * ({@code ZIPKIN_ENDPOINT}) is set.
 */
@AutoConfiguration
@ConditionalOnClass({ Tracing.class, AsyncZipkinSpanHandler.class, URLConnectionSender.class })
class TracingAutoConfiguration {

	/** The tag that holds the request id ({@value}), as Zipkin's search takes it. */
	static final String REQUEST_ID_TAG = "request.id";

	/**
	 * The request id on every span of a request: its server span, its calls to the next
	 * tier, their SQL statements. Observations stop on the request's thread, while
	 * {@link TierHeadersFilter} has the id in the MDC. High cardinality: spans only,
	 * never a metric's tag.
	 * @return the filter
	 */
	@Bean
	ObservationFilter requestIdTag() {
		return (context) -> {
			String requestId = MDC.get(TierHeadersFilter.REQUEST_ID_MDC_KEY);
			return (requestId != null) ? context.addHighCardinalityKeyValue(KeyValue.of(REQUEST_ID_TAG, requestId))
					: context;
		};
	}

	/**
	 * No observation, so no trace (nor request metric), of the health probes that load
	 * balancers and Docker send every few seconds, nor of Actuator (Prometheus' scrapes).
	 * @return the predicate
	 */
	@Bean
	ObservationPredicate noProbeObservations() {
		return (name, context) -> !(context instanceof ServerRequestObservationContext server
				&& isProbe(server.getCarrier().getRequestURI()));
	}

	private static boolean isProbe(String path) {
		return path.equals("/livez") || path.equals("/readyz") || path.equals("/actuator")
				|| path.startsWith("/actuator/");
	}

	/**
	 * Spans to Zipkin (JSON, in batches about once a second) when an endpoint is set;
	 * else none, and nothing that would connect. Decided here, at start-up, not by a
	 * condition, which the ahead-of-time processing of the images fixes at build time.
	 * Tests switch exports off as Spring Boot's test support does
	 * ({@code management.tracing.export.enabled}).
	 * @param endpoint where spans go, such as {@code http://zipkin:9411/api/v2/spans}
	 * @param export whether spans may leave the process at all
	 * @return the span handler, or the no-op handler that Brave leaves out
	 */
	@Bean
	SpanHandler zipkinSpanHandler(@Value("${tierstack.tracing.zipkin-endpoint:}") String endpoint,
			@Value("${management.tracing.export.enabled:true}") boolean export) {
		if (!export || endpoint.isBlank()) {
			return SpanHandler.NOOP;
		}
		return AsyncZipkinSpanHandler.create(
				URLConnectionSender.newBuilder().endpoint(endpoint).connectTimeout(1000).readTimeout(10_000).build());
	}

}
