-- Whether this load balancer holds the VIP, in Prometheus' text format: read at each scrape
-- from the kernel's own table of this node's addresses (/proc/net/fib_trie, where a local
-- address is a "/32 host LOCAL" leaf), so it is what the network sees, whatever order
-- keepalived's transitions ran in.
local vip = os.getenv("VIP") or ""

local function holds_vip()
	local file = io.open("/proc/net/fib_trie")
	if not file then
		return false
	end
	local under_vip = false
	for line in file:lines() do
		local leaf = line:match("|%-%- (%S+)$")
		if leaf then
			under_vip = (leaf == vip)
		elseif under_vip and line:find("/32 host LOCAL", 1, true) then
			file:close()
			return true
		end
	end
	file:close()
	return false
end

core.register_service("vip_metrics", "http", function(applet)
	local body = "# HELP tierstack_vip_held 1 while this load balancer holds the VIP.\n"
		.. "# TYPE tierstack_vip_held gauge\n"
		.. string.format("tierstack_vip_held{vip=%q} %d\n", vip, holds_vip() and 1 or 0)
	applet:set_status(200)
	applet:add_header("content-type", "text/plain; version=0.0.4")
	applet:add_header("content-length", string.len(body))
	applet:start_response()
	applet:send(body)
end)
