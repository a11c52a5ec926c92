-- wrk script for assignment_bench --http-client wrk: POST a claim with a fresh email each time.
-- Arguments (after --): pool id, API key, email label, pause in ms before each request (0 = none).
local counter = 0

function init(args)
  label = args[3]
  pause = tonumber(args[4])
  wrk.method = "POST"
  wrk.path = "/v1/pools/" .. args[1] .. "/claims"
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, string.format('{"email":"%s%d@example.com"}', label, counter))
end

function delay()
  return pause
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d failed=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
