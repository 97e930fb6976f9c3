package dev.tierstack.web.system;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import dev.tierstack.support.ProblemErrorReportValve;
import dev.tierstack.support.ProblemType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.web.error.ErrorAttributeOptions;
import org.springframework.boot.webmvc.autoconfigure.error.AbstractErrorController;
import org.springframework.boot.webmvc.autoconfigure.error.ErrorViewResolver;
import org.springframework.boot.webmvc.error.ErrorAttributes;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.servlet.ModelAndView;

/**
 * Every error sent to the error path (Spring Security's 403 for a missing CSRF token, a
 * 404, a 400 for a parameter of the wrong type) in the format of the request's path,
 * whatever the client accepts: the site's error page, or under {@code /api} a problem
 * document. Spring Boot's own error controller would answer a client that does not ask
 * for HTML with a JSON body of its own shape.
 */
@Controller
class ErrorPages extends AbstractErrorController {

	ErrorPages(ErrorAttributes errorAttributes, List<ErrorViewResolver> errorViewResolvers) {
		super(errorAttributes, errorViewResolvers);
	}

	@RequestMapping("${spring.web.error.path:${error.path:/error}}")
	@Nullable ModelAndView error(HttpServletRequest request, HttpServletResponse response) throws IOException {
		HttpStatus status = getStatus(request);
		response.setStatus(status.value());
		if (ProblemErrorReportValve.isApi((String) request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI))) {
			response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
			response.getWriter()
				.write(ProblemType.forStatus(status)
					.json(status, status.is5xxServerError() ? "An unexpected error occurred."
							: "The request was refused by the server."));
			return null;
		}
		Map<String, Object> model = getErrorAttributes(request, ErrorAttributeOptions.defaults());
		ModelAndView page = resolveErrorView(request, response, status, model);
		return (page != null) ? page
				: new ModelAndView(status.is5xxServerError() ? "error/5xx" : "error/4xx", model, status);
	}

}
