-- wrk script of scripts/bench-hotpath.sh: requests the paths of a list file in order (each once before any repeats),
-- with `Accept-Encoding: gzip` as a browser sends it, and prints one RESULT line.
local paths = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], {["Accept-Encoding"] = "gzip"})
end
function done(summary, latency, requests)
  io.write(string.format("RESULT req_s=%.0f p50_ms=%.3f p99_ms=%.3f non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
