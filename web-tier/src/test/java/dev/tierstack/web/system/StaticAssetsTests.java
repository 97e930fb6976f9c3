package dev.tierstack.web.system;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.BDDMockito.given;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

class StaticAssetsTests extends PageSliceTest {

	@BeforeEach
	void catalog() {
		given(this.catalog.search(anyString(), anyInt())).willReturn(TestBooks.page(0, 1));
	}

	@ParameterizedTest
	@CsvSource({ "css/site, css, text/css", "js/site, js, text/javascript", "images/logo, svg, image/svg+xml" })
	void pagesLinkAssetsByContentHashAndThoseAreCachedForAYear(String asset, String extension, String type)
			throws Exception {
		String html = this.mvc.perform(get("/")).andReturn().getResponse().getContentAsString();
		Matcher link = Pattern.compile("/" + asset + "-([0-9a-f]{32})\\." + extension).matcher(html);
		assertThat(link.find()).as(asset + " linked with its hash").isTrue();
		assertThat(html).doesNotContain("/" + asset + "." + extension + "\"");

		this.mvc.perform(get(link.group()))
			.andExpect(status().isOk())
			.andExpect(content().contentTypeCompatibleWith(type))
			.andExpect(header().string("Cache-Control", "max-age=31536000, public, immutable"));
	}

	@ParameterizedTest
	@CsvSource({ "/css/site.css", "/js/site.js", "/images/logo.svg" })
	void unhashedAssetsAreRevalidated(String path) throws Exception {
		this.mvc.perform(get(path)).andExpect(status().isOk()).andExpect(header().string("Cache-Control", "no-cache"));
	}

	@ParameterizedTest
	@CsvSource({ "/css/site-00000000000000000000000000000000.css", "/js/nope.js", "/static/css/site.css" })
	void unknownAssetsAreNotFound(String path) throws Exception {
		this.mvc.perform(get(path)).andExpect(status().isNotFound());
	}

}
