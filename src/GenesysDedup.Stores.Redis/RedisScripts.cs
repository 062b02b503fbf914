namespace GenesysDedup.Stores.Redis;

/// <summary>
/// The server-side steps, each one atomic on one key (so they run unchanged on Redis Cluster). Lua rather than
/// <c>SET … IFEQ</c>: IFEQ needs Redis 8.4 or Valkey 9, and managed Redis/Valkey fleets still run 6 and 7.
/// StackExchange.Redis sends <c>SCRIPT LOAD</c> with the first call on each server and <c>EVALSHA</c> after that,
/// re-loading on <c>NOSCRIPT</c> (after a flush, restart or failover): one round trip per call.
/// The value layout is <see cref="RedisRecord"/>'s: <c>Status|LeaseExpiresAt|ExpiresAt|Owner|Fingerprint</c>.
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
    /// Marks the record COMPLETED and moves the key's expiry to the retention, only if the caller still owns it.
    /// KEYS[1] key; ARGV[1] owner; ARGV[2] record expiry (epoch ms); ARGV[3] retention in ms. Returns 1 when completed.
    /// </summary>
    public const string Complete = """
        local value = redis.call('GET', KEYS[1])
        if not value then
          return 0
        end
        local _, lease, _, owner, fingerprint = string.match(value, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
        if owner ~= ARGV[1] then
          return 0
        end
        redis.call('SET', KEYS[1], 'COMPLETED|' .. lease .. '|' .. ARGV[2] .. '|' .. owner .. '|' .. fingerprint, 'PX', ARGV[3])
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
}
