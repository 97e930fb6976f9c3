package dev.tierstack.web.system;

import java.io.IOException;

import dev.tierstack.support.TierHeadersFilter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * Sends every response whole: the body is kept until the request has been handled, then
 * written at once with its {@code Content-Length}.
 * <p>
 * Without it a page leaves in two writes: Thymeleaf flushes the rendered page, which
 * commits the response as chunked, and the closing chunk follows once the filters have
 * unwound. A node killed in between has sent HAProxy a response head, which HAProxy has
 * passed on and can no longer retry: the client gets a broken response. Sent whole, a
 * response reaches the client complete, or nothing was sent and HAProxy retries the
 * request on another node (an empty response). The same holds for the {@code /api}
 * answers relayed from the app tier and for error pages. Compressed (a browser asks for
 * gzip), the body is framed in chunks but leaves at the same moment; only its closing
 * bytes follow, when the request ends.
 * <p>
 * Runs right after {@link TierHeadersFilter}, and on error dispatches too. Responses here
 * are pages and API answers of a few kilobytes; nothing is streamed.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
class WholeResponseFilter extends OncePerRequestFilter {

	@Override
	protected boolean shouldNotFilterErrorDispatch() {
		return false;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		ContentCachingResponseWrapper whole = new ContentCachingResponseWrapper(response);
		chain.doFilter(request, whole);
		// Only on success: after an exception the container renders the error page
		// instead, and a half-made body must not be sent before it.
		whole.copyBodyToResponse();
	}

}
