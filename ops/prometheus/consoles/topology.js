// The live topology: asks Prometheus' query API (same origin) for the nodes' state twice a
// second and for their request figures every fifth second (the tiers are scraped every 10 s),
// then redraws the page; asks Zipkin's API (on the same host, port 9411, or the page's
// ?zipkin= address) for the last sampled requests, with their path and time in each tier.
// No framework and nothing fetched from elsewhere: the review room may have no internet.
//
// Prometheus serves this file through its console template engine (Go's html/template), like
// the page: the code builds elements with the DOM API, never writes markup in strings and has
// no less-than sign, which the engine would escape as text.
(function () {
	'use strict';

	const BASE = location.pathname.replace(/\/consoles\/.*$/, '');
	const ZIPKIN = new URLSearchParams(location.search).get('zipkin')
		|| (location.protocol + '//' + location.hostname + ':9411');
	const RECENT = 8;
	const WINDOW = '30s';
	const OWN_PATHS = 'uri!~"/actuator.*|/livez|/readyz"';
	const STATE = '{__name__=~"tierstack_vip_held|up|pg_up|pg_role_primary|pg_stat_replication_pg_wal_lsn_diff'
		+ '|tierstack_app_instance_ready'
		+ '|etcd_server_is_leader|etcd_server_has_leader"}'
		+ ' or haproxy_server_status{proxy="web"} == 1'
		+ ' or haproxy_server_current_throttle{proxy="web"} >= 0';
	const FIGURES = {
		requests: `sum by (job, instance) (rate(http_server_requests_seconds_count{job=~"web|app",${OWN_PATHS}}[${WINDOW}]))`,
		errors: `sum by (job, instance) (rate(http_server_requests_seconds_count{job=~"web|app",status=~"5..",${OWN_PATHS}}[${WINDOW}]))`,
		p99: `histogram_quantile(0.99, sum by (job, instance, le) (rate(http_server_requests_seconds_bucket{job=~"web|app",${OWN_PATHS}}[${WINDOW}])))`,
		// The web tier's calls to one app instance carry its address as client_name.
		calls: `sum by (instance, client_name, outcome) (rate(http_client_requests_seconds_count{job="web",client_name=~"[0-9.]+"}[${WINDOW}]))`,
		lbServers: `sum by (instance, server) (rate(haproxy_server_http_responses_total{proxy="web"}[${WINDOW}]))`,
		// Slots and nodes seen in the last 5 minutes, so that one gone from Docker's DNS (and so
		// from HAProxy's slots and Prometheus' targets) stays on the page as gone.
		recentSlots: 'min_over_time(haproxy_server_status{proxy="web",state="MAINT"}[5m]) == 0',
		recentNodes: 'max_over_time(up{job=~"web|app"}[5m])',
	};

	let figures = {};
	const STATE_EVERY_MS = 500;
	const FIGURES_EVERY = 10;
	let tick = 0;

	async function query(promql) {
		const response = await fetch(BASE + '/api/v1/query?query=' + encodeURIComponent(promql), { cache: 'no-store' });
		const body = await response.json();
		if (body.status !== 'success') {
			throw new Error(body.error || response.statusText);
		}
		return body.data.result.map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
	}

	async function refresh() {
		try {
			if (tick++ % FIGURES_EVERY === 0) {
				const names = Object.keys(FIGURES);
				const answers = await Promise.all(names.map((name) => query(FIGURES[name])));
				figures = Object.fromEntries(names.map((name, i) => [name, answers[i]]));
				recentRequests();
			}
			draw(await query(STATE));
			const freshness = document.getElementById('freshness');
			freshness.dataset.stale = 'false';
			freshness.dataset.updated = String(Date.now());
			freshness.textContent = 'live · ' + new Date().toLocaleTimeString();
		}
		catch (ex) {
			const freshness = document.getElementById('freshness');
			freshness.dataset.stale = 'true';
			freshness.textContent = 'NOT UPDATING: ' + ex.message;
		}
		setTimeout(refresh, STATE_EVERY_MS);
	}

	// --- the picture -------------------------------------------------------------------------

	function draw(state) {
		const series = (name) => state.filter((s) => s.labels.__name__ === name);
		const valueOf = (name, match) => {
			const found = series(name).find((s) => Object.keys(match).every((k) => s.labels[k] === match[k]));
			return found ? found.value : undefined;
		};
		const instances = (job) => [...new Set(series('up').concat(figures.recentNodes || [])
			.filter((s) => s.labels.job === job).map((s) => s.labels.instance))].sort(byNumber);

		// The VIP and its holder.
		const holders = series('tierstack_vip_held').filter((s) => s.value === 1).map((s) => s.labels.instance);
		const address = (series('tierstack_vip_held')[0] || { labels: {} }).labels.vip || '';
		const vip = document.getElementById('vip');
		vip.dataset.holderName = (holders.length === 1) ? holders[0] : '';
		vip.dataset.holders = String(holders.length);
		vip.replaceChildren(text('VIP ' + address + ' → '),
			(holders.length === 1) ? el('span', { 'data-state': 'UP' }, holders[0])
				: el('span', { class: 'bad' }, holders.length ? 'held by ' + holders.join(' AND ') : 'held by NONE'));

		// Each load balancer's web slots, in the state its health checks give them.
		document.getElementById('lbs').replaceChildren(...instances('lb').map((lb) => {
			const holds = holders.includes(lb);
			const scraped = valueOf('up', { job: 'lb', instance: lb }) === 1;
			const slots = series('haproxy_server_status').filter((s) => s.labels.instance === lb);
			const rows = slots.map((s) => {
				let slotState = s.labels.state;
				const throttle = valueOf('haproxy_server_current_throttle', { instance: lb, server: s.labels.server });
				if (slotState === 'UP' && throttle >= 0 && 100 > throttle) {
					slotState = 'STARTING';
				}
				return { server: s.labels.server, state: slotState, shown: slotState !== 'MAINT' || !Number.isNaN(figure('recentSlots', { instance: lb, server: s.labels.server })), throttle };
			}).filter((r) => r.shown).sort((a, b) => byNumber(a.server, b.server));
			return el('section', { class: 'box', id: 'lb-' + lb, 'data-lb': lb, 'data-holder': String(holds), 'data-state': scraped ? 'UP' : 'DOWN' },
				el('h3', {}, lb + (holds ? ' ★ holds the VIP' : ' · backup') + (scraped ? '' : ' · NOT SCRAPED')),
				el('ul', {}, ...rows.map((r) => slotRow(lb, r))));
		}));

		// Web and app nodes: scraped or not, and their own figures.
		for (const job of ['web', 'app']) {
			document.getElementById(job).replaceChildren(...instances(job).map((instance) => {
				const scraped = valueOf('up', { job, instance });
				const up = scraped === 1;
				const requests = figure('requests', { job, instance });
				const errors = figure('errors', { job, instance }) || 0;
				const box = el('section', { class: 'box', id: job + '-' + instance, 'data-instance': instance, 'data-state': up ? 'UP' : 'DOWN' },
					el('h3', {}, instance.replace(/:\d+$/, '') + ' · ' + (up ? 'UP' : (scraped === undefined ? 'GONE' : 'DOWN'))),
					el('ul', {},
						el('li', {}, el('span', {}, 'requests'), el('span', { class: 'num' }, rate(requests))),
						el('li', {}, el('span', {}, '5xx'), el('span', { class: 'num' }, ratio(errors, requests))),
						el('li', {}, el('span', {}, 'p99'), el('span', { class: 'num' }, millis(figure('p99', { job, instance }))))));
				if (job === 'web') {
					box.append(el('h3', {}, '→ app nodes'),
						el('ul', {}, ...appCalls(instance, series('tierstack_app_instance_ready'))));
				}
				return box;
			}));
		}

		// Database members: role from the exporter, lag from the primary's pg_stat_replication.
		document.getElementById('db').replaceChildren(...instances('postgres').map((db) => {
			const running = valueOf('up', { job: 'postgres', instance: db }) === 1 && valueOf('pg_up', { instance: db }) === 1;
			const role = !running ? 'down' : (valueOf('pg_role_primary', { instance: db }) === 1 ? 'primary' : 'replica');
			const replication = series('pg_stat_replication_pg_wal_lsn_diff').find((s) => s.labels.application_name === db);
			const lag = (role !== 'replica') ? '' : replication ? bytes(replication.value) + ' behind · ' + replication.labels.state : 'NOT STREAMING';
			return el('section', { class: 'box', id: 'db-' + db, 'data-db': db, 'data-role': role, 'data-lag-bytes': replication ? String(replication.value) : '' },
				el('h3', {}, db), el('ul', {}, el('li', { 'data-role': role }, role.toUpperCase()), el('li', {}, lag)));
		}));

		// etcd members: Patroni's cluster state lives there.
		document.getElementById('etcd').replaceChildren(el('section', { class: 'box' }, el('h3', {}, 'etcd'),
			el('ul', {}, ...instances('etcd').map((member) => {
				const up = valueOf('up', { job: 'etcd', instance: member }) === 1;
				const role = !up ? 'down' : valueOf('etcd_server_is_leader', { instance: member }) === 1 ? 'leader'
					: valueOf('etcd_server_has_leader', { instance: member }) === 1 ? 'member' : 'none';
				return el('li', { 'data-etcd': member, 'data-role': role },
					el('span', {}, member), el('span', {}, role === 'none' ? 'NO LEADER' : role.toUpperCase()));
			}))));
	}

	function slotRow(lb, slot) {
		const shown = { STARTING: 'STARTING ' + slot.throttle + ' %', MAINT: 'MAINT · gone' }[slot.state] || slot.state;
		return el('li', { 'data-server': slot.server, 'data-state': slot.state },
			el('span', {}, (slot.server === 'lb-peer') ? 'peer (backup)' : slot.server),
			el('span', {}, shown),
			el('span', { class: 'num' }, rate(figure('lbServers', { instance: lb, server: slot.server }))));
	}

	// One web node's view of the app nodes: whether its balancer may send them requests (its
	// health-checked list, less the nodes it paused after a failure), and what it sent them.
	function appCalls(web, ready) {
		const byApp = {};
		const app = (address) => byApp[address] || (byApp[address] = { total: 0, failed: 0, ready: undefined });
		for (const s of ready) {
			if (s.labels.instance === web) {
				app(s.labels.app.replace(/:\d+$/, '')).ready = (s.value === 1);
			}
		}
		for (const s of figures.calls || []) {
			if (s.labels.instance === web && s.value > 0) {
				const called = app(s.labels.client_name);
				called.total += s.value;
				if (s.labels.outcome === 'SERVER_ERROR' || s.labels.outcome === 'UNKNOWN') {
					called.failed += s.value;
				}
			}
		}
		const apps = Object.keys(byApp).sort(byNumber);
		if (!apps.length) {
			return [el('li', { class: 'note' }, 'no requests yet')];
		}
		return apps.map((address) => {
			const called = byApp[address];
			const listed = (called.ready === undefined) ? '' : called.ready ? 'READY' : 'OUT';
			return el('li', { 'data-app': address, 'data-ready': String(called.ready === true),
				'data-state': (called.ready === false || called.failed) ? 'DOWN' : 'UP' },
			el('span', {}, address), el('span', {}, listed),
			el('span', { class: 'num' }, rate(called.total) + ' · ' + ratio(called.failed, called.total) + ' failed'));
		});
	}

	// --- recent requests, from their traces ----------------------------------------------------

	async function recentRequests() {
		const shown = document.getElementById('recent');
		try {
			const response = await fetch(ZIPKIN + '/api/v2/traces?serviceName=web-tier&lookback=300000&limit=' + RECENT,
				{ cache: 'no-store' });
			if (!response.ok) {
				throw new Error('HTTP ' + response.status);
			}
			const requests = (await response.json()).map(request).filter((r) => r)
				.sort((a, b) => b.at - a.at).slice(0, RECENT);
			shown.dataset.zipkin = 'true';
			shown.replaceChildren(...(requests.length ? requests.map(requestRow)
				: [el('tr', {}, el('td', { class: 'note', colspan: '8' }, 'no sampled request in the last 5 minutes'))]));
		}
		catch (ex) {
			shown.dataset.zipkin = 'false';
			shown.replaceChildren(el('tr', {}, el('td', { class: 'bad', colspan: '8' }, 'Zipkin (' + ZIPKIN + '): ' + ex.message)));
		}
	}

	// One trace as the request it followed: the web tier's server span is its top; the app
	// tier's server spans and their SQL statements (tagged jdbc.query[0]) are its hops.
	function request(spans) {
		const service = (span) => (span.localEndpoint || {}).serviceName;
		const address = (span) => (span.localEndpoint || {}).ipv4 || '?';
		// Its parent, when there is one, is the client's (a traceparent it sent), not in the trace.
		const root = spans.find((s) => service(s) === 'web-tier' && s.kind === 'SERVER');
		if (!root) {
			return null;
		}
		const app = spans.filter((s) => service(s) === 'app-tier' && s.kind === 'SERVER');
		const sql = spans.filter((s) => service(s) === 'app-tier' && s.tags && s.tags['jdbc.query[0]']);
		const total = (list) => list.length ? list.reduce((sum, s) => sum + (s.duration || 0), 0) / 1000 : NaN;
		const tags = root.tags || {};
		return {
			at: root.timestamp / 1000,
			id: tags['request.id'] || '',
			what: (tags.method || '') + ' ' + (tags['http.url'] || tags.uri || root.name),
			status: tags.status || '',
			web: address(root),
			apps: [...new Set(app.map(address))].join(' '),
			pools: [...new Set(sql.map((s) => s.tags['jdbc.datasource.name'] || '?'))].join(' '),
			webMs: (root.duration || 0) / 1000,
			appMs: total(app),
			dbMs: total(sql),
		};
	}

	function requestRow(r) {
		const ms = (value) => Number.isFinite(value) ? value.toFixed(1) + ' ms' : '–';
		return el('tr', { 'data-request-id': r.id, 'data-web-ms': String(r.webMs), 'data-app-ms': String(r.appMs),
			'data-db-ms': String(r.dbMs), 'data-state': (r.status.startsWith('5') ? 'DOWN' : 'UP') },
		el('td', {}, new Date(r.at).toLocaleTimeString()), el('td', {}, r.what), el('td', {}, r.status),
		el('td', {}, 'web ' + r.web + ' → app ' + (r.apps || '–') + ' → db ' + (r.pools || '–')),
		el('td', { class: 'num' }, ms(r.webMs)), el('td', { class: 'num' }, ms(r.appMs)),
		el('td', { class: 'num' }, ms(r.dbMs)), el('td', { class: 'note' }, r.id));
	}

	// --- helpers -----------------------------------------------------------------------------

	function figure(name, match) {
		const found = (figures[name] || []).find((s) => Object.keys(match).every((k) => s.labels[k] === match[k]));
		return found ? found.value : NaN;
	}

	function el(tag, attributes, ...children) {
		const element = document.createElement(tag);
		Object.entries(attributes).forEach(([name, value]) => element.setAttribute(name, value));
		element.append(...children);
		return element;
	}

	function text(value) {
		return document.createTextNode(value);
	}

	function byNumber(a, b) {
		return a.localeCompare(b, 'en', { numeric: true });
	}

	function rate(perSecond) {
		return Number.isFinite(perSecond) ? perSecond.toFixed(perSecond >= 10 ? 0 : 1) + '/s' : '–';
	}

	function ratio(part, whole) {
		return (Number.isFinite(whole) && whole > 0) ? (100 * part / whole).toFixed(1) + ' %' : '–';
	}

	function millis(seconds) {
		return Number.isFinite(seconds) ? Math.round(seconds * 1000) + ' ms' : '–';
	}

	function bytes(count) {
		return (count >= 1048576) ? (count / 1048576).toFixed(1) + ' MiB' : (count >= 1024) ? (count / 1024).toFixed(0) + ' KiB' : count + ' B';
	}

	refresh();
}());
