package dev.tierstack.web.system;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import dev.tierstack.web.forward.StandIns;
import dev.tierstack.web.forward.WebTierOverStandIns;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.io.ClassPathResource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Compression is Tomcat's work, so it is tested against the running server.
 */
@WebTierOverStandIns
class CompressionTests extends StandIns {

	private final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@Test
	void compressesStylesheetsScriptsAndPages() throws Exception {
		resetStandIns();
		HttpResponse<byte[]> page = get("/");
		assertThat(page.headers().firstValue("Content-Encoding")).hasValue("gzip");
		String html = gunzip(page.body());
		assertThat(html).contains("<h1>Catalog</h1>");

		for (String asset : new String[] { "css/site", "js/site" }) {
			Matcher link = Pattern.compile("/" + asset + "-[0-9a-f]{32}\\.(css|js)").matcher(html);
			assertThat(link.find()).as(asset + " linked with its content hash").isTrue();
			HttpResponse<byte[]> response = get(link.group());
			assertThat(response.statusCode()).isEqualTo(200);
			assertThat(response.headers().firstValue("Content-Encoding")).hasValue("gzip");
			String file = "static/" + asset + "." + link.group(1);
			assertThat(gunzip(response.body()))
				.isEqualTo(new ClassPathResource(file).getContentAsString(StandardCharsets.UTF_8));
		}
	}

	private HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
		return this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.header("Accept-Encoding", "gzip")
			.header("Accept", "text/html,*/*")
			.build(), BodyHandlers.ofByteArray());
	}

	private static String gunzip(byte[] body) throws IOException {
		try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
	}

}
