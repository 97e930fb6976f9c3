package dev.tierstack.app.system;

import org.springframework.http.HttpStatus;

/**
 * A resource the client asked for by its identifier does not exist.
 */
public class NotFoundException extends ApiException {

	public NotFoundException(String detail) {
		super(HttpStatus.NOT_FOUND, ProblemType.NOT_FOUND, "Not found", detail);
	}

}
