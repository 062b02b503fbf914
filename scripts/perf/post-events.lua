-- wrk script: POSTs real-shaped Genesys user-activity events (as EventBridge delivers them, ~1 KB) to /events.
-- Every request is a unique event (its own detail.eventBody.id, topicName and envelope id), except every 10th, which
-- re-publishes an event this thread sent 200 requests earlier (new envelope id and time, same detail): a duplicate.
-- At the end it prints ONE JSON line: requests/s, p50/p99 latency, and responses by status.
--   wrk -t2 -c64 -d10s --latency -s scripts/perf/post-events.lua http://127.0.0.1:PORT

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local template = '{"version":"0","id":"%s","detail-type":"v2.users.{id}.activity","source":"aws.partner/genesys.com/cloud/3a9c8f6e-1b2d-4e5f-8a7b-9c0d1e2f3a4b/user-events","account":"123456789012","time":"%s","region":"us-east-1","resources":[],"detail":{"topicName":"v2.users.%s.activity","version":"2","eventBody":{"id":"%s","routingStatus":{"status":"INTERACTING","startTime":"2026-11-20T14:07:14.201Z"},"presence":{"presenceDefinition":{"id":"e08eaf1b-ee47-4fa9-a231-1200e284798f","systemPresence":"On Queue"},"presenceMessage":"","modifiedDate":"2026-11-20T13:58:02.000Z"},"outOfOffice":{"active":false},"activeQueueIds":["4a5b6c7d-8e9f-4a0b-1c2d-3e4f5a6b7c8d"],"dateActiveQueuesChanged":"2026-11-20T13:58:03.120Z"},"metadata":{"CorrelationId":"%s"},"timestamp":"2026-11-20T14:07:14.560Z"}}'
local headers = { ["Content-Type"] = "application/json; charset=utf-8" }
for name, value in pairs(wrk.headers) do headers[name] = value end -- wrk -H, e.g. "Connection: close"
local run = tostring(os.time())
local counter = 0
statuses = {}

local function uuid(kind, n)
  -- A well-formed, unique-per-run UUID: run, thread, kind and sequence number in hex.
  return string.format("%08x-%04x-4%03x-8%03x-%012x", tonumber(run) % 4294967296, tid, kind, 0, n)
end

function request()
  counter = counter + 1
  local n = counter
  local time = "2026-11-20T14:07:15Z"
  if counter % 10 == 0 and counter > 200 then
    n = counter - 200          -- a re-publish of an earlier event of this thread
    time = "2026-11-21T09:00:00Z"
  end
  local userId = uuid(1, n)
  local body = string.format(template, uuid(2, counter), time, userId, userId, uuid(3, n))
  return wrk.format("POST", "/events", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local byStatus = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, count in pairs(counts) do
      byStatus[status] = (byStatus[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(byStatus) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"eventsPerSecond":%.1f,"p50Ms":%.3f,"p99Ms":%.3f,"maxMs":%.3f,"socketErrors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ",")))
end
