-- wrk script of bench/run.sh: one request template, a rotating list of ids.
--
--   MODE=hub  TEMPLATE='{"query":"...","variables":{"id":"%ID%"}}'   POST /graphql
--   MODE=base TEMPLATE='/a?id=%ID%'                                    GET
--   IDS=file  one id per line, substituted for %ID% in turn (optional)
--   TOKEN     bearer token (hub)
--
-- Each wrk thread starts at its own offset in the list, so threads do not
-- ask for the same ids at the same time. `done` prints one line:
--   RESULT requests rps p50_ms p99_ms errors
-- where errors counts connect/read/write/timeout errors and statuses >= 400.

local mode = os.getenv("MODE") or "hub"
local template = os.getenv("TEMPLATE") or ""
local token = os.getenv("TOKEN") or ""
local ids_path = os.getenv("IDS") or ""

local ids = {}
if ids_path ~= "" then
  for line in io.lines(ids_path) do
    if line ~= "" then ids[#ids + 1] = line end
  end
end

local next_thread = 0
function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
end

local counter = 0
local headers = {}
function init(args)
  counter = (thread_index or 0) * 397
  if mode == "hub" then
    headers["Content-Type"] = "application/json"
    headers["Authorization"] = "Bearer " .. token
  end
end

local function fill()
  if #ids == 0 then return template end
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  return (template:gsub("%%ID%%", id))
end

function request()
  if mode == "hub" then
    return wrk.format("POST", "/graphql", headers, fill())
  else
    return wrk.format("GET", fill(), nil, nil)
  end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT %d %.1f %.3f %.3f %d\n", summary.requests,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
