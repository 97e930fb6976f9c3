package dev.tierstack.app.system;

import java.io.IOException;
import java.io.Writer;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

import dev.tierstack.support.Tier;
import dev.tierstack.support.TierHeadersFilter;

import org.springframework.http.HttpStatusCode;

/**
 * Tomcat's last resort for requests it refuses before they reach the application (an
 * encoded NUL or slash in the path, say): a problem document instead of Tomcat's HTML
 * page. Errors inside the application never get here; the error controller renders them.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

	// Static: Tomcat may also create this valve by class name, without Spring.
	private static volatile String nodeName = "unknown";

	public ProblemErrorReportValve() {
		setShowReport(false);
		setShowServerInfo(false);
	}

	static void setNodeName(String name) {
		nodeName = name;
	}

	@Override
	protected void report(Request request, Response response, Throwable throwable) {
		int status = response.getStatus();
		if (status < 400 || response.getContentWritten() > 0) {
			return;
		}
		ProblemType type = ProblemType.forStatus(HttpStatusCode.valueOf(status));
		String detail = (status >= 500) ? "An unexpected error occurred." : "The request was refused by the server.";
		String json = "{\"type\":\"" + type.uri() + "\",\"title\":\"" + type.title() + "\",\"status\":" + status
				+ ",\"detail\":\"" + detail + "\"}";
		try {
			response.setContentType("application/problem+json");
			response.setCharacterEncoding("UTF-8");
			response.setHeader(Tier.APP.nodeHeader(), nodeName);
			response.setHeader(TierHeadersFilter.REQUEST_ID_HEADER, TierHeadersFilter.requestId(request));
			Writer writer = response.getReporter();
			if (writer != null) {
				writer.write(json);
				response.finishResponse();
			}
		}
		catch (IOException | IllegalStateException ex) {
			// The client is gone or the response is committed: nothing left to tell it.
		}
	}

}
