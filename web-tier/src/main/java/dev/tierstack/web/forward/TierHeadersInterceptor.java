package dev.tierstack.web.forward;

import java.io.IOException;

import dev.tierstack.support.TierHeadersFilter;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.MDC;

import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * Carries the request id to the app tier, and brings back which app node answered: into
 * the {@code X-App-Node} response header and the {@code appNode} request attribute that
 * the page footer shows.
 */
class TierHeadersInterceptor implements ClientHttpRequestInterceptor {

	static final String APP_NODE_HEADER = "X-App-Node";

	/** Request attribute read by the page layout. */
	static final String APP_NODE_ATTRIBUTE = "appNode";

	@Override
	public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
			throws IOException {
		String requestId = MDC.get(TierHeadersFilter.REQUEST_ID_MDC_KEY);
		if (requestId != null) {
			request.getHeaders().set(TierHeadersFilter.REQUEST_ID_HEADER, requestId);
		}
		ClientHttpResponse response = execution.execute(request, body);
		String appNode = response.getHeaders().getFirst(APP_NODE_HEADER);
		if (appNode != null
				&& RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes current) {
			current.setAttribute(APP_NODE_ATTRIBUTE, appNode, RequestAttributes.SCOPE_REQUEST);
			HttpServletResponse servletResponse = current.getResponse();
			if (servletResponse != null && !servletResponse.isCommitted()) {
				servletResponse.setHeader(APP_NODE_HEADER, appNode);
			}
		}
		return response;
	}

}
