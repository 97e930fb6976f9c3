package dev.tierstack.app.system;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.http.HttpStatus;

/**
 * A client-visible failure of a business rule. Features throw subclasses; the exception
 * handler turns them into problem details without knowing the features.
 */
public abstract class ApiException extends RuntimeException {

	private final HttpStatus status;

	private final ProblemType type;

	private final String title;

	private final Map<String, Object> properties = new LinkedHashMap<>();

	protected ApiException(HttpStatus status, ProblemType type, String title, String detail) {
		super(detail);
		this.status = status;
		this.type = type;
		this.title = title;
	}

	public HttpStatus status() {
		return this.status;
	}

	public ProblemType type() {
		return this.type;
	}

	public String title() {
		return this.title;
	}

	/**
	 * Extension members of the problem, for clients that act on more than the detail.
	 */
	public Map<String, Object> properties() {
		return Collections.unmodifiableMap(this.properties);
	}

	protected void setProperty(String name, Object value) {
		this.properties.put(name, value);
	}

}
