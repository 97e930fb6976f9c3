package dev.tierstack.support;

import java.net.URI;

import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.ProblemDetailJacksonMixin;

/**
 * The stable problem types of the API (see the shared contract). Clients switch on the
 * type, never on the title or detail, so these URNs must not change.
 */
public enum ProblemType {

	VALIDATION("validation", "Invalid request"),

	MALFORMED_REQUEST("malformed-request", "Malformed request"),

	NOT_FOUND("not-found", "Not found"),

	INSUFFICIENT_STOCK("insufficient-stock", "Insufficient stock"),

	IDEMPOTENCY_KEY_REUSE("idempotency-key-reuse", "Idempotency key reused"),

	IDEMPOTENCY_KEY_MISSING("idempotency-key-missing", "Idempotency key missing"),

	UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", "Unsupported media type"),

	PAYLOAD_TOO_LARGE("payload-too-large", "Payload too large"),

	METHOD_NOT_ALLOWED("method-not-allowed", "Method not allowed"),

	SERVICE_UNAVAILABLE("service-unavailable", "Service unavailable"),

	INTERNAL_ERROR("internal-error", "Internal error");

	// The fields of a problem at the top level, as Spring MVC writes them.
	private static final JsonMapper json = JsonMapper.builder()
		.addMixIn(ProblemDetail.class, ProblemDetailJacksonMixin.class)
		.build();

	private final URI uri;

	private final String title;

	ProblemType(String slug, String title) {
		this.uri = URI.create("urn:tierstack:problem:" + slug);
		this.title = title;
	}

	public URI uri() {
		return this.uri;
	}

	public String title() {
		return this.title;
	}

	public ProblemDetail problem(HttpStatusCode status, String detail) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
		problem.setType(this.uri);
		problem.setTitle(this.title);
		return problem;
	}

	/**
	 * A problem of this type as JSON, for the places that answer before Spring MVC does
	 * (a servlet filter, Tomcat's error report).
	 * @param status the status
	 * @param detail what the client can do about it
	 * @return the problem document
	 */
	public String json(HttpStatusCode status, String detail) {
		return json.writeValueAsString(problem(status, detail));
	}

	/**
	 * The type for a status that no more specific rule classified, e.g. a 404 from an
	 * unknown path or a status set by the servlet container.
	 */
	public static ProblemType forStatus(HttpStatusCode status) {
		return switch (status.value()) {
			case 404 -> NOT_FOUND;
			case 405 -> METHOD_NOT_ALLOWED;
			case 406, 415 -> UNSUPPORTED_MEDIA_TYPE;
			case 413 -> PAYLOAD_TOO_LARGE;
			case 422 -> VALIDATION;
			case 503, 504 -> SERVICE_UNAVAILABLE;
			default -> status.is4xxClientError() ? MALFORMED_REQUEST : INTERNAL_ERROR;
		};
	}

}
