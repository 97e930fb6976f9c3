package dev.tierstack.app.order;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import dev.tierstack.app.system.WebTestConfiguration;
import dev.tierstack.support.ProblemType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

@WebMvcTest(controllers = OrderController.class, properties = "tierstack.node.name=test-node")
@Import(WebTestConfiguration.class)
class OrderControllerTest {

	private static final String ISBN = "9781900000017";

	private static final String BODY = """
			{"lines":[{"isbn":"9781900000017","quantity":2}]}""";

	private static final OrderView ORDER = new OrderView(UUID.fromString("0b6c0a8e-7f5e-4a55-9d7c-2c3f3f7f8a11"),
			Instant.parse("2026-11-29T10:15:30.123456Z"), new BigDecimal("19.98"),
			List.of(new OrderView.Line(ISBN, "Dune", 2, new BigDecimal("9.99"), new BigDecimal("19.98"))));

	@Autowired
	private MockMvc mvc;

	@MockitoBean
	private OrderService orders;

	private static MockHttpServletRequestBuilder order(String body) {
		return post("/api/orders").contentType(MediaType.APPLICATION_JSON)
			.header("Idempotency-Key", "key-1")
			.content(body);
	}

	@Test
	void placesAnOrder() throws Exception {
		given(this.orders.place(eq("key-1"), any())).willReturn(new PlacedOrder(ORDER, false));
		this.mvc.perform(order(BODY))
			.andExpect(status().isCreated())
			.andExpect(header().string("Location", "/api/orders/0b6c0a8e-7f5e-4a55-9d7c-2c3f3f7f8a11"))
			.andExpect(header().doesNotExist("Idempotency-Replayed"))
			.andExpect(jsonPath("$.id").value("0b6c0a8e-7f5e-4a55-9d7c-2c3f3f7f8a11"))
			.andExpect(jsonPath("$.createdAt").value("2026-11-29T10:15:30.123456Z"))
			.andExpect(jsonPath("$.total").value(19.98))
			.andExpect(jsonPath("$.lines[0].isbn").value(ISBN))
			.andExpect(jsonPath("$.lines[0].title").value("Dune"))
			.andExpect(jsonPath("$.lines[0].quantity").value(2))
			.andExpect(jsonPath("$.lines[0].unitPrice").value(9.99))
			.andExpect(jsonPath("$.lines[0].lineTotal").value(19.98));
	}

	@Test
	void marksAReplay() throws Exception {
		given(this.orders.place(eq("key-1"), any())).willReturn(new PlacedOrder(ORDER, true));
		this.mvc.perform(order(BODY))
			.andExpect(status().isCreated())
			.andExpect(header().string("Idempotency-Replayed", "true"));
	}

