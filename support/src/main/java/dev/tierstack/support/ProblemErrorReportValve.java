package dev.tierstack.support;

import java.io.IOException;
import java.io.Writer;

import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.web.util.HtmlUtils;

/**
 * Renders every error that never reached the application in the API's or the site's own
 * format instead of Tomcat's HTML page: a request Tomcat refused before the application
 * (an encoded NUL, slash or dot segment in the path, a malformed encoding, headers over
 * the limit), a status a filter sent, an exception a filter threw. Under {@code /api} it
 * is a problem document; elsewhere, on a tier that serves pages, the site's error page.
 * Errors that reach a controller never get here.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

	private final Tier tier;

	private final String nodeName;

	private final @Nullable String page;

	/**
	 * Creates a valve.
	 * @param tier the tier whose node header the answer carries
	 * @param nodeName this node's name
	 * @param page the HTML page for errors outside {@code /api}, with {@code {title}},
	 * {@code {heading}}, {@code {message}} and {@code {node}} to fill in; {@code null}
	 * for a problem document everywhere
	 */
	public ProblemErrorReportValve(Tier tier, String nodeName, @Nullable String page) {
		this.tier = tier;
		this.nodeName = nodeName;
		this.page = page;
		setShowReport(false);
		setShowServerInfo(false);
	}

	/**
	 * Puts the valve in place of Tomcat's own error report. Runs after Spring Boot's own
	 * customizer, which adds a plain {@code ErrorReportValve}.
	 * @param valve the valve
	 * @return the customizer that installs it
	 */
	public static WebServerFactoryCustomizer<TomcatServletWebServerFactory> installing(ProblemErrorReportValve valve) {
		return (factory) -> factory.addContextCustomizers((context) -> {
			if (context.getParent() instanceof StandardHost host) {
				for (Valve existing : host.getPipeline().getValves()) {
					if (existing instanceof ErrorReportValve) {
						host.getPipeline().removeValve(existing);
					}
				}
				// By class name too, so that the host does not add its default valve on
				// start.
				host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
				host.getPipeline().addValve(valve);
			}
		});
	}

	@Override
	protected void report(Request request, Response response, Throwable throwable) {
		int status = response.getStatus();
		if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
			return;
		}
		HttpStatusCode statusCode = HttpStatusCode.valueOf(status);
		try {
			response.setCharacterEncoding("UTF-8");
			response.setHeader(this.tier.nodeHeader(), this.nodeName);
			response.setHeader(TierHeadersFilter.REQUEST_ID_HEADER, TierHeadersFilter.requestId(request));
			String body;
			if (this.page != null && !isApi(request.getRequestURI())) {
				response.setContentType(MediaType.TEXT_HTML_VALUE);
				body = page(statusCode);
			}
			else {
				response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
				String detail = statusCode.is5xxServerError() ? "An unexpected error occurred."
						: "The request was refused by the server.";
				body = ProblemType.forStatus(statusCode).json(statusCode, detail);
			}
			Writer writer = response.getReporter();
			if (writer != null) {
				writer.write(body);
				response.finishResponse();
			}
		}
		catch (IOException | IllegalStateException ex) {
			// The client is gone or the response is committed: nothing left to tell it.
		}
	}

	private String page(HttpStatusCode status) {
		HttpStatus known = HttpStatus.resolve(status.value());
		String reason = status.value() + ((known != null) ? " " + known.getReasonPhrase() : "");
		boolean ours = status.is5xxServerError();
		return this.page.replace("{title}", ours ? "Something went wrong" : "Request not understood")
			.replace("{heading}", ours ? "Something went wrong on our side" : "That request did not work")
			.replace("{message}",
					ours ? "Sorry, we could not complete this request (" + reason + "). Please try again in a moment."
							: "The request could not be handled (" + reason
									+ "). Please check the address, or go back, reload the page and try again.")
			.replace("{node}", HtmlUtils.htmlEscape(this.nodeName));
	}

	/**
	 * Whether a request path is the API's, whose errors are problem documents.
	 * @param uri the request URI, as sent
	 * @return whether it is {@code /api} or under it
	 */
	public static boolean isApi(@Nullable String uri) {
		return uri != null && (uri.equals("/api") || uri.startsWith("/api/"));
	}

}
