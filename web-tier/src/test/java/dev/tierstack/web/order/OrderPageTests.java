package dev.tierstack.web.order;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.tierstack.web.system.PageSliceTest;
import dev.tierstack.web.system.TestBooks;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.http.HttpStatus;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.then;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

class OrderPageTests extends PageSliceTest {

	private static final UUID ORDER_ID = UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427");

	private static final Order ORDER = new Order(ORDER_ID, OffsetDateTime.parse("2026-11-28T10:15:00Z"),
			new BigDecimal("25.00"), List.of(new Order.Line(TestBooks.HOBBIT.isbn(), "The Hobbit", 2,
					new BigDecimal("12.50"), new BigDecimal("25.00"))));

	@BeforeEach
	void books() {
		given(this.catalog.find(TestBooks.HOBBIT.isbn())).willReturn(Optional.of(TestBooks.HOBBIT));
	}

	@Test
	void placingAnOrderRedirectsToItsPageWithSeeOther() throws Exception {
		given(this.orders.place(TestBooks.HOBBIT.isbn(), 2, "key-1")).willReturn(ORDER);
		this.mvc.perform(orderForm("2", "key-1"))
			.andExpect(status().isSeeOther())
			.andExpect(header().string("Location", "/orders/" + ORDER_ID));
	}

	@Test
	void aQuantityOutOfRangeComesBackWithAMessageAndANewKey() throws Exception {
		String html = this.mvc.perform(orderForm("0", "key-2"))
			.andExpect(status().isUnprocessableContent())
			.andExpect(content().string(containsString("Please order at least one copy.")))
			.andReturn()
			.getResponse()
			.getContentAsString();
		assertThat(idempotencyKey(html)).isNotEqualTo("key-2");
		then(this.orders).shouldHaveNoInteractions();
	}

	@Test
	void aQuantityThatIsNotANumberComesBackWithAReadableMessage() throws Exception {
		this.mvc.perform(orderForm("lots", "key-3"))
			.andExpect(status().isUnprocessableContent())
			.andExpect(content().string(allOf(containsString("whole number"), containsString("The Hobbit"))));
		then(this.orders).shouldHaveNoInteractions();
	}

	@Test
	void notEnoughStockComesBackAsAFriendlyMessage() throws Exception {
		given(this.orders.place(anyString(), anyInt(), anyString())).willThrow(new OrderRejectedException(
				HttpStatus.CONFLICT, "urn:tierstack:problem:insufficient-stock", "Only 7 in stock for 9780261102217"));
		String html = this.mvc.perform(orderForm("9", "key-4"))
			.andExpect(status().isConflict())
			.andExpect(content().string(containsString("Sorry, only 7 copies are in stock. Please order fewer.")))
			.andReturn()
			.getResponse()
			.getContentAsString();
		assertThat(idempotencyKey(html)).as("nothing was stored under the old key").isNotEqualTo("key-4");
	}

	@Test
	void otherRefusalsShowTheAppTiersReason() throws Exception {
		given(this.orders.place(anyString(), anyInt(), anyString())).willThrow(new OrderRejectedException(
				HttpStatus.UNPROCESSABLE_CONTENT, "urn:tierstack:problem:validation", "Unknown book"));
		this.mvc.perform(orderForm("1", "key-5"))
			.andExpect(status().isUnprocessableContent())
			.andExpect(content().string(containsString("The order was not placed: Unknown book")));
	}

	@Test
	void orderPageShowsTheIdAndTheLines() throws Exception {
		given(this.orders.find(ORDER_ID)).willReturn(Optional.of(ORDER));
		this.mvc.perform(get("/orders/" + ORDER_ID))
			.andExpect(status().isOk())
			.andExpect(content().string(allOf(containsString(ORDER_ID.toString()), containsString("The Hobbit"),
					containsString("€ 25.00"), containsString("28 November 2026"))));
	}

	@Test
	void unknownOrdersAreNotFound() throws Exception {
		given(this.orders.find(ORDER_ID)).willReturn(Optional.empty());
		this.mvc.perform(get("/orders/" + ORDER_ID)).andExpect(status().isNotFound());
		this.mvc.perform(get("/orders/not-an-id")).andExpect(status().isNotFound());
		then(this.orders).should().find(ORDER_ID);
	}

	@Test
	void lookupFormFindsAnOrderById() throws Exception {
		this.mvc.perform(get("/orders/lookup"))
			.andExpect(status().isOk())
			.andExpect(content().string(containsString("Order number")));
		this.mvc.perform(get("/orders/lookup").param("id", " " + ORDER_ID + " "))
			.andExpect(status().isSeeOther())
			.andExpect(header().string("Location", "/orders/" + ORDER_ID));
		this.mvc.perform(get("/orders/lookup").param("id", "12345"))
			.andExpect(status().isUnprocessableContent())
			.andExpect(content().string(containsString("That is not an order number")));
	}

	private static MockHttpServletRequestBuilder orderForm(String quantity, String key) {
		return post("/orders").with(csrf())
			.param("isbn", TestBooks.HOBBIT.isbn())
			.param("quantity", quantity)
			.param("idempotencyKey", key);
	}

	private static String idempotencyKey(String html) {
		Matcher key = Pattern.compile("name=\"idempotencyKey\" value=\"([^\"]+)\"").matcher(html);
		assertThat(key.find()).isTrue();
		return key.group(1);
	}

}
