package dev.tierstack.support;

import java.io.IOException;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.MDC;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.core.Ordered;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Gives every request an id and every response the headers that tell who served it.
 * <p>
 * The request id comes from HAProxy ({@code X-Request-Id}) or is made here; it goes into
 * the MDC (so every log line of the request carries it), back to the client, and on to
 * the next tier. Registered first, and on error dispatches too (see
 * {@link #registration}), so that even a refused request or an error page is logged and
 * labelled like any other response.
 */
public class TierHeadersFilter extends OncePerRequestFilter {

	public static final String REQUEST_ID_HEADER = "X-Request-Id";

	/**
	 * MDC key, also used by the log pattern and the web tier's client of the app tier.
	 */
	public static final String REQUEST_ID_MDC_KEY = "requestId";

	private static final String REQUEST_ID_ATTRIBUTE = TierHeadersFilter.class.getName() + ".requestId";

	// An id from outside ends up in logs and headers: accept only a short, plain token.
	private static final Pattern ACCEPTABLE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

	private final Tier tier;

	private final String nodeName;

	private final String version;

	public TierHeadersFilter(Tier tier, NodeProperties node) {
		this.tier = tier;
		this.nodeName = node.name();
		this.version = node.version();
	}

	/**
	 * The filter, registered ahead of every other one.
	 * @param tier the tier this node belongs to
	 * @param node this node
	 * @return the registration to declare as a bean
	 */
	public static FilterRegistrationBean<TierHeadersFilter> registration(Tier tier, NodeProperties node) {
		FilterRegistrationBean<TierHeadersFilter> registration = new FilterRegistrationBean<>(
				new TierHeadersFilter(tier, node));
		registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
		registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR);
		return registration;
	}

	@Override
	protected boolean shouldNotFilterErrorDispatch() {
		// The error dispatch runs after the first pass has left: set the MDC again.
		return false;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		String requestId = requestId(request);
		request.setAttribute(this.tier.nodeAttribute(), this.nodeName);
		response.setHeader(REQUEST_ID_HEADER, requestId);
		response.setHeader(this.tier.nodeHeader(), this.nodeName);
		response.setHeader(this.tier.versionHeader(), this.version);
		MDC.put(REQUEST_ID_MDC_KEY, requestId);
		try {
			chain.doFilter(request, response);
		}
		finally {
			MDC.remove(REQUEST_ID_MDC_KEY);
		}
	}

	/**
	 * The id of a request: the one this filter chose for it, or, for a request that never
	 * passed the filter (refused by the servlet container), the same choice made now.
	 * @param request the request
	 * @return its id
	 */
	public static String requestId(HttpServletRequest request) {
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
