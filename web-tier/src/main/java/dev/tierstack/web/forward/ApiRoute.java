package dev.tierstack.web.forward;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

import dev.tierstack.web.apptier.AppTierProperties;
import dev.tierstack.support.ProblemType;
import dev.tierstack.support.TierHeadersFilter;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.slf4j.MDC;

import org.springframework.cloud.gateway.server.mvc.common.MvcUtils;
import org.springframework.cloud.gateway.server.mvc.filter.AfterFilterFunctions;
import org.springframework.cloud.gateway.server.mvc.filter.BodyFilterFunctions;
import org.springframework.cloud.gateway.server.mvc.filter.HttpHeadersFilter.RequestHttpHeadersFilter;
import org.springframework.cloud.gateway.server.mvc.filter.LoadBalancerFilterFunctions;
import org.springframework.cloud.gateway.server.mvc.handler.HandlerFunctions;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.util.unit.DataSize;
import org.springframework.web.servlet.function.RequestPredicates;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * {@code /api/**} to the app tier, by Spring Cloud Gateway: method, path, query, body and
 * headers as they came, less hop-by-hop headers and cookies (which stay on the web tier's
 * side), with the request id and {@code X-Forwarded-*} added; the answer back likewise.
 * Bodies are limited in size and held for a retry ({@link AppTierRetry}); every failure
 * to reach the app tier is a 503 problem.
 */
@Configuration(proxyBeanMethods = false)
class ApiRoute {

	private static final Log logger = LogFactory.getLog(ApiRoute.class);

	@Bean
	RouterFunction<ServerResponse> api(AppTierProperties properties) {
		DataSize maxBody = properties.maxRequestBody();
		return RouterFunctions.route()
			.route(RequestPredicates.path("/api/**"), HandlerFunctions.http())
			// Filters run in the order given, each around those after it.
			.filter((request, next) -> {
				try {
					return next.handle(request);
				}
				catch (Exception ex) {
					logger
						.warn("App tier unavailable for " + request.method() + " " + request.requestPath() + ": " + ex);
					return problem(HttpStatus.SERVICE_UNAVAILABLE, ProblemType.SERVICE_UNAVAILABLE,
							"The bookshop is unavailable at the moment. Please try again shortly.");
				}
			})
			.filter((request, next) -> holdBody(request, maxBody.toBytes()) ? next.handle(request)
					: problem(HttpStatus.CONTENT_TOO_LARGE, ProblemType.PAYLOAD_TOO_LARGE,
							"The request body is larger than " + maxBody.toBytes() + " bytes."))
			.filter(AppTierRetry.filter(properties))
			.before(BodyFilterFunctions.adaptCachedBody())
			.filter(LoadBalancerFilterFunctions.lb(AppTierProperties.SERVICE_ID))
			.after(AfterFilterFunctions.removeResponseHeader(HttpHeaders.SET_COOKIE))
			.build();
	}

	/**
	 * The request id the web tier gave the request; no cookies to the app tier, nor the
	 * load balancer's budget for this hop.
	 */
	@Bean
	RequestHttpHeadersFilter apiRequestHeaders() {
		return (headers, request) -> {
			HttpHeaders filtered = new HttpHeaders(headers);
			filtered.remove(HttpHeaders.COOKIE);
			filtered.remove(AppTierRetry.BUDGET_HEADER);
			String requestId = MDC.get(TierHeadersFilter.REQUEST_ID_MDC_KEY);
			if (requestId != null) {
				filtered.set(TierHeadersFilter.REQUEST_ID_HEADER, requestId);
			}
			return filtered;
		};
	}

	// At most one byte past the limit, so that a body sent without a length is held to
	// it.
	private static boolean holdBody(ServerRequest request, long max) throws IOException {
		if (request.servletRequest().getContentLengthLong() > max) {
			return false;
		}
		try (InputStream in = request.servletRequest().getInputStream()) {
			byte[] body = in.readNBytes((int) max + 1);
			MvcUtils.putAttribute(request, MvcUtils.CACHED_REQUEST_BODY_ATTR, new ByteArrayInputStream(body));
			return body.length <= max;
		}
	}

	private static ServerResponse problem(HttpStatus status, ProblemType type, String detail) {
		ProblemDetail problem = type.problem(status, detail);
		ServerResponse.BodyBuilder response = ServerResponse.status(status);
		if (status == HttpStatus.SERVICE_UNAVAILABLE) {
			response.header(HttpHeaders.RETRY_AFTER, "5");
		}
		return response.contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
	}

}
