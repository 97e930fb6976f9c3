-- A web node that holds requests, has answered none of them for a second and does not answer
-- its readiness either leaves the rotation at once (its health forced DOWN; its own checks
-- bring it back once it answers them), as long as another web node answered in that second.
-- The requests it holds are not cut: each ends at its attempt's timeout and is retried on
-- another node. Without this, a node that hangs (its kernel still accepts connections,
-- nothing answers) gets requests until its third check has timed out, and the checks are
-- patient on purpose: docs/design.md, "Gray failures: a time budget per attempt, nested".
-- A node whose requests all wait on the tier behind it, or that holds one slow request (an
-- order waiting for a lock), still answers its readiness, and stays: it is slow, not hung.
-- One held request is enough to ask: a hung node that holds one gets no other from
-- leastconn until that one times out (2.2 s), and then it gets the next.
local BACKEND = "web"
local EVERY_MS = 250
local SILENT_MS = 1000
-- The readiness probe's time to connect and get the status line, both (the socket's deadlines
-- are set once, when its timeout is).
local PROBE_S = 0.3

local function now_ms()
	local now = core.now()
	return now.sec * 1000 + now.usec // 1000
end

local function answers(stats)
	local count = 0
	for _, field in ipairs({ "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other" }) do
		count = count + (tonumber(stats[field]) or 0)
	end
	return count
end

-- Whether the node answers its readiness (the checks' request) with a 200 in time.
local function answers_readiness(server)
	local socket = core.tcp()
	socket:settimeout(PROBE_S)
	local ready = false
	local address = server:get_addr()
	if address ~= nil and socket:connect(address) then
		socket:send("GET /readyz HTTP/1.1\r\nHost: lb-health-check\r\nConnection: close\r\n\r\n")
		local status = socket:receive("*l")
		ready = status ~= nil and status:find("^HTTP/1%.[01] 200 ") ~= nil
	end
	socket:close()
	return ready
end

-- Per server slot, while it is UP: its answer count, when that last rose (unknown when first
-- seen), and since when it has held requests without answering one.
local nodes = {}

local function round()
	local now = now_ms()
	local servers = core.backends[BACKEND].servers
	local held = {}
	for name, server in pairs(servers) do
		local stats = server:get_stats()
		if stats.bck == 1 or not tostring(stats.status):find("^UP") then
			nodes[name] = nil
		else
			local count = answers(stats)
			local node = nodes[name]
			if node == nil or node.answers ~= count then
				nodes[name] = { answers = count, answered = node and now }
			elseif stats.scur == 0 then
				node.quiet_since = nil
			else
				node.quiet_since = node.quiet_since or now
				if now - node.quiet_since >= SILENT_MS then
					held[name] = stats.scur
				end
			end
		end
	end
	for name, count in pairs(held) do
		local answering = false
		for other, node in pairs(nodes) do
			answering = answering or (other ~= name and node.answered ~= nil and now - node.answered < SILENT_MS)
		end
		if not answering then
			-- The last node that answers stays, whatever it holds.
		elseif answers_readiness(servers[name]) then
			-- Alive, and waiting on something behind it: its silence starts again.
			nodes[name].quiet_since = now_ms()
		else
			core.Warning(string.format("%s/%s holds %d requests, answered none for %d ms nor its readiness:"
				.. " taken out of rotation until its checks pass", BACKEND, name, count, now - nodes[name].quiet_since))
			servers[name]:check_force_down()
			nodes[name] = nil
		end
	end
end

core.register_task(function()
	local said, said_at = nil, 0
	while true do
		local ok, failure = pcall(round)
		-- A failure that repeats every round is said again every 10 s, not four times a second.
		if not ok and (tostring(failure) ~= said or now_ms() - said_at >= 10000) then
			said, said_at = tostring(failure), now_ms()
			core.Warning("silent-nodes: " .. said)
		end
		core.msleep(EVERY_MS)
	end
end)
