-- wrk script for Pembina's benchmark (bench/run.py writes a `DATA = {...}` table above it).
--
-- One wrk thread per connection, so each connection is one signed-in person with their own
-- session cookie and CSRF token: DATA.sessions[i] belongs to thread i.
--
--   DATA.mode == "get":  GET DATA.sessions[i].paths in turn (cookie optional).
--   DATA.mode == "quiz": POST <start> (a new attempt, 302 to /quiz/attempt/<id>), then POST
--                        /quiz/attempt/<id>/submit with the answers, and again. Each submit is
--                        timed here (wrk's own histogram mixes both requests); the ids of
--                        the attempts started and submitted are reported so bench/run.py can
--                        check the database lost or duplicated none.
--
-- Every response is also counted by status (`codes`), and - for bench/faults.py - a 5xx whose
-- body lacks DATA.error_marker (Pembina's own error page) is a `bare` one; a session's
-- `marked` paths must answer with a body holding one of DATA.markers (`marker_hits` counts
-- each, `unmarked` the bodies with none).
--
-- done() prints one line "BENCH_JSON {...}" that bench/run.py reads.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

-- main thread: hand each wrk thread its number
local threads = {}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

-- per thread (each has its own Lua state with DATA)
local me, headers, form_headers
local step = 0
local state = "start" -- quiz: "start" or "submit"
local attempt_id = nil
local sent_at = 0
local last_path = ""
started, submitted, bad, pending = "", "", 0, ""
submit_ms = {}
codes, bare, unmarked, marker_hits = {}, 0, 0, {}

function init(args)
  me = DATA.sessions[((id - 1) % #DATA.sessions) + 1]
  headers = {}
  if me.cookie and me.cookie ~= "" then headers["Cookie"] = me.cookie end
  form_headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  for k, v in pairs(headers) do form_headers[k] = v end
  step = id -- spread the threads over the path list
end

function request()
  if DATA.mode == "get" then
    step = step % #me.paths + 1
    last_path = me.paths[step]
    return wrk.format("GET", last_path, headers)
  end
  sent_at = now_ms()
  if state == "start" then
    pending = "start"
    return wrk.format("POST", me.start, form_headers, "csrf_token=" .. me.csrf)
  end
  pending = "submit:" .. attempt_id
  return wrk.format("POST", "/quiz/attempt/" .. attempt_id .. "/submit", form_headers,
                    "csrf_token=" .. me.csrf .. "&" .. me.body)
end

local function observe(status, body)
  local key = tostring(status)
  codes[key] = (codes[key] or 0) + 1
  if status >= 500 and DATA.error_marker and not string.find(body or "", DATA.error_marker, 1, true) then
    bare = bare + 1
  end
  if DATA.mode == "get" and status == 200 and me.marked and me.marked[last_path] then
    local found = false
    for index, marker in ipairs(DATA.markers) do
      if string.find(body or "", marker, 1, true) then
        marker_hits[tostring(index)] = (marker_hits[tostring(index)] or 0) + 1
        found = true
      end
    end
    if not found then unmarked = unmarked + 1 end
  end
end

function response(status, hdrs, body)
  observe(status, body)
  if DATA.mode == "get" then
    if status ~= 200 then bad = bad + 1 end
    return
  end
  local location = hdrs["Location"] or hdrs["location"] or ""
  if state == "start" then
    local found = (status == 302) and string.match(location, "/quiz/attempt/(%d+)$")
    pending = ""
    if found then
      attempt_id = found
      started = started .. found .. ","
      state = "submit"
    else
      bad = bad + 1
    end
  else
    local elapsed = now_ms() - sent_at
    pending = ""
    if status == 302 and string.match(location, "/quiz/attempt/" .. attempt_id .. "/review$") then
      submitted = submitted .. attempt_id .. ","
      table.insert(submit_ms, elapsed)
    else
      bad = bad + 1
    end
    state = "start"
  end
end

local function encode(value)
  local kind = type(value)
  if kind == "number" then
    return string.format("%.6g", value)
  elseif kind == "string" then
    return '"' .. value:gsub('[%c"\\]', "") .. '"'
  elseif kind == "table" then
    local parts = {}
    if #value > 0 or next(value) == nil then
      for _, item in ipairs(value) do table.insert(parts, encode(item)) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for key, item in pairs(value) do table.insert(parts, encode(tostring(key)) .. ":" .. encode(item)) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "null"
end

function done(summary, latency, requests)
  local out = {
    requests = summary.requests,
    duration_us = summary.duration,
    errors = {connect = summary.errors.connect, read = summary.errors.read, write = summary.errors.write,
              status = summary.errors.status, timeout = summary.errors.timeout},
    p50_us = latency:percentile(50), p95_us = latency:percentile(95), p99_us = latency:percentile(99), max_us = latency.max,
    threads = {},
  }
  for _, thread in ipairs(threads) do
    table.insert(out.threads, {
      id = thread:get("id"), bad = thread:get("bad"), started = thread:get("started"),
      submitted = thread:get("submitted"), pending = thread:get("pending"),
      submit_ms = thread:get("submit_ms"), codes = thread:get("codes"), bare = thread:get("bare"),
      unmarked = thread:get("unmarked"), marker_hits = thread:get("marker_hits"),
    })
  end
  io.write("BENCH_JSON " .. encode(out) .. "\n")
end
