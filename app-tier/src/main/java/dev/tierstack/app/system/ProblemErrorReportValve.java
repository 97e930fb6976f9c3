package dev.tierstack.app.system;

import java.io.IOException;
import java.io.Writer;

import dev.tierstack.support.Tier;
import dev.tierstack.support.TierHeadersFilter;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.ProblemDetailJacksonMixin;

/**
 * Renders every error that never reached a controller as a problem document instead of
 * Tomcat's HTML page: a status a filter sent (413 for a body above the limit), an
 * exception a filter threw, a request Tomcat refused before the application (an encoded
 * NUL or slash in the path). The application has no error page to forward such errors to
 * (see {@code AppTierApplication}); errors in controllers never get here, the
 * {@link ApiExceptionHandler} renders them.
 */
class ProblemErrorReportValve extends ErrorReportValve {

	// The fields of a problem at the top level, as Spring MVC writes them.
	private static final JsonMapper json = JsonMapper.builder()
		.addMixIn(ProblemDetail.class, ProblemDetailJacksonMixin.class)
		.build();

	private final String nodeName;

	ProblemErrorReportValve(String nodeName) {
		this.nodeName = nodeName;
		setShowReport(false);
		setShowServerInfo(false);
	}

	@Override
	protected void report(Request request, Response response, Throwable throwable) {
		int status = response.getStatus();
		if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
			return;
		}
		HttpStatusCode statusCode = HttpStatusCode.valueOf(status);
		String detail = statusCode.is5xxServerError() ? "An unexpected error occurred."
				: "The request was refused by the server.";
		ProblemDetail problem = ProblemType.forStatus(statusCode).problem(statusCode, detail);
		try {
			response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
			response.setCharacterEncoding("UTF-8");
			response.setHeader(Tier.APP.nodeHeader(), this.nodeName);
			response.setHeader(TierHeadersFilter.REQUEST_ID_HEADER, TierHeadersFilter.requestId(request));
			Writer writer = response.getReporter();
			if (writer != null) {
				writer.write(json.writeValueAsString(problem));
				response.finishResponse();
			}
		}
		catch (IOException | IllegalStateException ex) {
			// The client is gone or the response is committed: nothing left to tell it.
		}
	}

}
