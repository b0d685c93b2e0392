-- wrk script for scripts/loadtest.sh: cycles through request paths read from a file (one path per line).
--
--   wrk -t2 -c64 -d10s --latency -s scripts/loadtest.lua http://127.0.0.1:PORT -- paths.txt
--
-- Every thread reads the whole list and starts at a different offset, so the threads do not send the same
-- paths in lockstep. Non-2xx answers are counted by wrk itself ("Non-2xx or 3xx responses").

local paths = {}
local idx = 0

function init(args)
  local file = args[1]
  if file == nil then
    error("usage: wrk ... -s loadtest.lua URL -- PATHS_FILE")
  end
  for line in io.lines(file) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  if #paths == 0 then
    error("no paths in " .. file)
  end
  -- a different starting point per thread (wrk gives each thread its own Lua state)
  idx = math.floor(#paths * (tonumber(wrk.thread:get("offset")) or 0))
end

function setup(thread)
  -- called once per thread in the main Lua state, before init
  setup_count = (setup_count or 0) + 1
  thread:set("offset", tostring(((setup_count - 1) * 0.37) % 1))
end

function request()
  idx = idx % #paths + 1
  return wrk.format("GET", paths[idx])
end
