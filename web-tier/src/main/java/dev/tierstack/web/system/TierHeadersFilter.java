package dev.tierstack.web.system;

import java.io.IOException;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.MDC;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Gives every request an id and every response the headers that tell who served it.
 * <p>
 * The request id comes from HAProxy ({@code X-Request-Id}) or is made here; it goes into
 * the MDC (so every log line of the request carries it), back to the client, and on to
 * the app tier. Runs first, and on error dispatches too, so that error pages are logged
 * and labelled like any other response.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class TierHeadersFilter extends OncePerRequestFilter {

	public static final String REQUEST_ID_HEADER = "X-Request-Id";

	public static final String WEB_NODE_HEADER = "X-Web-Node";

	/** MDC key, also used by the log pattern and the app-tier client. */
	public static final String REQUEST_ID_MDC_KEY = "requestId";

	/** Request attribute read by the page layout. */
	public static final String WEB_NODE_ATTRIBUTE = "webNode";

	private static final String REQUEST_ID_ATTRIBUTE = TierHeadersFilter.class.getName() + ".requestId";

	// An id from outside ends up in logs and headers: accept only a short, plain token.
	private static final Pattern ACCEPTABLE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

	private final String nodeName;

	TierHeadersFilter(NodeProperties node) {
		this.nodeName = node.name();
	}

	@Override
	protected boolean shouldNotFilterErrorDispatch() {
		return false;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		String requestId = requestId(request);
		request.setAttribute(WEB_NODE_ATTRIBUTE, this.nodeName);
		response.setHeader(REQUEST_ID_HEADER, requestId);
		response.setHeader(WEB_NODE_HEADER, this.nodeName);
		MDC.put(REQUEST_ID_MDC_KEY, requestId);
		try {
			chain.doFilter(request, response);
		}
		finally {
			MDC.remove(REQUEST_ID_MDC_KEY);
		}
	}

	private String requestId(HttpServletRequest request) {
		if (request.getAttribute(REQUEST_ID_ATTRIBUTE) instanceof String known) {
			return known;
		}
		String incoming = request.getHeader(REQUEST_ID_HEADER);
		String id = (incoming != null && ACCEPTABLE_ID.matcher(incoming).matches()) ? incoming
				: UUID.randomUUID().toString();
		request.setAttribute(REQUEST_ID_ATTRIBUTE, id);
		return id;
	}

}
