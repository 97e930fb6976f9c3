package dev.tierstack.app.system;

import java.net.URI;
import java.net.URISyntaxException;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Renders errors that never reached a controller (a filter's {@code sendError}, an
 * exception thrown by a filter, a status set by the servlet container) as problem details
 * too, instead of Spring Boot's default error JSON.
 */
@RestController
class ProblemErrorController implements ErrorController {

	private static final Logger log = LoggerFactory.getLogger(ProblemErrorController.class);

	@RequestMapping("${server.error.path:${error.path:/error}}")
	ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
		HttpStatusCode status = status(request);
		Object exception = request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
		if (status.is5xxServerError() && exception instanceof Throwable throwable) {
			log.error("Request failed outside a controller", throwable);
		}
		ProblemType type = ProblemType.forStatus(status);
		String detail = switch (type) {
			case PAYLOAD_TOO_LARGE -> BodySizeLimitFilter.DETAIL;
			case NOT_FOUND -> "No resource at this path.";
			case INTERNAL_ERROR -> "An unexpected error occurred.";
			default -> "The request failed.";
		};
		ProblemDetail problem = type.problem(status, detail);
		problem.setInstance(originalPath(request));
		return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
	}

	// The path the client asked for, not the error path this dispatch went to.
	private static URI originalPath(HttpServletRequest request) {
		if (request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) instanceof String path) {
			try {
				return new URI(null, null, path, null);
			}
			catch (URISyntaxException ex) {
				return null;
			}
		}
		return null;
	}

	private static HttpStatusCode status(HttpServletRequest request) {
		Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
		if (code instanceof Integer value && value >= 400 && value < 600) {
			return HttpStatusCode.valueOf(value);
		}
		// No error dispatch: someone asked for the error path itself.
		return HttpStatus.NOT_FOUND;
	}

}
