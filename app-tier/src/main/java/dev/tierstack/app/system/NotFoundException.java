package dev.tierstack.app.system;

import dev.tierstack.support.ProblemType;

import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/**
 * A resource the client asked for by its identifier does not exist.
 */
public class NotFoundException extends ErrorResponseException {

	public NotFoundException(String detail) {
		super(HttpStatus.NOT_FOUND, ProblemType.NOT_FOUND.problem(HttpStatus.NOT_FOUND, detail), null);
	}

}
