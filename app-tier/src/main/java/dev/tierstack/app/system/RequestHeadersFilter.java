package dev.tierstack.app.system;

import java.io.IOException;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.MDC;

import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Names the node that served a response and carries the request id through the logs. Runs
 * first, before anything can fail, so error responses carry both headers too.
 */
class RequestHeadersFilter extends OncePerRequestFilter {

	static final String APP_NODE = "X-App-Node";

	static final String REQUEST_ID = "X-Request-Id";

	static final String MDC_KEY = "requestId";

	private static final String ATTRIBUTE = RequestHeadersFilter.class.getName() + ".requestId";

	// A client's id goes into log lines: accept only what cannot forge or break one.
	private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

	private final String nodeName;

	RequestHeadersFilter(String nodeName) {
		this.nodeName = nodeName;
	}

	@Override
	protected boolean shouldNotFilterErrorDispatch() {
		// The error dispatch runs after this filter's finally block: restore the MDC
		// there.
		return false;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		String requestId = requestId(request);
		response.setHeader(APP_NODE, this.nodeName);
		response.setHeader(REQUEST_ID, requestId);
		MDC.put(MDC_KEY, requestId);
		try {
			chain.doFilter(request, response);
		}
		finally {
			MDC.remove(MDC_KEY);
		}
	}

	static String requestId(HttpServletRequest request) {
		if (request.getAttribute(ATTRIBUTE) instanceof String known) {
			return known;
		}
		String header = request.getHeader(REQUEST_ID);
		String requestId = (header != null && SAFE_ID.matcher(header).matches()) ? header
				: UUID.randomUUID().toString();
		request.setAttribute(ATTRIBUTE, requestId);
		return requestId;
	}

}
