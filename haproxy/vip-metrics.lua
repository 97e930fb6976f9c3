-- Whether this load balancer holds the VIP, in Prometheus' text format: the state that
-- keepalived's notify script writes on every transition (MASTER holds the VIP).
local state_file = "/run/keepalived-notify/state"
local vip = os.getenv("VIP") or ""

core.register_service("vip_metrics", "http", function(applet)
	local state = "UNKNOWN"
	local file = io.open(state_file)
	if file then
		state = file:read("*l") or state
		file:close()
	end
	local held = (state == "MASTER") and 1 or 0
	local body = "# HELP tierstack_vip_held 1 while this load balancer holds the VIP.\n"
		.. "# TYPE tierstack_vip_held gauge\n"
		.. string.format("tierstack_vip_held{vip=%q} %d\n", vip, held)
	applet:set_status(200)
	applet:add_header("content-type", "text/plain; version=0.0.4")
	applet:add_header("content-length", string.len(body))
	applet:start_response()
	applet:send(body)
end)
