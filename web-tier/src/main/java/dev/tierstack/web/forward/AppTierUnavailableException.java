package dev.tierstack.web.forward;

/**
 * No app instance gave an answer: none is known or healthy, or connecting, or waiting for
 * the answer, failed (after the one retry where that is safe). Pages show a 503 page for
 * it, {@code /api} a 503 problem.
 */
public class AppTierUnavailableException extends RuntimeException {

	public AppTierUnavailableException(String message) {
		super(message);
	}

	public AppTierUnavailableException(String message, Throwable cause) {
		super(message, cause);
	}

}
