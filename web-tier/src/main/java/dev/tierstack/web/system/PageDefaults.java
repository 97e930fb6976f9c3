package dev.tierstack.web.system;

import jakarta.servlet.http.HttpServletResponse;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClientResponseException;
import org.springframework.web.servlet.ModelAndView;

/**
 * What every page controller shares: the pages shown when the app tier cannot help; and,
 * for those with a form to post ({@link PostsForms}), the CSRF cookie.
 */
@ControllerAdvice(annotations = Controller.class)
class PageDefaults {

	private static final Log logger = LogFactory.getLog(PageDefaults.class);

	// The app tier did not answer (the retry policy included), or no instance was ready.
	@ExceptionHandler(ResourceAccessException.class)
	ModelAndView appTierUnavailable(ResourceAccessException ex, HttpServletResponse response) {
		logger.warn("App tier unavailable for a page: " + ex.getMessage());
		response.setHeader(HttpHeaders.RETRY_AFTER, "5");
		return errorPage("error/503", HttpStatus.SERVICE_UNAVAILABLE);
	}

	/**
	 * The app tier answered 503 (no database member it could use in time, or it is
	 * stopping) to every attempt the retry policy made: the page is unavailable for now
	 * as well, and says so as the API does, with the app tier's {@code Retry-After}. A
	 * 503 is what a load balancer retries on another web node; a 502 it passes on.
	 * @param ex the app tier's last answer
	 * @param response the page's response
	 * @return the error page
	 */
	@ExceptionHandler(HttpServerErrorException.ServiceUnavailable.class)
	ModelAndView appTierAnswered503(HttpServerErrorException.ServiceUnavailable ex, HttpServletResponse response) {
		logger.warn("App tier answered 503 for a page: " + ex.getMessage());
		String retryAfter = (ex.getResponseHeaders() != null)
				? ex.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER) : null;
		response.setHeader(HttpHeaders.RETRY_AFTER,
				(retryAfter != null && retryAfter.matches("[0-9]{1,4}")) ? retryAfter : "5");
		return errorPage("error/503", HttpStatus.SERVICE_UNAVAILABLE);
	}

	/**
	 * The app tier refused what the user typed or edited into the address (a search with
	 * control characters, a page number past the last): the user's mistake, not the
	 * server's.
	 * @param ex the app tier's answer
	 * @return the error page
	 */
	@ExceptionHandler(HttpClientErrorException.BadRequest.class)
	ModelAndView refusedByTheAppTier(HttpClientErrorException ex) {
		return errorPage("error/4xx", HttpStatus.BAD_REQUEST);
	}

	/**
	 * An answer from the app tier that a page did not expect: for the user it is the
	 * server side's fault either way (502 Bad Gateway).
	 * @param ex the unexpected answer
	 * @return the error page
	 */
	@ExceptionHandler(RestClientResponseException.class)
	ModelAndView unexpectedAnswer(RestClientResponseException ex) {
		logger.warn("Unexpected answer from the app tier: " + ex.getStatusCode());
		return errorPage("error/5xx", HttpStatus.BAD_GATEWAY);
	}

	private static ModelAndView errorPage(String view, HttpStatus status) {
		ModelAndView page = new ModelAndView(view);
		page.setStatus(status);
		page.addObject("status", status.value());
		page.addObject("error", status.getReasonPhrase());
		return page;
	}

	/**
	 * Creates the CSRF token (and so its cookie) before rendering starts. Tokens are
	 * created lazily, and a form far down a long page would otherwise ask for one after
	 * the first part of the page, and its headers, had been sent: the cookie would be
	 * lost.
	 */
	@ControllerAdvice(annotations = PostsForms.class)
	static class FormPages {

		@ModelAttribute
		void loadCsrfToken(CsrfToken token) {
			token.getToken();
		}

	}

}
