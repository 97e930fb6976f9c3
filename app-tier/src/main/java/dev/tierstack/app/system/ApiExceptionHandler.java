package dev.tierstack.app.system;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.tierstack.support.IdempotencyKey;
import dev.tierstack.support.ProblemType;
import jakarta.validation.ConstraintViolationException;
import org.apache.tomcat.util.http.InvalidParameterException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;

import org.springframework.beans.TypeMismatchException;
import org.springframework.context.MessageSourceResolvable;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.validation.FieldError;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.MissingRequestHeaderException;
import org.springframework.web.bind.ServletRequestBindingException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error leaving a controller becomes an RFC 9457 problem with a stable type.
 * Spring's base class already maps the framework's exceptions, and the features'
 * {@link org.springframework.web.ErrorResponseException}s, to their status and problem;
 * this class only assigns the contract's types and writes details that name no class, SQL
 * or stack frame.
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {

	private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

	// A constraint on a parameter that bypassed MVC's own method validation.
	@ExceptionHandler(ConstraintViolationException.class)
	ResponseEntity<ProblemDetail> handleConstraintViolation(ConstraintViolationException ex) {
		ProblemDetail problem = ProblemType.VALIDATION.problem(HttpStatus.BAD_REQUEST, "The request is invalid.");
		List<Map<String, String>> errors = ex.getConstraintViolations()
			.stream()
			.map((violation) -> error(lastNode(violation.getPropertyPath().toString()), violation.getMessage()))
			.toList();
		problem.setProperty("errors", errors);
		return problem(HttpStatus.BAD_REQUEST, problem);
	}

	// Tomcat parses parameters lazily and throws when one is not valid percent-encoding.
	@ExceptionHandler(InvalidParameterException.class)
	ResponseEntity<ProblemDetail> handleInvalidParameter(InvalidParameterException ex) {
		return problem(HttpStatus.BAD_REQUEST, ProblemType.MALFORMED_REQUEST.problem(HttpStatus.BAD_REQUEST,
				"A request parameter is not valid percent-encoded UTF-8."));
	}

	@ExceptionHandler({ CannotCreateTransactionException.class, DataAccessResourceFailureException.class,
			QueryTimeoutException.class, TransientDataAccessException.class })
	ResponseEntity<ProblemDetail> handleDatabaseUnavailable(Exception ex) {
		log.warn("Database unavailable: {}", ex.getMessage());
		ProblemDetail problem = ProblemType.SERVICE_UNAVAILABLE.problem(HttpStatus.SERVICE_UNAVAILABLE,
				"The service cannot reach its database right now. Retry later.");
		return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "1").body(problem);
	}

	@ExceptionHandler(Exception.class)
	ResponseEntity<ProblemDetail> handleUnexpected(Exception ex) {
		if (DatabaseUnavailable.isCause(ex)) {
			return handleDatabaseUnavailable(ex);
		}
		log.error("Unexpected error", ex);
		return problem(HttpStatus.INTERNAL_SERVER_ERROR,
				ProblemType.INTERNAL_ERROR.problem(HttpStatus.INTERNAL_SERVER_ERROR, "An unexpected error occurred."));
	}

	@Override
	protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		ProblemDetail problem = ProblemType.VALIDATION.problem(status, "The request body is invalid.");
		List<Map<String, String>> errors = new ArrayList<>();
		ex.getBindingResult().getFieldErrors().forEach((error) -> errors.add(error(error.getField(), message(error))));
		ex.getBindingResult()
			.getGlobalErrors()
			.forEach((error) -> errors.add(error(error.getObjectName(), message(error))));
		problem.setProperty("errors", errors);
		return handleExceptionInternal(ex, problem, headers, status, request);
	}

	@Override
	protected ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		ProblemDetail problem = ProblemType.VALIDATION.problem(status, "The request is invalid.");
		List<Map<String, String>> errors = new ArrayList<>();
		ex.getParameterValidationResults().forEach((result) -> {
			String name = result.getMethodParameter().getParameterName();
			result.getResolvableErrors().forEach((error) -> errors.add(error(name, message(error))));
		});
		problem.setProperty("errors", errors);
		return handleExceptionInternal(ex, problem, headers, status, request);
	}

	@Override
	protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		if (BodySizeLimitFilter.isTooLarge(ex)) {
			HttpStatus tooLarge = HttpStatus.CONTENT_TOO_LARGE;
			return handleExceptionInternal(ex,
					ProblemType.PAYLOAD_TOO_LARGE.problem(tooLarge, BodySizeLimitFilter.DETAIL), headers, tooLarge,
					request);
		}
		// Jackson's own messages name Java types; the JSON path is what a client can act
		// on.
		String detail = "The request body is not valid JSON for this resource.";
		String path = jsonPath(ex);
		if (path != null) {
			detail = "The request body has an invalid value at '" + path + "'.";
		}
		return handleExceptionInternal(ex, ProblemType.MALFORMED_REQUEST.problem(status, detail), headers, status,
				request);
	}

	@Override
	protected ResponseEntity<Object> handleServletRequestBindingException(ServletRequestBindingException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		if (ex instanceof MissingRequestHeaderException missing
				&& IdempotencyKey.HEADER.equalsIgnoreCase(missing.getHeaderName())) {
			return handleExceptionInternal(ex, ProblemType.IDEMPOTENCY_KEY_MISSING.problem(status,
					"The Idempotency-Key header is required: 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'."),
					headers, status, request);
		}
		return super.handleServletRequestBindingException(ex, headers, status, request);
	}

	@Override
	protected ResponseEntity<Object> handleTypeMismatch(TypeMismatchException ex, HttpHeaders headers,
			HttpStatusCode status, WebRequest request) {
		String name = (ex.getPropertyName() != null) ? ex.getPropertyName() : "parameter";
		ProblemDetail problem = ProblemType.VALIDATION.problem(status, "The value of '" + name + "' is invalid.");
		problem.setProperty("errors", List.of(error(name, "has the wrong format")));
		return handleExceptionInternal(ex, problem, headers, status, request);
	}

	/**
	 * The single exit of the base class: whatever Spring built, the type and title come
	 * from the contract, by status where no handler above chose one.
	 */
	@Override
	protected ResponseEntity<Object> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
			HttpStatusCode statusCode, WebRequest request) {
		if (body == null && ex instanceof ErrorResponse errorResponse) {
			body = errorResponse.getBody();
		}
		if (body instanceof ProblemDetail problem
				&& (problem.getType() == null || !problem.getType().toString().startsWith("urn:tierstack:problem:"))) {
			ProblemType type = ProblemType.forStatus(statusCode);
			problem.setType(type.uri());
			problem.setTitle(type.title());
		}
		if (statusCode.is5xxServerError()) {
			log.error("Request failed", ex);
		}
		return super.handleExceptionInternal(ex, body, headers, statusCode, request);
	}

	private static ResponseEntity<ProblemDetail> problem(HttpStatusCode status, ProblemDetail problem) {
		return ResponseEntity.status(status).body(problem);
	}

	private static Map<String, String> error(String field, String message) {
		return Map.of("field", field, "message", message);
	}

	private static String message(MessageSourceResolvable error) {
		String message = error.getDefaultMessage();
		if (message == null && error instanceof FieldError fieldError) {
			return "invalid value for " + fieldError.getField();
		}
		return (message != null) ? message : "invalid value";
	}

	private static String lastNode(String propertyPath) {
		int dot = propertyPath.lastIndexOf('.');
		return (dot >= 0) ? propertyPath.substring(dot + 1) : propertyPath;
	}

	private static String jsonPath(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof JacksonException jackson && !jackson.getPath().isEmpty()) {
				StringBuilder path = new StringBuilder();
				for (JacksonException.Reference reference : jackson.getPath()) {
					if (reference.getPropertyName() != null) {
						if (!path.isEmpty()) {
							path.append('.');
						}
						path.append(reference.getPropertyName());
					}
					else if (reference.getIndex() >= 0) {
						path.append('[').append(reference.getIndex()).append(']');
					}
				}
				return path.isEmpty() ? null : path.toString();
			}
		}
		return null;
	}

}
