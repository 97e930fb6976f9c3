package dev.tierstack.web.forward;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/**
 * Forwards {@code /api/**} to the app tier as it came: method, path, query string, body
 * and the headers that carry meaning; and the answer back as it came: status, body and
 * the same kind of headers. Everything else (hop-by-hop headers, cookies, the web tier's
 * own caching and security headers) stays on its own side.
 */
@RestController
class ApiForwardController {

	private static final List<String> REQUEST_HEADERS = List.of(HttpHeaders.CONTENT_TYPE, HttpHeaders.ACCEPT,
			HttpHeaders.ACCEPT_LANGUAGE, LoadBalancingInterceptor.IDEMPOTENCY_KEY);

	private static final List<String> RESPONSE_HEADERS = List.of(HttpHeaders.CONTENT_TYPE, HttpHeaders.LOCATION,
			HttpHeaders.ALLOW, HttpHeaders.RETRY_AFTER, "Idempotency-Replayed", TierHeadersInterceptor.APP_NODE_HEADER,
			"X-Request-Id");

	private final RestClient appTier;

	private final long maxRequestBody;

	ApiForwardController(RestClient appTierRestClient, AppTierProperties properties) {
		this.appTier = appTierRestClient;
		this.maxRequestBody = properties.maxRequestBody().toBytes();
	}

	@RequestMapping("/api/**")
	void forward(HttpServletRequest request, HttpServletResponse response) throws IOException {
		byte[] body = readBody(request);
		RestClient.RequestBodySpec call = this.appTier.method(HttpMethod.valueOf(request.getMethod()))
			.uri(target(request))
			.headers((headers) -> copyRequestHeaders(request, headers));
		if (body.length > 0) {
			call.body(body);
		}
		call.exchange((clientRequest, answer) -> {
			relay(answer, response);
			return null;
		}, true);
	}

	private byte[] readBody(HttpServletRequest request) throws IOException {
		if (request.getContentLengthLong() > this.maxRequestBody) {
			throw new PayloadTooLargeException();
		}
		try (InputStream in = request.getInputStream()) {
			byte[] body = in.readNBytes((int) this.maxRequestBody + 1);
			if (body.length > this.maxRequestBody) {
				throw new PayloadTooLargeException();
			}
			return body;
		}
	}

	// Raw (still encoded) path and query: decoding and encoding again could change them.
	private static URI target(HttpServletRequest request) {
		String query = request.getQueryString();
		return URI.create("http://" + AppTierProperties.SERVICE_ID + request.getRequestURI()
				+ ((query != null) ? "?" + query : ""));
	}

	private static void copyRequestHeaders(HttpServletRequest request, HttpHeaders headers) {
		for (String name : REQUEST_HEADERS) {
			String value = request.getHeader(name);
			if (value != null) {
				headers.set(name, value);
			}
		}
		String forwardedFor = request.getHeader("X-Forwarded-For");
		headers.set("X-Forwarded-For",
				(forwardedFor != null) ? forwardedFor + ", " + request.getRemoteAddr() : request.getRemoteAddr());
		String forwardedProto = request.getHeader("X-Forwarded-Proto");
		headers.set("X-Forwarded-Proto", (forwardedProto != null) ? forwardedProto : request.getScheme());
	}

	private static void relay(ClientHttpResponse answer, HttpServletResponse response) throws IOException {
		response.setStatus(answer.getStatusCode().value());
		HttpHeaders headers = answer.getHeaders();
		for (String name : RESPONSE_HEADERS) {
			String value = headers.getFirst(name);
			if (value != null) {
				response.setHeader(name, name.equals(HttpHeaders.LOCATION) ? relative(value) : value);
			}
		}
		try (InputStream body = answer.getBody()) {
			body.transferTo(response.getOutputStream());
		}
	}

	// An absolute Location would point at an app instance, which clients cannot reach.
	private static String relative(String location) {
		URI uri = URI.create(location);
		if (!uri.isAbsolute()) {
			return location;
		}
		return uri.getRawPath() + ((uri.getRawQuery() != null) ? "?" + uri.getRawQuery() : "");
	}

	@ExceptionHandler({ AppTierUnavailableException.class, ResourceAccessException.class })
	ResponseEntity<ProblemDetail> appTierUnavailable() {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
				"The bookshop is unavailable at the moment. Please try again shortly.");
		problem.setType(URI.create("urn:tierstack:problem:service-unavailable"));
		problem.setTitle("Service Unavailable");
		return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
			.header(HttpHeaders.RETRY_AFTER, "5")
			.contentType(MediaType.APPLICATION_PROBLEM_JSON)
			.body(problem);
	}

	@ExceptionHandler(PayloadTooLargeException.class)
	ResponseEntity<ProblemDetail> payloadTooLarge() {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE,
				"The request body is larger than " + this.maxRequestBody + " bytes.");
		problem.setType(URI.create("urn:tierstack:problem:payload-too-large"));
		problem.setTitle("Payload Too Large");
		return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE)
			.contentType(MediaType.APPLICATION_PROBLEM_JSON)
			.body(problem);
	}

	private static final class PayloadTooLargeException extends RuntimeException {

		PayloadTooLargeException() {
			super("request body too large");
		}

	}

}
