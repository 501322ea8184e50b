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
 *   KEYS[12] unblocked (ip → `at|host` of the last manual unblock: tombstones)   KEYS[13] forgot
 * ARGV: [1] MAXLEN, [2] seen TTL s, [3] event JSON, [4] type, [5] at, [6] host, then per type
 *   block: [7] ip [8] action [9] reason [10] blockedAt [11] expiresAt|P [12] lastSeen
 *          [13] attempts [14] timesBlocked [15] block host [16] block JSON
 *   unblock: [7] ip [8] forgetHistory 1|0      list: [7] allow|deny [8] 1 (remove)|0, then network, note...
 *   settings: key, value...                     recipient: [7] email [8] removed 1|0 [9] name
 *   geoip: [7] sha256 [8] bytes
 * Returns {stream id, 0 | 1 (duplicate) | 2 (stale: a block of an episode lifted by hand
 * after it started; nothing appended, nothing changed, the id is the last one), escalation or -1}.
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
if typ == 'block' then
  local u = redis.call('HGET', KEYS[12], ARGV[7])
  local stale = u and tonumber(ARGV[10]) <= tonumber(string.match(u, '^([^|]*)|'))
  if not stale and redis.call('HEXISTS', KEYS[3], ARGV[7]) == 0 then
    stale = tonumber(ARGV[10]) <= tonumber(redis.call('GET', KEYS[13]) or '0')
  end
  if stale then return {redis.call('GET', KEYS[5]) or '0-0', 2, -1} end
end
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
  local cur = redis.call('HGET', KEYS[12], ARGV[7])
  local cat, chost
  if cur then cat, chost = string.match(cur, '^([^|]*)|(.*)$') end
  if not cur or tonumber(at) > tonumber(cat) or (tonumber(at) == tonumber(cat) and host > chost) then
    redis.call('HSET', KEYS[12], ARGV[7], at .. '|' .. host)
  end
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

/**
 * KEYS[1] unblocked, KEYS[2] list:allow, KEYS[3] list:deny, KEYS[4] recipients, KEYS[5] forgot;
 * ARGV[1] the horizon. Deletes the tombstones written at or before it (manual unblocks,
 * removed entries) and raises `forgot` to it (core/cluster/merge.ts pruneTombstones); returns
 * how many. It reads whole hashes (a 100k-entry deny list: tens of ms of Redis time), so the
 * sync runs it once an hour, not every minute.
 */
export const PRUNE_TOMBSTONES_LUA = `
local before = tonumber(ARGV[1])
local n = 0
local u = redis.call('HGETALL', KEYS[1])
for i = 1, #u, 2 do
  if tonumber(string.match(u[i + 1], '^([^|]*)|')) <= before then
    redis.call('HDEL', KEYS[1], u[i])
    n = n + 1
  end
end
for k = 2, 4 do
  local all = redis.call('HGETALL', KEYS[k])
  for i = 1, #all, 2 do
    local at, rem = string.match(all[i + 1], '^([^|]*)|[^|]*|([01])|')
    if rem == '1' and tonumber(at) <= before then
      redis.call('HDEL', KEYS[k], all[i])
      n = n + 1
    end
  end
end
if before > tonumber(redis.call('GET', KEYS[5]) or '0') then redis.call('SET', KEYS[5], ARGV[1]) end
return n
`;
