-- wrk script: POST a WeChat text push with a fresh MsgId (and a rotating resident) per request.
-- Plaintext mode signs only token+timestamp+nonce, so one signed query serves the whole run.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  counter = 0
  users = tonumber(os.getenv("BENCH_USERS") or "1000")
  texts = {}
  for line in io.lines(os.getenv("BENCH_TEXTS")) do table.insert(texts, line) end
  base = tonumber(os.getenv("BENCH_BASE_ID") or "1")
end

function request()
  counter = counter + 1
  local id = base + tid * 1000000 + counter
  local user = string.format("o_bench_%d", (tid * 7919 + counter) % users)
  local text = texts[(id % #texts) + 1]
  local body = "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[" .. user ..
    "]]></FromUserName><CreateTime>" .. os.time() .. "</CreateTime><MsgType><![CDATA[text]]></MsgType>" ..
    "<Content><![CDATA[" .. text .. "]]></Content><MsgId>" .. string.format("%.0f", id) .. "</MsgId></xml>"
  return wrk.format("POST", nil, {["Content-Type"] = "text/xml"}, body)
end
