namespace GenesysDedup.Stores.Redis;

/// <summary>
/// The server-side steps, each one atomic on one key (so they run unchanged on Redis Cluster). Lua rather than
/// <c>SET … IFEQ</c>: IFEQ needs Redis 8.4 or Valkey 9, and managed Redis/Valkey fleets still run 6 and 7.
/// The value layout is <see cref="RedisRecord"/>'s: <c>Status|LeaseExpiresAt|ExpiresAt|Owner|TraceParent|ProcessedAt|Fingerprint</c>;
/// the scripts read only the first four fields, which every older layout has too.
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// Replaces a record that the claim judged expired, only if it is still exactly the value that was read.
    /// KEYS[1] key; ARGV[1] value read; ARGV[2] new IN_PROGRESS value; ARGV[3] lease in ms. Returns 1 when replaced.
    /// </summary>
    public const string Takeover = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then
          return 0
        end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        return 1
        """;

    /// <summary>
    /// Writes the COMPLETED record with the key's expiry at the retention, unless another owner holds the key (docs/behaviour.md#claim-complete-release):
    /// written over our own record, over none (Redis expired our claim with its lease while the handler ran), and over
    /// a record that no longer holds the key by its stored times (judged as <c>StoredRecord.IsLive</c> does).
    /// KEYS[1] key; ARGV[1] owner; ARGV[2] fingerprint; ARGV[3] now (epoch ms); ARGV[4] record expiry (epoch ms);
    /// ARGV[5] retention in ms; ARGV[6] trace parent (may be empty). The completion time written is ARGV[3]. Returns 1
    /// when completed, 0 when another owner holds the key.
    /// </summary>
    public const string Complete = """
        local lease = ARGV[3]
        local value = redis.call('GET', KEYS[1])
        if value then
          local status, held, expires, owner = string.match(value, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|')
          if not owner then
            return redis.error_reply('not a dedup record')
          end
          if owner == ARGV[1] then
            lease = held
          else
            local now = tonumber(ARGV[3])
            local live = now < tonumber(expires) and (status == 'COMPLETED' or now < tonumber(held))
            if live then
              return 0
            end
          end
        end
        redis.call('SET', KEYS[1], 'COMPLETED|' .. lease .. '|' .. ARGV[4] .. '|' .. ARGV[1] .. '|' .. ARGV[6] .. '|' .. ARGV[3] .. '|' .. ARGV[2], 'PX', ARGV[5])
        return 1
        """;

    /// <summary>
    /// Deletes the record only if the caller owns it. KEYS[1] key; ARGV[1] owner. Returns 1 when deleted.
    /// </summary>
    public const string Release = """
        local value = redis.call('GET', KEYS[1])
        if not value then
          return 0
        end
        local owner = string.match(value, '^[^|]*|[^|]*|[^|]*|([^|]*)|')
        if owner ~= ARGV[1] then
          return 0
        end
        redis.call('DEL', KEYS[1])
        return 1
        """;

    /// <summary>
    /// Deletes the record whoever owns it and returns the value it held (nil when there was none), so the caller can
    /// tell whether it still held the key. KEYS[1] key. One step: GETDEL needs Redis 6.2.
    /// </summary>
    public const string Remove = """
        local value = redis.call('GET', KEYS[1])
        if value then
          redis.call('DEL', KEYS[1])
        end
        return value
        """;
}
