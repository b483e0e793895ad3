-- wrk script for a paced load (run.mjs's fixed-rate phase): each connection waits a random think
-- time after every reply before its next request, uniform over 0-20 ms (mean 10), as a service's many
-- independent callers do, so requests arrive spread over time instead of as fast as replies come back;
-- run.mjs picks the number of connections that gives the rate it wants.
local mean = tonumber(os.getenv("BENCH_THINK_MS") or "10")

function delay()
  return math.random(0, 2 * mean)
end
