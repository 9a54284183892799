-- timeline/xml_read.lua — a small non-validating XML reader for edited timelines coming back (conform).
--
-- parse(text) → the root element { tag, attrs = {name = value}, children = {element...}, text } or
-- nil, error. Handles the XML declaration, DOCTYPE, comments, CDATA and the five
-- predefined entities plus numeric character references; no namespaces, no
-- DTD entities (enough for FCPXML and xmeml, which use none).
local M = {}

local ENT = { amp = "&", lt = "<", gt = ">", quot = '"', apos = "'" }

local function utf8_char(n)
  if n < 0x80 then return string.char(n) end
  if n < 0x800 then return string.char(0xC0 + bit.rshift(n, 6), 0x80 + n % 64) end
  if n < 0x10000 then
    return string.char(0xE0 + bit.rshift(n, 12), 0x80 + bit.rshift(n, 6) % 64, 0x80 + n % 64)
  end
  return string.char(0xF0 + bit.rshift(n, 18), 0x80 + bit.rshift(n, 12) % 64, 0x80 + bit.rshift(n, 6) % 64, 0x80 + n % 64)
end

local function unescape(s)
  return (s:gsub("&(#?x?)(%w+);", function(kind, v)
    if kind == "#" then return utf8_char(tonumber(v, 10) or 63) end
    if kind == "#x" then return utf8_char(tonumber(v, 16) or 63) end
    return ENT[v] or ("&" .. v .. ";")
  end))
end

function M.parse(text)
  if type(text) ~= "string" then return nil, "not text" end
  local root, stack, pos = nil, {}, 1
  local n = #text
  while pos <= n do
    local lt = text:find("<", pos, true)
    if not lt then break end
    if #stack > 0 and lt > pos then
      local top = stack[#stack]
      top.text = (top.text or "") .. unescape(text:sub(pos, lt - 1))
    end
    if text:sub(lt, lt + 3) == "<!--" then
      local e = text:find("-->", lt + 4, true)
      if not e then return nil, "unterminated comment" end
      pos = e + 3
    elseif text:sub(lt, lt + 8) == "<![CDATA[" then
      local e = text:find("]]>", lt + 9, true)
      if not e or #stack == 0 then return nil, "bad CDATA section" end
      stack[#stack].text = (stack[#stack].text or "") .. text:sub(lt + 9, e - 1)
      pos = e + 3
    elseif text:sub(lt, lt + 1) == "<?" or text:sub(lt, lt + 1) == "<!" then
      local e = text:find(">", lt, true)
      if not e then return nil, "unterminated declaration" end
      pos = e + 1
    elseif text:sub(lt, lt + 1) == "</" then
      local name, e = text:match("^</([%w_:%.%-]+)%s*>()", lt)
      if not name then return nil, "bad end tag at byte " .. lt end
      local top = table.remove(stack)
      if not top or top.tag ~= name then return nil, "mismatched </" .. name .. "> at byte " .. lt end
      pos = e
    else
      local name, rest = text:match("^<([%w_:%.%-]+)()", lt)
      if not name then return nil, "bad start tag at byte " .. lt end
      local el = { tag = name, attrs = {}, children = {} }
      local p = rest
      while true do
        local ws, an, q, e
        ws = text:match("^%s*()", p)
        p = ws
        if text:sub(p, p + 1) == "/>" then p = p + 2; el.closed = true; break end
        if text:sub(p, p) == ">" then p = p + 1; break end
        an, q = text:match("^([%w_:%.%-]+)%s*=%s*([\"'])", p)
        if not an then return nil, "bad attribute in <" .. name .. "> at byte " .. p end
        local vstart = text:find(q, p, true) + 1
        e = text:find(q, vstart, true)
        if not e then return nil, "unterminated attribute value in <" .. name .. ">" end
        el.attrs[an] = unescape(text:sub(vstart, e - 1))
        p = e + 1
      end
      if #stack > 0 then
        local parent = stack[#stack]
        parent.children[#parent.children + 1] = el
      elseif root then
        return nil, "more than one root element"
      else
        root = el
      end
      if not el.closed then stack[#stack + 1] = el end
      pos = p
    end
  end
  if #stack > 0 then return nil, "unclosed <" .. stack[#stack].tag .. ">" end
  if not root then return nil, "no root element" end
  return root
end

-- The first descendant with this tag (depth first), or nil.
function M.find(el, tag)
  for _, c in ipairs(el.children) do
    if c.tag == tag then return c end
    local f = M.find(c, tag)
    if f then return f end
  end
end

return M
