-- The request mix of scripts/bench-load, for wrk: many customers (their cookies come from the
-- generated cookies.lua), each request a customer picked in turn:
--   40 % GET /api/bill        the «Счёт» page's data
--   20 % GET /api/payments    «Платежи»
--   20 % GET /api/readings    the readings history and the meter
--   16 % GET /api/me          the header of every page
--    4 % POST /api/readings   a reading (confirmed), never lower than the last
-- Logins are not in the mix: argon2 makes each one ~50 ms of one core by design (measured
-- by scripts/bench-identity).

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  dofile(os.getenv("SVET_LOAD_COOKIES"))
  n = #cookies
  i = id * 7919
  posts = id * 7919
end

request = function()
  i = i + 1
  local r = i % 100
  if r < 4 then
    -- Readings go to every customer in turn (a customer's next one comes n readings later,
    -- seconds apart) and only grow: 20000 kWh plus the seconds since prepare.py ran.
    posts = posts + 1
    local headers = {
      ["Cookie"] = "__Host-svet_session=" .. cookies[posts % n + 1],
      ["Content-Type"] = "application/json",
      ["Origin"] = origin,
    }
    local value = 20000 + os.time() - prepared_at
    return wrk.format("POST", "/api/readings", headers, '{"single":"' .. value .. '","confirm":true}')
  end
  local headers = { ["Cookie"] = "__Host-svet_session=" .. cookies[(i * 104729) % n + 1] }
  if r < 44 then
    return wrk.format("GET", "/api/bill", headers)
  elseif r < 64 then
    return wrk.format("GET", "/api/payments", headers)
  elseif r < 84 then
    return wrk.format("GET", "/api/readings", headers)
  else
    return wrk.format("GET", "/api/me", headers)
  end
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d in %.1f s: %.0f req/s; errors: connect %d, read %d, write %d, timeout %d, status %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("latency p%s %.2f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("latency max %.2f ms\n", latency.max / 1000))
end
