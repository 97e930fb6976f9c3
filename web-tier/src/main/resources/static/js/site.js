// Forms marked data-submit-once send once: the button is disabled while the next page
// loads, so a double click does not post twice. (The idempotency key in the form makes a
// second post harmless anyway; this spares the round trip and says what is going on.)
(function () {
	'use strict';

	document.addEventListener('submit', function (event) {
		var form = event.target;
		if (!form.hasAttribute('data-submit-once')) {
			return;
		}
		if (form.getAttribute('data-submitting') === 'true') {
			event.preventDefault();
			return;
		}
		form.setAttribute('data-submitting', 'true');
		form.querySelectorAll('button[type="submit"]').forEach(function (button) {
			button.setAttribute('data-label', button.textContent);
			button.textContent = button.getAttribute('data-busy-text') || button.textContent;
			// Disabled after this event, so that the button's own value is still sent.
			setTimeout(function () {
				button.disabled = true;
			}, 0);
		});
	});

	// Coming back with the browser's back button shows the page from its cache, as it was
	// left: enable the form again.
	window.addEventListener('pageshow', function (event) {
		if (!event.persisted) {
			return;
		}
		document.querySelectorAll('form[data-submitting="true"]').forEach(function (form) {
			form.removeAttribute('data-submitting');
			form.querySelectorAll('button[type="submit"]').forEach(function (button) {
				button.disabled = false;
				button.textContent = button.getAttribute('data-label') || button.textContent;
			});
		});
	});
}());
