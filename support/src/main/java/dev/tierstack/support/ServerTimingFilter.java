package dev.tierstack.support;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.core.Ordered;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Tells a browser's developer tools where a request's time went, in a
 * {@code Server-Timing} header: this tier's own time ({@code web;dur=12.3} or
 * {@code app;dur=4.5}, in milliseconds), then what was {@linkplain #add added} for the
 * request (the app tier's JDBC time as {@code db}; the web tier's calls to the app tier,
 * summed by name), then the entries of a header already set (the app tier's, passed
 * through on {@code /api}).
 * <p>
 * The header must be set before the response is committed, and a body larger than the
 * response buffer commits it while it is being written: so it is set when the body is
 * about to be written ({@code getOutputStream}, {@code getWriter}, {@code flushBuffer}),
 * or when the request leaves this filter without one (a container commits a
 * {@code sendError} or {@code sendRedirect} only after that). This tier's time is
 * measured until then. On error dispatches too, whose header replaces the first one's.
 */
public class ServerTimingFilter extends OncePerRequestFilter {

	public static final String HEADER = "Server-Timing";

	private static final String START_ATTRIBUTE = ServerTimingFilter.class.getName() + ".start";

	private static final String ADDED_ATTRIBUTE = ServerTimingFilter.class.getName() + ".added";

	private static final Pattern ENTRY = Pattern.compile("\\s*([A-Za-z0-9_.-]+)\\s*;(?:.*;)?\\s*dur=([0-9.]+)\\s*");

	private final String name;

	public ServerTimingFilter(Tier tier) {
		this.name = tier.name().toLowerCase(Locale.ROOT);
	}

	/**
	 * The filter, registered first (with {@link TierHeadersFilter}), so that its time is
	 * the whole request's.
	 * @param tier the tier this node belongs to, which names its entry
	 * @return the registration to declare as a bean
	 */
	public static FilterRegistrationBean<ServerTimingFilter> registration(Tier tier) {
		FilterRegistrationBean<ServerTimingFilter> registration = new FilterRegistrationBean<>(
				new ServerTimingFilter(tier));
		registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
		registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR);
		return registration;
	}

	/**
	 * Adds time spent for the current request under a name, to what was added under it
	 * before; nothing outside a request.
	 * @param name the entry's name
	 * @param nanos the time, in nanoseconds
	 */
	public static void add(String name, long nanos) {
		if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes current
				&& current.getRequest().getAttribute(ADDED_ATTRIBUTE) instanceof Added added) {
			added.add(name, nanos);
		}
	}

	/**
	 * Adds the entries of another tier's header, such as {@code app;dur=4.5, db;dur=1.2}.
	 * @param header the header's value, or {@code null}
	 * @see #add(String, long)
	 */
	public static void addAll(@Nullable String header) {
		if (header == null) {
			return;
		}
		for (String entry : header.split(",")) {
			Matcher matcher = ENTRY.matcher(entry);
			if (matcher.matches()) {
				try {
					add(matcher.group(1), (long) (Double.parseDouble(matcher.group(2)) * 1_000_000));
				}
				catch (NumberFormatException ex) {
					// Not a duration: left out.
				}
			}
		}
	}

	@Override
	protected boolean shouldNotFilterErrorDispatch() {
		return false;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		// An error dispatch goes on timing the request and keeps what was added to it.
		if (request.getAttribute(START_ATTRIBUTE) == null) {
			request.setAttribute(START_ATTRIBUTE, System.nanoTime());
			request.setAttribute(ADDED_ATTRIBUTE, new Added());
		}
		long start = (Long) request.getAttribute(START_ATTRIBUTE);
		Added added = (Added) request.getAttribute(ADDED_ATTRIBUTE);
		TimedResponse timed = new TimedResponse(response, () -> setHeader(response, start, added));
		try {
			chain.doFilter(request, timed);
		}
		finally {
			if (!response.isCommitted()) {
				timed.beforeBody();
			}
		}
	}

	private void setHeader(HttpServletResponse response, long start, Added added) {
		Map<String, Long> times = new LinkedHashMap<>();
		times.put(this.name, System.nanoTime() - start);
		added.copyTo(times);
		List<String> entries = new ArrayList<>();
		times.forEach((name, nanos) -> entries.add(String.format(Locale.ROOT, "%s;dur=%.1f", name, nanos / 1e6)));
		for (String header : response.getHeaders(HEADER)) {
			for (String entry : header.split(",")) {
				String name = entry.split(";", 2)[0].trim();
				if (!name.isEmpty() && !times.containsKey(name)) {
					entries.add(entry.trim());
				}
			}
		}
		response.setHeader(HEADER, String.join(", ", entries));
	}

	/** Times added to a request, by name, in the order first added. */
	private static final class Added {

		private final Map<String, Long> nanos = new LinkedHashMap<>();

		synchronized void add(String name, long nanos) {
			this.nanos.merge(name, nanos, Long::sum);
		}

		synchronized void copyTo(Map<String, Long> times) {
			this.nanos.forEach(times::putIfAbsent);
		}

	}

	/** Runs an action once, when the body is about to be written. */
	private static final class TimedResponse extends HttpServletResponseWrapper {

		private final Runnable action;

		private boolean done;

		TimedResponse(HttpServletResponse response, Runnable action) {
			super(response);
			this.action = action;
		}

		void beforeBody() {
			if (!this.done) {
				this.done = true;
				this.action.run();
			}
		}

		@Override
		public ServletOutputStream getOutputStream() throws IOException {
			beforeBody();
			return super.getOutputStream();
		}

		@Override
		public PrintWriter getWriter() throws IOException {
			beforeBody();
			return super.getWriter();
		}

		@Override
		public void flushBuffer() throws IOException {
			beforeBody();
			super.flushBuffer();
		}

	}

}
