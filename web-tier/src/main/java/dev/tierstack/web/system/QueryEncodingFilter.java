package dev.tierstack.web.system;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import dev.tierstack.support.ProblemErrorReportValve;
import dev.tierstack.support.ProblemType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses a query string that is not valid percent-encoded UTF-8 ({@code ?q=%},
 * {@code ?q=%zz}, {@code ?q=%C0%AE}) with 400: a problem under {@code /api}, the site's
 * page elsewhere. Tomcat drops such a parameter silently, so the request would go on
 * without it (a search for {@code %zz} would list the whole catalog).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 2)
class QueryEncodingFilter extends OncePerRequestFilter {

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		String query = request.getQueryString();
		if (query == null || isValid(query)) {
			chain.doFilter(request, response);
			return;
		}
		if (ProblemErrorReportValve.isApi(request.getRequestURI())) {
			response.setStatus(HttpStatus.BAD_REQUEST.value());
			response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
			response.setCharacterEncoding(StandardCharsets.UTF_8);
			response.getWriter()
				.write(ProblemType.MALFORMED_REQUEST.json(HttpStatus.BAD_REQUEST,
						"The query string is not valid percent-encoded UTF-8."));
			return;
		}
		response.sendError(HttpStatus.BAD_REQUEST.value());
	}

	/**
	 * Whether every {@code %} starts a two-digit hexadecimal escape and the bytes decode
	 * as UTF-8.
	 * @param query the query string as sent
	 * @return whether it is valid
	 */
	static boolean isValid(String query) {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream(query.length());
		for (int i = 0; i < query.length(); i++) {
			char c = query.charAt(i);
			if (c == '%') {
				if (i + 2 >= query.length() || !HexFormat.isHexDigit(query.charAt(i + 1))
						|| !HexFormat.isHexDigit(query.charAt(i + 2))) {
					return false;
				}
				bytes.write(HexFormat.fromHexDigits(query, i + 1, i + 3));
				i += 2;
			}
			else {
				bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
			}
		}
		try {
			StandardCharsets.UTF_8.newDecoder()
				.onMalformedInput(CodingErrorAction.REPORT)
				.onUnmappableCharacter(CodingErrorAction.REPORT)
				.decode(ByteBuffer.wrap(bytes.toByteArray()));
			return true;
		}
		catch (CharacterCodingException ex) {
			return false;
		}
	}

}
