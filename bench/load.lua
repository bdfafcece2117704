-- wrk script for bench/load.py: one connection per wrk thread, so request() and response() strictly
-- alternate in each thread's Lua state and every response can be timed and attributed to its request type.
--
--   wrk -t C -c C -d 60s --latency -s bench/load.lua http://127.0.0.1:PORT -- MODE TOKEN CUSTOMER_IDS
--
-- MODE "create": every request logs a complaint (POST /api/v1/complaints, api.md's minimum fields).
-- MODE "mix":    each connection runs complaints through their life: create, listen, apologise, note,
--                resolve, follow_up (satisfied → closed), then the next complaint — a fixed mix of six
--                request types, one sixth each.
-- Latencies (µs, monotonic clock via LuaJIT's FFI) and status counts per request type are written to
-- the file named by $BENCH_WRK_OUT when the run is done.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local CHANNELS = { "phone", "on_site", "callback", "online" }
local CATEGORIES = { "waiting_time", "repair_quality", "service_attitude", "price", "parts", "other" }
local SEVERITIES = { "low", "medium", "high" }
local FLOW = { "create", "listen", "apologise", "note", "resolve", "follow_up" }

local mode, auth, customers
local seq, step, case_id, pending_type, pending_start, verifying
-- Globals read by done() through thread:get, which copies flat tables only (nested ones crash wrk 4.1):
-- lat_<type> = {µs, …}, codes = {["<type> <status>"] = n}, lost = {[<type>] = n}.
codes, lost = {}, {}

function init(args)
  mode = args[1]
  auth = "Bearer " .. args[2]
  customers = {}
  for id in string.gmatch(args[3], "%d+") do table.insert(customers, id) end
  seq = tid * 7919
  verifying = (tid == 1)
  step = 1
  for _, name in ipairs(FLOW) do
    _G["lat_" .. name] = {}
    lost[name] = 0
  end
  wrk.headers["Authorization"] = auth
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
end

local function pick(list)
  return list[(seq % #list) + 1]
end

local function body_for(kind)
  if kind == "create" then
    return string.format(
      '{"customer_id": %s, "channel": "%s", "category": "%s", "severity": "%s", ' ..
      '"description": "客户反映等候时间过长，没人告知维修进度 (load %d-%d)"}',
      pick(customers), pick(CHANNELS), pick(CATEGORIES), pick(SEVERITIES), tid, seq)
  elseif kind == "listen" then
    return '{"account": "车主说上周保养后发动机异响，等了两个小时没人解释", "met_where": "接待区"}'
  elseif kind == "apologise" then
    return '{"note": "感谢反馈，已当面致歉"}'
  elseif kind == "note" then
    return '{"text": "已查阅维修记录，准备安排返工", "visibility": "internal"}'
  elseif kind == "resolve" then
    return '{"attribution": "our_fault", "resolution": "免费返工并减免工时费", "labour_waived": "120.00"}'
  else
    return '{"satisfied": true, "note": "回访客户满意"}'
  end
end

request = function()
  if verifying then -- wrk calls request() once on the first thread, right after init(), to check it
    verifying = false
    return wrk.format("POST", "/api/v1/complaints", nil, body_for("create"))
  end
  if pending_type ~= nil then -- the previous request got no response (connection error): count it
    lost[pending_type] = lost[pending_type] + 1
    if pending_type == "create" then step = 1 end
  end
  local kind
  if mode == "create" or case_id == nil then
    kind = "create"
    step = 1
  else
    kind = FLOW[step]
  end
  seq = seq + 1
  local path
  if kind == "create" then
    path = "/api/v1/complaints"
  else
    path = "/api/v1/complaints/" .. case_id .. "/actions/" .. kind
  end
  pending_type = kind
  pending_start = now_us()
  return wrk.format("POST", path, nil, body_for(kind))
end

response = function(status, headers, body)
  local kind = pending_type
  if kind == nil then return end
  local t = _G["lat_" .. kind]
  t[#t + 1] = math.floor(now_us() - pending_start + 0.5)
  local key = kind .. " " .. status
  codes[key] = (codes[key] or 0) + 1
  pending_type = nil
  if kind == "create" then
    if status == 201 then
      case_id = string.match(body, '"id":%s*(%d+)')
      step = 2
    else
      case_id = nil
      step = 1
    end
  else
    step = step + 1
    if step > #FLOW then
      step = 1
      case_id = nil
    end
  end
end

function done(summary, latency, requests)
  local f = assert(io.open(os.getenv("BENCH_WRK_OUT"), "w"))
  f:write(string.format("summary %d %d %d %d %d %d %d %d\n", summary.duration, summary.requests, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("codes") or {}) do
      f:write(string.format("code %s %d\n", key, n))
    end
    for name, n in pairs(thread:get("lost") or {}) do
      if n > 0 then f:write(string.format("lost %s %d\n", name, n)) end
    end
    for _, name in ipairs(FLOW) do
      local values = thread:get("lat_" .. name) or {}
      local chunk = {}
      for i = 1, #values do
        chunk[#chunk + 1] = values[i]
        if #chunk == 500 then
          f:write("lat " .. name .. " " .. table.concat(chunk, " ") .. "\n")
          chunk = {}
        end
      end
      if #chunk > 0 then f:write("lat " .. name .. " " .. table.concat(chunk, " ") .. "\n") end
    end
  end
  f:close()
end
