-- wrk script for bench/load.py: a mix of residents and cadres at a bounded rate.
-- Residents: complaints (50 %) and 进度 (15 %); cadres: 我的 (15 %), 详情 N (15 %), 接单 N (5 %).
-- Plaintext mode signs only token+timestamp+nonce: bench/load.py signs one query per minute.
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  counter = 0
  residents = tonumber(os.getenv("LOAD_RESIDENTS"))
  cadres = {}
  for name in string.gmatch(os.getenv("LOAD_CADRES"), "[^,]+") do table.insert(cadres, name) end
  cases = tonumber(os.getenv("LOAD_CASES"))
  prefix = os.getenv("LOAD_PREFIX")
  texts = {}
  for line in io.lines(os.getenv("LOAD_TEXTS")) do table.insert(texts, line) end
  base = tonumber(os.getenv("LOAD_BASE_ID"))
  pause = tonumber(os.getenv("LOAD_DELAY_MS"))
  queries = {}
  for line in io.lines(os.getenv("LOAD_QUERIES")) do table.insert(queries, line) end
  start = tonumber(os.getenv("LOAD_START"))
  math.randomseed(base + tid)
end

function delay()
  return pause
end

local function push(user, text, id)
  return "<xml><ToUserName><![CDATA[gh_load]]></ToUserName><FromUserName><![CDATA[" .. user ..
    "]]></FromUserName><CreateTime>" .. os.time() .. "</CreateTime><MsgType><![CDATA[text]]></MsgType>" ..
    "<Content><![CDATA[" .. text .. "]]></Content><MsgId>" .. string.format("%.0f", id) .. "</MsgId></xml>"
end

function request()
  counter = counter + 1
  local id = base + tid * 100000000 + counter
  local roll = math.random(100)
  local number = string.format("%s%05d", prefix, math.random(cases))
  local user, text
  if roll <= 65 then
    user = string.format("o_load_%d", math.random(residents) - 1)
    text = roll <= 50 and texts[math.random(#texts)] or "进度"
  else
    user = cadres[math.random(#cadres)]
    if roll <= 80 then text = "我的" elseif roll <= 95 then text = "详情 " .. number else text = "接单 " .. number end
  end
  -- The query signed for the current minute, so timestamps stay fresh however long the run.
  local minute = math.max(0, math.floor((os.time() - start) / 60))
  local path = "/wechat?" .. queries[math.min(minute + 1, #queries)]
  return wrk.format("POST", path, {["Content-Type"] = "text/xml"}, push(user, text, id))
end
