-- wrk script: each request asks GET /api/ask?q=... . MODE=distinct: every request a new question
-- ("load question <thread>-<n> about LoRA rank"); MODE=repeated: one question cycled from a small set;
-- MODE=warmup: distinct questions of their own ("warmup question …"), not measured.
local counter = 0
local thread_id = 0
local threads = {}
local mode = os.getenv("MODE") or "distinct"
local repeated = { "什么是sft?", "What is RLHF?", "LoRA 和 QLoRA 有什么区别？", "BM25 是怎么排序的？", "What is a context window?" }

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
end

local function encode(s)
  return (s:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  local q
  if mode == "distinct" then
    q = string.format("load question %d-%d about LoRA rank", thread_id, counter)
  elseif mode == "warmup" then
    q = string.format("warmup question %d-%d about DPO beta", thread_id, counter)
  else
    q = repeated[(counter % #repeated) + 1]
  end
  counter = counter + 1
  return wrk.format("GET", "/api/ask?q=" .. encode(q))
end
