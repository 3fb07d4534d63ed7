-- wrk script of the mixed load (scripts/load): of every 10 requests, 7 reads of the measured
-- pages and 3 writes through the real POST endpoints with the session cookie and the CSRF
-- token: a provincial LKE answer (a new one each time, from the pool load_setup.py made), a
-- work-plan activity added to a village, a complete draft or returned report submitted by its
-- own kab/kota team (each once; once the pool is used up, a second submission is refused with
-- a message, a redirect like the first; scripts/load counts the writes that took effect).
-- Counts the responses per status class (and the requests sent per kind) in every thread; done() prints them with the
-- latency.
-- MIXED_DATA names the data file written by scripts/load_setup.py.

dofile(os.getenv("MIXED_DATA"))

local stride = tonumber(os.getenv("WRK_THREADS") or "2")
local threads = {}
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  step = id or 1
  answer_index = id or 1
  report_index = id or 1
  plan_index = id or 1
  sent = {}
end

local function post(path, cookie, body, extra)
  local headers = {
    ["Cookie"] = cookie,
    ["X-CSRFToken"] = csrf,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
  if extra then
    for k, v in pairs(extra) do headers[k] = v end
  end
  return wrk.format("POST", path, headers, body)
end

local function read(page)
  local headers = {}
  if page.cookie ~= "" then headers["Cookie"] = page.cookie end
  if page.header ~= "" then
    local name, value = page.header:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  return wrk.format("GET", page.url, headers)
end

function request()
  step = step + 1
  local slot = step % 10
  local kind, req
  if slot == 0 and #answers > 0 then
    kind = "write: LKE answer"
    local a = answers[(answer_index - 1) % #answers + 1]
    answer_index = answer_index + stride  -- threads start apart: no answer sent twice
    req = post(a.url, cookie_largest,
      "level=provincial&version=0&option=" .. a.option .. "&note=Uji+beban",
      {["HX-Request"] = "true"})
  elseif slot == 3 and #plan_urls > 0 then
    kind = "write: work-plan activity"
    local url = plan_urls[(plan_index - 1) % #plan_urls + 1]
    plan_index = plan_index + 1
    req = post(url, cookie_kabkota,
      "stage=pelaksanaan&name=Kegiatan+uji+beban&pelaksana=&target_output=" ..
      "&planned_start=2026-11-02&planned_end=2026-12-18")
  elseif slot == 6 and #reports > 0 then
    kind = "write: report submission"
    local r = reports[(report_index - 1) % #reports + 1]
    report_index = report_index + stride
    req = post(r.url, r.cookie, "")
  else
    local page = reads[step % #reads + 1]
    kind = "read: " .. page.name
    req = read(page)
  end
  sent[kind] = (sent[kind] or 0) + 1
  return req
end

function response(status, headers, body)
  local class = tostring(math.floor(status / 100)) .. "xx"
  if status == 409 then class = "409 (stale answer)" end
  statuses[class] = (statuses[class] or 0) + 1
  if status >= 500 or (body and body:find("database is locked", 1, true)) then
    statuses["ERROR"] = (statuses["ERROR"] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total_status = {}
  local total_kinds = {}
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses")) do total_status[k] = (total_status[k] or 0) + v end
    for k, v in pairs(thread:get("sent")) do total_kinds[k] = (total_kinds[k] or 0) + v end
  end
  io.write("MIXED requests ", summary.requests, " in ", summary.duration / 1e6, " s\n")
  io.write(string.format("MIXED p50_ms %.1f p95_ms %.1f p99_ms %.1f\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  io.write("MIXED socket_errors connect ", summary.errors.connect, " read ", summary.errors.read,
    " write ", summary.errors.write, " timeout ", summary.errors.timeout, "\n")
  local keys = {}
  for k in pairs(total_status) do table.insert(keys, k) end
  table.sort(keys)
  for _, k in ipairs(keys) do io.write("MIXED status ", k, " ", total_status[k], "\n") end
  keys = {}
  for k in pairs(total_kinds) do table.insert(keys, k) end
  table.sort(keys)
  for _, k in ipairs(keys) do io.write("MIXED sent ", k, " ", total_kinds[k], "\n") end
end
