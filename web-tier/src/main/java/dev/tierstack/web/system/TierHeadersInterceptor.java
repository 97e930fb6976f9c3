package dev.tierstack.web.system;

import java.io.IOException;

import dev.tierstack.support.ServerTimingFilter;
import dev.tierstack.support.Tier;
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
 * the {@code X-App-Node} and {@code X-App-Version} response headers and the
 * {@code appNode} request attribute that the page footer shows; and the time the app tier
 * took, for the page's {@code Server-Timing}.
 */
public class TierHeadersInterceptor implements ClientHttpRequestInterceptor {

	@Override
	public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
			throws IOException {
		String requestId = MDC.get(TierHeadersFilter.REQUEST_ID_MDC_KEY);
		if (requestId != null) {
			request.getHeaders().set(TierHeadersFilter.REQUEST_ID_HEADER, requestId);
		}
		ClientHttpResponse response = execution.execute(request, body);
		ServerTimingFilter.addAll(String.join(",", response.getHeaders().getOrEmpty(ServerTimingFilter.HEADER)));
		String appNode = response.getHeaders().getFirst(Tier.APP.nodeHeader());
		if (appNode != null
				&& RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes current) {
			current.setAttribute(Tier.APP.nodeAttribute(), appNode, RequestAttributes.SCOPE_REQUEST);
			HttpServletResponse servletResponse = current.getResponse();
			if (servletResponse != null && !servletResponse.isCommitted()) {
				servletResponse.setHeader(Tier.APP.nodeHeader(), appNode);
				String appVersion = response.getHeaders().getFirst(Tier.APP.versionHeader());
				if (appVersion != null) {
					servletResponse.setHeader(Tier.APP.versionHeader(), appVersion);
				}
			}
		}
		return response;
	}

}
