/**
 * The Lua scripts of the Redis cluster bus. Each runs atomically inside Redis, so the stream
 * entry, the snapshot it updates and the id the snapshot covers change together: no reader
 * can see one without the other, whichever host published.
 *
 * PUBLISH implements core/cluster/merge.ts applyEvent (cluster.contract.ts runs the merge
 * table against both). It never re-encodes JSON (Redis's cjson would round times to 14
 * digits and turn [] into {}): a block's base record is stored as the JSON its publisher
 * sent, and the numbers merged by max (expiry, last seen, attempts, times blocked) live
 * beside it as the strings JavaScript printed, compared with tonumber. Entries of lists,
 * settings and recipients are `at|host|removed|value` (host ids have no '|').
 *
 * Keys (all under the hash tag {sipprot}, so Redis Cluster keeps them in one slot):
 *   KEYS[1] events stream   KEYS[2] blocks (ip → base JSON)   KEYS[3] blockx (ip → numbers)
 *   KEYS[4] esc (ip → count)   KEYS[5] covers   KEYS[6] list:allow   KEYS[7] list:deny
 *   KEYS[8] settings   KEYS[9] recipients   KEYS[10] geoip   KEYS[11] seen:<event id>
 * ARGV: [1] MAXLEN, [2] seen TTL s, [3] event JSON, [4] type, [5] at, [6] host, then per type
 *   block: [7] ip [8] action [9] reason [10] blockedAt [11] expiresAt|P [12] lastSeen
 *          [13] attempts [14] timesBlocked [15] block host [16] block JSON
 *   unblock: [7] ip [8] forgetHistory 1|0      list: [7] allow|deny [8] 1 (remove)|0, then network, note...
 *   settings: key, value...                     recipient: [7] email [8] removed 1|0 [9] name
 *   geoip: [7] sha256 [8] bytes
 * Returns {stream id, duplicate 1|0, escalation or -1}.
 */
export const PUBLISH_LUA = `
local seen = redis.call('GET', KEYS[11])
local typ = ARGV[4]
if seen then
  local n = -1
  if typ == 'block' then n = tonumber(redis.call('HGET', KEYS[4], ARGV[7]) or '0') end
  return {seen, 1, n}
end
local at, host = ARGV[5], ARGV[6]
local function later(rem, val, cur)
  if not cur then return true end
  local cat, chost, crem, cval = string.match(cur, '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
  local x, y = tonumber(at), tonumber(cat)
  if x ~= y then return x > y end
  if host ~= chost then return host > chost end
  if rem ~= crem then return rem == '1' end
  return val > cval
end
local function lww(key, field, rem, val)
  if later(rem, val, redis.call('HGET', key, field)) then
    redis.call('HSET', key, field, at .. '|' .. host .. '|' .. rem .. '|' .. val)
  end
end
local function bigger(a, b) if tonumber(b) > tonumber(a) then return b end return a end
local esc = -1
if typ == 'block' then
  local ip, nb, ne, nh = ARGV[7], ARGV[10], ARGV[11], ARGV[15]
  local cur = redis.call('HGET', KEYS[3], ip)
  if not cur then
    redis.call('HSET', KEYS[2], ip, ARGV[16])
    redis.call('HSET', KEYS[3], ip, table.concat({nb, nh, ne, ARGV[12], ARGV[13], ARGV[14]}, '|'))
  else
    local cb, ch, ce, cl, ca, ct = string.match(cur, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
    if tonumber(nb) < tonumber(cb) or (tonumber(nb) == tonumber(cb) and nh < ch) then
      redis.call('HSET', KEYS[2], ip, ARGV[16])
      cb, ch = nb, nh
    end
    local e = ce
    if ce ~= 'P' and (ne == 'P' or tonumber(ne) > tonumber(ce)) then e = ne end
    redis.call('HSET', KEYS[3], ip,
      table.concat({cb, ch, e, bigger(cl, ARGV[12]), bigger(ca, ARGV[13]), bigger(ct, ARGV[14])}, '|'))
  end
  if ARGV[8] ~= 'extend' and ARGV[9] ~= 'manual' then
    esc = redis.call('HINCRBY', KEYS[4], ip, 1)
  else
    esc = tonumber(redis.call('HGET', KEYS[4], ip) or '0')
  end
elseif typ == 'unblock' then
  redis.call('HDEL', KEYS[2], ARGV[7])
  redis.call('HDEL', KEYS[3], ARGV[7])
  if ARGV[8] == '1' then redis.call('HDEL', KEYS[4], ARGV[7]) end
elseif typ == 'list' then
  local key = KEYS[6]
  if ARGV[7] == 'deny' then key = KEYS[7] end
  for i = 9, #ARGV, 2 do lww(key, ARGV[i], ARGV[8], ARGV[i + 1]) end
elseif typ == 'settings' then
  for i = 7, #ARGV, 2 do lww(KEYS[8], ARGV[i], '0', ARGV[i + 1]) end
elseif typ == 'recipient' then
  lww(KEYS[9], ARGV[7], ARGV[8], ARGV[9])
elseif typ == 'geoip' then
  lww(KEYS[10], 'table', '0', ARGV[7] .. ':' .. ARGV[8])
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[3], 'n', tostring(esc))
redis.call('SET', KEYS[5], id)
redis.call('SET', KEYS[11], id, 'EX', ARGV[2])
return {id, 0, esc}
`;

/** KEYS[1] blocks, KEYS[2] blockx; ARGV[1] now. Deletes blocks expired by now; returns how many. */
export const PRUNE_LUA = `
local all = redis.call('HGETALL', KEYS[2])
local n = 0
for i = 1, #all, 2 do
  local e = string.match(all[i + 1], '^[^|]*|[^|]*|([^|]*)|')
  if e ~= 'P' and tonumber(e) <= tonumber(ARGV[1]) then
    redis.call('HDEL', KEYS[1], all[i])
    redis.call('HDEL', KEYS[2], all[i])
    n = n + 1
  end
end
return n
`;