	@Test
	void missingIdempotencyKeyHasItsOwnProblemType() throws Exception {
		this.mvc.perform(post("/api/orders").contentType(MediaType.APPLICATION_JSON).content(BODY))
			.andExpect(status().isBadRequest())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:idempotency-key-missing"));
		verifyNoInteractions(this.orders);
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "has space", "semi;colon", "ключ",
			"01234567890123456789012345678901234567890123456789012345678901234" })
	void rejectsMalformedIdempotencyKeys(String key) throws Exception {
		this.mvc.perform(order(BODY).header("Idempotency-Key", key))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.type").value(containsString("urn:tierstack:problem:")));
		verifyNoInteractions(this.orders);
	}

	@ParameterizedTest
	@ValueSource(strings = { "{\"lines\":[{\"isbn\":\"9781900000017\",\"quantity\":0}]}",
			"{\"lines\":[{\"isbn\":\"9781900000017\",\"quantity\":-1}]}",
			"{\"lines\":[{\"isbn\":\"9781900000017\",\"quantity\":1001}]}",
			"{\"lines\":[{\"isbn\":\"9781900000017\"}]}", "{\"lines\":[{\"isbn\":\"97819\",\"quantity\":1}]}",
			"{\"lines\":[{\"isbn\":\"' OR 1=1 --\",\"quantity\":1}]}",
			"{\"lines\":[{\"isbn\":\"<script>x</script>\",\"quantity\":1}]}", "{\"lines\":[]}", "{\"lines\":[null]}",
			"{}" })
	void rejectsInvalidOrdersAsValidationProblems(String body) throws Exception {
		this.mvc.perform(order(body))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:validation"))
			.andExpect(jsonPath("$.errors").isArray());
		verifyNoInteractions(this.orders);
	}

	@ParameterizedTest
	@ValueSource(strings = { "{\"lines\":[{\"isbn\":\"9781900000017\",\"quantity\":1e12}]}",
			"{\"lines\":[{\"isbn\":\"9781900000017\",\"quantity\":99999999999}]}",
			"{\"lines\":[{\"isbn\":\"9781900000017\",\"quantity\":1.5}]}",
			"{\"lines\":[{\"isbn\":\"9781900000017\",\"quantity\":\"many\"}]}", "{\"lines\":", "not json", "[1,2]", "",
			"{\"lines\":[{\"isbn\":\"9781900000017\",\"quantity\":1}],\"lines\":[]}",
			"{\"lines\":[{\"isbn\":\"9781900000017\",\"quantity\":1,\"quantity\":2}]}" })
	void rejectsUnreadableBodiesAsMalformed(String body) throws Exception {
		this.mvc.perform(order(body))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:malformed-request"))
			.andExpect(content().string(not(containsString("java."))))
			.andExpect(content().string(not(containsString("tools.jackson"))));
		verifyNoInteractions(this.orders);
	}

	@Test
	void rejectsAMistypedIsbnByItsCheckDigit() throws Exception {
		this.mvc.perform(order("{\"lines\":[{\"isbn\":\"9781900000071\",\"quantity\":1}]}"))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:validation"))
			.andExpect(content().string(containsString("check digit")));
		verifyNoInteractions(this.orders);
	}

	@Test
	void namesTheFieldOfAnOutOfRangeNumber() throws Exception {
		this.mvc.perform(order("{\"lines\":[{\"isbn\":\"9781900000017\",\"quantity\":99999999999}]}"))
			.andExpect(jsonPath("$.detail").value(containsString("lines[0].quantity")));
	}

	@Test
	void rejectsOtherContentTypes() throws Exception {
		this.mvc
			.perform(post("/api/orders").contentType(MediaType.TEXT_PLAIN).header("Idempotency-Key", "k").content(BODY))
			.andExpect(status().isUnsupportedMediaType())
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:unsupported-media-type"));
		verifyNoInteractions(this.orders);
	}

	@Test
	void refusesABodyAboveTheLimitBeforeReadingIt() throws Exception {
		this.mvc.perform(order("{\"lines\":[]," + "\"pad\":\"" + "x".repeat(17 * 1024) + "\"}"))
			.andExpect(status().isContentTooLarge());
		verifyNoInteractions(this.orders);
	}

	@Test
	void mapsInsufficientStockToConflict() throws Exception {
		given(this.orders.place(eq("key-1"), any()))
			.willThrow(new OrderExceptions.InsufficientStock(List.of(new OrderExceptions.Shortage(ISBN, 2, 1))));
		this.mvc.perform(order(BODY))
			.andExpect(status().isConflict())
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:insufficient-stock"))
			.andExpect(jsonPath("$.shortages[0].isbn").value(ISBN))
			.andExpect(jsonPath("$.shortages[0].available").value(1));
	}

	@Test
	void mapsKeyReuseToUnprocessable() throws Exception {
		given(this.orders.place(eq("key-1"), any())).willThrow(new OrderExceptions.IdempotencyKeyReuse());
		this.mvc.perform(order(BODY))
			.andExpect(status().isUnprocessableContent())
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:idempotency-key-reuse"));
	}

	@Test
	void mapsUnknownBooksToUnprocessable() throws Exception {
		given(this.orders.place(eq("key-1"), any())).willThrow(new OrderExceptions.UnknownBooks(List.of(ISBN)));
		this.mvc.perform(order(BODY))
			.andExpect(status().isUnprocessableContent())
			.andExpect(jsonPath("$.unknownIsbns[0]").value(ISBN));
	}

	@Test
	void orderIdMustBeAUuid() throws Exception {
		this.mvc.perform(get("/api/orders/not-a-uuid"))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:validation"));
		this.mvc.perform(get("/api/orders/1' OR '1'='1")).andExpect(status().isBadRequest());
	}

	@Test
	void unknownOrderIsNotFound() throws Exception {
		UUID id = UUID.randomUUID();
		given(this.orders.get(id)).willThrow(new dev.tierstack.app.system.NotFoundException("No order."));
		this.mvc.perform(get("/api/orders/" + id))
			.andExpect(status().isNotFound())
			.andExpect(jsonPath("$.type").value("urn:tierstack:problem:not-found"));
	}

}
